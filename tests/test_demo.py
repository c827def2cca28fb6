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
    released = "\n".join((out / name).read_text() for name in ("synthetic.csv", "report.json", "report.html"))
    synth = pd.read_csv(out / "synthetic.csv", dtype=str)
    for column in DIRECT_COLUMNS:
        values = set(real[column].dropna())
        assert not values & set(synth[column].dropna()) if column in synth else True
        # whole-word matches: "Michelle Harrison" does not leak "Michelle Harris"
        words = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
        leaked = re.findall(rf"(?<!\w)(?:{words})(?!\w)", released)
        assert not leaked, f"{column}: {leaked[:3]}"
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["leakage_passed"] is True
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"]["synthetic.csv"] and manifest["input"]["rows"] == len(real)
