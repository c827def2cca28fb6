"""Fidelity (SDMetrics quality report) and distance-based privacy metrics of an output.

Both compare the synthetic table with real rows, so they are results for the data owner,
not part of the DP release. Columns are read through the domain (see ``encoding``), so the
figures mean the same thing for every table.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..domain import ColumnDomain, Domain
from ..privacy.hierarchy import OTHER_LABEL, released
from .encoding import (
    DenseCodes,
    canonical,
    dense_codes,
    jsonable,
    row_hashes,
    subsample,
    to_datetime,
)

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
    # Where the release generalised columns (``221**``, ``TX*``, ``*``): the same report against the
    # real rows generalised the same way, so the figure shows what the release kept at the
    # granularity it chose; the plain figure above shows what generalising cost.
    # {"quality_score", "column_shapes", "column_pair_trends", "columns": [generalised]}; None if none.
    at_released_granularity: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


def fidelity(
    real: pd.DataFrame, synthetic: pd.DataFrame, domain: Domain, *, seed: int = 0
) -> Fidelity:
    """SDMetrics quality report (column shapes and pair trends) on the domain columns both share.

    Tables larger than MAX_FIDELITY_ROWS are subsampled (seeded); ``rows_used`` says so.
    """
    cols = [c for c in domain if c.name in real.columns and c.name in synthetic.columns]
    if not cols or real.empty or synthetic.empty:
        log.warning("fidelity: no rows or no shared domain column; nothing to compare")
        return Fidelity(None, None, None)
    real_s = subsample(real, MAX_FIDELITY_ROWS, seed)
    synth_s = subsample(synthetic, MAX_FIDELITY_ROWS, seed + 1)
    report = _quality_report(real_s, synth_s, cols)
    generalised = [c for c in cols if _generalised(c, synth_s[c.name])]
    at_released = None
    if generalised:
        coarse = _quality_report(at_released_granularity(real_s, generalised), synth_s, cols)
        at_released = {**_scores(coarse), "columns": [c.name for c in generalised]}
    shapes = report.get_details("Column Shapes")
    per_column = [
        {"column": row["Column"], "metric": row["Metric"], "score": row["Score"]}
        for _, row in shapes.iterrows()
    ]
    return Fidelity(
        **_scores(report),
        per_column=per_column,
        rows_used={"real": len(real_s), "synthetic": len(synth_s)},
        columns=[c.name for c in cols],
        at_released_granularity=at_released,
    )


def _quality_report(real: pd.DataFrame, synthetic: pd.DataFrame, cols: list[ColumnDomain]) -> Any:
    from sdmetrics.reports import QualityReport

    metadata = {"tables": {_TABLE: {"columns": {c.name: _sdmetrics_column(c) for c in cols}}}}
    report = QualityReport()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report.generate(
            {_TABLE: _typed(real, cols)}, {_TABLE: _typed(synthetic, cols)}, metadata, verbose=False
        )
    for w in caught:
        log.debug("sdmetrics: %s", w.message)
    return report


def _scores(report: Any) -> dict[str, float | None]:
    props = dict(
        zip(report.get_properties()["Property"], report.get_properties()["Score"], strict=True)
    )
    return {"quality_score": report.get_score(), "column_shapes": props.get("Column Shapes"),
            "column_pair_trends": props.get("Column Pair Trends")}


def _generalised(col: ColumnDomain, synthetic: pd.Series) -> bool:
    """A categorical column whose synthetic values hold generalised ones (a hierarchy level or
    ``*``; a lookup hierarchy fills concrete values in, and those compare as they are)."""
    return col.kind == "categorical" and any(
        isinstance(c, str) and c.endswith(OTHER_LABEL) for c in col.categories or []) and bool(
        synthetic.astype(str).str.endswith(OTHER_LABEL).any())


def at_released_granularity(real: pd.DataFrame, columns: list[ColumnDomain]) -> pd.DataFrame:
    """The real rows with each generalised column mapped to the released value standing for it
    (itself, else its finest released level, else ``*``). A value with no stand-in stays as it
    is, so a loss the generalisation does not explain still counts."""
    out = real.copy()
    for col in columns:
        hierarchy = col.hierarchy or {}
        values = out[col.name].astype(object).where(out[col.name].isna(), out[col.name].astype(str))
        mapped = released(values, [str(c) for c in col.categories or []], hierarchy.get("levels") or [],
                          hierarchy.get("width"))
        out[col.name] = mapped.where(mapped.notna(), values)
    return out


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
            s = to_datetime(s, c)
        out[c.name] = s.reset_index(drop=True)
    return pd.DataFrame(out)


# ---------------------------------------------------------------- privacy


GOWER = "gower: mean per-column distance; 0 = identical row, 1 = every column maximally apart"
DCR_BINS = 30


@dataclass
class DistanceToClosestRecord:
    median: float | None
    p05: float | None
    share_closer_to_train_than_holdout: float | None = None
    holdout_median: float | None = None
    # Real rows the model never saw, measured the same way: the distance a non-memorising
    # output should keep. ratio = synthetic median / this median; at or above 1 is no closer.
    holdout_to_train_median: float | None = None
    ratio: float | None = None
    histogram: dict[str, Any] | None = None  # {"edges", "synthetic", "holdout"}: shares per bin
    metric: str = GOWER


@dataclass
class NearestNeighbourRatio:
    """Distance to the nearest training row / distance to the second nearest. Near 0: the row
    sits on one training record (a copy of an outlier); near 1: it is as close to several."""

    median: float | None
    p05: float | None
    holdout_median: float | None = None
    holdout_p05: float | None = None


@dataclass
class MembershipInference:
    """A distance attacker: a real row closer to some synthetic row is guessed a member.

    Members are training rows, non-members holdout rows, equally many. AUC 0.5 = the output
    tells nothing about who was in the training data; 1 = membership is plain to see.
    """

    auc: float | None
    ci95: list[float] | None = None
    members: int = 0
    non_members: int = 0
    attacker: str = "score = minus the Gower distance to the nearest synthetic row"
    skipped: str | None = None


@dataclass
class PrivacyMetrics:
    dcr: DistanceToClosestRecord
    exact_matches: int
    exact_match_share: float | None
    # Share of holdout rows equal to a training row: how often real rows repeat anyway.
    holdout_exact_match_share: float | None = None
    nndr: NearestNeighbourRatio | None = None
    membership_inference: MembershipInference | None = None
    rows_used: dict[str, int | None] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


def privacy(
    real_train: pd.DataFrame,
    synthetic: pd.DataFrame,
    domain: Domain,
    holdout: pd.DataFrame | None = None,
    *,
    seed: int = 0,
) -> PrivacyMetrics:
    """Distance to closest record (DCR), exact copies, NNDR and a membership-inference AUC.

    DCR: for each synthetic row, the Gower distance (see ``encoding``) to its nearest
    training row. Each side is subsampled to MAX_PRIVACY_ROWS (``rows_used`` says so).

    With a holdout (real rows the model never saw):
    - ``share_closer_to_train_than_holdout`` compares each synthetic row's nearest training
      row with its nearest holdout row, on equally many rows of each (ties count half):
      about 0.5 means no memorisation, near 1 means the output copies its training rows;
    - ``holdout_to_train_median`` and ``ratio``: the same DCR for holdout rows, the reference;
    - ``membership_inference``: the distance attacker's AUC with its 95 % interval.

    Exact matches are counted on the full tables (no subsampling): synthetic rows identical
    to some training row on every compared column.
    """
    frames = [real_train, synthetic] + ([holdout] if holdout is not None else [])
    cols = [c for c in domain if all(c.name in f.columns for f in frames)]
    if not cols or any(f.empty for f in frames):
        log.warning("privacy: no rows or no shared domain column; nothing to compare")
        return PrivacyMetrics(DistanceToClosestRecord(None, None), 0, None)

    canon_train, canon_synth = canonical(real_train, cols), canonical(synthetic, cols)
    train_hashes = row_hashes(canon_train)
    exact = int(row_hashes(canon_synth).isin(train_hashes).sum())

    train = subsample(canon_train, MAX_PRIVACY_ROWS, seed)
    synth = subsample(canon_synth, MAX_PRIVACY_ROWS, seed + 1)
    canon_hold = None if holdout is None else canonical(holdout, cols)
    hold = None if canon_hold is None else subsample(canon_hold, MAX_PRIVACY_ROWS, seed + 2)
    codes = dense_codes(cols, [train, synth] + ([hold] if hold is not None else []))
    TRAIN, SYNTH, HOLD = 0, 1, 2  # frame indices in codes

    two = codes.nearest(SYNTH, TRAIN, k=2)
    d_train = two[:, 0]
    dcr = DistanceToClosestRecord(
        median=float(np.median(d_train)), p05=float(np.quantile(d_train, 0.05))
    )
    nndr = NearestNeighbourRatio(*_ratio_quantiles(two))
    result = PrivacyMetrics(
        dcr=dcr,
        exact_matches=exact,
        exact_match_share=exact / max(len(synthetic), 1),
        nndr=nndr,
        rows_used={"real": len(train), "synthetic": len(synth), "holdout": None},
        columns=[c.name for c in cols],
    )
    if hold is None:
        dcr.histogram = _histogram(d_train, None)
        result.membership_inference = MembershipInference(
            None, skipped="no holdout: real rows the model never saw are needed as non-members"
        )
        return result

    result.holdout_exact_match_share = float(row_hashes(canon_hold).isin(train_hashes).mean())
    # The nearest of more rows is nearer by chance alone: compare equal numbers.
    k = min(len(train), len(hold))
    equal = DenseCodes([codes.arrays[TRAIN][:k], codes.arrays[SYNTH], codes.arrays[HOLD][:k]],
                       codes.categorical, codes.names)
    d_hold = equal.nearest(SYNTH, HOLD)[:, 0]
    d_same = d_train if k == len(train) else equal.nearest(SYNTH, TRAIN)[:, 0]
    dcr.share_closer_to_train_than_holdout = float(
        np.mean((d_same < d_hold) + 0.5 * (d_same == d_hold))
    )
    dcr.holdout_median = float(np.median(d_hold))

    ref = codes.nearest(HOLD, TRAIN, k=2)
    dcr.holdout_to_train_median = float(np.median(ref[:, 0]))
    if dcr.holdout_to_train_median > 0:
        dcr.ratio = dcr.median / dcr.holdout_to_train_median
    dcr.histogram = _histogram(d_train, ref[:, 0])
    nndr.holdout_median, nndr.holdout_p05 = _ratio_quantiles(ref)

    result.membership_inference = _membership_auc(equal)
    result.rows_used.update(holdout=k, real_for_holdout_share=k, mia_members=k, mia_non_members=k)
    return result


def _ratio_quantiles(two: np.ndarray) -> tuple[float | None, float | None]:
    if two.shape[1] < 2:
        return None, None
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(two[:, 1] > 0, two[:, 0] / two[:, 1], 1.0)  # 0/0: tied copies, no single record
    return float(np.median(ratio)), float(np.quantile(ratio, 0.05))


def _histogram(synthetic: np.ndarray, holdout: np.ndarray | None) -> dict[str, Any]:
    """Shares per distance bin; the bins end at the 99th percentile (the rest in the last bin)."""
    pooled = synthetic if holdout is None else np.concatenate([synthetic, holdout])
    top = float(np.quantile(pooled, 0.99)) or float(pooled.max()) or 1.0
    edges = np.linspace(0.0, top, DCR_BINS + 1)

    def shares(d):
        counts = np.histogram(np.minimum(d, top), bins=edges)[0]
        return (counts / max(len(d), 1)).round(5).tolist()

    return {
        "edges": edges.round(6).tolist(),
        "synthetic": shares(synthetic),
        "holdout": None if holdout is None else shares(holdout),
    }


def _membership_auc(codes: DenseCodes) -> MembershipInference:
    """Frames of ``codes``: members (training rows), synthetic rows, non-members (holdout)."""
    from sklearn.metrics import roc_auc_score

    d_in = codes.nearest(0, 1)[:, 0]
    d_out = codes.nearest(2, 1)[:, 0]
    labels = np.r_[np.ones(len(d_in)), np.zeros(len(d_out))]
    auc = float(roc_auc_score(labels, -np.r_[d_in, d_out]))
    return MembershipInference(
        auc, ci95=auc_interval(auc, len(d_in), len(d_out)), members=len(d_in),
        non_members=len(d_out),
    )


def auc_interval(auc: float, n_pos: int, n_neg: int) -> list[float]:
    """95 % interval of an AUC (Hanley & McNeil 1982 standard error)."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
        n_pos * n_neg
    )
    half = 1.96 * float(np.sqrt(max(var, 0.0)))
    return [max(0.0, auc - half), min(1.0, auc + half)]
