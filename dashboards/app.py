"""Streamlit dashboard of one synthrecords release folder (read-only).

Started by `synthrecords dashboard RUN_DIR`, which passes the folder as the script's
first argument; the sidebar lets an analyst open another folder.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import streamlit as st

from synthrecords.dashboard import read_run
from synthrecords.errors import SynthRecordsError


@st.cache_data(show_spinner=False)
def load(run_dir: str, stamp: float) -> tuple[dict, pd.DataFrame]:
    report = read_run(run_dir)
    preview = pd.read_csv(Path(run_dir) / "synthetic.csv", nrows=50, dtype=str)
    return report, preview


def privacy_text(summary: dict) -> str:
    if summary.get("epsilon_target") is None:
        return "none"
    return f"ε {summary['epsilon_spent']:.3g} / {summary['epsilon_target']:g}"


def show_summary(report: dict) -> None:
    s = report["summary"]
    score = s.get("fidelity_score")
    first, second = st.columns(3), st.columns(3)
    first[0].metric("Synthetic rows", f"{s['rows']:,}")
    first[1].metric("Model", s["model"])
    first[2].metric("Differential privacy", privacy_text(s),
                    help="no formal privacy guarantee" if s.get("epsilon_target") is None else f"delta {s['delta']:.2g}")
    second[0].metric("Fidelity (SDMetrics quality)", "n/a" if score is None else f"{score:.1%}")
    second[1].metric("Expectations passed / failed", f"{s['expectations_passed']} / {s['expectations_failed']}")
    second[2].metric("Leakage check", "passed" if s["leakage_passed"] else "FAILED")


def show_pii(report: dict) -> None:
    st.header("Personal data found and what was done")
    pii = pd.DataFrame(report["pii"]["columns"])
    if pii.empty:
        st.info("No columns were scanned.")
        return
    pii["entities"] = pii["entities"].map(", ".join)
    pii["evidence"] = pii["evidence"].map("; ".join)
    st.dataframe(pii[["column", "category", "entities", "confidence", "action", "evidence"]], hide_index=True)
    for warning in report["pii"].get("warnings", []):
        st.warning(warning)


def show_validation(report: dict) -> None:
    st.header("Validation")
    rows = [dict(r, suite=suite["name"]) for suite in report["validation"]["expectations"]["suites"] for r in suite["results"]]
    if rows:
        results = pd.DataFrame(rows).sort_values("success", kind="stable")
        results["observed"] = results["observed"].astype(str)
        st.subheader("Expectations (failures first)")
        st.dataframe(results[["suite", "expectation", "column", "success", "observed"]], hide_index=True)
    fidelity = report["validation"]["fidelity"]
    st.subheader("Fidelity")
    if fidelity.get("quality_score") is not None:
        st.write(f"SDMetrics quality score **{fidelity['quality_score']:.1%}** "
                 f"(column shapes {fidelity['column_shapes']:.1%}, column pair trends {fidelity['column_pair_trends']:.1%})")
    if fidelity.get("per_column"):
        st.bar_chart(pd.DataFrame(fidelity["per_column"]).set_index("column")["score"])


def show_privacy(report: dict) -> None:
    st.header("Privacy")
    ledger = report["privacy"]
    st.write(ledger.get("note") or ledger.get("guarantee"))
    if ledger.get("scope"):
        st.caption(ledger["scope"])
    if ledger.get("entries"):
        st.dataframe(pd.DataFrame(ledger["entries"]), hide_index=True)
    metrics = report["validation"].get("privacy", {})
    dcr = metrics.get("dcr", {})
    if dcr:
        cols = st.columns(3)
        cols[0].metric("Median distance to closest record", f"{dcr['median']:.3f}")
        cols[1].metric("Exact copies of real rows", metrics.get("exact_matches", 0))
        share = dcr.get("share_closer_to_train_than_holdout")
        cols[2].metric("Closer to training than holdout", "n/a" if share is None else f"{share:.1%}")
        st.caption(dcr.get("metric", ""))


def main() -> None:
    st.set_page_config(page_title="synthrecords", layout="wide")
    default = sys.argv[1] if len(sys.argv) > 1 else ""
    run_dir = st.sidebar.text_input("Release folder", value=default)
    if not run_dir:
        st.info("Enter a release folder (written by `synthrecords run` or `synthrecords demo`).")
        return
    try:
        report, preview = load(run_dir, (Path(run_dir) / "report.json").stat().st_mtime if Path(run_dir, "report.json").exists() else 0.0)
    except SynthRecordsError as exc:
        st.error(str(exc))
        return
    st.title(f"Synthetic data release: {report['run']['id']}")
    st.caption(f"Created {report['run']['created']} from {report['run']['input']['path']} "
               f"({report['run']['input']['rows']:,} rows)")
    show_summary(report)
    show_pii(report)
    show_validation(report)
    show_privacy(report)
    st.header("Synthetic rows (first 50)")
    st.dataframe(preview, hide_index=True)
    st.download_button("Download report.json", json.dumps(report, indent=2), file_name="report.json")


main()
