"""Stage 4 on Spark: the DP domain release with exact counts aggregated on the executors.

Measure on the cluster, add noise once on the driver. ``dp_domain.release_domain`` does
the planning, calibration, ledger entry, noise and post-processing exactly as for pandas;
only its measuring step is swapped: every partition runs ``dp_domain._exact_histograms``
on its own rows (the same binning code), Spark sums the partial counts per (column, bin
or category), and only those sums reach the driver. Exact counts never leave this module
without noise. The plans (kinds, formats, integer-ness: public schema by the module's own
rules) are read off a driver-side row sample; declare ``kinds``/``public`` to avoid that.
The levels of public hierarchies (``privacy.hierarchy``) are measured the same way: each
partition maps its values to every level's keys with the pandas code, Spark sums.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from ..domain import Domain
from ..errors import SynthRecordsError
from ..privacy import domain as dp_domain
from ..privacy.ledger import PrivacyLedger
from ._frames import normalize, sample_pandas

log = logging.getLogger(__name__)

SCHEMA_ROWS = 5000  # rows sampled to the driver to plan each column's measurement
_NULL_SLOT, _KEYED = -1, -2  # slots of a thresholded category column: its null bin, a key


def release_domain(sdf: Any, ledger: PrivacyLedger, *, kinds: dict[str, str] | None = None,
                   public: dict[str, dict[str, Any]] | None = None, share: float = dp_domain.DEFAULT_SHARE,
                   noise_seed: int | None = None, seed: int = 0, hierarchy: dict[str, Any] | None = None,
                   anchored: Collection[str] = (), sample: pd.DataFrame | None = None,
                   rows: Any = None) -> Domain:
    """``dp_domain.release_domain`` over a Spark DataFrame (see the module docstring).

    ``hierarchy`` and ``anchored`` as there: each level of a public hierarchy is one more
    histogram, counted by the executors from its column's values like any other.
    ``sample``: driver rows to plan from (default: a seeded sample of ``SCHEMA_ROWS``).
    ``rows``: the released row count (``privacy.rowcount.RowCount``), as there."""
    if sample is None:
        sample, _ = sample_pandas(sdf, SCHEMA_ROWS, seed=seed)
    return dp_domain.release_domain(sample[list(sdf.columns)], ledger, kinds=kinds, public=public, share=share,
                                    noise_seed=noise_seed, hierarchy=hierarchy, anchored=anchored,
                                    histograms=lambda plans: exact_histograms(sdf, plans), rows=rows)


def exact_histograms(sdf: Any, plans: list[Any]) -> list[tuple[list[Any], np.ndarray]]:
    """What ``dp_domain._exact_histograms`` returns for the whole of ``sdf``, counted by Spark."""
    from pyspark.sql import functions as F

    # A hierarchy level is counted from the values of the column it generalises, a finer grid from
    # its column's, the labels several columns share from those columns (privacy.shared).
    names = list(dict.fromkeys(n for p in plans for n in (p.shared_over or [p.reads])))
    schema = sdf.select(names).schema
    shapes = [None if p.thresholded else _length(p) for p in plans]

    def partial_counts(batches):  # runs on the executors: one partition's exact counts
        for batch in batches:
            pdf = normalize(batch, schema)
            rows = []
            for i, (plan, (keys, counts)) in enumerate(zip(plans, dp_domain._exact_histograms(pdf, plans))):
                if plan.thresholded:  # keys read off this partition; "other" is always 0 here
                    rows += [(i, _KEYED, _key(k), float(c)) for k, c in zip(keys, counts) if c]
                    rows.append((i, _NULL_SLOT, "", float(counts[-1])))
                else:
                    rows += [(i, j, "", float(c)) for j, c in enumerate(counts) if c]
            yield pd.DataFrame(rows, columns=["col", "slot", "key", "n"])

    try:
        totals = (sdf.select(names)
                  .mapInPandas(partial_counts, "col int, slot int, key string, n double")
                  .groupBy("col", "slot", "key").agg(F.sum("n").alias("n"))
                  .collect())
    except Exception as exc:
        raise _explain(exc) from exc
    out: list[tuple[list[Any], np.ndarray]] = []
    for i, plan in enumerate(plans):
        mine = [r for r in totals if r["col"] == i]
        if plan.thresholded:
            keyed = {r["key"]: r["n"] for r in mine if r["slot"] == _KEYED}
            nulls = sum(r["n"] for r in mine if r["slot"] == _NULL_SLOT)
            # shared labels and public vocabularies are keys even where no partition holds them (0, as pandas counts them)
            keys = sorted({*(json.loads(k) for k in keyed), *plan.public_keys}, key=str)
            counts = [keyed.get(_key(k), 0.0) for k in keys]
            out.append((keys, np.array([*counts, 0.0, nulls], dtype=float)))
        else:
            counts = np.zeros(shapes[i], dtype=float)
            for r in mine:
                counts[r["slot"]] += r["n"]
            out.append((list(plan.keys) if plan.keys is not None else [], counts))
    return out


def _length(plan: Any) -> int:
    if plan.keys is not None:
        return len(plan.keys) + 2  # keys, "other", null
    return len(plan.edges) - 1 + 1  # grid bins, null


def _key(value: Any) -> str:
    # JSON keeps 1 and "1" apart, so keys merge across partitions by value and type.
    return json.dumps(dp_domain._native(value), default=str)


def _explain(exc: Exception) -> Exception:
    # A SynthRecordsError raised in a partition (a bad value in a typed column) arrives as
    # a Spark PythonException; surface its message instead of a JVM trace.
    text = str(exc)
    marker = "SynthRecordsError: "
    if marker in text:
        return SynthRecordsError(text.split(marker, 1)[1].splitlines()[0])
    return exc


MAX_CATEGORIES = 100_000  # distinct values a categorical column may have in an exact domain


def data_domain(sdf: Any, sample: pd.DataFrame, kinds: dict[str, str] | None = None) -> Domain:
    """``domain.data_domain`` of a whole Spark DataFrame: exact categories, bounds and nulls.

    Kinds and date formats are inferred on ``sample`` (driver rows) as the pandas rule does;
    the values come from every row. No formal guarantee: the data owner's own check, never
    part of a DP release (``validate`` without a model).
    """
    from pyspark.sql import functions as F

    from ..domain import _decimals
    from ..domain import data_domain as pandas_domain

    domain = pandas_domain(sample[[c for c in sdf.columns]], kinds)
    stats = [F.max(F.col(f"`{c}`").isNull().cast("int")).alias(f"null:{c}") for c in sdf.columns]
    numeric = [c.name for c in domain if c.kind == "numerical"]
    stats += [F.min(F.col(f"`{c}`").cast("double")).alias(f"min:{c}") for c in numeric]
    stats += [F.max(F.col(f"`{c}`").cast("double")).alias(f"max:{c}") for c in numeric]
    stats += [F.max(F.abs(F.col(f"`{c}`").cast("double") - F.round(F.col(f"`{c}`").cast("double"))))
              .alias(f"frac:{c}") for c in numeric]
    row = sdf.select(stats).first().asDict()
    for col in domain:
        col.nullable = bool(row[f"null:{col.name}"])
        if col.kind == "numerical":
            col.lower, col.upper = row[f"min:{col.name}"], row[f"max:{col.name}"]
            col.integer = not row[f"frac:{col.name}"]
            col.decimals = 0 if col.integer else max(col.decimals or 0, _decimals(sample[col.name].dropna()))
        elif col.kind in ("categorical", "boolean"):
            values = sdf.select(f"`{col.name}`").where(F.col(f"`{col.name}`").isNotNull()).distinct()
            found = [r[0] for r in values.limit(MAX_CATEGORIES + 1).collect()]
            if len(found) > MAX_CATEGORIES:
                raise SynthRecordsError(f"column {col.name!r} has over {MAX_CATEGORIES} distinct values; validate it "
                                        "with a model (--model) or leave it out of the compared files")
            col.categories = sorted(found, key=str)
        elif col.kind == "datetime":
            fmt = col.datetime_format
            parse = F.pandas_udf(lambda s, fmt=fmt: s if pd.api.types.is_datetime64_any_dtype(s)
                                 else pd.to_datetime(s, format=fmt, errors="coerce"), "timestamp")
            low, high = sdf.select(F.min(parse(F.col(f"`{col.name}`"))), F.max(parse(F.col(f"`{col.name}`")))).first()
            if low is not None:
                col.lower, col.upper = pd.Timestamp(low).strftime(fmt), pd.Timestamp(high).strftime(fmt)
    return domain
