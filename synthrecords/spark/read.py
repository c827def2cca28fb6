"""Stage 1 on Spark: Parquet or CSV into a Spark DataFrame, typed like ``read.load_table``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import SynthRecordsError
from ..read import SOURCE_FORMATS


def read_table(spark: Any, source: str | Path | pd.DataFrame | Any, *, format: str | None = None) -> Any:
    """A Spark DataFrame from a path (CSV, Parquet file or folder), a pandas or a Spark DataFrame.

    CSV columns Spark infers as numbers stay text when a value has a leading zero
    ("02134" is a postcode, not 2134), as in the pandas reader; so do columns it infers as
    dates or timestamps (the pandas reader keeps them as text, and the domain reads their
    format off the text: a date stays a date, not a timestamp with invented times of day).
    """
    if hasattr(source, "sparkSession"):
        return source
    if isinstance(source, pd.DataFrame):
        return spark.createDataFrame(source)
    path = str(source)
    fmt = format or SOURCE_FORMATS.get(Path(path).suffix.lower()) or ("parquet" if Path(path).is_dir() else None)
    if fmt is None:
        raise SynthRecordsError(f"{path}: cannot tell the format from the suffix; use .csv or .parquet (a Parquet "
                                "folder is fine), or set input.format")
    if "://" not in path and not Path(path).exists():
        raise SynthRecordsError(f"input file {path} not found")
    if fmt == "parquet":
        return spark.read.parquet(path)
    from pyspark.sql import functions as F

    typed = spark.read.csv(path, header=True, inferSchema=True, mode="FAILFAST")
    numeric = [f.name for f in typed.schema.fields if f.dataType.typeName() in ("integer", "long", "double")]
    dated = [f.name for f in typed.schema.fields if f.dataType.typeName() in ("date", "timestamp", "timestamp_ntz")]
    if numeric or dated:
        text = spark.read.csv(path, header=True, inferSchema=False)
        keep_text = list(dated)
        if numeric:
            zeros = text.select([F.max(F.col(c).rlike(r"^-?0\d").cast("int")).alias(c) for c in numeric]).first()
            keep_text += [c for c in numeric if zeros[c]]
        if keep_text:
            typed = _with_text(typed, text, keep_text)
    return typed


def _with_text(typed: Any, text: Any, columns: list[str]) -> Any:
    # Re-reading the same file with every column as text keeps the rows aligned.
    return text.select([text[c] if c in columns else text[c].cast(typed.schema[c].dataType).alias(c)
                        for c in typed.columns])


def source_sha256(path: str | Path) -> str:
    """sha256 of a file, or of a folder's files (relative names and contents, sorted): a Parquet folder."""
    import hashlib

    from ..read import file_sha256

    path = Path(str(path).removeprefix("file://"))
    if path.is_file():
        return file_sha256(path)
    if not path.is_dir():
        raise SynthRecordsError(f"{path}: only local or mounted paths can be hashed for the report")
    digest = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "_"))):
        digest.update(f"{f.relative_to(path).as_posix()}\0{file_sha256(f)}\n".encode())
    return digest.hexdigest()
