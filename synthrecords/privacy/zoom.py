"""A closer look at ranges the public grids cannot resolve.

The domain release counts numbers on log-spaced bins (a fine bin is 12 % wide) and dates on
one-year bins (``grids``). A column whose values all sit in one or two of them comes out as
that bin, its rows spread evenly over it: latitudes 40.55-40.91 were released as 39.81-44.67,
longitudes -74.12..-73.78 as -79.43..-70.79, temperatures of 277-309 K as 282-316, facility
codes 11500-11517 as 11221-12589, three months of dates as their whole year. Nothing in such
a release says where inside the bin the rows are, so every synthetic value is a guess over a
range tens of times the real one.

Which columns those are is read off the first release (post-processing): a range the release
found (no declared bounds) whose mass lies in at most ``FEW_BINS`` bins of the finest grid
it measured (``HELD`` of it), where a finer grid can say more (whole numbers: more than ``FEW_BINS`` of them a
bin). Each is counted once more on ``ZOOM_BINS`` equal bins over its released range (whole
numbers or whole days a bin at least; rows beyond the range in two outer bins, which only
keep them out of the edge bins), all in one Gaussian mechanism of their own (a record moves
one bin of each: L2 sensitivity ``sqrt(m)``; one ledger entry, no threshold: every key is
public). The noise std is the one at which a bin holding ``BIN_SHARE`` of the rows clears the
range's bar (``ranges.SUPPORT_Z``), and at least the one that spends ``MAX_SHARE`` of the
zCDP budget the first release left (it comes out of the model's). The look is taken only
where the rows, gathered in ``GATHERED`` bins, would clear that bar. The closer counts are
read as any grid's (``ranges.released_range``: the support, then the rows it misses beside it),
and the column's range and encoder bins follow them; its null share stays the first release's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..domain import ColumnDomain
from .plan import Plan
from .ranges import SUPPORT_Z, released_range, support, whole_numbers
from .rowcount import RowCount
from .weights import FINE_NOISE

ZOOM_BINS = 32
SPLIT = 8  # fine bins a closer bin
FEW_BINS = 2
HELD = 0.9
HOLDS = 0.9
BIN_SHARE = 0.01
MAX_SHARE = 0.05
GATHERED = 4
SUFFIX = "@zoom"


@dataclass
class Closer:
    """A column's closer look: its closer grid and that grid's finer split, how many bins of
    the first release's grid hold its rows, and the share of its rows a closer bin would hold
    if they were spread evenly over those bins."""

    plans: tuple[Plan, Plan]
    bins: int
    even: float


def to_zoom(plans: list[Plan], columns: dict[str, ColumnDomain], fine: dict[str, Plan]) -> list[Closer]:
    """The columns whose released mass lies in at most ``FEW_BINS`` bins of the finest grid
    measured for them (``fine``: a column's finer grid, where it had one), each bin holding
    more than ``SPLIT`` values. Post-processing of the first release: its plans and released
    ranges only."""
    out = []
    for plan in plans:
        column = columns.get(plan.name)
        if not plan.finds_range or plan.column is not None or column is None or not column.histogram:
            continue
        edges, counts = (np.asarray(column.histogram[k], dtype=float) for k in ("edges", "counts"))
        lo, hi = float(edges[0]), float(edges[-1])
        integer = plan.kind == "numerical" and plan.integer
        grid = fine[plan.name].edges if plan.name in fine else plan.edges
        held = _bins_holding(grid, edges, counts, integer)
        if 0 < len(held) <= FEW_BINS and all(_units(plan, a, b) > SPLIT for a, b in held):
            coarse, finer = closer_grids(plan, lo, hi)
            pair = tuple(Plan(f"{plan.name}{SUFFIX}{tag}", plan.kind, "dp", plan.fmt, edges=g, integer=plan.integer,
                              decimals=plan.decimals, refines=plan.name) for tag, g in (("", coarse), ("@fine", finer)))
            width = sum(min(b, hi) - max(a, lo) for a, b in held)
            out.append(Closer(pair, len(held), (hi - lo) / (ZOOM_BINS * max(width, 1e-12))))
    return out


def chosen(candidates: list[Closer], rows: float, rho_free: float) -> tuple[list[Closer], float | None]:
    """The closer looks worth taking and their noise std (``zoom_std``). A column whose rows lie
    in one grid bin is released as that bin, evenly: looked at wherever its rows can show. One
    whose rows lie in two bins has a shape already: looked at only where its rows, spread evenly
    over those bins, would hold more than a noise std a closer bin (on 753 rows at epsilon 1,
    PSID's ages 30-60 over two log bins came out 0.847 -> 0.814 in shape, 13 % of the rows cut)."""
    while candidates:
        std = zoom_std(len(candidates), rows, rho_free)
        if std is None:
            return [], None
        kept = [c for c in candidates if c.bins == 1 or c.even * rows > std]
        if len(kept) == len(candidates):
            return kept, std
        candidates = kept  # fewer columns: a smaller std, at which those kept still show
    return [], None


def _bins_holding(grid: np.ndarray, edges: np.ndarray, counts: np.ndarray, integer: bool) -> list[tuple[float, float]]:
    """The fewest bins of ``grid`` that hold ``HELD`` of a released histogram's mass (its
    ``edges`` and ``counts``; for whole numbers, of the bins holding one), as [lo, hi) pairs.
    A range the walk stretched over a noise bin beside it still has its rows in one bin."""
    grid = np.asarray(grid, dtype=float)
    if integer:
        view = whole_numbers(grid, np.zeros(len(grid) - 1), float(edges[0]), float(edges[-1]))
        if view is None:
            return []
        grid = view[0]
    cdf = np.concatenate([[0.0], np.cumsum(np.clip(counts, 0, None))])
    if not cdf[-1] > 0:
        return []
    mass = np.diff(np.interp(grid, edges, cdf))
    order = np.argsort(mass)[::-1]
    top = order[:int(np.searchsorted(np.cumsum(mass[order]), HELD * cdf[-1]) + 1)]
    return [(float(grid[i]), float(grid[i + 1])) for i in top]


def _units(plan: Plan, lo: float, hi: float) -> float:
    """The values [lo, hi) can hold: whole numbers, whole days, or steps of the column's
    decimals (unbounded where it has none)."""
    if plan.kind == "datetime" or plan.integer:
        return float(math.ceil(hi - 1e-9) - math.ceil(lo - 1e-9))
    return math.inf if plan.decimals is None else (hi - lo) * 10.0 ** plan.decimals


def closer_grids(plan: Plan, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """``ZOOM_BINS`` equal bins over [lo, hi) and their finer split (``SPLIT`` each), every bin a
    whole number of whole numbers (edges halfway between them) or of days where the column
    holds those, each grid between two outer bins (below and above the range)."""
    outer = lambda inner: np.concatenate([[-np.inf], inner, [np.inf]])
    if plan.kind == "numerical" and plan.integer:
        start, stop = math.ceil(lo - 1e-9) - 0.5, math.floor(hi - 0.5 + 1e-9) + 0.5
    elif plan.kind == "datetime":
        start, stop = math.floor(lo + 1e-9), math.ceil(hi - 1e-9)
    else:
        return outer(np.linspace(lo, hi, ZOOM_BINS + 1)), outer(np.linspace(lo, hi, ZOOM_BINS * SPLIT + 1))
    width = max(1, math.ceil((stop - start) / (ZOOM_BINS * SPLIT)))  # a fine bin's whole numbers
    grids = [np.unique(np.append(np.arange(start, stop, w, dtype=float), stop)) for w in (SPLIT * width, width)]
    return outer(grids[0]), outer(grids[1])


def zoom_std(m: int, rows: float, rho_free: float) -> float | None:
    """The noise std of the closer counts of ``m`` columns (their finer counts take
    ``weights.FINE_NOISE`` times it), or None where the rows gathered in ``GATHERED`` closer
    bins would not clear the range's bar at it (or no budget is left)."""
    if rho_free <= 0 or m == 0:
        return None
    # rho = m (1 + 1 / FINE_NOISE^2) / (2 std^2), at most MAX_SHARE of what is left
    std = max(BIN_SHARE * rows / SUPPORT_Z, math.sqrt(m * (1 + FINE_NOISE ** -2) / (2 * MAX_SHARE * rho_free)))
    return std if rows > SUPPORT_Z * std * math.sqrt(GATHERED) else None


def zoomed(plans: tuple[Plan, Plan], noisy: tuple[np.ndarray, np.ndarray], std: float,
           rows: RowCount) -> ColumnDomain | None:
    """A column's range and histogram read from its closer counts and their finer split
    (``noisy``: each with its outer bins around it, null last) as any range is read from its
    grids (``ranges.released_range``: the support, the rows it misses beside it, the end bins
    and spikes the finer counts show), or None where no group of bins clears the bar (the
    first release's range stands). The rows counted in the outer bins are left out of the
    released row count the range must hold. Post-processing."""
    (plan, finer), (counts, fine_counts) = plans, (np.asarray(x, dtype=float) for x in noisy)
    if support(counts[1:-2], std) is None:
        return None
    inner = lambda p: np.asarray(p.edges, dtype=float)[1:-1]
    within = RowCount(max(round(float(rows.rows - counts[0] - counts[-2])), 1), math.sqrt(rows.std ** 2 + 2 * std ** 2))
    grid = Plan(plan.reads, plan.kind, "dp", plan.fmt, edges=inner(plan), integer=plan.integer, decimals=plan.decimals)
    column = released_range(grid, np.append(counts[1:-2], counts[-1]), std, within,
                            (inner(finer), np.append(fine_counts[1:-2], fine_counts[-1]), FINE_NOISE * std))
    if not column.histogram:
        return None
    # rows spread thin over the closer bins clear none of them: a range that lost them is worse
    # than the first release's, which held them
    present = within.rows - max(float(counts[-1]), 0.0)
    return column if sum(column.histogram["counts"]) >= HOLDS * present else None
