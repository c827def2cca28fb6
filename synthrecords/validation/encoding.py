"""Shared encodings for the validation metrics: comparable values, distances, model features.

Every metric that compares rows reads columns through the domain: numbers and dates are
scaled by the domain bounds, categories compared for equality, so distances mean the same
thing for every table. The Gower-style distance used throughout is the mean over columns of
|difference| / (domain upper - lower) for numbers and dates, and 0/1 for categories (missing
vs present counts 1).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..domain import ColumnDomain

MISSING = "\x00missing"
MAX_CODES = 250  # HistGradientBoosting takes at most 255 category codes per feature


@contextmanager
def one_thread():
    """Run scikit-learn's OpenMP code on one thread.

    HistGradientBoosting's OpenMP threads spin-wait: on a busy two-core machine one fit took
    20 s with two threads and 0.6 s with one. The fits in validation are small; one is safe.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def to_datetime(s: pd.Series, col: ColumnDomain) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
    return pd.to_datetime(s, format=col.datetime_format, errors="coerce")


def subsample(df: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    """A seeded shuffle of ``df``, cut to ``limit`` rows."""
    if len(df) <= limit:
        return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return df.sample(n=limit, random_state=seed).reset_index(drop=True)


def jsonable(obj: Any) -> Any:
    """numpy scalars to Python, NaN to None: report.json must be strict JSON."""
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


# ---------------------------------------------------------------- canonical values


def canonical(df: pd.DataFrame, cols: list[ColumnDomain]) -> pd.DataFrame:
    """One comparable representation per kind: floats, datetime nanoseconds, category keys.

    Category keys make 1, 1.0 and numpy 1 the same value but keep "1" (text) apart, so an
    int column read back as float still matches and a retyped column does not.
    """
    out = {}
    for c in cols:
        s = df[c.name]
        if c.kind == "numerical":
            out[c.name] = pd.to_numeric(s, errors="coerce").astype(float)
        elif c.kind == "datetime":
            stamps = to_datetime(s, c)
            nanos = stamps.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
            out[c.name] = pd.Series(np.where(stamps.isna().to_numpy(), np.nan, nanos), index=s.index)
        else:
            # Keys of the distinct values only: a per-cell Python call is seconds at 100k rows.
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
            keys = np.array([_category_key(v) for v in uniques] + [None], dtype=object)
            out[c.name] = pd.Series(keys[codes], index=s.index, dtype=object)
    return pd.DataFrame(out).reset_index(drop=True)


def _category_key(value: Any) -> str | None:
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return f"b:{bool(value)}"
    if isinstance(value, (int, float, np.number)):
        return f"n:{float(value)!r}"
    return f"s:{value}"


def row_hashes(canon: pd.DataFrame) -> pd.Series:
    filled = canon.copy()
    for name in filled.columns:
        if filled[name].dtype == object:
            filled[name] = filled[name].fillna(MISSING)
        else:
            filled[name] = filled[name].round(9).fillna(-np.inf)
    return pd.util.hash_pandas_object(filled, index=False)


def bounds(col: ColumnDomain, train_values: pd.Series) -> tuple[float, float]:
    """Domain bounds in the canonical unit; the training range when the domain has none."""

    def parse(bound):
        if bound is None:
            return None
        if col.kind == "datetime":
            return float(pd.Timestamp(pd.to_datetime(bound, format=col.datetime_format)).value)
        return float(bound)

    lo, hi = parse(col.lower), parse(col.upper)
    lo = float(train_values.min()) if lo is None else lo
    hi = float(train_values.max()) if hi is None else hi
    if math.isnan(lo) or math.isnan(hi):
        return 0.0, 1.0
    return lo, hi


# ---------------------------------------------------------------- distances

MISSING_NUMBER = 1000.0  # a missing number sits >= 1 away from every present one (scaled to [-1, 2])


@dataclass
class DenseCodes:
    """Canonical frames as float32 arrays for column-by-column Gower distances: numbers scaled
    by the domain span (clipped to [-1, 2], missing = MISSING_NUMBER), categories as integer
    codes shared by all frames (missing = -1, a category of its own). No NaN, so a column's
    distance is two or three array passes (numpy, one thread: no OpenMP to oversubscribe)."""

    arrays: list[np.ndarray]
    categorical: np.ndarray  # bool per column
    names: list[str]

    def column_distance(self, j: int, a: int, b: int, rows_a: Any = slice(None)) -> np.ndarray:
        """Column ``j``'s distance between rows of frame ``a`` (``rows_a``) and all rows of ``b``."""
        x, y = self.arrays[a][rows_a, j][:, None], self.arrays[b][:, j][None, :]
        if self.categorical[j]:
            return (x != y).astype(np.float32)
        d = np.abs(x - y)
        return np.minimum(d, 1.0, out=d)

    def distances(self, a: int, b: int, rows_a: Any = slice(None), columns=None) -> np.ndarray:
        """Summed column distances (not divided by the column count)."""
        columns = range(len(self.names)) if columns is None else columns
        n_a = len(self.arrays[a][rows_a, 0]) if len(self.names) else 0
        total = np.zeros((n_a, len(self.arrays[b])), dtype=np.float32)
        for j in columns:
            total += self.column_distance(j, a, b, rows_a)
        return total

    def nearest(self, a: int, b: int, k: int = 1, chunk: int = 512) -> np.ndarray:
        """Gower distances of each row of frame ``a`` to its ``k`` nearest rows of ``b``, (n, k)."""
        k = min(k, len(self.arrays[b]))
        out = np.empty((len(self.arrays[a]), k), dtype=np.float64)
        for start in range(0, len(self.arrays[a]), chunk):
            d = self.distances(a, b, slice(start, start + chunk))
            part = np.partition(d, k - 1, axis=1)[:, :k] if k < d.shape[1] else d
            out[start : start + len(d)] = np.sort(part, axis=1)
        return out / max(len(self.names), 1)


def dense_codes(cols: list[ColumnDomain], frames: list[pd.DataFrame]) -> DenseCodes:
    """Canonical ``frames`` (see ``canonical``) as DenseCodes; bounds from the domain, else
    from the first frame."""
    arrays = [np.empty((len(f), len(cols)), dtype=np.float32) for f in frames]
    categorical = np.zeros(len(cols), dtype=bool)
    for j, c in enumerate(cols):
        values = [f[c.name] for f in frames]
        if c.kind in ("numerical", "datetime"):
            lo, hi = bounds(c, values[0])
            span = (hi - lo) or 1.0
            for a, v in zip(arrays, values, strict=True):
                scaled = ((v.to_numpy(dtype=float) - lo) / span).clip(-1.0, 2.0)
                a[:, j] = np.where(np.isnan(scaled), MISSING_NUMBER, scaled)
        else:
            categorical[j] = True
            codes, _ = pd.factorize(pd.concat(values, ignore_index=True), use_na_sentinel=True)
            start = 0
            for a, v in zip(arrays, values, strict=True):
                a[:, j] = codes[start : start + len(v)]
                start += len(v)
    return DenseCodes(arrays, categorical, [c.name for c in cols])


# ---------------------------------------------------------------- model features


class FeatureEncoder:
    """Domain columns as a float matrix for HistGradientBoosting.

    Numbers as floats, dates as days, categories as codes of their most frequent values in
    the frame the encoder was fitted on (at most MAX_CODES; rarer and unseen values share one
    code); missing stays NaN, which the model handles natively.
    """

    def __init__(self, cols: list[ColumnDomain]):
        self.cols = cols

    def fit(self, df: pd.DataFrame) -> FeatureEncoder:
        # An all-missing column carries nothing to learn, and HistGradientBoosting cannot bin it.
        self.cols = [c for c in self.cols if df[c.name].notna().any()]
        canon = canonical(df, self.cols)
        self.codes_ = {}
        for c in self.cols:
            if c.kind not in ("numerical", "datetime"):
                top = canon[c.name].value_counts().index[:MAX_CODES]
                self.codes_[c.name] = {k: i for i, k in enumerate(top)}
        self.categorical_ = np.array([c.name in self.codes_ for c in self.cols])
        return self

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        canon = canonical(df, self.cols)
        out = np.empty((len(canon), len(self.cols)), dtype=np.float64)
        for j, c in enumerate(self.cols):
            s = canon[c.name]
            if c.name in self.codes_:
                codes = self.codes_[c.name]
                found, uniques = pd.factorize(s, use_na_sentinel=True)
                # -1 (missing) picks the trailing NaN
                lookup = np.array([codes.get(k, len(codes)) for k in uniques] + [np.nan], dtype=float)
                out[:, j] = lookup[found]
            elif c.kind == "datetime":
                out[:, j] = s.to_numpy(dtype=float) / 86_400e9
            else:
                out[:, j] = s.to_numpy(dtype=float)
        return out
