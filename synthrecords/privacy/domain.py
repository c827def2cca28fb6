"""Stage 4 under DP: release every modelled column's domain with one Gaussian mechanism.

Measure, then post-process, as in private-pgm: ``_exact_histograms`` is the only function
here that reads real values (beyond the schema); everything after the noise is added is
free post-processing of the noisy counts.

**The mechanism.** Each measured column gets a histogram with one bin per key: a
category, a bin of a fixed public grid (numbers, dates), "other" (values outside a public
category set) and null. Every record adds 1 to exactly one bin of each column, so adding
or removing a record moves the concatenated histogram by at most sqrt(k) in L2 norm
(k = measured columns). Gaussian noise of std ``sigma = z * sqrt(k)`` on every count is
the Gaussian mechanism with noise multiplier ``z``: one ledger entry (q = 1, one step).
``z`` is calibrated so that this entry alone spends ``share * epsilon``.

**Thresholded categories.** Grid bins, booleans, null/other and user-declared categories
are public keys: all their noisy counts are released. Category values read off the data
are not: a value survives only if its noisy count exceeds ``tau`` (the Gaussian sparse
histogram). A value held only by the differing record has count 1 in one neighbour and
no bin in the other; it survives with probability ``P(1 + N(0, sigma^2) > tau)``. A record
holds one value per column, so with ``k_s`` thresholded columns some such value survives
with probability at most ``delta_t = k_s * P(N(0, sigma^2) > tau - 1)``. Outside that event
the output is the Gaussian mechanism on keys present in both neighbours. So the release
is delta_t-approximately RDP (Bun & Steinke 2016, sec. 8): its RDP curve composes with
every other ledger entry and delta_t adds to the delta of the final conversion. We fix
``delta_t = THRESHOLD_DELTA_SHARE * delta``, derive ``tau`` from it, and record delta_t on
the entry; the ledger converts at ``delta - delta_t`` so the reported delta covers it.

**Ranges.** Numbers are counted on sign-symmetric log-spaced bins (5 a decade, |x| from
1e-3 to 1e15, plus a zero bin), dates on 5-year bins from 1900 to 2100; values beyond clamp
into the end bins. A range is the span of the *minimal* dyadic groups of adjacent bins
whose noisy sum clearly exceeds noise (``SUPPORT_Z`` standard deviations): dense parts
resolve to single bins, sparse tails to wider groups, and a lone outlier never clears the
bar, so it cannot stretch the range. Cumulative-count quantiles are avoided on purpose:
the noise of hundreds of empty bins adds up and swamps them.

**Where suppressed mass goes.** A thresholded column's mass below the threshold is never
spread over the surviving categories. With a public hierarchy (``privacy.hierarchy``;
postcode -> prefix 3 -> prefix 1, city -> state -> region) each level is one more
histogram in the same mechanism (a record adds 1 to one bin of each level too, so the
sensitivity is sqrt(columns + levels)). Post-processing walks up the levels: a value is
released as itself if its noisy count clears ``tau``; at each coarser level a key's noisy
count minus the mass already released below it is released as a generalised value
("221**", "TX*") if it clears the same bar (so the key itself cleared it). What no level
releases is "other": the public row count minus the released masses and nulls, emitted as
``*`` for text columns (the report's ``granularity`` says which share sits at each level).

**Small integer codes** (a categorical column of at most ``MAX_CODES`` distinct integers,
e.g. 0-9 answers) are counted on the public integer grid ``CODE_GRID``: no key is read off
the data, so no threshold applies, only a cut against noise (``privacy.codes``); a wide
table of such codes no longer loses them to a threshold that grows with sqrt(columns).
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
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from functools import partial
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from ..domain import KINDS, ColumnDomain, Domain, _decimals, infer_kind
from ..errors import SynthRecordsError
from . import hierarchy as hier
from .codes import code_keys, code_support
from .ledger import LedgerEntry, PrivacyLedger
from .noise import discrete_gaussian

log = logging.getLogger(__name__)

# Share of epsilon this release alone spends. In RDP the domain's large noise costs the
# training little: at epsilon 1 going from 0.1 to 0.3 raises DP-SGD's noise ~5 %; on the
# bench tables 0.2 and 0.5 did no better than 0.3.
DEFAULT_SHARE = 0.3
THRESHOLD_DELTA_SHARE = 0.1  # share of delta spent by the category threshold
SUPPORT_Z = 4.5  # a group of empty bins passes with prob. 3e-6 (~1e-3 over a grid)
NULLABLE_Z = 3.0
ENCODER_BINS = 10  # quantile bins (plus as many equal-width ones) per numeric column
PER_DECADE = 5
DECADES = (-3, 15)
YEARS = (1900, 2100)
YEARS_PER_BIN = 5  # wide enough that a few thousand rows clear the noise at epsilon 1
EPOCH = pd.Timestamp("1970-01-01")
NULL, OTHER = "null", "other"
# The measuring step: plans in, one (keys, exact counts) pair per plan out.
Histograms = Callable[[list["_Plan"]], list[tuple[list[Any], np.ndarray]]]


def default_delta(n_rows: int) -> float:
    """Delta well below 1/n: 1 / (10 n)."""
    return 1.0 / (10 * max(int(n_rows), 1))


def numeric_grid() -> np.ndarray:
    pos = 10.0 ** (np.arange(DECADES[0] * PER_DECADE, DECADES[1] * PER_DECADE + 1) / PER_DECADE)
    return np.concatenate([-pos[::-1], pos])


def date_grid() -> np.ndarray:
    years = range(YEARS[0], YEARS[1] + YEARS_PER_BIN, YEARS_PER_BIN)
    return to_days(pd.Series([pd.Timestamp(year=y, month=1, day=1) for y in years])).to_numpy()


def to_days(stamps: pd.Series) -> pd.Series:
    return (stamps - EPOCH) / pd.Timedelta(days=1)


def bounds_in_days(lower: Any, upper: Any, fmt: str | None) -> tuple[float, float]:
    """A date column's formatted bounds as days since 1970-01-01."""
    lo, hi = (float(to_days(pd.to_datetime(pd.Series([b]), format=fmt))[0]) for b in (lower, upper))
    return lo, hi


def from_days(days: np.ndarray | pd.Series) -> pd.Series:
    return EPOCH + pd.to_timedelta(pd.Series(np.asarray(days, dtype=float)), unit="D")


@dataclass
class _Plan:
    """How one column is measured: its public schema, keys or grid. No real values."""

    name: str
    kind: str
    source: str  # "dp" or "public"
    fmt: str | None = None
    keys: list[Any] | None = None  # public categories; None: read off the data (thresholded)
    edges: np.ndarray | None = None  # numeric/datetime grid
    public: dict[str, Any] = field(default_factory=dict)
    integer: bool = False
    decimals: int | None = None
    grid: bool = False  # keys are the public integer grid: released within the noisy support
    anchored: bool = False  # grid codes released only where they clear the noise alone (a target)
    column: str | None = None  # for a hierarchy level: the column it generalises
    level: dict[str, Any] | None = None

    @property
    def thresholded(self) -> bool:
        return self.kind == "categorical" and self.keys is None


def release_domain(data: pd.DataFrame, ledger: PrivacyLedger, *, kinds: dict[str, str] | None = None,
                   public: dict[str, dict[str, Any]] | None = None, share: float = DEFAULT_SHARE,
                   noise_seed: int | None = None, histograms: Histograms | None = None,
                   hierarchy: dict[str, Any] | None = None, anchored: Collection[str] = ()) -> Domain:
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
    each clears the noise alone (``privacy.codes.code_support``): no invented class.
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
    plans = [_plan(data[name], kinds.get(name), public.get(name)) for name in data.columns]
    plans += _level_plans(plans, hierarchy)
    for plan in plans:
        plan.anchored = plan.name in set(anchored)
    thresholded = sum(p.thresholded for p in plans)
    delta_t = THRESHOLD_DELTA_SHARE * ledger.delta if thresholded else 0.0
    z = _calibrate(ledger, share, delta_t)
    sigma = z * math.sqrt(len(plans))
    # Rounded up for the discrete Gaussian noise: P[N_Z >= m] <= P[N >= m - 1] (Canonne, Kamath &
    # Steinke 2020), so an integer tau keeps a lone value's survival within delta_t.
    tau = math.ceil(category_threshold(sigma, delta_t, thresholded)) if thresholded else math.inf
    _record(ledger, z, delta_t, plans, tau)

    # -- measure: the only step that reads real values; noise added at once ----------
    if noise_seed is not None:
        log.warning("domain release with a fixed noise seed: reproducible, but no privacy guarantee")
    rng = None if noise_seed is None else np.random.default_rng(noise_seed)  # None: secrets (the OS CSPRNG)
    rows: list[float] = []  # the row count (public schema, see the module docstring), read as counts pass
    histograms = _noting_rows(histograms or partial(_exact_histograms, data), rows)
    measured = [(keys, counts + discrete_gaussian(sigma, len(counts), rng))  # integer counts, integer noise
                for keys, counts in (histograms(plans) if histograms else _exact_histograms(data, plans))]
    # -- everything below is post-processing of the noisy counts -----------------------
    columns = {}
    levels = defaultdict(list)
    for plan, (keys, noisy) in zip(plans, measured):
        if plan.column is not None:
            levels[plan.column].append((plan, keys, noisy))
    for plan, (keys, noisy) in zip(plans, measured):
        if plan.column is not None:
            continue
        if plan.kind in ("categorical", "boolean"):
            columns[plan.name] = _categorical(plan, keys, noisy, sigma, tau, rows[0], levels.get(plan.name, []))
        else:
            columns[plan.name] = _ranged(plan, noisy, sigma)
    log.info("domain released under DP: noise std %.3g per count, category threshold %.3g", sigma, tau)
    return Domain(columns)


def _plan(series: pd.Series, kind: str | None, public: dict[str, Any] | None) -> _Plan:
    public = dict(public or {})
    # Schema, treated as public: dtype and value format (see the module docstring).
    inferred, fmt = infer_kind(series)
    kind = public.get("kind") or kind or inferred
    if kind not in KINDS:
        raise SynthRecordsError(f"column {series.name!r}: unknown type {kind!r}; use one of {', '.join(KINDS)}")
    declared = "categories" in public or "lower" in public or (kind == "boolean" and bool(public))
    plan = _Plan(series.name, kind, "public" if declared else "dp", public.get("datetime_format") or fmt, public=public)
    if kind == "boolean":
        plan.keys = [False, True]
    elif kind == "categorical":
        plan.keys = list(public["categories"]) if "categories" in public else code_keys(series, public)
        plan.grid = plan.keys is not None and "categories" not in public and "lower" not in public
    elif kind == "numerical":
        numbers = _numbers(series)
        plan.integer = bool(public.get("integer", bool(np.all(np.mod(numbers.dropna(), 1) == 0))))
        plan.decimals = 0 if plan.integer else public.get("decimals", _decimals(numbers.dropna()))
        plan.edges = _public_grid(plan, float, numeric_grid()) if "lower" in public else numeric_grid()
    else:
        plan.fmt = plan.fmt or "%Y-%m-%d"
        _dates(series, plan.fmt)  # fail early, naming the row
        plan.edges = _public_grid(plan, lambda v: float(to_days(pd.Series([pd.Timestamp(v)]))[0]), date_grid()) \
            if "lower" in public else date_grid()
    return plan


def _level_plans(plans: list[_Plan], hierarchy: dict[str, Any]) -> list[_Plan]:
    """One more categorical histogram per level of each declared hierarchy. Lookup parents
    are public keys (from the user's file); prefixes are read off the data (thresholded)."""
    out = []
    for plan in plans:
        if plan.name not in hierarchy:
            continue
        if plan.kind != "categorical" or plan.keys is not None:
            raise SynthRecordsError(f"hierarchy of {plan.name!r}: only a categorical column whose categories are "
                                    "released under DP can be generalised; drop its public categories or its "
                                    "hierarchy")
        plan.level = {"levels": hier.parse(plan.name, hierarchy[plan.name])}
        for level in plan.level["levels"]:
            keys = sorted(set(level["lookup"].values())) if "lookup" in level else None
            out.append(_Plan(f"{plan.name}@{level['name']}", "categorical", "dp", keys=keys,
                             column=plan.name, level=level))
    return out


def _noting_rows(histograms: Histograms, rows: list[float]) -> Histograms:
    """The measuring step, noting the row count (every record adds 1 to one bin of a
    column's histogram) before noise is added."""
    def measure(plans: list[_Plan]) -> list[tuple[list[Any], np.ndarray]]:
        out = histograms(plans)
        rows.append(float(out[0][1].sum()) if out else 0.0)
        return out
    return measure


def _public_grid(plan: _Plan, parse, default: np.ndarray) -> np.ndarray:
    """32 equal bins between public bounds, plus the default grid's edges inside them: equal
    bins alone put a heavy-tailed column (assets 0-300,000, most under 10,000) in a bin or two."""
    if "upper" not in plan.public:
        raise SynthRecordsError(f"public domain of {plan.name!r} gives 'lower' without 'upper'; declare both")
    lo, hi = parse(plan.public["lower"]), parse(plan.public["upper"])
    if not hi > lo:
        raise SynthRecordsError(f"public domain of {plan.name!r}: upper {plan.public['upper']!r} must exceed lower")
    return _grid_within(lo, hi, default)


def _grid_within(lo: float, hi: float, default: np.ndarray) -> np.ndarray:
    """32 equal bins between known bounds plus the default grid's edges inside them."""
    return np.unique(np.concatenate([np.linspace(lo, hi, 33), default[(default > lo) & (default < hi)]]))


def category_threshold(sigma: float, delta_t: float, columns: int) -> float:
    """tau with ``columns * P(1 + N(0, sigma^2) > tau) = delta_t``."""
    return 1.0 - sigma * NormalDist().inv_cdf(delta_t / columns)


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


def _record(ledger: PrivacyLedger, z: float, delta_t: float, plans: list[_Plan], tau: float) -> None:
    names = ", ".join(p.name for p in plans)
    levels = sum(p.column is not None for p in plans)
    what = f"{len(plans)} columns" if not levels else f"{len(plans) - levels} columns and {levels} hierarchy levels"
    detail = f"noisy histograms of {what} ({names}), L2 sensitivity sqrt({len(plans)})"
    if delta_t:
        detail += f"; categories read off the data kept above {tau:.4g}, which fails with probability {delta_t:.3g}"
        ledger.record("domain", noise_multiplier=z, detail=detail, delta=delta_t)
    else:
        ledger.record("domain", noise_multiplier=z, detail=detail)


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
            x, lo, hi = _numbers(values), float(col.lower), float(col.upper)
        else:
            x = to_days(_dates(values, col.datetime_format))
            lo, hi = bounds_in_days(col.lower, col.upper, col.datetime_format)
            hi += 1.0  # the last day is inside
        if not hi > lo or x.empty:
            continue
        grid = _grid_within(lo, hi, numeric_grid() if col.kind == "numerical" else date_grid())
        bins = np.clip(np.searchsorted(grid, x.to_numpy(dtype=float), side="right") - 1, 0, len(grid) - 2)
        enc, mass = _encoder_histogram(grid, np.bincount(bins, minlength=len(grid) - 1).astype(float), lo, hi)
        nulls = int(data[col.name].isna().sum())
        columns[col.name] = replace(col, histogram={"edges": [float(e) for e in enc], "counts": [float(m) for m in mass],
                                                    "null_share": nulls / len(data) if len(data) else 0.0})
    return Domain(columns)


def _exact_histograms(data: pd.DataFrame, plans: list[_Plan]) -> list[tuple[list[Any], np.ndarray]]:
    """Exact counts per column: one bin per key, then "other" and null. Reads real values."""
    out = []
    for plan in plans:
        series = data[plan.name] if plan.column is None else hier.keys(data[plan.column], plan.level)
        nulls = int(series.isna().sum())
        values = series.dropna()
        if plan.kind in ("categorical", "boolean"):
            if plan.keys is None:
                counts = values.value_counts(sort=False)
                keys = sorted(counts.index.tolist(), key=str)
                exact = [int(counts[k]) for k in keys]
                out.append(([_native(k) for k in keys], np.array([*exact, 0, nulls], dtype=float)))
                continue
            slots = pd.Index(plan.keys, dtype=object).get_indexer(values.astype(object))
            slots = np.where(slots < 0, len(plan.keys), slots)  # -1: not a public key, "other"
            exact = np.bincount(slots, minlength=len(plan.keys) + 1)
            out.append((list(plan.keys), np.array([*exact, nulls], dtype=float)))
        else:
            x = _numbers(values) if plan.kind == "numerical" else to_days(_dates(values, plan.fmt))
            bins = np.clip(np.searchsorted(plan.edges, x.to_numpy(dtype=float), side="right") - 1, 0, len(plan.edges) - 2)
            exact = np.bincount(bins, minlength=len(plan.edges) - 1)
            out.append(([], np.array([*exact, nulls], dtype=float)))
    return out


def _categorical(plan: _Plan, keys: list[Any], noisy: np.ndarray, sigma: float, tau: float, rows: float,
                 levels: list[tuple[_Plan, list[Any], np.ndarray]]) -> ColumnDomain:
    """Released categories and their shares, from noisy counts only (post-processing)."""
    counts = noisy[: len(keys)]
    if plan.grid:  # public integer grid: no threshold, only a cut against noise
        kept = code_support(counts, sigma, grow=not plan.anchored)
    else:
        kept = [i for i in range(len(keys)) if not plan.thresholded or counts[i] > tau]
    # (label, mass, level, key): the released values, then generalised ones level by level
    entries = [(keys[i], max(float(counts[i]), 0.0), None, keys[i]) for i in kept]
    # Level by level: read-off keys must clear tau, a lookup's public parents only the noise.
    width = hier.walk_up(entries, [(p.level, k, n, tau if p.thresholded else NULLABLE_Z * sigma)
                                   for p, k, n in levels])
    nullable = bool(plan.public.get("nullable", noisy[-1] > NULLABLE_Z * sigma))
    mass = sum(m for _, m, *_ in entries)
    nulls = max(float(noisy[-1]), 0.0) if nullable else 0.0
    # Values outside the released keys: the public row count minus what was released (a
    # thresholded column's sub-threshold mass), or the measured "other" bin of public keys.
    derived = plan.thresholded or plan.grid
    other = max(rows - nulls - mass, 0.0) if derived else max(float(noisy[len(keys)]), 0.0)
    # Within the noise (that of every count it was derived from): taken as none.
    other = other if other > NULLABLE_Z * sigma * math.sqrt(len(entries) + 1 if derived else 1) else 0.0
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
        log.warning("column %r: %.0f%% of its rows hold values too rare to release, and its categories are not text, "
                    "so no '*' stands for them; declare its categories public to keep them", plan.name,
                    100 * other / (mass + other))
    freqs = np.array([m for _, m, *_ in entries], dtype=float)
    freqs = freqs / freqs.sum() if freqs.sum() > 0 else np.full(len(entries), 1 / max(len(entries), 1))
    return ColumnDomain(plan.name, plan.kind, categories=[_native(k) for k, *_ in entries], nullable=nullable,
                        source=plan.source, frequencies=[float(f) for f in freqs],
                        histogram={"null_share": _null_share(noisy[-1], mass, nullable)},
                        hierarchy={"levels": hier.public(plan.level["levels"]), "width": width} if levels else None,
                        granularity=hier.granularity(entries, [p.level for p, *_ in levels], other, emit))


def _ranged(plan: _Plan, noisy: np.ndarray, sigma: float) -> ColumnDomain:
    counts, edges = noisy[:-1], plan.edges
    col = ColumnDomain(plan.name, plan.kind, integer=plan.integer, decimals=plan.decimals, source=plan.source,
                       datetime_format=plan.fmt if plan.kind == "datetime" else None,
                       nullable=bool(plan.public.get("nullable", noisy[-1] > NULLABLE_Z * sigma)))
    if "lower" in plan.public:
        lo, hi = edges[0], edges[-1]
        col.lower, col.upper = plan.public["lower"], plan.public["upper"]
    else:
        support = _support(counts, sigma)
        if support is None:
            log.warning("column %r: too few rows to release its range under DP (noise std %.3g per bin); its "
                        "synthetic values will be empty. Declare public bounds, raise epsilon or the domain "
                        "share, or drop it", plan.name, sigma)
            col.nullable = True
            return col
        lo, hi = edges[support[0]], edges[support[1]]
    # Bins under one noise std are taken as empty: across the many empty bins of a wide
    # grid, clipped noise would otherwise add up to a sizeable spurious mass.
    enc, mass = _encoder_histogram(edges, np.where(counts > sigma, counts, 0.0), lo, hi)
    col.histogram = {"edges": [float(e) for e in enc], "counts": [float(m) for m in mass],
                     "null_share": _null_share(noisy[-1], float(mass.sum()), col.nullable)}
    if "lower" in plan.public:  # public bounds were set above, as given
        return col
    if plan.kind == "numerical":
        col.lower, col.upper = _round_out(lo, hi, col.decimals)
    else:
        col.lower = from_days([lo])[0].strftime(plan.fmt)
        col.upper = from_days([hi - 1e-6])[0].strftime(plan.fmt)  # edges are exclusive
    return col


def _support(counts: np.ndarray, sigma: float, z: float = SUPPORT_Z) -> tuple[int, int] | None:
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


def _null_share(noisy_nulls: float, mass: float, nullable: bool) -> float:
    nulls = max(float(noisy_nulls), 0.0) if nullable else 0.0
    return nulls / (nulls + mass) if nulls + mass > 0 else float(nullable)


def _encoder_histogram(edges: np.ndarray, counts: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """The encoder's bins within [lo, hi] and the mass of each, from counts on a finer grid."""
    enc = _encoder_edges(edges, counts, lo, hi)
    return enc, np.diff(np.interp(enc, edges, np.concatenate([[0.0], np.cumsum(counts)])))


def _encoder_edges(edges: np.ndarray, counts: np.ndarray, lo: float, hi: float) -> np.ndarray:
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


def _round_out(lo: float, hi: float, decimals: int | None) -> tuple[float, float]:
    scale = 10.0 ** (decimals or 0)
    lower, upper = math.ceil(lo * scale - 1e-9) / scale, math.floor(hi * scale + 1e-9) / scale
    if upper < lower:  # a bin narrower than the rounding step
        lower = upper = round((lo + hi) / 2 * scale) / scale
    return (int(lower), int(upper)) if not decimals else (lower, upper)


def _numbers(series: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce")
    bad = numbers.isna() & series.notna()
    if bad.any():
        row = bad[bad].index[0]
        raise SynthRecordsError(f"column {series.name!r} was declared numerical but row {row} holds "
                                f"{series.loc[row]!r}; fix the value or declare the column categorical")
    return numbers.astype(float)


def _dates(series: pd.Series, fmt: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    stamps = pd.to_datetime(series, format=fmt, errors="coerce")
    bad = stamps.isna() & series.notna()
    if bad.any():
        row = bad[bad].index[0]
        raise SynthRecordsError(f"column {series.name!r} looks like dates in format {fmt!r} but row {row} holds "
                                f"{series.loc[row]!r}; fix the value or declare the column categorical")
    return stamps


def _native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
