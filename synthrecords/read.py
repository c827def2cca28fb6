"""Stage 1, read: CSV, Parquet or a DataFrame in; a DataFrame out, with clear errors.

Bad input is refused with the file, line or column at fault and what to do; awkward but
valid data (duplicated names, infinities, time zones, mixed types) is handled, and each
change is logged and kept as a note (``df.attrs["notes"]``, the model's ``notes_``).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SynthRecordsError

log = logging.getLogger(__name__)
SOURCE_FORMATS = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet", ".pq": "parquet"}
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}
# Numbers written for people: a currency sign, thousands separators, a percent sign ("$2,442.02",
# "-€1,200", "81.7%"). Read as text, each such value is near unique, so a model could only suppress
# them all; read as numbers, they are modelled as numbers and written back in the same form.
_WRITTEN = re.compile(r"^(?P<sign>-?)(?P<pre>[$€£¥]?)(?P<sign2>-?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)"
                      r"(?:\.(?P<frac>\d+))?(?P<suf>%?)$")
NUMBER_FORM = re.compile(r"^number:(?P<pre>[$€£¥]?)\|(?P<suf>%?)\|(?P<decimals>\d{1,2})\|(?P<thousands>[01])$")
# What a file really holds, by its first bytes, and what to do about it.
_MAGIC = [
    (b"\x1f\x8b", "gzip-compressed data", "name it .csv.gz (read as is) or decompress it"),
    (b"PK\x03\x04", "a zip archive", "extract the table from it"),
    (b"PAR1", "Parquet", 'name it .parquet, or set format="parquet" ([input] format in a job file)'),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or other Office file", "save the sheet as CSV UTF-8 or Parquet"),
    (b"SQLite format 3\x00", "an SQLite database", "export the table to CSV or Parquet"),
    (b"\xff\xfe", "UTF-16 text", "save the file as UTF-8"),
    (b"\xfe\xff", "UTF-16 text", "save the file as UTF-8"),
]


def load_table(source: str | Path | pd.DataFrame, *, format: str | None = None,
               delimiter: str | None = None) -> pd.DataFrame:
    """Read a table. CSV columns that look like identifiers (leading zeros) stay strings.

    The CSV delimiter (comma, semicolon, tab or pipe) is detected from the first rows unless
    given; a file whose bytes say it is not what its name says (gzip, xlsx, Parquet named
    .csv) is refused naming its real format.
    """
    if isinstance(source, pd.DataFrame):
        df, name = source.copy(), "DataFrame"
    else:
        path, name = Path(source), str(source)
        if not path.exists():
            raise SynthRecordsError(f"input file {path} not found; check the path")
        if path.is_dir():
            raise SynthRecordsError(f"{path} is a folder; give a .csv or .parquet file")
        fmt = format or SOURCE_FORMATS.get(file_suffix(path))
        if fmt is None:
            raise SynthRecordsError(f"{path}: cannot tell the format from the suffix {path.suffix!r}; use .csv or .parquet, or set input.format")
        if path.stat().st_size == 0:
            raise SynthRecordsError(f"{path} is empty (0 bytes); give a file with a header row and at least one data row")
        check_content(path, fmt)
        if delimiter is not None and delimiter not in DELIMITERS:
            raise SynthRecordsError(f"delimiter {delimiter!r}: use one of {', '.join(map(repr, DELIMITERS))}")
        try:
            df = pd.read_parquet(path) if fmt == "parquet" else _read_csv(path, delimiter)
        except SynthRecordsError:
            raise
        except UnicodeDecodeError as exc:
            raise SynthRecordsError(f"{path}: byte {exc.start} is not UTF-8 text; save the file as UTF-8") from None
        except pd.errors.EmptyDataError:
            raise SynthRecordsError(f"{path} has no header row (only blank lines); give a header row and at least one data row") from None
        except pd.errors.ParserError as exc:
            raise SynthRecordsError(f"{path}: {_csv_problem(path, delimiter or detect_delimiter(path)) or exc}") from None
        except (ValueError, OSError) as exc:
            raise SynthRecordsError(f"{path}: cannot read as {fmt}: {_one_line(exc)}; check that it is a valid {fmt} file") from None
    df = rename_duplicates(df, name)
    _check(df, name)
    _infinities(df)
    _written_numbers(df)
    return df


def as_read(df: pd.DataFrame) -> pd.DataFrame:
    """A sampled frame as ``load_table`` reads the file it is written to (numbers written for
    people are numbers again), for the checks run beside the write: real and synthetic compared
    in one form."""
    out = df.copy()
    out.attrs = {}
    _written_numbers(out, quiet=True)
    return out


def _written_numbers(df: pd.DataFrame, quiet: bool = False) -> None:
    """Text columns whose every value is a number written for people ("$2,442.02", "81.7%": one
    currency sign or percent sign shared by all, or thousands separators) become numbers; their
    form (``number:PRE|SUF|DECIMALS|THOUSANDS``, restored by ``restore_types``) is kept in
    ``df.attrs["number_forms"]``."""
    forms = df.attrs.setdefault("number_forms", {})
    for column in df.columns:
        series = df[column]
        if series.dtype != object:
            continue
        present = series.dropna()
        head = present.iloc[:100]  # most text columns fail on their first values: no pass over them all
        if head.empty or not all(isinstance(v, str) and _WRITTEN.match(v.strip()) for v in head):
            continue
        found = present.str.strip().str.extract(_WRITTEN)  # a value that is not text extracts nothing: skipped
        if found["int"].isna().any() or found["pre"].nunique() > 1 or found["suf"].nunique() > 1:
            continue
        pre, suf = str(found["pre"].iloc[0]), str(found["suf"].iloc[0])
        thousands = bool(found["int"].str.contains(",", regex=False).any())
        if not (pre or suf or thousands):  # plain digits: codes or identifiers kept as text on purpose
            continue
        decimals = int(found["frac"].fillna("").str.len().max())
        negative = (found["sign"] == "-") | (found["sign2"] == "-")
        magnitude = pd.to_numeric(found["int"].str.replace(",", "", regex=False) + "." + found["frac"].fillna("0"))
        df[column] = pd.Series(np.where(negative, -magnitude, magnitude), index=present.index).reindex(series.index)
        forms[str(column)] = f"number:{pre}|{suf}|{decimals}|{int(thousands)}"
        if not quiet:
            note(df, number_form_note(str(column), forms[str(column)]))


def number_form_note(column: str, form: str) -> str:
    """The read note of a column of numbers written in ``form``: the form only, never a real value
    (a note is kept in model folders)."""
    parts = NUMBER_FORM.match(form)
    assert parts is not None, form
    pre, suf, thousands = parts["pre"], parts["suf"], parts["thousands"] == "1"
    written = " and ".join(w for w in (pre and f"{pre!r}", suf and f"{suf!r}", thousands and "thousands separators") if w)
    return (f"column {column!r}: numbers written with {written} ({parts['decimals']} decimals) modelled as numbers and "
            "written back in that form")


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


def file_suffix(path: Path) -> str:
    """A table file's suffix, lower case: ".csv.gz" as one."""
    return ".csv.gz" if path.name.lower().endswith(".csv.gz") else path.suffix.lower()


def check_content(path: Path, fmt: str) -> None:
    """Refuse a file whose first bytes say it is not ``fmt``, naming what it is."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    found = next(((what, todo) for magic, what, todo in _MAGIC if head.startswith(magic)), None)
    if found and found[0] == "a zip archive" and _is_xlsx(path):
        found = ("an Excel workbook (xlsx)", "save the sheet as CSV UTF-8 or Parquet")
    gz = file_suffix(path) == ".csv.gz"
    if fmt == "csv" and gz and (found is None or found[0] != "gzip-compressed data"):
        raise SynthRecordsError(f"{path} is named .csv.gz but is not gzip-compressed; name it .csv")
    if fmt == "csv" and not gz and found is not None:
        raise SynthRecordsError(f"{path} is named {path.suffix or 'without a suffix'} but holds {found[0]}, not CSV "
                                f"text; {found[1]}")
    if fmt == "parquet" and (found is None or found[0] != "Parquet"):
        what, todo = found or ("text, not Parquet", 'name it .csv (or set format="csv") if it is CSV text')
        raise SynthRecordsError(f"{path} is read as Parquet but holds {what}; {todo}")


def _is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.startswith("xl/") for n in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _open_text(path: Path) -> io.TextIOBase:
    if file_suffix(path) == ".csv.gz":
        return gzip.open(path, "rt", newline="", encoding="utf-8")
    return open(path, newline="", encoding="utf-8")


def detect_delimiter(path: Path) -> str:
    """The delimiter that splits the first rows into the most fields, the same number on every row.

    Comma unless another candidate does strictly better, so a ragged comma file is still
    reported as ragged rather than re-read with another delimiter.
    """
    with _open_text(path) as fh:
        sample = fh.read(1 << 16)
        truncated = bool(fh.read(1))
    best, fields = ",", 1
    for candidate in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=candidate) if r]
        except csv.Error:
            continue
        rows = rows[:-1] if truncated and len(rows) > 1 else rows  # the last row may be cut short
        if rows and len(rows[0]) > fields and all(len(r) == len(rows[0]) for r in rows[:200]):
            best, fields = candidate, len(rows[0])
    return best


def _read_csv(path: Path, delimiter: str | None = None) -> pd.DataFrame:
    # pandas' own type inference, then columns it made numeric are re-read as text when
    # any value has a leading zero (postcodes, account numbers stay text, "02134" != 2134).
    sep = delimiter or detect_delimiter(path)
    df = pd.read_csv(path, low_memory=False, sep=sep)
    if sep != "," and delimiter is None:
        note(df, f"{path}: fields separated by {DELIMITERS[sep]} (detected from the first rows)")
    if len(df.columns) == 1 and (inside := [d for d in DELIMITERS if d != sep and d in str(df.columns[0])]):
        # One column whose name holds a delimiter: rows were not split, and a model would
        # learn (and emit) whole real records as single values.
        raise SynthRecordsError(
            f"{path}: read as one column named {str(df.columns[0])[:60]!r}, which holds {DELIMITERS[inside[0]]}; "
            f"the rows are not consistently split by one delimiter; pass delimiter={inside[0]!r} (API) or "
            f"[input] delimiter = {json.dumps(inside[0])} (job file), or save the file with commas")
    # pandas silently takes extra fields as an index, and pads short rows with nulls:
    # both are ragged rows; the csv module finds the line (only when a sign of it shows).
    suspicious = not isinstance(df.index, pd.RangeIndex) or (len(df.columns) and df.iloc[:, -1].isna().any())
    if suspicious and (problem := _csv_problem(path, sep)):
        raise SynthRecordsError(f"{path}: {problem}")
    header = csv_header(path, sep)
    if header is not None and len(header) == len(df.columns) and len(set(header)) < len(header):
        df.columns = header  # pandas renames a repeated "a" to "a.1" silently; we say so
        df = rename_duplicates(df, str(path))
    numeric = df.select_dtypes("number").columns.tolist()
    if numeric:
        raw = pd.read_csv(path, usecols=[df.columns.get_loc(c) for c in numeric], dtype=str, sep=sep)
        raw.columns = numeric
        for column in numeric:
            if raw[column].str.match(r"^-?0\d", na=False).any():
                df[column] = raw[column]
    return df


def csv_header(path: Path, sep: str = ",") -> list[str] | None:
    """A CSV's column names as written (a byte-order mark dropped, as pandas drops it)."""
    with _open_text(path) as fh:
        try:
            names = next(csv.reader(fh, delimiter=sep))
        except (StopIteration, csv.Error):
            return None
    return [names[0].removeprefix("\ufeff"), *names[1:]] if names else names


def _csv_problem(path: Path, sep: str = ",") -> str | None:
    """The first ragged or unterminated row of a CSV file, by line number, or None."""
    with _open_text(path) as fh:
        reader = csv.reader(fh, strict=True, delimiter=sep)
        start = 1
        try:
            header = next(reader)
            start = reader.line_num + 1
            for row in reader:
                if row and len(row) != len(header):
                    problem = f"line {start} has {len(row)} field{'s' * (len(row) != 1)} but the header has {len(header)}"
                    if _bare_carriage_return(path):
                        return (f"{problem}: a carriage return (\\r) inside an unquoted value ends its row early "
                                "(pandas' to_csv leaves such values unquoted); quote those values or remove the \\r")
                    return f"{problem}; quote values that contain commas, or fix that row"
                start = reader.line_num + 1
        except csv.Error as exc:
            return (f"line {start}: {exc} (a quoted value is probably not closed); "
                    "close the quote or remove the stray quote character")
        except StopIteration:
            return None
    return None


def _bare_carriage_return(path: Path) -> bool:
    """Whether the file holds a carriage return that is not part of a \\r\\n line end, in a file
    whose rows end in \\n: a value's own \\r, which the csv module (rightly) takes as a row end."""
    newline, carry = False, ""
    with _open_text(path) as fh:
        while chunk := fh.read(1 << 20):
            text, carry = carry + chunk, ""
            if text.endswith("\r"):  # its \n may open the next chunk
                text, carry = text[:-1], "\r"
            newline = newline or "\n" in text
            if re.search(r"\r(?!\n)", text) and newline:
                return True
    return False


def rename_duplicates(df: pd.DataFrame, name: str) -> pd.DataFrame:
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
    """A table ready to model: what was changed (notes), and the time zones and column types to restore."""

    data: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    timezones: dict[str, str] = field(default_factory=dict)
    dtypes: dict[str, str] = field(default_factory=dict)  # column -> "bool" | "int" | "float" | "datetime"


def prepare(df: pd.DataFrame) -> Prepared:
    """Make awkward but valid data modellable; refuse only what cannot be modelled.

    Infinities become missing (``load_table``); tz-aware datetimes are modelled in UTC (the zone is
    restored on sampling); columns mixing numbers and text become text; columns holding
    lists or dicts are refused with the column and row named.
    """
    df = load_table(df)
    zones: dict[str, str] = {}
    dtypes = {str(c): kind for c in df.columns if (kind := _dtype_kind(df[c])) is not None}
    dtypes.update(df.attrs.get("number_forms", {}))  # numbers written for people go back in their form
    for column in df.columns:
        series = df[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            zones[str(column)] = str(series.dt.tz)
            df[column] = series.dt.tz_convert("UTC").dt.tz_localize(None)
            note(df, f"column {column!r}: time zone {series.dt.tz} modelled in UTC and restored in the output")
        elif series.dtype == object:
            _object_column(df, column)
    return Prepared(df, list(df.attrs.get("notes", [])), zones, dtypes)


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


def _dtype_kind(series: pd.Series) -> str | None:
    # The input's pandas type is schema, not statistics: the kinds a model works in (categories,
    # formatted dates) are given back in it, so `synthetic["age"] + 1` works as on the real frame.
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    if pd.api.types.is_datetime64_dtype(series):  # naive; zoned ones are restored by their zone
        return "datetime"
    return None


_BOOLS = {True: True, False: False, "True": True, "False": False, "true": True, "false": False}  # 1 and 0 hash as True, False


def _as_dtype(series: pd.Series, kind: str) -> pd.Series:
    """``series`` in its input type, or unchanged where a value does not convert (e.g. a generalised
    "[10, 20)" or "1984-07"): a release never loses values to a cast."""
    present = series.notna()
    if kind == "bool":
        if pd.api.types.is_bool_dtype(series):
            return series
        out = series.map(lambda v: _BOOLS.get(v) if pd.api.types.is_scalar(v) and not pd.isna(v) else None)
        if out[present].isna().any():
            return series
        return out.astype(bool) if present.all() else out.astype("boolean")
    if kind == "float" and pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series  # whole numbers released as integers (0 decimals) print as the input's text did
    if kind in ("int", "float"):
        numbers = pd.to_numeric(series, errors="coerce")
        if numbers[present].isna().any():
            return series
        if kind == "float":
            return numbers.astype("float64")
        if numbers.abs().max() >= 2.0**63:  # beyond int64: keep the numbers as they are
            return numbers
        numbers = numbers.round()
        return numbers.astype("int64") if present.all() else numbers.astype("Int64")
    if kind.startswith("number:"):
        return _written(series, kind)
    if kind == "datetime":
        if pd.api.types.is_datetime64_dtype(series):
            return series
        stamps = pd.to_datetime(series, format="%Y-%m-%d %H:%M:%S", errors="coerce")
        return series if stamps[present].isna().any() else stamps
    return series


def _written(series: pd.Series, form: str) -> pd.Series:
    """Numbers in the form ``_written_numbers`` read them from ("$2,442.02"); unchanged where a
    value is not a number (a generalised label)."""
    numbers = pd.to_numeric(series, errors="coerce")
    present = series.notna()
    parts = NUMBER_FORM.match(form)
    if parts is None or numbers[present].isna().any():
        return series
    pre, suf, decimals = parts["pre"], parts["suf"], int(parts["decimals"])
    spec = f"{',' if parts['thousands'] == '1' else ''}.{decimals}f"
    text = [None if pd.isna(v) else f"{'-' if v < 0 else ''}{pre}{format(abs(v), spec)}{suf}" for v in numbers]
    return pd.Series(text, index=series.index, dtype=object)


def restore_types(df: pd.DataFrame, zones: dict[str, str], dtypes: dict[str, str] | None = None) -> pd.DataFrame:
    """Sampled columns back in the input's types (integers, booleans, floats, datetimes) and sampled
    UTC datetimes back in each column's original zone."""
    for column, kind in (dtypes or {}).items():
        if column in df.columns:
            df[column] = _as_dtype(df[column], kind)
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
