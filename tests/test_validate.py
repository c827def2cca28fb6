"""validate(): expectation suites, fidelity and privacy of a synthetic table in one report."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthrecords.domain import data_domain
from synthrecords.pipeline import validate_files
from synthrecords.read import load_table
from synthrecords.validation.charts import distributions
from synthrecords.validation.detection import detection
from synthrecords.validation.expectations import build_suite, save_suite, suite_from_dict
from synthrecords.validation.measure import ValidationReport, validate

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "customers.csv"
MODELLED = [
    "birth_date",
    "gender",
    "postcode",
    "state",
    "region",
    "education",
    "annual_income",
    "credit_score",
    "product",
    "account_balance",
    "tenure_months",
    "num_products",
    "signup_date",
    "fraud_flag",
]


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    return pd.DataFrame(
        {
            "age": age,
            "income": (age * 900 + rng.normal(0, 4000, n)).round(2),
            "segment": np.where(age < 35, "young", np.where(age < 60, "middle", "senior")),
            "joined": (
                pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
            ).strftime("%Y-%m-%d"),
        }
    )


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return table(400, seed=0)


@pytest.fixture(scope="module")
def domain(real):
    return data_domain(real)


@pytest.fixture(scope="module")
def report(real, domain) -> ValidationReport:
    return validate(real, real.sample(frac=1, random_state=1), table(300, seed=2), domain=domain)


def test_report_has_expectations_fidelity_and_privacy(report):
    data = report.to_dict()
    assert set(data) == {"expectations", "fidelity", "utility", "privacy"}
    assert data["expectations"]["suites"][0]["name"] == "schema"
    assert data["fidelity"]["quality_score"] == pytest.approx(1.0)
    assert data["privacy"]["exact_match_share"] == 1.0


def test_report_is_strict_json(report):
    json.dumps(report.to_dict(), allow_nan=False)


def test_report_passes_when_every_expectation_holds(report):
    assert report.passed and report.expectations.failed == 0


def test_holdout_gives_the_memorisation_share(report):
    # A shuffled copy of the training rows: far more often nearer to train than to holdout.
    assert report.privacy.dcr.share_closer_to_train_than_holdout > 0.7


def test_report_fails_naming_the_column_when_a_value_leaves_the_domain(real, domain):
    synthetic = real.copy()
    synthetic.loc[0, "segment"] = "unheard-of"
    result = validate(real, synthetic, domain=domain, measures=())
    assert not result.passed
    assert [f["column"] for f in result.expectations.failures()] == ["segment"]


def test_a_column_missing_from_synthetic_fails_an_expectation_instead_of_crashing(real, domain):
    result = validate(real, real.drop(columns=["income"]), domain=domain, measures=())
    assert not result.passed
    assert {f["column"] for f in result.expectations.failures()} == {None, "income"}
    assert "income" not in result.fidelity.columns and "income" not in result.privacy.columns


def test_domain_is_read_off_real_data_when_not_given(real):
    result = validate(real, real.copy(), measures=())
    assert result.suites_used[0].name == "schema"
    assert result.fidelity.columns == list(real.columns)


def test_suites_dir_adds_every_user_suite(real, domain, tmp_path):
    rules = suite_from_dict(
        {
            "name": "rules",
            "expectations": [
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "age", "max_value": 30},
                }
            ],
        }
    )
    save_suite(rules, tmp_path / "rules.json")
    result = validate(real, real.copy(), domain=domain, suites_dir=tmp_path, measures=())
    assert [s.name for s in result.expectations.suites] == ["schema", "rules"]
    assert [f["suite"] for f in result.expectations.failures()] == ["rules"]


def test_explicit_suites_replace_the_schema_suite(real, domain):
    only = suite_from_dict({"name": "only", "expectations": []})
    assert [
        s.name for s in validate(real, real, domain=domain, suites=[only], measures=()).expectations.suites
    ] == ["only"]


def test_user_suites_see_columns_outside_the_domain(real, domain):
    email_rule = suite_from_dict(
        {
            "name": "emails",
            "expectations": [
                {
                    "type": "expect_column_values_to_match_regex",
                    "kwargs": {"column": "email", "regex": "@"},
                }
            ],
        }
    )
    synthetic = real.assign(email="fake@example.com")
    result = validate(real, synthetic, domain=domain, suites=[build_suite(domain), email_rule], measures=())
    assert result.passed


def test_datetime_columns_are_checked_in_the_released_text_format(real, domain):
    as_datetimes = real.assign(joined=pd.to_datetime(real["joined"]))
    assert validate(real, as_datetimes, domain=domain, measures=()).passed


def test_unseen_real_rows_of_the_sample_table_look_like_a_non_memorising_output():
    customers = load_table(SAMPLE)
    train, holdout, fresh = customers.iloc[:2000], customers.iloc[2000:3500], customers.iloc[3500:]
    domain = data_domain(train[MODELLED])
    result = validate(
        train[MODELLED],
        fresh,
        holdout[MODELLED],
        domain=domain,
        suites=[build_suite(domain)],
        suites_dir=ROOT / "expectations",
        measures=(),
    )
    customers_suite = next(s for s in result.expectations.suites if s.name == "customers")
    assert customers_suite.success and customers_suite.evaluated == 9
    assert 0.4 < result.privacy.dcr.share_closer_to_train_than_holdout < 0.6
    assert result.privacy.exact_matches == 0
    assert result.fidelity.quality_score > 0.7


# ---------------------------------------------------------------- detection, utility, charts


def test_detection_auc_is_near_half_for_fresh_rows_and_high_for_shifted_ones(real, domain):
    fresh = detection(real, table(400, seed=5), domain)
    assert 0.35 < fresh.auc < 0.65 and fresh.rows_used == {"real": 400, "synthetic": 400}
    shifted = table(400, seed=5).assign(income=lambda d: d["income"] * 1.5)
    assert detection(real, shifted, domain).auc > 0.8


def test_charts_hold_shares_of_every_column_and_association_matrices(report):
    fid = report.to_dict()["fidelity"]
    shares = {d["column"]: d for d in fid["distributions"]}
    assert set(shares) == {"age", "income", "segment", "joined"}
    for d in shares.values():
        assert sum(d["real"]) == pytest.approx(1, abs=1e-3) and len(d["real"]) == len(d["labels"])
    assert shares["segment"]["labels"][:3] == sorted(["young", "middle", "senior"], key=shares["segment"]["labels"].index)
    assoc = fid["associations"]
    assert assoc["columns"] == ["age", "income", "segment", "joined"]
    age_income = assoc["real"][0][1]  # income is built from age
    assert age_income > 0.8 and assoc["difference"][0][1] < 0.1


def test_a_category_held_by_few_real_rows_is_pooled_into_other(real, domain):
    rare = real.copy()
    rare.loc[:3, "segment"] = "tiny"  # 4 real rows: under the 10-row floor of the charts
    chart = next(d for d in distributions(rare, rare, data_domain(rare)) if d["column"] == "segment")
    assert "tiny" not in chart["labels"] and "(other)" in chart["labels"]


def test_utility_is_skipped_with_the_reason_without_target_or_holdout(real, domain):
    only = ("utility",)
    assert "--target" in validate(real, real, table(100, 3), domain=domain, measures=only).utility.reason
    assert "--holdout" in validate(real, real, domain=domain, target="segment", measures=only).utility.reason


def test_optional_measures_can_be_left_out_and_the_report_says_so(real, domain):
    quick = validate(real, real, domain=domain, measures=())
    data = quick.to_dict()
    assert data["utility"] is None and data["fidelity"]["detection"] is None
    assert data["privacy"]["attacks"] is None and data["fidelity"]["distributions"] == []
    with pytest.raises(ValueError, match="unknown measures"):
        validate(real, real, domain=domain, measures=("speed",))


def test_expensive_metrics_state_their_sample_sizes(report):
    sizes = report.sample_sizes()
    assert sizes["detection"] == {"real": 400, "synthetic": 400}
    assert sizes["privacy"]["holdout"] == 300 and sizes["attacks"]["targets"] == 300
    assert sizes["expectations_reference_real"] == 400


# ---------------------------------------------------------------- severities and examples


def test_a_failing_warning_expectation_does_not_fail_validation(real, domain):
    rules = suite_from_dict({"name": "rules", "meta": {"severity": "warning"}, "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "max_value": 30}}]})
    result = validate(real, real, domain=domain, suites=[build_suite(domain), rules], measures=())
    assert result.passed
    assert (result.expectations.blocking_failed, result.expectations.warnings_failed) == (0, 1)


def test_an_expectation_marked_blocking_overrides_a_warning_suite(real, domain):
    rules = suite_from_dict({"name": "rules", "meta": {"severity": "warning"}, "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "max_value": 30},
         "meta": {"severity": "blocking"}}]})
    assert not validate(real, real, domain=domain, suites=[rules], measures=()).passed


def test_failing_examples_never_show_a_real_identifier_value(real, domain):
    rule = suite_from_dict({"name": "ids", "expectations": [
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "email", "regex": "@example\\.org$"}}]})
    synthetic = real.assign(email=["jane.roe@mail.com"] + ["fake@other.net"] * (len(real) - 1))
    result = validate(real, synthetic, domain=domain, suites=[rule], withheld={"email": {"Jane.Roe@mail.com"}}, measures=())
    row = result.expectations.suites[0].results[0]
    assert not row["success"]
    assert "jane.roe@mail.com" not in json.dumps(result.to_dict()).lower()
    assert row["examples"] == ["<withheld: equals a real identifier value>", "fake@other.net"]


def test_the_real_data_reference_keeps_no_real_value(real, domain):
    rule = suite_from_dict({"name": "r", "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "segment", "value_set": ["young"]}}]})
    row = validate(real, real.assign(segment="young"), domain=domain, suites=[rule], measures=()).expectations.suites[0].results[0]
    assert row["success"] and row["reference"]["success"] is False
    assert set(row["reference"]) == {"success", "unexpected_percent"}


# ---------------------------------------------------------------- the validate verb's files


@pytest.fixture(scope="module")
def verb_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("verb")
    customers = load_table(SAMPLE)
    customers.iloc[:600].to_csv(folder / "real.csv", index=False)
    customers.iloc[600:900].to_csv(folder / "holdout.csv", index=False)
    synthetic = customers.iloc[900:1500].reset_index(drop=True)
    synthetic.loc[0, "email"] = customers.loc[5, "email"]  # a real identifier leaks into the output
    synthetic.loc[0, "credit_score"] = 9999  # and breaks a rule of the committed suite
    synthetic.to_csv(folder / "synth.csv", index=False)
    result = validate_files(folder / "real.csv", folder / "synth.csv", folder / "out", holdout=folder / "holdout.csv",
                            target="fraud_flag", suites=[ROOT / "expectations" / "customers.json"])
    return result, folder / "out", customers.iloc[:600]


def test_validate_files_writes_the_six_sections_and_a_self_contained_page(verb_report):
    _, out, _ = verb_report
    report = json.loads((out / "report.json").read_text())
    assert {"fidelity", "utility", "privacy", "expectations", "pii", "run"} <= set(report)
    assert report["run"]["kind"] == "validate" and report["utility"]["status"] == "measured"
    html = (out / "report.html").read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and html.count("<svg") >= 16  # 14 columns + 3 heatmaps + DCR
    assert "Utility" in html and "membership" in html


def test_validate_files_fails_on_the_broken_rule_and_the_leak(verb_report):
    result, _, _ = verb_report
    assert not result.passed and not result.leakage.passed
    failed = [r for r in result.expectations.failures() if r["column"] == "credit_score"]
    assert failed and failed[0]["example"] == 9999


def test_the_report_shows_real_data_only_as_aggregates(verb_report):
    _, out, real = verb_report
    page = (out / "report.html").read_text() + (out / "report.json").read_text()
    for column in ("full_name", "email", "phone", "ssn", "street_address"):
        leaked = [v for v in real[column].dropna().astype(str) if v in page]
        assert not leaked, (column, leaked[:3])
