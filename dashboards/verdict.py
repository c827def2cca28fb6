"""The Overview's verdict line and the list of what to look at first, from report.json.

Three levels: "stop" (do not share: a real value leaked, a blocking rule failed, the
budget was overspent), "review" (shareable only after someone has looked at the point
named), "note" (worth knowing, changes nothing on its own). The thresholds are rules of
thumb for a first look, not guarantees; each finding names the page that explains it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from report_views import percent, privacy_measures, section

LEVELS = ("stop", "review", "note")
FIDELITY_REVIEW = 0.7  # SDMetrics quality below this: the table as a whole is off
COLUMN_REVIEW = 0.8  # one column's shape score below this: that column is off
ASSOCIATION_REVIEW = 0.3  # |real - synthetic| association of a pair above this
UTILITY_REVIEW = 0.8  # TSTR below 80 % of TRTR: models learn less from the synthetic table
DETECTION_NOTE = 0.9  # a classifier separates synthetic from real rows this well
RISK_REVIEW = 0.05  # an attack's risk over random guessing, with its interval above 0
CLOSER_TO_TRAIN_REVIEW = 0.6  # share of synthetic rows nearer a training row than holdout rows are
MIX_REVIEW = 0.02  # achieved share off the requested one by more than this


@dataclass(frozen=True)
class Finding:
    level: str
    page: str
    text: str


@dataclass
class Verdict:
    level: str
    headline: str
    findings: list[Finding] = field(default_factory=list)


def verdict(report: dict[str, Any]) -> Verdict:
    found = [*_privacy(report), *_rules(report), *_fidelity(report), *_utility(report), *_pii(report)]
    found.sort(key=lambda f: LEVELS.index(f.level))  # stable: within a level, the order above
    stops = [f for f in found if f.level == "stop"]
    reviews = [f for f in found if f.level == "review"]
    if stops:
        return Verdict("stop", f"Do not share yet: {stops[0].text}", found)
    if reviews:
        return Verdict("review", f"Review before sharing: {len(reviews)} point{'s' * (len(reviews) > 1)} "
                                 "below need a look", found)
    if report.get("part") == "share":  # the leakage check and every real-side figure are in owner/ only
        return Verdict("good", "No blocking issue in the shareable part; the checks against real rows (leakage, "
                               "fidelity, attacks) are in the owner's part", found)
    return Verdict("good", "No blocking issue found: the measured figures are within the usual ranges", found)


def _privacy(report: dict[str, Any]) -> list[Finding]:
    s, out = report.get("summary", {}), []
    if s.get("leakage_passed") is False:
        out.append(Finding("stop", "Privacy", "the leakage check found real identifier values in synthetic.csv"))
    target, spent = s.get("epsilon_target"), s.get("epsilon_spent")
    if target is not None and spent is not None and spent > target * (1 + 1e-9):
        out.append(Finding("stop", "Privacy", f"ε spent {spent:.3g} exceeds the target {target:g}"))
    if target is None:
        out.append(Finding("review", "Privacy", "no formal privacy guarantee (no ε set): share only where "
                                                "a non-DP synthetic table is acceptable"))
    measures = privacy_measures(report)
    share, holdout = measures.get("exact_match_share"), measures.get("holdout_exact_match_share") or 0.0
    if share is not None and share > holdout:
        level = "stop" if share > holdout + 0.01 else "review"
        out.append(Finding(level, "Privacy", f"{percent(share)} of synthetic rows copy a training row exactly "
                                             f"(holdout rows: {percent(holdout)})"))
    mia = measures.get("membership_inference") or {}
    ci = mia.get("ci95") or [None, None]
    if ci[0] is not None and ci[0] > 0.5:
        out.append(Finding("review", "Privacy", f"the membership attack beats chance: AUC {mia['auc']:.3f} "
                                                f"(95 % CI {ci[0]:.3f}–{ci[1]:.3f})"))
    closer = (measures.get("dcr") or {}).get("share_closer_to_train_than_holdout")
    if closer is not None and closer > CLOSER_TO_TRAIN_REVIEW:
        out.append(Finding("review", "Privacy", f"{percent(closer)} of synthetic rows are closer to a training "
                                                "row than to a holdout row (50 % expected)"))
    attacks = measures.get("attacks") or {}
    risks = [(k.replace("_", " "), attacks.get(k) or {}) for k in ("singling_out", "linkability")]
    risks += [(f"inference of {r.get('column')}", r) for r in attacks.get("inference") or []]
    for name, r in risks:
        low = (r.get("ci95") or [0])[0]
        if r.get("risk") is not None and r["risk"] > RISK_REVIEW and low > 0:
            out.append(Finding("review", "Privacy", f"{name} risk {percent(r['risk'])} above random guessing"))
    return out


def _rules(report: dict[str, Any]) -> list[Finding]:
    e, out = section(report, "expectations"), []
    blocking = e.get("blocking_failed", report.get("summary", {}).get("expectations_blocking_failed"))
    if blocking:
        out.append(Finding("stop", "Expectations", f"{blocking} blocking expectation{'s' * (blocking > 1)} failed"))
    if e.get("warnings_failed"):
        out.append(Finding("note", "Expectations", f"{e['warnings_failed']} warning-level expectation(s) failed"))
    sampling = report.get("sampling") or {}
    for column, requested in (sampling.get("requested") or {}).items():
        achieved = (sampling.get("achieved") or {}).get(column) or {}
        for value, want in requested.items():
            got = achieved.get(value)
            if got is not None and abs(got - want) > MIX_REVIEW:
                out.append(Finding("review", "Utility", f"{column} = {value}: {percent(got)} of rows, "
                                                        f"{percent(want)} requested"))
    filled = sum(c.get("filled_without_condition") or 0 for c in sampling.get("cells") or [])
    if filled:
        out.append(Finding("review", "Utility", f"{filled:,} rows were filled without their requested class "
                                                "(the model rarely produced it)"))
    return out


def _fidelity(report: dict[str, Any]) -> list[Finding]:
    fid, out = section(report, "fidelity"), []
    quality = fid.get("quality_score")
    if quality is not None and quality < FIDELITY_REVIEW:
        out.append(Finding("review", "Fidelity", f"overall fidelity {percent(quality)} (column shapes "
                                                 f"{percent(fid.get('column_shapes'))}, pair trends "
                                                 f"{percent(fid.get('column_pair_trends'))})"))
    worst = sorted((c for c in fid.get("per_column") or [] if c.get("score") is not None), key=lambda c: c["score"])
    poor = [c for c in worst if c["score"] < COLUMN_REVIEW]
    if poor:
        names = ", ".join(f"{c['column']} ({percent(c['score'])})" for c in poor[:3])
        out.append(Finding("review", "Fidelity", f"columns whose distribution differs most: {names}"))
    assoc = fid.get("associations")
    if assoc:
        names, diff = assoc["columns"], assoc["difference"]
        a, b = max(((i, j) for i in range(len(names)) for j in range(i + 1, len(names))),
                   key=lambda ij: diff[ij[0]][ij[1]], default=(0, 0))
        if a != b and diff[a][b] > ASSOCIATION_REVIEW:
            out.append(Finding("review", "Fidelity", f"the association of {names[a]} and {names[b]} differs by "
                                                     f"{diff[a][b]:.2f} (real {assoc['real'][a][b]:.2f}, "
                                                     f"synthetic {assoc['synthetic'][a][b]:.2f})"))
    auc = (fid.get("detection") or {}).get("auc")
    if auc is not None and auc > DETECTION_NOTE:
        out.append(Finding("note", "Fidelity", f"a classifier tells synthetic from real rows apart (AUC {auc:.2f}); "
                                               "usual for synthetic data, but rows are not lookalikes"))
    return out


def _utility(report: dict[str, Any]) -> list[Finding]:
    util, out = section(report, "utility"), []
    if util.get("status") == "measured":
        for m in util.get("metrics") or []:
            if m.get("ratio") is not None and m["ratio"] < UTILITY_REVIEW:
                out.append(Finding("review", "Utility", f"a model trained on synthetic rows reaches {percent(m['ratio'])} "
                                                        f"of the real-trained {m['metric']} ({m['tstr']:.3f} vs "
                                                        f"{m['trtr']:.3f}) predicting {util.get('target')}"))
    elif util.get("reason"):
        out.append(Finding("note", "Utility", f"utility not measured: {util['reason']}"))
    for entry in (report.get("sampling") or {}).get("class_fidelity") or []:
        if entry.get("score") is not None and entry["score"] < FIDELITY_REVIEW:
            out.append(Finding("review", "Utility", f"rows of the class {entry['column']} = {entry['value']} match "
                                                    f"their real counterparts poorly ({percent(entry['score'])})"))
    return out


def _pii(report: dict[str, Any]) -> list[Finding]:
    out = []
    for c in (report.get("pii") or {}).get("columns") or []:
        if c.get("category") in ("direct", "free_text") and c.get("action") == "keep":
            kind = "direct identifier" if c["category"] == "direct" else "free text with personal data"
            out.append(Finding("stop", "PII", f"{kind} {c['column']} is released as it was"))
    for warning in (report.get("pii") or {}).get("warnings") or []:
        out.append(Finding("note", "PII", warning))
    return out
