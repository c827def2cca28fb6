"""Utility and rare classes: does a model learn from the synthetic table, did the class mix come out right."""

import figures
import plots
import report_views as views
import runs
import streamlit as st
import verdict

run_dir, report = runs.current()
st.header("Utility: train on synthetic, test on real")
util = views.section(report, "utility")
table = figures.utility_table(report)
if table.empty:
    st.info(f"Utility was not measured: {util.get('reason') or 'this report has no utility section'}.")
else:
    st.markdown(f"Predicting **{util.get('target')}** ({util.get('task', 'task')}): a model trained on the "
                "synthetic rows (TSTR) vs the same model trained on the real training rows (TRTR), both "
                "scored on the real holdout the generator never saw.")
    chart, numbers = st.columns([3, 2])
    chart.altair_chart(plots.utility(figures.utility_bars(table)), width="stretch")
    numbers.dataframe(table, hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="%.3f") for c in table.columns if c not in ("metric", "TSTR / TRTR")}
        | {"TSTR / TRTR": st.column_config.NumberColumn(format="percent")})
    for figure in (f for f in verdict.figures(report) if f.name.startswith("utility")):
        numbers.markdown(f"**{figure.name}: {figure.word}** ({figure.rule})")
    if util.get("too_small"):
        st.warning(f"Too small to judge: {util['too_small']}.")
    sizes = util.get("rows_used") or {}
    if sizes:
        numbers.caption(f"{util.get('model', '')}; rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))

st.header("Rare classes: requested vs achieved mix")
sampling = report.get("sampling") or {}
mix = figures.class_mix(report)
if mix.empty:
    st.info("No class mix was requested for this run (job key [sample.oversample] or `sample --oversample`).")
    target = util.get("target")
    shares = figures.distribution(report, target) if target else None
    if shares is not None and not shares.empty:
        st.altair_chart(plots.distribution(shares, target), width="stretch")
        st.caption(f"Share of each {target} class as the model produced it, beside the real share.")
else:
    long = mix.melt(id_vars=["column", "class"], value_vars=["real", "requested", "achieved"],
                    var_name="share of", value_name="share").dropna(subset=["share"])
    for column in mix["column"].unique():
        st.altair_chart(plots.grouped(long[long["column"] == column], "class", "share", "share of",
                                      f"{column}: share of rows", ["real", "requested", "achieved"],
                                      percent=True), width="stretch")
    st.dataframe(mix, hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="percent") for c in ("real", "requested", "achieved")})
lines = []
if sampling.get("acceptance_rate") is not None:
    lines.append(f"acceptance of conditional draws: {views.percent(sampling['acceptance_rate'])}")
flt = sampling.get("filter") or {}
if flt.get("checked"):
    lines.append(f"filter: {flt.get('rejected', 0):,} of {flt['checked']:,} rows rejected for breaking a "
                 f"row-level expectation ({views.percent(flt.get('rejection_rate'))})")
filled = sum(c.get("filled_without_condition") or 0 for c in sampling.get("cells") or [])
if filled:
    lines.append(f"{filled:,} rows filled without their requested class")
if lines:
    st.markdown("\n".join(f"- {line}" for line in lines))
fidelity = figures.class_fidelity(report)
if not fidelity.empty:
    st.subheader("Fidelity within each requested class")
    st.dataframe(fidelity, hide_index=True, column_config={"score": st.column_config.ProgressColumn(
        "score", min_value=0.0, max_value=1.0, format="percent")})
