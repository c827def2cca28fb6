"""A closer look at ranges the public grids cannot resolve.

The domain release counts numbers on log-spaced bins (a fine bin is 12 % wide) and dates on
one-year bins (``grids``). A column whose values all sit in one of them comes out as that bin,
its rows spread evenly over it: latitudes 40.55-40.91 were released as 39.81-44.67, longitudes
-74.12..-73.78 as -79.43..-70.79, temperatures of 277-309 K as 282-316, facility codes
11500-11517 as 11221-12589, three months of dates as their whole year. Nothing in such a
release says where inside the bin the rows are, so every synthetic value is a guess over a
range tens of times the real one.

Which columns those are is read off the first release (post-processing): a range the release
found (no declared bounds) whose mass lies in one bin of the finest grid it measured (``HELD``
of it) holding more than ``SPLIT`` values. Each is counted once more on ``ZOOM_BINS`` equal
bins over that bin (the window) and on their finer split (``SPLIT`` each; whole numbers or whole
days a bin at least; rows beyond the window in two outer bins, which keep them out of the edge
bins), all in one Gaussian mechanism of its own: a record moves one bin of each grid, the finer
ones weighted 1 / ``weights.FINE_NOISE`` as the first release's finer grids are (L2 sensitivity
``sqrt(m (1 + 1 / FINE_NOISE^2))``; one ledger entry, no threshold: every key is public). The
noise std is the one at which a closer bin holding ``BIN_SHARE`` of the rows clears the range's
bar (``ranges.SUPPORT_Z``), and at least the one that spends ``MAX_SHARE`` of the zCDP budget
the first release left (it comes out of the model's); the look is taken only where the rows,
gathered in ``GATHERED`` closer bins, would clear that bar. The closer counts are read as any
range's grids (``ranges.released_range``: the support, the rows it misses beside it, the end
bins and spikes the finer split shows); where the range read holds ``HOLDS`` of the rows, the
window's mass is spread as it says, the first release's bins beside the window stand where the
outer bin on that side shows rows (``merged``), and the null share stays the first release's.
"""

from __future__ import annotations

import math

import numpy as np

from ..domain import ColumnDomain
from .plan import Plan
from .ranges import SUPPORT_Z, grid_runs, released_range, support, whole_numbers
from .rowcount import RowCount
from .weights import FINE_NOISE

ZOOM_BINS = 32
SPLIT = 8  # fine bins a closer bin
HELD = 0.9
HOLDS = 0.9
BIN_SHARE = 0.01
MAX_SHARE = 0.05
GATHERED = 16
OUTER_Z = 2.0
SUFFIX = "@zoom"


def to_zoom(plans: list[Plan], columns: dict[str, ColumnDomain], fine: dict[str, Plan]) -> list[tuple[Plan, Plan]]:
    """The closer grids (a grid and its finer split) of the columns whose released mass lies in
    one bin of the finest grid measured for them (``fine``: a column's finer grid, where it had
    one), a bin holding more than ``SPLIT`` values. Post-processing of the first release: its
    plans and released ranges only.

    Only one bin: a column whose rows lie in two has a shape already, and looked at closer, the
    noise cut its ends (COMPAS' screening dates, 2013-2014 in two year bins, ended two weeks
    short at epsilon 1 with seven such columns sharing the budget; quality 0.827 -> 0.813 over
    2 fits, bench/RESULTS.md "Session 37")."""
    out = []
    for plan in plans:
        column = columns.get(plan.name)
        if not plan.finds_range or plan.column is not None or column is None or not column.histogram:
            continue
        edges, counts = (np.asarray(column.histogram[k], dtype=float) for k in ("edges", "counts"))
        lo, hi = float(edges[0]), float(edges[-1])
        grid = fine[plan.name].edges if plan.name in fine else plan.edges
        held = _bins_holding(grid, edges, counts, plan.kind == "numerical" and plan.integer)
        if len(held) == 1 and _units(plan, *held[0]) > SPLIT:
            window = max(held[0][0], lo), min(held[0][1], hi)
            out.append(tuple(Plan(f"{plan.name}{SUFFIX}{tag}", plan.kind, "dp", plan.fmt, edges=g, integer=plan.integer,
                                  decimals=plan.decimals, refines=plan.name)
                             for tag, g in zip(("", "@fine"), closer_grids(plan, *window))))
    return out


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


def _inner(plan: Plan) -> np.ndarray:
    """A closer grid's edges without its two outer bins: the window and its bins."""
    return np.asarray(plan.edges, dtype=float)[1:-1]


def zoomed(plans: tuple[Plan, Plan], noisy: tuple[np.ndarray, np.ndarray], std: float,
           rows: RowCount) -> ColumnDomain | None:
    """A column's range and histogram read from its closer counts and their finer split
    (``noisy``: each with its outer bins around it, null last) as any range is read from its
    grids (``ranges.released_range``: the support, the rows it misses beside it, the end bins
    and spikes the finer counts show), or None where no group of bins clears the bar (the
    first release's range stands). The rows counted in the outer bins are left out of the
    released row count the range must hold. Post-processing."""
    (plan, finer), (counts, fine_counts) = plans, (np.asarray(x, dtype=float) for x in noisy)
    if support(counts[1:-2], std) is None:  # checked first: released_range would warn of an empty column
        return None
    within = RowCount(max(round(float(rows.rows - counts[0] - counts[-2])), 1), math.sqrt(rows.std ** 2 + 2 * std ** 2))
    grid = Plan(plan.reads, plan.kind, "dp", plan.fmt, edges=_inner(plan), integer=plan.integer, decimals=plan.decimals)
    column = released_range(grid, np.append(counts[1:-2], counts[-1]), std, within,
                            (_inner(finer), np.append(fine_counts[1:-2], fine_counts[-1]), FINE_NOISE * std))
    if not column.histogram:
        return None
    # rows spread thin over the closer bins clear none of them: a range that lost them is worse
    # than the first release's, which held them
    present = within.rows - max(float(counts[-1]), 0.0)
    return column if sum(column.histogram["counts"]) >= HOLDS * present else None


def merged(first: ColumnDomain, found: ColumnDomain, plan: Plan, closer: Plan, noisy: np.ndarray,
           std: float) -> tuple[float, float, dict]:
    """The first release's histogram with the bin that held its rows (the closer grid's window)
    read from the closer look (``found``; ``noisy``: the closer counts, outer bins first and
    last before the null): ``(lo, hi, histogram)``. The window keeps the mass the first release
    gave it, spread as the closer counts say. The first release's bins on a side of it (a tail
    its grid found: COVID tests' few cycle thresholds of 14-44 beside the pile at 45) stand
    where the closer look's outer bin on that side shows rows (``OUTER_Z`` std): a noise bin
    the walk took beside the window shows none there. The range ends where the mass does.
    Post-processing."""
    inner = _inner(closer)
    a, b = float(inner[0]), float(inner[-1])
    edges, counts = (np.asarray(first.histogram[k], dtype=float) for k in ("edges", "counts"))
    cdf = np.concatenate([[0.0], np.cumsum(np.clip(counts, 0, None))])
    at = lambda x: np.interp(x, edges, cdf)
    tol = 1e-9 * max(1.0, abs(a), abs(b))
    below = [*edges[edges < a - tol], a] if edges[0] < a - tol and noisy[0] > OUTER_Z * std else []
    above = [b, *edges[edges > b + tol]] if edges[-1] > b + tol and noisy[-2] > OUTER_Z * std else []
    z_edges, z_mass = (np.asarray(found.histogram[k], dtype=float) for k in ("edges", "counts"))
    z_mass = np.clip(z_mass, 0, None) * (float(at(b) - at(a)) / max(float(np.clip(z_mass, 0, None).sum()), 1e-12))
    out_edges = [*below[:-1], *([a] if z_edges[0] > a + tol else []), *z_edges, *([b] if z_edges[-1] < b - tol else []),
                 *above[1:]]
    out_mass = [*np.diff(at(np.asarray(below))), *([0.0] if z_edges[0] > a + tol else []), *z_mass,
                *([0.0] if z_edges[-1] < b - tol else []), *np.diff(at(np.asarray(above)))]
    out_edges, out_mass = np.asarray(out_edges, dtype=float), np.asarray(out_mass, dtype=float)
    held = np.flatnonzero(out_mass > 0)
    out_edges, out_mass = out_edges[held[0]:held[-1] + 2], out_mass[held[0]:held[-1] + 1]
    grid = np.asarray(plan.edges, dtype=float)
    measured = np.unique(np.concatenate([grid[(grid < a - tol) | (grid > b + tol)], inner]))
    integer = plan.kind == "numerical" and bool(plan.integer)
    histogram = {**first.histogram, "edges": [float(e) for e in out_edges], "counts": [float(m) for m in out_mass],
                 "noise_std": max(float(first.histogram["noise_std"]), float(found.histogram["noise_std"])),
                 "runs": grid_runs(out_edges, measured, integer)}
    return float(out_edges[0]), float(out_edges[-1]), histogram
