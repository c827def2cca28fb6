"""The committed sample table sample_data/customers.csv and its generator."""

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
CSV = SAMPLE_DIR / "customers.csv"
SCRIPT = SAMPLE_DIR / "make_customers.py"
README = SAMPLE_DIR / "README.md"


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return pd.read_csv(CSV, dtype={"postcode": str})


def documented_columns() -> list[str]:
    """Column names from the first cell of each row of the README's column table."""
    return re.findall(r"^\| `(\w+)` \|", README.read_text(encoding="utf-8"), flags=re.MULTILINE)


def test_has_5000_rows(customers):
    assert len(customers) == 5000


def test_columns_are_exactly_those_documented_in_readme_in_order(customers):
    assert list(customers.columns) == documented_columns()


def test_fraud_flag_is_binary_with_2_to_4_percent_positive(customers):
    assert set(customers["fraud_flag"].unique()) == {0, 1}
    assert 0.02 <= customers["fraud_flag"].mean() <= 0.04


def test_income_and_credit_score_are_positively_correlated(customers):
    rho = customers["annual_income"].corr(customers["credit_score"], method="spearman")
    assert rho > 0.3


def test_customer_id_is_unique(customers):
    assert customers["customer_id"].is_unique


def test_ssn_is_unique(customers):
    assert customers["ssn"].is_unique


def test_ssn_area_is_never_000_666_or_9xx(customers):
    area = customers["ssn"].str.slice(0, 3).astype(int)
    assert not (area.eq(0) | area.eq(666) | area.ge(900)).any()


def test_postcode_is_a_five_digit_string_keeping_leading_zeros(customers):
    assert customers["postcode"].str.fullmatch(r"\d{5}").all()
    assert customers["postcode"].str.startswith("0").any()


def test_signup_is_on_or_after_18th_birthday(customers):
    adult_on = pd.to_datetime(customers["birth_date"]) + pd.DateOffset(years=18)
    assert (pd.to_datetime(customers["signup_date"]) >= adult_on).all()


def test_regenerating_with_default_seed_reproduces_committed_file_byte_for_byte(tmp_path):
    out = tmp_path / "customers.csv"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True,
                   capture_output=True, timeout=60)
    assert out.read_bytes() == CSV.read_bytes()
