"""report.json: one dictionary for people and machines, the same for `run` and `validate`.

Top-level keys: ``run`` (what was compared, when, timings and sample sizes), ``summary``
(headline figures), ``pii`` (scan findings), ``expectations``, ``fidelity``, ``utility``
and ``privacy``. ``privacy`` holds the ledger's fields (guarantee, epsilon, delta,
entries, scope) beside the measured privacy metrics (PRIVACY_METRICS) and the leakage
check; ``ledger_part`` takes the ledger back out for ledger.json.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..validation.encoding import jsonable

if TYPE_CHECKING:
    from ..domain import Domain

PRIVACY_METRICS = ("dcr", "exact_matches", "exact_match_share", "holdout_exact_match_share",
                   "nndr", "membership_inference", "attacks", "leakage", "rows_used", "columns")

UNKNOWN_LEDGER = {
    "guarantee": "unknown", "epsilon_target": None, "epsilon_spent": None, "delta": None,
    "entries": [], "note": "",
}


def assemble(*, run: dict[str, Any], validation: Any, pii: dict[str, Any] | None,
             leakage: Any, ledger: dict[str, Any] | None, model: str | None,
             domain: Domain | None = None) -> dict[str, Any]:
    """report.json from the stages' results; ``validation`` is a ValidationReport. With the
    fitted model's ``domain`` (a run, not `validate`), its "domain" section: the granularity
    each categorical column was released at (DP-released figures only)."""
    measured = validation.to_dict()
    privacy = {**(ledger or UNKNOWN_LEDGER), **measured["privacy"], "leakage": leakage.to_dict()}
    run = {**run, "timings_s": dict(validation.timings), "sample_sizes": validation.sample_sizes()}
    report = {
        "run": run,
        "summary": summary(measured, privacy, leakage, pii, rows=run.get("rows_synthetic"),
                           columns=run.get("columns_synthetic"), model=model),
        "pii": pii or {"columns": []},
        "expectations": measured["expectations"],
        "fidelity": measured["fidelity"],
        "utility": measured["utility"],
        "privacy": privacy,
    }
    if domain is not None:
        report["domain"] = domain.granularity()
    return jsonable(report)


def summary(measured: dict[str, Any], privacy: dict[str, Any], leakage: Any,
            pii: dict[str, Any] | None, *, rows: int | None, columns: int | None,
            model: str | None) -> dict[str, Any]:
    e, fid, util = measured["expectations"], measured["fidelity"], measured["utility"] or {}
    mia = privacy.get("membership_inference") or {}
    return {
        "rows": rows, "columns": columns, "model": model,
        "epsilon_target": privacy["epsilon_target"], "epsilon_spent": privacy["epsilon_spent"],
        "delta": privacy["delta"], "guarantee": privacy["guarantee"],
        "fidelity_score": fid["quality_score"],
        "fidelity_at_released_granularity": (fid.get("at_released_granularity") or {}).get("quality_score"),
        "detection_auc": (fid.get("detection") or {}).get("auc"),
        "expectations_passed": e["passed"], "expectations_failed": e["failed"],
        "expectations_blocking_failed": e["blocking_failed"],
        "utility": _utility_line(util),
        "membership_auc": mia.get("auc"),
        "exact_match_share": privacy.get("exact_match_share"),
        "dcr_ratio": (privacy.get("dcr") or {}).get("ratio"),
        "leakage_passed": leakage.passed,
        "pii_columns": [{"column": c["column"], "category": c["category"], "action": c["action"]}
                        for c in (pii or {}).get("columns", []) if c.get("category") != "none"],
    }


def _utility_line(util: dict[str, Any]) -> str:
    if util.get("status") != "measured":
        return f"skipped: {util.get('reason') or 'not measured'}"
    return "; ".join(f"{m['metric']} TSTR {m['tstr']:.3f} vs TRTR {m['trtr']:.3f}"
                     for m in util["metrics"])


def ledger_part(privacy: dict[str, Any]) -> dict[str, Any]:
    """The ledger's own fields of report["privacy"] (what ledger.json holds)."""
    return {k: v for k, v in privacy.items() if k not in PRIVACY_METRICS}


def validation_part(report: dict[str, Any]) -> dict[str, Any]:
    """What validation.json holds: the measured sections, without the ledger."""
    privacy = report["privacy"]
    return {"expectations": report["expectations"], "fidelity": report["fidelity"],
            "utility": report["utility"],
            "privacy": {k: privacy[k] for k in PRIVACY_METRICS if k in privacy}}
