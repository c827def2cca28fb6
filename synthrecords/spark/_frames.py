"""Spark <-> pandas conversions shared by the Spark stages.

Arrow hands every partition to pandas on its own, so an integer column becomes float64
in a partition that happens to hold a null and int64 in one that does not. The stages
merge results across partitions (histogram keys, surrogates), so ``normalize`` gives one
pandas dtype per Spark type whatever the partition holds.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import SynthRecordsError


def normalize(pdf: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """``pdf`` with stable dtypes: integers Int64, booleans boolean, dates datetime64, decimals float."""
    from pyspark.sql import types as T

    out = {}
    for field in schema.fields:
        s = pdf[field.name]
        t = field.dataType
        if isinstance(t, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
            s = s.astype("Int64")
        elif isinstance(t, T.BooleanType):
            s = s.astype("boolean")
        elif isinstance(t, T.DateType):
            s = pd.to_datetime(s)
        elif isinstance(t, (T.DecimalType, T.FloatType)):
            s = s.astype("float64")
        out[field.name] = s
    return pd.DataFrame(out, index=pdf.index)


def row_count(sdf: Any) -> int:
    n = int(sdf.count())
    if n == 0:
        raise SynthRecordsError("the Spark DataFrame has no rows; give at least one row")
    return n


def sample_pandas(sdf: Any, rows: int, *, seed: int = 0, total: int | None = None) -> tuple[pd.DataFrame, int]:
    """A seeded random sample of at most ``rows`` rows on the driver, and the true row count."""
    from pyspark.sql import functions as F

    n = total if total is not None else row_count(sdf)
    if n > rows:
        # Bernoulli with headroom, then a seeded shuffle: a uniform sample of exactly `rows`.
        fraction = min(1.0, 1.1 * rows / n + 100 / n)
        sdf = sdf.sample(withReplacement=False, fraction=fraction, seed=seed).orderBy(F.rand(seed)).limit(rows)
    pdf = normalize(sdf.toPandas(), sdf.schema)
    return pdf.reset_index(drop=True), n


def spark_type_for(series: pd.Series) -> Any:
    """The Spark type a pandas column is written as (nullable integers stay integers)."""
    from pyspark.sql import types as T

    if pd.api.types.is_bool_dtype(series):
        return T.BooleanType()
    if pd.api.types.is_integer_dtype(series):
        return T.LongType()
    if pd.api.types.is_float_dtype(series):
        return T.DoubleType()
    if pd.api.types.is_datetime64_any_dtype(series):
        return T.TimestampType()
    return T.StringType()


def conform(pdf: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """``pdf`` cast to ``schema`` column by column, so Arrow accepts every partition alike."""
    from pyspark.sql import types as T

    out = {}
    for field in schema.fields:
        s = pdf[field.name] if field.name in pdf.columns else pd.Series([None] * len(pdf), index=pdf.index)
        t = field.dataType
        if isinstance(t, T.LongType):
            s = pd.to_numeric(s, errors="coerce").round().astype("Int64")
        elif isinstance(t, T.DoubleType):
            s = pd.to_numeric(s, errors="coerce").astype("float64")
        elif isinstance(t, T.BooleanType):
            s = s.astype("boolean")
        elif isinstance(t, T.TimestampType):
            s = pd.to_datetime(s, errors="coerce")
        else:
            s = s.map(lambda v: None if pd.api.types.is_scalar(v) and pd.isna(v) else str(v)).astype(object)
        out[field.name] = s
    return pd.DataFrame(out, index=pdf.index)


def numpy_dtypes(pdf: pd.DataFrame) -> pd.DataFrame:
    """Nullable pandas dtypes back to what ``read.load_table`` gives (int64, or float64 with
    nulls; bool, or object with nulls): engines and model files expect those."""
    out = {}
    for name in pdf.columns:
        s = pdf[name]
        if isinstance(s.dtype, pd.Int64Dtype):
            s = s.astype("int64") if not s.isna().any() else s.astype("float64")
        elif isinstance(s.dtype, pd.BooleanDtype):
            s = s.astype(bool) if not s.isna().any() else s.astype(object)
        out[name] = s
    return pd.DataFrame(out, index=pdf.index)
