"""Utility: train on synthetic, test on real (TSTR) beside train on real, test on real (TRTR).

The same gradient-boosted model (scikit-learn HistGradientBoosting) learns the target once
from the synthetic rows and once from the real training rows; both are scored on the real
holdout, which neither saw. A categorical target is scored by ROC AUC and average precision
(one-vs-rest, macro-averaged, for more than two classes), a numeric one by R². The ratio
TSTR / TRTR says how much of the real data's usefulness the synthetic data keeps.
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


@dataclass
class Utility:
    status: str  # "measured" or "skipped"
    reason: str | None = None
    target: str | None = None
    task: str | None = None  # "classification" or "regression"
    metrics: list[dict[str, Any]] = field(default_factory=list)  # {metric, tstr, trtr, ratio}
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
        scores = {name: _fit_and_score(sets[name], sets["holdout"], cols, classification, seed)
                  for name in ("synthetic", "real")}
    metrics = [
        {"metric": m, "tstr": scores["synthetic"][m], "trtr": scores["real"][m],
         "ratio": scores["synthetic"][m] / scores["real"][m] if scores["real"][m] else None}
        for m in scores["real"]
    ]
    log.info("utility: %s", ", ".join(f"{m['metric']} TSTR {m['tstr']:.3f} TRTR {m['trtr']:.3f}"
                                      for m in metrics))
    return Utility(
        "measured", target=target, task="classification" if classification else "regression",
        metrics=metrics, rows_used={k: len(v[0]) for k, v in sets.items()},
        features=[c.name for c in cols],
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


def _fit_and_score(train, test, cols, classification: bool, seed: int) -> dict[str, float]:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import average_precision_score, r2_score, roc_auc_score

    (x_train, y_train), (x_test, y_test) = train, test
    encoder = FeatureEncoder(cols).fit(x_train)
    a, b = encoder.transform(x_train), encoder.transform(x_test)
    if not classification:
        model = HistGradientBoostingRegressor(
            categorical_features=encoder.categorical_, random_state=seed
        )
        return {"r2": float(r2_score(y_test, model.fit(a, y_train).predict(b)))}
    model = HistGradientBoostingClassifier(
        categorical_features=encoder.categorical_, random_state=seed
    )
    model.fit(a, y_train.astype(str))
    proba = pd.DataFrame(model.predict_proba(b), columns=model.classes_)
    # Classes the model never saw get probability 0; classes absent from the test set score nothing.
    classes = sorted(set(y_test.astype(str)))
    proba = proba.reindex(columns=classes, fill_value=0.0).to_numpy()
    truth = y_test.astype(str).to_numpy()
    if len(classes) == 2:
        positive = truth == classes[1]
        return {"roc_auc": float(roc_auc_score(positive, proba[:, 1])),
                "average_precision": float(average_precision_score(positive, proba[:, 1]))}
    onehot = np.stack([truth == c for c in classes], axis=1)
    return {"roc_auc": float(roc_auc_score(onehot, proba, average="macro")),
            "average_precision": float(average_precision_score(onehot, proba, average="macro"))}
