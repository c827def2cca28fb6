"""Budget per histogram in the domain's one Gaussian mechanism: weights, noise stds, thresholds.

The domain release (``privacy.domain``) measures every plan's histogram (columns and
hierarchy levels) at once. Measuring them all at one noise std ``z * sqrt(k)`` makes the
category threshold grow with the table's width: on 1,055 rows and 12 columns at epsilon 1 a
value held by 7 % of rows could not clear it. A category read off the data must clear a
threshold of ~4.5 noise std; grid bins and integer codes need to stand out of the noise too
(1.5-4.5 std), public keys only shape frequencies. Where few histograms are thresholded, a
little more noise on all the others buys the thresholded ones a much lower threshold.

**The mechanism.** Plan ``i``'s exact histogram ``h_i`` gets a public weight ``w_i``. Adding
or removing a record moves one bin of every ``h_i`` by 1, so the concatenation of the
``w_i * h_i`` moves by exactly ``sqrt(sum w_i^2)`` in L2 norm. The Gaussian mechanism with
noise multiplier ``z`` on that vector, divided back by ``w_i``, is noise of std
``sigma_i = z * sqrt(sum w^2) / w_i`` on plan ``i``'s counts. With the discrete Gaussian on
the integer counts its zCDP is ``sum_i 1 / (2 sigma_i^2) = sum_i w_i^2 / (2 z^2 sum w^2) =
1 / (2 z^2)``: the same as the unweighted release's (all ``w_i = 1``), so the ledger entry,
its noise multiplier and its calibration do not change; only where the noise goes does.

**Weights.** Histograms whose keys are read off the data (thresholded: categories and
prefix levels) get weight 1, and so do a lookup hierarchy's levels (public keys, but where a
thresholded column's suppressed mass goes). Every other histogram (number and date grids,
integer codes, public keys, booleans) gets one smaller weight ``w``, chosen so that its noise
std is ``1 + NOISE_COST`` times what equal weights would give it (``plan_weights``): a table
of 86 histograms with one thresholded cuts that one's noise std 3x for 5 % more on the rest;
12 histograms with 3 thresholded, x0.88 for the same 5 %. Ranges and codes must clear several
noise std themselves (``ranges.SUPPORT_Z``, ``codes.CODE_ALONE_Z``), so a larger cost shrinks
their released supports. Weights are relative: a table with no thresholded histogram, or
only thresholded ones, is measured as before.

**Thresholds.** With ``k_s`` thresholded plans, plan ``i``'s threshold is
``tau_i = ceil(1 - sigma_i * Phi^-1(delta_t / k_s))``: a value held only by the differing
record survives in plan ``i`` with probability at most ``delta_t / k_s`` (the discrete
Gaussian's tail, rounded up), and some survives with probability at most ``delta_t``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .categories import category_threshold
from .codes import CODE_FILL_Z, target_z
from .noise import tail_z
from .plan import Plan
from .ranges import FINE_Z, SUPPORT_Z

# How much more noise the histograms that are not thresholded accept than with equal
# weights (noise std x (1 + NOISE_COST)); the thresholded ones get what that buys. Chosen by
# measurement (issue 23, 1,055 x 12 and 4,657 x 86 tables, epsilon 1-3): a fixed weight of 0.5
# shrank the 12-column table's numeric ranges (rows inside: 80 % -> 64 % at epsilon 1) and its
# quality (0.70 -> 0.61); a cost of 0.1 still cost it 0.03 of quality at epsilon 1, 0.05 nothing
# measurable, and 0.05 already keeps the 86-column table's 5.8 % target at epsilon 1.
NOISE_COST = 0.05


# A finer grid (plan.fine_plans) only says where inside its column's released bins the rows lie
# and where a spike sits: it takes FINE_NOISE times its coarse grid's noise std, so a table's
# other histograms pay 1 / FINE_NOISE^2 of a histogram for it.
FINE_NOISE = 3.0
# ... and is measured only where a fine bin holding FINE_SHARE of the rows would clear ranges.FINE_Z of its
# noise (where it would not, on a few hundred rows, its cost took 0.05-0.09 of the rows out of the
# ranges: bench_domain's Prestige and airquality).
FINE_SHARE = 0.25


def fine_pays(sigma: float, rows: float) -> bool:
    """Whether a range of coarse noise std ``sigma`` is worth a finer grid (public: the plan's
    std and the released row count)."""
    return FINE_SHARE * rows > FINE_Z * FINE_NOISE * sigma


def plan_weights(plans: list[Plan]) -> list[float]:
    """1 for each thresholded histogram and hierarchy level; for the others the weight ``w``
    at which their noise std ``z sqrt(k_1 + (k - k_1) w^2) / w`` is ``(1 + NOISE_COST) z sqrt(k)``
    (counting neither finer grids); a finer grid ``w / FINE_NOISE``."""
    fine = [p.refines is not None for p in plans]
    full = [p.thresholded or p.column is not None for p in plans]
    k, k_1 = fine.count(False), sum(full)
    w = 1.0
    if k_1 not in (0, k):  # (1 + c)^2 z^2 k = z^2 (k_1 + (k - k_1) w^2) / w^2, solved for w
        w = math.sqrt(k_1 / (k_1 + ((1 + NOISE_COST) ** 2 - 1) * k))
    return [w / FINE_NOISE if f else 1.0 if u else w for f, u in zip(fine, full)]


def sensitivity(weights: list[float]) -> float:
    """L2 sensitivity of the weighted histograms: one bin of each moves by its weight."""
    return math.sqrt(sum(w * w for w in weights))


def noise_stds(z: float, weights: list[float]) -> list[float]:
    """Each plan's noise std on its own counts: ``z * sqrt(sum w^2) / w_i``."""
    scale = z * sensitivity(weights)
    return [scale / w for w in weights]


def thresholds(plans: list[Plan], stds: list[float], delta_t: float) -> list[float]:
    """Each thresholded plan's integer threshold (``inf`` for the others); the thresholded
    plans together let a lone value through with probability at most ``delta_t``."""
    k_s = sum(p.thresholded for p in plans)
    # Rounded up for the discrete Gaussian noise: P[N_Z >= m] <= P[N >= m - 1] (Canonne, Kamath &
    # Steinke 2020), so an integer tau keeps a lone value's survival within delta_t / k_s.
    return [math.ceil(category_threshold(s, delta_t, k_s)) if p.thresholded else math.inf
            for p, s in zip(plans, stds)]


def describe(plans: list[Plan], weights: list[float]) -> str:
    """The sensitivity and the weights, as the ledger entry states them."""
    total = f"L2 sensitivity sqrt({sensitivity(weights) ** 2:.4g})"
    if len(set(weights)) == 1:
        return total
    groups = []
    for w in sorted(set(weights), reverse=True):
        mine = [p for p, v in zip(plans, weights) if v == w]
        thresholded = sum(p.thresholded for p in mine)
        also = f" ({thresholded} thresholded)" if thresholded else ""
        groups.append(f"{w:.3g} for {len(mine)} histogram{'s' if len(mine) > 1 else ''}{also}")
    return f"{total}: weight " + ", ".join(groups)


# **Sized to keep a 5 % value.** The weights above split the release's ``DEFAULT_SHARE``; on a
# small table a thresholded column's noise can still make a common value fail its threshold
# (1,055 rows, 12 columns, epsilon 1: threshold 138, so a 6.9 % "yes" of 73 rows was lost and
# the column came out constant). Where the released row count says so, the histograms that
# cut (thresholded categories, integer-code grids) and public labels (``PUBLIC_Z``) get the noise
# std at which a value held by ``KEEP_SHARE`` of the rows clears its cut by ``KEEP_Z`` std, the
# rest keep theirs, and the release spends more: at most ``MAX_SHARE`` of epsilon (ranges without
# declared bounds come after, below). The sizing reads only the released
# row count and the plans (public), so it is post-processing; the stds it returns are one
# weighted Gaussian again (``as_weights``) and the ledger entry states what was spent.
KEEP_SHARE = 0.05  # a value held by this share of the rows ...
KEEP_Z = 1.0  # ... clears its cut by this many noise std (a 6 % value on 1,000 rows: 98 %)
# Public labels are released whatever their count, but a count the noise takes below 0 is
# clipped: a 6 % "Yes" of ISLR Caravan's target (86 columns, epsilon 1, std 114 unsized) came out
# at 0.2 % in 1 of 2 fits. Sized, a value held by KEEP_SHARE of the rows stays above 0 by
# PUBLIC_Z + KEEP_Z std (3: 0.1 % of draws lose it).
PUBLIC_Z = 2.0
# Of epsilon, the most the sized release spends (DEFAULT_SHARE unsized). On credit_card as the
# bench reads it (4 thresholded text columns, 1,055 rows, epsilon 1) 0.6 still lost the 6.9 %
# "yes" in 2 of 20 draws, 0.7 in none of 30; marginals reuses these 1-way counts as measurements.
MAX_SHARE = 0.7
# A range without declared bounds is cut too: its span holds only the groups of grid bins that
# clear ``ranges.SUPPORT_Z`` std, and where none does the column comes out empty (a warning says
# so). At the grids' noise, small tables at epsilon 1 lost whole columns: 30 releases of each of
# ten 344-1,904-row tables, no bounds declared, left about 80 of 1,410 number columns empty
# (Boston's crim, 506 rows over five decades, in most releases; ``bench.bench_domain``: 10 now,
# bench/RESULTS.md "Session 26"). Such a range gets the noise std at
# which a grid bin holding ``RANGE_SHARE`` of the rows clears that bar by ``KEEP_Z`` std (the tails
# a span misses are filled beside it, ``ranges.missing_bins``, so the bulk is what must clear),
# within ``RANGE_MAX_SHARE`` of epsilon, after the cuts above are sized: sized in one step they
# shared ``MAX_SHARE`` and the categories paid (a 10 % category lost in 33 of 40 releases of a
# 500-row table of nine such numbers, 14 before).
RANGE_SHARE = 0.2
RANGE_MAX_SHARE = 0.8


def keep_stds(plans: list[Plan], rows: float, delta_t: float) -> list[float]:
    """Per plan, the noise std at which a value held by ``KEEP_SHARE`` of ``rows`` clears its
    cut (a thresholded plan's ``tau``; a code grid's ``target_z`` for a target, else
    ``CODE_FILL_Z`` beside released codes; 0 for public labels at ``PUBLIC_Z``) by ``KEEP_Z``
    std; for a range without declared bounds, the std at which a grid bin holding ``RANGE_SHARE``
    of ``rows`` clears ``SUPPORT_Z`` by ``KEEP_Z`` std; ``inf`` for grids inside declared bounds (a
    bin is never cut) and where no noise would do (a table so small that ``KEEP_SHARE`` of it is
    under the cut's 2 rows: a std of 0 costs infinite epsilon; 60 rows released as 38 raised
    ZeroDivisionError)."""
    k_s = sum(p.thresholded for p in plans)
    z_tau = tail_z(delta_t, k_s) if k_s else 0.0
    keep = KEEP_SHARE * rows
    range_keep = RANGE_SHARE * rows / (SUPPORT_Z + KEEP_Z)
    out = []
    for p in plans:
        if p.thresholded:  # tau = ceil(1 + sigma z_tau) <= 2 + sigma z_tau
            out.append(max(keep - 2, 0.0) / (z_tau + KEEP_Z))
        elif p.grid:  # a target's codes stand alone; others are filled in beside them (the bar is
            # CODE_FILL_Z of a joint std below sigma: sized on sigma, a margin to spare)
            out.append(keep / ((target_z(len(p.keys)) if p.anchored else CODE_FILL_Z) + KEEP_Z))
        elif p.kind in ("categorical", "boolean") and p.keys is not None:  # public labels: clipped at 0, never cut
            out.append(keep / (PUBLIC_Z + KEEP_Z))
        elif p.finds_range:
            out.append(range_keep)
        elif p.refines is not None:  # its coarse grid's, times FINE_NOISE
            out.append(FINE_NOISE * range_keep)
        else:
            out.append(math.inf)
    return [std if std > 0 else math.inf for std in out]


def sized_to_rows(plans: list[Plan], stds: list[float], rows: float, delta_t: float,
                  spends: Callable[[list[float]], float], epsilon: float, share: float) -> list[float]:
    """The plans' noise stds sized from the released row count (``keep_stds``): the cuts within
    ``MAX_SHARE`` of epsilon first, then the ranges to find within ``RANGE_MAX_SHARE``, so a
    range never takes budget from a category's cut. No std is raised: the release spends at least
    what ``stds`` spend."""
    keep = keep_stds(plans, rows, delta_t)
    ranges = [p.finds_range or p.refines is not None for p in plans]
    cuts = sized_stds(stds, [math.inf if r else k for r, k in zip(ranges, keep)], spends,
                      max(MAX_SHARE, share) * epsilon)
    return sized_stds(cuts, [k if r else s for r, k, s in zip(ranges, keep, cuts)], spends,
                      max(RANGE_MAX_SHARE, share) * epsilon)


def sized_stds(stds: list[float], keep: list[float], spends: Callable[[list[float]], float],
               most: float) -> list[float]:
    """``stds`` lowered towards ``keep`` (never raised) as far as ``spends(stds) <= most``
    allows: at step ``t`` each plan gets ``max(min(std, keep), std / t)``."""
    floor = [min(s, k) for s, k in zip(stds, keep)]
    at = lambda t: [max(f, s / t) for s, f in zip(stds, floor)]
    if floor == stds:
        return list(stds)
    if spends(floor) <= most:
        return floor
    lo, hi = 1.0, max(s / f for s, f in zip(stds, floor))
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if spends(at(mid)) <= most else (lo, mid)
        if hi / lo < 1 + 1e-6:
            break
    return at(lo)


def as_weights(stds: list[float]) -> tuple[float, list[float]]:
    """Noise multiplier and weights of the one weighted Gaussian whose plan stds are ``stds``
    (``noise_stds(z, w) == stds``): ``w_i = min(std) / std_i``, ``z = min(std) / sqrt(sum w^2)``."""
    low = min(stds)
    weights = [low / s for s in stds]
    return low / sensitivity(weights), weights
