"""Exact copies of training rows, counted on Spark over every row.

The pandas metric (``validation.metrics.privacy``) counts synthetic rows equal to some
training row on every compared column; on Spark the other privacy metrics run on driver
samples, where a copy of an unsampled training row would go unseen. Here each partition
puts its rows in the pandas metric's own canonical form and hashes them
(``validation.encoding.canonical``/``row_hashes``: per row, so partitions agree), and Spark
joins the hashes: the counts are those of the whole tables. The chance level comes along:
the share of holdout rows equal to a training row or, without a holdout, the share of
training rows that repeat another (``job.check_copies`` compares the two). Owner-side
validation: these counts read real rows and never reach ``share/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..domain import Domain
from ..validation.encoding import canonical, row_hashes
from ._frames import normalize

HASH = "__row_hash"


@dataclass
class Copies:
    exact_matches: int
    exact_match_share: float
    holdout_exact_match_share: float | None  # None without a holdout
    training_repeat_share: float  # training rows equal to another training row


def exact_copies(train: Any, synthetic: Any, holdout: Any = None, *, domain: Domain,
                 columns: list[str] | None = None) -> Copies | None:
    """Exact-copy counts over every row of Spark DataFrames; None when no column is shared."""
    from pyspark.sql import functions as F

    frames = [f for f in (train, synthetic, holdout) if f is not None]
    names = columns or [c.name for c in domain if all(c.name in f.columns for f in frames)]
    if not names:
        return None
    cols = [domain[c] for c in names]
    # One Spark job: every row's hash tagged with its table, rows per hash and table, then sums.
    tagged = None
    for side, frame in (("t", train), ("s", synthetic), ("h", holdout)):
        if frame is not None:
            hashed = _hashes(frame.select(*[f"`{c}`" for c in names]), cols).withColumn("side", F.lit(side))
            tagged = hashed if tagged is None else tagged.unionByName(hashed)
    rows = lambda side: F.sum((F.col("side") == side).cast("long"))
    per_hash = tagged.groupBy(HASH).agg(rows("t").alias("t"), rows("s").alias("s"), rows("h").alias("h"))
    seen = F.col("t") > 0
    totals = per_hash.agg(
        F.sum("t").alias("train"), F.sum("s").alias("synthetic"), F.sum("h").alias("holdout"),
        F.sum(F.when(seen, F.col("s")).otherwise(0)).alias("copies"),
        F.sum(F.when(seen, F.col("h")).otherwise(0)).alias("held"),
        F.sum(F.when(F.col("t") > 1, F.col("t")).otherwise(0)).alias("repeats")).first()
    train_rows, synthetic_rows, holdout_rows = (int(totals[k] or 0) for k in ("train", "synthetic", "holdout"))
    exact = int(totals["copies"] or 0)
    held = int(totals["held"] or 0) / holdout_rows if holdout is not None and holdout_rows else None
    return Copies(exact, exact / max(synthetic_rows, 1), held,
                  int(totals["repeats"] or 0) / train_rows if train_rows else 0.0)


def _hashes(sdf: Any, cols: list[Any]) -> Any:
    """One column of row hashes (as text: uint64 does not fit Spark's long)."""
    schema = sdf.schema

    def hash_rows(batches):  # runs on the executors
        for batch in batches:
            hashes = row_hashes(canonical(normalize(batch, schema), cols))
            yield pd.DataFrame({HASH: hashes.astype(str).to_numpy()})

    return sdf.mapInPandas(hash_rows, f"{HASH} string")
