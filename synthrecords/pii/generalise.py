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
    name = str(values.name)
    present = values.dropna()
    value_labels, rungs = _ladder(present, levels, kind, postcode, name)
    out = pd.Series(np.nan, index=present.index, dtype=object)
    level_of = pd.Series("other", index=present.index, dtype=object)
    todo = np.ones(len(present), dtype=bool)
    for level, labels in [("value", value_labels), *rungs]:
        candidates = labels[todo].dropna()
        if candidates.empty:
            continue
        counts = candidates.map(candidates.value_counts())
        kept = candidates[counts >= k]
        out[kept.index] = kept
        level_of[kept.index] = level
        todo = out.isna().to_numpy()
    if 0 < todo.sum() < k and (~todo).any():
        # "*" must be shared by k rows as well: the smallest released group joins the rest
        sizes = out[~todo].value_counts()
        smallest = sizes.index[np.argmin(sizes.to_numpy())]
        todo |= (out == smallest).to_numpy()
    out[todo] = OTHER_LABEL
    level_of[todo] = "other"
    names = [level for level, _ in rungs]
    report = _granularity(out, level_of, names, k)
    if (level_of == "value").all():
        return Generalised(values, names, report, changed=False)
    full = pd.Series(np.nan, index=values.index, dtype=object, name=values.name)
    full[out.index] = out
    return Generalised(full, names, report, changed=True)


# ---------------------------------------------------------------- levels by kind


def _ladder(present: pd.Series, levels: list[Level] | None, kind: str | None, postcode: bool, name: str
            ) -> tuple[pd.Series, list[tuple[str, pd.Series]]]:
    """The value's own label and, per level (finest first), each row's label at that level."""
    if levels:
        return _text_ladder(present, levels, name)
    if kind is None:
        kind = "boolean" if pd.api.types.is_bool_dtype(present) else None
    numeric = pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present)
    if postcode and kind in (None, "categorical"):
        return _text_ladder(present, POSTCODE_LEVELS, name)
    if kind == "datetime" or (kind is None and not numeric and infer_kind(present)[0] == "datetime"):
        return _date_ladder(present, name)
    if numeric and kind in (None, "numerical"):
        return _number_ladder(present)
    return _text(present), []


def _text(present: pd.Series) -> pd.Series:
    """Values as text; whole floats (a column of integers with gaps) without ".0"."""
    if pd.api.types.is_float_dtype(present):
        return present.map(_number)
    return present.astype(str)


def _text_ladder(present: pd.Series, levels: list[Level], name: str) -> tuple[pd.Series, list]:
    text = _text(present)
    lengths = text.str.len()
    width = int(lengths.mode().iloc[0]) if len(lengths) else 0  # the commonest length, as the DP release pads
    rungs = []
    for level in levels:
        if "prefix" in level:
            keys = text.str[: level["prefix"]]
            labels = keys.map(lambda key: key.ljust(max(width, len(key) + 1), "*"))
        elif "lookup" in level:
            labels = text.map(level["lookup"]).map(lambda key: f"{key}*" if isinstance(key, str) else np.nan)
        else:
            raise SynthRecordsError(f"hierarchy of {name!r}: level {level.get('name')!r} is neither a prefix rule nor "
                                    "a lookup; declare it as privacy.hierarchy.parse reads it")
        rungs.append((str(level["name"]), labels))
    return text, rungs


def _date_ladder(present: pd.Series, name: str) -> tuple[pd.Series, list]:
    if pd.api.types.is_datetime64_any_dtype(present):
        dates = present
    else:
        fmt = infer_kind(present)[1]
        dates = pd.to_datetime(present.astype(str), format=fmt, errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    # each distinct date formatted once, then gathered (formatting every row is slow)
    codes, unique = pd.factorize(dates, use_na_sentinel=True)
    whole_days = bool((unique == unique.normalize()).all()) if len(unique) else True

    def labels(fmt: str) -> pd.Series:
        text = np.append(np.asarray(unique.strftime(fmt), dtype=object), np.nan)
        return pd.Series(text[codes], index=present.index, dtype=object)

    value = labels("%Y-%m-%d" if whole_days else "%Y-%m-%d %H:%M:%S")
    unparsed = dates.isna().to_numpy()
    value[unparsed] = present[unparsed].astype(str)  # not a date: only itself or "*"
    return value, [("month", labels("%Y-%m")), ("year", labels("%Y"))]


def _number_ladder(present: pd.Series) -> tuple[pd.Series, list]:
    x = present.to_numpy(dtype=float)
    finite = np.isfinite(x)
    whole = bool(np.all(np.mod(x[finite], 1) == 0))
    if not finite.any() or x[finite].min() == x[finite].max():
        return _text(present), []
    # Widths from the middle half of the rows, not the range: one outlier would make every bin
    # too wide to tell the rows apart. Rows in sparse bins move up to the wider ones anyway.
    q25, q75 = np.quantile(x[finite], [0.25, 0.75])
    spread = (q75 - q25) / 4 if q75 > q25 else (x[finite].max() - x[finite].min()) / BINS
    fine = max(_nice(spread), 1.0) if whole else _nice(spread)
    widths = [fine]
    for _ in range(LEVELS - 1):
        widths.append(_nice(4 * widths[-1]))
    rungs = []
    for width in widths:
        starts = np.where(finite, np.floor(x / width) * width, np.nan)
        text = {s: _bin(s, width, whole) for s in np.unique(starts[finite])}
        rungs.append((f"width {_number(width)}", pd.Series([text.get(s, np.nan) for s in starts],
                                                            index=present.index, dtype=object)))
    return _text(present), rungs


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


def _granularity(out: pd.Series, level_of: pd.Series, names: list[str], k: int) -> list[dict[str, Any]]:
    """Share of the non-null rows at each level, finest first, then "other" (as privacy.hierarchy writes it)."""
    total = len(out)
    share = lambda n: round(n / total, 4) if total else 0.0  # noqa: E731
    rows = []
    for level in ["value", *names]:
        mine = out[level_of == level]
        rows.append({"level": level, "values": int(mine.nunique()), "share": share(len(mine)), "min_count": k})
    other = int((level_of == "other").sum())
    rows.append({"level": "other", "share": share(other), "emitted": other > 0})
    return rows
