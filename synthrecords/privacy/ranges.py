"""Released ranges and encoder bins of numbers and dates, from noisy grid counts only.

Post-processing of the DP domain release (``privacy.domain`` measures on the public grids
of ``privacy.grids``). A range is the span of the *minimal* dyadic groups of adjacent bins
whose noisy sum clearly exceeds noise (``SUPPORT_Z`` standard deviations): dense parts
resolve to single bins, sparse tails to wider groups, and a lone outlier never clears the
bar, so it cannot stretch the range. Cumulative-count quantiles are avoided on purpose: the
noise of hundreds of empty bins adds up and swamps them. Where the released row count says
the span misses rows, the bins beside it that agree hold them (``missing_bins``). The
encoder's bins are noisy quantiles plus equal widths within the range, with spikes kept in
bins of their own.

``exact_bins`` is the same binning on exact counts, for fits without DP only.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import replace

import numpy as np
import pandas as pd

from ..domain import ColumnDomain, Domain
from .codes import missing_codes, run_codes
from .grids import (
    bounds_in_days,
    date_grid,
    dates,
    from_days,
    grid_within,
    numbers,
    numeric_grid,
    to_days,
)
from .nulls import is_nullable, null_share
from .plan import Plan
from .rowcount import RowCount

log = logging.getLogger("synthrecords.privacy.domain")  # one logger for the whole release
SUPPORT_Z = 4.5  # a group of empty bins passes with prob. 3e-6 (~1e-3 over a grid)
ENCODER_BINS = 10  # quantile bins (plus as many equal-width ones) per numeric column
# Undeclared ranges where a grid bin must hold this share of the rows to clear SUPPORT_Z alone
# are worth a warning: on ~1,000 rows at epsilon 1 (a bin needs 22-30 % of them) quality fell
# 0.13-0.17 against the same fit told the bounds (bench/RESULTS.md, session 23).
COARSE_SHARE = 0.1
# A bin beside a range holds the rows the range misses where its count and those rows agree on it
# by this many std (``missing_bins``). Beside a complete range an empty bin passes ~5 % of the
# time (each side 2.3 %); at the codes' 1.5 std a 5-year date bin joined 3-12 % of complete ranges.
FILL_Z = 2.0
# Where the released row count says the span misses rows by TAIL_RUN_Z std of that residual, the
# bins beyond it are also judged together as runs (``codes.run_codes``), as score codes are:
# COMPAS's `start` (days, 7,214 rows: 63 % zeros, 12 % ones, 25 % over 2-937 at 100-250 rows a log
# bin against a noise std of 92) was released as 0-1 or 0-6, its tail clipped onto the ones.
TAIL_RUN_Z, TAIL_RUN_END_Z = 2.0, 3.0
# A bound's or zero's own bin (grids.with_points) stands apart only where its count clears POINT_Z
# std (a point holding no rows does so 0.1 % of the time); else its count goes back to the bin
# beside it, so noise alone never puts rows on exactly a bound.
POINT_Z = 3.0


def coarse_ranges(plans: list[Plan], sigmas: list[float], rows: float) -> tuple[list[str], float]:
    """The number and date columns without declared bounds whose grid bins must hold over
    ``COARSE_SHARE`` of the rows to show, and the largest such share (public: plans, noise
    stds and the released row count)."""
    shares = {p.name: SUPPORT_Z * s / max(rows, 1.0) for p, s in zip(plans, sigmas)
              if p.column is None and p.finds_range}
    coarse = [name for name, share in shares.items() if share > COARSE_SHARE]
    return coarse, max((shares[c] for c in coarse), default=0.0)


def released_range(plan: Plan, noisy: np.ndarray, sigma: float, rows: RowCount | None = None) -> ColumnDomain:
    """A number or date column's range and encoder bins from its noisy grid counts, null bin
    last (post-processing). ``rows``, the released row count, lets bins beside the range hold
    the rows the range misses (``missing_bins``)."""
    counts, edges = noisy[:-1].copy(), plan.edges
    for i in plan.points:
        if counts[i] <= POINT_Z * sigma:  # back to the bin beside it (the last one's is before it)
            beside = i - 1 if i == len(counts) - 1 else i + 1
            counts[beside], counts[i] = counts[beside] + counts[i], 0.0
    col = ColumnDomain(plan.name, plan.kind, integer=plan.integer, decimals=plan.decimals, source=plan.source,
                       datetime_format=plan.fmt if plan.kind == "datetime" else None,
                       nullable=is_nullable(plan.public, noisy[-1], sigma))
    integer = plan.kind == "numerical" and bool(plan.integer)
    filled: dict[int, float] = {}  # grid bin -> mass, for bins that hold the rows the range misses
    if "lower" in plan.public:
        lo, hi = edges[0], edges[-1]
        col.lower, col.upper = plan.public["lower"], plan.public["upper"]
    else:
        span = support(counts, sigma)
        if span is None:
            log.warning("column %r: too few rows to release its range under DP (noise std %.3g per bin); its "
                        "synthetic values will be empty. Declare public bounds, raise epsilon or the domain "
                        "share, or drop it", plan.name, sigma)
            col.nullable = True
            return col
        if rows is not None:
            filled = missing_bins(edges, counts, sigma, span, rows, noisy[-1] if col.nullable else None, integer)
            if filled:
                span = (min(span[0], *filled), max(span[1], *(i + 1 for i in filled)))
        lo, hi = edges[span[0]], edges[span[1]]
    # Bins under one noise std are taken as empty: across the many empty bins of a wide
    # grid, clipped noise would otherwise add up to a sizeable spurious mass.
    kept = np.where(counts > sigma, counts, 0.0)
    kept[list(filled)] = list(filled.values())
    enc, mass = encoder_histogram(edges, kept, lo, hi, integer=integer)
    col.histogram = {"edges": [float(e) for e in enc], "counts": [float(m) for m in mass],
                     "null_share": null_share(noisy[-1], float(mass.sum()), col.nullable), "noise_std": float(sigma),
                     "runs": grid_runs(enc, edges, integer)}
    if "lower" in plan.public:  # public bounds were set above, as given
        return col
    if plan.kind == "numerical":
        col.lower, col.upper = round_out(lo, hi, col.decimals)
    else:
        col.lower = from_days([lo])[0].strftime(plan.fmt)
        col.upper = from_days([hi - 1e-6])[0].strftime(plan.fmt)  # edges are exclusive
    return col


def missing_bins(edges: np.ndarray, counts: np.ndarray, sigma: float, span: tuple[int, int], rows: RowCount,
                 nulls: float | None, integer: bool) -> dict[int, float]:
    """Grid bins beside the released span that hold the rows it misses: ``{bin: mass}``
    (post-processing of the noisy counts and the released row count).

    A span keeps only groups of bins that clear ``SUPPORT_Z`` std, so on a small table a
    column's tail, or every value but its spike, can fall outside it: CreditCard's ``reports``
    (1,055 rows, 80 % zeros, 12 % ones) came out as zeros only at epsilon 1 in 10 of 10
    releases, and ``active`` (0-46) kept 41 % of its rows. The released row count minus the
    span's counts and the nulls says how many rows are missing; ``codes.missing_codes`` then
    walks out from the span one bin at a time, releasing a bin where its own count and that
    residual agree on it, as it does for integer codes. A whole-number column walks over the
    bins that hold a whole number (``whole_numbers``): its zero bin and its ones sit side by
    side there, while 15 empty log bins (1e-3 to 1) part them on the grid.

    Ten releases of each of the 33 number columns of nine bench tables, epsilon 1, no bounds
    declared: the share of real rows inside the range 0.83 -> 0.92 (``active`` 0.41 -> 0.70),
    a column constant 11 -> 1 times in 330, the 1-way total variation 0.285 -> 0.256.
    """
    view = np.flatnonzero(_holds_whole_numbers(edges)) if integer else np.arange(len(counts))
    inside = [j for j, i in enumerate(view) if span[0] <= i < span[1]]
    if not inside:
        return {}
    seen = np.asarray(counts, dtype=float)[view]
    # nulls: the noisy null count where the column is nullable (None: it holds none). A whole-number
    # column's bins that hold no whole number hold no rows: their noise stays out of the residual
    present = rows.rows - max(nulls or 0.0, 0.0)
    residual = present - float(np.sum(seen[inside]))
    variance = rows.std ** 2 + sigma ** 2 * (len(inside) + (nulls is not None))
    tail: dict[int, float] = {}
    if residual > TAIL_RUN_Z * math.sqrt(variance):
        # A long thin tail holds the missing rows in many bins, none of which clears alone
        grown = [j for j in run_codes(seen, sigma, inside, residual / max(present, 1.0), TAIL_RUN_END_Z)
                 if j not in inside]
        tail = {j: float(seen[j]) if seen[j] > sigma else 0.0 for j in grown}
        residual -= float(np.sum(seen[grown]))
        variance += sigma ** 2 * len(grown)
    found = missing_codes(seen, sigma, sorted({*inside, *tail}), residual, variance, FILL_Z)
    return {int(view[j]): mass for j, mass in {**tail, **found}.items()}


def support(counts: np.ndarray, sigma: float, z: float = SUPPORT_Z) -> tuple[int, int] | None:
    """Bin span [first, last) of the minimal dyadic groups that clearly hold data."""
    m = len(counts)
    prefix = np.concatenate([[0.0], np.cumsum(counts)])
    levels = []  # per level: (starts, ends, passes)
    width = 1
    while width < 2 * m:
        starts = np.arange(0, m, width)
        ends = np.minimum(starts + width, m)
        levels.append((starts, ends, prefix[ends] - prefix[starts] > z * sigma * np.sqrt(ends - starts)))
        width *= 2
    lo, hi = m, -1
    below = np.zeros(m, dtype=bool)  # per node of the level below: it or a descendant passes
    for depth, (starts, ends, passes) in enumerate(levels):
        if depth == 0:
            minimal, covered = passes, passes
        else:
            child = np.zeros(len(starts), dtype=bool)
            np.logical_or.at(child, np.arange(len(below)) // 2, below)
            minimal, covered = passes & ~child, passes | child
        if minimal.any():
            lo, hi = min(lo, int(starts[minimal].min())), max(hi, int(ends[minimal].max()))
        below = covered
    return None if hi < 0 else (lo, hi)


def encoder_histogram(edges: np.ndarray, counts: np.ndarray, lo: float, hi: float,
                      integer: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The encoder's bins within [lo, hi] and the mass of each, from counts on a finer grid.

    A column of whole numbers gets its cuts between whole numbers, and a bin's mass is split
    by how many whole numbers fall on each side (``whole_numbers``). Cut inside a grid bin
    as if its values were spread evenly, a bin (32.98, 33.5] of ISLR Caravan's MOSTYPE was
    given an eighth of its grid bin's mass while it held all of the 14 % of rows at 33: the
    released one-way shares were 0.32 (total variation) from the rows they described."""
    whole = whole_numbers(edges, counts, lo, hi) if integer else None
    if whole is not None:
        edges, counts, lo, hi = whole
    enc = encoder_edges(edges, counts, lo, hi)
    if whole is not None:  # between two whole numbers: each bin decodes, rounded, to its own
        enc = np.unique(np.clip(np.round(enc - 0.5) + 0.5, lo, hi))
    return enc, np.diff(np.interp(enc, edges, np.concatenate([[0.0], np.cumsum(counts)])))


def grid_runs(enc: np.ndarray, edges: np.ndarray, integer: bool = False) -> list[int]:
    """Per encoder bin, its run: the bins that split one grid bin share a run, every other bin
    is a run of its own. Those bins' masses are the grid bin's noisy count spread evenly
    (``encoder_histogram``): only their total was measured, not the split, which
    ``models.marginals`` must not take as measured. Public: grid and encoder edges only."""
    grid = np.unique(_half_below(edges) if integer else np.asarray(edges, dtype=float))
    enc = np.asarray(enc, dtype=float)
    tol = 1e-9 * np.maximum(1.0, np.abs(enc))
    at = np.clip(np.searchsorted(grid, enc[:-1] + tol[:-1], side="right") - 1, 0, len(grid) - 2)
    inside = enc[1:] <= grid[at + 1] + tol[1:]
    keys = [int(g) if i else -1 - j for j, (g, i) in enumerate(zip(at, inside))]
    return [0, *np.cumsum([a != b for a, b in itertools.pairwise(keys)]).tolist()]


def _half_below(edges: np.ndarray) -> np.ndarray:
    """Grid edges as ``whole_numbers`` moves them: to the half below the first whole number at
    or above each (the last one's move does not matter here: it closes the range)."""
    return np.ceil(np.asarray(edges, dtype=float) - 1e-9) - 0.5


def whole_numbers(edges: np.ndarray, counts: np.ndarray, lo: float,
                  hi: float) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """The grid as whole numbers see it: each edge moved to the half below the first whole
    number at or above it (the last edge, which closes its bin, to the half above the last
    whole number at or below it), and the bins that hold no whole number dropped (only noise
    is in them). Post-processing of public edges and noisy counts. None: no whole number in
    [lo, hi]."""
    lo_h = float(_half_below([lo])[0])
    hi_h = math.floor(hi + 1e-9) + 0.5 if hi >= edges[-1] else float(_half_below([hi])[0])
    if not hi_h > lo_h:
        return None
    return np.unique(_whole_edges(edges)), np.asarray(counts, dtype=float)[_holds_whole_numbers(edges)], lo_h, hi_h


def _whole_edges(edges: np.ndarray) -> np.ndarray:
    """The grid's edges as ``whole_numbers`` moves them (the last to the half above the last
    whole number at or below it)."""
    half = _half_below(edges)
    half[-1] = math.floor(edges[-1] + 1e-9) + 0.5
    return half


def _holds_whole_numbers(edges: np.ndarray) -> np.ndarray:
    """Per grid bin, whether it holds a whole number (the bins ``whole_numbers`` keeps)."""
    return np.diff(_whole_edges(edges)) > 0


def encoder_edges(edges: np.ndarray, counts: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Bin edges for the encoder: noisy quantiles plus equal widths within [lo, hi].

    A grid bin holding a large share of the mass (a spike such as all the zeros of a
    debt column) keeps its own edges: merged into a wide bin, its values would be
    spread over that whole bin when decoded."""
    cdf = np.concatenate([[0.0], np.cumsum(np.clip(counts, 0, None))])
    at = np.interp([lo, hi], edges, cdf)
    levels = np.linspace(at[0], at[1], ENCODER_BINS + 1)[1:-1]
    quantiles = np.interp(levels, cdf, edges) if at[1] > at[0] else []
    inside = (edges[:-1] >= lo) & (edges[1:] <= hi)
    spikes = inside & (np.clip(counts, 0, None) >= (at[1] - at[0]) / ENCODER_BINS)
    pinned = np.unique(np.concatenate([[lo, hi], edges[:-1][spikes], edges[1:][spikes]]))
    cuts = np.unique(np.clip(np.concatenate([pinned, quantiles, np.linspace(lo, hi, ENCODER_BINS + 1)]), lo, hi))
    tol = (hi - lo) * 1e-3  # other cuts closer than this to a kept one are dropped
    near_pin = np.min(np.abs(cuts[:, None] - pinned[None, :]), axis=1) <= tol
    kept: list[float] = []
    for cut, pin, near in zip(cuts, np.isin(cuts, pinned), near_pin):
        if pin or (not near and cut - kept[-1] > tol):
            kept.append(float(cut))
    return np.asarray(kept)


def round_out(lo: float, hi: float, decimals: int | None) -> tuple[float, float]:
    scale = 10.0 ** (decimals or 0)
    lower, upper = math.ceil(lo * scale - 1e-9) / scale, math.floor(hi * scale + 1e-9) / scale
    if upper < lower:  # a bin narrower than the rounding step
        lower = upper = round((lo + hi) / 2 * scale) / scale
    return (int(lower), int(upper)) if not decimals else (lower, upper)


def exact_bins(data: pd.DataFrame, domain: Domain) -> Domain:
    """Without DP: each number and date column of an exact domain gets the encoder bins a DP
    release would give it at no noise (quantiles, equal widths and spikes, on the default grid
    inside its bounds) instead of the codec's 10 equal-width bins, which put a heavy-tailed
    column's bulk in one bin. Reads real values: never for a DP fit."""
    columns = {}
    for col in domain:
        columns[col.name] = col
        if col.kind not in ("numerical", "datetime") or col.histogram or col.lower is None or col.upper is None:
            continue
        values = data[col.name].dropna()
        if col.kind == "numerical":
            x, lo, hi = numbers(values), float(col.lower), float(col.upper)
        else:
            x = to_days(dates(values, col.datetime_format))
            lo, hi = bounds_in_days(col.lower, col.upper, col.datetime_format)
            hi += 1.0  # the last day is inside
        if not hi > lo or x.empty:
            continue
        grid = grid_within(lo, hi, numeric_grid() if col.kind == "numerical" else date_grid())
        bins = np.clip(np.searchsorted(grid, x.to_numpy(dtype=float), side="right") - 1, 0, len(grid) - 2)
        enc, mass = encoder_histogram(grid, np.bincount(bins, minlength=len(grid) - 1).astype(float), lo, hi,
                                      integer=col.kind == "numerical" and bool(col.integer))
        nulls = int(data[col.name].isna().sum())
        columns[col.name] = replace(col, histogram={"edges": [float(e) for e in enc], "counts": [float(m) for m in mass],
                                                    "null_share": nulls / len(data) if len(data) else 0.0})
    return Domain(columns)
