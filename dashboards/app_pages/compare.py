"""Compare runs: two run folders' key figures side by side (e.g. ε 1 vs ε 10)."""

from pathlib import Path

import comparison
import runs
import streamlit as st

from synthrecords.errors import SynthRecordsError

run_dir, report = runs.current()
st.header("Compare runs")
choices = comparison.sibling_runs(run_dir)
OTHER = "another folder…"
left, right = st.columns(2)
picked = []
here = str(Path(run_dir).resolve())
# A starts at this run, B at the first other run beside it (this one again when there is none).
defaults = {"A": here, "B": next((c for c in choices if c != here), here)}
for column, side in ((left, "A"), (right, "B")):
    with column:
        options = [*choices, OTHER]
        start = choices.index(defaults[side])
        choice = st.selectbox(f"Run {side}", options, index=start, key=f"compare_{side}")
        if choice == OTHER:
            choice = st.text_input(f"Run {side} folder", key=f"compare_{side}_path").strip()
        picked.append(choice)

reports = []
for side, folder in zip("AB", picked, strict=True):
    if not folder:
        st.info(f"Pick run {side}.")
        st.stop()
    try:
        reports.append(runs.report(folder))
    except SynthRecordsError as exc:
        st.error(f"Run {side}: {exc}")
        st.stop()
names = tuple(comparison.run_label(f, r) for f, r in zip(picked, reports, strict=True))
if names[0] == names[1]:
    names = (f"{names[0]} (A)", f"{names[1]} (B)")
st.dataframe(comparison.key_figures(reports[0], reports[1], names), hide_index=True, width="stretch")
if len(choices) < 2:
    st.caption("No other run folder beside this one: choose 'another folder…' to type a path.")
