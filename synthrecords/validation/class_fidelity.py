"""Validation of oversampled classes: do the synthetic rows of a class look like the real ones?

For each requested class (e.g. Status = bad) the column shapes are compared between the
real training rows of that class and the synthetic rows of that class, with SDMetrics'
KSComplement (numbers, dates) and TVComplement (categories): 1 means the same marginal.
Like every validation figure it reads real rows, for the data owner's review.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sdmetrics.single_column import KSComplement, TVComplement

from ..domain import Domain
from ..privacy.grids import to_days

MIN_ROWS = 5  # fewer rows of the class on either side: no figure, and the report says why


def class_fidelity(real: pd.DataFrame, synthetic: pd.DataFrame, mix: dict[str, dict[Any, float]],
                   domain: Domain) -> list[dict[str, Any]]:
    out = []
    for column, shares in mix.items():
        for value in shares:
            r, s = real[real[column] == value], synthetic[synthetic[column] == value]
            entry: dict[str, Any] = {"column": column, "value": str(value), "real_rows": len(r),
                                     "synthetic_rows": len(s)}
            if min(len(r), len(s)) < MIN_ROWS:
                entry.update(score=None, note=f"fewer than {MIN_ROWS} rows of this class on one side")
            else:
                scores = {c.name: _shape(r[c.name], s[c.name], c.kind, c.datetime_format)
                          for c in domain if c.name != column and c.name in synthetic}
                scores = {k: v for k, v in scores.items() if v is not None}
                entry["per_column"] = scores
                entry["score"] = sum(scores.values()) / len(scores) if scores else None
            out.append(entry)
    return out


def _shape(real: pd.Series, synth: pd.Series, kind: str, fmt: str | None) -> float | None:
    real, synth = real.dropna(), synth.dropna()
    if real.empty or synth.empty:
        return None
    if kind == "numerical":
        return float(KSComplement.compute(pd.to_numeric(real), pd.to_numeric(synth)))
    if kind == "datetime":
        days = [to_days(pd.to_datetime(x, format=fmt, errors="coerce")).dropna() for x in (real, synth)]
        return float(KSComplement.compute(*days)) if all(len(d) for d in days) else None
    return float(TVComplement.compute(real.astype(str), synth.astype(str)))
