"""Hierarchies and fixed combinations: columns whose combinations come from a public lookup.

Only the ``anchor`` column is modelled; the others are taken from a lookup row holding the
sampled anchor value: a hierarchy's parents are then exact, its finer levels are drawn level
by level, each child equally likely, or, when the lookup has a public ``weight`` column (a
census population, a branch's customer base as published), each row in proportion to it:
real places are far from equally likely, and a uniform draw flattens them. A generalised anchor value (``privacy.hierarchy``:
"TX*" is some city of TX, "221**" some postcode starting 221) fixes the coarser level it
names and draws below it among the anchor values the domain did not release; "*" (or any
value the lookup does not hold) draws among all unreleased anchor values; a missing anchor
leaves the row's other columns missing. Every filled row is a row of the lookup.

The lookup is declared by the user (a CSV file or inline rows), never learned from the data;
it is saved with the model, so a loaded model needs no file.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .domain import ColumnDomain, Domain
from .errors import SynthRecordsError


@dataclass
class Combinations:
    """``hierarchy`` (columns finest first; from the anchor up, each level has one parent) or
    ``fixed_combinations``: only combinations listed in ``rows`` (the lookup) occur."""

    columns: list[str]
    rows: list[list[str]]
    anchor: str | None = None  # the modelled column; default the first (finest) one
    kind: str = "hierarchy"
    lookup: str | None = None  # where the rows came from, for messages
    weights: list[float] | None = None  # public weight of each row (e.g. its population); None: level by level

    def __post_init__(self) -> None:
        self.anchor = self.anchor or (self.columns[0] if self.columns else None)
        if len(self.columns) < 2 or len(set(self.columns)) != len(self.columns):
            raise SynthRecordsError(f"{self.name}: give at least two distinct columns, got {self.columns}")
        if self.anchor not in self.columns:
            raise SynthRecordsError(f"{self.name}: anchor {self.anchor!r} is not one of its columns {self.columns}")
        if self.kind not in ("hierarchy", "fixed_combinations"):
            raise SynthRecordsError(f"{self.name}: kind {self.kind!r} is not hierarchy or fixed_combinations")
        if not self.rows or any(len(row) != len(self.columns) for row in self.rows):
            raise SynthRecordsError(f"{self.name}: the lookup{' ' + self.lookup if self.lookup else ''} needs rows of "
                                    f"{len(self.columns)} values, one per column, and at least one row")
        if self.weights is not None:
            weights = pd.to_numeric(pd.Series(self.weights, dtype=object), errors="coerce").to_numpy(dtype=float)
            if len(weights) != len(self.rows) or not (np.isfinite(weights) & (weights >= 0)).all() or not weights.sum():
                raise SynthRecordsError(f"{self.name}: the lookup needs one public weight >= 0 per row, not all 0 (got "
                                        f"{len(weights)} for {len(self.rows)} rows, smallest {np.nanmin(weights, initial=0)}"
                                        "); fix the weight column or leave weight unset")
            self.weight_array = weights
        self.table = pd.DataFrame(self.rows, columns=self.columns, dtype=object)
        if self.kind == "hierarchy":  # from the anchor up, each level determines the next (below it,
            # a child may sit under several parents: a ZIP code can span two cities)
            upward = self.columns[self.columns.index(self.anchor):]
            for child, parent in itertools.pairwise(upward):
                parents = self.table.groupby(child)[parent].nunique()
                if (parents > 1).any():
                    raise SynthRecordsError(
                        f"{self.name}: {child}={parents[parents > 1].index[0]!r} has several {parent} values in "
                        f"the lookup; a hierarchy lists columns finest first, each level from the anchor up with one "
                        f"parent (use fixed_combinations for combinations that are not nested)")

    @property
    def name(self) -> str:
        return f"constraint {self.kind} {self.columns}"

    def reads(self) -> list[str]:
        return [self.anchor]

    def writes(self) -> list[str]:
        return [c for c in self.columns if c != self.anchor]

    def apply(self, frame: pd.DataFrame, domain: Domain, rng: np.random.Generator) -> dict[str, Any]:
        anchor = frame[self.anchor]
        text = anchor.astype(str).where(anchor.notna())
        chosen = np.full(len(frame), -1)
        counts = {"exact": 0, "coarser": 0, "other": 0, "missing": int(anchor.isna().sum())}
        # A generalised or "other" value stands for an anchor value the domain did not release.
        released = _released(domain[self.anchor]) if self.anchor in domain.columns else set()
        unreleased = ~self.table[self.anchor].astype(str).isin(released).to_numpy()
        # A generalised value ends in "*" (privacy.hierarchy: "TX*" is some city of TX, "221**" some
        # postcode starting 221, "*" any value): its stem is read at the coarser levels or as a prefix.
        starred = text.str.endswith("*").fillna(False).astype(bool)
        stem = text.str.rstrip("*").where(starred, text)
        levels = [self.anchor] + (self.columns[self.columns.index(self.anchor) + 1:] if self.kind == "hierarchy" else [])
        for level in levels:
            keys = (text if level == self.anchor else stem).to_numpy()
            groups = self.table.groupby(self.table[level].astype(str)).indices
            self._draw(chosen, keys, groups, unreleased, level, rng, counts,
                       "exact" if level == self.anchor else "coarser")
        prefixed = (chosen < 0) & starred.to_numpy() & (stem.str.len() > 0).fillna(False).to_numpy()
        if prefixed.any():
            anchors = self.table[self.anchor].astype(str)
            groups = {p: np.flatnonzero(anchors.str.startswith(p).to_numpy()) for p in set(stem[prefixed])}
            self._draw(chosen, np.where(prefixed, stem.to_numpy(), None), groups, unreleased, None, rng, counts,
                       "coarser")
        rest = (chosen < 0) & text.notna().to_numpy()
        if rest.any():  # "*", "other" or a suppressed value: one of the lookup values not released
            pool = np.flatnonzero(unreleased)
            if released and len(pool):
                chosen[rest] = rng.choice(pool, size=int(rest.sum()), p=self._chances(pool, self.anchor))
                counts["other"] = int(rest.sum())
        picked = chosen >= 0
        for column in self.columns:
            values = pd.Series(None, index=frame.index, dtype=object)
            values[picked] = self.table[column].to_numpy()[chosen[picked]]
            if column == self.anchor:  # keep what the model drew where it was already exact
                values = anchor.astype(object).where(~picked | (text == values), values)
            frame[column] = values
        counts["unresolved"] = int((~picked).sum()) - counts["missing"]
        return counts

    def _draw(self, chosen: np.ndarray, keys: np.ndarray, groups: dict[str, np.ndarray], unreleased: np.ndarray,
              level: str | None, rng: np.random.Generator, counts: dict[str, int], outcome: str) -> None:
        """For each open row whose key names a group of lookup rows, one of them at random (see
        ``_chances``); under a generalised value (``level`` not the anchor's; None for a prefix),
        one whose anchor value was not released where there is one."""
        open_rows = np.flatnonzero((chosen < 0) & pd.notna(keys))
        for value, where in pd.Series(open_rows).groupby(keys[open_rows]).groups.items():
            rows = groups.get(value)
            if rows is None or not len(rows):
                continue
            if level != self.anchor and unreleased[rows].any():
                rows = rows[unreleased[rows]]
            targets = open_rows[np.asarray(where)]
            chosen[targets] = rng.choice(rows, size=len(targets), p=self._chances(rows, level or self.anchor))
            counts[outcome] += len(targets)

    def _chances(self, rows: np.ndarray, level: str) -> np.ndarray:
        """Each candidate lookup row's chance when the levels below ``level`` are drawn one at a
        time, each child of a parent equally likely (a state's cities, then the city's postcodes):
        no city weighs more for having more postcodes. Combinations that are not nested: each
        anchor value equally likely, then each of its rows. With public weights: each row in
        proportion to its weight (level by level where every candidate weighs 0)."""
        if self.weights is not None and self.weight_array[rows].sum() > 0:
            return self.weight_array[rows] / self.weight_array[rows].sum()
        sub = self.table.iloc[rows]
        chance = np.ones(len(rows))
        if self.kind != "hierarchy":
            chance = 1.0 / sub.groupby(self.anchor)[self.anchor].transform("size").to_numpy()
            return chance / chance.sum()
        top = self.columns.index(level)  # from the anchor's level, each anchor value ends up alike
        for child, parent in zip(self.columns[:top][::-1], self.columns[1:top + 1][::-1]):
            chance /= sub.groupby(parent)[child].transform("nunique").to_numpy()
        return chance / chance.sum()

    def domain_of(self, column: str, domain: Domain) -> ColumnDomain:
        nullable = domain[self.anchor].nullable if self.anchor in domain.columns else True
        values = sorted(set(self.table[column].astype(str)))
        return ColumnDomain(column, "categorical", categories=values, nullable=nullable, source="constraint")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "columns": self.columns, "anchor": self.anchor, "lookup": self.lookup,
                "rows": self.rows, **({"weights": self.weights} if self.weights is not None else {})}


def hierarchy(columns: list[str], lookup: str | Path, *, anchor: str | None = None,
              kind: str = "hierarchy", weight: str | None = None) -> Combinations:
    """A hierarchy (or fixed combinations) whose rows are read from a public lookup CSV file;
    ``weight`` names a column of public weights (rows listed twice add up)."""
    path = Path(lookup)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            table = list(csv.DictReader(fh))
    except OSError as exc:
        raise SynthRecordsError(f"constraint {kind} {columns}: lookup {path} cannot be read ({exc.strerror}); "
                                "give the path of a CSV file with a header row naming the columns") from None
    missing = [c for c in [*columns, *([weight] if weight else [])] if not table or c not in table[0]]
    if missing:
        raise SynthRecordsError(f"constraint {kind} {columns}: lookup {path} has no column {missing[0]!r}; its "
                                f"header is {list(table[0]) if table else []}")
    if weight is None:
        rows = sorted({tuple(r[c] for c in columns) for r in table})
        return Combinations(list(columns), [list(r) for r in rows], anchor, kind, str(path))
    summed: dict[tuple, float] = {}
    for number, r in enumerate(table, start=2):
        try:
            value = float(r[weight])
        except ValueError:
            raise SynthRecordsError(f"constraint {kind} {columns}: lookup {path} line {number}: weight {weight!r} "
                                    f"is {r[weight]!r}, not a number; give every row a number >= 0") from None
        key = tuple(r[c] for c in columns)
        summed[key] = summed.get(key, 0.0) + value
    rows = sorted(summed)
    return Combinations(list(columns), [list(r) for r in rows], anchor, kind, str(path), [summed[r] for r in rows])


def widen(col: ColumnDomain, values: list[str]) -> ColumnDomain:
    """An anchor's domain after the hierarchy: the released categories plus the lookup's values
    (a generalised value becomes one of them), each added at released frequency 0."""
    if col.categories is None:
        return col
    known = set(map(str, col.categories))
    new = [v for v in values if v not in known]
    frequencies = None if col.frequencies is None else [*col.frequencies, *([0.0] * len(new))]
    return replace(col, categories=[*col.categories, *new], frequencies=frequencies)


def _released(col: ColumnDomain) -> set[str]:
    """The anchor values the domain released as themselves (not the lookup's, added at frequency 0)."""
    categories = col.categories or []
    if col.frequencies is None:
        return set(map(str, categories))
    return {str(c) for c, f in zip(categories, col.frequencies) if f > 0}
