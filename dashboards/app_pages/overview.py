"""Overview: the verdict, what to look at first, the release's key figures, the first rows."""

import report_views as views
import runs
import streamlit as st
from verdict import figure_table, verdict

run_dir, report = runs.current()
summary = report.get("summary", {})

result = verdict(report)
# One colour per level, the words say the rest.
{"stop": st.error, "review": st.warning, "good": st.success}[result.level](result.headline)
if result.findings:
    st.subheader("What to look at first")
    st.markdown("\n".join(f"{i}. **{f.page}** ({f.level}): {f.text}" for i, f in enumerate(result.findings, 1)))
if result.figures:
    st.subheader("Headline figures, judged")
    st.dataframe(figure_table(result.figures), hide_index=True,
                 column_config={"rule": st.column_config.TextColumn(width="large")})

st.subheader("Release summary")
metrics = views.summary_metrics(report)
# Rows of four: eight values at metric size do not fit one row of a laptop screen.
for start in range(0, len(metrics), 4):
    for column, m in zip(st.columns(4), metrics[start:start + 4], strict=False):
        column.metric(m.label, m.value, m.note, delta_color=m.color, delta_arrow="off", help=m.help)
if summary.get("leakage_passed") is False:
    st.error("The leakage check found real identifier values in the synthetic table: do not share it.")
ledger = report.get("privacy", {})
if ledger.get("entries"):
    st.caption(f"Privacy ledger: {len(ledger['entries'])} mechanisms composed "
               f"({ledger.get('accounting') or 'accounting not stated'}); see Privacy.")
lines = views.pii_lines(report)
if lines:
    st.markdown("**Personal data and what was done**\n" + "\n".join(f"- {line}" for line in lines))

preview = runs.preview(run_dir)
total = summary.get("rows") or report.get("run", {}).get("rows_synthetic")
st.subheader(f"Synthetic rows (first {runs.PREVIEW_ROWS})")
if total is not None:
    st.caption(f"{len(preview)} of {total:,} rows of {runs.table_name(run_dir)}")
st.dataframe(preview, hide_index=True)
