import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "customers.csv"
DIRECT_COLUMNS = ["customer_id", "full_name", "email", "phone", "ssn", "street_address"]


def run_cli(*args: str, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real `synthrecords` command in a child process."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-m", "synthrecords", *map(str, args)], check=False, capture_output=True,
                          text=True, cwd=cwd or ROOT, env=env, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"synthrecords {' '.join(map(str, args))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    return proc


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory) -> Path:
    """400 rows of the sample table: every kind of column, small enough for fast runs."""
    path = tmp_path_factory.mktemp("data") / "customers_small.csv"
    pd.read_csv(SAMPLE, dtype=str).head(400).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def release_dir(small_csv, tmp_path_factory) -> Path:
    """A release folder written by the real pipeline on the small table."""
    from synthrecords.config import JobConfig
    from synthrecords.pipeline import run_job

    out = tmp_path_factory.mktemp("release") / "small-run"
    job = JobConfig.from_dict({"input": {"path": str(small_csv)}, "output": {"dir": str(out), "rows": 200},
                               "model": {"name": "gaussian_copula", "seed": 3}})
    run_job(job)
    return out
