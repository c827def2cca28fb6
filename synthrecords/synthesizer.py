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
from .models.choice import AUTO, ModelChoice, choose_model
from .models.modelfolder import verify_model_folder, write_manifest
from .models.train import Engine, check_privacy, load_engine, make_engine
from .pii.policy import ProtectionPolicy
from .pii.protect import FakePlan, add_fakes, protect
from .pii.scan import PiiReport, scan_pii
from .privacy.domain import DEFAULT_SHARE, release_domain
from .privacy.hierarchy import POSTCODE_NAME, POSTCODE_RULE
from .privacy.hierarchy import parse as parse_hierarchy
from .privacy.ledger import PrivacyLedger
from .privacy.rowcount import RowCount, default_delta, release_row_count
from .progress import stage
from .read import NUMBER_FORM, prepare, restore_types
from .resources import check_rows_fit, row_bytes
from .sample import SamplingReport, sample_rows

if TYPE_CHECKING:
    from .privacy.budget import DatasetBudget

log = logging.getLogger(__name__)
MODEL_FORMAT = "synthrecords-model/1"
MIN_ROWS = 10


def _check_public(data: pd.DataFrame, public: dict[str, dict[str, Any]] | None, private: bool) -> None:
    """Say when a declared public domain has no effect or does not fit the data. Logged for the
    data owner at fit time, never written into the release (it reads real values)."""
    if not public:
        return
    if not private:
        log.warning("public domains (%s) are used only with an epsilon; without one the domain is read off the "
                    "data and the declaration has no effect", ", ".join(public))
        return
    for column, declared in public.items():
        if column not in data.columns or "categories" not in declared:
            continue
        known = {_key(v) for v in declared["categories"]}
        values = data[column].dropna()
        outside = int((~values.map(_key).isin(known)).sum())
        if outside:  # a share, no value: logs travel further than the owner's terminal
            log.warning("public categories of %r leave out %.1f%% of its rows: those rows become 'other' in the "
                        "model; declare every category the column can hold", column, 100 * outside / len(values))


def _check_relabelled(constraints: ConstraintSet, relabelled: list[str]) -> None:
    """A derived column or an inequality computes with a column's values; once `generalise` has
    turned them into labels ("1984-07", "30-39") it cannot. A lookup anchor reads labels as a DP
    release writes them, so hierarchies still work."""
    for k in constraints.constraints if constraints else []:
        read = [c for c in k.reads() if c in relabelled] if k.kind in ("derived", "inequality") else []
        if read:
            raise SynthRecordsError(f"{k.name} computes with {read[0]!r}, which the generalise action turns into labels; "
                                    f"keep that column (pii columns = {{{read[0]} = \"keep\"}}) or drop the constraint")


def _checked_dtypes(dtypes: Any, folder: Path) -> dict[str, str]:
    """A saved model's column types: names to one of the kinds ``read.restore_types`` knows."""
    kinds = ("bool", "int", "float", "datetime")
    known = lambda k: isinstance(k, str) and (k in kinds or NUMBER_FORM.match(k) is not None)
    if not isinstance(dtypes, dict) or not all(isinstance(c, str) and known(k) for c, k in dtypes.items()):
        raise SynthRecordsError(f"{folder / 'synthesizer.json'}: 'dtypes' must map column names to one of "
                                f"{', '.join(kinds)} or a number form; the folder was altered; fit the model again")
    return dtypes


def _key(value: Any) -> str:
    """1, 1.0 and "1" compare equal; text stays text."""
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        return str(value)


@dataclass
class Synthesizer:
    epsilon: float | None = None
    delta: float | None = None
    # default: "auto" with epsilon (marginals or dpctgan by the released domain's shape,
    # models.choice; the choice and its reason in ``model_choice_``), gaussian_copula without
    model: str | None = None
    epochs: int | None = None
    target: str | None = None
    column_types: dict[str, str] | None = None
    # Under DP: share of epsilon spent on releasing the domain, and column domains the
    # user vouches are public ({"age": {"lower": 0, "upper": 120}}), which cost nothing.
    domain_share: float | None = None  # default dp_domain.DEFAULT_SHARE
    public_domain: dict[str, dict[str, Any]] | None = None
    # Public generalisation hierarchies of categorical columns, used under DP: a rule
    # ("prefix 3, prefix 1"), a lookup CSV path (value,parent,...) or a DataFrame; columns
    # named like a postcode get "prefix 3, prefix 1" unless declared (privacy.hierarchy).
    hierarchy: dict[str, Any] | None = None
    # Public domains read from the job's expectation suites (between bounds, value sets):
    # applied to modelled columns that public_domain does not declare.
    suite_domain: dict[str, dict[str, Any]] | None = None
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
    # Where the torch engines compute: "auto" (CUDA when present), "cpu" or "cuda"; a run-time
    # choice, like engine: not saved with the model, which always loads on the CPU.
    device: str = "auto"
    # A total epsilon for the dataset across every fit, kept in a ledger file (see
    # synthrecords.privacy.budget); run-time choices, like engine, not saved with the model.
    dataset_budget: float | None = None
    budget_file: str | Path | None = None  # default budget.default_budget_file()
    allow_over_budget: bool = False
    dataset_id: str | None = None  # names the dataset for the budget; default: a hash of its values
    # Opacus secure_mode for dpctgan's DP-SGD (floating-point-safe noise, OS randomness); slower
    secure: bool = False

    @property
    def requested_model(self) -> str:
        """What was asked for: the model named, else "auto" with an epsilon (the released
        domain's shape picks marginals or dpctgan, ``models.choice``), else gaussian_copula."""
        return self.model or (AUTO if self.epsilon is not None else "gaussian_copula")

    @property
    def model_name(self) -> str:
        """The engine: the one chosen by "auto" once fitted (before that, "auto")."""
        choice = getattr(self, "model_choice_", None)
        if self.requested_model == AUTO and choice is not None:
            return choice.choice
        return self.requested_model

    def model_report(self) -> dict[str, Any]:
        """report.json's "model": the engine, what was asked for, and why "auto" chose it."""
        choice = getattr(self, "model_choice_", None)
        out = {"name": self.model_name, "requested": self.model or "default"}
        return {**out, "choice": choice.choice, "reason": choice.reason} if choice is not None else out

    def _engine(self, name: str, ledger: PrivacyLedger) -> Engine:
        engine = make_engine(name, self.epochs)
        if hasattr(engine, "target"):  # engines that use the target in training (dpctgan, marginals)
            engine.target = self.target
        if self.secure:
            if not hasattr(engine, "secure"):
                raise SynthRecordsError(f"secure mode hardens DP-SGD's noise; model {name} has none: use "
                                        "model dpctgan with an epsilon, or leave secure off")
            engine.secure = True
        engine.device = self.device
        check_privacy(engine, ledger)
        return engine

    def _chosen(self, engine: Engine | None, domain: Domain, ledger: PrivacyLedger) -> tuple[Engine, ModelChoice | None]:
        """The engine built before the fit, or for "auto" (``engine`` None) the one its choice
        names, read off the released domain (both fits)."""
        if engine is not None:
            return engine, None
        choice = choose_model(domain, secure=self.secure)
        log.info("model auto: %s (%s)", choice.choice, choice.reason)
        return self._engine(choice.choice, ledger), choice

    def _declared(self, columns: list[str]) -> ConstraintSet:
        """The declared constraints, checked against the input's columns (both engines' fits)."""
        constraints = ConstraintSet.of(self.constraints)
        constraints.check(columns)
        if self.target in constraints.filled:
            raise SynthRecordsError(f"target column {self.target!r} is filled in by a constraint, so it is not "
                                    "modelled; choose a modelled target or drop the constraint")
        return constraints

    # -- fit: everything that reads real data ---------------------------------------
    def fit(self, data: pd.DataFrame, *, dataset: pd.DataFrame | str | None = None) -> Synthesizer:
        """Learn from ``data``. ``dataset`` is the whole dataset (or its hash) the dataset
        budget is kept for: the pipeline passes the input before the holdout split; default ``data``."""
        from .models.device import resolve_device

        resolve_device(self.device)  # a bad device, or cuda without a GPU, fails before any data is read
        if self.engine != LOCAL:
            if self.dataset_budget is not None or self.budget_file is not None:
                raise SynthRecordsError(f"a dataset budget is not kept with engine {self.engine} yet; fit with the "
                                        "pandas engine, or leave dataset_budget unset")
            policy = self.pii_policy or ProtectionPolicy()
            if self.epsilon is None and policy.generalises:
                raise SynthRecordsError(f"the generalise action without an epsilon runs on the pandas engine only, not "
                                        f"{self.engine}; use engine pandas, set an epsilon, or keep/drop those columns")
            return distributed_fit(self.engine)(self, data)
        prepared = prepare(data)  # awkward data handled and noted; unmodellable data refused
        data = prepared.data
        constraints = self._declared(list(data.columns))
        order = list(data.columns)
        data = data.drop(columns=constraints.filled)  # public structure: those values are never read
        # Settings are checked before any real data is read.
        if self.target is not None and self.target not in data.columns:
            raise SynthRecordsError(f"target column {self.target!r} is not in the data; choose one of {list(data.columns)}")
        if len(data) < MIN_ROWS:
            raise SynthRecordsError(f"the data has {len(data)} rows; a model needs at least {MIN_ROWS} (with fewer "
                                    "it can only repeat them); give more rows")
        # Refitting composes with what earlier fits spent: the ledger says so. A new ledger's
        # default delta is set from the released row count (release_row_count, below).
        fresh = getattr(self, "ledger_", None) is None
        ledger = getattr(self, "ledger_", None) or PrivacyLedger(self.epsilon, self._delta(len(data)))
        # "auto" builds its engine once the domain is released (the choice reads its shape); both
        # candidates are DP engines, so the privacy check holds for either.
        engine = None if self.requested_model == AUTO else self._engine(self.model_name, ledger)
        budget = self._budget()
        if budget is not None:
            from .privacy.budget import dataset_sha256, legacy_dataset_sha256

            source, aliases = (data if dataset is None else dataset), ()
            if self.dataset_id is not None:  # a name the user gave holds across edits of the data
                dataset = self.dataset_id
            elif not isinstance(source, str):  # budgets kept under the older identity still count
                dataset, aliases = dataset_sha256(source), (legacy_dataset_sha256(source),)
            budget.check(dataset, self.epsilon, aliases=aliases)
        policy = self.pii_policy or ProtectionPolicy()

        # Learned state is assigned only at the end: a failed (re)fit leaves the old model whole.
        pii = scan_pii(data, policy=policy, nlp_model=self.nlp_model, seed=self.seed or 0)
        protected = protect(data, pii, policy=policy, own_row=ledger.is_private,  # one record, one row
                            private=ledger.is_private, hierarchies=self._levels(data, policy, ledger.is_private),
                            kinds=self.column_types)
        if protected.data.shape[1] == 0:
            raise SynthRecordsError("every column is a direct identifier or dropped; nothing is left to model")
        if self.target is not None and self.target not in protected.data.columns:
            raise SynthRecordsError(f"target column {self.target!r} was classified {pii[self.target].category} "
                                    f"and removed; keep it with pii columns = {{{self.target} = 'keep'}}")
        constraints.check(order, list(protected.data.columns))
        relabelled = [c for c, g in protected.generalised.items() if g.changed]
        _check_relabelled(constraints, relabelled)
        # a generalised column holds labels ("1984-07", "30-39", "221**"): categories, whatever it was
        kinds = {**(self._kinds(protected.data) or {}), **dict.fromkeys(relabelled, "categorical")} or None
        _check_public(protected.data, self.public_domain, ledger.is_private)
        ledger.start_fit()
        # Under DP the row count is released first; every later use of n reads that count.
        rows = (release_row_count(len(protected.data), ledger, set_delta=fresh and self.delta is None)
                if ledger.is_private else RowCount(len(protected.data)))
        with stage("domain"):
            if ledger.is_private:  # every statistic the model sees is released under DP
                domain = release_domain(protected.data, ledger, kinds=kinds, rows=rows,
                                        public=self._public(protected.data, kinds),
                                        share=self.domain_share or DEFAULT_SHARE,
                                        hierarchy=self._hierarchy(protected.data, kinds),
                                        anchored=[self.target] if self.target is not None else ())
                self._check_target_classes(domain)
            else:
                domain = data_domain(protected.data, kinds)
                for column, done in protected.generalised.items():  # the report's granularity, as under DP
                    domain[column].granularity = done.granularity
        engine, choice = self._chosen(engine, domain, ledger)
        with stage(f"train {engine.name}"):
            engine.fit(protected.data, domain, ledger, seed=self.seed)
        # Charged before any state is kept: a refused fit leaves no model behind.
        self.budget_ = None if budget is None else budget.charge(dataset, ledger, model=engine.name, aliases=aliases)
        self.model_choice_ = choice
        self.notes_: list[str] = prepared.notes
        self.timezones_: dict[str, str] = prepared.timezones
        self.dtypes_: dict[str, str] = prepared.dtypes
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
        self.training_rows_ = rows.rows  # the released count under DP: the default number of synthetic rows
        return self

    def _public(self, data: pd.DataFrame, kinds: dict[str, str] | None) -> dict[str, dict[str, Any]] | None:
        """Declared public domains, plus the suites' rules for modelled columns they fit: value
        sets for categories, bounds for numbers, dates and integer codes."""
        suites = {}
        for name, spec in (self.suite_domain or {}).items():
            if name not in data.columns:
                continue
            kind = (kinds or {}).get(name) or infer_kind(data[name])[0]
            numeric = pd.api.types.is_numeric_dtype(data[name]) and not pd.api.types.is_bool_dtype(data[name])
            fits = ("categories" in spec and kind == "categorical") or ("lower" in spec and (
                kind in ("numerical", "datetime")
                or (kind == "categorical" and numeric and all(float(spec[b]).is_integer() for b in ("lower", "upper")))))
            if fits:
                suites[name] = spec
        return {**suites, **(self.public_domain or {})} or None

    def _hierarchy(self, data: pd.DataFrame, kinds: dict[str, str] | None) -> dict[str, Any] | None:
        """Declared hierarchies plus the built-in one of text columns named like a postcode."""
        out = dict(self.hierarchy or {})
        declared = set(self.public_domain or {}) | set(self.suite_domain or {})
        for name in data.columns:
            if name in out or name in declared or not POSTCODE_NAME.search(str(name)):
                continue
            kind = (kinds or {}).get(name) or infer_kind(data[name])[0]
            if kind == "categorical" and not pd.api.types.is_numeric_dtype(data[name]):
                out[name] = POSTCODE_RULE
        return out or None

    def _levels(self, data: pd.DataFrame, policy: ProtectionPolicy, private: bool) -> dict[str, list] | None:
        """Parsed hierarchies for the `generalise` action (declared, or the built-in postcode rule);
        None under DP, where the domain release generalises, or when no column is generalised."""
        if private or not policy.generalises:
            return None
        declared = self._hierarchy(data, self._kinds(data)) or {}
        return {c: parse_hierarchy(c, spec) for c, spec in declared.items() if c in data.columns} or None

    def _check_target_classes(self, domain: Domain) -> None:
        """A target whose classes did not all survive the release is refused: a model that
        never emits the rare class is worse than no model. Reads released figures only."""
        if self.target is None or self.target not in domain.names:
            return
        col = domain[self.target]
        other = next((g["share"] for g in col.granularity or [] if g["level"] == "other"), 0.0)
        if col.kind == "categorical" and (len(col.categories or []) < 2 or other > 0.0):
            lost = f"{other:.1%} of its rows" if other > 0 else "all but one class"
            raise SynthRecordsError(
                f"target {self.target!r}: {lost} hold classes too rare to release under DP at epsilon "
                f"{self.epsilon:g}, so the model could never produce them. Declare its labels public, e.g. "
                f"public_domain={{{self.target!r}: {{'categories': [...]}}}} ([columns.public] {self.target} = "
                "{ categories = [...] } in a job file), or raise epsilon or the domain share")

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
        """Delta for the run: as given, else 1/(10 n); one at or above 1/n is refused. Under DP
        with no delta given, a first fit replaces this one with 1/(10 n) from the released row
        count before any conversion (privacy.rowcount); the Spark path keeps it."""
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
               filter_rows: bool = False, seed: int | None = None, forbidden: dict[str, set] | None = None,
               fake_seed: int | None = None) -> pd.DataFrame:
        """``n`` synthetic rows in the input's column order, direct identifiers faked.

        ``oversample={"Status": {"bad": 0.5}}`` sets a class mix (several columns at once);
        ``conditions={"region": "west"}`` fixes values in every row; ``filter_rows`` drops and
        replaces rows that break a row-level expectation of the schema suite. ``seed`` makes
        the modelled columns reproducible; faked identifiers are drawn from a secret seed
        (fresh each call) unless ``fake_seed`` is given: keep that one private, as anyone with
        it can replay the fakes. ``forbidden`` is deprecated and ignored (fakes never need
        the real values: see synthrecords.pii.fakes).
        """
        return self.sample_with_report(n, oversample=oversample, conditions=conditions, filter_rows=filter_rows,
                                       seed=seed, forbidden=forbidden, fake_seed=fake_seed)[0]

    # ``filter_suites``: more suites (e.g. the user's business rules) whose row-level
    # expectations the filter applies too; they are public, so filtering stays post-processing.

    def sample_with_report(self, n: int | None = None, *, oversample: dict | None = None,
                           conditions: dict | None = None, filter_rows: bool = False, seed: int | None = None,
                           forbidden: dict[str, set] | None = None,
                           filter_suites: list | None = None,
                           fake_seed: int | None = None) -> tuple[pd.DataFrame, SamplingReport]:
        """Like ``sample``, with the requested vs achieved mix, acceptance and filter rates."""
        self._check_fitted()
        n = n or self.training_rows_
        # Up front, not after minutes of sampling: the peak of n rows must fit in memory.
        check_rows_fit(n, row_bytes([c.kind for c in self.domain_] + ["fake"] * len(self.fakes_)))
        keep = None
        if filter_rows:
            from .validation.expectations import build_suite, rows_passing

            suites = [build_suite(self.domain_), *(filter_suites or [])]
            keep = lambda frame: rows_passing(frame, suites)
        if hasattr(self.engine_, "device"):  # where dpctgan samples: this run's choice
            self.engine_.device = self.device
        with stage("sample", total=n, unit="rows") as progress:
            constraints = getattr(self, "constraints_", None)
            engine = ConstrainedEngine(self.engine_, constraints, self.domain_) if constraints else self.engine_
            rows, report = sample_rows(engine, n, self.domain_, oversample=oversample, conditions=conditions,
                                       keep=keep, seed=seed)
            if constraints:
                report.constraints = engine.report()
            out = add_fakes(rows, self.fakes_, self.column_order_, fake_seed=fake_seed, forbidden=forbidden)
            progress.update(done=len(out))
        return restore_types(out, getattr(self, "timezones_", {}), getattr(self, "dtypes_", {})), report

    def identifier_values(self, real: pd.DataFrame) -> dict[str, set]:
        """The real values of each direct-identifier column, held in memory by the owner-side
        validation so that no example it shows is a real identifier (``validate(withheld=)``).
        Fakes never use them."""
        return {c: set(real[c].dropna().astype(str)) for c in self.pii_.columns_in("direct") if c in real}

    def _check_fitted(self) -> None:
        if not hasattr(self, "engine_"):
            raise NotFittedError("this Synthesizer is not fitted: call fit(data) or Synthesizer.load(model_dir) first")

    # -- persistence: JSON + safetensors, written atomically ------------------------
    def params(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon, "delta": self.delta, "model": self.requested_model,
                "epochs": self.epochs,
                "target": self.target, "column_types": self.column_types,
                "domain_share": self.domain_share, "public_domain": self.public_domain,
                "hierarchy": {c: h if isinstance(h, str) else parse_hierarchy(c, h)
                              for c, h in (self.hierarchy or {}).items()} or None,
                "suite_domain": self.suite_domain,
                "pii_policy": (self.pii_policy or ProtectionPolicy()).to_dict(),
                "nlp_model": self.nlp_model, "seed": self.seed, "secure": self.secure,
                "constraints": ConstraintSet.of(self.constraints).to_dicts() or None}

    def save(self, folder: str | Path, *, overwrite: bool = False) -> Path:
        """Write the model folder atomically, with a manifest of every file's sha256 (signed when
        ``SYNTHRECORDS_MODEL_KEY`` is set).

        An existing folder is refused unless ``overwrite``; an interrupted save leaves none.
        """
        self._check_fitted()
        folder = Path(folder)
        with atomic_dir(folder, overwrite=overwrite) as tmp:
            self.engine_.save(tmp)
            state = {
                "format": MODEL_FORMAT, "synthrecords": __version__, "params": self.params(),
                # A model folder is shared: PII decisions without the statistics behind them.
                "pii": self.pii_.to_dict(statistics=False), "domain": self.domain_.to_dict(),
                "fakes": [f.to_dict() for f in self.fakes_], "column_order": self.column_order_,
                "actions": self.actions_, "training_rows": self.training_rows_,
                "model_choice": None if getattr(self, "model_choice_", None) is None else self.model_choice_.to_dict(),
                "notes": getattr(self, "notes_", []), "timezones": getattr(self, "timezones_", {}),
                "dtypes": getattr(self, "dtypes_", {}),
            }  # the dataset budget (it names the input's sha256) stays in the owner's budget file
            (tmp / "synthesizer.json").write_text(json.dumps(state, indent=2, default=str))
            (tmp / "ledger.json").write_text(json.dumps(self.ledger_.to_dict(), indent=2))
            write_manifest(tmp, MODEL_FORMAT)
        return folder

    @classmethod
    def load(cls, folder: str | Path, *, device: str = "auto") -> Synthesizer:
        """Read a model folder; every file is checked against the manifest before use.
        ``device``: where sampling computes (see ``device`` above)."""
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
        if unknown := sorted(set(params) - set(cls().params())):  # only what save writes reaches the constructor
            raise SynthRecordsError(f"{folder / 'synthesizer.json'} sets {unknown[0]!r}, which a saved model never "
                                    "holds; the folder was altered; fit the model again")
        params["pii_policy"] = ProtectionPolicy.from_dict(params["pii_policy"])
        synth = cls(**params, device=device)
        synth.pii_ = PiiReport.from_dict(state["pii"])
        synth.domain_ = Domain.from_dict(state["domain"])
        synth.fakes_ = [FakePlan.from_dict(f) for f in state["fakes"]]
        synth.column_order_ = state["column_order"]
        synth.actions_ = state["actions"]
        synth.training_rows_ = state["training_rows"]
        choice = state.get("model_choice")
        synth.model_choice_ = None if choice is None else ModelChoice(str(choice["requested"]), str(choice["choice"]),
                                                                      str(choice["reason"]))
        synth.notes_ = state.get("notes", [])
        synth.timezones_ = state.get("timezones", {})
        synth.dtypes_ = _checked_dtypes(state.get("dtypes", {}), folder)  # folders saved before: no types kept
        synth.ledger_ = PrivacyLedger.from_dict(ledger)
        synth.engine_ = load_engine(folder)
        synth.constraints_ = ConstraintSet.of(params.get("constraints"))
        return synth
