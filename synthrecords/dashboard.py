"""`synthrecords dashboard RUN_DIR`: start the Streamlit app on a run folder.

The app (`dashboards/app.py` in the source tree) receives the run folder as its first
script argument: `streamlit run dashboards/app.py [options] -- RUN_DIR`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import synthrecords

from .errors import SynthRecordsError

# What the page cannot do without; every other file and report key is optional to it.
REQUIRED_FILES = ("report.json", "synthetic.csv")
WHAT_TO_DO = "run `synthrecords run JOB.toml` or `synthrecords demo` first"
# A run folder has two parts (release/folder.py): share/ (synthetic table, covered by epsilon)
# and owner/ (full validation). The page opens either, or the run folder (then the owner's
# part, which holds every section), or a folder written before the split ("legacy").
PARTS = {
    "share": "Shareable part (share/): covered by the privacy ledger; real-side figures are absent",
    "owner": "Owner's part (owner/): full validation against real rows, NOT FOR SHARING",
    "validate": "Validation report (synthrecords validate): it compares with real rows, NOT FOR SHARING",
    "legacy": "Run folder from before the share/owner split: it compares with real rows, treat it as not for sharing",
}


def app_path() -> Path:
    """The Streamlit script, found beside the package (the repository root holds both)."""
    app = Path(synthrecords.__file__).resolve().parents[1] / "dashboards" / "app.py"
    if not app.is_file():
        raise SynthRecordsError(
            f"dashboard app not found at {app}: it ships in the source tree, not in the wheel; "
            "install synthrecords from a checkout (`pip install -e .`) to use the dashboard"
        )
    return app


def report_dir(run_dir: str | Path) -> Path:
    """The folder whose report.json the page shows: a part, or the owner's part of a run folder."""
    run_dir = Path(run_dir)
    for part in ("owner", "share"):
        if not (run_dir / "report.json").is_file() and (run_dir / part / "report.json").is_file():
            return run_dir / part
    return run_dir


def table_dir(run_dir: str | Path) -> Path:
    """The folder holding the synthetic table: share/ for a run folder or its owner part."""
    folder = report_dir(run_dir)
    if folder.name == "owner" and not _has_table(folder) and _has_table(folder.parent / "share"):
        return folder.parent / "share"
    return folder


def _has_table(folder: Path) -> bool:
    return (folder / "synthetic.csv").is_file() or (folder / "synthetic.parquet").is_dir()  # engine spark


def check_run_dir(run_dir: str | Path) -> Path:
    """`run_dir` as a Path, or an error naming what is missing and what to do."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise SynthRecordsError(f"run folder {run_dir} does not exist; {WHAT_TO_DO}")
    missing = [name for name, ok in (("report.json", (report_dir(run_dir) / "report.json").is_file()),
                                     ("synthetic.csv", _has_table(table_dir(run_dir)))) if not ok]
    if missing:
        raise SynthRecordsError(
            f"{run_dir} is not a synthrecords run folder: {' and '.join(missing)} missing; {WHAT_TO_DO}"
        )
    return run_dir


def part_of(report: dict[str, Any]) -> str:
    """Which part a report is: "share", "owner", "validate" (the validate verb's) or "legacy"
    (a run folder written before the split)."""
    if report.get("part") in PARTS:
        return report["part"]
    return "validate" if (report.get("run") or {}).get("kind") == "validate" else "legacy"


def read_report(run_dir: str | Path) -> dict[str, Any]:
    """report.json of a run folder or one of its parts (read only), with a clear error when it is none."""
    path = report_dir(check_run_dir(run_dir)) / "report.json"
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SynthRecordsError(f"{path} is not valid JSON ({exc}); run the job again") from None
    if not isinstance(report, dict):
        raise SynthRecordsError(f"{path} does not hold a report object; run the job again")
    return report


def streamlit_command(
    run_dir: str | Path, port: int | None = None, headless: bool = True, address: str = "localhost"
) -> list[str]:
    # Loopback by default: the page shows synthetic rows and PII findings of sensitive data.
    command = [sys.executable, "-m", "streamlit", "run", str(app_path()),
               "--server.headless", str(headless).lower(), "--server.address", address,
               "--browser.gatherUsageStats", "false",
               "--client.toolbarMode", "minimal"]  # analysts need no Deploy or developer menu
    if port is not None:
        command += ["--server.port", str(port)]
    return [*command, "--", str(Path(run_dir).resolve())]


def launch(run_dir: str | Path, port: int | None = None, headless: bool = True) -> int:
    """Serve the dashboard of `run_dir` until interrupted; Streamlit's exit status."""
    check_run_dir(run_dir)  # fail here, in the terminal, rather than in the browser
    server = subprocess.Popen(streamlit_command(run_dir, port, headless))
    try:
        return server.wait()
    except KeyboardInterrupt:
        # Ctrl+C is how a dashboard is meant to stop; Streamlit got it too: let it shut down.
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        return 0
    finally:
        if server.poll() is None:  # never leave a server behind us
            server.kill()
            server.wait()
