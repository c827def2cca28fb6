"""The leakage check on Spark: no real direct-identifier value in the output, on every row.

``synthrecords.pii.leakage.check_leakage`` holds every real identifier in one in-memory
matcher; a table that needs Spark may not fit. Here both sides stay on the cluster and
the matching becomes two joins with the same rules:

- exact: an output cell, as a reader sees it (stripped, integral doubles without ".0",
  case-folded), equal to a real identifier value;
- substring: every whole-word span of an output text cell (1 to ``max_tokens`` word
  tokens, the same tokens and separators as ``ValueMatcher``) equal to the core of a real
  value of at least ``MIN_LENGTH`` characters. Overlapping spans are all looked up, so a
  text can count more findings than the pandas matcher's leftmost-longest scan; a leak
  is never missed because of it.

Digit-only values under ``MIN_CROSS_DIGITS`` digits count only in their own column, and
a cell that is also a value of the same real quasi/none column is excused, as in pandas.
Spark keeps no row positions: findings carry ``row = None`` and the value's column.
``values_in`` answers the narrower question the report needs for failing examples:
which real values (exact or as whole words) occur in a few short texts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..pii.leakage import (
    _TOKEN,
    MAX_FINDINGS,
    MIN_CROSS_DIGITS,
    MIN_LENGTH,
    LeakageCheck,
    chance_allowance,
    chance_notes,
    core,
)
from ..pii.scan import PiiReport

log = logging.getLogger(__name__)

MAX_SPAN_TOKENS = 12  # longest real value looked for inside a text, in word tokens
_TEXTUAL = ("string",)
_NUMERIC = ("integer", "long", "short", "byte", "double", "float", "decimal")


def spans(text: str, max_tokens: int) -> list[str]:
    """Case-folded whole-word spans of ``text`` of 1..max_tokens tokens, minus the whole text."""
    tokens = list(_TOKEN.finditer(text))
    out = []
    for i in range(len(tokens)):
        for n in range(1, min(max_tokens, len(tokens) - i) + 1):
            start, end = tokens[i].start(), tokens[i + n - 1].end()
            if end - start != len(text):
                out.append(text[start:end].casefold())
    return out


def cell_text(sdf: Any, column: str, integral: bool) -> Any:
    """The column as ``leakage.cell_strings`` writes it (stripped; integral doubles as integers)."""
    from pyspark.sql import functions as F
    from pyspark.sql.functions import pandas_udf

    kind = sdf.schema[column].dataType.typeName()
    col = F.col(f"`{column}`")
    if kind in _NUMERIC and kind not in ("double", "float", "decimal"):
        return col.cast("string")
    if kind in ("double", "float", "decimal"):
        return (col.cast("long") if integral else col).cast("string")
    strip = pandas_udf(lambda s: s.str.strip(), "string")
    return strip(col.cast("string"))


def _integral(sdf: Any, columns: list[str]) -> set[str]:
    """Columns of doubles whose every value is whole (cell_strings drops their '.0')."""
    from pyspark.sql import functions as F

    floats = [c for c in columns if sdf.schema[c].dataType.typeName() in ("double", "float", "decimal")]
    if not floats:
        return set()
    row = sdf.select([F.max(F.abs(F.col(f"`{c}`") - F.round(F.col(f"`{c}`")))).alias(c) for c in floats]).first()
    return {c for c in floats if row[c] is None or row[c] == 0}


def _cells(sdf: Any, columns: list[str]) -> Any:
    """(found_in, text) for every non-null cell of ``columns``, texts as a reader sees them."""
    from pyspark.sql import functions as F

    integral = _integral(sdf, columns)
    parts = [F.struct(F.lit(c).alias("found_in"), cell_text(sdf, c, c in integral).alias("text")) for c in columns]
    return (sdf.select(F.explode(F.array(*parts)).alias("cell")).select("cell.*")
            .where(F.col("text").isNotNull()))


def _owners(real: Any, columns: list[str]) -> Any:
    """(value, core, source): each distinct real value of ``columns``, case-folded, and its core."""
    from pyspark.sql import functions as F
    from pyspark.sql.functions import pandas_udf

    fold = pandas_udf(lambda s: s.str.casefold(), "string")
    cores = pandas_udf(lambda s: s.map(core), "string")
    cells = _cells(real, columns).select(fold("text").alias("value"), F.col("found_in").alias("source")).distinct()
    return cells.withColumn("core", cores("value"))


def check_leakage(real: Any, output: Any, report: PiiReport, *, max_tokens: int = MAX_SPAN_TOKENS,
                  spaces: Mapping[str, float] | None = None) -> LeakageCheck:
    """``leakage.check_leakage`` for Spark DataFrames: every output row against every real value
    (``spaces``: the chance rule of uniformly drawn fake formats, as in pandas)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.functions import pandas_udf

    direct = [c for c in report.columns_in("direct") if c in real.columns]
    columns = [f.name for f in output.schema.fields if f.dataType.typeName() in _TEXTUAL + _NUMERIC]
    skipped = [c for c in output.columns if c not in columns]
    notes = [f"values shorter than {MIN_LENGTH} characters are not searched",
             f"digit-only values under {MIN_CROSS_DIGITS} digits are compared only with their own column",
             "substring matches are whole-word and case-insensitive; on Spark every overlapping span is looked up",
             "checked on Spark over every output row; rows are not numbered there (row = null)",
             f"inside texts, real values of up to {max_tokens} words are looked for; longer ones as whole cells"]
    if skipped:
        notes.append(f"columns of date, time or boolean type are not searched: {skipped}")
    if not direct or not columns:
        return LeakageCheck(True, direct, [], 0, 0, 0, notes)

    owners = _owners(real, direct).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        ignored = owners.where(F.length("core") < MIN_LENGTH).select("value").distinct().count()
        fold = pandas_udf(lambda s: s.str.casefold(), "string")
        cells = _cells(output, columns).withColumn("folded", fold("text"))
        exact = (cells.join(owners, cells.folded == owners.value)
                 .where(F.length("value") >= MIN_LENGTH)
                 .select("source", "found_in", "value", F.col("folded").alias("cell"), F.lit("exact").alias("kind")))
        texts = [f.name for f in output.schema.fields if f.dataType.typeName() in _TEXTUAL]
        substring = None
        if texts:
            count = pandas_udf(lambda s: s.map(lambda v: len(_TOKEN.findall(v))), "int")
            longest = owners.where(F.length("core") >= MIN_LENGTH).agg(F.max(count("core"))).first()[0] or 1
            width = int(min(max_tokens, longest))
            explode = pandas_udf(lambda s: s.map(lambda t: spans(t, width)), "array<string>")
            distinct_texts = cells.where(F.col("found_in").isin(texts)).select("found_in", "text", "folded").distinct()
            spanned = distinct_texts.select("found_in", F.col("folded").alias("cell"),
                                            F.explode(explode("text")).alias("span"))
            substring = (spanned.join(owners.where(F.length("core") >= MIN_LENGTH), F.col("span") == F.col("core"))
                         .select("source", "found_in", "value", "cell", F.lit("substring").alias("kind")))
        hits = exact if substring is None else exact.unionByName(substring)
        hits = hits.where((F.col("source") == F.col("found_in"))
                          | ~(F.col("value").rlike(r"^[0-9]+$") & (F.length("value") < MIN_CROSS_DIGITS)))
        categories = [c for c in report.columns_in("quasi", "none") if c in real.columns and c in output.columns]
        if categories:
            known = _cells(real, categories).select(F.col("found_in").alias("category_column"),
                                                    fold("text").alias("category")).distinct()
            hits = hits.join(known, (hits.found_in == known.category_column) & (hits.cell == known.category), "left")
            hits = hits.withColumn("excused", F.col("category").isNotNull())
        else:
            hits = hits.withColumn("excused", F.lit(False))
        chance = _chance(hits, real, output, spaces or {})
        if chance:  # equal cells of a uniformly drawn fake column that chance explains: not findings
            mine = (F.col("kind") == "exact") & (F.col("source") == F.col("found_in")) & F.col("source").isin(list(chance))
            hits = hits.where(~mine)
        counts = hits.groupBy("excused").count().collect()
        excused = sum(r["count"] for r in counts if r["excused"])
        total = sum(r["count"] for r in counts if not r["excused"])
        examples = hits.where(~F.col("excused")).select("source", "found_in", "kind").limit(MAX_FINDINGS).collect()
    finally:
        owners.unpersist()
    findings = [{"column": r["source"], "found_in": r["found_in"], "row": None, "kind": r["kind"]} for r in examples]
    notes.append(f"{excused} matches excused: the output cell is also a value of the same real quasi/none column")
    notes += chance_notes(chance)
    log.info("spark leakage: %d findings, %d excused, %d short values ignored", total, excused, ignored)
    return LeakageCheck(total == 0, direct, findings, int(total), int(ignored), int(excused), notes, chance)


def _chance(hits: Any, real: Any, output: Any, spaces: Mapping[str, float]) -> dict[str, dict[str, float]]:
    from pyspark.sql import functions as F

    if not spaces:
        return {}
    same = hits.where((F.col("kind") == "exact") & ~F.col("excused") & (F.col("source") == F.col("found_in")))
    found = {r["source"]: r["count"] for r in same.where(F.col("source").isin(list(spaces))).groupBy("source")
             .count().collect()}
    out = {}
    for column, n in found.items():
        distinct = [frame.select(F.countDistinct(F.col(f"`{column}`"))).first()[0] for frame in (output, real)]
        verdict = chance_allowance(n, distinct[0], distinct[1], spaces[column])
        if verdict:
            out[column] = verdict
    return out


def values_in(real: Any, columns: list[str], texts: list[str], *, max_tokens: int = MAX_SPAN_TOKENS) -> set[str]:
    """The real values of ``columns`` (case-folded) found in ``texts``: equal to one of them,
    or as whole words inside one. For a few short texts (failing examples), not a table."""
    from pyspark.sql import functions as F

    columns = [c for c in columns if c in real.columns]
    texts = [str(t).strip() for t in texts if t is not None and not (pd.api.types.is_scalar(t) and pd.isna(t))]
    if not columns or not texts:
        return set()
    whole = {t.casefold() for t in texts}
    parts = {s for t in texts for s in spans(t, max_tokens)}
    owners = _owners(real, columns)
    found = owners.where(F.col("value").isin(list(whole))
                         | (F.col("core").isin(list(parts)) & (F.length("core") >= MIN_LENGTH)))
    return {r["value"] for r in found.select("value").distinct().collect()}
