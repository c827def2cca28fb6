"""Released categories, from noisy counts only: thresholds, code grids, hierarchies, "other".

Post-processing of the DP domain release (``privacy.domain`` measures). Category values
read off the data survive only above the threshold ``tau`` (``category_threshold``); public
keys and integer-code grids only need to clear the noise. A thresholded column's mass below
the threshold is never spread over the surviving categories: it walks up the column's
public hierarchy (``privacy.hierarchy``) and what no level releases becomes "other", emitted
as ``*`` for text columns.
"""

from __future__ import annotations

import logging
import math
from typing import Any, NamedTuple

import numpy as np

from ..domain import ColumnDomain
from . import hierarchy as hier
from . import vocabularies
from .codes import CODE_ALONE_Z, code_support, missing_codes, run_codes, target_z
from .noise import tail_z
from .nulls import is_nullable, null_share
from .plan import Plan
from .rowcount import RowCount
from .shared import shared_keys

log = logging.getLogger("synthrecords.privacy.domain")  # one logger for the whole release
OUTSIDE_Z = 4.0  # noise std the "other" of declared labels must clear: 3e-5 a release on noise alone
PARENT_Z = 3.0  # noise std a lookup's public parent, or a derived "other", must clear to be released


def category_threshold(sigma: float, delta_t: float, columns: int) -> float:
    """tau with ``columns * P(1 + N(0, sigma^2) > tau) = delta_t``."""
    return 1.0 + sigma * tail_z(delta_t, columns)


class Measured(NamedTuple):
    """One plan's noisy histogram, with the noise std its counts got and its threshold
    (``inf`` unless its keys were read off the data): per plan (``privacy.weights``)."""

    plan: Plan
    keys: list[Any]
    noisy: np.ndarray
    sigma: float
    tau: float


def released_categories(measured: Measured, rows: RowCount, levels: list[Measured]) -> ColumnDomain:
    """Released categories and their shares, from noisy counts only (post-processing)."""
    plan, keys, noisy, sigma, tau = measured
    counts = noisy[: len(keys)]
    nullable = is_nullable(plan.public, noisy[-1], sigma)
    nulls = max(float(noisy[-1]), 0.0) if nullable else 0.0
    held: list[list[int]] = []  # the public vocabularies a text column holds
    if plan.grid:  # public integer grid: no threshold, only a cut against noise
        kept = code_support(counts, sigma, target_z(len(keys)) if plan.anchored else CODE_ALONE_Z)
        if not plan.anchored:  # a target's classes stand on their own counts: never grown
            unreleased = rows.rows - nulls - float(np.maximum(counts[kept], 0).sum())
            kept = run_codes(counts, sigma, kept, unreleased / rows.rows)
    else:
        kept = [i for i in range(len(keys)) if not plan.thresholded or counts[i] > tau]
        if plan.known and not levels:  # keys of vocabularies the column does not hold need more (vocabularies)
            held = vocabularies.holding(plan.name, keys, counts, sigma)
            claimed = {i for slots in held for i in slots}
            kept = [i for i in kept if i in claimed or counts[i] > vocabularies.alone_bar(keys[i], sigma)]
        if plan.shared:  # labels several columns share are public keys: they only need to clear the noise
            kept = shared_keys(keys, counts, sigma, kept, plan.shared)
    # (label, mass, level, key): the released values, then generalised ones level by level
    masses = {i: max(float(counts[i]), 0.0) for i in kept}
    if not plan.thresholded and not plan.grid and not levels:  # declared labels: their counts hold the rows
        outside = float(noisy[len(keys)])
        masses = held_rows(masses, rows.rows - nulls - (outside if outside > OUTSIDE_Z * sigma else 0.0))
    if plan.known and not levels:  # public vocabularies' labels share the rows left unreleased
        masses |= vocabulary_rows(held, counts, sigma, masses, rows.rows - nulls - sum(masses.values()))
    if plan.grid and not plan.anchored:  # codes the released row count says were cut (a target's: refused)
        masses |= missing_codes(counts, sigma, kept, rows.rows - nulls - sum(masses.values()),
                                rows.std ** 2 + sigma ** 2 * (len(kept) + nullable))
    entries = [(keys[i], masses[i], None, keys[i]) for i in sorted(masses)]
    # Level by level, each at its own noise: read-off keys must clear the level's threshold,
    # a lookup's public parents only its noise.
    width = hier.walk_up(entries, [(m.plan.level, m.keys, m.noisy,
                                    m.tau if m.plan.thresholded else PARENT_Z * m.sigma) for m in levels])
    mass = sum(m for _, m, *_ in entries)
    # Values outside the released keys: the released row count minus what was released (a
    # thresholded column's sub-threshold mass), or the measured "other" bin of public keys.
    derived = plan.thresholded or plan.grid
    other = max(rows.rows - nulls - mass, 0.0) if derived else max(float(noisy[len(keys)]), 0.0)
    # Within the noise (that of every count it was derived from, each at its plan's std): taken as none.
    stds = {id(m.plan.level): m.sigma for m in levels}
    variance = sigma ** 2 + sum(stds.get(id(at), sigma) ** 2 for _, _, at, _ in entries)
    noise = math.sqrt(variance + rows.std ** 2) if derived else sigma
    # Declared labels (and a told target's code grid) say which values exist: their "other" must
    # clear OUTSIDE_Z, or noise alone put rows outside a declared label set in 1 release in ~740
    # (3 std) and refused a told target's fit (the demo at epsilon 3, fraud_flag {0, 1}: CI, session 18)
    other = other if other > (PARENT_Z if derived and not plan.anchored else OUTSIDE_Z) * noise else 0.0
    emit = (plan.thresholded and other > 0
            and all(isinstance(k, str) and k != hier.OTHER_LABEL for k, *_ in entries))
    if emit:
        entries.append((hier.OTHER_LABEL, other, "other", None))
        mass += other
    if not entries:
        log.warning("column %r: no category is frequent enough to release under DP; its synthetic values will be "
                    "empty. Declare its categories public, raise epsilon or the domain share, or drop it", plan.name)
        nullable = True
    elif other > 0 and not emit and (plan.thresholded or plan.grid):
        why = ("codes too rare to tell from the noise" if plan.grid else
               "values too rare to release, and its categories are not text, so no '*' stands for them")
        log.warning("column %r: %.0f%% of its rows hold %s; declare its categories public to keep them", plan.name,
                    100 * other / (mass + other), why)
    freqs = np.array([m for _, m, *_ in entries], dtype=float)
    freqs = freqs / freqs.sum() if freqs.sum() > 0 else np.full(len(entries), 1 / max(len(entries), 1))
    return ColumnDomain(plan.name, plan.kind, categories=[native(k) for k, *_ in entries], nullable=nullable,
                        source=plan.source, frequencies=[float(f) for f in freqs],
                        histogram={"null_share": null_share(noisy[-1], mass, nullable), "noise_std": float(sigma)},
                        hierarchy={"levels": hier.public(plan.level["levels"]), "width": width} if levels else None,
                        granularity=hier.granularity(entries, [m.plan.level for m in levels], other, emit))


def held_rows(masses: dict[int, float], rows: float) -> dict[int, float]:
    """Declared labels' noisy counts (clipped at 0) less one amount each, so that they hold no more
    than the rows the column holds (``Norm-Sub``, the least-squares counts of that total; post-processing).

    Every declared label is a key, held or not, and a key no row holds gets noise, clipped at 0 to
    about 0.4 std on average: 200 declared labels of which a 1,000-row column held 5 gave 57-61 % of
    the synthetic rows to labels no real row holds. Held labels lose the same small amount; labels whose
    counts are noise drop to 0 (listed, never drawn)."""
    values = np.array(list(masses.values()), dtype=float)
    if rows <= 0 or values.sum() <= rows:
        return masses
    ranked = np.sort(values)[::-1]
    cut = (np.cumsum(ranked) - rows) / np.arange(1, len(ranked) + 1)  # the amount if the top k keep mass
    k = int(np.flatnonzero(ranked - cut > 0)[-1])
    return {i: max(m - float(cut[k]), 0.0) for i, m in masses.items()}


def vocabulary_rows(held: list[list[int]], counts: np.ndarray, sigma: float, masses: dict[int, float],
                    unreleased: float) -> dict[int, float]:
    """Labels of the vocabularies a thresholded text column holds (``vocabularies.holding``, strongest
    first) that share its unreleased rows, with their masses: a vocabulary's keys not released on their
    own share at most the rows they surely hold (``vocabularies.share``), as declared labels do
    (``held_rows``). Post-processing."""
    out: dict[int, float] = {}
    for slots in held:
        rest = [i for i in slots if i not in masses]
        total = min(vocabularies.share(rest, counts, sigma), unreleased)
        if total <= 0:
            continue
        shared = held_rows({i: max(float(counts[i]), 0.0) for i in rest}, total)
        out |= {i: m for i, m in shared.items() if m > 0}  # keys of noise alone: not listed
        unreleased -= sum(shared.values())
    return out


def native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
