"""What every run of a job shares, whichever engine runs it (pandas or Spark): the Synthesizer
a job asks for, the result a run returns, the privacy scope it states and the checks on the
files ``validate`` is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .config import JobConfig
from .errors import SynthRecordsError
from .pii.leakage import LeakageCheck
from .pii.policy import ProtectionPolicy
from .synthesizer import Synthesizer


@dataclass
class RunResult:
    synthetic: pd.DataFrame
    report: dict[str, Any]
    synthesizer: Synthesizer
    leakage: LeakageCheck
    out_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, Any]:
        return self.report["summary"]

    def to_dict(self) -> dict[str, Any]:
        return self.report


def synthesizer_from(job: JobConfig, suite_domain: dict[str, dict[str, Any]] | None = None) -> Synthesizer:
    """The job's Synthesizer; ``suite_domain``: public domains read from its expectation suites."""
    pii = job.pii
    policy = ProtectionPolicy(direct=pii.direct, free_text=pii.free_text, quasi=pii.quasi,
                              columns=dict(pii.columns), min_count=pii.min_count)
    return Synthesizer(epsilon=job.privacy.epsilon, delta=job.privacy.delta, model=job.model.name,
                       epochs=job.model.epochs, target=job.model.target, column_types=dict(job.columns.types) or None,
                       domain_share=job.privacy.domain_share,
                       public_domain={c: d.to_spec() for c, d in job.columns.public.items()} or None,
                       hierarchy=dict(job.columns.hierarchy) or None, suite_domain=suite_domain or None,
                       pii_policy=policy, nlp_model=pii.nlp_model, seed=job.model.seed,
                       engine=job.model.engine, spark_master=job.model.spark_master, device=job.model.device,
                       dataset_budget=job.privacy.dataset_budget, budget_file=job.privacy.budget_file,
                       allow_over_budget=job.privacy.allow_over_budget, dataset_id=job.privacy.dataset_id,
                       secure=job.privacy.secure,
                       constraints=job_constraints(job) or None)


def job_constraints(job: JobConfig) -> list:
    """The job's [constraints] as constraint objects (lookups read now, so they are saved with the model)."""
    from .constraints import Derived, Inequality, constraints_from_suite, hierarchy

    spec = job.constraints
    out: list = [hierarchy(h.columns, h.lookup, anchor=h.anchor, weight=h.weight) for h in spec.hierarchy]
    out += [hierarchy(f.columns, f.lookup, anchor=f.anchor, kind="fixed_combinations", weight=f.weight)
            for f in spec.fixed_combinations]
    out += [Inequality(i.column, i.at_least, i.at_most, i.strict, i.repair) for i in spec.inequality]
    if spec.from_suites:
        from .validation.expectations import load_suite

        filled = {c for k in out for c in k.writes()} | set(spec.derived)
        # a suite's rule on a column a constraint fills in is already met by construction, or is the formula's
        out += [c for path in job.validate_.suites for c in constraints_from_suite(load_suite(path))
                if not filled & set(c.reads())]
    return out + [Derived(column, formula) for column, formula in spec.derived.items()]


def privacy_scope(synth: Synthesizer) -> list[str]:
    """What the (epsilon, delta) covers and, exactly, what reads real data outside it.

    The same list is README's "What epsilon covers"; share/ holds nothing else."""
    from .models.train import GUARANTEES

    if not synth.ledger_.is_private:
        return [(f"model {synth.model_name}: {GUARANTEES[synth.model_name]}; no epsilon was set, so nothing is "
                "covered by a formal guarantee."), *_declared_scope(synth)]
    kinds = _schema_read(synth)
    released = synth.ledger_.rows is not None  # None: a model fitted before the count was released
    count = ("the row count (one noisy count, its own entry; the default delta, the DP-SGD sample rate and steps, the "
             "domain's 'other' mass and, unless [output] rows is set, the number of synthetic rows come from it), "
             if released else "")
    exact = ("" if released else "the row count (it sets the default delta, the DP-SGD sample rate and steps, the "
             "ledger's details and, unless [output] rows is set, the number of synthetic rows), ")
    return [
        (f"Covered by the ledger: {count}the modelled columns' domain (categories, ranges, frequencies, histograms "
        "and the levels of public hierarchies: one Gaussian mechanism, categories thresholded), the noisy two-way "
        "tables of column pairs (one Gaussian mechanism) and every DP-SGD step of the discriminator; the generator, "
        "the encoders and the conditional sampler use only those releases. Sampling is post-processing."),
        (f"Neighbouring datasets differ by adding or removing one record. Read outside the ledger, as schema: {exact}"
        f"column names, the type each column was read with, which sampled columns are given back in (a CSV column "
        f"is numeric when every value parses as a number, and integer or boolean only when no value is empty), "
        f"and {kinds}. One record can flip any of these; declare [columns] types and public domains "
        "(integer, decimals, datetime_format, categories or bounds) to make them public input."),
        ("Read outside the ledger, by the PII stage: the column classification (share/pii.json: which columns are "
        "identifiers, entity types, actions; the evidence and confidence behind it stay in owner/pii.json) and "
        "the shapes of identifier columns used for fakes (locale, format, variant and null shares and letter "
        "case, each kept only for a group of at least 10 rows: a floor, not DP). Identifier values are never "
        "modelled and fakes never depend on them: invented names, value spaces no real identifier occupies where "
        "one exists, a secret seed; formats without such a space (e.g. customer numbers) are drawn uniformly, and the leakage check "
        "counts their chance equalities with real values. Free text is redacted with each row's own identifiers "
        "plus NER and patterns only."),
        ("Not in share/: the validation figures against real rows (fidelity, utility, privacy metrics, leakage check, "
        "expectations on real rows), the PII evidence, the input's path, size and sha256, the stage timings and the "
        "dataset budget: they are in owner/, which is not for sharing. share/ holds the synthetic rows, this "
        "ledger, the PII actions, the expectation outcomes on synthetic rows and the sampling figures, and the "
        "time the release was written (a run takes longer on more rows: with its start time it hints at the size)."),
        *_declared_scope(synth),
    ]


def _schema_read(synth: Synthesizer) -> str:
    """Which facts about column kinds were read off the values, per column (declarations excepted)."""
    types, public = synth.column_types or {}, synth.public_domain or {}
    declared = lambda c, key: key in public.get(c, {})
    constraints = getattr(synth, "constraints_", None)
    modelled = [c for c in synth.domain_ if c.name not in (constraints.filled if constraints else ())]
    inferred = [c.name for c in modelled if c.name not in types and not c.hierarchy and not declared(c.name, "kind")]
    integer = [c.name for c in modelled if c.kind == "numerical" and not declared(c.name, "integer")]
    dates = [c.name for c in modelled if c.kind == "datetime" and not declared(c.name, "datetime_format")]
    codes = [c.name for c in modelled if c.kind == "categorical" and c.source != "public"]
    forms = [c.name for c in modelled if str(getattr(synth, "dtypes_", {}).get(c.name, "")).startswith("number:")]
    read = [(inferred, ("the type (numbers: integers with at most 10 distinct values are categorical, and so is an "
                       "integer target; text: dates when 99 % of the first 500 values parse in one format)")),
            (integer, ("whether every value is an integer (then whether all lie within 1900-2100: years, counted "
                       "on 5-year bins and, finer, a bin a year), and the decimals (up to 6) of those that are not")),
            (dates, "the date format"),
            (codes, ("whether they hold at most 20 distinct integers (as numbers, or as text written as plain "
                    "integers, behind one prefix or with zeros in front to one width), all within -1..20 (then codes "
                    "counted on that public grid)")),
            (forms, ("that every value is a number written for people, and its form (currency or percent sign, "
                     "thousands separators, decimals), in which the synthetic values are written"))]
    out = [f"of {', '.join(names)}: {what}" for names, what in read if names]
    return "; ".join(out) if out else "nothing else: every modelled column's type and format was declared"


def _declared_scope(synth: Synthesizer) -> list[str]:
    constraints = getattr(synth, "constraints_", None)
    if not constraints:
        return []
    return [(f"Declared by the user, public input, not read from the data: {', '.join(constraints.filled) or 'no'} "
             "column(s) filled in on the synthetic rows, and the rules "
             f"{'; '.join(k.name for k in constraints.constraints)} (synthrecords.constraints). Post-processing.")]


def check_copies(privacy: Any, train: pd.DataFrame | None = None, *, repeat_share: float | None = None) -> None:
    """Refuse a release whose rows copy training rows far more often than chance gives.

    Chance: the share of holdout rows equal to some training row (real rows repeat anyway,
    more so in low-cardinality tables); without a holdout, the share of training rows that
    repeat another one (``repeat_share`` when the caller counted it, as Spark does over every
    row; else read off ``train``). Far above: more than 5 points plus twice that share.
    Shared by the pandas and Spark runs.
    """
    share = privacy.exact_match_share
    if share is None or not privacy.columns:
        return
    chance = privacy.holdout_exact_match_share
    basis = "holdout rows equal to a training row"
    if chance is None:
        if repeat_share is not None:
            chance = repeat_share
        else:
            chance = float(train[privacy.columns].astype(str).duplicated(keep=False).mean()) if len(train) else 0.0
        basis = "training rows repeating another"
    if share > 0.05 + 2 * chance:
        raise SynthRecordsError(
            f"{share:.1%} of the synthetic rows are exact copies of a training row, against {chance:.1%} by chance "
            f"({basis}); nothing was released; check that the input was read as intended (delimiter, one value "
            "per column), drop columns that identify a row, or train with an epsilon (a DP model)")


def check_target(target: str | None, columns: Any, path: Path) -> None:
    if target is not None and target not in columns:
        raise SynthRecordsError(f"target column {target!r} is not in {path}; pass one of its columns "
                                f"with --target: {', '.join(map(str, columns))}")


def model_evidence(model_dir: Path, target: str | None) -> tuple[Any, Any, dict, str, str | None, list]:
    """What validation takes from a fitted model: domain, PII report, ledger, model name,
    target (the one given, else the model's) and fake plans."""
    fitted = Synthesizer.load(model_dir)
    return (fitted.domain_, fitted.pii_, fitted.ledger_.to_dict(), fitted.model_name, target or fitted.target,
            fitted.fakes_)


def check_compared(names: list[str], **frames: Any) -> None:
    """Every compared column in each given table (pandas or Spark); None tables are skipped."""
    for label, frame in frames.items():
        lacking = [] if frame is None else [c for c in names if c not in frame.columns]
        if lacking:
            raise SynthRecordsError(f"the {label} file lacks the compared columns {lacking}; "
                                    f"give a file with the same columns as the training data")
