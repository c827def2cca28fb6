"""The whole run, one way through the stages: read -> split -> fit -> sample -> validate -> release."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import JobConfig
from .errors import SynthRecordsError
from .policy import ProtectionPolicy
from .protect import LeakageCheck, check_leakage
from .read import load_table
from .release import release
from .synthesizer import Synthesizer

log = logging.getLogger(__name__)


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


def split_holdout(df: pd.DataFrame, share: float, seed: int | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Keep ``share`` of the real rows out of training, to measure memorisation and utility."""
    if share <= 0 or len(df) < 20:
        return df, None
    rng = np.random.default_rng(seed)
    mask = rng.random(len(df)) < share
    return df[~mask].reset_index(drop=True), df[mask].reset_index(drop=True)


def synthesizer_from(job: JobConfig) -> Synthesizer:
    pii = job.pii
    policy = ProtectionPolicy(direct=pii.direct, free_text=pii.free_text, quasi=pii.quasi,
                              columns=dict(pii.columns))
    return Synthesizer(epsilon=job.privacy.epsilon, delta=job.privacy.delta, model=job.model.name,
                       epochs=job.model.epochs, target=job.model.target, column_types=dict(job.columns.types) or None,
                       domain_share=job.privacy.domain_share,
                       public_domain={c: d.to_spec() for c, d in job.columns.public.items()} or None,
                       pii_policy=policy, nlp_model=pii.nlp_model, seed=job.model.seed,
                       engine=job.model.engine, spark_master=job.model.spark_master)


def run_job(job: JobConfig, data: pd.DataFrame | None = None, *, write: bool = True) -> RunResult:
    """Run a whole job; with ``write`` the release folder is written atomically to job.output.dir."""
    from .expectations import build_suite, load_suite
    from .validation import validate

    if data is None:
        if job.input.path is None:
            raise SynthRecordsError("no input: set [input] path in the job file or pass a DataFrame")
        data = load_table(job.input.path, format=job.input.format)
    real = load_table(data)
    train, holdout = split_holdout(real, job.validate_.holdout, job.model.seed)
    synth = synthesizer_from(job).fit(train)
    forbidden = synth.identifier_values(real)
    rows = job.output.rows or len(train)
    synthetic = synth.sample(rows, oversample=job.sample.oversample or None, seed=job.model.seed, forbidden=forbidden)
    leakage = check_leakage(real, synthetic, synth.pii_)
    modelled = synth.domain_.names
    validation = validate(train[modelled], synthetic, None if holdout is None else holdout[modelled],
                          domain=synth.domain_,
                          suites=[build_suite(synth.domain_), *(load_suite(p) for p in job.validate_.suites)])
    report = build_report(job, real, synth, synthetic, leakage, validation)
    result = RunResult(synthetic, report, synth, leakage)
    if write:
        result.out_dir = release(job.output.dir, job=job, synthetic=synthetic, report=report, synthesizer=synth,
                                 validation=validation, input_path=job.input.path, real=real)
    if not leakage.passed:
        log.error("leakage check failed: %d real identifier values found in the output", len(leakage.findings))
    return result


def synthesize(data: pd.DataFrame | str | Path, *, rows: int | None = None, out: str | Path | None = None,
               **settings: Any) -> RunResult:
    """One call: synthesize a table. ``settings`` are JobConfig sections, e.g.
    ``privacy={"epsilon": 1.0, "delta": 1e-5}``, ``model={"name": "gaussian_copula"}``."""
    job = JobConfig.from_dict({**settings, "output": {"dir": str(out or "runs/latest"), "rows": rows}})
    if not isinstance(data, pd.DataFrame):
        job.input.path = Path(data)
        data = None
    return run_job(job, data, write=out is not None)


def build_report(job: JobConfig, real: pd.DataFrame, synth: Synthesizer, synthetic: pd.DataFrame,
                 leakage: LeakageCheck, validation: Any) -> dict[str, Any]:
    from .release import run_info

    ledger = synth.ledger_.to_dict()
    ledger["scope"] = privacy_scope(synth)
    val = validation.to_dict()
    expectations = validation.expectations
    summary = {
        "rows": len(synthetic), "columns": synthetic.shape[1], "model": synth.model_name,
        "epsilon_target": ledger["epsilon_target"], "epsilon_spent": ledger["epsilon_spent"],
        "delta": ledger["delta"], "guarantee": ledger["guarantee"],
        "fidelity_score": val["fidelity"]["quality_score"],
        "expectations_passed": expectations.passed, "expectations_failed": expectations.failed,
        "leakage_passed": leakage.passed,
        "pii_columns": [{"column": c.column, "category": c.category, "action": c.action}
                        for c in synth.pii_.columns if c.category != "none"],
    }
    return {"run": run_info(job, real, synthetic, synth), "summary": summary, "pii": synth.pii_.to_dict(),
            "privacy": ledger, "leakage": leakage.to_dict(), "validation": val}


def privacy_scope(synth: Synthesizer) -> list[str]:
    """What the (epsilon, delta) covers and, exactly, what reads real data outside it."""
    from .train import GUARANTEES

    if not synth.ledger_.is_private:
        return [(f"model {synth.model_name}: {GUARANTEES[synth.model_name]}; no epsilon was set, so nothing is "
                "covered by a formal guarantee.")]
    return [
        ("Covered by the ledger: the modelled columns' domain (categories, ranges, frequencies, histograms: one "
        "Gaussian mechanism, categories thresholded) and every DP-SGD step of the discriminator; the generator, "
        "the encoders and the conditional sampler use only those releases. Sampling is post-processing."),
        ("Read outside the ledger, as schema: the row count (sets the sample rate and default delta), column "
        "names, and column types, integer-ness and date formats inferred from values (declare [columns] types "
        "and public domains to make them public input)."),
        ("Read outside the ledger, by the PII stage: the column classification (pii.json: which columns are "
        "identifiers, entity types, confidence) and the shapes of identifier columns used for fakes (locale and "
        "format shares of groups of at least 10 rows). Identifier values are never modelled; a fake equal to a "
        "real identifier is re-drawn, which reveals at most that some value was re-drawn."),
        ("Read outside the ledger, for the data owner's review: the validation figures in report.json/report.html "
        "(fidelity, utility and privacy metrics compare the output with real rows). synthetic.csv depends "
        "on the real data only through the ledger and the two items above; share the report only where "
        "that is acceptable."),
    ]


def validate_files(real_path: Path, synth_path: Path, out: Path, *, holdout: Path | None = None,
                   model_dir: Path | None = None, suites: list[Path] = ()) -> Any:
    """The `validate` verb: compare a synthetic file with the real one, write the results to ``out``.

    With a model folder the released domain and PII findings of that model are used;
    without one they are derived from the real file (the data owner's own check, not a
    DP release). Direct identifiers and free text are left out of the fidelity metrics and
    covered by the leakage check instead.
    """
    import json

    from .atomic import atomic_dir
    from .domain import data_domain
    from .expectations import build_suite, load_suite, save_suite
    from .scan import scan_pii
    from .validation import validate

    real, synthetic = load_table(real_path), load_table(synth_path)
    hold = load_table(holdout) if holdout else None
    if model_dir is not None:
        fitted = Synthesizer.load(model_dir)
        domain, pii = fitted.domain_, fitted.pii_
    else:
        pii = scan_pii(real)
        personal = set(pii.columns_in("direct", "free_text"))
        domain = data_domain(real[[c for c in real.columns if c not in personal]])
    names = domain.names
    report = validate(real[names], synthetic,
                      None if hold is None else hold[names], domain=domain,
                      suites=[build_suite(domain), *(load_suite(p) for p in suites)])
    leakage = check_leakage(real, synthetic, pii)
    with atomic_dir(Path(out)) as tmp:
        (tmp / "validation.json").write_text(json.dumps(report.to_dict(), indent=2, default=str))
        (tmp / "leakage.json").write_text(json.dumps(leakage.to_dict(), indent=2, default=str))
        (tmp / "expectations").mkdir()
        for suite in report.suites_used:
            save_suite(suite, tmp / "expectations" / f"{suite.name}.json")
    report.leakage = leakage
    return report


def pseudonymize_file(data: Path, out: Path, *, secret: bytes, nlp_model: str | None) -> Any:
    """The `protect` verb: real rows with keyed fakes (same input -> same fake) and redacted text.

    This is pseudonymised real data, not a synthetic release: every non-identifier value is real.
    """
    from .atomic import write_table
    from .protect import pseudonymize
    from .scan import scan_pii

    real = load_table(data)
    report = scan_pii(real, nlp_model=nlp_model)
    protected = pseudonymize(real, report, secret=secret)
    leakage = check_leakage(real, protected, report)
    if not leakage.passed:
        raise SynthRecordsError(f"pseudonymised output still holds {leakage.total} real identifier values; nothing written")
    write_table(out, protected)
    return report
