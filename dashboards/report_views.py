"""What the dashboard shows, computed from a run's report.json: plain strings and DataFrames.

Kept apart from the Streamlit calls so the wording is in one place. Every function
tolerates absent optional keys: older and partial reports must still open.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

NO_GUARANTEE = "no formal privacy guarantee"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def count(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    note: str | None = None  # the small line under the value
    color: str = "gray"  # of the note: Streamlit's metric delta colours
    help: str | None = None


def privacy_text(summary: dict[str, Any]) -> str:
    """'ε 0.98 of 1 (δ 1e-05)', or the plain statement that there is no guarantee."""
    if summary.get("epsilon_target") is None:
        return NO_GUARANTEE
    privacy = privacy_metric(summary)
    return f"{privacy.value} ({privacy.note})" if privacy.note else privacy.value


def privacy_metric(summary: dict[str, Any]) -> Metric:
    target, spent, delta = summary.get("epsilon_target"), summary.get("epsilon_spent"), summary.get("delta")
    if target is None:
        return Metric("Differential privacy", "none", NO_GUARANTEE, "orange",
                      "No epsilon was set for this run, so the output carries no differential-privacy claim.")
    value = f"ε {'?' if spent is None else f'{spent:.3g}'} of {target:g}"
    return Metric("Differential privacy", value, None if delta is None else f"δ {delta:.2g}", "green",
                  "Epsilon spent by every mechanism that touched real data, composed, of the target.")


def expectations_metric(summary: dict[str, Any]) -> Metric:
    passed, failed = summary.get("expectations_passed"), summary.get("expectations_failed")
    if passed is None and failed is None:
        return Metric("Expectations", "n/a")
    failed = failed or 0
    return Metric("Expectations", f"{passed or 0} passed", f"{failed} failed", "red" if failed else "green",
                  "Great Expectations results on the synthetic table; see Validation.")


def leakage_text(summary: dict[str, Any]) -> str:
    passed = summary.get("leakage_passed")
    return "not checked" if passed is None else ("passed" if passed else "FAILED")


def summary_metrics(report: dict[str, Any]) -> list[Metric]:
    """The summary row, in reading order."""
    s = report.get("summary", {})
    return [
        Metric("Synthetic rows", count(s.get("rows"))),
        Metric("Columns", count(s.get("columns"))),
        Metric("Model", s.get("model") or report.get("run", {}).get("model") or "n/a"),
        privacy_metric(s),
        Metric("Fidelity score", percent(s.get("fidelity_score")),
               help="SDMetrics quality score: column shapes and column pair trends, 100% = identical."),
        expectations_metric(s),
        Metric("Leakage check", leakage_text(s),
               help="Whether any real direct-identifier value appears in the synthetic table."),
        pii_metric(report),
    ]


def pii_metric(report: dict[str, Any]) -> Metric:
    """How many columns held personal data, and the actions taken ('6 fake · 1 redact')."""
    table = pii_table(report)
    found = table[table["category"].isin(list(PII_CATEGORIES))]
    if table.empty:
        return Metric("Personal data", "n/a")
    actions = found["action"].value_counts()
    return Metric("Personal data", f"{len(found)} columns", " · ".join(f"{n} {a}" for a, n in actions.items()) or None,
                  help="Columns the scan classed as direct identifiers, quasi identifiers or free text with "
                       "personal data, by action taken; see PII.")


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return json.dumps(value, default=str)


def _joined(values: Any, sep: str) -> str:
    if isinstance(values, list | tuple):
        return sep.join(map(str, values))
    return "" if values is None else str(values)


def pii_table(report: dict[str, Any]) -> pd.DataFrame:
    """One row per scanned column: what personal data it held and what was done to it."""
    columns = ["column", "category", "entities", "confidence", "action", "evidence"]
    rows = report.get("pii", {}).get("columns") or report.get("summary", {}).get("pii_columns") or []
    table = pd.DataFrame(rows).reindex(columns=columns)
    table["entities"] = table["entities"].map(lambda v: _joined(v, ", "))
    table["evidence"] = table["evidence"].map(lambda v: _joined(v, "; "))
    table["confidence"] = pd.to_numeric(table["confidence"], errors="coerce")
    return table


PII_CATEGORIES = {"direct": "Direct identifiers", "quasi": "Quasi identifiers", "free_text": "Free text with PII"}


def pii_lines(report: dict[str, Any]) -> list[str]:
    """'Direct identifiers: email (fake), ssn (drop)', one line per personal-data category."""
    table = pii_table(report)
    lines = []
    for category, title in PII_CATEGORIES.items():
        found = table[table["category"] == category]
        if not found.empty:
            lines.append(f"{title}: " + ", ".join(f"{r.column} ({r.action})" for r in found.itertuples()))
    return lines


def section(report: dict[str, Any], key: str) -> dict[str, Any]:
    """A measured section: top level since issue 6, under "validation" in older reports."""
    return report.get(key) or report.get("validation", {}).get(key) or {}


def privacy_measures(report: dict[str, Any]) -> dict[str, Any]:
    """The measured privacy figures; report["privacy"] held only the ledger before issue 6."""
    privacy = report.get("privacy", {})
    return privacy if "dcr" in privacy else report.get("validation", {}).get("privacy", {})


def expectation_table(report: dict[str, Any]) -> pd.DataFrame:
    """Every expectation result of every suite, failures first."""
    suites = section(report, "expectations").get("suites", [])
    rows = [{"suite": suite.get("name"), **result, "examples": _examples(result),
             "real reference": _reference(result.get("reference"))}
            for suite in suites for result in suite.get("results", [])]
    # The same rule on real rows beside the synthetic result, visible without scrolling.
    columns = ["success", "real reference", "severity", "suite", "expectation", "column", "unexpected_percent",
               "examples", "observed", "rule", "kwargs"]
    table = pd.DataFrame(rows).reindex(columns=columns).rename(columns={"unexpected_percent": "unexpected"})
    # Nested values (kwargs, observed lists) as JSON text: the grid cannot show objects.
    for name in ("observed", "kwargs", "rule"):
        table[name] = table[name].map(_as_text)
    table["unexpected"] = pd.to_numeric(table["unexpected"], errors="coerce")
    # Words, not a checkbox: an unticked box is easy to miss among ticked ones.
    result = table.pop("success").map({True: "passed", False: "FAILED"}).fillna("not run")
    table.insert(0, "result", result)
    order = result.map({"FAILED": 0, "not run": 1, "passed": 2})
    return table.iloc[order.argsort(kind="stable")].reset_index(drop=True)


def _examples(result: dict[str, Any]) -> str:
    """Failing values shown as found in the synthetic table (withheld ones already replaced)."""
    examples = result.get("examples") or ([result["example"]] if result.get("example") is not None else [])
    return ", ".join(_as_text(e) for e in examples)


def _reference(reference: Any) -> str:
    if not isinstance(reference, dict) or reference.get("success") is None:
        return ""
    return "passed" if reference["success"] else "FAILED"


def suite_lines(report: dict[str, Any]) -> list[str]:
    suites = section(report, "expectations").get("suites", [])
    return [f"{s.get('name')}: {s.get('passed', '?')} of {s.get('evaluated', '?')} passed" for s in suites]


def fidelity_table(report: dict[str, Any]) -> pd.DataFrame:
    """Per-column fidelity scores, worst first: the columns to look at."""
    rows = section(report, "fidelity").get("per_column") or []
    table = pd.DataFrame(rows).reindex(columns=["column", "metric", "score"])
    return table.sort_values("score", kind="stable").reset_index(drop=True)


def fidelity_text(report: dict[str, Any]) -> str | None:
    fid = section(report, "fidelity")
    if fid.get("quality_score") is None:
        return None
    text = (f"SDMetrics quality score **{percent(fid['quality_score'])}**: column shapes "
            f"{percent(fid.get('column_shapes'))}, column pair trends {percent(fid.get('column_pair_trends'))}")
    coarse = fid.get("at_released_granularity")
    if coarse and coarse.get("quality_score") is not None:
        text += (f". Against the real rows generalised as the release generalised "
                 f"{', '.join(coarse['columns'])}: **{percent(coarse['quality_score'])}** (what the release kept "
                 "at the granularity it chose; the figure before it includes what generalising cost)")
    return text


def ledger_table(report: dict[str, Any]) -> pd.DataFrame:
    """The privacy ledger, one row per mechanism that touched real data."""
    entries = report.get("privacy", {}).get("entries") or []
    table = pd.DataFrame(entries)
    first = [c for c in ("stage", "mechanism", "epsilon", "epsilon_alone", "delta", "detail") if c in table]
    return table[first + [c for c in table.columns if c not in first]]


def dcr_metrics(report: dict[str, Any]) -> list[tuple[str, str]]:
    """Distance-to-closest-record figures, when the run measured them."""
    privacy = privacy_measures(report)
    dcr = privacy.get("dcr") or {}
    if dcr.get("median") is None:
        return []
    # Older reports used the shorter key.
    share = dcr.get("share_closer_to_train_than_holdout", dcr.get("share_closer_than_holdout"))
    return [
        ("Median distance to closest real row", f"{dcr['median']:.3f}"),
        ("5th percentile distance", "n/a" if dcr.get("p05") is None else f"{dcr['p05']:.3f}"),
        ("Closer to training than to holdout", percent(share)),
        ("Exact copies of real rows", count(privacy.get("exact_matches"))),
    ]


def dcr_note(report: dict[str, Any]) -> str | None:
    return (privacy_measures(report).get("dcr") or {}).get("metric")


def leakage_findings(report: dict[str, Any]) -> pd.DataFrame:
    leakage = report.get("privacy", {}).get("leakage") or report.get("leakage") or {}
    return pd.DataFrame(leakage.get("findings") or [])
