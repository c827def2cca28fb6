"""Stage 1, read: CSV, Parquet or a DataFrame in; a DataFrame out, with clear errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from .errors import SynthRecordsError

SOURCE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def load_table(source: str | Path | pd.DataFrame, *, format: str | None = None) -> pd.DataFrame:
    """Read a table. CSV columns that look like identifiers (leading zeros) stay strings."""
    if isinstance(source, pd.DataFrame):
        df = source.copy()
    else:
        path = Path(source)
        if not path.exists():
            raise SynthRecordsError(f"input file {path} not found")
        fmt = format or SOURCE_FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise SynthRecordsError(f"{path}: cannot tell the format from the suffix {path.suffix!r}; use .csv or .parquet, or set input.format")
        try:
            df = pd.read_parquet(path) if fmt == "parquet" else _read_csv(path)
        except (ValueError, OSError, pd.errors.ParserError) as exc:
            raise SynthRecordsError(f"{path}: cannot read as {fmt}: {exc}") from exc
    _check(df, str(source) if not isinstance(source, pd.DataFrame) else "DataFrame")
    return df


def _read_csv(path: Path) -> pd.DataFrame:
    # pandas' own type inference, then columns it made numeric are re-read as text when
    # any value has a leading zero (postcodes, account numbers stay text, "02134" != 2134).
    df = pd.read_csv(path, low_memory=False)
    numeric = df.select_dtypes("number").columns.tolist()
    if numeric:
        raw = pd.read_csv(path, usecols=numeric, dtype=str)
        for column in numeric:
            if raw[column].str.match(r"^-?0\d", na=False).any():
                df[column] = raw[column]
    return df


def _check(df: pd.DataFrame, name: str) -> None:
    if df.empty or len(df.columns) == 0:
        raise SynthRecordsError(f"{name}: the table is empty; give at least one row and one column")
    duplicated = df.columns[df.columns.duplicated()].tolist()
    if duplicated:
        raise SynthRecordsError(f"{name}: duplicate column names {duplicated}; rename them")
    unnamed = [c for c in df.columns if not str(c).strip() or str(c).startswith("Unnamed:")]
    if unnamed:
        raise SynthRecordsError(f"{name}: columns without a header {unnamed}; give every column a name")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def frame_sha256(df: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes()).hexdigest()
