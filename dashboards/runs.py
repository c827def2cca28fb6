"""Run folders as the pages read them: cached on path + file times, never written to.

The cache key holds the files' modification times, so a run written again into the same
folder is read again; a 100k-row run costs one read of report.json (aggregates only) and
of the first synthetic rows, whatever the page.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from synthrecords.dashboard import read_report, report_dir, table_dir
from synthrecords.errors import SynthRecordsError

PREVIEW_ROWS = 50
# Sections the pages read as objects; a report.json from another version or edited by hand
# that holds something else is refused here, with a message on the page, not a traceback.
SECTIONS = ("run", "summary", "pii", "privacy", "utility", "sampling", "expectations", "fidelity", "validation")
CURRENT = "current_run"  # session-state key: the folder app.py opened, for the pages


def modification_times(run_dir: str) -> tuple[float, ...]:
    paths = (report_dir(run_dir) / "report.json", table_dir(run_dir) / "synthetic.csv",
             table_dir(run_dir) / "synthetic.parquet")
    return tuple(p.stat().st_mtime if p.exists() else 0.0 for p in paths)


@st.cache_data(show_spinner=False, max_entries=16)
def _report(run_dir: str, changed: tuple[float, ...]) -> dict[str, Any]:
    report = read_report(run_dir)
    for name in SECTIONS:
        if name in report and not isinstance(report[name], dict | None):
            raise SynthRecordsError(f"{report_dir(run_dir) / 'report.json'}: section {name!r} holds a "
                                    f"{type(report[name]).__name__}, not an object; the file is from another "
                                    "synthrecords version or was edited; run the job again to rewrite it")
    return report


def report(run_dir: str) -> dict[str, Any]:
    """report.json of `run_dir`; SynthRecordsError when it is not a run folder."""
    return _report(run_dir, modification_times(run_dir))


@st.cache_data(show_spinner=False, max_entries=8)
def _preview(run_dir: str, changed: tuple[float, ...], rows: int) -> pd.DataFrame:
    # As text: the preview shows the file as a reader gets it (leading zeros, exact dates).
    if table_name(run_dir) == "synthetic.parquet":  # an engine-spark run
        import pyarrow.dataset as ds

        head = ds.dataset(table_dir(run_dir) / "synthetic.parquet", format="parquet").head(rows).to_pandas()
        return head.astype(str).where(head.notna(), "")
    return pd.read_csv(table_dir(run_dir) / "synthetic.csv", nrows=rows, dtype=str, keep_default_na=False)


def table_name(run_dir: str) -> str:
    """The synthetic table's file: synthetic.csv, or an engine-spark run's Parquet folder."""
    csv = table_dir(run_dir) / "synthetic.csv"
    return "synthetic.parquet" if not csv.exists() and (csv.parent / "synthetic.parquet").is_dir() else csv.name


def preview(run_dir: str, rows: int = PREVIEW_ROWS) -> pd.DataFrame:
    return _preview(run_dir, modification_times(run_dir), rows)


def current() -> tuple[str, dict[str, Any]]:
    """The run folder app.py opened and its report."""
    run_dir = st.session_state[CURRENT]
    return run_dir, report(run_dir)
