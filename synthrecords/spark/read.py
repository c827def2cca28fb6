"""Stage 1 on Spark: Parquet or CSV into a Spark DataFrame, typed like ``read.load_table``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import SynthRecordsError
from ..read import (
    DELIMITERS,
    SOURCE_FORMATS,
    check_content,
    csv_header,
    detect_delimiter,
    file_suffix,
    number_form_note,
    rename_duplicates,
)

log = logging.getLogger("synthrecords.read")  # the pandas reader's logger: one voice for read notes


def read_table(spark: Any, source: str | Path | pd.DataFrame | Any, *, format: str | None = None,
               delimiter: str | None = None) -> Any:
    """A Spark DataFrame from a path (CSV, Parquet file or folder), a pandas or a Spark DataFrame.

    CSV columns Spark infers as numbers stay text when a value has a leading zero
    ("02134" is a postcode, not 2134), as in the pandas reader; so do columns it infers as
    dates or timestamps (the pandas reader keeps them as text, and the domain reads their
    format off the text: a date stays a date, not a timestamp with invented times of day).
    Numbers written for people ("$2,442.02") are numbers, their form kept (``written_numbers``).
    A local CSV file's delimiter is detected as the pandas reader detects it, unless given.
    """
    return written_numbers(_infinities(_read(spark, source, format, delimiter)))


def _read(spark: Any, source: str | Path | pd.DataFrame | Any, format: str | None, delimiter: str | None) -> Any:
    if hasattr(source, "sparkSession"):
        return source
    if isinstance(source, pd.DataFrame):
        return spark.createDataFrame(source)
    path = str(source)
    fmt = format or SOURCE_FORMATS.get(file_suffix(Path(path))) or ("parquet" if Path(path).is_dir() else None)
    if fmt is None:
        raise SynthRecordsError(f"{path}: cannot tell the format from the suffix; use .csv or .parquet (a Parquet "
                                "folder is fine), or set input.format")
    if "://" not in path and not Path(path).exists():
        raise SynthRecordsError(f"input file {path} not found")
    local = "://" not in path and Path(path).is_file()  # a file here (not a folder, not remote): read as pandas reads it
    if local:
        check_content(Path(path), fmt)  # a file whose bytes say it is not what its name says is refused, naming them
    if fmt == "parquet":
        return spark.read.parquet(path)
    from pyspark.sql import functions as F

    # Spark splits on commas only: a semicolon file came out as one column of "a;b;c" text
    sep = delimiter or (detect_delimiter(Path(path)) if local else ",")
    names = _header(Path(path), sep, detected=delimiter is None) if local else None
    typed = _named(spark.read.csv(path, header=True, inferSchema=True, mode="FAILFAST", sep=sep), names)
    numeric = [f.name for f in typed.schema.fields if f.dataType.typeName() in ("integer", "long", "double")]
    dated = [f.name for f in typed.schema.fields if f.dataType.typeName() in ("date", "timestamp", "timestamp_ntz")]
    keep_text = list(dated)
    if numeric or dated:
        text = _named(spark.read.csv(path, header=True, inferSchema=False, sep=sep), names)
        if numeric:
            zeros = text.select([F.max(_col(F, c).rlike(r"^-?0\d").cast("int")).alias(c) for c in numeric]).first()
            keep_text += [c for c in numeric if zeros[c]]
        if keep_text:
            typed = _with_text(typed, text, keep_text)
    return _inf_text(typed, keep=keep_text)


def _quoted(name: str) -> str:
    """A column name as Spark reads it literally: dots, spaces and backticks are no syntax."""
    return "`" + name.replace("`", "``") + "`"


def _col(F: Any, name: str) -> Any:
    return F.col(_quoted(name))


NOTES_KEY = "synthrecords_notes"  # what the reader changed in a column, in its field metadata (``read_notes``)


def read_notes(sdf: Any) -> list[str]:
    """The notes the reader kept in the columns' metadata, as ``read.note`` keeps them for pandas:
    a model folder keeps them (a form or a count, never a real value)."""
    notes: list[str] = []
    for f in sdf.schema.fields:
        notes += [n for n in (f.metadata or {}).get(NOTES_KEY, []) if n not in notes]
    return notes


def _noted(F: Any, sdf: Any, column: str, value: Any, text: str, **metadata: Any) -> Any:
    """``value`` as the column, ``text`` added to its notes (logged, as ``read.note`` does)."""
    log.warning(text)
    old = sdf.schema[column].metadata or {}
    return value.alias(column, metadata={**old, **metadata, NOTES_KEY: [*old.get(NOTES_KEY, []), text]})


def _header(path: Path, sep: str, detected: bool) -> list[tuple[str, list[str]]] | None:
    """A CSV's column names as the pandas reader gives them, each with the notes of its reading: a
    column without a header is refused, repeated names become a, a_2 (Spark's own: a0, a1), and a
    delimiter ``detected`` other than a comma is said (on the first column: a note of the table)."""
    names = csv_header(path, sep)
    if not names:
        return None
    blank = [i + 1 for i, name in enumerate(names) if not name.strip()]
    if blank:
        raise SynthRecordsError(f"{path}: columns without a header (column {', '.join(map(str, blank))}); give every "
                                "column a name")
    renamed = rename_duplicates(pd.DataFrame(columns=names), str(path))
    renaming = renamed.attrs.get("notes", [])
    notes = [list(renaming) if new != old else [] for old, new in zip(names, renamed.columns, strict=True)]
    if detected and sep != ",":
        notes[0].insert(0, f"{path}: fields separated by {DELIMITERS[sep]} (detected from the first rows)")
        log.warning(notes[0][0])
    return list(zip(renamed.columns, notes, strict=True))


def _named(sdf: Any, names: list[tuple[str, list[str]]] | None) -> Any:
    """``sdf``'s columns named as ``_header`` says, by position, with their notes (None: as they are)."""
    from pyspark.sql import functions as F

    if names is None:
        return sdf
    return sdf.select([_col(F, old).alias(new, metadata={NOTES_KEY: notes} if notes else {})
                       for old, (new, notes) in zip(sdf.columns, names, strict=True)])


def _infinities(sdf: Any) -> Any:
    """Infinite values of number columns as missing, with a note, as the pandas reader reads them:
    inf is no value a model (or a report) can use."""
    from pyspark.sql import functions as F

    floats = [f.name for f in sdf.schema.fields if f.dataType.typeName() in ("double", "float")]
    if not floats:
        return sdf
    found = sdf.select([F.sum(_infinite(F, _col(F, c)).cast("int")).alias(c) for c in floats]).first()
    infinite = {c: int(found[c]) for c in floats if found[c]}
    if not infinite:
        return sdf
    cols = [_noted(F, sdf, c, F.when(_infinite(F, _col(F, c)), F.lit(None)).otherwise(_col(F, c)),
                   f"column {c!r}: {infinite[c]} infinite values treated as missing") if c in infinite
            else _col(F, c) for c in sdf.columns]
    return sdf.select(cols)


def _infinite(F: Any, value: Any) -> Any:
    return F.abs(value) == F.lit(float("inf"))


def _inf_text(sdf: Any, keep: list[str]) -> Any:
    """Text columns Spark's CSV inference left as text only for their "inf" values (it reads
    "Infinity", not pandas' "inf") as numbers; ``keep``: columns kept as text on purpose."""
    from pyspark.sql import functions as F

    def number(c: str) -> Any:
        return F.expr(f"try_cast({_quoted(c)} AS DOUBLE)")

    text = [f.name for f in sdf.schema.fields if f.dataType.typeName() == "string" and f.name not in keep]
    if text:  # a column whose first values are not all numbers is not one: the full pass reads only the others
        head = sdf.limit(HEAD).select([(F.count(_col(F, c)) == F.count(number(c))).alias(c) for c in text]).first()
        text = [c for c in text if head is None or head[c]]
    if not text:
        return sdf
    facts = sdf.select([F.struct(F.count(_col(F, c)).alias("rows"), F.count(number(c)).alias("numbers"),
                                 F.sum(_infinite(F, number(c)).cast("int")).alias("inf"),
                                 F.max(_col(F, c).rlike(r"^\s*-?0\d")).alias("zeros")).alias(c)
                        for c in text]).first()
    cast = [c for c in text if facts[c]["rows"] and facts[c]["numbers"] == facts[c]["rows"] and facts[c]["inf"]
            and not facts[c]["zeros"]]
    return sdf.select([number(c).alias(c) if c in cast else _col(F, c) for c in sdf.columns])


# read._WRITTEN in Java's syntax (Spark's rlike and regexp_extract), its groups by number: sign,
# currency sign, sign, whole part, decimals, percent sign.
WRITTEN = r"^(-?)([$€£¥]?)(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(%?)$"
FORM_KEY = "synthrecords_number_form"  # a converted column's form, in its field metadata
HEAD = 100


def written_numbers(sdf: Any) -> Any:
    """Text columns whose every value is a number written for people ("$2,442.02", "81.7%", "12,500")
    as numbers, as ``read._written_numbers`` reads them in pandas; each one's form
    (``number:PRE|SUF|DECIMALS|THOUSANDS``) in its field metadata under ``FORM_KEY``
    (``number_forms``). A column already read is left as it is: the rule reads only text."""
    from pyspark.sql import functions as F

    text = [f.name for f in sdf.schema.fields if f.dataType.typeName() == "string"]
    if not text:
        return sdf
    # most text columns fail on their first values: the full pass reads only those that do not
    head = sdf.limit(HEAD).select([_matches(F, c).alias(c) for c in text]).first()
    text = [c for c in text if head is not None and head[c] is not False]
    if not text:
        return sdf
    seen = sdf.select([F.struct(*(agg.alias(k) for k, agg in _facts(F, c).items())).alias(c) for c in text]).first()
    forms = {}
    for c in text:
        fact = seen[c]
        if not fact["rows"] or not fact["all"] or fact["pre_lo"] != fact["pre_hi"] or fact["suf_lo"] != fact["suf_hi"]:
            continue
        if fact["pre_lo"] or fact["suf_lo"] or fact["thousands"]:  # plain digits stay text, as in pandas
            forms[c] = f"number:{fact['pre_lo']}|{fact['suf_lo']}|{fact['decimals'] or 0}|{int(bool(fact['thousands']))}"
    if not forms:
        return sdf
    return sdf.select([_noted(F, sdf, c, _number(F, c), number_form_note(c, forms[c]), **{FORM_KEY: forms[c]})
                       if c in forms else _col(F, c) for c in sdf.columns])


def number_forms(sdf: Any) -> dict[str, str]:
    """The forms ``written_numbers`` read, by column."""
    return {f.name: f.metadata[FORM_KEY] for f in sdf.schema.fields if FORM_KEY in (f.metadata or {})}


def _stripped(F: Any, column: str) -> Any:
    return F.regexp_replace(_col(F, column), r"^\s+|\s+$", "")


def _matches(F: Any, column: str) -> Any:
    """Whether every value of the column (nulls aside) is written as a number: null where none is."""
    return F.min(_stripped(F, column).rlike(WRITTEN))


def _part(F: Any, column: str, group: int) -> Any:
    """A group of ``WRITTEN`` in the column's values ("" where it matched nothing)."""
    return F.regexp_extract(_stripped(F, column), WRITTEN, group)


def _facts(F: Any, column: str) -> dict[str, Any]:
    """What decides a column's form: its values, how many match, and their signs, separators and decimals."""
    pre, suf = _part(F, column, 2), _part(F, column, 6)
    return {"rows": F.count(_col(F, column)), "all": _matches(F, column),
            "pre_lo": F.min(pre), "pre_hi": F.max(pre), "suf_lo": F.min(suf), "suf_hi": F.max(suf),
            "thousands": F.max(_part(F, column, 4).contains(",")), "decimals": F.max(F.length(_part(F, column, 5)))}


def _number(F: Any, column: str) -> Any:
    """The column's values as numbers (each one matches ``WRITTEN``)."""
    whole, decimals = _part(F, column, 4), _part(F, column, 5)
    magnitude = F.concat(F.regexp_replace(whole, ",", ""), F.lit("."),
                         F.when(decimals == "", F.lit("0")).otherwise(decimals)).cast("double")
    value = F.when((_part(F, column, 1) == "-") | (_part(F, column, 3) == "-"), -magnitude).otherwise(magnitude)
    return F.when(_col(F, column).isNull(), F.lit(None).cast("double")).otherwise(value)


def _with_text(typed: Any, text: Any, columns: list[str]) -> Any:
    # Re-reading the same file with every column as text keeps the rows aligned.
    return text.select([text[_quoted(c)] if c in columns else
                        text[_quoted(c)].cast(typed.schema[c].dataType).alias(c, metadata=typed.schema[c].metadata or {})
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
