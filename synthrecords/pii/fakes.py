"""Format-preserving surrogates for direct identifiers.

A `FakePlan` is learned from a real column but holds no real value: the entity type,
the share of each locale, the value formats as masks (digit 9, letter A/a; characters
that are the same in every one of at least 20 distinct values, like an "CU-" prefix,
are kept as escaped literals), lengths, dtype, uniqueness and the share of nulls.
Surrogates come from Faker in the guessed locale, or from the masks.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import pandas as pd
from faker import Faker

from ..errors import SynthRecordsError
from .leakage import cell_strings
from .rules import (
    NATIONAL_IDS,
    VALIDATORS,
    de_tax_id_check_digit,
    guess_locale,
    luhn_check_digit,
    name_tokens,
    shape_mask,
)

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES")
SAFE_DOMAINS = ("example.com", "example.org", "example.net")  # RFC 2606: can never be a real mailbox
MIN_DISTINCT_FOR_LITERALS = 20
MAX_ATTEMPTS = 60
MIN_GROUP_ROWS = 10     # a locale or format is only recorded when this many rows share it
MIN_GROUP_SHARE = 0.02
MASK_ENTITIES = ("PHONE_NUMBER", "CREDIT_CARD", "PASSPORT", "ACCOUNT_ID", "ID")  # generated from formats
POOL_DRAWS = 3000  # Faker names drawn per locale to build a name pool
_ID_LOCALE = {"US_SSN": "en_US", "UK_NINO": "en_GB", "DE_TAX_ID": "de_DE", "FR_NIR": "fr_FR",
              "ES_NIF": "es_ES", "ES_NIE": "es_ES"}


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


# ---------------------------------------------------------------- learning (real values in, shapes out)


def learn_plan(column: str, values: pd.Series, entities: list[str], action: str = "fake") -> FakePlan:
    """Shape statistics of a real direct column; no real value is kept.

    Every statistic describes a group of at least MIN_GROUP_ROWS rows (a locale, a
    format), so a single unusual person (the only Spanish customer, one very long name)
    leaves no trace in the plan. Shares are rounded. These are still not DP measurements.
    """
    strings = cell_strings(values)
    if strings.empty:
        return FakePlan(column, action, null_share=1.0, dtype=str(values.dtype))
    entity = "NATIONAL_ID" if set(entities) & set(NATIONAL_IDS) else (entities[0] if entities else "ID")
    head = strings.head(5000)
    masks = _masks(head) if entity in MASK_ENTITIES else {}
    lengths = [len(m.replace("\\", "")) for m in masks] or [8, 16]
    return FakePlan(
        column=column, action=action, entity=entity,
        locales=_locales(head, entity, entities),
        masks=masks,
        variants=_variants(column, head, entity),
        length=[min(lengths), max(lengths)],
        dtype=str(values.dtype),
        unique=bool(strings.nunique() >= 0.95 * len(strings)),
        null_share=round(1 - len(strings) / max(1, len(values)), 2),
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
    # A character shared by every one of many distinct values is a property of the
    # column (a prefix, a country code), not of a person; keep it, escaped.
    distinct = values.unique()
    keep = len(distinct) >= MIN_DISTINCT_FOR_LITERALS
    out = []
    for i, ch in enumerate(mask):
        column_chars = {v[i] for v in distinct} if keep and ch in "9Aa" else set()
        if len(column_chars) == 1:
            out.append("\\" + column_chars.pop())
        else:
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
        v6 = float(values.str.contains(":").mean())
        return {"ipv4": round(1 - v6, 4), "ipv6": round(v6, 4)}
    if entity in ("IBAN_CODE", "CREDIT_CARD"):
        return {"grouped": round(float(values.str.contains(r"\s").mean()), 4)}
    return {}


# ---------------------------------------------------------------- generation (no real values needed)


@cache
def get_faker(locale: str) -> Faker:
    try:
        return Faker(locale)
    except AttributeError as exc:
        raise SynthRecordsError(f"Faker has no locale {locale!r}; use one of {LOCALES}") from exc


class NamePools:
    """Faker's first and last names per locale, minus every name `reject` refuses.

    Real tables share many names with Faker's lists, so drawing a name and rejecting it
    row by row is slow; a pool filtered once is not. Pools keep repeated draws, so common
    names stay common. They come from a seed-0 stream, so they depend only on `reject`.
    """

    def __init__(self, reject: Callable[[str], bool] | None = None):
        self._reject = reject
        self._pools: dict[tuple[str, str], list[str]] = {}

    def draw(self, locale: str, kind: str, rng: random.Random) -> str | None:
        pool = self._pools.get((locale, kind))
        if pool is None:
            pool = self._pools[(locale, kind)] = self._build(locale, kind)
        return rng.choice(pool) if pool else None

    def _build(self, locale: str, kind: str) -> list[str]:
        f = get_faker(locale)
        state = f.random.getstate()  # leave the caller's Faker stream where it was
        f.seed_instance(0)
        make = f.first_name if kind == "first" else f.last_name
        names = [make() for _ in range(POOL_DRAWS)]
        f.random.setstate(state)
        refused = {n for n in set(names) if self._reject is not None and self._reject(n)}
        return sorted(n for n in names if n not in refused)


def generate_column(plan: FakePlan, n: int, rng: random.Random, reject: Callable[[str], bool] | None = None,
                    pools: NamePools | None = None) -> pd.Series:
    """n surrogates for one plan, unique when the real column was, never one `reject` refuses."""
    pools = pools or NamePools(reject)
    for i, locale in enumerate(sorted(plan.locales)):
        get_faker(locale).seed_instance(rng.getrandbits(32) + i)
    seen: set[str] = set()
    out: list[str | None] = []
    for _ in range(n):
        value = _fresh(lambda attempt: _one(plan, rng, _pick(plan.locales, rng), attempt, pools), plan, seen, reject)
        seen.add(value)
        out.append(value)
    for i in rng.sample(range(n), round(plan.null_share * n)) if plan.null_share else ():
        out[i] = None
    return cast_like(pd.Series(out, dtype=object), plan)


def consistent_value(plan: FakePlan, value: str, secret: bytes, taken: set[str],
                     reject: Callable[[str], bool] | None = None, pools: NamePools | None = None) -> str:
    """The surrogate for one real value: the same value and secret always give the same result."""
    locale = value_locale(value, plan.entity) or None

    def attempt_value(attempt: int) -> str:
        digest = hmac.new(secret, f"{plan.column}\x00{value}\x00{attempt}".encode(), hashlib.sha256).digest()
        if plan.action == "hash":
            return digest.hex()[:16]
        seed = int.from_bytes(digest[:8], "big")
        rng = random.Random(seed)
        loc = locale if locale in LOCALES else _pick(plan.locales, rng)
        get_faker(loc).seed_instance(seed)
        return _one(plan, rng, loc, attempt, pools)

    return _fresh(attempt_value, plan, taken, reject)


def _fresh(make: Callable[[int], str], plan: FakePlan, seen: set[str], reject) -> str:
    for attempt in range(MAX_ATTEMPTS):
        value = make(attempt)
        if plan.unique and value in seen:
            continue
        if reject is not None and reject(value):
            continue
        return value
    raise SynthRecordsError(
        f"column {plan.column!r}: no fresh surrogate after {MAX_ATTEMPTS} tries (every candidate was a real "
        f"value or a duplicate); set its action to 'hash' or 'drop' in the pii policy")


def _pick(weights: dict[str, float], rng: random.Random) -> str:
    keys = list(weights) or ["en_US"]
    return rng.choices(keys, weights=[weights[k] for k in keys] if weights else None)[0]


def _one(plan: FakePlan, rng: random.Random, locale: str, attempt: int = 0, pools: NamePools | None = None) -> str:
    if plan.action == "hash":
        return f"{rng.getrandbits(64):016x}"
    if attempt >= MAX_ATTEMPTS // 2:  # Faker's pool is exhausted by real values: keep only the shape
        return scramble(_one(plan, rng, locale, 0, pools), rng)
    f = get_faker(locale)
    maker = _MAKERS.get(plan.entity)
    if maker is None:
        return fill_mask(_pick(plan.masks, rng) if plan.masks else "", rng, plan)
    return maker(plan, f, rng, locale, pools or NamePools())


def fill_mask(mask: str, rng: random.Random, plan: FakePlan | None = None) -> str:
    if not mask:
        lo, hi = (plan.length if plan else [8, 8])
        return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(rng.randint(lo, max(lo, min(hi, 32)))))
    out, escaped = [], False
    for ch in mask:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "9":
            out.append(rng.choice("0123456789"))
        elif ch == "A":
            out.append(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        elif ch == "a":
            out.append(rng.choice("abcdefghijklmnopqrstuvwxyz"))
        else:
            out.append(ch)
    return "".join(out)


def scramble(value: str, rng: random.Random) -> str:
    """Same shape, new content: each digit/letter replaced by a random one of its kind and case."""
    return "".join(rng.choice("0123456789") if c.isdigit() else rng.choice("abcdefghijklmnopqrstuvwxyz")
                   if c.islower() else rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") if c.isupper() else c for c in value)


def cast_like(series: pd.Series, plan: FakePlan) -> pd.Series:
    """Surrogates in the real column's dtype where they fit it (digit-only IDs stay integers)."""
    if plan.dtype.startswith(("int", "Int", "float")) and series.dropna().str.fullmatch(r"\d{1,18}").all():
        numbers = pd.to_numeric(series)
        return numbers.astype("int64") if plan.dtype.startswith("int") and series.notna().all() else numbers
    return series


# ---------------------------------------------------------------- per-entity makers


def _person(plan, f, rng, locale, pools):
    kind = _pick(plan.variants, rng) if plan.variants else "full"
    first = pools.draw(locale, "first", rng) or f.first_name()
    last = pools.draw(locale, "last", rng) or f.last_name()
    return {"first": first, "last": last}.get(kind, f"{first} {last}")


def _phone(plan, f, rng, locale, pools):
    mask, share = max(plan.masks.items(), key=lambda kv: kv[1], default=("", 0.0))
    return fill_mask(mask, rng) if share >= 0.8 else f.phone_number()


def _iban(plan, f, rng, locale, pools):
    iban = f.iban()
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if rng.random() < plan.variants.get("grouped", 0) else iban


def _card(plan, f, rng, locale, pools):
    masks = {m: s for m, s in plan.masks.items() if 12 <= m.count("9") + m.count("\\") <= 19} or {"9999999999999999": 1}
    mask = _pick(masks, rng)
    number = fill_mask(mask, rng)
    digits = [c for c in number if c.isdigit()]
    digits[-1] = str(luhn_check_digit("".join(digits[:-1])))
    it = iter(digits)
    return "".join(next(it) if c.isdigit() else c for c in number)


def _national_id(plan, f, rng, locale, pools):
    if locale == "en_GB":
        prefix = rng.choice(["AB", "CE", "JK", "PR", "SW", "HL"])
        d = f"{rng.randint(0, 999999):06d}"
        return f"{prefix} {d[:2]} {d[2:4]} {d[4:]} {rng.choice('ABCD')}"
    if locale == "de_DE":
        while True:
            first10 = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(9))
            if max(first10.count(c) for c in set(first10)) <= 3:
                return first10 + str(de_tax_id_check_digit(first10))
    if locale == "fr_FR":
        body = f"{rng.randint(1, 2)}{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}" \
               f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
        return f"{body}{97 - int(body) % 97:02d}"
    if locale == "es_ES":
        number = rng.randint(10_000_000, 99_999_999)
        return f"{number}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"
    return f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


_MAKERS: dict[str, Callable[..., str]] = {
    "PERSON": _person,
    "EMAIL_ADDRESS": lambda plan, f, rng, loc, pools: f"{f.user_name()}{rng.randint(1, 999)}@{rng.choice(SAFE_DOMAINS)}",
    "PHONE_NUMBER": _phone,
    "IBAN_CODE": _iban,
    "CREDIT_CARD": _card,
    "NATIONAL_ID": _national_id,
    "IP_ADDRESS": lambda plan, f, rng, loc, pools: f.ipv6() if rng.random() < plan.variants.get("ipv6", 0) else f.ipv4_public(),
    "URL": lambda plan, f, rng, loc, pools: f"https://www.{rng.choice(SAFE_DOMAINS)}/{f.user_name()}{rng.randint(1, 9999)}",
    "STREET_ADDRESS": lambda plan, f, rng, loc, pools: f.street_address().replace("\n", ", ").strip(),
    "LICENSE_PLATE": lambda plan, f, rng, loc, pools: f.license_plate(),
}
