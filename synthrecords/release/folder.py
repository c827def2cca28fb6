"""Stage 8, release: the run folder, written atomically, in two parts by audience.

runs/<id>/share/  synthetic.csv  ledger.json  pii.json  report.json  report.html  manifest.json
                  what the data owner may hand over: covered by epsilon (see share.py)
runs/<id>/owner/  NOT_FOR_SHARING.txt  report.json  report.html  validation.json  pii.json
                  ledger.json  manifest.json  expectations/*.json
                  the full validation against real rows, the PII evidence, the input's sha256
(with engine spark the table is share/synthetic.parquet/, a Parquet folder, instead of synthetic.csv)
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
from .share import (
    NOT_FOR_SHARING,
    OWNER,
    SHARE,
    render_share,
    share_ledger,
    share_manifest,
    share_pii,
    share_report,
)

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
        (tmp / SHARE).mkdir()
        synthetic.to_csv(tmp / SHARE / "synthetic.csv", index=False)
        write_evidence(tmp, job=job, report=report, validation=validation)
    return out_dir


def write_evidence(tmp: Path, *, job: Any, report: dict[str, Any], validation: Any) -> None:
    """Everything of a run folder but the synthetic table (already in ``tmp/share``): the
    shareable part, then the owner's part, each closed by a manifest of its files."""
    from ..validation.expectations import save_suite
    from .report import ledger_part, validation_part

    share, owner = tmp / SHARE, tmp / OWNER
    share.mkdir(exist_ok=True)
    owner.mkdir()
    shared = share_report(report)
    _dump(share / "report.json", shared)
    _dump(share / "ledger.json", share_ledger(report["privacy"]))
    _dump(share / "pii.json", share_pii(report["pii"]))
    (share / "report.html").write_text(render_share(shared))
    found = versions()
    _dump(share / "manifest.json", share_manifest(report, job.to_dict(), found, _hashes(share)))

    (owner / "NOT_FOR_SHARING.txt").write_text(NOT_FOR_SHARING + "\n")
    _dump(owner / "report.json", {"part": OWNER, "note": NOT_FOR_SHARING, **report})
    _dump(owner / "ledger.json", ledger_part(report["privacy"]))
    _dump(owner / "pii.json", report["pii"])
    _dump(owner / "validation.json", validation_part(report))
    (owner / "expectations").mkdir()
    for suite in validation.suites_used:
        save_suite(suite, owner / "expectations" / f"{suite.name}.json")
    (owner / "report.html").write_text(render_report(report).replace(
        "<body>\n", f'<body>\n<p class="bad">{NOT_FOR_SHARING}</p>\n', 1))
    manifest = {"run": report["run"]["id"], "created": report["run"]["created"], "part": OWNER,
                "input": report["run"]["input"], "config": job.to_dict(), "versions": found,
                "files": _hashes(tmp)}  # both parts, paths from the run folder
    _dump(owner / "manifest.json", manifest)


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
