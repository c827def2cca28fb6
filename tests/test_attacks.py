"""Singling-out, linkability and inference attacks (our implementation of Anonymeter's)."""

import numpy as np
import pandas as pd
import pytest

from synthrecords.domain import data_domain
from synthrecords.validation.attacks import attacks, risk_of, wilson


def people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    return pd.DataFrame({
        "age": age,
        "income": np.round(age * 800 + rng.normal(0, 9000, n), 2),
        "zip": rng.integers(10000, 10400, n).astype(str),
        "job": rng.choice([f"job{i}" for i in range(40)], n),
        "visits": rng.integers(0, 60, n),
        "smoker": rng.random(n) < 0.3,
    })


@pytest.fixture(scope="module")
def train():
    return people(1500, 0)


@pytest.fixture(scope="module")
def domain(train):
    return data_domain(train)


@pytest.fixture(scope="module")
def copied(train, domain):
    return attacks(train, train.sample(frac=1, random_state=3), people(1500, 1), domain)


@pytest.fixture(scope="module")
def fresh(train, domain):
    return attacks(train, people(1500, 2), people(1500, 1), domain)


def test_wilson_interval_narrows_with_more_attacks():
    assert wilson(100, 50)[1] > wilson(1000, 500)[1]
    assert wilson(1000, 500)[0] == pytest.approx(0.5)


def test_risk_is_zero_when_the_attack_does_no_better_than_the_control():
    risk = risk_of(500, 40, 40, 5)
    assert risk.risk == 0.0 and risk.ci95[0] == 0.0 < risk.ci95[1]


def test_risk_is_the_excess_over_the_control_normalised():
    risk = risk_of(500, 300, 50, 5)
    assert risk.risk == pytest.approx((risk.attack_rate - risk.control_rate) / (1 - risk.control_rate))
    assert risk.ci95[0] < risk.risk < risk.ci95[1]


def test_copies_of_the_training_rows_are_linkable_and_leak_their_attributes(copied):
    assert copied.linkability.risk > 0.5 and copied.linkability.ci95[0] > 0.4
    assert copied.inference_max_risk > 0.5
    assert copied.singling_out.risk > 0.2


def test_fresh_rows_from_the_same_distribution_carry_little_risk(fresh):
    assert fresh.linkability.risk < 0.05 and fresh.linkability.ci95[0] == 0.0
    assert fresh.singling_out.ci95[0] < 0.1
    assert all(r["ci95"][0] < 0.1 for r in fresh.inference)


def test_attacks_state_their_sizes_and_column_split(fresh):
    assert fresh.rows_used["targets"] == 500 and fresh.rows_used["synthetic"] == 1500
    left, right = fresh.linkability_columns
    assert sorted(left + right) == sorted(["age", "income", "zip", "job", "visits", "smoker"])
    assert {r["column"] for r in fresh.inference} == set(left + right)


def test_attacks_without_a_holdout_say_why(train, domain):
    assert "holdout" in attacks(train, train, None, domain).skipped
