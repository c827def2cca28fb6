"""The whole run, one way through the stages: read -> split -> fit -> sample -> validate -> release."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .atomic import refuse_existing
from .config import JobConfig
from .errors import SynthRecordsError
from .job import (  # check_copies: pipeline.check_copies, as before
    RunResult,
    check_compared,
    check_copies,
    check_target,
    model_evidence,
    privacy_scope,
    synthesizer_from,
)
from .pii.fakes import chance_spaces
from .pii.protect import LeakageCheck, check_leakage
from .read import as_read, load_table
from .release.folder import release
from .synthesizer import Synthesizer

log = logging.getLogger(__name__)


def split_holdout(df: pd.DataFrame, share: float, seed: int | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Keep ``share`` of the real rows out of training, to measure memorisation and utility."""
    if share <= 0 or len(df) < 20:
        return df, None
    rng = np.random.default_rng(seed)
    mask = rng.random(len(df)) < share
    return df[~mask].reset_index(drop=True), df[mask].reset_index(drop=True)


def run_job(job: JobConfig, data: pd.DataFrame | None = None, *, write: bool = True) -> RunResult:
    """Run a whole job; with ``write`` the release folder is written atomically to job.output.dir."""
    if job.model.engine == "spark":  # Spark-native: read, fit, sample, validate and release on Spark
        from .spark.pipeline import run_job as spark_run_job

        return spark_run_job(job, data, write=write)
    from .validation.class_fidelity import class_fidelity
    from .validation.expectations import build_suite, load_suite, public_domains
    from .validation.measure import validate

    if write:  # refuse before the work, not after it; never over the input or the job file
        refuse_existing(job.output.dir, job.output.overwrite, keep=(job.input.path, job._job_file))
    user_suites = [load_suite(p) for p in job.validate_.suites]  # a bad suite fails before training
    if data is None:
        if job.input.path is None:
            raise SynthRecordsError("no input: set [input] path in the job file or pass a DataFrame")
        data = load_table(job.input.path, format=job.input.format, delimiter=job.input.delimiter)
    real = load_table(data)
    train, holdout = split_holdout(real, job.validate_.holdout, job.model.seed)
    # The suites' between-bounds and value sets are public rules: the DP domain uses them for free.
    synth = synthesizer_from(job, public_domains(user_suites)).fit(train, dataset=real)  # budget: the whole input
    withheld = synth.identifier_values(real)  # kept out of the examples the validation shows
    rows = job.output.rows or synth.training_rows_  # under DP the released row count, not len(train)
    synthetic, sampling = synth.sample_with_report(rows, oversample=job.sample.oversample or None,
                                                   conditions=job.sample.conditions or None,
                                                   filter_rows=job.sample.filter, seed=job.model.seed,
                                                   filter_suites=user_suites)
    checked = as_read(synthetic)  # compared with the real rows in the form both are read in
    leakage = check_leakage(real, checked, synth.pii_, spaces=chance_spaces(synth.fakes_))
    modelled = synth.domain_.names
    validation = validate(train[modelled], checked, None if holdout is None else holdout[modelled],
                          domain=synth.domain_, target=job.model.target, withheld=withheld,
                          suites=[build_suite(synth.domain_, fakes=synth.fakes_), *user_suites])
    check_copies(validation.privacy, train)  # before anything is released
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
    from .release.folder import run_info
    from .release.report import assemble

    ledger = synth.ledger_.to_dict()
    ledger["scope"] = privacy_scope(synth)
    run = {**run_info(job, real, synthetic, synth), "kind": "run", "columns_synthetic": synthetic.shape[1]}
    report = assemble(run=run, validation=validation, pii=synth.pii_.to_dict(), leakage=leakage, ledger=ledger,
                      model=synth.model_name, domain=synth.domain_)
    report["model"] = synth.model_report()  # the engine, and why "auto" chose it
    return report


def _text_as_in_domain(frame: pd.DataFrame, domain: Any) -> pd.DataFrame:
    """Columns whose domain categories are text, read back as numbers, as text again. A sample
    of postcodes without a leading zero reads as integers (24427), which the suite's text set
    ("24427") would fail; with a leading zero anywhere the reader keeps the column text, so
    the integers here print as written."""
    fixed = {}
    for col in domain:
        values = frame.get(col.name)
        if (values is not None and col.categories and values.dtype.kind in "iuf"
                and all(isinstance(c, str) for c in col.categories if c is not None)):
            numbers = values.dropna()
            if len(numbers) and bool((numbers % 1 == 0).all()):
                fixed[col.name] = values.map(lambda v: str(int(v)), na_action="ignore")
    return frame.assign(**fixed) if fixed else frame


def validate_files(real_path: Path, synth_path: Path, out: Path, *, holdout: Path | None = None,
                   model_dir: Path | None = None, suites: list[Path] = (), target: str | None = None,
                   seed: int = 0, overwrite: bool = False) -> Any:
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
    from .pii.scan import scan_pii
    from .read import file_sha256
    from .release.folder import versions
    from .release.html import render_report
    from .release.report import assemble
    from .validation.expectations import build_suite, load_suite, save_suite
    from .validation.measure import validate

    inputs = (real_path, synth_path, holdout, model_dir, *suites)
    refuse_existing(Path(out), overwrite, keep=inputs)  # before the work, not after it
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
    real, synthetic = _text_as_in_domain(real, domain), _text_as_in_domain(synthetic, domain)
    hold = None if hold is None else _text_as_in_domain(hold, domain)
    # Real identifiers and free text: a failing example equal to one of them is withheld.
    withheld = {str(v) for c in pii.columns_in("direct", "free_text") if c in real.columns
                for v in real[c].dropna().unique()}
    validation = validate(real[names], synthetic, None if hold is None else hold[names], domain=domain,
                          suites=[build_suite(domain, fakes=fakes), *(load_suite(p) for p in suites)], target=target,
                          withheld=withheld, seed=seed)
    leak_start = time.perf_counter()
    leakage = check_leakage(real, synthetic, pii, spaces=chance_spaces(fakes))
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
    with atomic_dir(Path(out), overwrite=overwrite, keep=inputs) as tmp:
        (tmp / "report.json").write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
        (tmp / "report.html").write_text(render_report(report))
        (tmp / "expectations").mkdir()
        for suite in validation.suites_used:
            save_suite(suite, tmp / "expectations" / f"{suite.name}.json")
    validation.leakage, validation.report = leakage, report
    return validation


def pseudonymize_file(data: Path, out: Path, *, secret: bytes, nlp_model: str | None, overwrite: bool = False) -> Any:
    """The `protect` verb: real rows with keyed fakes (same input -> same fake) and redacted text.

    This is pseudonymised real data, not a synthetic release: every non-identifier value is real.
    """
    from .atomic import write_table
    from .pii.protect import pseudonymize
    from .pii.scan import scan_pii

    refuse_existing(out, overwrite, keep=(data,), kind="file")  # never over its own input
    real = load_table(data)
    report = scan_pii(real, nlp_model=nlp_model)
    protected = pseudonymize(real, report, secret=secret)
    leakage = check_leakage(real, protected, report)
    if not leakage.passed:
        raise SynthRecordsError(f"pseudonymised output still holds {leakage.total} real identifier values; nothing written")
    write_table(out, protected, overwrite=overwrite, keep=(data,))
    return report
