"""Generalisation hierarchies: the public structure a category falls back on when it is too
rare to release as itself (postcode -> first 3 characters -> first character; city ->
state -> region).

A hierarchy is public knowledge (a rule or a lookup file the user vouches for), never read
off the data. Under DP each level is one more histogram in the domain's Gaussian mechanism
(``privacy.domain``); this module only names the levels, maps a value to its key at each
level and writes the synthetic value that stands for a generalised one.

**Generalised values.** A trailing ``*`` marks a value released at a coarser level:
``221**`` is "some postcode starting 221" (a prefix padded with ``*`` to the values' width),
``TX*`` is "some city in TX" (a lookup level's parent name), and ``*`` alone is "some value
of this column" (the released share of everything no level could release).

Declared as ``"prefix 3, prefix 1"`` (rules, finest first), as a CSV path whose first column
holds the column's values and whose next columns hold each coarser level (``city,state,region``)
or, in the API, as a DataFrame of that shape.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import SynthRecordsError

OTHER_LABEL = "*"
# Columns whose name says postcode get this hierarchy unless one is declared.
POSTCODE_NAME = re.compile(r"(post(al)?[ _-]?code|zip([ _-]?code)?)$", re.IGNORECASE)
POSTCODE_RULE = "prefix 3, prefix 1"

Level = dict[str, Any]  # {"name": "prefix 3", "prefix": 3} or {"name": "state", "lookup": {value: parent}}


def parse(column: str, spec: Any) -> list[Level]:
    """Levels (finest first) from a rule string, a lookup CSV path, a DataFrame or parsed levels."""
    if isinstance(spec, list) and all(isinstance(level, dict) for level in spec):
        return spec
    if isinstance(spec, pd.DataFrame):
        return _lookup_levels(column, spec, "the hierarchy table")
    text = str(spec).strip()
    if text.lower().startswith("prefix"):
        return _prefix_levels(column, text)
    path = Path(text)
    if not path.is_file():
        raise SynthRecordsError(f"hierarchy of {column!r}: {text!r} is neither a rule such as {POSTCODE_RULE!r} nor "
                                "an existing CSV file (value,parent,grandparent...); fix the path or the rule")
    return _lookup_levels(column, pd.read_csv(path, dtype=str, keep_default_na=False), str(path))


def _prefix_levels(column: str, text: str) -> list[Level]:
    levels, last = [], None
    for part in text.split(","):
        match = re.fullmatch(r"\s*prefix\s+(\d+)\s*", part, re.IGNORECASE)
        if not match or int(match.group(1)) < 1:
            raise SynthRecordsError(f"hierarchy of {column!r}: cannot read {part.strip()!r} in {text!r}; write rules "
                                    f"finest first, e.g. {POSTCODE_RULE!r}")
        n = int(match.group(1))
        if last is not None and n >= last:
            raise SynthRecordsError(f"hierarchy of {column!r}: prefixes must get shorter level by level, got {text!r}")
        levels.append({"name": f"prefix {n}", "prefix": n})
        last = n
    return levels


def _lookup_levels(column: str, table: pd.DataFrame, source: str) -> list[Level]:
    if table.shape[1] < 2 or table.empty:
        raise SynthRecordsError(f"hierarchy of {column!r}: {source} needs a column of values and at least one parent "
                                "column (e.g. city,state,region) and at least one row")
    table = table.astype(str)
    values = table.iloc[:, 0]
    if values.duplicated().any():
        dup = values[values.duplicated()].iloc[0]
        raise SynthRecordsError(f"hierarchy of {column!r}: {source} lists {dup!r} twice; each value needs one parent")
    levels = []
    for name in table.columns[1:]:
        levels.append({"name": str(name), "lookup": dict(zip(values, table[name]))})
    return levels


def keys(values: pd.Series, level: Level) -> pd.Series:
    """Each value's key at ``level`` (NaN where a lookup does not list the value, or null)."""
    text = values.where(values.isna(), values.astype(str))
    if "prefix" in level:
        return text.str[: level["prefix"]]
    return text.map(level["lookup"])


def up(key: Any, level: Level, coarser: Level) -> Any:
    """The key at ``coarser`` of a key at ``level`` (``level`` None: the key is a value)."""
    if "prefix" in coarser:
        return str(key)[: coarser["prefix"]]
    if level is None:
        return coarser["lookup"].get(str(key))
    parents = coarser.setdefault("_parents", {})  # memo: level name -> {key: parent}
    table = parents.get(level["name"])
    if table is None:
        table = parents[level["name"]] = {level["lookup"][v]: p for v, p in coarser["lookup"].items()
                                          if v in level["lookup"]}
    return table.get(key)


def label(key: Any, level: Level, width: int | None) -> str:
    """The synthetic value standing for every value under ``key`` at ``level``."""
    if "prefix" in level:
        return str(key).ljust(max(width or 0, len(str(key)) + 1), "*")
    return f"{key}*"


def public(levels: list[Level]) -> list[Level]:
    """The levels without memo entries: what a released domain stores."""
    return [{k: v for k, v in level.items() if not k.startswith("_")} for level in levels]


def released(values: pd.Series, categories: list[Any], levels: list[Level] | None, width: int | None) -> pd.Series:
    """The released category each value stands for: itself, else its finest released
    generalised value, else ``*`` if released; NaN where none is (null, or no release)."""
    index = pd.Index(categories, dtype=object)
    out = values.astype(object).where(index.get_indexer(values.astype(object)) >= 0)
    todo = out.isna() & values.notna()
    for level in levels or []:
        if not todo.any():
            break
        labels = keys(values[todo], level).map(lambda k, at=level: label(k, at, width) if isinstance(k, str) else None)
        hit = labels.where(index.get_indexer(labels.astype(object)) >= 0)
        out.loc[hit.dropna().index] = hit.dropna()
        todo = out.isna() & values.notna()
    if OTHER_LABEL in categories:
        out[todo] = OTHER_LABEL
    return out


# -- post-processing of the noisy level counts (privacy.domain measures them) -------------------
Entry = tuple  # (label, mass, level or None for a value or "other", key)


def walk_up(entries: list[Entry], levels: list[tuple[Level, list[Any], Any, float]]) -> int | None:
    """Append to ``entries`` (the released values) the generalised values of each coarser
    level: a key's noisy count minus the mass already released below it, where that clears
    the level's bar (so the key's own count cleared it too). Returns the prefix width."""
    if not levels:
        return None
    lengths = Counter(len(str(label)) for label, *_ in entries)
    width = lengths.most_common(1)[0][0] if lengths else None  # the commonest released length
    for level, level_keys, noisy, bar in levels:
        below = Counter()
        for _, mass, finer, key in entries:
            below[up(key, finer, level)] += mass
        for key, count in zip(level_keys, noisy[: len(level_keys)]):
            rest = float(count) - below.get(key, 0.0)
            if rest > bar:
                entries.append((label(key, level, width), rest, level, key))
    return width


def granularity(entries: list[Entry], levels: list[Level], other: float, emitted: bool) -> list[dict[str, Any]]:
    """Share of the non-null rows released at each level, finest first, then "other"."""
    total = sum(m for _, m, level, _ in entries if level != "other") + other
    share = lambda mass: round(mass / total, 4) if total > 0 else 0.0
    out = [{"level": "value", "values": sum(level is None for _, _, level, _ in entries),
            "share": share(sum(m for _, m, level, _ in entries if level is None))}]
    for level in levels:
        mine = [m for _, m, at, _ in entries if at is level]
        out.append({"level": level["name"], "values": len(mine), "share": share(sum(mine))})
    out.append({"level": "other", "share": share(other), "emitted": emitted})
    return out
