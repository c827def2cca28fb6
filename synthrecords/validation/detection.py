"""Detection: can a classifier tell synthetic rows from real ones? (lower AUC is better)

A gradient-boosted classifier (scikit-learn HistGradientBoosting) is cross-validated on a
balanced sample of real and synthetic rows. Its ROC AUC is 0.5 when the two are
indistinguishable and 1 when every synthetic row gives itself away. ``score`` is
SDMetrics' convention for the same figure: 1 - 2 * (max(AUC, 0.5) - 0.5), higher is better.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..domain import Domain
from .encoding import FeatureEncoder, jsonable, one_thread, subsample

log = logging.getLogger(__name__)

MAX_DETECTION_ROWS = 10_000  # per side
FOLDS = 3


@dataclass
class Detection:
    auc: float | None
    score: float | None = None
    folds: list[float] = field(default_factory=list)
    rows_used: dict[str, int] = field(default_factory=dict)
    model: str = "HistGradientBoostingClassifier, 3-fold stratified cross-validation"
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


def detection(
    real: pd.DataFrame, synthetic: pd.DataFrame, domain: Domain, *, seed: int = 0
) -> Detection:
    """Cross-validated AUC of a real-vs-synthetic classifier on the shared domain columns."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    cols = [c for c in domain if c.name in real.columns and c.name in synthetic.columns]
    n = min(len(real), len(synthetic), MAX_DETECTION_ROWS)
    if not cols or n < 2 * FOLDS:
        return Detection(None, skipped=f"needs shared domain columns and {2 * FOLDS} rows per side")
    # Equal sides: the AUC then means the same thing whatever the table sizes.
    both = pd.concat(
        [subsample(real, n, seed), subsample(synthetic, n, seed + 1)], ignore_index=True
    )
    encoder = FeatureEncoder(cols).fit(both)
    if not encoder.cols:
        return Detection(None, skipped="every shared column is empty")
    x, y = encoder.transform(both), np.r_[np.zeros(n), np.ones(n)]
    folds = []
    split = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    for train_idx, test_idx in split.split(x, y):
        model = HistGradientBoostingClassifier(
            categorical_features=encoder.categorical_, random_state=seed, early_stopping=False
        )
        with one_thread():
            model.fit(x[train_idx], y[train_idx])
        folds.append(float(roc_auc_score(y[test_idx], model.predict_proba(x[test_idx])[:, 1])))
    auc = float(np.mean(folds))
    log.info("detection: AUC %.3f over %d folds of %d rows per side", auc, FOLDS, n)
    return Detection(
        auc=auc,
        score=1.0 - 2.0 * (max(auc, 0.5) - 0.5),
        folds=folds,
        rows_used={"real": n, "synthetic": n},
    )
