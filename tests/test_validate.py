"""validate(): expectation suites, fidelity and privacy of a synthetic table in one report."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthrecords.domain import data_domain
from synthrecords.expectations import build_suite, save_suite, suite_from_dict
from synthrecords.read import load_table
from synthrecords.validation import ValidationReport, validate

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
    assert set(data) == {"expectations", "fidelity", "privacy"}
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
    result = validate(real, synthetic, domain=domain)
    assert not result.passed
    assert [f["column"] for f in result.expectations.failures()] == ["segment"]


def test_a_column_missing_from_synthetic_fails_an_expectation_instead_of_crashing(real, domain):
    result = validate(real, real.drop(columns=["income"]), domain=domain)
    assert not result.passed
    assert {f["column"] for f in result.expectations.failures()} == {None, "income"}
    assert "income" not in result.fidelity.columns and "income" not in result.privacy.columns


def test_domain_is_read_off_real_data_when_not_given(real):
    result = validate(real, real.copy())
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
    result = validate(real, real.copy(), domain=domain, suites_dir=tmp_path)
    assert [s.name for s in result.expectations.suites] == ["schema", "rules"]
    assert [f["suite"] for f in result.expectations.failures()] == ["rules"]


def test_explicit_suites_replace_the_schema_suite(real, domain):
    only = suite_from_dict({"name": "only", "expectations": []})
    assert [
        s.name for s in validate(real, real, domain=domain, suites=[only]).expectations.suites
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
    result = validate(real, synthetic, domain=domain, suites=[build_suite(domain), email_rule])
    assert result.passed


def test_datetime_columns_are_checked_in_the_released_text_format(real, domain):
    as_datetimes = real.assign(joined=pd.to_datetime(real["joined"]))
    assert validate(real, as_datetimes, domain=domain).passed


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
    )
    customers_suite = next(s for s in result.expectations.suites if s.name == "customers")
    assert customers_suite.success and customers_suite.evaluated == 9
    assert 0.4 < result.privacy.dcr.share_closer_to_train_than_holdout < 0.6
    assert result.privacy.exact_matches == 0
    assert result.fidelity.quality_score > 0.7
