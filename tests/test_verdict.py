"""One verdict, decided in synthrecords.release.verdict, rendered by the CLI summary,
report.html and the dashboard: each headline figure with its reference and a word."""

import copy
import re

from run_folder import REPORT

from synthrecords.release.html import render_report
from synthrecords.release.verdict import figures, verdict


def with_utility(**metric):
    report = copy.deepcopy(REPORT)
    report["utility"]["metrics"] = [{"metric": "roc_auc", "tstr": 0.74, "trtr": 0.8, "ratio": 0.925, "chance": 0.5,
                                     "tstr_ci95": [0.66, 0.81], "trtr_ci95": [0.73, 0.86],
                                     "difference_ci95": [-0.12, 0.0], **metric}]
    return report


def figure(report, name):
    return next(f for f in figures(report) if f.name.startswith(name))


def test_the_headline_count_equals_the_findings_listed():
    decided = verdict(REPORT)
    assert decided.level == "stop"
    clean = copy.deepcopy(REPORT)
    clean["expectations"]["blocking_failed"] = 0
    clean["summary"]["expectations_blocking_failed"] = 0
    clean["fidelity"]["detection"]["auc"] = 0.97  # a note: listed, not a point to review
    decided = verdict(clean)
    count = int(re.search(r"(\d+) findings? below", decided.headline).group(1))
    assert decided.level == "review" and count == len(decided.findings) > 1
    needing = int(re.search(r"(\d+) of them need", decided.headline).group(1))
    assert needing == sum(f.level == "review" for f in decided.findings) < count  # notes are listed, not counted


def test_every_figure_has_a_value_a_reference_a_word_and_its_rule():
    judged = figures(REPORT)
    names = [f.name for f in judged]
    for wanted in ("privacy guarantee", "fidelity score", "detection AUC", "utility roc_auc",
                   "membership attack AUC", "rows closer to training", "expectations", "leakage check"):
        assert any(n.startswith(wanted) for n in names), (wanted, names)
    assert all(f.word in ("good", "review", "poor") and f.reference and f.rule for f in judged)
    assert figure(REPORT, "fidelity score").word == "good"  # 87.3 % >= 80 %
    assert figure(REPORT, "expectations").word == "poor"  # a blocking one failed
    assert figure(REPORT, "membership attack AUC").word == "good"  # its interval holds 0.5


def test_utility_is_judged_against_chance_with_its_interval():
    good = figure(with_utility(), "utility roc_auc")
    assert good.word == "good" and "95 % CI 0.660–0.810" in good.value and "chance 0.5" in good.reference
    assert "TRTR 0.800 (0.730–0.860)" in good.reference
    worse_than_chance = figure(with_utility(tstr=0.46, ratio=0.575, tstr_ci95=[0.38, 0.55]), "utility roc_auc")
    assert worse_than_chance.word == "poor" and "reaches chance" in worse_than_chance.rule
    findings = [f.text for f in verdict(with_utility(tstr=0.46, ratio=0.575, tstr_ci95=[0.38, 0.55])).findings]
    assert any("no better than chance" in t for t in findings)


def test_a_holdout_too_small_to_judge_says_so_instead_of_a_ratio():
    report = with_utility(tstr=0.46, ratio=0.575, tstr_ci95=[0.3, 0.6])
    report["utility"]["too_small"] = "the holdout has 12 rows of class '1'; at least 30 are needed to judge utility"
    judged = figure(report, "utility roc_auc")
    assert judged.word == "review" and "too small to judge" in judged.rule
    texts = [f.text for f in verdict(report).findings]
    assert any("cannot be judged" in t for t in texts) and not any("of the real-trained" in t for t in texts)


def test_a_report_from_before_the_intervals_is_still_judged():
    judged = figure(REPORT, "utility roc_auc")  # no chance, no interval in the fixture
    assert judged.word == "good" and judged.value == "TSTR 0.740"


def test_report_html_shows_the_same_verdict_and_no_python_dicts():
    page = render_report(with_utility())
    decided = verdict(with_utility())
    assert "<h2>Verdict</h2>" in page and decided.headline.replace("'", "&#x27;") in page
    for f in decided.figures:
        assert f.rule.replace("'", "&#x27;").replace("<", "&lt;").replace(">", "&gt;") in page
    text = re.sub(r"<svg.*?</svg>|<style>.*?</style>|<[^>]+>", " ", page, flags=re.DOTALL)
    assert "{" not in text and "'real'" not in text
    assert "95 % CI 0.660–0.810" in text and "chance 0.5" in text


def test_report_html_says_the_schema_suite_comes_from_the_released_domain_when_real_rows_fail_it():
    report = copy.deepcopy(REPORT)
    result = report["expectations"]["suites"][0]["results"][2]
    result["reference"] = {"success": False, "unexpected_percent": 85.8}
    assert "built from the released domain" in render_report(report)
    assert "built from the released domain" not in render_report(REPORT)
