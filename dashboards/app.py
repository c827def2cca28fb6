"""Streamlit dashboard of one synthrecords run folder. Reads files only; never writes there.

How the run folder reaches the page: `synthrecords dashboard RUN_DIR` starts
`streamlit run dashboards/app.py -- RUN_DIR`, so it is the script's first argument
(`sys.argv[1]`); tests running the app in-process with AppTest set `sys.argv` the same
way. The sidebar field starts with it and lets an analyst open another folder.

This script is the frame every page runs in (st.navigation): it opens the run, shows its
title, then runs the chosen page from app_pages/, which reads the run through runs.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import report_views as views  # beside this file: Streamlit puts the script's folder on sys.path
import runs
import streamlit as st

from synthrecords.dashboard import PARTS, WHAT_TO_DO, part_of
from synthrecords.errors import SynthRecordsError

PAGES = [  # (file, title, icon); the first is the default page
    ("overview.py", "Overview", ":material/fact_check:"),
    ("fidelity.py", "Fidelity", ":material/bar_chart:"),
    ("utility.py", "Utility and rare classes", ":material/model_training:"),
    ("privacy.py", "Privacy", ":material/shield:"),
    ("pii.py", "PII", ":material/badge:"),
    ("expectations.py", "Expectations", ":material/rule:"),
    ("compare.py", "Compare runs", ":material/compare_arrows:"),
]


def main() -> None:
    st.set_page_config(page_title="synthrecords dashboard", layout="wide", initial_sidebar_state="collapsed")
    given = sys.argv[1] if len(sys.argv) > 1 else ""
    run_dir = st.sidebar.text_input("Run folder", value=given).strip()
    if not run_dir:
        st.title("synthrecords dashboard")
        st.info(f"Enter a run folder in the sidebar; {WHAT_TO_DO} to make one.")
        return
    try:
        report = runs.report(run_dir)
    except SynthRecordsError as exc:
        st.title("synthrecords dashboard")
        st.error(str(exc))
        return
    st.session_state[runs.CURRENT] = run_dir
    here = Path(__file__).parent / "app_pages"
    page = st.navigation([st.Page(here / file, title=title, icon=icon, default=i == 0)
                          for i, (file, title, icon) in enumerate(PAGES)], position="top")
    run = report.get("run", {})
    st.title(f"Synthetic data run: {run.get('id', Path(run_dir).name)}")
    part = part_of(report)
    st.markdown(f"**{PARTS[part]}**" if part == "share" else f":red[**{PARTS[part]}**]")
    source = run.get("input", {})
    if not source and run.get("created"):  # the shareable part names no input
        st.caption(f"Created {run['created']}")
    elif run.get("created") or source.get("path"):
        st.caption(f"Created {run.get('created', '?')} from {source.get('path', '?')} "
                   f"({views.count(source.get('rows'))} rows × {views.count(source.get('columns'))} columns)")
    try:
        page.run()
    except Exception as exc:  # noqa: BLE001 -- a report of an unexpected shape: say so on the page
        # (Streamlit's rerun/stop signals are BaseExceptions and pass through.)
        st.error(f"This page cannot read {Path(run_dir) / 'report.json'}: {type(exc).__name__}: {exc}; the file is "
                 "from another synthrecords version or was edited; run the job again to rewrite it")


main()
