"""`make demo`'s command on the real sample table: the release holds no real identifier."""

import json
import re

import pandas as pd
from conftest import DIRECT_COLUMNS, SAMPLE, run_cli


def test_demo_release_is_complete_and_leaks_no_direct_identifier(tmp_path):
    out = tmp_path / "demo"
    proc = run_cli("demo", "--out", out)
    for line in ("rows:", "privacy:", "fidelity score:", "expectations:", "PII columns:"):
        assert line in proc.stdout
    # The summary ends with the judged figures (utility with its interval and chance) and the verdict.
    assert re.search(r"utility roc_auc \(fraud_flag\): TSTR [\d.]+ \(95 % CI [\d.]+–[\d.]+\) -> \w+ \(vs chance 0.5",
                     proc.stdout), proc.stdout
    tail = proc.stdout[proc.stdout.index("headline figures, judged"):]
    assert "verdict: " in tail and "PII columns:" not in tail
    real = pd.read_csv(SAMPLE, dtype=str)
    released = "\n".join((out / name).read_text() for name in ("share/synthetic.csv", "share/report.json",
                                                               "share/report.html", "share/pii.json",
                                                               "owner/report.json", "owner/report.html"))
    synth = pd.read_csv(out / "share" / "synthetic.csv", dtype=str)
    # customer numbers have no unused space: drawn uniformly over C999999, a few equal real ones by
    # chance; the leakage check counts them and allows only what chance explains
    chance = json.loads((out / "owner" / "report.json").read_text())["privacy"]["leakage"]["chance_collisions"]
    assert set(chance) <= {"customer_id"}
    for column in DIRECT_COLUMNS:
        values = set(real[column].dropna())
        equal = values & set(synth[column].dropna()) if column in synth else set()
        if column in chance:
            assert len(equal) == chance[column]["found"] <= chance[column]["allowed"]
            values -= equal
        assert not equal if column not in chance else True
        # whole-word matches: "Michelle Harrison" does not leak "Michelle Harris"
        words = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
        leaked = re.findall(rf"(?<!\w)(?:{words})(?!\w)", released)
        assert not leaked, f"{column}: {leaked[:3]}"
    report = json.loads((out / "owner" / "report.json").read_text())
    assert report["summary"]["leakage_passed"] is True
    manifest = json.loads((out / "owner" / "manifest.json").read_text())
    assert manifest["files"]["share/synthetic.csv"] and manifest["input"]["rows"] == len(real)
    assert "input" not in json.loads((out / "share" / "manifest.json").read_text())
    # Declared structure (sample_data/demo.toml [constraints]) holds on every row, and the
    # summary's fidelity covers the whole table, declared columns included.
    assert "SDMetrics quality over the whole table: 15 columns" in proc.stdout
    places = pd.read_csv(SAMPLE.parent / "geography_lookup.csv", dtype=str)
    assert len(synth.merge(places)) == len(synth)
    # tenure_months is modelled; the signup month follows from it and the as-of date 2025-12-31
    signup = pd.to_datetime(synth.signup_date)
    assert synth.tenure_months.astype(int).tolist() == [(2025 - d.year) * 12 + 12 - d.month for d in signup]
    assert signup.dt.is_month_end.all()
    assert (signup >= pd.to_datetime(synth.birth_date) + pd.DateOffset(years=18)).all()
