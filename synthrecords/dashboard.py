"""`synthrecords dashboard RUN_DIR`: start the Streamlit app on a release folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .errors import SynthRecordsError

RUN_FILES = ("report.json", "synthetic.csv")
APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"


def read_run(run_dir: str | Path) -> dict[str, Any]:
    """The report of a release folder, with a clear error when it is not one."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise SynthRecordsError(f"{run_dir} is not a folder; run `synthrecords run JOB.toml` or `synthrecords demo` first")
    missing = [name for name in RUN_FILES if not (run_dir / name).is_file()]
    if missing:
        raise SynthRecordsError(f"{run_dir} is not a synthrecords release: {', '.join(missing)} missing; "
                                "run `synthrecords run JOB.toml` or `synthrecords demo` first")
    try:
        return json.loads((run_dir / "report.json").read_text())
    except ValueError as exc:
        raise SynthRecordsError(f"{run_dir / 'report.json'} is not valid JSON ({exc}); re-run the job") from None


def streamlit_command(run_dir: Path, port: int | None = None, address: str = "localhost") -> list[str]:
    if not APP.is_file():
        raise SynthRecordsError(f"dashboard app not found at {APP}; the dashboard runs from a source checkout")
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
               "--server.address", address, "--browser.gatherUsageStats", "false"]
    if port is not None:
        command += ["--server.port", str(port)]
    return command + ["--", str(Path(run_dir).resolve())]


def launch(run_dir: str | Path, port: int | None = None) -> int:
    read_run(run_dir)  # fail here, in the terminal, rather than in the browser
    return subprocess.call(streamlit_command(Path(run_dir), port))
