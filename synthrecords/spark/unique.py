"""Unique fakes across partitions: duplicates found by Spark, redrawn on the driver.

Each chunk draws its fakes with ``fakes.generate_columns``, which keeps a unique column
unique within the chunk only; chunks draw independently (each from its own secret seed),
so uniqueness over the whole output is restored after generation: every row carries a
deterministic id (``__row``: its partition's offset plus its position), a window over
each unique column keeps the first occurrence of a value (lowest id) and lists the later
ones, and those few get fresh values drawn on the driver from the same plan, each checked
against the whole output on Spark before it is used. The replacements are joined back by
id. Like the pandas path, no fake is drawn or checked against the real identifiers.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from typing import Any

import pandas as pd

from ..errors import SynthRecordsError
from ..pii.fakes import FakePlan, fake_rng, generate_column
from ._frames import conform

log = logging.getLogger(__name__)

ROW = "__row"
MAX_ROUNDS = 20


def unique_plans(plans: list[FakePlan], columns: list[str]) -> list[FakePlan]:
    return [p for p in plans if p.unique and p.column in columns]


def duplicate_rows(sdf: Any, column: str) -> list[int]:
    """Ids of the rows whose value of ``column`` an earlier row (lower id) already holds."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    col = F.col(f"`{column}`")
    order = Window.partitionBy(col).orderBy(ROW)
    later = sdf.where(col.isNotNull()).select(ROW, F.row_number().over(order).alias("n")).where("n > 1")
    return sorted(r[0] for r in later.select(ROW).collect())


def fresh_values(sdf: Any, plan: FakePlan, k: int, *, fake_seed: int | None = None) -> list[Any]:
    """``k`` values of ``plan`` that no row of ``sdf`` holds, distinct (secret seed unless ``fake_seed``)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    field = sdf.schema[plan.column]
    schema = T.StructType([T.StructField(plan.column, field.dataType, True)])
    full = dataclasses.replace(plan, null_share=0.0)  # replacing values, not nulls
    rng = fake_rng(fake_seed)
    out: list[Any] = []
    for _ in range(MAX_ROUNDS):
        want = k - len(out)
        drawn = generate_column(full, 2 * want + 8, rng)  # some will be taken
        typed = conform(pd.DataFrame({plan.column: drawn}), schema)[plan.column].dropna()
        have = set(out)
        candidates = [v for v in dict.fromkeys(typed.tolist()) if v not in have]
        if not candidates:
            continue
        # the candidates already in the output: a semi join (an isin of thousands of literals is slow)
        probe = sdf.sparkSession.createDataFrame(pd.DataFrame({plan.column: candidates}), schema)
        column = sdf.select(F.col(f"`{plan.column}`"))
        taken = {r[0] for r in F.broadcast(probe).join(column, plan.column, "left_semi").collect()}
        out += [v for v in candidates if v not in taken][:want]
        if len(out) == k:
            return out
    raise SynthRecordsError(f"column {plan.column!r}: found only {len(out)} of {k} values unused in the output after "
                            f"{MAX_ROUNDS} rounds (the fake's value space is nearly exhausted); set its action to "
                            "'hash' in the pii policy, or sample fewer rows")


def make_unique(spark: Any, sdf: Any, plans: list[FakePlan], *, seed: int | None = None,
                forbidden: dict[str, set] | None = None) -> tuple[Any, dict[str, int]]:
    """``sdf`` (with ``__row``) with every unique plan's column unique over all rows, and the
    number of values redrawn per column. ``sdf`` should be persisted: it is read several times.
    ``seed`` (public) no longer seeds fakes and ``forbidden`` is ignored (deprecated)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if forbidden is not None:
        warnings.warn("make_unique(forbidden=...) is ignored: fakes are drawn independently of the real data",
                      DeprecationWarning, stacklevel=2)
    plans = unique_plans(plans, sdf.columns)
    redrawn: dict[str, int] = {}
    replacements: dict[str, pd.Series] = {}
    for plan in plans:
        rows = duplicate_rows(sdf, plan.column)
        redrawn[plan.column] = len(rows)
        if rows:
            values = fresh_values(sdf, plan, len(rows))
            replacements[plan.column] = pd.Series(values, index=rows, dtype=object)
    if not replacements:
        return sdf, redrawn
    log.info("spark sample: redrew %s duplicate fakes across partitions", redrawn)
    table = pd.DataFrame(replacements)
    table.index.name = ROW
    table = table.reset_index()
    fields = [T.StructField(ROW, T.LongType(), False)]
    fields += [T.StructField(f"__new_{c}", sdf.schema[c].dataType, True) for c in replacements]
    renamed = table.rename(columns={c: f"__new_{c}" for c in replacements})
    schema = T.StructType(fields)
    patch = spark.createDataFrame(conform(renamed, schema), schema)
    joined = sdf.join(F.broadcast(patch), ROW, "left")
    fixed = joined.select(*[F.coalesce(F.col(f"`__new_{c}`"), F.col(f"`{c}`")).alias(c) if c in replacements
                            else F.col(f"`{c}`") for c in sdf.columns])
    return fixed, redrawn
