"""Utility: train on synthetic, test on real (TSTR) beside train on real, test on real (TRTR).

The same gradient-boosted model (scikit-learn HistGradientBoosting) learns the target once
from the synthetic rows and once from the real training rows; both are scored on the real
holdout, which neither saw. A categorical target is scored by ROC AUC and average precision
(one-vs-rest, macro-averaged, for more than two classes), a numeric one by R². The ratio
TSTR / TRTR says how much of the real data's usefulness the synthetic data keeps.

One holdout split is noisy: with 30 positives, ROC AUC moves by 0.1 between splits. Every
figure comes with a 95 % interval from a bootstrap of the holdout rows (both models'
predictions resampled together, so the TSTR - TRTR difference has an interval too), and
the chance level it is judged against (ROC AUC 0.5, average precision the positive share,
R² 0). The interval covers the holdout's noise, not the synthesizer's run-to-run variation.
With fewer than MIN_CLASS_ROWS holdout rows of the rarest class, ``too_small`` says the
holdout cannot judge the figures.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..domain import Domain
from ..errors import SynthRecordsError
from .encoding import FeatureEncoder, canonical, jsonable, one_thread, subsample

log = logging.getLogger(__name__)

MAX_UTILITY_ROWS = 20_000  # per training side and for the holdout
BOOTSTRAP = 200  # resamples of the holdout for the 95 % intervals
MIN_CLASS_ROWS = 30  # holdout rows of the rarest class below which the figures are noise


@dataclass
class Utility:
    status: str  # "measured" or "skipped"
    reason: str | None = None
    target: str | None = None
    task: str | None = None  # "classification" or "regression"
    # {metric, tstr, trtr, ratio, chance, tstr_ci95, trtr_ci95, difference_ci95}
    metrics: list[dict[str, Any]] = field(default_factory=list)
    too_small: str | None = None  # why the holdout is too small to judge, when it is
    interval: str = f"95 % bootstrap over the holdout rows ({BOOTSTRAP} resamples)"
    rows_used: dict[str, int] = field(default_factory=dict)
    features: list[str] = field(default_factory=list)
    model: str = "HistGradientBoosting (scikit-learn defaults, seeded)"

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


def skipped(reason: str, target: str | None = None) -> Utility:
    log.info("utility: skipped: %s", reason)
    return Utility("skipped", reason=reason, target=target)


def utility(
    real_train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    domain: Domain,
    target: str | None,
    *,
    seed: int = 0,
) -> Utility:
    """TSTR vs TRTR on ``holdout``; skipped, with the reason, when it cannot be measured."""
    if target is None:
        return skipped("no target column: pass --target COLUMN (or set [model] target in the job)")
    if target not in domain.names:
        raise SynthRecordsError(
            f"target column {target!r} is not among the compared columns "
            f"({', '.join(domain.names)}); pass one of them with --target"
        )
    if holdout is None:
        return skipped(
            "no holdout: pass --holdout FILE with real rows the model never saw "
            "(a run keeps [validate] holdout of the input aside)", target
        )
    frames = {"synthetic": synthetic, "real": real_train, "holdout": holdout}
    missing = [name for name, f in frames.items() if target not in f.columns]
    if missing:
        return skipped(f"target column {target!r} is missing from the {', '.join(missing)} table", target)

    col = domain[target]
    cols = [c for c in domain if c.name != target and all(c.name in f.columns for f in frames.values())]
    if not cols:
        return skipped("no feature column besides the target is shared by all tables", target)
    sets = {
        name: _labelled(subsample(f, MAX_UTILITY_ROWS, seed + i), col)
        for i, (name, f) in enumerate(frames.items())
    }
    classification = col.kind not in ("numerical", "datetime")
    problem = _problem(sets, classification) or next(
        (f"every feature column of the {name} table is empty" for name in ("synthetic", "real")
         if not any(sets[name][0][c.name].notna().any() for c in cols)), None)
    if problem:
        return skipped(problem, target)

    with one_thread():
        predicted = {name: _fit_and_predict(sets[name], sets["holdout"], cols, classification, seed)
                     for name in ("synthetic", "real")}
    truth = predicted["real"][0]
    scores = {name: _score(truth, p, classification) for name, (_, p) in predicted.items()}
    bands = _bootstrap(truth, predicted["synthetic"][1], predicted["real"][1], classification, seed)
    chance = _chance(truth, classification)
    metrics = [
        {"metric": m, "tstr": scores["synthetic"][m], "trtr": scores["real"][m],
         "ratio": scores["synthetic"][m] / scores["real"][m] if scores["real"][m] else None,
         "chance": chance[m], **bands[m]}
        for m in scores["real"]
    ]
    log.info("utility: %s", ", ".join(f"{m['metric']} TSTR {m['tstr']:.3f} TRTR {m['trtr']:.3f}"
                                      for m in metrics))
    return Utility(
        "measured", target=target, task="classification" if classification else "regression",
        metrics=metrics, rows_used={k: len(v[0]) for k, v in sets.items()},
        features=[c.name for c in cols], too_small=_too_small(truth, classification),
    )


def _labelled(df: pd.DataFrame, col) -> tuple[pd.DataFrame, pd.Series]:
    """Rows with a known target, and the target as comparable keys (or floats)."""
    y = canonical(df, [col])[col.name]
    keep = y.notna().to_numpy()
    return df[keep].reset_index(drop=True), y[keep].reset_index(drop=True)


def _problem(sets: dict[str, tuple[pd.DataFrame, pd.Series]], classification: bool) -> str | None:
    for name, (x, y) in sets.items():
        if len(y) < 10:
            return f"the {name} table has {len(y)} rows with a known target; at least 10 are needed"
        if classification and y.nunique() < 2:
            return f"the target has one class only in the {name} table; nothing to learn or score"
    return None


def _fit_and_predict(train, test, cols, classification: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The holdout's truth (class labels or values) and the model's scores for it: one
    column of probabilities per holdout class (classes the model never saw get 0)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    (x_train, y_train), (x_test, y_test) = train, test
    encoder = FeatureEncoder(cols).fit(x_train)
    a, b = encoder.transform(x_train), encoder.transform(x_test)
    if not classification:
        model = HistGradientBoostingRegressor(categorical_features=encoder.categorical_, random_state=seed)
        return y_test.to_numpy(dtype=float), model.fit(a, y_train).predict(b)
    model = HistGradientBoostingClassifier(categorical_features=encoder.categorical_, random_state=seed)
    model.fit(a, y_train.astype(str))
    proba = pd.DataFrame(model.predict_proba(b), columns=model.classes_)
    classes = sorted(set(y_test.astype(str)))
    return y_test.astype(str).to_numpy(), proba.reindex(columns=classes, fill_value=0.0).to_numpy()


def _score(truth: np.ndarray, predicted: np.ndarray, classification: bool) -> dict[str, float]:
    from sklearn.metrics import average_precision_score, r2_score, roc_auc_score

    if not classification:
        return {"r2": float(r2_score(truth, predicted))}
    classes = sorted(set(truth))
    if len(classes) == 2:
        positive = truth == classes[1]
        # The column of the positive class: the holdout's classes, sorted, as _fit_and_predict made them.
        column = predicted[:, -1] if predicted.shape[1] == 2 else predicted[:, 1]
        return {"roc_auc": float(roc_auc_score(positive, column)),
                "average_precision": float(average_precision_score(positive, column))}
    onehot = np.stack([truth == c for c in classes], axis=1)
    return {"roc_auc": float(roc_auc_score(onehot, predicted, average="macro")),
            "average_precision": float(average_precision_score(onehot, predicted, average="macro"))}


def _bootstrap(truth: np.ndarray, synthetic: np.ndarray, real: np.ndarray, classification: bool,
               seed: int) -> dict[str, dict[str, list[float] | None]]:
    """95 % intervals of TSTR, TRTR and their difference over resamples of the holdout rows.

    A resample is a row of counts (how often each holdout row was drawn); every metric is
    computed for all resamples at once with those counts as weights (sklearn's metrics one
    resample at a time took 20 s on a busy box). With all counts 1 they equal sklearn's."""
    rng = np.random.default_rng([seed, 7])
    n = len(truth)
    weights = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(BOOTSTRAP)]).astype(float)
    a, b = _weighted(truth, synthetic, weights, classification), _weighted(truth, real, weights, classification)
    out = {}
    for m in a:
        keep = ~(np.isnan(a[m]) | np.isnan(b[m]))  # a resample missing a class scores nothing
        if keep.sum() < BOOTSTRAP // 2:
            out[m] = {"tstr_ci95": None, "trtr_ci95": None, "difference_ci95": None}
            continue
        out[m] = {"tstr_ci95": _band(a[m][keep]), "trtr_ci95": _band(b[m][keep]),
                  "difference_ci95": _band((a[m] - b[m])[keep])}
    return out


def _band(values: np.ndarray) -> list[float]:
    return [float(v) for v in np.quantile(values, [0.025, 0.975])]


def _weighted(truth: np.ndarray, predicted: np.ndarray, weights: np.ndarray,
              classification: bool) -> dict[str, np.ndarray]:
    """Each metric of _score for every row of ``weights`` (resamples x holdout rows)."""
    if not classification:
        total = weights.sum(axis=1)
        mean = weights @ truth / total
        residual = weights @ (truth - predicted) ** 2
        spread = (weights * (truth[None, :] - mean[:, None]) ** 2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"r2": np.where(spread > 0, 1 - residual / spread, np.nan)}
    classes = sorted(set(truth))
    if len(classes) == 2:
        column = predicted[:, -1] if predicted.shape[1] == 2 else predicted[:, 1]
        return _binary(truth == classes[1], column, weights)
    per_class = [_binary(truth == c, predicted[:, i], weights) for i, c in enumerate(classes)]
    return {m: np.mean([p[m] for p in per_class], axis=0) for m in ("roc_auc", "average_precision")}


def _binary(positive: np.ndarray, score: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Weighted ROC AUC (ties count half) and average precision (sklearn's step sum over
    distinct thresholds), one value per row of ``weights``."""
    order = np.argsort(-score, kind="mergesort")
    score, positive, weights = score[order], positive[order], weights[:, order]
    last = np.r_[score[1:] != score[:-1], True]  # the end of each group of tied scores
    tp = np.cumsum(weights * positive, axis=1)[:, last]
    fp = np.cumsum(weights * ~positive, axis=1)[:, last]
    pos, neg = tp[:, -1], fp[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        # AUC: each positive group beats the negatives below it, and ties half of its own group's.
        tp_group, fp_group = np.diff(tp, prepend=0, axis=1), np.diff(fp, prepend=0, axis=1)
        below = neg[:, None] - fp  # negative weight strictly below each group
        auc = (tp_group * (below + fp_group / 2)).sum(axis=1) / (pos * neg)
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        ap = (np.diff(tp, prepend=0, axis=1) / pos[:, None] * precision).sum(axis=1)
    invalid = (pos == 0) | (neg == 0)
    return {"roc_auc": np.where(invalid, np.nan, auc), "average_precision": np.where(invalid, np.nan, ap)}


def _chance(truth: np.ndarray, classification: bool) -> dict[str, float]:
    """What a model that learned nothing scores on this holdout."""
    if not classification:
        return {"r2": 0.0}
    classes = sorted(set(truth))
    shares = [float(np.mean(truth == c)) for c in classes]
    return {"roc_auc": 0.5, "average_precision": shares[1] if len(classes) == 2 else float(np.mean(shares))}


def _too_small(truth: np.ndarray, classification: bool) -> str | None:
    if not classification:
        return None if len(truth) >= MIN_CLASS_ROWS else (
            f"the holdout has {len(truth)} rows; at least {MIN_CLASS_ROWS} are needed to judge utility")
    values, counts = np.unique(truth, return_counts=True)
    rarest = int(counts.argmin())
    if counts[rarest] >= MIN_CLASS_ROWS:
        return None
    return (f"the holdout has {counts[rarest]} rows of class {_label(values[rarest])!r}; at least {MIN_CLASS_ROWS} "
            "are needed to judge utility (keep a larger holdout, or use more rows)")


def _label(key: str) -> str:
    """A category key of encoding.canonical as the value reads ("n:1.0" -> "1")."""
    kind, _, text = str(key).partition(":")
    if kind == "n" and text.endswith(".0"):
        return text[:-2]
    return text if kind in ("n", "s", "b") else str(key)
