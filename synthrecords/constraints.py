"""Declared structure: relations the user vouches are public knowledge, enforced by construction.

A constraint is declared, never learned from the data, so it costs no budget. The fit never
reads a column a constraint fills in: such columns are dropped before the PII scan, the
domain release and training. The sampler draws the other columns, then each constraint
fills in or repairs the synthetic rows (post-processing). Three kinds, applied in this order:

- ``hierarchy`` / ``fixed_combinations``: columns whose combinations come from a public lookup
  (``lookups``): only the anchor column is modelled, the others come from a lookup row.
- ``inequality``: ``column >= at_least`` and/or ``column <= at_most`` (formulas, e.g.
  ``add_years(birth_date, 18)``). ``repair = "clip"`` moves a breaking value onto its bound,
  ``"swap"`` exchanges it with the bounding column (``low <= high`` pairs), ``"filter"`` drops
  the row and draws again (the report gives the acceptance rate).
- ``derived``: ``column = formula`` (see ``formula``), computed on every synthetic row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .domain import ColumnDomain, Domain
from .errors import SynthRecordsError
from .formula import Formula, parse
from .lookups import Combinations, hierarchy, widen

__all__ = ["Combinations", "ConstrainedEngine", "ConstraintSet", "Derived", "Inequality", "constraints_from_suite",
           "from_dict", "hierarchy"]
log = logging.getLogger(__name__)
MAX_ROUNDS = 20  # draws before a "filter" inequality gives up


@dataclass
class Derived:
    column: str
    formula: str
    kind: str = "derived"

    def __post_init__(self) -> None:
        self.parsed: Formula = parse(self.formula, self.name)

    @property
    def name(self) -> str:
        return f"constraint derived {self.column!r}"

    def reads(self) -> list[str]:
        return list(self.parsed.columns)

    def writes(self) -> list[str]:
        return [self.column]

    def apply(self, frame: pd.DataFrame, domain: Domain, rng: np.random.Generator) -> dict[str, Any]:
        value = self.parsed.evaluate(frame)
        if pd.api.types.is_datetime64_any_dtype(value):
            frame[self.column] = value.dt.strftime("%Y-%m-%d")
        else:
            value = pd.to_numeric(value, errors="coerce").astype(float)
            whole = value.dropna()
            if len(whole) and bool((whole % 1 == 0).all()) and np.isfinite(whole).all():
                value = value.astype("Int64") if value.isna().any() else value.astype("int64")
            frame[self.column] = value
        return {"drawn": len(frame), "missing": int(frame[self.column].isna().sum())}

    def domain_of(self, domain: Domain) -> ColumnDomain:
        """The derived column's domain from the domains of the columns it reads: post-processing."""
        ranges = {c: _range(domain[c]) if c in domain.columns else None for c in self.reads()}
        nullable = any(domain[c].nullable for c in self.reads() if c in domain.columns)
        bounds = self.parsed.bounds(ranges)
        if bounds is not None and isinstance(bounds[0], pd.Timestamp):
            return ColumnDomain(self.column, "datetime", lower=bounds[0].strftime("%Y-%m-%d"),
                                upper=bounds[1].strftime("%Y-%m-%d"), datetime_format="%Y-%m-%d",
                                nullable=nullable, source="constraint")
        whole = bounds is not None and all(float(b) % 1 == 0 for b in bounds) and "/" not in self.formula
        return ColumnDomain(self.column, "numerical", lower=None if bounds is None else float(bounds[0]),
                            upper=None if bounds is None else float(bounds[1]), integer=whole,
                            decimals=0 if whole else None, nullable=nullable, source="constraint")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "column": self.column, "formula": self.formula}


@dataclass
class Inequality:
    column: str
    at_least: str | float | None = None
    at_most: str | float | None = None
    strict: bool = False
    repair: str = "clip"  # clip | swap | filter
    kind: str = "inequality"
    bounds: dict[str, Formula] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.at_least is None and self.at_most is None:
            raise SynthRecordsError(f"{self.name}: give at_least, at_most or both")
        if self.repair not in ("clip", "swap", "filter"):
            raise SynthRecordsError(f"{self.name}: repair {self.repair!r} is not one of clip, swap, filter")
        for side in ("at_least", "at_most"):
            bound = getattr(self, side)
            if bound is not None:
                self.bounds[side] = parse(str(bound), self.name, bound=True)
                if self.repair == "swap" and self.bounds[side].columns != (str(bound).strip(),):
                    raise SynthRecordsError(f"{self.name}: repair 'swap' needs a plain column as {side}, got "
                                            f"{bound!r}; use repair 'clip' or 'filter'")

    @property
    def name(self) -> str:
        rule = " and ".join(f"{'>' if s == 'at_least' else '<'}{'' if self.strict else '='} {f.text}"
                            for s, f in self.bounds.items()) if hasattr(self, "bounds") else ""
        return f"constraint inequality {self.column!r} {rule}".rstrip()

    def reads(self) -> list[str]:
        return [self.column, *(c for f in self.bounds.values() for c in f.columns)]

    def writes(self) -> list[str]:
        return []

    def moves(self) -> list[str]:
        """The columns its repair changes: the inequality's own column (and for a swap, the
        bounding one). Declare it on the column whose exact value matters least."""
        if self.repair == "filter":
            return []
        return [self.column, *(f.columns[0] for f in self.bounds.values())] if self.repair == "swap" else [self.column]

    def broken(self, frame: pd.DataFrame, domain: Domain) -> dict[str, np.ndarray]:
        value = _values(frame[self.column], domain, self.column)
        out = {}
        for side, formula in self.bounds.items():
            bound = _as_like(formula.evaluate(frame), value)
            with np.errstate(invalid="ignore"):
                bad = (value < bound if not self.strict else value <= bound) if side == "at_least" else \
                      (value > bound if not self.strict else value >= bound)
            out[side] = np.asarray(bad.fillna(False) if isinstance(bad, pd.Series) else bad, dtype=bool)
        return out

    def apply(self, frame: pd.DataFrame, domain: Domain, rng: np.random.Generator) -> dict[str, Any]:
        broken = self.broken(frame, domain)
        report = {"drawn": len(frame), "broken": int(np.logical_or.reduce(list(broken.values())).sum())}
        if self.repair == "filter":
            return report
        for side, bad in broken.items():
            if not bad.any():
                continue
            if self.repair == "swap":
                other = self.bounds[side].columns[0]
                a, b = frame[self.column].copy(), frame[other].copy()
                frame.loc[bad, self.column], frame.loc[bad, other] = b[bad].to_numpy(), a[bad].to_numpy()
                continue
            value = _values(frame[self.column], domain, self.column)
            bound = _as_like(self.bounds[side].evaluate(frame), value)
            if self.strict:  # the nearest value strictly past the bound
                step = pd.Timedelta(days=1) if pd.api.types.is_datetime64_any_dtype(bound) else \
                    (1 if _integer(domain, self.column) else 1e-9)
                bound = bound + step if side == "at_least" else bound - step
            if _integer(domain, self.column):
                bound = np.ceil(bound) if side == "at_least" else np.floor(bound)
            frame[self.column] = _write_like(frame[self.column], value.where(~bad, bound), domain, self.column)
        report["repaired"] = report["broken"]
        return report

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "column": self.column, "at_least": self.at_least, "at_most": self.at_most,
                "strict": self.strict, "repair": self.repair}


Constraint = Derived | Combinations | Inequality
KINDS = {"derived": Derived, "hierarchy": Combinations, "fixed_combinations": Combinations, "inequality": Inequality}


def from_dict(spec: dict[str, Any] | Constraint) -> Constraint:
    """A constraint from its JSON form (``to_dict``), as saved with the model."""
    if not isinstance(spec, dict):
        return spec
    spec = dict(spec)
    kind = spec.get("kind")
    if kind not in KINDS:
        raise SynthRecordsError(f"constraint {spec}: kind {kind!r} is not one of {', '.join(KINDS)}")
    try:
        return KINDS[kind](**spec)
    except TypeError as exc:
        raise SynthRecordsError(f"constraint {kind} {spec}: {exc}") from None


@dataclass
class ConstraintSet:
    """The declared constraints of a model: which columns they fill in, their domains, and
    applying them to synthetic rows."""

    constraints: list[Constraint]

    @classmethod
    def of(cls, specs: list | None) -> ConstraintSet:
        return cls([from_dict(s) for s in specs or []])

    def __bool__(self) -> bool:
        return bool(self.constraints)

    @property
    def filled(self) -> list[str]:
        """Columns the constraints fill in: never modelled, never read at fit."""
        return [c for k in self.constraints for c in k.writes()]

    def check(self, columns: list[str], modelled: list[str] | None = None) -> None:
        """Every column a constraint names exists; with ``modelled``, every column it reads is
        modelled or filled in by another constraint; no repair moves a filled-in column; no circle."""
        seen: dict[str, str] = {}
        for k in self.constraints:
            for column in [*k.reads(), *k.writes()]:
                if column not in columns:
                    raise SynthRecordsError(f"{k.name}: column {column!r} is not in the data; columns: "
                                            f"{', '.join(map(str, columns))}")
            for column in k.writes():
                if column in seen:
                    raise SynthRecordsError(f"{k.name}: column {column!r} is already filled in by {seen[column]}; "
                                            "declare one constraint per column")
                seen[column] = k.name
        for k in self.constraints:
            if isinstance(k, Combinations) and k.anchor in seen:
                raise SynthRecordsError(f"{k.name}: its anchor {k.anchor!r} is filled in by {seen[k.anchor]}; "
                                        "the anchor must be a modelled column")
            moved = [c for c in getattr(k, "moves", list)() if c in seen]
            if moved:
                raise SynthRecordsError(f"{k.name}: its repair would move {moved[0]!r}, which {seen[moved[0]]} fills "
                                        "in, and break that; declare the inequality on a modelled column the other "
                                        "reads (e.g. birth_date at_most add_years(signup_date, -18)), or repair 'filter'")
            absent = [c for c in k.reads() if modelled is not None and c not in modelled and c not in seen]
            if absent:
                raise SynthRecordsError(f"{k.name}: it reads {absent[0]!r}, which is not modelled (dropped or an "
                                        "identifier); keep it with pii columns = {" + f"{absent[0]} = 'keep'" + "}")
        self.ordered()  # a circle is an error before the fit

    def ordered(self) -> list[Constraint]:
        """Constraints in the order they apply: each after those that fill in or move a column it
        reads (a formula over a repaired date sees the repaired value; a bound over a derived
        column sees it derived). Otherwise lookups first, then inequalities, then formulas."""
        rank = {Combinations: 0, Inequality: 1, Derived: 2}
        todo = sorted(self.constraints, key=lambda k: rank[type(k)])
        done: list[Constraint] = []
        while todo:
            ready = next((k for k in todo if not any(
                _needs(k) & set(o.writes() + getattr(o, "moves", list)()) for o in todo if o is not k)), None)
            if ready is None:
                raise SynthRecordsError(f"{todo[0].name}: it and {todo[1].name} each change a column the other reads "
                                        "(a circle); drop one, or declare the inequality on another column")
            todo.remove(ready)
            done.append(ready)
        return done

    def domain(self, modelled: Domain, order: list[str]) -> Domain:
        """The modelled domain plus the filled-in columns' domains (from the lookup or the
        formula over released bounds: no budget), in ``order``."""
        extra: dict[str, ColumnDomain] = {}
        for k in self.ordered():
            known = Domain({**modelled.columns, **extra})
            for column in k.writes():
                extra[column] = k.domain_of(known) if isinstance(k, Derived) else k.domain_of(column, known)
            if isinstance(k, Combinations) and k.anchor in modelled.columns:
                extra[k.anchor] = widen(modelled[k.anchor], list(k.table[k.anchor].astype(str).unique()))
        every = {**modelled.columns, **extra}
        return Domain({c: every[c] for c in [*(c for c in order if c in every), *every]})

    def apply(self, frame: pd.DataFrame, domain: Domain, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, list[dict]]:
        """Fill in and repair ``frame`` (synthetic rows); returns it, the rows a "filter"
        inequality rejects, and what each constraint did."""
        frame = frame.copy()
        rejected = np.zeros(len(frame), dtype=bool)
        done = []
        for k in self.ordered():
            if isinstance(k, Inequality) and k.repair == "filter":
                rejected |= np.logical_or.reduce(list(k.broken(frame, domain).values()))
            done.append({"constraint": k.name, **k.apply(frame, domain, rng)})
        return frame, rejected, done

    def to_dicts(self) -> list[dict[str, Any]]:
        return [k.to_dict() for k in self.constraints]


def _needs(k: Constraint) -> set[str]:
    """The columns ``k`` reads that another constraint may have to fill in or move first (an
    inequality's own moved column is its to change, so two rules on one column are no circle)."""
    return set(k.reads()) - set(getattr(k, "moves", list)())


class ConstrainedEngine:
    """An engine whose rows come out with the constraints applied; the sampler plans cells
    and filters on top of it as on any engine. Conditions on filled-in columns are left to
    the sampler's rejection (the model does not know those columns)."""

    def __init__(self, engine: Any, constraints: ConstraintSet, domain: Domain, max_rounds: int = MAX_ROUNDS):
        self.engine, self.constraints, self.domain, self.max_rounds = engine, constraints, domain, max_rounds
        self.drawn = self.kept = 0
        self.done: dict[str, dict[str, Any]] = {}

    def sample(self, n: int, *, seed: int | None, conditions: dict[str, Any] | None = None) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        inner = {c: v for c, v in (conditions or {}).items() if c not in self.constraints.filled} or None
        parts, have = [], 0
        for _ in range(self.max_rounds):
            # Ask for more than is missing once acceptance is known to be low.
            size = n - have if not self.drawn else int(np.ceil((n - have) * self.drawn / max(self.kept, 1))) + 8
            rows = self.engine.sample(min(size, 50 * (n - have)), seed=int(rng.integers(2**31 - 1)), conditions=inner)
            rows, rejected, done = self.constraints.apply(rows.reset_index(drop=True), self.domain, rng)
            self._count(done, len(rows), int((~rejected).sum()))
            parts.append(rows[~rejected])
            have += int((~rejected).sum())
            if have >= n:
                return pd.concat(parts, ignore_index=True).head(n)
        raise SynthRecordsError(f"{[k.name for k in self.constraints.constraints if getattr(k, 'repair', '') == 'filter']}: "
                                f"only {have} of {n} rows met the filtered inequalities after {self.max_rounds} draws "
                                f"(acceptance {self.kept / max(self.drawn, 1):.1%}); use repair = 'clip' instead")

    def _count(self, done: list[dict], drawn: int, kept: int) -> None:
        self.drawn += drawn
        self.kept += kept
        for entry in done:
            into = self.done.setdefault(entry["constraint"], {})
            for key, value in entry.items():
                if key != "constraint":
                    into[key] = into.get(key, 0) + value

    def report(self) -> dict[str, Any]:
        return {"constraints": [{"constraint": k, **v} for k, v in self.done.items()],
                "rows_drawn": self.drawn, "rows_kept": self.kept,
                "acceptance_rate": self.kept / self.drawn if self.drawn else None}


def constraints_from_suite(suite: Any) -> list[Constraint]:
    """The rules of an expectation suite (a GX suite or its JSON dict) that are constraints:
    ``expect_column_pair_values_a_to_be_greater_than_b`` (column_A >= column_B, swapped when
    broken) and ``expect_column_values_to_be_between`` without ``mostly`` (clipped). Both are
    business rules the user wrote, so enforcing them costs no budget."""
    raw = suite if isinstance(suite, dict) else suite.to_json_dict()
    out: list[Constraint] = []
    for e in raw.get("expectations", []):
        kind, kw = e.get("type") or e.get("expectation_type"), e.get("kwargs", {})
        if kw.get("mostly", 1) < 1 or kw.get("row_condition"):
            continue  # a tolerance, not a rule every row keeps
        if kind == "expect_column_pair_values_a_to_be_greater_than_b":
            out.append(Inequality(kw["column_A"], at_least=kw["column_B"], strict=not kw.get("or_equal", False),
                                  repair="swap"))
        elif kind == "expect_column_values_to_be_between" and (kw.get("min_value"), kw.get("max_value")) != (None, None):
            if isinstance(kw.get("min_value"), str) or isinstance(kw.get("max_value"), str):
                continue  # date bounds are the domain's job ([columns.public])
            out.append(Inequality(kw["column"], at_least=kw.get("min_value"), at_most=kw.get("max_value"),
                                  strict=bool(kw.get("strict_min") or kw.get("strict_max"))))
    return out


# -- values of a column as numbers or dates, and back in the column's own form -------------------
def _range(col: ColumnDomain) -> tuple[Any, Any] | None:
    if col.kind == "numerical" and col.lower is not None and col.upper is not None:
        return float(col.lower), float(col.upper)
    if col.kind == "datetime" and col.lower is not None and col.upper is not None:
        return pd.Timestamp(col.lower), pd.Timestamp(col.upper)
    return None


def _is_date(domain: Domain, column: str) -> bool:
    return column in domain.columns and domain[column].kind == "datetime"


def _integer(domain: Domain, column: str) -> bool:
    return column in domain.columns and bool(domain[column].integer)


def _values(series: pd.Series, domain: Domain, column: str) -> pd.Series:
    if _is_date(domain, column) or pd.api.types.is_datetime64_any_dtype(series):
        return series if pd.api.types.is_datetime64_any_dtype(series) else \
            pd.to_datetime(series, errors="coerce", format=domain[column].datetime_format)
    return pd.to_numeric(series, errors="coerce").astype(float)


def _as_like(bound: Any, value: pd.Series) -> Any:
    if pd.api.types.is_datetime64_any_dtype(value):
        return bound if isinstance(bound, pd.Series) and pd.api.types.is_datetime64_any_dtype(bound) else \
            pd.to_datetime(bound, errors="coerce")
    return pd.to_numeric(bound, errors="coerce")


def _write_like(original: pd.Series, value: pd.Series, domain: Domain, column: str) -> pd.Series:
    """``value`` in the representation the engine gave ``original`` (dates as formatted text)."""
    if pd.api.types.is_datetime64_any_dtype(value) and not pd.api.types.is_datetime64_any_dtype(original):
        return value.dt.strftime(domain[column].datetime_format or "%Y-%m-%d") if column in domain.columns \
            else value.dt.strftime("%Y-%m-%d")
    if pd.api.types.is_integer_dtype(original) and value.notna().all():
        return value.astype(original.dtype)
    return value
