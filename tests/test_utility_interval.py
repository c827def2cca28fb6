"""Utility comes with its 95 % interval, its chance level, and says when the holdout is too small."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, r2_score, roc_auc_score
from test_utility import loans

from synthrecords.domain import data_domain
from synthrecords.validation.utility import _weighted, utility


@pytest.fixture(scope="module")
def real():
    return loans(1500, 0)


@pytest.fixture(scope="module")
def domain(real):
    return data_domain(real)


@pytest.mark.parametrize("seed", range(3))
def test_weighted_metrics_with_every_row_once_equal_sklearns(seed):
    rng = np.random.default_rng(seed)
    n, ones = 400, np.ones((1, 400))
    truth = np.where(rng.random(n) < 0.1, "1", "0")
    scores = np.round(rng.random((n, 2)), 1)  # ties on purpose
    got = _weighted(truth, scores, ones, True)
    assert got["roc_auc"][0] == pytest.approx(roc_auc_score(truth == "1", scores[:, 1]))
    assert got["average_precision"][0] == pytest.approx(average_precision_score(truth == "1", scores[:, 1]))
    three = rng.choice(list("abc"), n)
    onehot = np.stack([three == c for c in "abc"], axis=1)
    got = _weighted(three, scores[:, [0, 1, 1]], ones, True)
    assert got["roc_auc"][0] == pytest.approx(roc_auc_score(onehot, scores[:, [0, 1, 1]], average="macro"))
    values = rng.normal(size=n)
    guess = values + rng.normal(size=n)
    assert _weighted(values, guess, ones, False)["r2"][0] == pytest.approx(r2_score(values, guess))


def test_useful_synthetic_rows_have_an_interval_above_chance_around_the_figure(real, domain):
    result = utility(real, loans(1500, 2), loans(800, 1), domain, "default")
    auc = next(m for m in result.metrics if m["metric"] == "roc_auc")
    low, high = auc["tstr_ci95"]
    assert auc["chance"] == 0.5 and 0.5 < low <= auc["tstr"] <= high < 1
    assert auc["trtr_ci95"][0] <= auc["trtr"] <= auc["trtr_ci95"][1]
    d_low, d_high = auc["difference_ci95"]
    assert d_low < 0.05 and d_high > -0.05  # as useful as real rows: a difference near 0
    assert result.too_small is None
    ap = next(m for m in result.metrics if m["metric"] == "average_precision")
    assert 0 < ap["chance"] < 1  # the positive share of the holdout


def test_a_target_unrelated_to_the_features_has_an_interval_that_holds_chance(real, domain):
    broken = loans(1500, 2)
    broken["default"] = broken["default"].sample(frac=1, random_state=0).to_numpy()
    auc = next(m for m in utility(real, broken, loans(800, 1), domain, "default").metrics
               if m["metric"] == "roc_auc")
    assert auc["tstr_ci95"][0] < 0.5 < auc["tstr_ci95"][1]
    assert auc["difference_ci95"][1] < 0  # clearly worse than the real-trained model


def test_a_holdout_with_few_rows_of_a_class_is_too_small_to_judge(real, domain):
    holdout = loans(2000, 1)
    rare = holdout[holdout["default"] == 1].head(12)
    holdout = holdout[holdout["default"] == 0].head(400)._append(rare)
    result = utility(real, loans(1500, 2), holdout, domain, "default")
    assert result.status == "measured" and "12 rows of class '1'" in result.too_small
    assert "at least 30" in result.too_small
