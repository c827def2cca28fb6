"""A second look at the columns the domain release mostly suppressed.

The first release (``privacy.domain``) sizes every threshold so that a value held by 5 % of
the rows clears it (``weights.keep_stds``): it cannot know beforehand which columns hold many
values of 1-5 % each (first names, states, job titles), and those come out mostly as ``*``
(openintro's resume table, 3,896 rows at epsilon 1: 29 of 36 first names of 2-4 % each,
69 % of the rows, released as ``*``; the column's shape and every pair it is in suffer).

Which columns those are is read off the first release (post-processing): a thresholded
column whose released values hold less than ``1 - LOOK_SHARE`` of its rows. Their histograms
are measured once more, in one Gaussian mechanism of their own (one record moves one bin of
each: L2 sensitivity ``sqrt(m)``; one ledger entry), and each key's two noisy counts are
combined by inverse variance. The second noise std is the one at which the combined count of
a value held by ``KEEP_SHARE`` of the rows clears the combined threshold by ``weights.KEEP_Z``
std, taking at most ``MAX_SHARE`` of the zCDP budget the first release left
(``zcdp.rho_left``: it comes out of the model's), and the look is taken only where that
brings the column's noise std to ``GAIN`` of the first's or less.

**Privacy.** The selection of the columns is post-processing of the first release; the second
measurement is a Gaussian mechanism on the same keys, so the pair of measurements of a key
present in both neighbours is the Gaussian mechanism at the combined noise, whose released
function is the thresholded combination. A key held only by the differing record has a
combined count of 1 plus a weighted sum of two discrete Gaussians, which is subgaussian at the
combined std ``s`` (each discrete Gaussian is subgaussian at its own std: Canonne, Kamath &
Steinke 2020), so the threshold ``1 + s sqrt(2 ln(m / delta_t))`` lets it through with
probability at most ``delta_t / m`` per column (Chernoff); that ``delta_t`` is recorded on the
entry, beside the first release's own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..domain import ColumnDomain
from ..errors import SynthRecordsError
from .categories import Measured
from .weights import KEEP_Z

LOOK_SHARE = 0.1  # a column whose released values leave this share of its rows unreleased is looked at again
KEEP_SHARE = 0.02  # sized so a value held by this share of the rows clears the combined threshold ...
# ... taking at most this share of the zCDP budget the first release left, and only where the
# combined noise std is at most GAIN of the first's. The budget comes out of the model's: at 0.15
# the customers table at epsilon 1 (three columns looked at: postcode, city, state) gained 0.038
# quality and lost 0.04 TSTR (10 fits a side; spending it without using the counts cost as much),
# at 0.05 it is level on both (looked at only where the first std is above 1.4x the combined);
# resume's one column (first names) gains 0.02 quality at either (bench/RESULTS.md "Session 27").
MAX_SHARE = 0.05
GAIN = 0.7


def to_look_at(measured: list[Measured], columns: dict[str, ColumnDomain]) -> list[Measured]:
    """The thresholded columns (not hierarchy levels) whose released values hold less than
    ``1 - LOOK_SHARE`` of their rows (the released granularity: post-processing)."""
    out = []
    for m in measured:
        if not m.plan.thresholded or m.plan.column is not None:
            continue
        levels = columns[m.plan.name].granularity or []
        value = sum(g.get("share", 0.0) for g in levels if g.get("level") == "value")
        if levels and value < 1 - LOOK_SHARE:
            out.append(m)
    return out


def second_std(first: list[Measured], rows: float, rho_free: float, delta_t: float) -> float | None:
    """The noise std of the second measurement (every column's count), or None where it would
    not lower the threshold enough to matter (the first noise already keeps such a value)."""
    m = len(first)
    z_tau = _tail_z(delta_t / m)
    wanted = max(KEEP_SHARE * rows - 2, 0.0) / (z_tau + KEEP_Z)  # the combined std that keeps it
    s1 = min(x.sigma for x in first)
    if wanted <= 0 or wanted >= s1 or rho_free <= 0:
        return None
    s2 = 1 / math.sqrt(1 / wanted ** 2 - 1 / s1 ** 2)
    # m histograms at std s2 per count: rho = m / (2 s2^2), at most MAX_SHARE of what is left
    s2 = max(s2, math.sqrt(m / (2 * MAX_SHARE * rho_free)))
    return s2 if 1 / math.sqrt(1 / s1 ** 2 + 1 / s2 ** 2) <= GAIN * s1 else None


def _tail_z(p: float) -> float:
    """Std multiples beyond which a subgaussian variable lies with probability at most ``p``."""
    return math.sqrt(2 * math.log(1 / p))


def combined(first: Measured, again: tuple[list[Any], np.ndarray], s2: float, delta_t: float, m: int) -> Measured:
    """One key's two noisy counts, combined by inverse variance, with the combined std and threshold."""
    keys, noisy = again
    if list(keys) != list(first.keys):  # the same data counted twice gives the same keys in the same order
        raise SynthRecordsError(f"column {first.plan.name!r} changed between two counts of the same data; fit on "
                                f"a fixed snapshot (on Spark, cache the DataFrame or write it out first)")
    a, b = 1 / first.sigma ** 2, 1 / s2 ** 2
    counts = (first.noisy * a + noisy * b) / (a + b)
    sigma = 1 / math.sqrt(a + b)
    return Measured(first.plan, first.keys, counts, sigma, 1 + sigma * _tail_z(delta_t / m))
