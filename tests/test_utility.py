"""Utility: train on synthetic, test on the real holdout, beside train on real."""

import numpy as np
import pandas as pd
import pytest

from synthrecords.domain import data_domain
from synthrecords.errors import SynthRecordsError
from synthrecords.validation.utility import utility


def loans(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, n)
    debt = rng.normal(20, 8, n)
    region = rng.choice(["n", "s", "e"], n)
    risk = 0.08 * (debt - 20) - 0.06 * (income - 50) + np.where(region == "e", 1.0, 0.0)
    return pd.DataFrame({"income": income.round(1), "debt": debt.round(1), "region": region,
                         "default": (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int),
                         "spend": (income * 0.6 + rng.normal(0, 3, n)).round(2)})


@pytest.fixture(scope="module")
def real():
    return loans(1500, 0)


@pytest.fixture(scope="module")
def holdout():
    return loans(800, 1)


@pytest.fixture(scope="module")
def domain(real):
    return data_domain(real)


def test_synthetic_rows_from_the_real_distribution_are_as_useful_as_real_ones(real, holdout, domain):
    result = utility(real, loans(1500, 2), holdout, domain, "default")
    auc = next(m for m in result.metrics if m["metric"] == "roc_auc")
    assert result.status == "measured" and result.task == "classification"
    assert auc["trtr"] > 0.65 and abs(auc["tstr"] - auc["trtr"]) < 0.06
    assert {m["metric"] for m in result.metrics} == {"roc_auc", "average_precision"}


def test_a_synthetic_target_unrelated_to_the_features_scores_like_chance(real, holdout, domain):
    broken = loans(1500, 2)
    broken["default"] = broken["default"].sample(frac=1, random_state=0).to_numpy()
    auc = next(m for m in utility(real, broken, holdout, domain, "default").metrics if m["metric"] == "roc_auc")
    assert auc["tstr"] < 0.58 < auc["trtr"]


def test_a_numeric_target_is_scored_by_r2(real, holdout, domain):
    result = utility(real, loans(1500, 2), holdout, domain, "spend")
    assert result.task == "regression" and [m["metric"] for m in result.metrics] == ["r2"]
    assert result.metrics[0]["tstr"] > 0.7


def test_a_synthetic_target_with_one_class_is_skipped_with_the_reason(real, holdout, domain):
    result = utility(real, loans(500, 2).assign(default=0), holdout, domain, "default")
    assert result.status == "skipped" and "one class" in result.reason and "synthetic" in result.reason


def test_an_unknown_target_is_an_error_naming_it(real, holdout, domain):
    with pytest.raises(SynthRecordsError, match="'defualt'.*--target"):
        utility(real, real, holdout, domain, "defualt")


def test_an_all_empty_feature_column_is_left_out_not_a_crash(real, holdout, domain):
    from synthrecords.domain import ColumnDomain, Domain
    from synthrecords.validation.detection import detection

    with_empty = Domain({**domain.columns, "blank": ColumnDomain("blank", "numerical", nullable=True)})
    frames = [f.assign(blank=np.nan) for f in (real, loans(1500, 2), holdout)]
    result = utility(*frames, with_empty, "default")
    assert result.status == "measured" and "blank" in result.features
    assert detection(frames[0], frames[1], with_empty).auc < 0.65
