"""Fidelity (SDMetrics quality report) and privacy (distance to closest record) of an output.

Both compare the synthetic table with real rows, so they are results for the data owner,
not part of the DP release. Columns are encoded from the domain: numbers and dates are
scaled by the domain bounds, categories compared for equality, so the figures mean the
same thing for every table.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .domain import ColumnDomain, Domain

log = logging.getLogger(__name__)

MAX_FIDELITY_ROWS = 20_000  # per side; pair trends grow with rows x column pairs
MAX_PRIVACY_ROWS = 5_000  # per side; nearest neighbours are quadratic in rows
_TABLE = "records"


# ---------------------------------------------------------------- fidelity


@dataclass
class Fidelity:
    quality_score: float | None
    column_shapes: float | None
    column_pair_trends: float | None
    per_column: list[dict[str, Any]] = field(default_factory=list)
    rows_used: dict[str, int] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def fidelity(
    real: pd.DataFrame, synthetic: pd.DataFrame, domain: Domain, *, seed: int = 0
) -> Fidelity:
    """SDMetrics quality report (column shapes and pair trends) on the domain columns both share.

    Tables larger than MAX_FIDELITY_ROWS are subsampled (seeded); ``rows_used`` says so.
    """
    from sdmetrics.reports import QualityReport

    cols = [c for c in domain if c.name in real.columns and c.name in synthetic.columns]
    if not cols or real.empty or synthetic.empty:
        log.warning("fidelity: no rows or no shared domain column; nothing to compare")
        return Fidelity(None, None, None)
    real_s = _subsample(real, MAX_FIDELITY_ROWS, seed)
    synth_s = _subsample(synthetic, MAX_FIDELITY_ROWS, seed + 1)
    metadata = {"tables": {_TABLE: {"columns": {c.name: _sdmetrics_column(c) for c in cols}}}}
    report = QualityReport()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report.generate(
            {_TABLE: _typed(real_s, cols)}, {_TABLE: _typed(synth_s, cols)}, metadata, verbose=False
        )
    for w in caught:
        log.debug("sdmetrics: %s", w.message)
    props = dict(
        zip(report.get_properties()["Property"], report.get_properties()["Score"], strict=True)
    )
    shapes = report.get_details("Column Shapes")
    per_column = [
        {"column": row["Column"], "metric": row["Metric"], "score": row["Score"]}
        for _, row in shapes.iterrows()
    ]
    return Fidelity(
        quality_score=report.get_score(),
        column_shapes=props.get("Column Shapes"),
        column_pair_trends=props.get("Column Pair Trends"),
        per_column=per_column,
        rows_used={"real": len(real_s), "synthetic": len(synth_s)},
        columns=[c.name for c in cols],
    )


def _sdmetrics_column(col: ColumnDomain) -> dict[str, str]:
    # Booleans as categories: the same TVComplement score, and robust to "True"/"False" text.
    # Dates are parsed by _typed, so no datetime_format is needed here.
    return {
        "sdtype": {"numerical": "numerical", "datetime": "datetime"}.get(col.kind, "categorical")
    }


def _typed(df: pd.DataFrame, cols: list[ColumnDomain]) -> pd.DataFrame:
    """Domain columns as numbers and datetimes; unparseable values become missing, so a badly
    typed synthetic column lowers the score (and fails an expectation) instead of crashing."""
    out = {}
    for c in cols:
        s = df[c.name]
        if c.kind == "numerical":
            s = pd.to_numeric(s, errors="coerce").astype(float)
        elif c.kind == "datetime":
            s = _to_datetime(s, c)
        out[c.name] = s.reset_index(drop=True)
    return pd.DataFrame(out)


# ---------------------------------------------------------------- privacy


@dataclass
class DistanceToClosestRecord:
    median: float | None
    p05: float | None
    share_closer_to_train_than_holdout: float | None = None
    holdout_median: float | None = None
    metric: str = (
        "gower: mean per-column distance; 0 = identical row, 1 = every column maximally apart"
    )


@dataclass
class PrivacyMetrics:
    dcr: DistanceToClosestRecord
    exact_matches: int
    exact_match_share: float | None
    rows_used: dict[str, int | None] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def privacy(
    real_train: pd.DataFrame,
    synthetic: pd.DataFrame,
    domain: Domain,
    holdout: pd.DataFrame | None = None,
    *,
    seed: int = 0,
) -> PrivacyMetrics:
    """Distance to closest record (DCR) and exact copies of training rows.

    DCR: for each synthetic row, the distance to its nearest training row (sklearn
    NearestNeighbors, Manhattan on the encoding below, divided by the column count). Numbers
    and dates count |difference| / (domain upper - lower); a category counts 1 when it
    differs; missing vs present counts 1. Each side is subsampled to MAX_PRIVACY_ROWS.

    With a holdout (real rows the model never saw), ``share_closer_to_train_than_holdout``
    compares each synthetic row's nearest training row with its nearest holdout row, on
    equally many rows of each (ties count half): about 0.5 means no memorisation, near 1
    means the output copies its training rows.

    Exact matches are counted on the full tables (no subsampling): synthetic rows identical
    to some training row on every compared column.
    """
    from sklearn.neighbors import NearestNeighbors

    frames = [real_train, synthetic] + ([holdout] if holdout is not None else [])
    cols = [c for c in domain if all(c.name in f.columns for f in frames)]
    if not cols or any(f.empty for f in frames):
        log.warning("privacy: no rows or no shared domain column; nothing to compare")
        return PrivacyMetrics(DistanceToClosestRecord(None, None), 0, None)

    canon_train, canon_synth = _canonical(real_train, cols), _canonical(synthetic, cols)
    exact = int(_row_hashes(canon_synth).isin(_row_hashes(canon_train)).sum())

    train = _subsample(canon_train, MAX_PRIVACY_ROWS, seed)
    synth = _subsample(canon_synth, MAX_PRIVACY_ROWS, seed + 1)
    hold = (
        None
        if holdout is None
        else _subsample(_canonical(holdout, cols), MAX_PRIVACY_ROWS, seed + 2)
    )
    encoded = _encode(cols, [train, synth] + ([hold] if hold is not None else []))

    def nearest(reference, queries):
        nn = NearestNeighbors(n_neighbors=1, metric="manhattan", algorithm="brute").fit(reference)
        return nn.kneighbors(queries, return_distance=True)[0][:, 0] / len(cols)

    d_train = nearest(encoded[0], encoded[1])
    dcr = DistanceToClosestRecord(
        median=float(np.median(d_train)), p05=float(np.quantile(d_train, 0.05))
    )
    rows = {"real": len(train), "synthetic": len(synth), "holdout": None}
    if hold is not None:
        # The nearest of more rows is nearer by chance alone: compare equal numbers.
        k = min(len(train), len(hold))
        d_hold = nearest(encoded[2][:k], encoded[1])
        d_same = d_train if k == len(train) else nearest(encoded[0][:k], encoded[1])
        dcr.share_closer_to_train_than_holdout = float(
            np.mean((d_same < d_hold) + 0.5 * (d_same == d_hold))
        )
        dcr.holdout_median = float(np.median(d_hold))
        rows.update(holdout=k, real_for_holdout_share=k)
    return PrivacyMetrics(
        dcr=dcr,
        exact_matches=exact,
        exact_match_share=exact / max(len(synthetic), 1),
        rows_used=rows,
        columns=[c.name for c in cols],
    )


def _canonical(df: pd.DataFrame, cols: list[ColumnDomain]) -> pd.DataFrame:
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
            stamps = _to_datetime(s, c)
            nanos = stamps.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
            out[c.name] = pd.Series(
                np.where(stamps.isna().to_numpy(), np.nan, nanos), index=s.index
            )
        else:
            out[c.name] = s.map(_category_key).astype(object)
    return pd.DataFrame(out).reset_index(drop=True)


def _category_key(value: Any) -> str | None:
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return f"b:{bool(value)}"
    if isinstance(value, (int, float, np.number)):
        return f"n:{float(value)!r}"
    return f"s:{value}"


def _row_hashes(canon: pd.DataFrame) -> pd.Series:
    filled = canon.copy()
    for name in filled.columns:
        if filled[name].dtype == object:
            filled[name] = filled[name].fillna("\x00missing")
        else:
            filled[name] = filled[name].round(9).fillna(-np.inf)
    return pd.util.hash_pandas_object(filled, index=False)


def _encode(cols: list[ColumnDomain], frames: list[pd.DataFrame]) -> list[Any]:
    """Sparse matrices, one per frame, whose Manhattan distance is the per-column sum above."""
    import scipy.sparse as sp

    blocks: list[list[Any]] = [[] for _ in frames]
    for c in cols:
        values = [f[c.name] for f in frames]
        if c.kind in ("numerical", "datetime"):
            lo, hi = _bounds(c, values[0])
            span = (hi - lo) or 1.0
            missing = any(v.isna().any() for v in values)
            for b, v in zip(blocks, values, strict=True):
                scaled = ((v - lo) / span).fillna(0.0).to_numpy()[:, None]
                b.append(
                    sp.csr_matrix(
                        np.hstack([scaled, v.isna().to_numpy()[:, None]]) if missing else scaled
                    )
                )
        else:
            keys = pd.concat(values).fillna("\x00missing").unique().tolist()
            codes = {k: i for i, k in enumerate(keys)}
            for b, v in zip(blocks, values, strict=True):
                idx = v.fillna("\x00missing").map(codes).to_numpy()
                # 0.5 on each side: two different categories are 1 apart in Manhattan distance.
                b.append(
                    sp.csr_matrix(
                        (np.full(len(v), 0.5), (np.arange(len(v)), idx)), shape=(len(v), len(keys))
                    )
                )
    return [sp.hstack(b).tocsr() for b in blocks]


def _bounds(col: ColumnDomain, train_values: pd.Series) -> tuple[float, float]:
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


# ---------------------------------------------------------------- shared


def _to_datetime(s: pd.Series, col: ColumnDomain) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
    return pd.to_datetime(s, format=col.datetime_format, errors="coerce")


def _subsample(df: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    if len(df) <= limit:
        return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return df.sample(n=limit, random_state=seed).reset_index(drop=True)


def _jsonable(obj: Any) -> Any:
    """numpy scalars to Python, NaN to None: report.json must be strict JSON."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
