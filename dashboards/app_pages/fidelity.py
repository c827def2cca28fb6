"""Fidelity: how closely the synthetic table follows the real one, column by column and in pairs.

Real data appears only as the aggregates the run computed (shares per bin, association
coefficients, joint shares per cell with small cells suppressed).
"""

import figures
import plots
import report_views as views
import runs
import streamlit as st

run_dir, report = runs.current()
fid = views.section(report, "fidelity")
st.header("Fidelity")
text = views.fidelity_text(report)
if text:
    st.markdown(text)
detection = fid.get("detection") or {}
if detection.get("auc") is not None:
    st.caption(f"Detection: a classifier ({detection.get('model', 'model')}) tells synthetic from real rows "
               f"with AUC {detection['auc']:.3f} (0.5 = indistinguishable, 1 = always).")

shapes, picked = st.columns([2, 3])
with shapes:
    st.subheader("Column shapes, least similar first")
    per_column = views.fidelity_table(report)
    if per_column.empty:
        st.info("No per-column scores in this report.")
    else:
        # Scaled to 0-100 so every score prints with one decimal, like the summary.
        st.dataframe(per_column.assign(score=per_column["score"] * 100), hide_index=True, height=420,
                     column_config={"score": st.column_config.ProgressColumn(
                         "similarity to real (100 % = same)", min_value=0.0, max_value=100.0, format="%.1f%%", color="blue")})
with picked:
    st.subheader("Real vs synthetic distribution")
    columns = figures.distribution_columns(report)
    if not columns:
        st.info("This report holds no per-column distributions (run without the charts measure).")
    else:
        worst = per_column["column"].tolist() if not per_column.empty else []
        # Worst first here too: the first column offered is the one to look at.
        ordered = [c for c in worst if c in columns] + [c for c in columns if c not in worst]
        column = st.selectbox("Column", ordered, key="fidelity_column")
        st.altair_chart(plots.distribution(figures.distribution(report, column), column), width="stretch")
        kind = figures.distribution_kind(report, column)
        st.caption("Numbers and dates: equal bins between the 1st and 99th percentiles of both tables (values "
                   "outside counted in the end bins). " if kind in ("numerical", "datetime") else
                   "The most common categories held by at least 10 real rows; the rest pooled as (other). ")

st.subheader("Column associations")
assoc = figures.associations(report)
if assoc.empty:
    st.info("This report holds no association matrices.")
else:
    order = list(dict.fromkeys(assoc["x"]))
    for frame_column, (value, title, scheme) in zip(st.columns(3), [
            ("real", "Real", "blues"), ("synthetic", "Synthetic", "blues"),
            ("difference", "|Real − synthetic|", "reds")], strict=True):
        frame_column.altair_chart(plots.heatmap(assoc, value, title, order, scheme=scheme), width="content")
    st.caption(fid["associations"].get("measure", ""))
    st.dataframe(figures.worst_pairs(report), hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="%.2f") for c in ("real", "synthetic", "difference")})

st.subheader("Pair plot")
names = figures.pair_columns(report)
if len(names) < 2:
    st.info("This report holds no joint shares of column pairs (reports written before the dashboard's "
            "pair plot, or with fewer than two compared columns).")
else:
    left, right = st.columns(2)
    worst_pair = figures.worst_pairs(report, 1)
    default = (worst_pair.loc[0, "x"], worst_pair.loc[0, "y"]) if not worst_pair.empty else (names[0], names[1])
    default = default if all(d in names for d in default) else (names[0], names[1])
    x = left.selectbox("First column", names, index=names.index(default[0]), key="pair_x")
    rest = [n for n in names if n != x]
    y = right.selectbox("Second column", rest, index=rest.index(default[1]) if default[1] in rest else 0,
                        key="pair_y")
    cells = figures.pair(report, x, y)
    if cells is not None:
        st.altair_chart(plots.pair(cells, x, y, figures.pair_labels(report, x), figures.pair_labels(report, y)))
    st.caption(f"Real beside synthetic: {fid['pairs'].get('note', '')}. "
               f"The first {len(names)} compared columns are offered.")
