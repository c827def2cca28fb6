"""Expectations: every rule the synthetic table was checked against, failures first."""

import report_views as views
import runs
import streamlit as st

run_dir, report = runs.current()
st.header("Expectations")
results = views.expectation_table(report)
if results.empty:
    st.info("No expectation results in this report.")
else:
    st.markdown(" · ".join(views.suite_lines(report)))
    failed = results[results["result"] == "FAILED"]
    if st.toggle("Failures only", value=not failed.empty, key="failures_only"):
        results = failed
    st.dataframe(results, hide_index=True, column_config={
        "unexpected": st.column_config.NumberColumn(format="%.2f%%"),
        "examples": st.column_config.TextColumn("failing examples", width="medium")})
    st.caption("Failing examples come from the synthetic table; any equal to or containing a real identifier "
               "is withheld. 'real reference' is the same rule on a sample of the real training rows.")
