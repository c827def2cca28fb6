"""Stage 4 under DP: release every modelled column's domain with one Gaussian mechanism (and a second look).

Measure, then post-process, as in private-pgm: ``_exact_histograms`` is the only function
here that reads real values (beyond the schema); everything after the noise is added is
free post-processing of the noisy counts.

**The mechanism.** Each measured column gets a histogram with one bin per key: a
category, a bin of a fixed public grid (numbers, dates), "other" (values outside a public
category set) and null. Every record adds 1 to exactly one bin of each column. Histogram
``i`` is weighted by a public ``w_i`` (``privacy.weights``: 1 where categories are read off
the data and for hierarchy levels, less elsewhere), so adding or removing a record moves the concatenated
weighted histograms by exactly ``sqrt(sum w^2)`` in L2 norm. Gaussian noise of std
``z * sqrt(sum w^2)`` on that vector, i.e. ``sigma_i = z * sqrt(sum w^2) / w_i`` on histogram
``i``'s counts (discrete Gaussian on the integer counts), is the Gaussian mechanism with
noise multiplier ``z``: zCDP ``sum_i 1 / (2 sigma_i^2) = 1 / (2 z^2)``, the same as with
equal weights (``sigma = z * sqrt(k)`` on every count), and one ledger entry (q = 1, one
step). ``z`` is calibrated so that this entry alone spends ``share * epsilon``. The weights
move noise from the thresholded histograms, whose categories must clear a threshold of
several noise std, to grids and public keys (``NOISE_COST`` more noise there); on a wide
table the threshold no longer grows with the number of numeric or code columns. Given the
released row count (``rows``), the histograms that cut (thresholded categories, code grids)
and public labels (clipped at 0) are then sized so that a value held by 5 % of the rows
clears its cut, and the release spends up to ``weights.MAX_SHARE`` of epsilon instead of
``share`` (small tables only: on 7,000 rows ``share`` already does it); then the ranges
without declared bounds, so that a grid bin holding 20 % of the rows clears the range's bar,
up to ``weights.RANGE_MAX_SHARE``; the others keep their noise. The sizing reads
only the released count and public plans; the result is again one weighted Gaussian, and
its one ledger entry is calibrated at what it spends. Each released column records its
noise std in ``histogram["noise_std"]``.

**Thresholded categories.** Grid bins, booleans, null/other and user-declared categories
are public keys: all their noisy counts are released. Category values read off the data
are not: a value survives only if its noisy count exceeds its histogram's ``tau_i`` (the
Gaussian sparse histogram). A value held only by the differing record has count 1 in one
neighbour and no bin in the other; it survives with probability
``P(1 + N(0, sigma_i^2) > tau_i)``. A record holds one value per column, so with ``k_s``
thresholded histograms, each with ``tau_i`` set so that this is ``delta_t / k_s``, some such
value survives with probability at most ``delta_t``. Outside that event
the output is the Gaussian mechanism on keys present in both neighbours. So the release
is delta_t-approximately RDP (Bun & Steinke 2016, sec. 8): its RDP curve composes with
every other ledger entry and delta_t adds to the delta of the final conversion. We fix
``delta_t = THRESHOLD_DELTA_SHARE * delta``, derive each ``tau_i`` from it, and record
delta_t on the entry; the ledger converts at ``delta - delta_t`` so the reported delta covers it.

**Ranges.** Numbers are counted on sign-symmetric log-spaced bins (5 a decade, |x| from
1e-3 to 1e15, plus a zero bin), whole numbers that all lie within 1900-2100 (years) on 5-year
bins, dates on 5-year bins from 1700 to 2200; values beyond clamp into the end bins.
A range is the span of the *minimal* dyadic groups of adjacent bins whose noisy sum clearly
exceeds noise (``SUPPORT_Z`` standard deviations): dense parts
resolve to single bins, sparse tails to wider groups, and a lone outlier never clears the
bar, so it cannot stretch the range. Cumulative-count quantiles are avoided on purpose:
the noise of hundreds of empty bins adds up and swamps them. The rows the span misses (the
released row count minus the span's counts and the nulls) go to the bins beside it, one at
a time, where a bin's count and those rows agree (``ranges.missing_bins``, as
``codes.missing_codes`` does for integer codes), or to a stretch of bins beyond that holds them
together (``ranges.tail_runs``), or to the span's mirror image across zero (``ranges.mirrored``);
what is still missing goes evenly over the run beside them that best holds it
(``ranges.spread_tail``). The searches skip bins holding no value with the column's decimals. Where the released row count says the noise lets a fine bin
holding a quarter of the rows show (``weights.fine_pays``), such a column is counted on a second,
finer public grid too (each coarse bin split in four, whole numbers up to 1,000 a bin each, dates
and years a bin a year), one more histogram in the same mechanism at ``weights.FINE_NOISE`` times the noise:
the range is cut back inside its end bins where the rows clearly stop, and a spike gets an
encoder bin of its own (``ranges.refined``).

**Where suppressed mass goes.** A thresholded column's mass below the threshold is never
spread over the surviving categories. With a public hierarchy (``privacy.hierarchy``;
postcode -> prefix 3 -> prefix 1, city -> state -> region) each level is one more
histogram in the same mechanism (a record adds 1 to one bin of each level too, so each
level's weight joins the sensitivity). Post-processing walks up the levels: a value is
released as itself if its noisy count clears its column's ``tau``; at each coarser level a
key's noisy count minus the mass already released below it is released as a generalised
value ("221**", "TX*") if it clears that level's own bar (so the key itself cleared it). What
no level releases is "other": the released row count (``privacy.rowcount``) minus the released masses
and nulls, emitted as ``*`` for text columns (the report's ``granularity`` says which share
sits at each level).

**Public vocabularies.** Labels anyone knows (US states, countries, months, weekdays:
``privacy.vocabularies``) are public keys of every thresholded text column, counted in the same
histogram (0 where no row holds one: the sensitivity does not change). Where a vocabulary's noisy
sum shows it holds the column, its keys not released on their own share the rows the threshold left
out (Norm-Sub); a key of a vocabulary the column does not hold needs ``vocabularies.ALONE_Z`` std.

**A second look.** The sizing above keeps a value held by 5 % of the rows; a column of many
values of 1-5 % each (first names, states, job titles) still comes out mostly as ``*``. Where
a thresholded column's released values leave over ``secondlook.LOOK_SHARE`` of its rows
unreleased (post-processing), its histogram is measured once more, in a Gaussian mechanism
and ledger entry of its own (at most ``secondlook.MAX_SHARE`` of the budget left), and each
key's two counts are combined by inverse variance before the threshold is applied again
(``privacy.secondlook``). Its noise is sized from the released row count, so without one
(``rows`` not given) there is no second look.

**A closer look.** A number or date column whose rows all sit in one grid bin comes out as
that bin, its rows spread evenly over it (latitudes 40.55-40.91 as 39.81-44.67, a
quarter's dates as their whole year). Where the first release shows that (post-processing),
the column is counted once more on 32 equal bins over that bin and their finer split, in a
Gaussian mechanism and ledger entry of their own (at most ``zoom.MAX_SHARE`` of the budget
left), and the bin's rows are spread as those counts say (``privacy.zoom``).

**Small integer codes** (a categorical column of at most ``MAX_CODES`` distinct integers,
e.g. 0-9 answers, as numbers or as text: "1", "A11", "01") are counted on the
public integer grid ``CODE_GRID``: no key is read off the data, so no threshold applies,
only a cut against noise (``privacy.codes``); a wide table of such codes no longer loses
them to a threshold.
Declared integer bounds on a categorical column (``{"lower": 0, "upper": 9}``) make every
integer in them a category.

Besides bounds and categories each column's released ``histogram`` holds its noisy null
share (``null_share``; for categories it is the only key) and, for ranged columns, the
encoder's bins with their noisy masses. Bins under one noise std count as empty, and a
grid bin holding a large share of the mass keeps its own encoder bin (spikes such as
zero debts would otherwise be smeared over a wide bin).

Kinds, datetime formats, integer-ness and decimals come from ``domain.infer_kind`` and
format inspection: like the dtype, they are treated as public schema (declare ``kinds``
or ``public`` to avoid reading them off the data at all).

**Modules**, in the order of the story: ``plan`` (each column's plan from its schema),
``weights`` (each histogram's weight, noise std and threshold), ``shared`` (the labels
several thresholded columns share, released first: public keys of each), this module (calibrate,
record, measure: the only reading of real values), then the post-processing: ``categories``
(thresholds, code grids, hierarchies, public ``vocabularies``, "other"), ``secondlook`` (a further measurement of the
columns it mostly suppressed), ``ranges`` (support and encoder bins on the public ``grids``),
``zoom`` (a further measurement of the ranges the grids cannot resolve) and ``nulls``.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Collection
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ..domain import Domain
from ..errors import SynthRecordsError
from . import hierarchy as hier
from . import secondlook, shared, zoom
from .categories import Measured, category_threshold, released_categories
from .categories import native as _native  # the name spark.domain uses too
from .grids import dates, numbers, to_days
from .ledger import LedgerEntry, PrivacyLedger
from .noise import discrete_gaussian
from .plan import Plan, fine_plans, level_plans, plan_column
from .ranges import bounds, coarse_ranges, released_range
from .rowcount import RowCount, default_delta
from .weights import (
    FINE_NOISE,
    KEEP_Z,
    as_weights,
    describe,
    fine_pays,
    noise_stds,
    plan_weights,
    sized_to_rows,
    thresholds,
)
from .zcdp import rho_left

log = logging.getLogger(__name__)
# default_delta lives in privacy.rowcount; spark.train and older callers import it from here.
__all__ = ["DEFAULT_SHARE", "THRESHOLD_DELTA_SHARE", "default_delta", "release_domain"]

# Share of epsilon this release alone spends. In RDP the domain's large noise costs the
# training little: at epsilon 1 going from 0.1 to 0.3 raises DP-SGD's noise ~5 %; on the
# bench tables 0.2 and 0.5 did no better than 0.3.
DEFAULT_SHARE = 0.3
THRESHOLD_DELTA_SHARE = 0.1  # share of delta spent by the category threshold
# The measuring step: plans in, one (keys, exact counts) pair per plan out.
Histograms = Callable[[list[Plan]], list[tuple[list[Any], np.ndarray]]]


def release_domain(data: pd.DataFrame, ledger: PrivacyLedger, *, kinds: dict[str, str] | None = None,
                   public: dict[str, dict[str, Any]] | None = None, share: float = DEFAULT_SHARE,
                   noise_seed: int | None = None, histograms: Histograms | None = None,
                   hierarchy: dict[str, Any] | None = None, anchored: Collection[str] = (),
                   rows: RowCount | None = None) -> Domain:
    """Release the domain of every column of ``data`` under DP, charged to ``ledger``.

    ``public`` declares columns' domains the user vouches are public, e.g.
    ``{"state": {"categories": [...]}, "age": {"lower": 0, "upper": 120}}`` (optionally
    with ``kind``, ``nullable``, ``integer``, ``decimals``, ``datetime_format``): they are
    used as given; their frequencies are still measured (they drive the conditional
    sampler) inside the same mechanism.

    The noise comes from OS entropy. ``noise_seed`` is for tests only: whoever knows it
    can subtract the noise, so it voids the guarantee (never pass a run's public seed).

    ``histograms`` swaps the measuring step: given the plans it returns what
    ``_exact_histograms`` would (e.g. ``synthrecords.spark.domain`` counts on executors;
    ``data`` then only needs to be a sample for the schema). Noise is still added here, once.

    ``hierarchy`` maps categorical columns to their public generalisation hierarchy (a rule
    such as ``"prefix 3, prefix 1"``, a lookup CSV path or DataFrame; see ``privacy.hierarchy``).
    ``anchored`` names integer-code columns (the target) whose codes are released only where
    each clears the noise alone, at a bar that holds the whole grid's chance of an invented
    class to one key's 2e-4 (``privacy.codes.target_z``).

    ``rows`` is the row count released before (``privacy.rowcount``): a thresholded column's
    "other" mass is that count minus what was released. Without it the exact count is read
    as the histograms pass (the Spark path, whose scope says so).
    """
    if not ledger.is_private:
        raise SynthRecordsError("release_domain needs a ledger with an epsilon; without DP use domain.data_domain")
    if not 0 < share < 1:
        raise SynthRecordsError(f"domain share must be in (0, 1), got {share}; the default is {DEFAULT_SHARE}")
    kinds, public, hierarchy = dict(kinds or {}), dict(public or {}), dict(hierarchy or {})
    for option, names in (("column_types", kinds), ("public", public), ("hierarchy", hierarchy)):
        unknown = set(names) - set(data.columns)
        if unknown:
            raise SynthRecordsError(f"{option} names columns not in the data: {sorted(unknown)}; "
                                    f"available columns: {list(data.columns)}")
    for name in hierarchy:
        kinds.setdefault(name, "categorical")  # a generalised column is categorical
    plans = [plan_column(data[name], kinds.get(name), public.get(name)) for name in data.columns]
    plans += level_plans(plans, hierarchy)
    for plan in plans:
        plan.anchored = plan.name in set(anchored)
    thresholded = sum(p.thresholded for p in plans)
    delta_t = THRESHOLD_DELTA_SHARE * ledger.delta if thresholded else 0.0
    if noise_seed is not None:
        log.warning("domain release with a fixed noise seed: reproducible, but no privacy guarantee")
    rng = None if noise_seed is None else np.random.default_rng(noise_seed)  # None: secrets (the OS CSPRNG)
    noted: list[float] = []  # without a released count: the exact one, read as the counts pass
    histograms = histograms or partial(_exact_histograms, data)
    histograms = _noting_rows(histograms, noted) if rows is None else histograms
    if rows is not None and delta_t:  # labels shared by several thresholded columns become their public keys
        _share_labels(plans, histograms, rows, ledger, delta_t, rng)
    calibrated = _calibrate(ledger, share, delta_t)  # the plans do not move it: computed once
    z, weights, sigmas = _noise(plans, calibrated, ledger, share, delta_t, rows)
    if rows is not None:  # a finer grid where the noise lets it locate rows (plan.fine_plans), from public sizes
        finer = fine_plans([p for p, s in zip(plans, sigmas) if fine_pays(s, rows.rows)])
        if finer:
            plans += finer
            z, weights, sigmas = _noise(plans, calibrated, ledger, share, delta_t, rows)
    taus = thresholds(plans, sigmas, delta_t)
    _record(ledger, z, delta_t, plans, weights, taus)

    # -- measure: the only step that reads real values; noise added at once ----------
    noisy = noisy_histograms(histograms, plans, sigmas, rng)
    rows = rows or RowCount(max(int(noted[0]), 1))
    # -- everything below is post-processing of the noisy counts -----------------------
    measured = [Measured(plan, keys, counts, sigma, tau)
                for plan, (keys, counts), sigma, tau in zip(plans, noisy, sigmas, taus)]
    columns = {}
    levels = defaultdict(list)
    fine = {m.plan.refines: m for m in measured if m.plan.refines is not None}
    for m in measured:
        if m.plan.column is not None:
            levels[m.plan.column].append(m)
    for m in measured:
        if m.plan.column is not None or m.plan.refines is not None:
            continue
        if m.plan.kind in ("categorical", "boolean"):
            columns[m.plan.name] = released_categories(m, rows, levels.get(m.plan.name, []))
        else:
            finer = fine.get(m.plan.name)
            columns[m.plan.name] = released_range(m.plan, m.noisy, m.sigma, rows,
                                                  None if finer is None else (finer.plan.edges, finer.noisy, finer.sigma))
    if not noted:  # the second look is sized from the row count: a released one, never the exact one
        for m in _looked_at_again(measured, columns, histograms, rows, ledger, delta_t, rng):
            columns[m.plan.name] = released_categories(m, rows, levels.get(m.plan.name, []))
        _looked_closer(plans, columns, {name: m.plan for name, m in fine.items()}, histograms, rows, ledger, rng)
    log.info("domain released under DP: noise std %s per count, category threshold %s",
             _spread(sigmas), _spread([t for t in taus if t < math.inf]) or "none")
    coarse, share = coarse_ranges(plans, sigmas, rows.rows)
    if coarse:
        log.warning("columns %s have no declared bounds: their ranges come from a coarse public grid (5 bins a "
                    "decade, 5 years for dates) where a bin shows only if it holds about %.0f%% of the rows, so their "
                    "ends can be far from the real ones; declare their bounds (public_domain, [columns.public] or an "
                    "expectation suite's between-bounds) or raise epsilon", ", ".join(map(repr, coarse)), 100 * share)
    return Domain(columns)


def _share_labels(plans: list[Plan], histograms: Histograms, rows: RowCount, ledger: PrivacyLedger,
                  delta_t: float, rng: np.random.Generator | None) -> None:
    """The labels several thresholded columns share, released in a Gaussian mechanism and
    ledger entry of their own (``privacy.shared``), become public keys of every thresholded
    column; nothing where too few columns are thresholded or no budget is left."""
    union = shared.plan(plans)
    std = None if union is None else shared.noise_std(rows.rows, rho_left(ledger), delta_t, KEEP_Z)
    if std is None:
        return
    z = std / math.sqrt(shared.PER_ROW)  # a record moves at most PER_ROW counts by 1
    # up to PER_ROW labels only one record holds; rounded up for the discrete Gaussian's tail, as
    # the main thresholds are (privacy.weights.thresholds)
    bar = math.ceil(category_threshold(std, delta_t, shared.PER_ROW))
    if ledger.epsilon_spent([_entry(z, delta_t)]) > ledger.epsilon:
        return
    ledger.record("domain", noise_multiplier=z, delta=delta_t,
                  detail=f"{shared.NAME} ({', '.join(union.shared_over)}): per label, the rows holding it in two "
                         f"or more of them, at most {shared.PER_ROW} labels a row, L2 sensitivity "
                         f"sqrt({shared.PER_ROW}), noise std {std:.4g} per count; labels kept above "
                         f"{bar:.4g}, which fails with probability {delta_t:.3g}")
    [(keys, noisy)] = noisy_histograms(histograms, [union], [std], rng)
    labels = shared.released(keys, noisy, bar)
    log.info("domain: %d labels shared by several columns released (%s), noise std %.4g", len(labels),
             ", ".join(map(repr, labels[:10])), std)
    for plan in plans:
        if plan.thresholded and plan.column is None:
            plan.shared = labels


def _looked_at_again(measured: list[Measured], columns: dict[str, Any], histograms: Histograms, rows: RowCount,
                     ledger: PrivacyLedger, delta_t: float, rng: np.random.Generator | None) -> list[Measured]:
    """The columns the release mostly suppressed, measured once more and combined with their
    first counts (``privacy.secondlook``); none where no column needs it or it would not help."""
    first = secondlook.to_look_at(measured, columns)  # post-processing of the first release
    if not first or not delta_t:
        return []
    std = secondlook.second_std(first, rows.rows, rho_left(ledger), delta_t)
    z = None if std is None else std / math.sqrt(len(first))  # one record moves one bin of each: sqrt(m)
    if z is None or ledger.epsilon_spent([_entry(z, delta_t)]) > ledger.epsilon:
        return []
    names = ", ".join(m.plan.name for m in first)
    ledger.record("domain", noise_multiplier=z, delta=delta_t,
                  detail=f"second look at {len(first)} columns the first release mostly suppressed ({names}): "
                         f"noisy histograms, L2 sensitivity sqrt({len(first)}), noise std {std:.4g} per count, "
                         f"combined with the first counts; values kept above the combined threshold, which "
                         f"fails with probability {delta_t:.3g}")
    plans = [m.plan for m in first]
    again = noisy_histograms(histograms, plans, [std] * len(plans), rng)
    out = [secondlook.combined(m, a, std, delta_t, len(first)) for m, a in zip(first, again)]
    log.info("domain: second look at %s, combined noise std %s", names, _spread([m.sigma for m in out]))
    return out


def _looked_closer(plans: list[Plan], columns: dict[str, Any], fine: dict[str, Plan], histograms: Histograms,
                   rows: RowCount, ledger: PrivacyLedger, rng: np.random.Generator | None) -> None:
    """The ranges whose rows lie in one grid bin, counted once more on a closer grid over
    each and its finer split, and read from those counts (``privacy.zoom``); none where no range
    needs it or the rows would not show at the noise the budget allows."""
    closer = zoom.to_zoom(plans, columns, fine)  # post-processing of the first release
    std = zoom.zoom_std(len(closer), rows.rows, rho_left(ledger)) if closer else None
    # one record moves one bin of each grid; the finer ones weigh 1 / FINE_NOISE
    z = None if std is None else std / math.sqrt(len(closer) * (1 + FINE_NOISE ** -2))
    if z is None or ledger.epsilon_spent([_entry(z, 0.0)]) > ledger.epsilon:
        return
    names = ", ".join(p.reads for p, _ in closer)
    ledger.record("domain", noise_multiplier=z,
                  detail=f"closer look at {len(closer)} ranges the grid could not resolve ({names}): noisy "
                         f"histograms of {zoom.ZOOM_BINS} bins over the grid bin holding each one's rows (noise std {std:.4g} per "
                         f"count) and of {zoom.ZOOM_BINS * zoom.SPLIT} (std {FINE_NOISE * std:.4g}), L2 "
                         f"sensitivity sqrt({len(closer)} (1 + 1/{FINE_NOISE:g}^2)) at weights 1 and 1/{FINE_NOISE:g}")
    by_name = {p.name: p for p in plans}
    flat = [p for pair in closer for p in pair]
    noisy = noisy_histograms(histograms, flat, [std, FINE_NOISE * std] * len(closer), rng)
    for i, pair in enumerate(closer):
        found, first = zoom.zoomed(pair, (noisy[2 * i][1], noisy[2 * i + 1][1]), std, rows), columns[pair[0].reads]
        if found is not None:  # the first release's nulls and its bins outside the window stand
            lo, hi, first.histogram = zoom.merged(first, found, by_name[first.name], pair[0], noisy[2 * i][1], std)
            first.lower, first.upper = bounds(by_name[first.name], lo, hi)
    log.info("domain: closer look at %s, noise std %.4g", names, std)


def noisy_histograms(histograms: Histograms, plans: list[Plan], sigmas: list[float],
                     rng: np.random.Generator | None) -> list[tuple[list[Any], np.ndarray]]:
    """Measure: exact counts from ``histograms``, each plan's at once with its own noise std
    (integer counts, discrete Gaussian noise). ``rng`` None: the OS CSPRNG; seeded: tests only."""
    return [(keys, counts + discrete_gaussian(sigma, len(counts), rng))
            for sigma, (keys, counts) in zip(sigmas, histograms(plans))]


def _spread(values: list[float]) -> str:
    """One figure, or the range of several (per-plan noise stds and thresholds)."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    return f"{lo:.4g}" if f"{lo:.4g}" == f"{hi:.4g}" else f"{lo:.4g}-{hi:.4g}"


def _noting_rows(histograms: Histograms, rows: list[float]) -> Histograms:
    """The measuring step, noting the row count (every record adds 1 to one bin of a
    column's histogram) before noise is added."""
    def measure(plans: list[Plan]) -> list[tuple[list[Any], np.ndarray]]:
        out = histograms(plans)
        rows.append(float(out[0][1].sum()) if out else 0.0)
        return out
    return measure


def _noise(plans: list[Plan], z: float, ledger: PrivacyLedger, share: float, delta_t: float,
           rows: RowCount | None) -> tuple[float, list[float], list[float]]:
    """The one weighted Gaussian over ``plans`` at noise multiplier ``z`` (``_calibrate``): the
    multiplier, weights and each plan's noise std (``privacy.weights``), sized from the released
    row count where there is one."""
    weights = plan_weights(plans)
    sigmas = noise_stds(z, weights)
    if rows is not None:  # sized from the released count: a 5 % value clears its cut, a range is found (weights)
        alone = PrivacyLedger(ledger.epsilon, ledger.delta)
        spends = lambda stds: alone.epsilon_spent([_entry(as_weights(stds)[0], delta_t)])
        sized = sized_to_rows(plans, sigmas, rows.rows, delta_t, spends, ledger.epsilon, share)
        if sized != sigmas:
            z, weights = as_weights(sized)
            sigmas = noise_stds(z, weights)
    return z, weights, sigmas


def _calibrate(ledger: PrivacyLedger, share: float, delta_t: float) -> float:
    """Noise multiplier for which this release alone spends ``share * epsilon``."""
    alone = PrivacyLedger(ledger.epsilon, ledger.delta)
    spent = lambda z: alone.epsilon_spent([_entry(z, delta_t)])
    lo, hi = 1e-2, 1e6
    for _ in range(100):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if spent(mid) > share * ledger.epsilon else (lo, mid)
        if hi / lo < 1 + 1e-4:
            break
    return hi


def _entry(z: float, delta_t: float) -> LedgerEntry:
    if not delta_t:
        return LedgerEntry("domain", "gaussian", z)
    if "delta" not in LedgerEntry.__dataclass_fields__:
        raise SynthRecordsError("this version of synthrecords.privacy.ledger cannot account the delta of the category "
                                "threshold (LedgerEntry.delta); declare the categorical columns public or update it")
    return LedgerEntry("domain", "gaussian", z, delta=delta_t)


def _record(ledger: PrivacyLedger, z: float, delta_t: float, plans: list[Plan], weights: list[float],
            taus: list[float]) -> None:
    fine = [p.refines for p in plans if p.refines is not None]
    names = ", ".join(p.name for p in plans if p.refines is None)
    levels = sum(p.column is not None for p in plans)
    columns = len(plans) - levels - len(fine)
    what = f"{columns} columns" if not levels else f"{columns} columns and {levels} hierarchy levels"
    also = f" plus a finer grid of {len(fine)} of them ({', '.join(fine)})" if fine else ""
    detail = f"noisy histograms of {what} ({names}){also}, {describe(plans, weights)}"
    if delta_t:
        detail += (f"; categories read off the data kept above {_spread([t for t in taus if t < math.inf])}, "
                   f"which fails with probability {delta_t:.3g}")
        ledger.record("domain", noise_multiplier=z, detail=detail, delta=delta_t)
    else:
        ledger.record("domain", noise_multiplier=z, detail=detail)


def _exact_histograms(data: pd.DataFrame, plans: list[Plan]) -> list[tuple[list[Any], np.ndarray]]:
    """Exact counts per column: one bin per key, then "other" and null. Reads real values."""
    out = []
    for plan in plans:
        if plan.shared_over is not None:  # labels shared across columns: rows, not values, are counted
            keys, exact = shared.label_counts(data, plan.shared_over)
            out.append((keys, np.array([*exact, 0, 0], dtype=float)))
            continue
        series = data[plan.reads] if plan.column is None else hier.keys(data[plan.column], plan.level)
        nulls = int(series.isna().sum())
        values = series.dropna()
        if plan.kind in ("categorical", "boolean"):
            if plan.keys is None:
                found = values.value_counts(sort=False)
                counts = dict(zip(found.index.tolist(), found.tolist()))
                # labels released as shared by several columns (and public vocabularies) are keys too, 0 where
                # the column lacks them.
                # A dict, not the Series: Series.get(0) on text labels fell back to the first label's
                # count, so a record holding it moved two counts (and state "0" took California's rows)
                keys = sorted({*counts, *plan.public_keys}, key=str)
                exact = [int(counts.get(k, 0)) for k in keys]
                out.append(([_native(k) for k in keys], np.array([*exact, 0, nulls], dtype=float)))
                continue
            slots = pd.Index(plan.keys, dtype=object).get_indexer(values.astype(object))
            slots = np.where(slots < 0, len(plan.keys), slots)  # -1: not a public key, "other"
            exact = np.bincount(slots, minlength=len(plan.keys) + 1)
            out.append((list(plan.keys), np.array([*exact, nulls], dtype=float)))
        else:
            x = numbers(values) if plan.kind == "numerical" else to_days(dates(values, plan.fmt))
            bins = np.clip(np.searchsorted(plan.edges, x.to_numpy(dtype=float), side="right") - 1, 0, len(plan.edges) - 2)
            exact = np.bincount(bins, minlength=len(plan.edges) - 1)
            out.append(([], np.array([*exact, nulls], dtype=float)))
    return out
