"""Key figures of two runs side by side (Compare runs page): one row per figure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from report_views import count, percent, privacy_measures, section


def _number(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _utility(metric: str) -> Callable[[dict[str, Any]], str]:
    def figure(report: dict[str, Any]) -> str:
        util = section(report, "utility")
        m = next((m for m in util.get("metrics") or [] if m["metric"] == metric), None)
        return "n/a" if m is None else f"{m['tstr']:.3f} vs {m['trtr']:.3f}"
    return figure


def _attack(name: str) -> Callable[[dict[str, Any]], str]:
    def figure(report: dict[str, Any]) -> str:
        att = privacy_measures(report).get("attacks") or {}
        return percent(att.get("inference_max_risk") if name == "inference" else (att.get(name) or {}).get("risk"))
    return figure


def _epsilon(report: dict[str, Any]) -> str:
    s = report.get("summary", {})
    if s.get("epsilon_target") is None:
        return "none (no formal guarantee)"
    spent = "?" if s.get("epsilon_spent") is None else f"{s['epsilon_spent']:.3g}"
    delta = "" if s.get("delta") is None else f", δ {s['delta']:.2g}"
    return f"{spent} of {s['epsilon_target']:g}{delta}"


def _expectations(report: dict[str, Any]) -> str:
    s = report.get("summary", {})
    if s.get("expectations_passed") is None:
        return "n/a"
    blocking = s.get("expectations_blocking_failed")
    return (f"{s['expectations_passed']} passed, {s.get('expectations_failed') or 0} failed"
            + (f" ({blocking} blocking)" if blocking else ""))


FIGURES: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("model", lambda r: r.get("summary", {}).get("model") or r.get("run", {}).get("model") or "n/a"),
    ("synthetic rows", lambda r: count(r.get("summary", {}).get("rows"))),
    ("ε spent of target", _epsilon),
    ("fidelity (SDMetrics quality)", lambda r: percent(section(r, "fidelity").get("quality_score"))),
    ("column shapes", lambda r: percent(section(r, "fidelity").get("column_shapes"))),
    ("column pair trends", lambda r: percent(section(r, "fidelity").get("column_pair_trends"))),
    ("detection AUC (0.5 = indistinguishable)",
     lambda r: _number((section(r, "fidelity").get("detection") or {}).get("auc"))),
    ("utility ROC AUC, TSTR vs TRTR", _utility("roc_auc")),
    ("utility R², TSTR vs TRTR", _utility("r2")),
    ("membership attack AUC", lambda r: _number((privacy_measures(r).get("membership_inference") or {}).get("auc"))),
    ("median distance to closest record", lambda r: _number((privacy_measures(r).get("dcr") or {}).get("median"))),
    ("closer to training than holdout",
     lambda r: percent((privacy_measures(r).get("dcr") or {}).get("share_closer_to_train_than_holdout"))),
    ("exact copies of training rows", lambda r: percent(privacy_measures(r).get("exact_match_share"))),
    ("singling-out risk", _attack("singling_out")),
    ("linkability risk", _attack("linkability")),
    ("worst inference risk", _attack("inference")),
    ("expectations", _expectations),
    ("leakage check", lambda r: {True: "passed", False: "FAILED"}.get(r.get("summary", {}).get("leakage_passed"),
                                                                    "not checked")),
]


def key_figures(first: dict[str, Any], second: dict[str, Any], names: tuple[str, str]) -> pd.DataFrame:
    """Rows: figures; columns: the two runs. A figure neither run measured is left out."""
    rows = [{"figure": label, names[0]: figure(first), names[1]: figure(second)} for label, figure in FIGURES]
    table = pd.DataFrame(rows)
    return table[(table[names[0]] != "n/a") | (table[names[1]] != "n/a")].reset_index(drop=True)


def run_label(run_dir: str, report: dict[str, Any]) -> str:
    return str(report.get("run", {}).get("id") or Path(run_dir).name)


def sibling_runs(run_dir: str) -> list[str]:
    """Run folders beside `run_dir` (its parent's subfolders holding a report.json, or a part with
    one: share/ or owner/), for the pickers."""
    here = Path(run_dir).resolve()
    try:
        found = sorted({str(p.parent) for p in here.parent.glob("*/report.json")}
                       | {str(p.parent.parent) for pattern in ("*/owner/report.json", "*/share/report.json")
                          for p in here.parent.glob(pattern)})
    except OSError:
        found = []
    return found if str(here) in found else [str(here), *found]
