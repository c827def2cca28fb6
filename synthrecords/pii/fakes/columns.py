"""Whole columns of fakes from their plans: post-processing, no real value needed.

`generate_columns` draws every planned column at once with numpy: rows are split by
locale (and format, and variant) with one weighted draw, each group is made by the
entity's maker (``ids.py``, ``people.py``, masks from ``formats.py``) as '<U' arrays, and
each column becomes Python strings once, at the end. People come first, so that each row's
e-mail is built from its own fake name. A unique column is drawn as distinct indices where
its space allows that (then it cannot repeat), else duplicates are re-drawn; nothing is
ever re-drawn against real values. The generator is seeded from `secrets`, not from the
public run seed: a fake reveals nothing about which values are real.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import numpy as np
import pandas as pd

from ...errors import SynthRecordsError
from . import ids, people
from .formats import (
    ALNUM,
    MAX_INDEX,
    fill_mask,
    mask_space,
    mask_tokens,
    masks_disjoint,
    random_strings,
    string_hashes,
    to_object,
)
from .names import LOCALES
from .plan import FakePlan

MAX_ROUNDS = 30  # unique columns: rounds of re-drawing duplicates
_DEFAULT_PHONE = {"en_US": "(999) 999-9999", "en_GB": "\\09999 999999", "de_DE": "+\\4\\9 999 99999999",
                  "fr_FR": "\\09 99 99 99 99", "es_ES": "+\\3\\4 999 999 999"}


def fake_rng(fake_seed: int | None = None) -> np.random.Generator:
    """The fakes' generator: from `secrets` unless a private `fake_seed` is given."""
    return np.random.default_rng(secrets.randbits(128) if fake_seed is None else fake_seed)


Names = dict[str, np.ndarray]  # row-aligned first/last names of a table's fake person, and their ASCII forms
_NAME_PARTS = ("first", "last", "first_ascii", "last_ascii")


def generate_columns(plans: list[FakePlan], n: int, rng: np.random.Generator) -> dict[str, pd.Series]:
    """Every plan's column; people first, so that each row's e-mail is built from its fake name."""
    out, names = {}, None
    for plan in sorted(plans, key=lambda p: p.entity != "PERSON"):
        values, parts = draw_values(plan, n, rng, names if plan.entity == "EMAIL_ADDRESS" else None)
        if plan.entity == "PERSON" and plan.action == "fake":
            kind = next(iter(plan.variants), "full")  # separate first/last columns: each gives its part
            names = parts if names is None or kind == "full" else \
                {**names, kind: parts[kind], f"{kind}_ascii": parts[f"{kind}_ascii"]}
        out[plan.column] = _finish(values, plan, rng)
    return out


def generate_column(plan: FakePlan, n: int, rng: np.random.Generator, names: Names | None = None) -> pd.Series:
    """n surrogates for one plan, unique when the real column was; `names` lets e-mails match a name column."""
    return _finish(draw_values(plan, n, rng, names)[0], plan, rng)


def _finish(values: np.ndarray, plan: FakePlan, rng: np.random.Generator) -> pd.Series:
    if plan.null_share:
        values[rng.choice(len(values), round(plan.null_share * len(values)), replace=False)] = None
    return cast_like(pd.Series(values, dtype=object, copy=False), plan)


def draw_values(plan: FakePlan, n: int, rng: np.random.Generator, names: Names | None = None
                ) -> tuple[np.ndarray, Names]:
    """Non-null surrogates (Python strings) and, for a person column, the names behind each row."""
    try:
        values, parts = draw(plan, n, rng, names, distinct=plan.unique)
    except ValueError as exc:  # a distinct draw from a format smaller than the table
        raise _exhausted(plan, n) from exc
    if not plan.unique or _distinct_by_construction(plan):
        return to_object(values), parts
    hashes = string_hashes(values)
    for _ in range(MAX_ROUNDS):
        again = np.flatnonzero(pd.Series(hashes, copy=False).duplicated().to_numpy())
        if not len(again):
            return to_object(values), parts
        sub = {k: v[again] for k, v in names.items()} if names else None
        new_values, new_parts = draw(plan, len(again), rng, sub, distinct=False)
        values, hashes[again] = _put(values, again, new_values), string_hashes(new_values)
        for k, v in new_parts.items():
            parts[k] = _put(parts[k], again, v)
    raise _exhausted(plan, n)


def _exhausted(plan: FakePlan, n: int) -> SynthRecordsError:
    return SynthRecordsError(
        f"column {plan.column!r}: its format holds too few distinct values for {n} unique fakes; set its "
        f"action to 'hash' in the pii policy, or sample fewer rows")


_DISTINCT_MAKERS = ("PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "NATIONAL_ID", "STREET_ADDRESS", "PASSPORT",
                    "ACCOUNT_ID", "ID")


def _distinct_by_construction(plan: FakePlan) -> bool:
    """Whether a distinct draw of this plan cannot repeat a value: one locale, and one format
    (or formats no value can share) small enough to index; else duplicates are checked."""
    if plan.action != "fake" or len(plan.locales) > 1:
        return False
    if plan.entity == "PERSON":
        return plan.variants in ({}, {"full": 1.0})
    if plan.entity not in _DISTINCT_MAKERS:
        return False
    if plan.entity in ("PHONE_NUMBER", "CREDIT_CARD", "PASSPORT", "ACCOUNT_ID", "ID"):
        masks = list(plan.masks)
        if not masks:
            return plan.entity == "PHONE_NUMBER"
        return masks_disjoint(masks) and all(mask_space(m) <= MAX_INDEX for m in masks)
    return True


def draw(plan: FakePlan, n: int, rng: np.random.Generator, names: Names | None, distinct: bool = False
         ) -> tuple[np.ndarray, Names]:
    """n values of a plan as a '<U' array (no nulls, no uniqueness check) and any names behind them."""
    if plan.action == "hash":
        return random_strings(n, 16, 16, rng, "0123456789abcdef"), {}
    if plan.entity == "EMAIL_ADDRESS" and names is not None:
        return people.email(names["first_ascii"], names["last_ascii"], rng), {}
    person = plan.entity in ("PERSON", "EMAIL_ADDRESS")
    groups, name_groups = [], []
    for locale, rows in _pick(plan.locales, n, rng):
        loc = locale if locale in LOCALES else "en_US"
        size = n if rows is None else len(rows)
        if person:
            drawn = people.person(size, rng, loc, distinct)
            name_groups.append((rows, drawn))
            values = _person_values(plan, drawn, size, rng) if plan.entity == "PERSON" \
                else people.email(drawn["first_ascii"], drawn["last_ascii"], rng)
        else:
            values = _MAKERS.get(plan.entity, _masked)(plan, size, rng, loc, distinct)
        groups.append((rows, values))
    parts = {k: _merge([(rows, d[k]) for rows, d in name_groups], n) for k in _NAME_PARTS} if person else {}
    return _merge(groups, n), parts


def _pick(weights: dict[str, float], n: int, rng: np.random.Generator) -> list[tuple[str, np.ndarray | None]]:
    """Rows split by a weighted draw of keys: [(key, row positions)]; rows None: all of them (one key)."""
    keys = list(weights) or ["en_US"]
    if len(keys) == 1:
        return [(keys[0], None)]
    p = np.array([weights[k] for k in keys], dtype=float)
    codes = rng.choice(len(keys), n, p=p / p.sum())
    return [(k, np.flatnonzero(codes == i)) for i, k in enumerate(keys)]


def _merge(groups: list[tuple[np.ndarray | None, np.ndarray]], n: int) -> np.ndarray:
    """One array from the groups' values at their rows (the groups' rows cover 0..n-1)."""
    if len(groups) == 1 and groups[0][0] is None:
        return groups[0][1]
    out = np.empty(n, dtype=np.result_type(*(values.dtype for _, values in groups)))
    for rows, values in groups:
        out[rows] = values
    return out


def _put(target: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``target`` with ``values`` written at ``rows``, widened first if a new string is longer."""
    wide = np.result_type(target.dtype, values.dtype)
    out = target if wide == target.dtype else target.astype(wide)
    out[rows] = values
    return out


def _person_values(plan: FakePlan, drawn: Names, n: int, rng: np.random.Generator) -> np.ndarray:
    groups = []
    for kind, rows in _pick(plan.variants or {"full": 1.0}, n, rng):
        if kind in ("first", "last"):
            groups.append((rows, drawn[kind] if rows is None else drawn[kind][rows]))
        else:
            spaced, last = (drawn["first_space"], drawn["last"]) if rows is None else \
                (drawn["first_space"][rows], drawn["last"][rows])
            groups.append((rows, np.strings.add(spaced, last)))
    return _merge(groups, n)


def _by_mask(make: Callable[..., np.ndarray], masks: dict[str, float], n: int, rng: np.random.Generator,
             distinct: bool) -> np.ndarray:
    return _merge([(rows, make(mask, n if rows is None else len(rows), rng, distinct))
                   for mask, rows in _pick(masks, n, rng)], n)


def _masked(plan: FakePlan, n: int, rng: np.random.Generator, locale: str, distinct: bool) -> np.ndarray:
    if not plan.masks:
        return random_strings(n, plan.length[0], plan.length[1], rng)
    return _by_mask(fill_mask, plan.masks, n, rng, distinct)


def _phone(plan: FakePlan, n: int, rng: np.random.Generator, locale: str, distinct: bool) -> np.ndarray:
    # only the input's formats that passed the floor; a locale default when none did
    masks = plan.masks or {_DEFAULT_PHONE.get(locale, _DEFAULT_PHONE["en_US"]): 1.0}
    return _by_mask(ids.phone, masks, n, rng, distinct)


def _card(plan: FakePlan, n: int, rng: np.random.Generator, locale: str, distinct: bool) -> np.ndarray:
    masks = {m: s for m, s in plan.masks.items() if 12 <= len(ids.digit_slots(mask_tokens(m))[0]) <= 19}
    return _by_mask(ids.card, masks or {"9999999999999999": 1.0}, n, rng, distinct)


def _plate(plan: FakePlan, n: int, rng: np.random.Generator, locale: str, distinct: bool) -> np.ndarray:
    return _by_mask(fill_mask, dict.fromkeys(ids.plate_masks(locale), 1.0), n, rng, distinct)


_MAKERS: dict[str, Callable[[FakePlan, int, np.random.Generator, str, bool], np.ndarray]] = {
    "PHONE_NUMBER": _phone,
    "CREDIT_CARD": _card,
    "IBAN_CODE": lambda plan, n, rng, loc, d: ids.iban(n, rng, loc, plan.variants.get("grouped", 0.0), d),
    "NATIONAL_ID": lambda plan, n, rng, loc, d: ids.national_id(n, rng, loc, d),
    "IP_ADDRESS": lambda plan, n, rng, loc, d: ids.ip_address(n, rng, plan.variants.get("ipv6", 0.0)),
    "URL": lambda plan, n, rng, loc, d: people.url(n, rng, loc),
    "STREET_ADDRESS": lambda plan, n, rng, loc, d: people.street_address(n, rng, loc, d),
    "LICENSE_PLATE": _plate,
}


def chance_spaces(plans: list[FakePlan]) -> dict[str, float]:
    """Per faked column drawn uniformly over its format (no unused space to draw from), the
    size of the smallest format: what `leakage.check_leakage(spaces=)` needs to tell a chance
    equality with a real value from a leak."""
    out = {}
    for plan in plans:
        if plan.action != "fake":
            continue
        if plan.entity in ("PASSPORT", "ACCOUNT_ID", "ID", "LICENSE_PLATE") or plan.entity not in (
                *_MAKERS, "PERSON", "EMAIL_ADDRESS"):
            masks = plan.masks or ({} if plan.entity != "LICENSE_PLATE" else
                                   dict.fromkeys(m for loc in plan.locales for m in ids.plate_masks(loc)))
            out[plan.column] = min((mask_space(m) for m in masks), default=float(len(ALNUM)) ** plan.length[0])
        elif plan.entity == "PHONE_NUMBER":
            plain = [m for m in plan.masks if not ids.phone_is_fictional(m)]
            if plain:
                out[plan.column] = min(mask_space(m) for m in plain)
        elif plan.entity == "NATIONAL_ID" and "es_ES" in plan.locales:
            out[plan.column] = 9e7
    return out


def cast_like(series: pd.Series, plan: FakePlan) -> pd.Series:
    """Surrogates in the real column's letter case, and in its dtype where they fit it (digit-only
    IDs stay integers)."""
    if plan.case in ("lower", "upper"):
        series = getattr(series.str, plan.case)()
    if plan.dtype.startswith(("int", "Int", "float")) and series.dropna().str.fullmatch(r"\d{1,18}").all():
        numbers = pd.to_numeric(series)
        return numbers.astype("int64") if plan.dtype.startswith("int") and series.notna().all() else numbers
    return series
