"""Stage 8, release: the run folder a compliance reviewer receives, written atomically.

runs/<id>/ synthetic.csv  report.json  report.html  ledger.json  pii.json
           validation.json  manifest.json  expectations/*.json
(with engine spark the table is synthetic.parquet/, a Parquet folder, instead of synthetic.csv)
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..atomic import atomic_dir
from ..read import file_sha256, frame_sha256
from .html import render_report

VERSIONED = ("pandas", "numpy", "torch", "opacus", "sdv", "sdmetrics", "great-expectations",
             "presidio-analyzer", "presidio-anonymizer", "spacy", "faker")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "synthrecords": __version__}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def run_info(job: Any, real: pd.DataFrame, synthetic: pd.DataFrame, synth: Any) -> dict[str, Any]:
    path = job.input.path
    return {
        "id": Path(job.output.dir).name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "input": {"path": str(path) if path else None,
                  "sha256": file_sha256(path) if path else frame_sha256(real),
                  "rows": len(real), "columns": real.shape[1]},
        "model": synth.model_name, "rows_synthetic": len(synthetic), "seed": job.model.seed,
        "training_rows": synth.training_rows_,
        # what was changed to make the data modellable (renamed columns, infinities...)
        "notes": list(getattr(synth, "notes_", [])),
        "dataset_budget": getattr(synth, "budget_", None),
    }


def _dump(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, default=str) + "\n")


def release(out_dir: Path, *, job: Any, synthetic: pd.DataFrame, report: dict[str, Any], synthesizer: Any,
            validation: Any, input_path: Path | None, real: pd.DataFrame) -> Path:
    out_dir = Path(out_dir)
    # An earlier release is replaced only when asked: [output] overwrite / --overwrite.
    with atomic_dir(out_dir, overwrite=bool(getattr(job.output, "overwrite", False))) as tmp:
        synthetic.to_csv(tmp / "synthetic.csv", index=False)
        write_evidence(tmp, job=job, report=report, validation=validation)
    return out_dir


def write_evidence(tmp: Path, *, job: Any, report: dict[str, Any], validation: Any) -> None:
    """Everything of a run folder but the synthetic table (already in ``tmp``): the report,
    ledger, PII findings, validation results, suites, and last the manifest of all files."""
    from ..validation.expectations import save_suite
    from .report import ledger_part, validation_part

    _dump(tmp / "report.json", report)
    _dump(tmp / "ledger.json", ledger_part(report["privacy"]))
    _dump(tmp / "pii.json", report["pii"])
    _dump(tmp / "validation.json", validation_part(report))
    (tmp / "expectations").mkdir()
    for suite in validation.suites_used:
        save_suite(suite, tmp / "expectations" / f"{suite.name}.json")
    (tmp / "report.html").write_text(render_report(report))
    files = {p.relative_to(tmp).as_posix(): file_sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
    manifest = {"run": report["run"]["id"], "created": report["run"]["created"],
                "input": report["run"]["input"], "config": job.to_dict(), "versions": versions(),
                "files": files}
    _dump(tmp / "manifest.json", manifest)
