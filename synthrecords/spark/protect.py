"""Stage 3 on Spark: drop or fake direct identifiers, redact free text, in every partition.

The per-value work is ``synthrecords.pii.protect``'s own: ``redact_texts`` runs in a pandas
UDF per batch, ``consistent_value`` per distinct value in ``mapInPandas`` tasks. What the
pandas stage reads from the whole table is gathered by Spark first:

- the direct values (so a name from the name column is found again inside a note, and no
  surrogate equals a real value) are collected once as distinct strings and shipped to
  the tasks, up to ``max_known`` of them; past that, ``protect`` matches each batch
  against its own rows' direct values (logged), and ``pseudonymize`` refuses. Under an
  epsilon (``own_row``) nothing is gathered: each text is matched against its own row's
  direct values, which travel beside it into the UDF, so one record changes one row;
- fake plans (shapes only, no values) are learned on a driver-side row sample;
- in ``pseudonymize`` each distinct value's surrogate is computed once and joined back,
  so the same value gets the same surrogate in every partition. A unique column's
  surrogates computed in different tasks can collide; those few are redrawn on the
  driver with the next attempt of the same keyed stream.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import SynthRecordsError
from ..pii.fakes import FakePlan, consistent_value, learn_plan
from ..pii.leakage import ValueMatcher, cell_strings
from ..pii.policy import ProtectionPolicy
from ..pii.protect import MIN_SECRET_BYTES, _decisions, _known_values, _rejector, _row_values
from ..pii.scan import PiiReport
from ._frames import normalize, sample_pandas

log = logging.getLogger(__name__)

PLAN_ROWS = 5000  # rows sampled to the driver to learn the fake plans (learn_plan reads 5000)
MAX_KNOWN = 1_000_000  # distinct direct values shipped to every task


@dataclass
class SparkProtected:
    data: Any  # Spark DataFrame: the modelled columns, free text redacted
    fakes: list[FakePlan]
    column_order: list[str]
    actions: dict[str, str]


def protect(sdf: Any, report: PiiReport, *, policy: ProtectionPolicy | None = None,
            sample: pd.DataFrame | None = None, max_known: int = MAX_KNOWN, seed: int = 0,
            own_row: bool = False) -> SparkProtected:
    """``synthrecords.pii.protect.protect`` for a Spark DataFrame (lazy: nothing runs until used).

    ``own_row`` (set under an epsilon, as in pandas): each row's free text is redacted with
    that row's own direct values plus NER and patterns; nothing is gathered across rows."""
    from pyspark.sql import functions as F

    sample = sample_pandas(sdf, PLAN_ROWS, seed=seed)[0] if sample is None else sample
    decisions = _decisions(sample, report, policy)
    direct = [c for c, (cat, _, _) in decisions.items() if cat == "direct"]
    texts = [c for c, (cat, a, _) in decisions.items() if cat == "free_text" and a != "drop"]
    if own_row:
        tags = None  # the UDF takes the row's direct columns beside its text
    else:
        tags = _global_tags(sdf, decisions, direct, max_known) if texts and direct else {}
    out, fakes, order = sdf, [], []
    for column, (category, action, entities) in decisions.items():
        if action == "drop":
            continue
        order.append(column)
        if category == "direct":
            fakes.append(learn_plan(column, sample[column], entities, action))
    for column in texts:
        udf = _redactor(report.nlp_model, decisions, direct, tags, {}, own_row=own_row)
        out = out.withColumn(column, udf(F.col(column), *[F.col(c) for c in (direct if tags is None else [])]))
    kept = [c for c in order if decisions[c][0] != "direct"]
    log.info("spark protect: %d columns modelled, %d faked, %d dropped", len(kept), len(fakes),
             len(decisions) - len(order))
    return SparkProtected(out.select(kept), fakes, order, {c: a for c, (_, a, _) in decisions.items()})


def pseudonymize(sdf: Any, report: PiiReport, *, secret: bytes, policy: ProtectionPolicy | None = None,
                 sample: pd.DataFrame | None = None, max_known: int = MAX_KNOWN, seed: int = 0) -> Any:
    """``synthrecords.pii.protect.pseudonymize`` for a Spark DataFrame: real rows, each direct
    value replaced by its keyed surrogate, the same in every partition."""
    from pyspark.sql import functions as F

    if not isinstance(secret, bytes | bytearray) or len(secret) < MIN_SECRET_BYTES:
        raise SynthRecordsError(f"pseudonymize needs a secret of at least {MIN_SECRET_BYTES} random bytes "
                                f"(e.g. secrets.token_bytes(32)), kept outside the release")
    secret = bytes(secret)
    spark = sdf.sparkSession
    sample = sample_pandas(sdf, PLAN_ROWS, seed=seed)[0] if sample is None else sample
    decisions = _decisions(sample, report, policy)
    if any(a == "generalise" for _, a, _ in decisions.values()):
        raise SynthRecordsError("pseudonymize on Spark cannot generalise columns yet; use the pandas engine, or "
                                "keep/drop those columns")
    direct = [c for c, (cat, a, _) in decisions.items() if cat == "direct" and a != "drop"]
    all_direct = [c for c, (cat, _, _) in decisions.items() if cat == "direct"]
    values = _distinct_cells(sdf, all_direct)
    if len(values) > max_known:
        raise SynthRecordsError(f"pseudonymize on Spark: {len(values)} distinct direct values exceed "
                                f"max_known={max_known}; raise max_known (driver and executor memory) "
                                f"or set those columns' action to 'drop'")
    known_all = {c: set(values.loc[values["column"] == c, "value"]) for c in all_direct}
    out, replacements = sdf, {}
    for column in direct:
        _, action, entities = decisions[column]
        plan = learn_plan(column, sample[column], entities, action)
        mapping = _keyed_mapping(spark, plan, sorted(known_all.get(column, ())), secret, known_all)
        replacements.update({k.casefold(): v for k, v in mapping.items()})
        mdf = spark.createDataFrame(pd.DataFrame({"_real": list(mapping), "_fake": list(mapping.values())}),
                                    "_real string, _fake string")
        typed = sdf.schema[column].dataType.typeName() in ("long", "integer", "short", "byte")
        numeric = typed and all(v.isdigit() and len(v) <= 18 for v in mapping.values())
        out = (out.withColumn("_real", _cell_expr(sdf, column)).join(F.broadcast(mdf), "_real", "left")
               .withColumn(column, F.col("_fake").cast("long") if numeric else F.col("_fake"))
               .drop("_real", "_fake"))
    texts = [c for c, (cat, a, _) in decisions.items() if cat == "free_text" and a != "drop"]
    tags = _known_values(_frame_of(known_all), decisions)[1] if texts else {}
    for column in texts:
        udf = _redactor(report.nlp_model, decisions, [], tags, replacements)
        out = out.withColumn(column, udf(F.col(column)))
    keep = [c for c, (_, a, _) in decisions.items() if a != "drop"]
    return out.select(keep)


# ---------------------------------------------------------------- helpers


def _distinct_cells(sdf: Any, columns: list[str]) -> pd.DataFrame:
    """Distinct (column, cell string) pairs of ``columns``, computed on the cluster."""
    if not columns:
        return pd.DataFrame({"column": [], "value": []})
    schema = sdf.select(columns).schema

    def cells(batches):
        for batch in batches:
            pdf = normalize(batch, schema)
            yield pd.concat([pd.DataFrame({"column": c, "value": cell_strings(pdf[c]).unique()}) for c in columns])

    return sdf.select(columns).mapInPandas(cells, "column string, value string").distinct().toPandas()


def _frame_of(values: dict[str, set]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(sorted(v), dtype=object) for c, v in values.items()})


def _global_tags(sdf: Any, decisions: dict, direct: list[str], max_known: int) -> dict[str, str] | None:
    """value (case-folded) -> redaction tag over the whole table; None past ``max_known``."""
    values = _distinct_cells(sdf, direct)
    if len(values) > max_known:
        log.warning("spark protect: %d distinct direct values exceed max_known=%d; free text is matched "
                    "against the direct values of its own batch only", len(values), max_known)
        return None
    by_column = {c: set(values.loc[values["column"] == c, "value"]) for c in direct}
    return _known_values(_frame_of(by_column), decisions)[1]


def _redactor(nlp_model: str | None, decisions: dict, direct: list[str], tags: dict[str, str] | None,
              replacements: dict[str, str], own_row: bool = False):
    """A pandas UDF redacting one text column; with ``tags`` None it also takes the direct
    columns and matches each text against its own row's direct values (``own_row``) or
    against every direct value of its batch."""
    from pyspark.sql.functions import pandas_udf

    def redact(texts: pd.Series, *direct_values: pd.Series) -> pd.Series:
        from ..pii.engine import get_engine
        from ..pii.redact import redact_texts

        if own_row:  # the pandas rule (protect(own_row=True)): the row's values, nobody else's
            frame = pd.DataFrame(dict(zip(direct, direct_values)), index=texts.index)
            row_known = _row_values(frame, {c: decisions[c] for c in direct})
            return redact_texts(texts, get_engine(nlp_model), row_known=row_known).astype(object)
        if tags is None:
            matcher, known = _known_values(pd.DataFrame(dict(zip(direct, direct_values))),
                                           {c: decisions[c] for c in direct})
        else:
            matcher, known = _matcher(tags), tags
        return redact_texts(texts, get_engine(nlp_model), known=matcher, known_tags=known,
                            replacements=replacements).astype(object)

    return pandas_udf(redact, "string")


_MATCHERS: dict[int, ValueMatcher] = {}  # per worker process: built once per shipped tag set


def _matcher(tags: dict[str, str]) -> ValueMatcher:
    key = id(tags)
    if key not in _MATCHERS:
        _MATCHERS.clear()
        _MATCHERS[key] = ValueMatcher(tags)
    return _MATCHERS[key]


def _cell_expr(sdf: Any, column: str) -> Any:
    """The cell string ``leakage.cell_strings`` gives, as a Spark expression."""
    from pyspark.sql import functions as F

    t = sdf.schema[column].dataType.typeName()
    if t in ("double", "float"):  # integral floats are IDs read with NaN: "123", not "123.0"
        c = F.col(column)
        return F.trim(F.when(c == F.floor(c), c.cast("long").cast("string")).otherwise(c.cast("string")))
    return F.trim(F.col(column).cast("string"))


def _keyed_mapping(spark: Any, plan: FakePlan, values: list[str], secret: bytes,
                   known: dict[str, set]) -> dict[str, str]:
    """real cell string -> surrogate, computed in Spark tasks; collisions redrawn here."""
    forbidden = {c: v for c, v in known.items()}

    def surrogates(batches):
        reject = _rejector(forbidden)
        for batch in batches:
            taken: set[str] = set()
            fakes = []
            for value in batch["_real"]:
                fakes.append(consistent_value(plan, value, secret, taken, reject))
                taken.add(fakes[-1])
            yield pd.DataFrame({"_real": batch["_real"], "_fake": fakes})

    if not values:
        return {}
    parts = max(1, min(spark.sparkContext.defaultParallelism * 4, len(values) // 2000 + 1))
    reals = spark.createDataFrame(pd.DataFrame({"_real": values}), "_real string").repartition(parts, "_real")
    mapping = dict(reals.sortWithinPartitions("_real").mapInPandas(surrogates, "_real string, _fake string")
                   .toPandas().itertuples(index=False, name=None))
    if plan.unique:
        _redraw_collisions(plan, mapping, secret, _rejector(forbidden))
    return mapping


def _redraw_collisions(plan: FakePlan, mapping: dict[str, str], secret: bytes, reject) -> None:
    # Same order as pandas' pseudonymize: the first real value (sorted) keeps its surrogate.
    owner: dict[str, str] = {}
    clashes = []
    for value in sorted(mapping):
        if mapping[value] in owner:
            clashes.append(value)
        else:
            owner[mapping[value]] = value
    taken = set(owner)
    for value in clashes:
        mapping[value] = consistent_value(plan, value, secret, taken, reject)
        taken.add(mapping[value])
    if clashes:
        log.info("spark pseudonymize: %d surrogates of %r redrawn after a cross-task collision", len(clashes),
                 plan.column)
