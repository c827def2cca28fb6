"""The verdict on a release, decided once from report.json: the CLI summary, report.html and
the dashboard all render what this module returns.

Two views of the same report:
- ``figures``: each headline figure with what it is compared with (chance, the holdout,
  the real-trained model, the target epsilon) and a word, good / review / poor, with the
  rule that gave it;
- ``findings``: what to look at first, at three levels: "stop" (do not share: a real value
  leaked, a blocking rule failed, the budget was overspent), "review" (shareable only after
  someone has looked at the point named), "note" (worth knowing, changes nothing alone).

The thresholds are rules of thumb for a first look, not calibrated guarantees; each is
stated beside the word it gives. Pure functions over a dict: old and partial reports work.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

LEVELS = ("stop", "review", "note")
WORDS = ("good", "review", "poor")

FIDELITY_GOOD, FIDELITY_REVIEW = 0.8, 0.7  # SDMetrics quality: the table as a whole
COLUMN_REVIEW = 0.8  # one column's shape similarity below this: that column is off
ASSOCIATION_REVIEW = 0.3  # |real - synthetic| association of a pair above this
DETECTION_GOOD, DETECTION_REVIEW = 0.75, 0.9  # a classifier tells synthetic from real rows
UTILITY_GOOD = 0.9  # TSTR at least this share of TRTR (and above chance): as useful as real rows
MEMBERSHIP_GOOD, MEMBERSHIP_REVIEW = 0.55, 0.6  # membership attack AUC (0.5: guessing)
RISK_REVIEW = 0.05  # an attack's risk over random guessing, with its interval above 0
CLOSER_GOOD, CLOSER_REVIEW = 0.55, 0.6  # synthetic rows nearer a training row than holdout rows are
COPY_MARGIN = 0.01  # exact copies above the holdout's own share by more than this: poor
MIX_REVIEW = 0.02  # achieved share off the requested one by more than this


@dataclass(frozen=True)
class Finding:
    level: str  # stop / review / note
    page: str  # the dashboard page that explains it
    text: str


@dataclass(frozen=True)
class Figure:
    name: str
    value: str
    reference: str  # what the value is compared with
    word: str  # good / review / poor
    rule: str  # the thresholds that gave the word
    page: str

    def line(self) -> str:
        return f"{self.name}: {self.value} -> {self.word} (vs {self.reference}; {self.rule})"


@dataclass
class Verdict:
    level: str  # stop / review / good
    headline: str
    findings: list[Finding] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _section(report: dict[str, Any], key: str) -> dict[str, Any]:
    """A measured section: top level since issue 6, under "validation" in older reports."""
    return report.get(key) or report.get("validation", {}).get(key) or {}


def _privacy(report: dict[str, Any]) -> dict[str, Any]:
    privacy = report.get("privacy") or {}
    return privacy if "dcr" in privacy else report.get("validation", {}).get("privacy", {})


def verdict(report: dict[str, Any]) -> Verdict:
    """The overall level, a headline whose count matches the findings listed, and the figures."""
    found = [*_privacy_findings(report), *_rule_findings(report), *_fidelity_findings(report),
             *_utility_findings(report), *_pii_findings(report)]
    found.sort(key=lambda f: LEVELS.index(f.level))  # stable: within a level, the order above
    stops = [f for f in found if f.level == "stop"]
    reviews = [f for f in found if f.level == "review"]
    listed = f"{len(found)} finding{'s' * (len(found) != 1)} below"
    if stops:
        level, headline = "stop", f"Do not share yet: {stops[0].text}"
    elif reviews:
        level = "review"
        headline = (f"Review before sharing: {listed}, {len(reviews)} of them "
                    f"need{'s' * (len(reviews) == 1)} a look")
    elif report.get("part") == "share":  # the leakage check and every real-side figure are in owner/ only
        level = "good"
        headline = ("No blocking issue in the shareable part; the checks against real rows (leakage, fidelity, "
                    "attacks) are in the owner's part" + (f" ({listed}, notes only)" if found else ""))
    else:
        level = "good"
        headline = "No blocking issue found: the measured figures are within the usual ranges" + (
            f" ({listed}, notes only)" if found else "")
    return Verdict(level, headline, found, figures(report))


# -- headline figures -----------------------------------------------------------------
def figures(report: dict[str, Any]) -> list[Figure]:
    out = [_guarantee(report), *_fidelity_figures(report), *_utility_figures(report), *_privacy_figures(report),
           *_rule_figures(report)]
    return [f for f in out if f is not None]


def _word(value: float, good: float, review: float, *, higher_is_better: bool = True) -> str:
    if higher_is_better:
        return "good" if value >= good else "review" if value >= review else "poor"
    return "good" if value <= good else "review" if value <= review else "poor"


def _guarantee(report: dict[str, Any]) -> Figure | None:
    s = report.get("summary") or {}
    target, spent = s.get("epsilon_target"), s.get("epsilon_spent")
    rule = "good: spent within the target; poor: over it; review: no epsilon set"
    if target is None:
        return Figure("privacy guarantee", "no guarantee (no epsilon set)", "a DP release: an epsilon", "review", rule,
                      "Privacy")
    if spent is None:
        return None
    word = "poor" if spent > target * (1 + 1e-9) else "good"
    return Figure("epsilon spent", f"{spent:.3g}", f"target {target:g}", word, rule, "Privacy")


def _fidelity_figures(report: dict[str, Any]) -> list[Figure]:
    fid, out = _section(report, "fidelity"), []
    quality = fid.get("quality_score")
    if quality is not None:
        out.append(Figure("fidelity score", pct(quality), "identical tables: 100 %",
                          _word(quality, FIDELITY_GOOD, FIDELITY_REVIEW),
                          f"good ≥ {FIDELITY_GOOD:.0%}, poor < {FIDELITY_REVIEW:.0%}", "Fidelity"))
    auc = (fid.get("detection") or {}).get("auc")
    if auc is not None:
        out.append(Figure("detection AUC", f"{auc:.2f}", "chance: 0.5",
                          _word(auc, DETECTION_GOOD, DETECTION_REVIEW, higher_is_better=False),
                          f"good ≤ {DETECTION_GOOD}, poor > {DETECTION_REVIEW}; high is usual for DP data",
                          "Fidelity"))
    return out


def utility_judgement(m: dict[str, Any], too_small: str | None) -> tuple[str, str]:
    """The word for one TSTR metric and the rule that gave it."""
    chance = m.get("chance", 0.5 if m.get("metric") == "roc_auc" else None)
    rule = (f"poor: its interval reaches chance; good: above chance and ≥ {UTILITY_GOOD:.0%} of TRTR; "
            "review otherwise")
    if too_small:
        return "review", f"the holdout is too small to judge: {too_small}"
    low = (m.get("tstr_ci95") or [m.get("tstr")])[0]
    if chance is not None and low is not None and low <= chance:
        return "poor", rule
    ratio = m.get("ratio")
    return ("good" if ratio is not None and ratio >= UTILITY_GOOD else "review"), rule


def utility_value(m: dict[str, Any]) -> tuple[str, str]:
    """``TSTR 0.638 (95 % CI 0.573–0.717)`` and ``chance 0.5, TRTR 0.749 (0.678–0.827)``."""
    ci, trtr_ci = m.get("tstr_ci95"), m.get("trtr_ci95")
    value = f"TSTR {m['tstr']:.3f}" + (f" (95 % CI {ci[0]:.3f}–{ci[1]:.3f})" if ci else "")
    chance = m.get("chance")
    reference = (f"chance {chance:.3g}, " if chance is not None else "") + f"TRTR {m['trtr']:.3f}" + (
        f" ({trtr_ci[0]:.3f}–{trtr_ci[1]:.3f})" if trtr_ci else "")
    return value, reference


def _utility_figures(report: dict[str, Any]) -> list[Figure]:
    util = _section(report, "utility")
    if util.get("status") != "measured":
        return []
    out = []
    for m in util.get("metrics") or []:
        if m.get("tstr") is None or m.get("trtr") is None:
            continue
        word, rule = utility_judgement(m, util.get("too_small"))
        value, reference = utility_value(m)
        out.append(Figure(f"utility {m['metric']} ({util.get('target')})", value, reference, word, rule, "Utility"))
    return out


def _privacy_figures(report: dict[str, Any]) -> list[Figure]:
    measures, out = _privacy(report), []
    mia = measures.get("membership_inference") or {}
    if mia.get("auc") is not None:
        ci = mia.get("ci95") or [None, None]
        word = "good" if ci[0] is not None and ci[0] <= 0.5 else _word(mia["auc"], MEMBERSHIP_GOOD,
                                                                         MEMBERSHIP_REVIEW, higher_is_better=False)
        interval = f" (95 % CI {ci[0]:.3f}–{ci[1]:.3f})" if ci[0] is not None else ""
        out.append(Figure("membership attack AUC", f"{mia['auc']:.3f}{interval}", "chance 0.5", word,
                          f"good: interval holds 0.5 or AUC ≤ {MEMBERSHIP_GOOD}; poor > {MEMBERSHIP_REVIEW}",
                          "Privacy"))
    share = measures.get("exact_match_share")
    if share is not None:
        holdout = measures.get("holdout_exact_match_share") or 0.0
        word = "good" if share <= holdout else "review" if share <= holdout + COPY_MARGIN else "poor"
        out.append(Figure("exact copies of training rows", pct(share), f"holdout rows: {pct(holdout)}", word,
                          f"good: no more than the holdout's; poor: over it by > {COPY_MARGIN:.0%}", "Privacy"))
    closer = (measures.get("dcr") or {}).get("share_closer_to_train_than_holdout")
    if closer is not None:
        out.append(Figure("rows closer to training than holdout", pct(closer), "50 % expected",
                          _word(closer, CLOSER_GOOD, CLOSER_REVIEW, higher_is_better=False),
                          f"good ≤ {CLOSER_GOOD:.0%}, poor > {CLOSER_REVIEW:.0%}", "Privacy"))
    return out


def _rule_figures(report: dict[str, Any]) -> list[Figure]:
    s, e, out = report.get("summary") or {}, _section(report, "expectations"), []
    failed = e.get("failed", s.get("expectations_failed"))
    blocking = e.get("blocking_failed", s.get("expectations_blocking_failed")) or 0
    passed = e.get("passed", s.get("expectations_passed"))
    if failed is not None:
        word = "poor" if blocking else "review" if failed else "good"
        out.append(Figure("expectations", f"{passed} passed, {failed} failed ({blocking} blocking)", "all should pass",
                          word, "poor: a blocking one failed; review: a warning failed", "Expectations"))
    if s.get("leakage_passed") is not None:
        out.append(Figure("leakage check", "passed" if s["leakage_passed"] else "FAILED",
                          "no real identifier value in the output", "good" if s["leakage_passed"] else "poor",
                          "poor: any real identifier found", "Privacy"))
    return out


# -- findings -----------------------------------------------------------------------------
def _privacy_findings(report: dict[str, Any]) -> list[Finding]:
    s, out = report.get("summary") or {}, []
    if s.get("leakage_passed") is False:
        out.append(Finding("stop", "Privacy", "the leakage check found real identifier values in synthetic.csv"))
    target, spent = s.get("epsilon_target"), s.get("epsilon_spent")
    if target is not None and spent is not None and spent > target * (1 + 1e-9):
        out.append(Finding("stop", "Privacy", f"ε spent {spent:.3g} exceeds the target {target:g}"))
    if target is None:
        out.append(Finding("review", "Privacy", "no formal privacy guarantee (no ε set): share only where "
                                                "a non-DP synthetic table is acceptable"))
    measures = _privacy(report)
    share, holdout = measures.get("exact_match_share"), measures.get("holdout_exact_match_share") or 0.0
    if share is not None and share > holdout:
        level = "stop" if share > holdout + COPY_MARGIN else "review"
        out.append(Finding(level, "Privacy", f"{pct(share)} of synthetic rows copy a training row exactly "
                                             f"(holdout rows: {pct(holdout)})"))
    mia = measures.get("membership_inference") or {}
    ci = mia.get("ci95") or [None, None]
    if ci[0] is not None and ci[0] > 0.5:
        out.append(Finding("review", "Privacy", f"the membership attack beats chance: AUC {mia['auc']:.3f} "
                                                f"(95 % CI {ci[0]:.3f}–{ci[1]:.3f})"))
    closer = (measures.get("dcr") or {}).get("share_closer_to_train_than_holdout")
    if closer is not None and closer > CLOSER_REVIEW:
        out.append(Finding("review", "Privacy", f"{pct(closer)} of synthetic rows are closer to a training "
                                                "row than to a holdout row (50 % expected)"))
    attacks = measures.get("attacks") or {}
    risks = [(k.replace("_", " "), attacks.get(k) or {}) for k in ("singling_out", "linkability")]
    risks += [(f"inference of {r.get('column')}", r) for r in attacks.get("inference") or []]
    for name, r in risks:
        low = (r.get("ci95") or [0])[0]
        if r.get("risk") is not None and r["risk"] > RISK_REVIEW and low > 0:
            out.append(Finding("review", "Privacy", f"{name} risk {pct(r['risk'])} above random guessing"))
    return out


def _rule_findings(report: dict[str, Any]) -> list[Finding]:
    e, out = _section(report, "expectations"), []
    blocking = e.get("blocking_failed", (report.get("summary") or {}).get("expectations_blocking_failed"))
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
                out.append(Finding("review", "Utility", f"{column} = {value}: {pct(got)} of rows, "
                                                        f"{pct(want)} requested"))
    filled = sum(c.get("filled_without_condition") or 0 for c in sampling.get("cells") or [])
    if filled:
        out.append(Finding("review", "Utility", f"{filled:,} rows were filled without their requested class "
                                                "(the model rarely produced it)"))
    return out


def _fidelity_findings(report: dict[str, Any]) -> list[Finding]:
    fid, out = _section(report, "fidelity"), []
    quality = fid.get("quality_score")
    if quality is not None and quality < FIDELITY_REVIEW:
        out.append(Finding("review", "Fidelity", f"overall fidelity {pct(quality)} (column shapes "
                                                 f"{pct(fid.get('column_shapes'))}, pair trends "
                                                 f"{pct(fid.get('column_pair_trends'))})"))
    worst = sorted((c for c in fid.get("per_column") or [] if c.get("score") is not None), key=lambda c: c["score"])
    poor = [c for c in worst if c["score"] < COLUMN_REVIEW]
    if poor:
        names = ", ".join(f"{c['column']} ({pct(c['score'])})" for c in poor[:3])
        out.append(Finding("review", "Fidelity", f"columns least like the real ones (shape similarity, 100 % = "
                                                 f"same distribution): {names}"))
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
    if auc is not None and auc > DETECTION_REVIEW:
        out.append(Finding("note", "Fidelity", f"a classifier tells synthetic from real rows apart (AUC {auc:.2f}); "
                                               "usual for synthetic data, but rows are not lookalikes"))
    return out


def _utility_findings(report: dict[str, Any]) -> list[Finding]:
    util, out = _section(report, "utility"), []
    if util.get("status") == "measured":
        if util.get("too_small"):
            out.append(Finding("note", "Utility", f"utility cannot be judged: {util['too_small']}"))
        for m in util.get("metrics") or []:
            if m.get("tstr") is None or m.get("trtr") is None or util.get("too_small"):
                continue
            word, _ = utility_judgement(m, None)
            value, reference = utility_value(m)
            if word == "poor":
                out.append(Finding("review", "Utility", f"a model trained on synthetic rows does no better than "
                                                        f"chance at predicting {util.get('target')}: {m['metric']} "
                                                        f"{value}; {reference}"))
            elif m.get("ratio") is not None and m["ratio"] < UTILITY_GOOD:
                out.append(Finding("review", "Utility", f"a model trained on synthetic rows reaches {pct(m['ratio'])} "
                                                        f"of the real-trained {m['metric']} ({m['tstr']:.3f} vs "
                                                        f"{m['trtr']:.3f}) predicting {util.get('target')}"))
    elif util.get("reason"):
        out.append(Finding("note", "Utility", f"utility not measured: {util['reason']}"))
    for entry in (report.get("sampling") or {}).get("class_fidelity") or []:
        if entry.get("score") is not None and entry["score"] < FIDELITY_REVIEW:
            out.append(Finding("review", "Utility", f"rows of the class {entry['column']} = {entry['value']} match "
                                                    f"their real counterparts poorly ({pct(entry['score'])})"))
    return out


def _pii_findings(report: dict[str, Any]) -> list[Finding]:
    out = []
    for c in (report.get("pii") or {}).get("columns") or []:
        if c.get("category") in ("direct", "free_text") and c.get("action") == "keep":
            kind = "direct identifier" if c["category"] == "direct" else "free text with personal data"
            out.append(Finding("stop", "PII", f"{kind} {c['column']} is released as it was"))
    for warning in (report.get("pii") or {}).get("warnings") or []:
        out.append(Finding("note", "PII", warning))
    return out
