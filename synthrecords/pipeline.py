"""The whole run, one way through the stages: read -> split -> fit -> sample -> validate -> release."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .atomic import refuse_existing
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
                       engine=job.model.engine, spark_master=job.model.spark_master,
                       dataset_budget=job.privacy.dataset_budget, budget_file=job.privacy.budget_file,
                       allow_over_budget=job.privacy.allow_over_budget)


def run_job(job: JobConfig, data: pd.DataFrame | None = None, *, write: bool = True) -> RunResult:
    """Run a whole job; with ``write`` the release folder is written atomically to job.output.dir."""
    if job.model.engine == "spark":  # Spark-native: read, fit, sample, validate and release on Spark
        from .spark.pipeline import run_job as spark_run_job

        return spark_run_job(job, data, write=write)
    from .class_fidelity import class_fidelity
    from .expectations import build_suite, load_suite
    from .validation import validate

    if write:  # refuse before the work, not after it
        refuse_existing(job.output.dir, job.output.overwrite)
    user_suites = [load_suite(p) for p in job.validate_.suites]  # a bad suite fails before training
    if data is None:
        if job.input.path is None:
            raise SynthRecordsError("no input: set [input] path in the job file or pass a DataFrame")
        data = load_table(job.input.path, format=job.input.format)
    real = load_table(data)
    train, holdout = split_holdout(real, job.validate_.holdout, job.model.seed)
    synth = synthesizer_from(job).fit(train, dataset=real)  # the budget counts the whole input
    forbidden = synth.identifier_values(real)
    rows = job.output.rows or len(train)
    synthetic, sampling = synth.sample_with_report(rows, oversample=job.sample.oversample or None,
                                                   conditions=job.sample.conditions or None,
                                                   filter_rows=job.sample.filter, seed=job.model.seed,
                                                   filter_suites=user_suites,
                                                   forbidden=forbidden)
    leakage = check_leakage(real, synthetic, synth.pii_)
    modelled = synth.domain_.names
    validation = validate(train[modelled], synthetic, None if holdout is None else holdout[modelled],
                          domain=synth.domain_, target=job.model.target, withheld=forbidden,
                          suites=[build_suite(synth.domain_, fakes=synth.fakes_), *user_suites])
    report = build_report(job, real, synth, synthetic, leakage, validation)
    report["sampling"] = {**sampling.to_dict(),
                          "class_fidelity": class_fidelity(train, synthetic, sampling.requested, synth.domain_)}
    result = RunResult(synthetic, report, synth, leakage)
    if write:
        result.out_dir = release(job.output.dir, job=job, synthetic=synthetic, report=report, synthesizer=synth,
                                 validation=validation, input_path=job.input.path, real=real)
    if not leakage.passed:
        log.error("leakage check failed: %d real identifier values found in the output", len(leakage.findings))
    return result


def synthesize(data: pd.DataFrame | str | Path, *, rows: int | None = None, out: str | Path | None = None,
               overwrite: bool = False, **settings: Any) -> RunResult:
    """One call: synthesize a table. ``settings`` are JobConfig sections, e.g.
    ``privacy={"epsilon": 1.0, "delta": 1e-5}``, ``model={"name": "gaussian_copula"}``.
    An existing ``out`` folder is replaced only with ``overwrite=True``."""
    job = JobConfig.from_dict({**settings, "output": {"dir": str(out or "runs/latest"), "rows": rows,
                                                      "overwrite": overwrite}})
    if not isinstance(data, pd.DataFrame):
        job.input.path = Path(data)
        data = None
    return run_job(job, data, write=out is not None)


def build_report(job: JobConfig, real: pd.DataFrame, synth: Synthesizer, synthetic: pd.DataFrame,
                 leakage: LeakageCheck, validation: Any) -> dict[str, Any]:
    from .release import run_info
    from .report import assemble

    ledger = synth.ledger_.to_dict()
    ledger["scope"] = privacy_scope(synth)
    run = {**run_info(job, real, synthetic, synth), "kind": "run", "columns_synthetic": synthetic.shape[1]}
    return assemble(run=run, validation=validation, pii=synth.pii_.to_dict(), leakage=leakage, ledger=ledger,
                    model=synth.model_name)


def privacy_scope(synth: Synthesizer) -> list[str]:
    """What the (epsilon, delta) covers and, exactly, what reads real data outside it."""
    from .train import GUARANTEES

    if not synth.ledger_.is_private:
        return [(f"model {synth.model_name}: {GUARANTEES[synth.model_name]}; no epsilon was set, so nothing is "
                "covered by a formal guarantee.")]
    return [
        ("Covered by the ledger: the modelled columns' domain (categories, ranges, frequencies, histograms: one "
        "Gaussian mechanism, categories thresholded), the noisy two-way tables of column pairs (one Gaussian "
        "mechanism) and every DP-SGD step of the discriminator; the generator, the encoders and the conditional "
        "sampler use only those releases. Sampling is post-processing."),
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
                   model_dir: Path | None = None, suites: list[Path] = (), target: str | None = None,
                   seed: int = 0) -> Any:
    """The `validate` verb: compare a synthetic file with the real one; write report.json,
    report.html and the suites used to ``out`` (atomically).

    ``real_path`` holds the rows the model was trained on; ``holdout`` real rows it never
    saw (needed for utility, the holdout distance comparison and the attacks). With a model
    folder its released domain, PII findings, ledger and target are used; without one they
    are derived from the real file (the data owner's own check, not a DP release). Direct
    identifiers and free text are left out of the metrics and covered by the leakage check.
    Returns the ValidationReport, with ``leakage`` and ``report`` (the dictionary) attached.
    """
    import time
    from datetime import UTC, datetime

    from .atomic import atomic_dir
    from .domain import data_domain
    from .expectations import build_suite, load_suite, save_suite
    from .read import file_sha256
    from .release import versions
    from .report import assemble
    from .report_html import render_report
    from .scan import scan_pii
    from .validation import validate

    start = time.perf_counter()
    real, synthetic = load_table(real_path), load_table(synth_path)
    hold = load_table(holdout) if holdout else None
    read_s = time.perf_counter() - start
    check_target(target, real.columns, real_path)  # before the PII scan and the metrics
    ledger, model, fakes = None, None, []
    if model_dir is not None:
        domain, pii, ledger, model, target, fakes = model_evidence(model_dir, target)
    else:
        pii = scan_pii(real)
        personal = set(pii.columns_in("direct", "free_text"))
        domain = data_domain(real[[c for c in real.columns if c not in personal]])
    scan_s = time.perf_counter() - start - read_s
    names = domain.names
    check_compared(names, real=real, holdout=hold)
    # Real identifiers and free text: a failing example equal to one of them is withheld.
    withheld = {str(v) for c in pii.columns_in("direct", "free_text") if c in real.columns
                for v in real[c].dropna().unique()}
    validation = validate(real[names], synthetic, None if hold is None else hold[names], domain=domain,
                          suites=[build_suite(domain, fakes=fakes), *(load_suite(p) for p in suites)], target=target,
                          withheld=withheld, seed=seed)
    leak_start = time.perf_counter()
    leakage = check_leakage(real, synthetic, pii)
    validation.timings = {"read": round(read_s, 3), "pii_scan": round(scan_s, 3), **validation.timings,
                          "leakage": round(time.perf_counter() - leak_start, 3)}

    def source(path: Path | None, frame: pd.DataFrame | None) -> dict[str, Any] | None:
        return None if path is None else {"path": str(path), "sha256": file_sha256(path), "rows": len(frame),
                                          "columns": frame.shape[1]}

    run = {"id": Path(out).name, "kind": "validate", "created": datetime.now(UTC).isoformat(timespec="seconds"),
           "input": source(real_path, real), "synthetic": source(synth_path, synthetic),
           "holdout": source(holdout, hold), "model": model, "model_dir": None if model_dir is None else str(model_dir),
           "target": target, "seed": seed, "rows_synthetic": len(synthetic), "columns_synthetic": synthetic.shape[1],
           "versions": versions()}
    report = assemble(run=run, validation=validation, pii=pii.to_dict(), leakage=leakage, ledger=ledger,
                      model=model)
    with atomic_dir(Path(out)) as tmp:
        (tmp / "report.json").write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
        (tmp / "report.html").write_text(render_report(report))
        (tmp / "expectations").mkdir()
        for suite in validation.suites_used:
            save_suite(suite, tmp / "expectations" / f"{suite.name}.json")
    validation.leakage, validation.report = leakage, report
    return validation


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
