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
    hashed = [None if f is None else _hashes(f.select(*[f"`{c}`" for c in names]), cols)
              for f in (train, synthetic, holdout)]
    known = hashed[0].distinct()
    synthetic_rows = hashed[1].count()
    exact = hashed[1].join(known, HASH, "left_semi").count()
    repeats = hashed[0].groupBy(HASH).count().where(F.col("count") > 1).agg(F.sum("count")).first()[0] or 0
    train_rows = hashed[0].count()
    held = None
    if hashed[2] is not None:
        total = hashed[2].count()
        held = hashed[2].join(known, HASH, "left_semi").count() / total if total else None
    return Copies(int(exact), exact / max(synthetic_rows, 1), held, repeats / train_rows if train_rows else 0.0)


def _hashes(sdf: Any, cols: list[Any]) -> Any:
    """One column of row hashes (as text: uint64 does not fit Spark's long)."""
    schema = sdf.schema

    def hash_rows(batches):  # runs on the executors
        for batch in batches:
            hashes = row_hashes(canonical(normalize(batch, schema), cols))
            yield pd.DataFrame({HASH: hashes.astype(str).to_numpy()})

    return sdf.mapInPandas(hash_rows, f"{HASH} string")
