"""The Synthesizer: scan -> protect -> domain -> train on fit; sample -> fakes on sample.

Parameters are stored unchanged in ``__init__``; learning happens in ``fit`` and ends in
attributes with a trailing underscore (``pii_``, ``domain_``, ``ledger_``, ``engine_``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import __version__
from .atomic import atomic_dir
from .config import DEFAULT_NLP_MODEL
from .constraints import ConstrainedEngine, ConstraintSet
from .domain import Domain, data_domain, infer_kind
from .engines import LOCAL, distributed_fit
from .errors import NotFittedError, SynthRecordsError
from .models.train import Engine, check_privacy, load_engine, make_engine
from .pii.policy import ProtectionPolicy
from .pii.protect import FakePlan, add_fakes, protect
from .pii.scan import PiiReport, scan_pii
from .privacy.domain import DEFAULT_SHARE, default_delta, release_domain
from .privacy.ledger import PrivacyLedger
from .read import file_sha256, prepare, restore_timezones
from .sample import SamplingReport, sample_rows

if TYPE_CHECKING:
    from .privacy.budget import DatasetBudget

log = logging.getLogger(__name__)
MODEL_FORMAT = "synthrecords-model/1"
MANIFEST = "manifest.json"
MIN_ROWS = 10


@dataclass
class Synthesizer:
    epsilon: float | None = None
    delta: float | None = None
    model: str | None = None  # default: dpctgan with epsilon, gaussian_copula without
    epochs: int | None = None
    target: str | None = None
    column_types: dict[str, str] | None = None
    # Under DP: share of epsilon spent on releasing the domain, and column domains the
    # user vouches are public ({"age": {"lower": 0, "upper": 120}}), which cost nothing.
    domain_share: float | None = None  # default dp_domain.DEFAULT_SHARE
    public_domain: dict[str, dict[str, Any]] | None = None
    pii_policy: ProtectionPolicy | None = None
    nlp_model: str | None = DEFAULT_NLP_MODEL
    seed: int | None = None
    # Declared structure (synthrecords.constraints: derived columns, hierarchies, inequalities):
    # public knowledge, enforced on the synthetic rows; the columns they fill in are never read.
    constraints: list | None = None
    # "spark": scan, protect and the DP domain run on Spark over every row, training on a
    # Poisson sample (synthrecords.spark.train); an execution choice, not saved with the model.
    engine: str = "pandas"
    spark_master: str | None = None  # default local[*], or SPARK_REMOTE
    # A total epsilon for the dataset across every fit, kept in a ledger file (see
    # synthrecords.privacy.budget); run-time choices, like engine, not saved with the model.
    dataset_budget: float | None = None
    budget_file: str | Path | None = None  # default budget.default_budget_file()
    allow_over_budget: bool = False

    @property
    def model_name(self) -> str:
        return self.model or ("dpctgan" if self.epsilon is not None else "gaussian_copula")

    # -- fit: everything that reads real data ---------------------------------------
    def fit(self, data: pd.DataFrame, *, dataset: pd.DataFrame | str | None = None) -> Synthesizer:
        """Learn from ``data``. ``dataset`` is the whole dataset (or its hash) the dataset
        budget is kept for: the pipeline passes the input before the holdout split; default ``data``."""
        if self.engine != LOCAL:
            if self.dataset_budget is not None or self.budget_file is not None:
                raise SynthRecordsError(f"a dataset budget is not kept with engine {self.engine} yet; fit with the "
                                        "pandas engine, or leave dataset_budget unset")
            if self.constraints:
                raise SynthRecordsError(f"constraints are not applied with engine {self.engine} yet; fit with the "
                                        "pandas engine, or leave constraints unset")
            return distributed_fit(self.engine)(self, data)
        prepared = prepare(data)  # awkward data handled and noted; unmodellable data refused
        data = prepared.data
        constraints = ConstraintSet.of(self.constraints)
        constraints.check(list(data.columns))
        if self.target in constraints.filled:
            raise SynthRecordsError(f"target column {self.target!r} is filled in by a constraint, so it is not "
                                    "modelled; choose a modelled target or drop the constraint")
        order = list(data.columns)
        data = data.drop(columns=constraints.filled)  # public structure: those values are never read
        # Settings are checked before any real data is read.
        if self.target is not None and self.target not in data.columns:
            raise SynthRecordsError(f"target column {self.target!r} is not in the data; choose one of {list(data.columns)}")
        if len(data) < MIN_ROWS:
            raise SynthRecordsError(f"the data has {len(data)} rows; a model needs at least {MIN_ROWS} (with fewer "
                                    "it can only repeat them); give more rows")
        # Refitting composes with what earlier fits spent: the ledger says so.
        ledger = getattr(self, "ledger_", None) or PrivacyLedger(self.epsilon, self._delta(len(data)))
        engine = make_engine(self.model_name, self.epochs)
        if hasattr(engine, "target"):  # engines that weight the target in training (dpctgan)
            engine.target = self.target
        check_privacy(engine, ledger)
        budget = self._budget()
        if budget is not None:
            from .privacy.budget import dataset_sha256

            dataset = dataset_sha256(data if dataset is None else dataset) if not isinstance(dataset, str) else dataset
            budget.check(dataset, self.epsilon)
        policy = self.pii_policy or ProtectionPolicy()

        # Learned state is assigned only at the end: a failed (re)fit leaves the old model whole.
        pii = scan_pii(data, policy=policy, nlp_model=self.nlp_model, seed=self.seed or 0)
        protected = protect(data, pii, policy=policy)
        if protected.data.shape[1] == 0:
            raise SynthRecordsError("every column is a direct identifier or dropped; nothing is left to model")
        if self.target is not None and self.target not in protected.data.columns:
            raise SynthRecordsError(f"target column {self.target!r} was classified {pii[self.target].category} "
                                    f"and removed; keep it with pii columns = {{{self.target} = 'keep'}}")
        constraints.check(order, list(protected.data.columns))
        kinds = self._kinds(protected.data)
        ledger.start_fit()
        if ledger.is_private:  # every statistic the model sees is released under DP
            domain = release_domain(protected.data, ledger, kinds=kinds, public=self.public_domain,
                                    share=self.domain_share or DEFAULT_SHARE)
        else:
            domain = data_domain(protected.data, kinds)
        engine.fit(protected.data, domain, ledger, seed=self.seed)
        # Charged before any state is kept: a refused fit leaves no model behind.
        self.budget_ = None if budget is None else budget.charge(dataset, ledger, model=self.model_name)
        self.notes_: list[str] = prepared.notes
        self.timezones_: dict[str, str] = prepared.timezones
        self.pii_: PiiReport = pii
        # The release order keeps the filled-in columns where the input had them.
        column_order = [c for c in order if c in set(protected.column_order) | set(constraints.filled)]
        self.domain_: Domain = constraints.domain(domain, column_order) if constraints else domain
        self.constraints_ = constraints
        self.ledger_ = ledger
        self.engine_: Engine = engine
        self.fakes_: list[FakePlan] = protected.fakes
        self.column_order_: list[str] = column_order + [c for c in protected.column_order if c not in column_order]
        self.actions_: dict[str, str] = protected.actions
        self.training_rows_ = len(data)
        return self

    def _budget(self) -> DatasetBudget | None:
        if self.dataset_budget is None and self.budget_file is None:
            return None
        from .privacy.budget import DatasetBudget, default_budget_file

        return DatasetBudget(self.dataset_budget, Path(self.budget_file or default_budget_file()),
                             self.allow_over_budget)

    def _kinds(self, data: pd.DataFrame) -> dict[str, str] | None:
        """Declared column types; the target is made categorical (conditionable) when it is
        integer-coded, e.g. 0/1 or 1-5 classes, unless its type is declared."""
        kinds = dict(self.column_types or {})
        if self.target is not None and self.target not in kinds:
            kind, _ = infer_kind(data[self.target])
            values = pd.to_numeric(data[self.target], errors="coerce").dropna()
            if kind == "numerical" and len(values) and bool(((values % 1) == 0).all()):
                kinds[self.target] = "categorical"
        return kinds or None

    def _delta(self, rows: int) -> float | None:
        """Delta for the run: as given, else 1/(10 n); one at or above 1/n is refused."""
        if self.epsilon is None:
            return self.delta
        if rows <= 0:
            raise SynthRecordsError("the data has no rows; nothing to learn")
        if self.delta is None:
            return default_delta(rows)
        if self.delta >= 1 / rows:
            raise SynthRecordsError(f"delta={self.delta:g} is at least 1/rows (1/{rows}): such a delta lets a "
                                    f"mechanism publish a whole record; use delta below {1 / rows:.3g}, e.g. "
                                    f"{default_delta(rows):.3g} (the default)")
        return self.delta

    # -- sample: post-processing, no budget -------------------------------------------
    def sample(self, n: int | None = None, *, oversample: dict | None = None, conditions: dict | None = None,
               filter_rows: bool = False, seed: int | None = None, forbidden: dict[str, set] | None = None) -> pd.DataFrame:
        """``n`` synthetic rows in the input's column order, direct identifiers faked.

        ``oversample={"Status": {"bad": 0.5}}`` sets a class mix (several columns at once);
        ``conditions={"region": "west"}`` fixes values in every row; ``filter_rows`` drops and
        replaces rows that break a row-level expectation of the schema suite. ``forbidden``
        (real direct-identifier values, held in memory only) makes the fakes avoid every real
        value; the pipeline passes it when it has the real data.
        """
        return self.sample_with_report(n, oversample=oversample, conditions=conditions, filter_rows=filter_rows,
                                       seed=seed, forbidden=forbidden)[0]

    # ``filter_suites``: more suites (e.g. the user's business rules) whose row-level
    # expectations the filter applies too; they are public, so filtering stays post-processing.

    def sample_with_report(self, n: int | None = None, *, oversample: dict | None = None,
                           conditions: dict | None = None, filter_rows: bool = False, seed: int | None = None,
                           forbidden: dict[str, set] | None = None,
                           filter_suites: list | None = None) -> tuple[pd.DataFrame, SamplingReport]:
        """Like ``sample``, with the requested vs achieved mix, acceptance and filter rates."""
        self._check_fitted()
        n = n or self.training_rows_
        keep = None
        if filter_rows:
            from .validation.expectations import build_suite, rows_passing

            suites = [build_suite(self.domain_), *(filter_suites or [])]
            keep = lambda frame: rows_passing(frame, suites)
        constraints = getattr(self, "constraints_", None)
        engine = ConstrainedEngine(self.engine_, constraints, self.domain_) if constraints else self.engine_
        rows, report = sample_rows(engine, n, self.domain_, oversample=oversample, conditions=conditions,
                                   keep=keep, seed=seed)
        if constraints:
            report.constraints = engine.report()
        out = add_fakes(rows, self.fakes_, self.column_order_, seed=seed, forbidden=forbidden)
        return restore_timezones(out, getattr(self, "timezones_", {})), report

    def identifier_values(self, real: pd.DataFrame) -> dict[str, set]:
        """The real values of each direct-identifier column, for ``sample(forbidden=...)``.

        Re-drawing a fake that equals a real identifier depends on the real identifiers;
        this is outside the DP model (which never sees those columns) and is stated in the
        ledger note. It reveals at most that some value was re-drawn, never which.
        """
        return {c: set(real[c].dropna().astype(str)) for c in self.pii_.columns_in("direct") if c in real}

    def _check_fitted(self) -> None:
        if not hasattr(self, "engine_"):
            raise NotFittedError("this Synthesizer is not fitted: call fit(data) or Synthesizer.load(model_dir) first")

    # -- persistence: JSON + safetensors, written atomically ------------------------
    def params(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon, "delta": self.delta, "model": self.model_name, "epochs": self.epochs,
                "target": self.target, "column_types": self.column_types,
                "domain_share": self.domain_share, "public_domain": self.public_domain,
                "pii_policy": (self.pii_policy or ProtectionPolicy()).to_dict(),
                "nlp_model": self.nlp_model, "seed": self.seed,
                "constraints": ConstraintSet.of(self.constraints).to_dicts() or None}

    def save(self, folder: str | Path, *, overwrite: bool = False) -> Path:
        """Write the model folder atomically, with a manifest of every file's sha256.

        An existing folder is refused unless ``overwrite``; an interrupted save leaves none.
        """
        self._check_fitted()
        folder = Path(folder)
        with atomic_dir(folder, overwrite=overwrite) as tmp:
            self.engine_.save(tmp)
            state = {
                "format": MODEL_FORMAT, "synthrecords": __version__, "params": self.params(),
                "pii": self.pii_.to_dict(), "domain": self.domain_.to_dict(),
                "fakes": [f.to_dict() for f in self.fakes_], "column_order": self.column_order_,
                "actions": self.actions_, "training_rows": self.training_rows_,
                "notes": getattr(self, "notes_", []), "timezones": getattr(self, "timezones_", {}),
                "dataset_budget": getattr(self, "budget_", None),
            }
            (tmp / "synthesizer.json").write_text(json.dumps(state, indent=2, default=str))
            (tmp / "ledger.json").write_text(json.dumps(self.ledger_.to_dict(), indent=2))
            files = {p.relative_to(tmp).as_posix(): file_sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
            (tmp / MANIFEST).write_text(json.dumps({"format": MODEL_FORMAT, "files": files}, indent=2))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Synthesizer:
        """Read a model folder; every file is checked against the manifest before use."""
        folder = Path(folder)
        verify_model_folder(folder)
        try:
            state = json.loads((folder / "synthesizer.json").read_text())
            ledger = json.loads((folder / "ledger.json").read_text())
        except (OSError, ValueError) as exc:
            raise SynthRecordsError(f"{folder} is not a synthrecords model folder ({exc}); create one with `synthrecords fit`") from None
        if state.get("format") != MODEL_FORMAT:
            raise SynthRecordsError(f"{folder}: model format {state.get('format')!r} is not {MODEL_FORMAT!r}")
        params = dict(state["params"])
        params["pii_policy"] = ProtectionPolicy.from_dict(params["pii_policy"])
        synth = cls(**params)
        synth.pii_ = PiiReport.from_dict(state["pii"])
        synth.domain_ = Domain.from_dict(state["domain"])
        synth.fakes_ = [FakePlan.from_dict(f) for f in state["fakes"]]
        synth.column_order_ = state["column_order"]
        synth.actions_ = state["actions"]
        synth.training_rows_ = state["training_rows"]
        synth.notes_ = state.get("notes", [])
        synth.timezones_ = state.get("timezones", {})
        synth.ledger_ = PrivacyLedger.from_dict(ledger)
        synth.engine_ = load_engine(folder)
        synth.constraints_ = ConstraintSet.of(params.get("constraints"))
        return synth


def verify_model_folder(folder: Path) -> None:
    """Check every file of a model folder against its manifest (sha256), naming any that differ."""
    if not folder.is_dir():
        raise SynthRecordsError(f"model folder {folder} not found; create one with `synthrecords fit --out {folder}`")
    try:
        files = json.loads((folder / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SynthRecordsError(f"{folder / MANIFEST} is missing or unreadable ({type(exc).__name__}); the folder was "
                                "not written by this version of synthrecords or was altered; fit the model again") from None
    for name, digest in files.items():
        path = folder / name
        if ".." in Path(name).parts or not path.is_file():
            raise SynthRecordsError(f"{path} is listed in the manifest but missing; the model folder is incomplete; "
                                    "fit the model again")
        if file_sha256(path) != digest:
            raise SynthRecordsError(f"{path} does not match its sha256 in {MANIFEST}: the file was changed or truncated "
                                    "after saving; restore it or fit the model again")
