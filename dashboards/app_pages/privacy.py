"""Privacy: the guarantee and its ledger, and what the attacks and distances measured."""

import figures
import plots
import report_views as views
import runs
import streamlit as st

run_dir, report = runs.current()
ledger = report.get("privacy", {})
st.header("Privacy")
st.markdown(ledger.get("note") or f"Differential privacy: **{views.privacy_text(report.get('summary', {}))}**")
if ledger.get("accounting"):
    st.caption(ledger["accounting"])

st.subheader("Privacy ledger")
entries = views.ledger_table(report)
if entries.empty:
    st.info("No mechanism touched real data under a privacy budget (the ledger is empty).")
else:
    st.dataframe(entries.drop(columns=["detail"], errors="ignore"), hide_index=True)
    if "detail" in entries:  # a grid cell cuts long text: the details as wrapped lines
        st.markdown("\n".join(f"- **{r.get('stage', '')}**: {r['detail']}" for r in entries.to_dict("records")
                               if isinstance(r.get("detail"), str) and r["detail"]))
scope = ledger.get("scope") or []
if scope:
    st.markdown("**What the guarantee covers**\n" + "\n".join(
        f"- {line}" for line in ([scope] if isinstance(scope, str) else scope)))

mia = figures.membership(report)
dcr = views.dcr_metrics(report)
if dcr or mia.get("auc") is not None:
    st.subheader("Distance to closest record and membership inference")
    figures_row = [*dcr]
    if mia.get("auc") is not None:
        ci = mia.get("ci95") or [None, None]
        note = None if ci[0] is None else f"95 % CI {ci[0]:.3f}–{ci[1]:.3f}"
        figures_row.append(("Membership attack AUC", f"{mia['auc']:.3f}", note))
    for column, entry in zip(st.columns(len(figures_row)), figures_row, strict=True):
        column.metric(entry[0], entry[1], entry[2] if len(entry) > 2 else None, delta_color="gray",
                      delta_arrow="off")
    if mia.get("attacker"):
        st.caption(f"Membership attack: {mia['attacker']} (0.5 = chance). " + (views.dcr_note(report) or ""))
hist = figures.dcr_histogram(report)
if not hist.empty:
    st.altair_chart(plots.dcr(hist), width="stretch")
    st.caption("Synthetic rows much closer to their training row than holdout rows are would point at copying.")

st.subheader("Attacks (Anonymeter-style risks)")
attacks = figures.attacks_table(report)
if attacks.empty:
    reason = (views.privacy_measures(report).get("attacks") or {}).get("skipped")
    st.info(f"No attack results in this report{': ' + reason if reason else ''}.")
else:
    st.dataframe(attacks.drop(columns=["note"]), hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="percent") for c in ("risk", "attack_rate", "control_rate")})
    notes = [f"- **{r['attack']}{' of ' + r['column'] if r['column'] else ''}**: {r['note']}"
             for r in attacks.to_dict("records") if r["note"]]
    if notes:  # wrapped, not cut off in a grid cell
        st.markdown("\n".join(notes))
    method = (views.privacy_measures(report).get("attacks") or {}).get("method")
    if method:
        st.caption(method)

findings = views.leakage_findings(report)
if not findings.empty:
    st.subheader("Leakage findings")
    st.dataframe(findings, hide_index=True)
