"""Format-preserving surrogates for direct identifiers, drawn without the real data.

Learning (`learn_plan`) reads the real column once and keeps only its shape: the entity
type, the share of each locale, the value formats as masks (digit 9, letter A/a;
characters that are the same in every one of at least 20 distinct values, like a "CU-"
prefix, are kept as escaped literals), lengths, dtype, uniqueness and the share of
nulls. Every field is floored: a locale, format, variant or null share held by fewer than
MIN_GROUP_ROWS rows is dropped, so one unusual person leaves no trace in the plan (a
floor, not a DP measurement; the release's privacy scope says so).

Generation (`generate_column`) is post-processing of the plan: whole columns are drawn
at once with numpy (`fake_draw.py`), from spaces real identifiers do not occupy where one
exists, and invented names (`names.py`) for people. Nothing is filtered or re-drawn
against real values, and the generator is seeded from `secrets`, not from the public
run seed: a fake reveals nothing about which values are real. `fake_seed` (kept private)
makes fakes reproducible when a caller needs it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SynthRecordsError
from . import fake_draw as draw
from .leakage import cell_strings
from .names import LOCALES
from .rules import NATIONAL_IDS, VALIDATORS, guess_locale, name_tokens, shape_mask

SAFE_DOMAINS = tuple(draw.SAFE_DOMAINS)  # RFC 2606: can never be a real mailbox
MIN_DISTINCT_FOR_LITERALS = 20
MAX_ATTEMPTS = 60       # keyed mode: tries per value before giving up
MAX_ROUNDS = 30         # unique columns: rounds of re-drawing duplicates
MIN_GROUP_ROWS = 10     # a locale, format, variant or null share is only recorded when this many rows share it
MIN_GROUP_SHARE = 0.02
MASK_ENTITIES = ("PHONE_NUMBER", "CREDIT_CARD", "PASSPORT", "ACCOUNT_ID", "ID")  # formats learned as masks
_ID_LOCALE = {"US_SSN": "en_US", "UK_NINO": "en_GB", "DE_TAX_ID": "de_DE", "FR_NIR": "fr_FR",
              "ES_NIF": "es_ES", "ES_NIE": "es_ES"}
_DEFAULT_PHONE = {"en_US": "(999) 999-9999", "en_GB": "\\09999 999999", "de_DE": "+\\4\\9 999 99999999",
                  "fr_FR": "\\09 99 99 99 99", "es_ES": "+\\3\\4 999 999 999"}


@dataclass
class FakePlan:
    column: str
    action: str = "fake"  # fake | hash
    entity: str = "ID"
    locales: dict[str, float] = field(default_factory=lambda: {"en_US": 1.0})
    masks: dict[str, float] = field(default_factory=dict)
    variants: dict[str, float] = field(default_factory=dict)
    length: list[int] = field(default_factory=lambda: [1, 64])
    dtype: str = "object"
    unique: bool = False
    null_share: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FakePlan:
        try:
            return cls(**d)
        except TypeError as exc:
            raise SynthRecordsError(f"not a fake plan: {exc}; expected keys {list(cls.__dataclass_fields__)}") from exc


# ---------------------------------------------------------------- learning (real values in, floored shapes out)


def learn_plan(column: str, values: pd.Series, entities: list[str], action: str = "fake") -> FakePlan:
    """Shape statistics of a real direct column; no real value is kept, every field is floored."""
    strings = cell_strings(values)
    if strings.empty:
        return FakePlan(column, action, null_share=1.0, dtype=str(values.dtype))
    entity = "NATIONAL_ID" if set(entities) & set(NATIONAL_IDS) else (entities[0] if entities else "ID")
    head = strings.head(5000)
    masks = _masks(head) if entity in MASK_ENTITIES else {}
    lengths = [len(draw.mask_tokens(m)) for m in masks] or [8, 16]
    nulls = len(values) - len(strings)
    return FakePlan(
        column=column, action=action, entity=entity,
        locales=_locales(head, entity, entities),
        masks=masks,
        variants=_variants(column, head, entity),
        length=[min(lengths), max(lengths)],
        dtype=str(values.dtype),
        unique=bool(strings.nunique() >= 0.95 * len(strings)),
        null_share=round(nulls / len(values), 2) if nulls >= MIN_GROUP_ROWS else 0.0,
    )


def value_locale(value: str, entity: str, id_types: list[str] | tuple[str, ...] = NATIONAL_IDS) -> str | None:
    if entity == "NATIONAL_ID":
        return next((_ID_LOCALE[t] for t in id_types if t in VALIDATORS and VALIDATORS[t](value)), None)
    return guess_locale(value, entity)


def _large_groups(counts: Counter, total: int) -> dict[str, float]:
    """Shares of the groups big enough to describe many people, rounded, renormalised."""
    floor = max(MIN_GROUP_ROWS, MIN_GROUP_SHARE * total)
    kept = {k: n for k, n in counts.most_common(12) if n >= floor}
    size = sum(kept.values())
    return {k: round(n / size, 2) for k, n in kept.items()} if size else {}


def _floored_share(hits: int, total: int) -> float:
    """A share of rows, 0 or 1 when the minority side has fewer than MIN_GROUP_ROWS rows."""
    if hits < MIN_GROUP_ROWS:
        return 0.0
    return 1.0 if total - hits < MIN_GROUP_ROWS else round(hits / total, 2)


def _locales(values: pd.Series, entity: str, entities: list[str]) -> dict[str, float]:
    ids = [e for e in entities if e in NATIONAL_IDS] or list(NATIONAL_IDS)
    head = values.head(2000)
    guesses = Counter(g for g in (value_locale(v, entity, ids) for v in head) if g)
    return _large_groups(guesses, len(head)) or {"en_US": 1.0}


def _masks(values: pd.Series) -> dict[str, float]:
    masks = values.map(shape_mask)
    shares = _large_groups(Counter(masks), len(masks))
    return {_with_literals(mask, values[masks == mask]): share for mask, share in shares.items()}


def _with_literals(mask: str, values: pd.Series) -> str:
    # A character shared by many distinct values is a property of the column (a prefix, a
    # country code), not of a person; keep it, escaped. Rows that differ from it are ignored
    # when fewer than MIN_GROUP_ROWS (the floor): one odd record cannot turn a literal off.
    distinct = pd.Series(values.unique(), dtype=object)
    keep = len(distinct) >= MIN_DISTINCT_FOR_LITERALS
    out = []
    for i, ch in enumerate(mask):
        if keep and ch in "9Aa":
            top = distinct.str[i].value_counts()
            if len(distinct) - top.iloc[0] < MIN_GROUP_ROWS:
                out.append("\\" + top.index[0])
                continue
        out.append("\\\\" if ch == "\\" else ch)
    return "".join(out)


def _variants(column: str, values: pd.Series, entity: str) -> dict[str, float]:
    if entity == "PERSON":
        tokens = set(name_tokens(column))
        joined = "".join(tokens)
        if any(w in joined for w in ("first", "vorname", "prenom", "forename", "given")):
            return {"first": 1.0}
        if any(w in joined for w in ("last", "surname", "nachname", "apellido", "family")):
            return {"last": 1.0}
        return {"full": 1.0} if values.str.count(r"\s+").mean() >= 0.5 else {"first": 1.0}
    if entity == "IP_ADDRESS":
        v6 = _floored_share(int(values.str.contains(":").sum()), len(values))
        return {"ipv4": round(1 - v6, 2), "ipv6": v6}
    if entity in ("IBAN_CODE", "CREDIT_CARD"):
        return {"grouped": _floored_share(int(values.str.contains(r"\s").sum()), len(values))}
    return {}


# ---------------------------------------------------------------- generation (no real values needed)


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
    return cast_like(pd.Series(values, dtype=object), plan)


def draw_values(plan: FakePlan, n: int, rng: np.random.Generator, names: Names | None = None
                ) -> tuple[np.ndarray, Names]:
    """Non-null surrogates and, for a person column, the first/last name behind each row."""
    try:
        values, parts = _draw(plan, n, rng, names, distinct=plan.unique)
    except ValueError as exc:  # a distinct draw from a format smaller than the table
        raise _exhausted(plan, n) from exc
    if not plan.unique or _distinct_by_construction(plan):
        return values, parts
    for _ in range(MAX_ROUNDS):
        again = np.flatnonzero(pd.Series(values).duplicated().to_numpy())
        if not len(again):
            return values, parts
        sub = {k: v[again] for k, v in names.items()} if names else None
        values[again], new_parts = _draw(plan, len(again), rng, sub, distinct=False)
        for k, v in new_parts.items():
            parts[k][again] = v
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
        return draw.masks_disjoint(masks) and all(draw.mask_space(m) <= draw.MAX_INDEX for m in masks)
    return True


def _draw(plan: FakePlan, n: int, rng: np.random.Generator, names: Names | None, distinct: bool = False
          ) -> tuple[np.ndarray, Names]:
    if plan.action == "hash":
        return draw.random_strings(n, 16, 16, rng, "0123456789abcdef"), {}
    if plan.entity == "EMAIL_ADDRESS" and names is not None:
        return draw.email(names["first_ascii"], names["last_ascii"], rng), {}
    out = np.empty(n, dtype=object)
    people = plan.entity in ("PERSON", "EMAIL_ADDRESS")
    parts: Names = {k: np.empty(n, dtype=object) for k in _NAME_PARTS} if people else {}
    for locale, rows in _pick(plan.locales, n, rng):
        loc = locale if locale in LOCALES else "en_US"
        if people:
            drawn = draw.person(len(rows), rng, loc, distinct)
            for k in _NAME_PARTS:
                parts[k][rows] = drawn[k]
            out[rows] = _person_values(plan, drawn["first"], drawn["last"], rng) if plan.entity == "PERSON" \
                else draw.email(drawn["first_ascii"], drawn["last_ascii"], rng)
        else:
            out[rows] = _MAKERS.get(plan.entity, _masked)(plan, len(rows), rng, loc, distinct)
    return out, parts


def _pick(weights: dict[str, float], n: int, rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    """Rows split by a weighted draw of keys: [(key, row positions)], one group when there is one key."""
    keys = list(weights) or ["en_US"]
    if len(keys) == 1:
        return [(keys[0], np.arange(n))]
    p = np.array([weights[k] for k in keys], dtype=float)
    codes = rng.choice(len(keys), n, p=p / p.sum())
    return [(k, np.flatnonzero(codes == i)) for i, k in enumerate(keys)]


def _person_values(plan: FakePlan, first: np.ndarray, last: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(len(first), dtype=object)
    for kind, rows in _pick(plan.variants or {"full": 1.0}, len(first), rng):
        out[rows] = first[rows] if kind == "first" else last[rows] if kind == "last" else \
            first[rows] + " " + last[rows]
    return out


def _by_mask(make: Callable[..., np.ndarray], masks: dict[str, float], n: int, rng: np.random.Generator,
             distinct: bool) -> np.ndarray:
    out = np.empty(n, dtype=object)
    for mask, rows in _pick(masks, n, rng):
        out[rows] = make(mask, len(rows), rng, distinct)
    return out


def _masked(plan: FakePlan, n: int, rng: np.random.Generator, locale: str, distinct: bool) -> np.ndarray:
    if not plan.masks:
        return draw.random_strings(n, plan.length[0], plan.length[1], rng)
    return _by_mask(draw.fill_mask, plan.masks, n, rng, distinct)


def _phone(plan: FakePlan, n: int, rng: np.random.Generator, locale: str, distinct: bool) -> np.ndarray:
    # only the input's formats that passed the floor; a locale default when none did
    masks = plan.masks or {_DEFAULT_PHONE.get(locale, _DEFAULT_PHONE["en_US"]): 1.0}
    return _by_mask(draw.phone, masks, n, rng, distinct)


def _card(plan: FakePlan, n: int, rng: np.random.Generator, locale: str, distinct: bool) -> np.ndarray:
    masks = {m: s for m, s in plan.masks.items() if 12 <= len(draw.digit_slots(draw.mask_tokens(m))[0]) <= 19}
    return _by_mask(draw.card, masks or {"9999999999999999": 1.0}, n, rng, distinct)


def _plate(plan: FakePlan, n: int, rng: np.random.Generator, locale: str, distinct: bool) -> np.ndarray:
    return _by_mask(draw.fill_mask, dict.fromkeys(draw.plate_masks(locale), 1.0), n, rng, distinct)


_MAKERS: dict[str, Callable[[FakePlan, int, np.random.Generator, str, bool], np.ndarray]] = {
    "PHONE_NUMBER": _phone,
    "CREDIT_CARD": _card,
    "IBAN_CODE": lambda plan, n, rng, loc, d: draw.iban(n, rng, loc, plan.variants.get("grouped", 0.0), d),
    "NATIONAL_ID": lambda plan, n, rng, loc, d: draw.national_id(n, rng, loc, d),
    "IP_ADDRESS": lambda plan, n, rng, loc, d: draw.ip_address(n, rng, plan.variants.get("ipv6", 0.0)),
    "URL": lambda plan, n, rng, loc, d: draw.url(n, rng, loc),
    "STREET_ADDRESS": lambda plan, n, rng, loc, d: draw.street_address(n, rng, loc, d),
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
                                   dict.fromkeys(m for loc in plan.locales for m in draw.plate_masks(loc)))
            out[plan.column] = min((draw.mask_space(m) for m in masks), default=float(len(draw.ALNUM)) ** plan.length[0])
        elif plan.entity == "PHONE_NUMBER":
            plain = [m for m in plan.masks if not draw.phone_is_fictional(m)]
            if plain:
                out[plan.column] = min(draw.mask_space(m) for m in plain)
        elif plan.entity == "NATIONAL_ID" and "es_ES" in plan.locales:
            out[plan.column] = 9e7
    return out


def consistent_value(plan: FakePlan, value: str, secret: bytes, taken: set[str],
                     reject: Callable[[str], bool] | None = None) -> str:
    """The surrogate for one real value: the same value and secret always give the same result."""
    locale = value_locale(value, plan.entity) or None
    single = dataclasses.replace(plan, null_share=0.0, unique=False)
    for attempt in range(MAX_ATTEMPTS):
        digest = hmac.new(secret, f"{plan.column}\x00{value}\x00{attempt}".encode(), hashlib.sha256).digest()
        if plan.action == "hash":
            candidate = digest.hex()[:16]
        else:
            rng = np.random.default_rng(int.from_bytes(digest[:16], "big"))
            if locale in LOCALES:
                single.locales = {locale: 1.0}
            candidate = str(_draw(single, 1, rng, None)[0][0])
        if candidate in taken or (reject is not None and reject(candidate)):
            continue
        return candidate
    raise SynthRecordsError(
        f"column {plan.column!r}: no fresh surrogate after {MAX_ATTEMPTS} tries (every candidate was a real "
        f"value or a duplicate); set its action to 'hash' or 'drop' in the pii policy")


def cast_like(series: pd.Series, plan: FakePlan) -> pd.Series:
    """Surrogates in the real column's dtype where they fit it (digit-only IDs stay integers)."""
    if plan.dtype.startswith(("int", "Int", "float")) and series.dropna().str.fullmatch(r"\d{1,18}").all():
        numbers = pd.to_numeric(series)
        return numbers.astype("int64") if plan.dtype.startswith("int") and series.notna().all() else numbers
    return series
