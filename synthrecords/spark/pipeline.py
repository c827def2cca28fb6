"""Whole runs with ``--engine spark``: ``validate_files`` (the `validate` verb) and ``run_job``.

The same stages and the same report as ``synthrecords.pipeline``, with the tables on the
cluster: files read by Spark, expectations and the leakage check over every row on Spark,
the in-memory metrics on stated samples (``spark.validate``). Outputs are written
atomically like the pandas ones (a temporary folder renamed into place).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import SynthRecordsError
from ..pii.fakes import chance_spaces
from . import leakage as spark_leakage
from . import validate as spark_validate
from ._frames import row_count
from .read import read_table, source_sha256, written_numbers

log = logging.getLogger(__name__)


def write_report(tmp: Path, report: dict[str, Any], validation: Any) -> None:
    """report.json, report.html and the suites used, into a folder being written."""
    from ..release.html import render_report
    from ..validation.expectations import save_suite

    (tmp / "report.json").write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
    (tmp / "report.html").write_text(render_report(report))
    (tmp / "expectations").mkdir(exist_ok=True)
    for suite in validation.suites_used:
        save_suite(suite, tmp / "expectations" / f"{suite.name}.json")


def source(path: Path | None, sdf: Any) -> dict[str, Any] | None:
    if path is None:
        return None
    return {"path": str(path), "sha256": source_sha256(path), "rows": row_count(sdf), "columns": len(sdf.columns)}


def validate_files(real_path: Path, synth_path: Path, out: Path, *, holdout: Path | None = None,
                   model_dir: Path | None = None, suites: list[Path] = (), target: str | None = None,
                   seed: int = 0, master: str | None = None) -> Any:
    """``pipeline.validate_files`` on Spark: CSV or Parquet (files or folders) in, the same
    report.json / report.html / expectations/ out, written atomically to ``out``.

    Without ``model_dir`` the PII scan runs on a row sample (``spark.scan``) and the domain
    is read off every real row (exact categories and bounds: the data owner's own check,
    not a DP release). Returns the SparkValidationReport with ``leakage`` and ``report``.
    """
    from ..atomic import atomic_dir
    from ..job import check_compared, check_target, model_evidence
    from ..release.folder import versions
    from ..release.report import assemble
    from ..validation.expectations import build_suite, load_suite
    from . import domain as spark_domain
    from . import scan as spark_scan
    from .session import get_session

    suites = [load_suite(p) for p in suites]  # a bad suite fails before Spark starts
    start = time.perf_counter()
    spark = get_session(master)
    real, synthetic = read_table(spark, real_path), read_table(spark, synth_path)
    hold = read_table(spark, holdout) if holdout else None
    read_s = time.perf_counter() - start
    check_target(target, real.columns, real_path)
    ledger, model, fakes = None, None, []
    if model_dir is not None:
        domain, pii, ledger, model, target, fakes = model_evidence(model_dir, target)
    else:
        sample = spark_scan.scan_sample(real, seed=seed)
        pii = spark_scan.scan_pii(real, sample=sample, seed=seed)
        personal = set(pii.columns_in("direct", "free_text"))
        kept = [c for c in real.columns if c not in personal]
        domain = spark_domain.data_domain(real.select(*[f"`{c}`" for c in kept]), sample[kept])
    scan_s = time.perf_counter() - start - read_s
    names = domain.names
    check_compared(names, real=real, holdout=hold)
    identifiers = [c for c in pii.columns_in("direct", "free_text") if c in real.columns]
    validation = spark_validate.validate(
        _select(real, names), synthetic, None if hold is None else _select(hold, names), domain=domain,
        suites=[build_suite(domain, fakes=fakes), *suites], target=target, seed=seed,
        withheld=lambda examples: spark_leakage.values_in(real, identifiers, examples))
    leak_start = time.perf_counter()
    leakage = spark_leakage.check_leakage(real, synthetic, pii, spaces=chance_spaces(fakes))
    validation.timings = {"read": round(read_s, 3), "pii_scan": round(scan_s, 3), **validation.timings,
                          "leakage": round(time.perf_counter() - leak_start, 3)}
    synthetic_rows = validation.sampling["synthetic_rows"]
    run = {"id": Path(out).name, "kind": "validate", "engine": "spark",
           "created": datetime.now(UTC).isoformat(timespec="seconds"),
           "input": source(real_path, real), "synthetic": source(synth_path, synthetic),
           "holdout": source(holdout, hold), "model": model, "model_dir": None if model_dir is None else str(model_dir),
           "target": target, "seed": seed, "rows_synthetic": synthetic_rows,
           "columns_synthetic": len(synthetic.columns), "versions": {**versions(), "pyspark": spark.version}}
    report = assemble(run=run, validation=validation, pii=pii.to_dict(), leakage=leakage, ledger=ledger,
                      model=model)
    with atomic_dir(Path(out)) as tmp:
        write_report(tmp, report, validation)
    validation.leakage, validation.report = leakage, report
    return validation


def _select(sdf: Any, names: list[str]) -> Any:
    return sdf.select(*[f"`{c}`" for c in names])


def run_job(job: Any, data: Any = None, *, write: bool = True) -> Any:
    """``pipeline.run_job`` with ``[model] engine = "spark"``: a Spark-native run.

    The input (CSV or Parquet, a path, or a Spark/pandas DataFrame) is read by Spark and
    split into training and holdout rows there; the model is fitted on Spark (``spark.train``:
    scan, protect and the DP domain on the cluster, the engine on a Poisson sample); the
    synthetic rows are written by ``spark.sample`` as ``synthetic.parquet/`` in the release
    folder; ``spark.validate`` and the Spark leakage check make the report. The folder holds
    the same files and report keys as a pandas run, with the table as Parquet, and is written
    atomically. ``RunResult.synthetic`` is a Spark DataFrame over the released Parquet.
    """
    import secrets

    from ..atomic import atomic_dir, refuse_existing
    from ..job import RunResult, check_copies, privacy_scope, synthesizer_from
    from ..release.folder import versions, write_evidence
    from ..release.report import assemble
    from ..release.share import SHARE
    from ..sample import SamplingReport, resolve_mix
    from ..validation.class_fidelity import class_fidelity
    from ..validation.expectations import build_suite, load_suite
    from .sample import sample_to_parquet
    from .session import get_session

    if not write:
        raise SynthRecordsError("engine spark writes the synthetic rows as Parquet into the release folder; give an "
                                "output folder ([output] dir, or out= in synthesize)")
    refuse_existing(job.output.dir, job.output.overwrite)  # before the work, not after it
    user_suites = [load_suite(p) for p in job.validate_.suites]
    timings: dict[str, float] = {}
    start = time.perf_counter()
    spark = get_session(job.model.spark_master)
    if data is None:
        if job.input.path is None:
            raise SynthRecordsError("no input: set [input] path in the job file or pass a DataFrame")
        data = job.input.path
    real = read_table(spark, data, format=job.input.format, delimiter=job.input.delimiter).persist()
    try:
        n = row_count(real)
        seed = job.model.seed
        share = job.validate_.holdout
        if share > 0 and n >= 20:
            train, holdout = real.randomSplit([1 - share, share], seed=seed)
        else:
            train, holdout = real, None
        timings["read"] = round(time.perf_counter() - start, 3)
        synth = synthesizer_from(job).fit(train)
        timings["fit"] = round(time.perf_counter() - start - sum(timings.values()), 3)
        rows = job.output.rows or synth.training_rows_
        sample_seed = secrets.randbits(31) if seed is None else seed
        with atomic_dir(Path(job.output.dir), overwrite=bool(job.output.overwrite)) as tmp:
            table = tmp / SHARE / "synthetic.parquet"  # the shareable part (release/folder.py)
            made = sample_to_parquet(spark, synth, rows, table, seed=sample_seed,
                                     oversample=job.sample.oversample or None,
                                     conditions=job.sample.conditions or None, filter_rows=job.sample.filter,
                                     filter_suites=user_suites)
            timings["sample"] = round(made.seconds, 3)
            synthetic = written_numbers(spark.read.parquet(str(table)))  # real and synthetic compared in one form
            modelled = synth.domain_.names
            identifiers = [c for c in synth.pii_.columns_in("direct", "free_text") if c in real.columns]
            validation = spark_validate.validate(
                _select(train, modelled), synthetic, None if holdout is None else _select(holdout, modelled),
                domain=synth.domain_, target=job.model.target, seed=seed or 0,
                suites=[build_suite(synth.domain_, fakes=synth.fakes_), *user_suites],
                withheld=lambda examples: spark_leakage.values_in(real, identifiers, examples))
            copies = validation.copies  # over every row; refused here, before anything is released
            if validation.privacy is not None and copies is not None:
                check_copies(validation.privacy, repeat_share=copies.training_repeat_share)
            leak_start = time.perf_counter()
            leakage = spark_leakage.check_leakage(real, synthetic, synth.pii_, spaces=chance_spaces(synth.fakes_))
            validation.timings = {**timings, **validation.timings,
                                  "leakage": round(time.perf_counter() - leak_start, 3)}
            ledger = synth.ledger_.to_dict()
            ledger["scope"] = [*privacy_scope(synth), SPARK_SCOPE]
            path = job.input.path if data is job.input.path else None
            run = {"id": Path(job.output.dir).name, "kind": "run", "engine": "spark",
                   "created": datetime.now(UTC).isoformat(timespec="seconds"),
                   "input": {"path": str(path) if path else None, "sha256": source_sha256(path) if path else None,
                             "rows": n, "columns": len(real.columns)},
                   "model": synth.model_name, "rows_synthetic": rows, "seed": seed,
                   "training_rows": synth.training_rows_, "training_sample": synth.training_sample_,
                   "notes": list(getattr(synth, "notes_", [])), "dataset_budget": None,
                   "columns_synthetic": len(synthetic.columns), "synthetic": "synthetic.parquet",
                   "versions": {**versions(), "pyspark": spark.version}}
            report = assemble(run=run, validation=validation, pii=synth.pii_.to_dict(), leakage=leakage,
                              ledger=ledger, model=synth.model_name, domain=synth.domain_)
            report["model"] = synth.model_report()  # the engine, and why "auto" chose it (as pandas runs)
            sampling = made.sampling or SamplingReport(rows).to_dict()
            samples = validation.samples
            requested = resolve_mix(job.sample.oversample or {}, synth.domain_)
            report["sampling"] = {**sampling, "unique_redrawn": made.unique_redrawn,
                                  "class_fidelity": class_fidelity(samples["real"], samples["synthetic"], requested,
                                                                   synth.domain_),
                                  "class_fidelity_rows": {"real": len(samples["real"]),
                                                          "synthetic": len(samples["synthetic"])}}
            write_evidence(tmp, job=job, report=report, validation=validation)
    finally:
        real.unpersist()
    out_dir = Path(job.output.dir)
    if not leakage.passed:
        log.error("leakage check failed: %d real identifier values found in the output", leakage.total)
    return RunResult(spark.read.parquet(str(out_dir / SHARE / "synthetic.parquet")), report, synth, leakage, out_dir)


SPARK_SCOPE = ("Engine spark: the PII scan's classification, the fake plans and the column kinds are read from a "
               "seeded sample of at most 5000 real rows (outside the ledger, as above); the model trains on a Poisson "
               "sample of the training rows (see the ledger entries: no amplification by that sampling is claimed); "
               "fakes are drawn without the real identifier values. The report's expectations and leakage check "
               "cover every synthetic row; its other figures are computed on the samples stated under "
               "run.sample_sizes.")
