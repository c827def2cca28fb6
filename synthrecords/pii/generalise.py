"""The `generalise` action: k-anonymity per quasi-identifier column, without DP.

Before modelling, each value of the column is replaced by the finest level of its hierarchy
at which at least ``k`` real rows share it; the rows of a key shared by fewer move up a
level, and what no level can release becomes ``*`` ("some value of this column"). So every
value the model ever sees, and therefore every value the synthetic column can hold, is held
by at least ``k`` real rows. ``*`` is held by ``k`` rows too: when fewer are left over, the
smallest released group joins them (only a column with fewer than ``k`` non-null rows ends
with a smaller ``*``, which then stands for every row).

**Not DP.** The threshold reads exact counts, so one record can move a value across it:
this is k-anonymity of each column's values, not a formal guarantee, and it never runs
under an epsilon (``protect`` then leaves the column to the DP domain release, which
generalises along the same hierarchy with noisy counts; see ``privacy.hierarchy``).

Levels, finest first, after the value itself:

- declared: the parsed levels of ``privacy.hierarchy`` (``prefix`` rules, ``lookup`` tables),
  written the same way (``221**``, ``TX*``), so a lookup constraint reads them as it reads a
  DP release;
- postal codes (the scan found POSTCODE): the built-in rule ``prefix 3, prefix 1``;
- dates: month, then year, written as ISO dates of reduced precision (``1984-07``, ``1984``).
  A generalised date column becomes text: a month kept as its first day would look like a
  real date, and a model of dates would draw days again that nothing released;
- numbers: three widths of bins on a 1-2-5 grid, the finest a quarter of the middle half of
  the rows (the interquartile range), each next about four times wider (``30-39``, ``0-49``;
  non-whole numbers as ``[2.5, 3)``);
- other text (and booleans): the value, else ``*``.

A column whose every value is held by ``k`` rows is left exactly as it was (type included).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..domain import infer_kind
from ..errors import SynthRecordsError

OTHER_LABEL = "*"
DEFAULT_MIN_COUNT = 10
# privacy.hierarchy.POSTCODE_RULE ("prefix 3, prefix 1") parsed: pii/ sits below privacy/, so the
# rule is restated here; tests/test_pii_generalise.py checks the two agree.
POSTCODE_LEVELS = [{"name": "prefix 3", "prefix": 3}, {"name": "prefix 1", "prefix": 1}]
BINS = 10  # bins across the range of a number column whose middle half is one value
LEVELS = 3  # bin widths per number column, each about four times the last

Level = dict[str, Any]


@dataclass
class Generalised:
    """One column after `generalise`: the values to model and what was released at which level."""

    values: pd.Series
    levels: list[str]  # level names after "value", finest first
    # share of the non-null rows at each level, as the DP release writes it (privacy.hierarchy.granularity)
    granularity: list[dict[str, Any]] = field(default_factory=list)
    changed: bool = False  # False: every value held by k rows, the column is unchanged


def check_min_count(value: Any) -> int:
    """``min_count`` must be a whole number of at least 2 (1 would release every value)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
        raise SynthRecordsError(f"pii option min_count = {value!r} is not allowed; give a whole number of real rows "
                                f"of at least 2 that must share each released value (default {DEFAULT_MIN_COUNT})")
    return int(value)


def generalise(values: pd.Series, k: int = DEFAULT_MIN_COUNT, *, levels: list[Level] | None = None,
               kind: str | None = None, postcode: bool = False) -> Generalised:
    """``values`` with every value held by fewer than ``k`` real rows moved up its hierarchy.

    ``levels``: a declared hierarchy (``privacy.hierarchy.parse``'s levels); ``kind``: a declared
    column type; ``postcode``: the scan found postal codes (built-in prefix rule).
    """
    k = check_min_count(k)
    present = values.dropna()
    # Labels are made once per distinct value, then gathered by code: a million rows hold far
    # fewer distinct values, and formatting every row was most of the time.
    codes, uniques = pd.factorize(present)
    common = np.bincount(codes, minlength=len(uniques)) >= k  # only these can be released as themselves
    rungs = _ladder(pd.Series(uniques), present, common, levels, kind, postcode, str(values.name))
    out = np.full(len(present), None, dtype=object)
    level_at = np.full(len(present), len(rungs))  # index of the row's level; len(rungs): "other"
    todo = np.ones(len(present), dtype=bool)
    for i, (_, labels) in enumerate(rungs):
        label_codes, label_names = pd.factorize(np.asarray(labels, dtype=object))  # -1: no key at this level
        if not len(label_names):
            continue
        rows = label_codes[codes] if len(codes) else label_codes[:0]
        live = todo & (rows >= 0)
        counts = np.bincount(rows[live], minlength=len(label_names))
        hit = live & (counts[np.maximum(rows, 0)] >= k)
        out[hit] = np.asarray(label_names, dtype=object)[rows[hit]]
        level_at[hit] = i
        todo &= ~hit
    if 0 < todo.sum() < k and (~todo).any():
        # "*" must be shared by k rows as well: the smallest released group joins the rest
        sizes = pd.Series(out[~todo]).value_counts()
        todo |= out == sizes.index[np.argmin(sizes.to_numpy())]
    out[todo] = OTHER_LABEL
    level_at[todo] = len(rungs)
    names = [level for level, _ in rungs[1:]]
    report = _granularity(out, level_at, names, k)
    if (level_at == 0).all():
        return Generalised(values, names, report, changed=False)
    full = pd.Series(np.nan, index=values.index, dtype=object, name=values.name)
    full[present.index] = out
    return Generalised(full, names, report, changed=True)


# ---------------------------------------------------------------- levels by kind
Rungs = list[tuple[str, Any]]  # ("value" or a level name, the label of each distinct value or NaN)


def _ladder(unique: pd.Series, present: pd.Series, common: np.ndarray, levels: list[Level] | None,
            kind: str | None, postcode: bool, name: str) -> Rungs:
    """Per level, finest first and starting with the value itself, each distinct value's label."""
    if levels:
        return _text_ladder(unique, levels, name)
    if kind is None:
        kind = "boolean" if pd.api.types.is_bool_dtype(present) else None
    numeric = pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present)
    if postcode and kind in (None, "categorical"):
        return _text_ladder(unique, POSTCODE_LEVELS, name)
    if kind == "datetime" or (kind is None and not numeric and infer_kind(present)[0] == "datetime"):
        return _date_ladder(unique, present)
    if numeric and kind in (None, "numerical"):
        return _number_ladder(unique, present, common)
    return [("value", _text(unique))]


def _text(values: pd.Series) -> pd.Series:
    """Values as text; whole floats (a column of integers with gaps) without ".0"."""
    if pd.api.types.is_float_dtype(values):
        return values.map(_number)
    return values.astype(str)


def _text_ladder(unique: pd.Series, levels: list[Level], name: str) -> Rungs:
    text = _text(unique)
    lengths = text.str.len()
    width = int(lengths.mode().iloc[0]) if len(lengths) else 0  # the commonest length, as the DP release pads
    rungs: Rungs = [("value", text)]
    for level in levels:
        if "prefix" in level:
            labels = [key + "*" * max(width - len(key), 1) for key in text.str[: level["prefix"]]]
        elif "lookup" in level:
            labels = text.map(level["lookup"]).map(lambda key: f"{key}*" if isinstance(key, str) else np.nan)
        else:
            raise SynthRecordsError(f"hierarchy of {name!r}: level {level.get('name')!r} is neither a prefix rule nor "
                                    "a lookup; declare it as privacy.hierarchy.parse reads it")
        rungs.append((str(level["name"]), labels))
    return rungs


def _date_ladder(unique: pd.Series, present: pd.Series) -> Rungs:
    if pd.api.types.is_datetime64_any_dtype(unique):
        dates = unique
    else:
        dates = pd.to_datetime(unique.astype(str), format=infer_kind(present)[1], errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    whole_days = bool((dates.dropna() == dates.dropna().dt.normalize()).all())
    value = dates.dt.strftime("%Y-%m-%d" if whole_days else "%Y-%m-%d %H:%M:%S").astype(object)
    unparsed = dates.isna()
    value[unparsed] = unique[unparsed].astype(str)  # not a date: only itself or "*"
    return [("value", value), ("month", dates.dt.strftime("%Y-%m")), ("year", dates.dt.strftime("%Y"))]


def _number_ladder(unique: pd.Series, present: pd.Series, common: np.ndarray) -> Rungs:
    x = unique.to_numpy(dtype=float)
    finite = np.isfinite(x)
    rows = present.to_numpy(dtype=float)
    rows = rows[np.isfinite(rows)]
    whole = bool(np.all(np.mod(rows, 1) == 0))
    if not len(rows) or rows.min() == rows.max():
        return [("value", _text(unique))]
    # Widths from the middle half of the rows, not the range: one outlier would make every bin
    # too wide to tell the rows apart. Rows in sparse bins move up to the wider ones anyway.
    q25, q75 = np.quantile(rows, [0.25, 0.75])
    spread = (q75 - q25) / 4 if q75 > q25 else (rows.max() - rows.min()) / BINS
    widths = [max(_nice(spread), 1.0) if whole else _nice(spread)]
    for _ in range(LEVELS - 1):
        widths.append(_nice(4 * widths[-1]))
    # a value held by fewer than k rows is never released as itself: only the others are written out
    value = np.full(len(unique), np.nan, dtype=object)
    value[common] = _text(unique[common]).to_numpy(dtype=object)
    rungs: Rungs = [("value", value)]
    for width in widths:
        starts, where = np.unique(np.floor(x[finite] / width) * width, return_inverse=True)
        labels = np.full(len(x), np.nan, dtype=object)
        labels[finite] = np.array([_bin(s, width, whole) for s in starts], dtype=object)[where]
        rungs.append((f"width {_number(width)}", labels))
    return rungs


def _nice(x: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least ``x``."""
    power = 10.0 ** math.floor(math.log10(x))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= x * (1 - 1e-9))


def _bin(start: float, width: float, whole: bool) -> str:
    decimals = max(0, -math.floor(math.log10(width))) + 1
    lo, hi = round(start, decimals), round(start + width, decimals)
    if whole and float(width).is_integer():
        last = int(hi) - 1
        return f"{int(lo)}-{last}" if lo >= 0 else f"{int(lo)} to {last}"
    return f"[{_number(lo)}, {_number(hi)})"


def _number(value: Any) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else format(value, ".10g")


def _granularity(out: np.ndarray, level_at: np.ndarray, names: list[str], k: int) -> list[dict[str, Any]]:
    """Share of the non-null rows at each level, finest first, then "other" (as privacy.hierarchy writes it)."""
    total = len(out)
    share = lambda n: round(n / total, 4) if total else 0.0
    rows = []
    for i, level in enumerate(["value", *names]):
        mine = level_at == i
        rows.append({"level": level, "values": len(pd.unique(out[mine])), "share": share(int(mine.sum())),
                     "min_count": k})
    other = int((level_at == len(names) + 1).sum())
    rows.append({"level": "other", "share": share(other), "emitted": other > 0})
    return rows
