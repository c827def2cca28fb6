"""Stage 1, read: CSV, Parquet or a DataFrame in; a DataFrame out, with clear errors.

Bad input is refused with the file, line or column at fault and what to do; awkward but
valid data (duplicated names, infinities, time zones, mixed types) is handled, and each
change is logged and kept as a note (``df.attrs["notes"]``, the model's ``notes_``).
"""

from __future__ import annotations

import csv
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SynthRecordsError

log = logging.getLogger(__name__)
SOURCE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def load_table(source: str | Path | pd.DataFrame, *, format: str | None = None) -> pd.DataFrame:
    """Read a table. CSV columns that look like identifiers (leading zeros) stay strings."""
    if isinstance(source, pd.DataFrame):
        df, name = source.copy(), "DataFrame"
    else:
        path, name = Path(source), str(source)
        if not path.exists():
            raise SynthRecordsError(f"input file {path} not found; check the path")
        if path.is_dir():
            raise SynthRecordsError(f"{path} is a folder; give a .csv or .parquet file")
        fmt = format or SOURCE_FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise SynthRecordsError(f"{path}: cannot tell the format from the suffix {path.suffix!r}; use .csv or .parquet, or set input.format")
        if path.stat().st_size == 0:
            raise SynthRecordsError(f"{path} is empty (0 bytes); give a file with a header row and at least one data row")
        try:
            df = pd.read_parquet(path) if fmt == "parquet" else _read_csv(path)
        except SynthRecordsError:
            raise
        except UnicodeDecodeError as exc:
            raise SynthRecordsError(f"{path}: byte {exc.start} is not UTF-8 text; save the file as UTF-8") from None
        except pd.errors.EmptyDataError:
            raise SynthRecordsError(f"{path} has no header row (only blank lines); give a header row and at least one data row") from None
        except pd.errors.ParserError as exc:
            raise SynthRecordsError(f"{path}: {_csv_problem(path) or exc}") from None
        except (ValueError, OSError) as exc:
            raise SynthRecordsError(f"{path}: cannot read as {fmt}: {_one_line(exc)}; check that it is a valid {fmt} file") from None
    df = _rename_duplicates(df, name)
    _check(df, name)
    _infinities(df)
    return df


def _infinities(df: pd.DataFrame) -> None:
    # inf is no value a model (or a report) can use: it is read as missing, and said so.
    for column in df.columns[[pd.api.types.is_float_dtype(t) for t in df.dtypes]]:
        infinite = np.isinf(df[column].to_numpy(dtype=float, na_value=np.nan))
        if infinite.any():
            df[column] = df[column].mask(infinite)
            note(df, f"column {column!r}: {int(infinite.sum())} infinite values treated as missing")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def _read_csv(path: Path) -> pd.DataFrame:
    # pandas' own type inference, then columns it made numeric are re-read as text when
    # any value has a leading zero (postcodes, account numbers stay text, "02134" != 2134).
    df = pd.read_csv(path, low_memory=False)
    # pandas silently takes extra fields as an index, and pads short rows with nulls:
    # both are ragged rows; the csv module finds the line (only when a sign of it shows).
    suspicious = not isinstance(df.index, pd.RangeIndex) or (len(df.columns) and df.iloc[:, -1].isna().any())
    if suspicious and (problem := _csv_problem(path)):
        raise SynthRecordsError(f"{path}: {problem}")
    header = _csv_header(path)
    if header is not None and len(header) == len(df.columns) and len(set(header)) < len(header):
        df.columns = header  # pandas renames a repeated "a" to "a.1" silently; we say so
        df = _rename_duplicates(df, str(path))
    numeric = df.select_dtypes("number").columns.tolist()
    if numeric:
        raw = pd.read_csv(path, usecols=[df.columns.get_loc(c) for c in numeric], dtype=str)
        raw.columns = numeric
        for column in numeric:
            if raw[column].str.match(r"^-?0\d", na=False).any():
                df[column] = raw[column]
    return df


def _csv_header(path: Path) -> list[str] | None:
    with open(path, newline="", encoding="utf-8") as fh:
        try:
            return next(csv.reader(fh))
        except (StopIteration, csv.Error):
            return None


def _csv_problem(path: Path) -> str | None:
    """The first ragged or unterminated row of a CSV file, by line number, or None."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, strict=True)
        start = 1
        try:
            header = next(reader)
            start = reader.line_num + 1
            for row in reader:
                if row and len(row) != len(header):
                    return (f"line {start} has {len(row)} field{'s' * (len(row) != 1)} but the header has {len(header)}; "
                            "quote values that contain commas, or fix that row")
                start = reader.line_num + 1
        except csv.Error as exc:
            return (f"line {start}: {exc} (a quoted value is probably not closed); "
                    "close the quote or remove the stray quote character")
        except StopIteration:
            return None
    return None


def _rename_duplicates(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Repeated column names become ``a``, ``a_2``, ``a_3``... with a note."""
    if df.columns.is_unique:
        return df
    seen: set[str] = set()
    names = []
    for column in df.columns:
        new, k = column, 1
        while new in seen:
            k += 1
            new = f"{column}_{k}"
        seen.add(new)
        names.append(new)
    renamed = [f"{old!r} -> {new!r}" for old, new in zip(df.columns, names, strict=True) if old != new]
    df.columns = names
    note(df, f"{name}: duplicate column names renamed: {', '.join(renamed)}")
    return df


def note(df: pd.DataFrame, text: str) -> None:
    """Log a change made to the user's data and keep it with the frame."""
    log.warning(text)
    notes = df.attrs.setdefault("notes", [])
    if text not in notes:
        notes.append(text)


def _check(df: pd.DataFrame, name: str) -> None:
    if len(df.columns) == 0:
        raise SynthRecordsError(f"{name}: the table has no columns; give a header row and at least one data row")
    if df.empty:
        raise SynthRecordsError(f"{name}: the table is empty (a header but no rows); give at least one data row")
    unnamed = [c for c in df.columns if not str(c).strip() or str(c).startswith("Unnamed:")]
    if unnamed:
        raise SynthRecordsError(f"{name}: columns without a header {unnamed}; give every column a name")


@dataclass
class Prepared:
    """A table ready to model: what was changed (notes) and the time zones to restore."""

    data: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    timezones: dict[str, str] = field(default_factory=dict)


def prepare(df: pd.DataFrame) -> Prepared:
    """Make awkward but valid data modellable; refuse only what cannot be modelled.

    Infinities become missing (``load_table``); tz-aware datetimes are modelled in UTC (the zone is
    restored on sampling); columns mixing numbers and text become text; columns holding
    lists or dicts are refused with the column and row named.
    """
    df = load_table(df)
    zones: dict[str, str] = {}
    for column in df.columns:
        series = df[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            zones[str(column)] = str(series.dt.tz)
            df[column] = series.dt.tz_convert("UTC").dt.tz_localize(None)
            note(df, f"column {column!r}: time zone {series.dt.tz} modelled in UTC and restored in the output")
        elif series.dtype == object:
            _object_column(df, column)
    return Prepared(df, list(df.attrs.get("notes", [])), zones)


def _object_column(df: pd.DataFrame, column: str) -> None:
    series = df[column]
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind == "mixed-integer-float":
        df[column] = pd.to_numeric(series)
        note(df, f"column {column!r}: integers and floats mixed; modelled as numbers")
    elif kind.startswith("mixed"):
        nested = series.map(lambda v: isinstance(v, (list, dict, set, tuple, np.ndarray)))
        if nested.any():
            row = int(np.flatnonzero(nested.to_numpy())[0])
            raise SynthRecordsError(f"column {column!r} holds {type(series.iloc[row]).__name__} values (row {row}), "
                                    "which cannot be modelled; flatten it into plain columns or drop it")
        df[column] = series.map(lambda v: v if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
        note(df, f"column {column!r}: values of mixed types ({kind}) modelled as text")


def restore_timezones(df: pd.DataFrame, zones: dict[str, str]) -> pd.DataFrame:
    """Sampled UTC datetimes back in each column's original zone."""
    for column, zone in zones.items():
        if column in df.columns:
            df[column] = pd.to_datetime(df[column], errors="coerce").dt.tz_localize("UTC").dt.tz_convert(zone)
    return df


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def frame_sha256(df: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes()).hexdigest()
