"""Ranges the public grids cannot resolve are counted once more, closer (privacy.zoom).

A column whose values all sit in one grid bin came out as that bin, its rows spread evenly
over it: latitudes 40.55-40.91 as 39.81-44.67, codes 11500-11517 as 11221-12589, a
quarter's dates as their whole year.
"""

import numpy as np
import pandas as pd
import pytest

from synthrecords import Synthesizer
from synthrecords.privacy import zoom
from synthrecords.privacy.domain import release_domain
from synthrecords.privacy.ledger import PrivacyLedger
from synthrecords.privacy.rowcount import RowCount, default_delta
from synthrecords.privacy.zcdp import gaussian_rho, rho_left

ROWS = 5000


def narrow_table(n: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    return pd.DataFrame({
        "lat": rng.normal(40.75, 0.05, n).round(5),
        "code": rng.integers(11500, 11518, n),
        "day": (start + pd.to_timedelta(rng.integers(0, 90, n), "D")).strftime("%Y-%m-%d"),
        "age": rng.integers(18, 90, n),  # spread over many grid bins: never looked at again
    })


def released(data: pd.DataFrame, seed: int | None, epsilon: float = 1.0):
    book = PrivacyLedger(epsilon, default_delta(len(data)))
    domain = release_domain(data, book, rows=RowCount(len(data), 54.0), noise_seed=seed)
    return domain, book


def closer(book: PrivacyLedger) -> list:
    return [e for e in book.entries if e.stage == "domain" and "closer look" in e.detail]


@pytest.mark.parametrize("seed", range(4))
def test_narrow_ranges_are_released_close_to_the_rows(seed):
    domain, book = released(narrow_table(), seed)
    [entry] = closer(book)
    assert "lat" in entry.detail and "code" in entry.detail and "day" in entry.detail and "age" not in entry.detail
    # the first release alone: 39.81-44.67, 11221-12589, 2024-01-01..2024-12-31; here within about two
    # closer bins (a 32nd of those) of the data (a noise bin beside the range can still join it)
    assert 40.4 < domain["lat"].lower < 40.75 < domain["lat"].upper < 41.1
    assert 11400 <= domain["code"].lower <= 11500 and 11517 <= domain["code"].upper <= 11613
    assert "2023-12-01" <= domain["day"].lower <= "2024-01-15" and "2024-03-15" <= domain["day"].upper <= "2024-04-30"
    assert (domain["age"].lower, domain["age"].upper) != (None, None)
    assert book.epsilon_spent() <= 1.0
    for name in ("lat", "code", "day"):  # what the models read: one run and one mass per encoder bin
        histogram = domain[name].histogram
        edges, counts, runs = (np.asarray(histogram[k]) for k in ("edges", "counts", "runs"))
        assert len(edges) == len(counts) + 1 == len(runs) + 1 and np.all(np.diff(edges) > 0)
        assert runs[0] == 0 and np.all(np.diff(runs) >= 0) and np.all(counts >= 0) and counts.sum() > 0


def test_without_the_closer_look_the_same_ranges_are_whole_grid_bins(monkeypatch):
    """What the closer look is there for: the first release alone, same noise."""
    monkeypatch.setattr(zoom, "to_zoom", lambda *args: [])
    domain, book = released(narrow_table(), seed=0)
    assert not closer(book)
    assert domain["lat"].upper - domain["lat"].lower > 3
    assert domain["code"].upper - domain["code"].lower > 1000


def test_the_closer_look_spends_at_most_its_share_of_what_was_left():
    _, book = released(narrow_table(), seed=1)
    [entry] = closer(book)
    before = PrivacyLedger(book.epsilon, book.delta, [e for e in book.entries if e is not entry])
    assert gaussian_rho(entry.noise_multiplier) <= zoom.MAX_SHARE * rho_left(before) * (1 + 1e-9)
    assert not entry.delta  # every key is public: no threshold


def test_no_closer_look_where_every_range_spreads_over_the_grid_or_the_rows_are_too_few():
    rng = np.random.default_rng(3)
    spread = pd.DataFrame({"age": rng.integers(18, 90, 2000), "income": rng.gamma(2.0, 20_000.0, 2000).round(2)})
    assert not closer(released(spread, seed=0)[1])
    few = narrow_table(40)  # 40 rows: no closer bins would clear the bar at the noise the budget allows
    assert not closer(released(few, seed=0)[1])


def test_a_range_a_noise_bin_stretched_is_still_looked_at():
    """The rows of a range the walk stretched over a noise bin beside it still lie in one bin."""
    grid = np.array([10.0, 20.0, 30.0, 40.0])
    one_bin = zoom._bins_holding(grid, np.array([10.0, 15.0, 20.0, 30.0]), np.array([500.0, 480.0, 20.0]), False)
    assert one_bin == [(10.0, 20.0)]
    assert len(zoom._bins_holding(grid, grid, np.array([300.0, 400.0, 300.0]), False)) == 3


def test_a_fit_keeps_synthetic_latitudes_near_the_real_ones():
    data = narrow_table(3000, seed=5)[["lat", "age"]]
    synthetic = Synthesizer(epsilon=3.0).fit(data).sample(2000)
    lat = synthetic["lat"].dropna()
    assert lat.between(40.3, 41.2).mean() > 0.99, lat.describe()
    assert abs(lat.median() - 40.75) < 0.1


def test_a_zero_spike_with_a_spread_tail_is_not_looked_at():
    """92 % zeros (a bin holding one value) and a tail over many bins: the grid resolves it (a
    closer look smeared the zeros over its first bin: Adult's capital_gain 0.975 -> 0.66 in shape)."""
    rng = np.random.default_rng(4)
    gain = np.where(rng.random(ROWS) < 0.92, 0, rng.integers(114, 99_999, ROWS))
    domain, book = released(pd.DataFrame({"gain": gain, "loss": np.where(gain > 0, 0, rng.integers(0, 2, ROWS))}), 0)
    assert not closer(book)
    assert domain["gain"].lower == 0


def test_the_walk_beside_a_range_asks_more_of_a_bin_the_wider_it_stretches_the_range():
    from synthrecords.privacy.ranges import FILL_Z, _walk_bars

    edges = np.array([-0.5, 0.5, 1.5, 2.5, 10.0, 100.0, 1000.0])
    bars = _walk_bars(edges, np.arange(6), [0], integer=True)
    assert bars[1] == bars[2] == FILL_Z  # one whole number beside the zeros: a code's bar
    assert FILL_Z < bars[3] < bars[4] < bars[5]  # wider and wider against a span of one
    linear = _walk_bars(np.linspace(0.0, 100.0, 11), np.arange(10), [4, 5], integer=False)
    assert linear[3] == linear[6] == pytest.approx(FILL_Z * np.sqrt(1.5))


@pytest.mark.parametrize("seed", range(3))
def test_a_tail_beside_the_bin_that_holds_the_rows_stands(seed):
    """COVID tests' cycle thresholds: 93 % piled at 45.0-45.9 (one grid bin, 44.7-50.1), 7 % spread
    over 15-44. Looked at closer, the pile keeps its place and the tail the first release found stays."""
    rng = np.random.default_rng(seed)
    ct = np.where(rng.random(ROWS) < 0.93, rng.uniform(45.0, 45.9, ROWS), rng.uniform(15.0, 44.0, ROWS)).round(1)
    domain, book = released(pd.DataFrame({"ct": ct}), seed)
    assert closer(book)
    column = domain["ct"]
    assert column.lower < 20 and 45.8 <= column.upper < 47.5, (column.lower, column.upper)
    edges, counts = np.asarray(column.histogram["edges"]), np.asarray(column.histogram["counts"])
    mids = (edges[:-1] + edges[1:]) / 2
    assert counts[mids < 44.5].sum() / counts.sum() == pytest.approx(0.07, abs=0.03)
