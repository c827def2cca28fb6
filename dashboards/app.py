"""Streamlit dashboard of one synthrecords run folder. Reads files only; never writes there.

How the run folder reaches the page: `synthrecords dashboard RUN_DIR` starts
`streamlit run dashboards/app.py -- RUN_DIR`, so it is the script's first argument
(`sys.argv[1]`); tests running the page in-process with AppTest set `sys.argv` the same
way. The sidebar field starts with it and lets an analyst open another folder.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
import report_views as views  # beside this file: Streamlit puts the script's folder on sys.path
import streamlit as st

from synthrecords.dashboard import WHAT_TO_DO, read_report
from synthrecords.errors import SynthRecordsError

PREVIEW_ROWS = 50


@st.cache_data(show_spinner=False, max_entries=8)
def load_run(run_dir: str, changed: tuple[float, ...]) -> tuple[dict[str, Any], pd.DataFrame]:
    """report.json and the first synthetic rows. `changed` (file times) is only part of the
    cache key, so a run written again into the same folder is read again."""
    report = read_report(run_dir)
    # As text: the preview shows the file as a reader gets it (leading zeros, exact dates).
    preview = pd.read_csv(Path(run_dir) / "synthetic.csv", nrows=PREVIEW_ROWS, dtype=str, keep_default_na=False)
    return report, preview


def modification_times(run_dir: str) -> tuple[float, ...]:
    paths = (Path(run_dir) / name for name in ("report.json", "synthetic.csv"))
    return tuple(p.stat().st_mtime if p.exists() else 0.0 for p in paths)


def show_summary(report: dict[str, Any]) -> None:
    metrics = views.summary_metrics(report)
    # Two rows on one grid: seven values at metric size do not fit one row of a laptop screen.
    for row in (metrics[:4], metrics[4:]):
        for column, m in zip(st.columns(4), row, strict=False):
            column.metric(m.label, m.value, m.note, delta_color=m.color, delta_arrow="off", help=m.help)
    summary = report.get("summary", {})
    if summary.get("leakage_passed") is False:
        st.error("The leakage check found real identifier values in the synthetic table: do not share it.")


def show_pii(report: dict[str, Any]) -> None:
    st.header("Personal data found and what was done")
    table = views.pii_table(report)
    lines = views.pii_lines(report)
    if lines:
        st.markdown("\n".join(f"- {line}" for line in lines))
    if table.empty:
        st.info("This report lists no scanned columns.")
    else:
        st.dataframe(table, hide_index=True, column_config={
            "confidence": st.column_config.NumberColumn(format="percent")})
    pii = report.get("pii", {})
    if pii.get("nlp_model"):
        st.caption(f"Free text scanned with spaCy model {pii['nlp_model']}.")
    for warning in pii.get("warnings", []):
        st.warning(warning)


def show_validation(report: dict[str, Any]) -> None:
    st.header("Validation")
    st.subheader("Expectations (failures first)")
    results = views.expectation_table(report)
    if results.empty:
        st.info("No expectation results in this report.")
    else:
        st.caption(" · ".join(views.suite_lines(report)))
        st.dataframe(results, hide_index=True)
    st.subheader("Fidelity")
    text, per_column = views.fidelity_text(report), views.fidelity_table(report)
    if text is None and per_column.empty:
        st.info("No fidelity measurements in this report.")
    if text:
        st.markdown(text)
    if not per_column.empty:
        # Scaled to 0-100 so every score prints with one decimal, like the summary.
        st.dataframe(per_column.assign(score=per_column["score"] * 100), hide_index=True, column_config={
            "score": st.column_config.ProgressColumn("score (worst first)", min_value=0.0, max_value=100.0,
                                                     format="%.1f%%", color="blue")})


def show_privacy(report: dict[str, Any]) -> None:
    st.header("Privacy")
    ledger = report.get("privacy", {})
    st.markdown(ledger.get("note") or f"Differential privacy: {views.privacy_text(report.get('summary', {}))}")
    scope = ledger.get("scope") or []
    for caption in [ledger.get("accounting"), *([scope] if isinstance(scope, str) else scope)]:
        if caption:
            st.caption(caption)
    st.subheader("Privacy ledger")
    entries = views.ledger_table(report)
    if entries.empty:
        st.info("No mechanism touched real data under a privacy budget (the ledger is empty).")
    else:
        st.dataframe(entries, hide_index=True)
    dcr = views.dcr_metrics(report)
    if dcr:
        st.subheader("Distance to closest record")
        for column, (label, value) in zip(st.columns(len(dcr)), dcr, strict=True):
            column.metric(label, value)
        metric = views.dcr_note(report)
        if metric:
            st.caption(metric)
    findings = views.leakage_findings(report)
    if not findings.empty:
        st.subheader("Leakage findings")
        st.dataframe(findings, hide_index=True)


def show_preview(report: dict[str, Any], preview: pd.DataFrame) -> None:
    total = report.get("summary", {}).get("rows") or report.get("run", {}).get("rows_synthetic")
    st.header(f"Synthetic rows (first {PREVIEW_ROWS})")
    if total is not None:
        st.caption(f"{len(preview)} of {total:,} rows of synthetic.csv")
    st.dataframe(preview, hide_index=True)


def main() -> None:
    # The folder usually comes from the command line: keep the sidebar folded, the page wide.
    st.set_page_config(page_title="synthrecords dashboard", layout="wide", initial_sidebar_state="collapsed")
    given = sys.argv[1] if len(sys.argv) > 1 else ""
    run_dir = st.sidebar.text_input("Run folder", value=given).strip()
    if not run_dir:
        st.title("synthrecords dashboard")
        st.info(f"Enter a run folder in the sidebar; {WHAT_TO_DO} to make one.")
        return
    try:
        report, preview = load_run(run_dir, modification_times(run_dir))
    except SynthRecordsError as exc:
        st.title("synthrecords dashboard")
        st.error(str(exc))
        return
    run = report.get("run", {})
    st.title(f"Synthetic data run: {run.get('id', Path(run_dir).name)}")
    source = run.get("input", {})
    if run.get("created") or source.get("path"):
        st.caption(f"Created {run.get('created', '?')} from {source.get('path', '?')} "
                   f"({views.count(source.get('rows'))} rows × {views.count(source.get('columns'))} columns)")
    show_summary(report)
    show_pii(report)
    show_validation(report)
    show_privacy(report)
    show_preview(report, preview)


main()
