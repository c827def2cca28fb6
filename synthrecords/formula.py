"""A small, safe expression language for derived columns and inequality bounds.

``months_between(signup_date, "2025-12-31")``, ``add_years(birth_date, 18)``,
``price * quantity - discount``: column names, number and date constants, + - * / // %,
unary minus and a few named date functions. Parsed with ``ast`` against a whitelist and
evaluated on whole columns; nothing is ever passed to ``eval``, so a formula in a job file
cannot run code. Formulas are declared by the user (public knowledge, like business rules)
and only ever evaluated on synthetic rows.
"""

from __future__ import annotations

import ast
import itertools
import operator
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import SynthRecordsError

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _dates(value: Any) -> Any:
    if isinstance(value, pd.Series):
        return value if pd.api.types.is_datetime64_any_dtype(value) else pd.to_datetime(value, errors="coerce")
    return pd.Timestamp(value)


def _parts(value: Any) -> tuple[Any, Any, Any]:
    d = _dates(value)
    return (d.dt.year, d.dt.month, d.dt.day) if isinstance(d, pd.Series) else (d.year, d.month, d.day)


def months_between(start: Any, end: Any) -> Any:
    """Calendar months from ``start`` to ``end``: month boundaries crossed (2025-01-31 to
    2025-02-01 is 1), the way billing systems count tenure."""
    (y0, m0, _), (y1, m1, _) = _parts(start), _parts(end)
    return (y1 - y0) * 12 + (m1 - m0)


def years_between(start: Any, end: Any) -> Any:
    """Whole years completed from ``start`` to ``end`` (an age: 17 the day before the 18th birthday)."""
    (y0, m0, d0), (y1, m1, d1) = _parts(start), _parts(end)
    before_birthday = (m1 * 100 + d1) < (m0 * 100 + d0)
    return (y1 - y0) - (before_birthday.astype(int) if isinstance(before_birthday, pd.Series) else int(before_birthday))


def days_between(start: Any, end: Any) -> Any:
    delta = _dates(end) - _dates(start)
    return delta.dt.days if isinstance(delta, pd.Series) else delta.days


def _shift(unit: str):
    """``add_years`` / ``add_months`` / ``add_days``: a date moved by a whole number of units, which
    may be a constant or a numeric column (a date derived from an as-of date and a month count:
    ``add_months("2025-12-31", -tenure_months)``). A day past the target month's end becomes its
    last day (31 March - 1 month -> 28 February); a fractional amount is rounded down."""
    per_month = {"years": 12, "months": 1}.get(unit)

    def shift(date: Any, amount: Any) -> Any:
        dates, amounts = _dates(date), amount
        if not isinstance(amounts, pd.Series):  # one amount for every row: pandas' own offset
            return dates + pd.DateOffset(**{unit: int(np.floor(amounts))})
        dates = dates if isinstance(dates, pd.Series) else pd.Series(dates, index=amounts.index)
        amounts = np.floor(pd.to_numeric(amounts, errors="coerce"))
        if per_month is None:
            return dates + pd.to_timedelta(amounts, unit="D")
        months = dates.dt.year * 12 + dates.dt.month - 1 + amounts * per_month
        ok = months.notna() & dates.notna()
        year, month = (months[ok] // 12).astype(int), (months[ok] % 12 + 1).astype(int)
        first = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}))
        day = np.minimum(dates[ok].dt.day, first.dt.days_in_month)
        out = pd.Series(pd.NaT, index=dates.index, dtype="datetime64[ns]")
        out[ok] = first + pd.to_timedelta(day - 1, unit="D") + (dates[ok] - dates[ok].dt.normalize())
        return out
    shift.__name__ = f"add_{unit}"
    return shift


# name -> (function, which arguments are amounts: a number or a numeric column, never date text)
FUNCTIONS: dict[str, tuple[Any, tuple[int, ...]]] = {
    "months_between": (months_between, ()), "years_between": (years_between, ()),
    "days_between": (days_between, ()), "add_years": (_shift("years"), (1,)),
    "add_months": (_shift("months"), (1,)), "add_days": (_shift("days"), (1,)),
}


@dataclass(frozen=True)
class Formula:
    """A parsed formula: ``columns`` it reads, ``evaluate(frame)`` on whole columns."""

    text: str
    tree: ast.expr
    columns: tuple[str, ...]

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        value = _evaluate(self.tree, frame)
        if not isinstance(value, pd.Series):  # a constant formula: the same value in every row
            value = pd.Series([value] * len(frame), index=frame.index)
        return value

    def bounds(self, ranges: dict[str, tuple[Any, Any]]) -> tuple[Any, Any] | None:
        """The formula's smallest and largest value over the corners of its columns' ranges.

        Exact for formulas monotone in each column (every date function, + and -, and * on
        ranges): used to give a derived column its domain from the released bounds of the
        columns it reads, as post-processing. None when a column has no range.
        """
        if any(ranges.get(c) is None or None in ranges[c] for c in self.columns):
            return None
        corners = list(itertools.product(*(ranges[c] for c in self.columns)))
        frame = pd.DataFrame(corners, columns=list(self.columns)) if self.columns else pd.DataFrame(index=[0])
        values = self.evaluate(frame).dropna()
        return (values.min(), values.max()) if len(values) else None


def parse(text: str, where: str, *, bound: bool = False) -> Formula:
    """Parse ``text``; ``where`` names the constraint in any error (one line, with what to do).
    A ``bound`` (of an inequality) may also be a bare date, ``2010-01-01``."""
    if bound and _ISO_DATE.fullmatch(str(text).strip()):
        text = f'"{str(text).strip()}"'
    try:
        tree = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError as exc:
        raise SynthRecordsError(f"{where}: formula {text!r} is not valid ({exc.msg}); write e.g. "
                                "months_between(signup_date, \"2025-12-31\") or price * quantity") from None
    columns: list[str] = []
    _check(tree, text, where, columns, in_call=bound)
    return Formula(str(text), tree, tuple(dict.fromkeys(columns)))


def _check(node: ast.AST, text: str, where: str, columns: list[str], *, in_call: bool = False) -> None:
    if isinstance(node, ast.Name):
        columns.append(node.id)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float | str):
            raise SynthRecordsError(f"{where}: formula {text!r}: constant {node.value!r} is not a number or a date")
        if isinstance(node.value, str):
            if not in_call:
                raise SynthRecordsError(f"{where}: formula {text!r}: the text {node.value!r} can only be a date "
                                        "argument of a function, e.g. months_between(signup_date, \"2025-12-31\")")
            try:
                pd.Timestamp(node.value)
            except ValueError:
                raise SynthRecordsError(f"{where}: formula {text!r}: {node.value!r} is not a date; write "
                                        "dates as \"YYYY-MM-DD\"") from None
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text, where, columns)
        _check(node.right, text, where, columns)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand, text, where, columns)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        _, amounts = FUNCTIONS[node.func.id]
        if len(node.args) != 2 or node.keywords:
            raise SynthRecordsError(f"{where}: formula {text!r}: {node.func.id} takes two arguments, "
                                    f"got {len(node.args) + len(node.keywords)}")
        for i, arg in enumerate(node.args):
            if i in amounts and isinstance(arg, ast.Constant) and not isinstance(arg.value, int | float):
                raise SynthRecordsError(f"{where}: formula {text!r}: argument {i + 1} of {node.func.id} must be a "
                                        f"number or a numeric column, e.g. {node.func.id}(birth_date, 18)")
            _check(arg, text, where, columns, in_call=i not in amounts)
    else:
        allowed = ", ".join(FUNCTIONS)
        what = ast.unparse(node) if isinstance(node, ast.expr) else type(node).__name__
        raise SynthRecordsError(f"{where}: formula {text!r}: {what!r} is not allowed; use column names, numbers, "
                                f"+ - * / // %, and the functions {allowed}")


def _evaluate(node: ast.expr, frame: pd.DataFrame) -> Any:
    if isinstance(node, ast.Name):
        return frame[node.id]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, frame), _evaluate(node.right, frame)
        left, right = (pd.to_numeric(v, errors="coerce") if isinstance(v, pd.Series) and v.dtype == object else v
                       for v in (left, right))
        with np.errstate(divide="ignore", invalid="ignore"):
            return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, frame)
        return -value if isinstance(node.op, ast.USub) else value
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # _check allowed nothing else
    function, _ = FUNCTIONS[node.func.id]
    return function(*(_evaluate(a, frame) for a in node.args))
