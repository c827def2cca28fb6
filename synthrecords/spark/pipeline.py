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
from ..synthesizer import Synthesizer
from . import leakage as spark_leakage
from . import validate as spark_validate
from ._frames import row_count
from .read import read_table, source_sha256

log = logging.getLogger(__name__)


def write_report(tmp: Path, report: dict[str, Any], validation: Any) -> None:
    """report.json, report.html and the suites used, into a folder being written."""
    from ..expectations import save_suite
    from ..report_html import render_report

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
    from ..expectations import build_suite, load_suite
    from ..release import versions
    from ..report import assemble
    from . import domain as spark_domain
    from . import scan as spark_scan
    from .session import get_session

    suites = [load_suite(p) for p in suites]  # a bad suite fails before Spark starts
    start = time.perf_counter()
    spark = get_session(master)
    real, synthetic = read_table(spark, real_path), read_table(spark, synth_path)
    hold = read_table(spark, holdout) if holdout else None
    read_s = time.perf_counter() - start
    if target is not None and target not in real.columns:
        raise SynthRecordsError(f"target column {target!r} is not in {real_path}; pass one of its columns "
                                f"with --target: {', '.join(real.columns)}")
    ledger, model, fakes = None, None, []
    if model_dir is not None:
        fitted = Synthesizer.load(model_dir)
        domain, pii, ledger, model = fitted.domain_, fitted.pii_, fitted.ledger_.to_dict(), fitted.model_name
        target, fakes = target or fitted.target, fitted.fakes_
    else:
        sample = spark_scan.scan_sample(real, seed=seed)
        pii = spark_scan.scan_pii(real, sample=sample, seed=seed)
        personal = set(pii.columns_in("direct", "free_text"))
        kept = [c for c in real.columns if c not in personal]
        domain = spark_domain.data_domain(real.select(*[f"`{c}`" for c in kept]), sample[kept])
    scan_s = time.perf_counter() - start - read_s
    names = domain.names
    for label, frame in (("real", real), ("holdout", hold)):
        lacking = [] if frame is None else [c for c in names if c not in frame.columns]
        if lacking:
            raise SynthRecordsError(f"the {label} file lacks the compared columns {lacking}; "
                                    f"give a file with the same columns as the training data")
    identifiers = [c for c in pii.columns_in("direct", "free_text") if c in real.columns]
    validation = spark_validate.validate(
        _select(real, names), synthetic, None if hold is None else _select(hold, names), domain=domain,
        suites=[build_suite(domain, fakes=fakes), *suites], target=target, seed=seed,
        withheld=lambda examples: spark_leakage.values_in(real, identifiers, examples))
    leak_start = time.perf_counter()
    leakage = spark_leakage.check_leakage(real, synthetic, pii)
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
