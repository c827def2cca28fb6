"""A told target's class shares read from every noisy marginal holding it (models/classshare.py)."""

import numpy as np

from synthrecords.models.classshare import slot_sums, target_shares
from synthrecords.models.measures import Measured


def _readings(rng: np.random.Generator, truth: np.ndarray, sizes: dict[str, int]) -> list[Measured]:
    """The domain's one-way of t at std 60, and t's pairs with x (4 slots) and y (10) at std 40:
    each the true table's counts plus fresh Gaussian noise."""
    x = np.outer(truth, [0.4, 0.3, 0.2, 0.1])
    y = np.outer(truth, np.full(10, 0.1))
    return [Measured(("t",), truth + rng.normal(0, 60, truth.size), 60.0),
            Measured(("x", "t"), (x.T + rng.normal(0, 40, x.T.shape)).ravel(), 40.0),
            Measured(("t", "y"), (y + rng.normal(0, 40, y.shape)).ravel(), 40.0)]


def test_the_shares_of_every_reading_together_err_less_than_the_one_way_alone_and_are_unbiased():
    truth = np.array([400.0, 7500.0])  # a 5 % class
    sizes = {"t": 2, "x": 4, "y": 10}
    rng = np.random.default_rng(0)
    alone, together = [], []
    for _ in range(400):
        readings = _readings(rng, truth, sizes)
        one = np.clip(readings[0].y, 0, None)
        alone.append(one[0] / one.sum())
        together.append(target_shares(readings, sizes, "t", np.array([True, True]))[0])
    share = truth[0] / truth.sum()
    # one-way alone: std 60 on 400; with the pairs (sums of 4 and 10 cells at 40: std 80 and 126): ~43
    assert np.std(together) < 0.8 * np.std(alone)
    assert abs(np.mean(together) - share) < 3 * np.std(together) / np.sqrt(400)


def test_a_coarse_reading_counts_only_where_each_group_holds_one_class():
    sizes = {"t": 2, "b": 3}
    # cells in C order (t, b): groups by b's bins within each class, one cell in no group (-1)
    pure = Measured(("t", "b"), np.array([10.0, 20.0, 100.0, 200.0]), 5.0, groups=(0, 0, 1, 2, 3, -1))
    counts, cells = slot_sums(pure, sizes, "t")
    assert counts.tolist() == [30.0, 300.0] and cells.tolist() == [2.0, 2.0]
    mixed = Measured(("t", "b"), np.array([10.0, 20.0]), 5.0, groups=(0, 0, 1, 0, 1, 1))
    assert slot_sums(mixed, sizes, "t") is None


def test_a_class_no_reading_measured_leaves_the_domains_one_way_in_charge():
    sizes = {"t": 3, "x": 2}
    # only slots 0 and 1 of t measured (slot 2 holds no rows in the live cells)
    m = Measured(("t", "x"), np.array([5.0, 5.0, 50.0, 50.0]), 3.0, slots=(0, 1, 2, 3))
    assert target_shares([m], sizes, "t", np.array([True, True, True])) is None
    assert np.allclose(target_shares([m], sizes, "t", np.array([True, True, False])), [10 / 110, 100 / 110, 0])
