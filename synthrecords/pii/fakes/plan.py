"""The plan of a faked column: what is learned from the real values, and nothing more.

`learn_plan` reads the real column once and keeps only its shape: the entity type, the
share of each locale, the value formats as masks (digit 9, letter A/a; characters that are
the same in every one of at least 20 distinct values, like a "CU-" prefix, are kept as
escaped literals), lengths, dtype, uniqueness and the share of nulls. Every field is
floored: a locale, format, variant or null share held by fewer than MIN_GROUP_ROWS rows is
dropped, so one unusual person leaves no trace in the plan (a floor, not a DP measurement;
the release's privacy scope says so). Generation from the plan is post-processing
(``columns.py``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from ...errors import SynthRecordsError
from ..leakage import cell_strings
from ..rules import NATIONAL_IDS, VALIDATORS, case_counts, guess_locale, name_tokens, shape_mask
from .formats import mask_tokens

MIN_DISTINCT_FOR_LITERALS = 20
MIN_GROUP_ROWS = 10     # a locale, format, variant or null share is only recorded when this many rows share it
MIN_GROUP_SHARE = 0.02
# Entities drawn from word pools (names, streets, e-mails, web addresses) take the real column's case;
# masked formats learn their letters' case in the mask itself.
CASED_ENTITIES = ("PERSON", "STREET_ADDRESS", "EMAIL_ADDRESS", "URL")
MASK_ENTITIES = ("PHONE_NUMBER", "CREDIT_CARD", "PASSPORT", "ACCOUNT_ID", "ID")  # formats learned as masks
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
    case: str | None = None  # "lower" | "upper": the real column's letters were all in that case

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FakePlan:
        try:
            return cls(**d)
        except TypeError as exc:
            raise SynthRecordsError(f"not a fake plan: {exc}; expected keys {list(cls.__dataclass_fields__)}") from exc


def learn_plan(column: str, values: pd.Series, entities: list[str], action: str = "fake") -> FakePlan:
    """Shape statistics of a real direct column; no real value is kept, every field is floored."""
    strings = cell_strings(values)
    if strings.empty:
        return FakePlan(column, action, null_share=1.0, dtype=str(values.dtype))
    entity = "NATIONAL_ID" if set(entities) & set(NATIONAL_IDS) else (entities[0] if entities else "ID")
    head = strings.head(5000)
    masks = _masks(head) if entity in MASK_ENTITIES else {}
    lengths = [len(mask_tokens(m)) for m in masks] or [8, 16]
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
        case=_case(head) if entity in CASED_ENTITIES else None,
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


def _case(values: pd.Series) -> str | None:
    """The one letter case of the column, floored as every share is: fewer than MIN_GROUP_ROWS rows
    in another case do not count, and fewer than that in this case say nothing."""
    cased, same = case_counts(values)
    return next((case for case, n in same.items() if _floored_share(n, cased) == 1.0), None)


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
