"""PII: what the scan found in each column and what was done to it (no values are shown)."""

import report_views as views
import runs
import streamlit as st

run_dir, report = runs.current()
st.header("Personal data found and what was done")
lines = views.pii_lines(report)
if lines:
    st.markdown("\n".join(f"- {line}" for line in lines))
table = views.pii_table(report)
if table.empty:
    st.info("This report lists no scanned columns.")
else:
    st.dataframe(table, hide_index=True, column_config={
        "confidence": st.column_config.NumberColumn(format="percent"),
        "evidence": st.column_config.TextColumn(width="large")})
pii = report.get("pii", {})
if pii.get("nlp_model"):
    st.caption(f"Free text scanned with spaCy model {pii['nlp_model']}.")
for warning in pii.get("warnings", []):
    st.warning(warning)
