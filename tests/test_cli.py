"""Every CLI verb, end to end, as a user runs it."""

import json

import pandas as pd
import pytest
from conftest import DIRECT_COLUMNS, SAMPLE, run_cli


@pytest.fixture(scope="module")
def model_dir(small_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    run_cli("fit", small_csv, "--out", out, "--model", "gaussian_copula", "--seed", "1", "--target", "fraud_flag")
    return out


def test_scan_json_lists_every_column_with_category_and_action(small_csv):
    proc = run_cli("scan", small_csv, "--format", "json")
    found = {c["column"]: c for c in json.loads(proc.stdout)["columns"]}
    assert set(found) == set(pd.read_csv(small_csv, nrows=1).columns)
    for column in ["full_name", "email", "phone", "ssn"]:
        assert found[column]["category"] == "direct" and found[column]["action"] == "fake"
    assert found["notes"]["category"] == "free_text"
    assert {"column", "category", "entities", "confidence", "action"} <= set(found["email"])


def test_scan_table_is_readable_text(small_csv):
    proc = run_cli("scan", small_csv, "--format", "table")
    assert "email" in proc.stdout and "direct" in proc.stdout


def test_scan_rejects_an_unknown_format(small_csv):
    proc = run_cli("scan", small_csv, "--format", "xml", check=False)
    assert proc.returncode == 2 and "--format" in proc.stderr


def test_fit_writes_json_and_safetensors_but_no_pickle(model_dir):
    names = {p.name for p in model_dir.iterdir()}
    assert {"synthesizer.json", "ledger.json", "metadata.json", "sdv_state.json", "sdv_state.safetensors"} <= names
    assert not [p for p in model_dir.rglob("*") if p.suffix in (".pkl", ".pickle", ".pt")]
    ledger = json.loads((model_dir / "ledger.json").read_text())
    assert ledger["guarantee"] == "none" and "no formal privacy guarantee" in ledger["note"]


def test_fit_refuses_epsilon_with_a_non_private_model(small_csv, tmp_path):
    proc = run_cli("fit", small_csv, "--out", tmp_path / "m", "--model", "gaussian_copula",
                   "--epsilon", "1", "--delta", "1e-5", check=False)
    assert proc.returncode == 2 and "no formal privacy guarantee" in proc.stderr
    assert not (tmp_path / "m").exists()


def test_sample_writes_rows_in_input_order_with_fakes_no_real_identifier_can_equal(model_dir, small_csv, tmp_path):
    out = tmp_path / "synth.csv"
    run_cli("sample", model_dir, "--rows", "150", "--out", out, "--seed", "3")
    synth, real = pd.read_csv(out, dtype=str), pd.read_csv(small_csv, dtype=str)
    assert len(synth) == 150 and list(synth.columns) == list(real.columns)
    for column in ("full_name", "email", "phone", "ssn", "street_address"):  # drawn from unused spaces
        assert not set(synth[column]) & set(real[column]), column


def test_sample_avoid_is_deprecated_and_ignored(model_dir, small_csv, tmp_path):
    proc = run_cli("sample", model_dir, "--rows", "20", "--out", tmp_path / "s.csv", "--avoid", small_csv)
    assert "--avoid is deprecated and ignored" in proc.stderr and "wrote 20 rows" in proc.stdout


def test_sample_with_the_same_seed_repeats_the_modelled_columns_and_draws_fresh_fakes(model_dir, tmp_path):
    for name in ("a.csv", "b.csv"):
        run_cli("sample", model_dir, "--rows", "50", "--out", tmp_path / name, "--seed", "9")
    a, b = (pd.read_csv(tmp_path / name, dtype=str) for name in ("a.csv", "b.csv"))
    pd.testing.assert_frame_equal(a.drop(columns=DIRECT_COLUMNS), b.drop(columns=DIRECT_COLUMNS))
    assert not a["email"].equals(b["email"])  # fakes: a secret seed per call, not the public one


def test_sample_oversamples_the_rare_class_to_the_requested_share(model_dir, tmp_path):
    out = tmp_path / "over.csv"
    run_cli("sample", model_dir, "--rows", "200", "--out", out, "--oversample", "fraud_flag=1:0.25", "--seed", "1")
    assert (pd.read_csv(out).fraud_flag == 1).sum() == 50


def test_sample_from_a_missing_model_folder_says_what_to_do(tmp_path):
    proc = run_cli("sample", tmp_path / "nope", "--rows", "5", "--out", tmp_path / "x.csv", check=False)
    assert proc.returncode == 2 and "synthrecords fit" in proc.stderr


@pytest.fixture(scope="module")
def synth_csv(model_dir, small_csv, tmp_path_factory):
    """300 rows sampled from the model."""
    synth = tmp_path_factory.mktemp("synth") / "s.csv"
    run_cli("sample", model_dir, "--rows", "300", "--out", synth, "--seed", "2")
    return synth


def test_validate_passes_model_output_and_writes_results(model_dir, small_csv, synth_csv, tmp_path):
    synth = synth_csv
    out = tmp_path / "val"
    proc = run_cli("validate", small_csv, synth, "--model", model_dir, "--out", out)
    assert "0 failed" in proc.stdout and "report.html" in proc.stdout
    report = json.loads((out / "report.json").read_text())
    assert {"fidelity", "utility", "privacy", "expectations", "pii", "run"} <= set(report)
    assert report["expectations"]["suites"][0]["failed"] == 0
    assert 0 < report["fidelity"]["quality_score"] <= 1
    assert report["privacy"]["leakage"]["passed"] is True
    assert report["privacy"]["guarantee"] == "none"  # the model's ledger
    assert report["utility"]["status"] == "skipped" and "--holdout" in report["utility"]["reason"]
    assert {p.name for p in out.iterdir()} == {"report.json", "report.html", "expectations"}


def test_validate_with_holdout_and_target_measures_utility_and_the_attacks(model_dir, small_csv, synth_csv,
                                                                           tmp_path):
    holdout = tmp_path / "holdout.csv"
    pd.read_csv(SAMPLE, dtype=str).iloc[400:700].to_csv(holdout, index=False)  # rows the model never saw
    out = tmp_path / "val"
    proc = run_cli("validate", small_csv, synth_csv, "--holdout", holdout, "--model", model_dir, "--out", out)
    report = json.loads((out / "report.json").read_text())
    utility = report["utility"]
    assert utility["status"] == "measured" and utility["target"] == "fraud_flag"  # the model's target
    assert {m["metric"] for m in utility["metrics"]} == {"roc_auc", "average_precision"}
    assert 0 <= report["privacy"]["membership_inference"]["auc"] <= 1
    assert set(report["privacy"]["attacks"]) >= {"singling_out", "linkability", "inference"}
    assert report["run"]["sample_sizes"]["utility"]["holdout"] == 300
    assert "utility: roc_auc TSTR" in proc.stdout


def test_validate_exits_1_when_a_blocking_expectation_fails(model_dir, small_csv, synth_csv, tmp_path):
    synth = tmp_path / "s.csv"
    broken = pd.read_csv(synth_csv, dtype=str)
    broken.loc[0, "credit_score"] = "9999"
    broken.to_csv(synth, index=False)
    proc = run_cli("validate", small_csv, synth, "--model", model_dir, "--out", tmp_path / "v", check=False)
    assert proc.returncode == 1
    report = json.loads((tmp_path / "v" / "report.json").read_text())
    failures = [r for s in report["expectations"]["suites"] for r in s["results"] if not r["success"]]
    assert [(r["column"], r["severity"], r["example"]) for r in failures] == [("credit_score", "blocking", 9999)]


def test_run_writes_a_complete_release(small_csv, tmp_path):
    job = tmp_path / "job.toml"
    job.write_text(f'[input]\npath = "{small_csv}"\n[output]\ndir = "release"\nrows = 300\n'
                   '[model]\nname = "gaussian_copula"\nseed = 4\n')
    proc = run_cli("run", job)
    release = tmp_path / "release"
    assert {"synthetic.csv", "report.json", "report.html", "ledger.json", "pii.json",
            "manifest.json"} == {p.name for p in (release / "share").iterdir()}
    assert {"report.json", "report.html", "ledger.json", "pii.json", "manifest.json", "validation.json",
            "NOT_FOR_SHARING.txt"} <= {p.name for p in (release / "owner").iterdir()}
    report = json.loads((release / "owner" / "report.json").read_text())
    assert report["summary"]["rows"] == 300 and report["summary"]["leakage_passed"] is True
    assert "fidelity score" in proc.stdout and "leakage check: passed" in proc.stdout
    assert f"share: {release / 'share'}" in proc.stdout and "NOT FOR SHARING" in proc.stdout


def test_run_with_a_typo_in_the_job_names_the_key(tmp_path):
    job = tmp_path / "job.toml"
    job.write_text('[modle]\nname = "x"\n')
    proc = run_cli("run", job, check=False)
    assert proc.returncode == 2 and "modle" in proc.stderr


def test_protect_maps_each_identifier_consistently_under_one_key(small_csv, tmp_path):
    env_key = "x" * 32
    import os

    os.environ["SYNTHRECORDS_TEST_KEY"] = env_key
    try:
        for name in ("a.csv", "b.csv"):
            run_cli("protect", small_csv, "--out", tmp_path / name, "--secret-env", "SYNTHRECORDS_TEST_KEY")
    finally:
        del os.environ["SYNTHRECORDS_TEST_KEY"]
    a, b, real = (pd.read_csv(p, dtype=str) for p in (tmp_path / "a.csv", tmp_path / "b.csv", small_csv))
    pd.testing.assert_frame_equal(a, b)
    assert not set(a.email) & set(real.email)
    assert (a.credit_score == real.credit_score).all()  # only identifiers change


def test_the_ledger_summary_groups_an_adaptive_model_s_many_rounds_into_one_line_per_kind():
    from synthrecords.cli import _privacy_lines

    def entry(stage, mechanism, z, alone):
        return {"stage": stage, "mechanism": mechanism, "noise_multiplier": z, "sample_rate": 1.0, "steps": 1,
                "epsilon_alone": alone}

    rounds = [entry("train", m, z, a) for m, z, a in [("exponential", 0.0, 0.1), ("gaussian", 6.0, 0.5)] * 5]
    ledger = {"epsilon_target": 3.0, "epsilon_spent": 3.0, "delta": 1e-5,
              "entries": [entry("rows", "gaussian", 18.4, 0.18), entry("domain", "gaussian", 4.26, 0.9), *rounds]}
    lines = _privacy_lines(ledger)
    assert lines[1:] == ["  rows: noise multiplier 18.4 (alone: epsilon 0.18)",
                         "  domain: noise multiplier 4.26 (alone: epsilon 0.9)",
                         "  train: 5 exponential-mechanism selections (each alone: epsilon 0.1)",
                         "  train: 5 Gaussian measurements, noise multiplier 6 (each alone: epsilon 0.5)"]
