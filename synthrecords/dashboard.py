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


def app_path() -> Path:
    """The Streamlit script, found beside the package (the repository root holds both)."""
    app = Path(synthrecords.__file__).resolve().parents[1] / "dashboards" / "app.py"
    if not app.is_file():
        raise SynthRecordsError(
            f"dashboard app not found at {app}: it ships in the source tree, not in the wheel; "
            "install synthrecords from a checkout (`pip install -e .`) to use the dashboard"
        )
    return app


def check_run_dir(run_dir: str | Path) -> Path:
    """`run_dir` as a Path, or an error naming what is missing and what to do."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise SynthRecordsError(f"run folder {run_dir} does not exist; {WHAT_TO_DO}")
    missing = [name for name in REQUIRED_FILES if not (run_dir / name).is_file()
               and not (name == "synthetic.csv" and (run_dir / "synthetic.parquet").is_dir())]  # engine spark
    if missing:
        raise SynthRecordsError(
            f"{run_dir} is not a synthrecords run folder: {' and '.join(missing)} missing; {WHAT_TO_DO}"
        )
    return run_dir


def read_report(run_dir: str | Path) -> dict[str, Any]:
    """report.json of a run folder (read only), with a clear error when it is not one."""
    path = check_run_dir(run_dir) / "report.json"
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
