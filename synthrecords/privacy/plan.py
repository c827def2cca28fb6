"""How each column is measured by the DP domain release: its plan, from the schema alone.

A ``Plan`` holds a column's kind, format, public keys or grid and declared public domain:
what the measuring step needs to count it, and no real value. Hierarchy levels of a
generalised column are plans of their own (``level_plans``).

What is read here besides declarations: the column's dtype and values for its kind
(``domain.infer_kind``), integer-ness and decimals of numbers, whether whole numbers all lie
in 1900-2100 (years, counted on ``grids.year_grid``), the datetime format, and whether a
categorical column holds few distinct integers (``codes.code_keys``). They are
schema, read outside the ledger (the scope says so); declare ``kinds`` or ``public`` to
make them public input instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..domain import KINDS, _decimals, infer_kind
from ..errors import SynthRecordsError
from . import hierarchy as hier
from . import vocabularies
from .codes import code_keys
from .grids import (
    date_grid,
    dates,
    fine_grid,
    grid_within,
    numbers,
    numeric_grid,
    one_year_grid,
    round_points,
    to_days,
    with_points,
    year_grid,
    years,
    zero_point,
)


@dataclass
class Plan:
    """How one column is measured: its public schema, keys or grid. No real values."""

    name: str
    kind: str
    source: str  # "dp" or "public"
    fmt: str | None = None
    keys: list[Any] | None = None  # public categories; None: read off the data (thresholded)
    edges: np.ndarray | None = None  # numeric/datetime grid
    public: dict[str, Any] = field(default_factory=dict)
    integer: bool = False
    decimals: int | None = None
    grid: bool = False  # keys are the public integer grid: released within the noisy support
    anchored: bool = False  # grid codes released only where they clear the noise alone (a target)
    column: str | None = None  # for a hierarchy level: the column it generalises
    level: dict[str, Any] | None = None
    shared: list[Any] = field(default_factory=list)  # released labels shared across columns: public keys too
    shared_over: list[str] | None = None  # the histogram of labels shared by these columns (privacy.shared)
    points: list[int] = field(default_factory=list)  # grid bins of a bound or 0 alone (grids.with_points)
    refines: str | None = None  # for a finer grid (``fine_plans``): the column whose coarse grid it refines
    known: bool = False  # a text column also counted on every public vocabulary's labels (privacy.vocabularies)

    @property
    def thresholded(self) -> bool:
        return self.kind == "categorical" and self.keys is None

    @property
    def public_keys(self) -> list[Any]:
        """Keys a thresholded column is counted on beside those read off the data, 0 where no row
        holds one: labels several columns share, and every public vocabulary's labels for text."""
        return [*self.shared, *(vocabularies.KEYS if self.known else ())]

    @property
    def finds_range(self) -> bool:
        """A number or date column without declared bounds: the release finds its range."""
        return self.kind in ("numerical", "datetime") and "lower" not in self.public and self.refines is None

    @property
    def reads(self) -> str:
        """The data column this plan counts: a hierarchy level's or a finer grid's, else its own."""
        return self.column or self.refines or self.name


def plan_column(series: pd.Series, kind: str | None, public: dict[str, Any] | None) -> Plan:
    public = dict(public or {})
    # Schema, treated as public: dtype and value format (see the module docstring).
    inferred, fmt = infer_kind(series)
    kind = public.get("kind") or kind or inferred
    if kind not in KINDS:
        raise SynthRecordsError(f"column {series.name!r}: unknown type {kind!r}; use one of {', '.join(KINDS)}")
    declared = "categories" in public or "lower" in public or (kind == "boolean" and bool(public))
    plan = Plan(series.name, kind, "public" if declared else "dp", public.get("datetime_format") or fmt, public=public)
    if kind == "boolean":
        plan.keys = [False, True]
    elif kind == "categorical":
        plan.keys = list(public["categories"]) if "categories" in public else code_keys(series, public)
        plan.grid = plan.keys is not None and "categories" not in public and "lower" not in public
        plan.known = plan.keys is None and not pd.api.types.is_numeric_dtype(series)  # text: schema
    elif kind == "numerical":
        values = numbers(series)
        plan.integer = bool(public.get("integer", bool(np.all(np.mod(values.dropna(), 1) == 0))))
        plan.decimals = 0 if plan.integer else public.get("decimals", _decimals(values.dropna()))
        if "lower" in public:  # piles on a bound or on 0 decode to the value itself (grids.with_points)
            plan.edges = public_grid(plan, float, numeric_grid())
            if not plan.integer:  # whole numbers decode to themselves already
                plan.edges, plan.points = with_points(plan.edges, plan.decimals)
        elif plan.integer:
            plan.edges = year_grid() if years(values) else numeric_grid()
        else:  # a pile of zeros decodes to 0 itself, as between declared bounds (piles on 1, 10, 100: _fine_edges)
            plan.edges, plan.points = zero_point(numeric_grid(), plan.decimals)
    else:
        plan.fmt = plan.fmt or "%Y-%m-%d"
        dates(series, plan.fmt)  # fail early, naming the row
        plan.edges = public_grid(plan, lambda v: float(to_days(pd.Series([pd.Timestamp(v)]))[0]), date_grid()) \
            if "lower" in public else date_grid()
    return plan


def level_plans(plans: list[Plan], hierarchy: dict[str, Any]) -> list[Plan]:
    """One more categorical histogram per level of each declared hierarchy. Lookup parents
    are public keys (from the user's file); prefixes are read off the data (thresholded)."""
    out = []
    for plan in plans:
        if plan.name not in hierarchy:
            continue
        if plan.kind != "categorical" or plan.keys is not None:
            raise SynthRecordsError(f"hierarchy of {plan.name!r}: only a categorical column whose categories are "
                                    "released under DP can be generalised; drop its public categories or its "
                                    "hierarchy")
        plan.level = {"levels": hier.parse(plan.name, hierarchy[plan.name])}
        plan.known = False  # its unreleased rows walk up the declared hierarchy instead
        for level in plan.level["levels"]:
            keys = sorted(set(level["lookup"].values())) if "lookup" in level else None
            out.append(Plan(f"{plan.name}@{level['name']}", "categorical", "dp", keys=keys,
                             column=plan.name, level=level))
    return out


def fine_plans(plans: list[Plan]) -> list[Plan]:
    """One more histogram, on a finer public grid (``grids.fine_grid``), for each number or date
    column whose range the release finds (years: a bin a year, ``grids.one_year_grid``).
    The coarse grid finds the range (a bin must clear the noise there); the fine one says where
    inside its end bins the rows lie and where a spike sits (``ranges.released_range``)."""
    return [Plan(f"{p.name}@fine", p.kind, "dp", p.fmt, edges=_fine_edges(p), integer=p.integer,
                 decimals=p.decimals, refines=p.name)
            for p in plans if p.finds_range and p.column is None]


def _fine_edges(plan: Plan) -> np.ndarray:
    """The finer grid of ``plan``, with 0 a bin of its own where the coarse grid has one, so that
    every fine bin still lies inside one coarse bin, and each power of ten a bin of its own too
    (``grids.round_points``): a pile there shows as one fine bin, which ``ranges.refined`` splits
    off its coarse bin as it does a spike of whole numbers. Only here: on the coarse grid each
    point's noise went to the bin beside it where it held no pile, and runs of noise far from the
    rows (``ranges.present_window``) cleared their bar 5 times in 160 thin columns instead of 0."""
    if plan.kind == "numerical" and plan.edges is not None and np.array_equal(plan.edges, year_grid()):
        return one_year_grid()
    edges = fine_grid(plan.kind, plan.integer)
    return round_points(edges, plan.decimals)[0] if plan.points else edges


def public_grid(plan: Plan, parse, default: np.ndarray) -> np.ndarray:
    """32 equal bins between public bounds, plus the default grid's edges inside them: equal
    bins alone put a heavy-tailed column (assets 0-300,000, most under 10,000) in a bin or two."""
    if "upper" not in plan.public:
        raise SynthRecordsError(f"public domain of {plan.name!r} gives 'lower' without 'upper'; declare both")
    lo, hi = parse(plan.public["lower"]), parse(plan.public["upper"])
    if not hi > lo:
        raise SynthRecordsError(f"public domain of {plan.name!r}: upper {plan.public['upper']!r} must exceed lower")
    return grid_within(lo, hi, default)
