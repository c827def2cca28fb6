"""Values piled on a declared bound or on zero come out as the value itself (privacy/grids.with_points)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthrecords import Synthesizer
from synthrecords.privacy.domain import release_domain
from synthrecords.privacy.grids import grid_within, numeric_grid, with_points
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
