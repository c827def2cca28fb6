"""From evidence about one column to a verdict: category, entities, confidence, reasons.

The scan gathers `ColumnEvidence` (Presidio and spaCy results on sampled values, value
shapes, checksums, column-name hints); `classify` weighs it. The rules are written to
keep false alarms down without missing identifiers: a regex match alone never makes a
column direct when uniqueness, checksums or the column's name say otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .rules import CHECK_NAMES, NATIONAL_IDS, NameHint, name_tokens

STRONG = ("EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "IP_ADDRESS", "NATIONAL_ID")
MEDIUM = ("PHONE_NUMBER", "PERSON", "STREET_ADDRESS", "URL", "LICENSE_PLATE")
SHARED_CODES_MAX_DISTINCT = 50  # a "phone number" with fewer distinct values is a shared line
# A person-name column name is contradicted where NER reads most values as organisations and few
# as people: car makers ("General Motors", "BMW") under "mfr_name" were faked as people's names.
# en_core_web_sm reads 86 % of car makers as ORG and 5 % as PERSON; Faker's names of 19 locales,
# full names and surnames alone, at most 26 % as ORG (bench/RESULTS.md "Session 42").
ORG_SHARE, PERSON_FLOOR = 0.6, 0.2


@dataclass
class ColumnEvidence:
    column: str
    kind: str  # text | integer | float | datetime | bool | empty
    n_values: int = 0           # non-null values in the shape sample
    distinct: int = 0
    distinct_ratio: float = 0.0
    mean_len: float = 0.0
    mean_words: float = 0.0
    letter_share: float = 0.0   # share of values containing a letter
    sentence_share: float = 0.0
    name_shape_share: float = 0.0
    single_case: str | None = None  # "lower" | "upper": every value's letters in one case ("miguel", "SMITH")
    code_shape_share: float = 0.0
    key_shape_share: float = 0.0  # one token holding a digit, not a plain number: "13011352CF10A", "INV-0042"
    phone_format_share: float = 0.0
    date_share: float = 0.0
    has_time: bool = False
    years: tuple[int, int] | None = None
    int_range: tuple[int, int] | None = None
    gender_share: float = 0.0
    analyzed: int = 0           # values run through Presidio
    whole: dict[str, float] = field(default_factory=dict)     # entity -> share of values it covers
    scores: dict[str, float] = field(default_factory=dict)    # entity -> mean score of those matches
    embedded: dict[str, float] = field(default_factory=dict)  # entity -> share of values containing it
    found_ids: list[str] = field(default_factory=list)        # national-ID types behind NATIONAL_ID
    checks: dict[str, tuple[float, float]] = field(default_factory=dict)  # entity -> (candidate share, pass share)
    hints: list[NameHint] = field(default_factory=list)
    non_personal: str | None = None


@dataclass
class Verdict:
    category: str
    entities: list[str]
    confidence: float
    evidence: list[str]


def classify(ev: ColumnEvidence) -> Verdict:
    if ev.n_values == 0:
        return Verdict("none", [], 0.5, ["no non-empty values in the sample"])
    notes = _common_notes(ev)
    # Rules run in order; a rule that declines after weighing a signal (a phone pattern
    # under a "branch" name) adds why to `notes`, so the final verdict explains it.
    for rule in (_free_text, _direct_by_values, _direct_by_name, _quasi, _record_key):
        verdict = rule(ev, notes)
        if verdict is not None:
            return verdict
    return _none(ev, notes)


def _common_notes(ev: ColumnEvidence) -> list[str]:
    notes = [f"column name suggests {h.entity} (word {h.word!r})" for h in ev.hints if h.entity != "FREE_TEXT"]
    if ev.non_personal:
        notes.append(f"column name word {ev.non_personal!r} marks it as about things or events, not people")
    for entity, (candidates, passed) in ev.checks.items():
        if candidates >= 0.3:
            notes.append(f"{candidates:.0%} of sampled values have the shape of {entity}; "
                         f"{passed:.0%} of those pass the {CHECK_NAMES[entity]}")
    return notes


def _share_note(ev: ColumnEvidence, entity: str) -> str:
    return (f"{entity} matched {ev.whole.get(entity, 0):.0%} of {ev.analyzed} sampled distinct values "
            f"(mean score {ev.scores.get(entity, 0):.2f})")


def _hint(ev: ColumnEvidence, entity: str) -> NameHint | None:
    return next((h for h in ev.hints if h.entity == entity), None)


def _confidence(value_share: float, hinted: bool, base: float) -> float:
    # noisy-or of two independent signals: the values and the column's name
    conf = 1 - (1 - base * value_share) * (1 - (0.5 if hinted else 0.0))
    return round(min(0.99, max(0.05, conf)), 2)


def _free_text(ev: ColumnEvidence, notes: list[str]) -> Verdict | None:
    if ev.kind != "text":
        return None
    text_hint = _hint(ev, "FREE_TEXT") is not None
    other_hint = any(h.entity != "FREE_TEXT" for h in ev.hints)
    needed = 0.8 if other_hint else 0.5
    if not (ev.sentence_share >= needed or (text_hint and ev.mean_words >= 3)):
        return None
    if ev.whole.get("STREET_ADDRESS", 0) >= 0.5:
        return None
    embedded = {e: s for e, s in ev.embedded.items() if e in _REDACTABLE and s >= 0.02}
    entities = sorted(embedded, key=lambda e: (-embedded[e], e))  # ties by name: deterministic
    lines = [f"sentence-like values: {ev.sentence_share:.0%} of sampled values, {ev.mean_words:.1f} words on average"]
    if entities:
        lines.append("embedded entities: " + ", ".join(f"{e} in {embedded[e]:.0%}" for e in entities))
    else:
        lines.append("no embedded entities found in the sample; still redacted, text may carry PII")
    conf = round(min(0.99, 0.6 + 0.3 * min(1.0, ev.sentence_share) + (0.09 if text_hint else 0)), 2)
    return Verdict("free_text", entities, conf, lines + notes)


_REDACTABLE = ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "CREDIT_CARD", "IBAN_CODE",
               "IP_ADDRESS", "URL", "LICENSE_PLATE", *NATIONAL_IDS)


def _direct_by_values(ev: ColumnEvidence, notes: list[str]) -> Verdict | None:
    strong = max(STRONG, key=lambda e: ev.whole.get(e, 0))
    if ev.whole.get(strong, 0) >= 0.5:
        if ev.non_personal and ev.distinct_ratio < 0.2:
            notes.insert(0, f"{_share_note(ev, strong)}, but values repeat across rows "
                            f"(distinct ratio {ev.distinct_ratio:.2f}) under a non-personal column name")
            return None
        return _direct(ev, strong, 0.9, notes)
    candidates = [e for e in MEDIUM if ev.whole.get(e, 0) >= 0.5 and _plausible(ev, e)]
    if not candidates:
        return None
    entity = max(candidates, key=lambda e: ev.whole[e])
    hinted = _hint(ev, entity) is not None
    if ev.non_personal and not hinted:
        notes.insert(0, f"{_share_note(ev, entity)}, but the column name says it is not about people")
        return None
    if not hinted and ev.distinct <= SHARED_CODES_MAX_DISTINCT and ev.distinct_ratio <= 0.1:
        notes.insert(0, f"{_share_note(ev, entity)}, but only {ev.distinct} distinct values repeat across "
                        f"{ev.n_values} sampled rows: shared codes, not one per person")
        return None
    return _direct(ev, entity, 0.75, notes)


def _plausible(ev: ColumnEvidence, entity: str) -> bool:
    """Value-shape sanity checks that a bare regex/NER hit cannot provide."""
    if entity == "PHONE_NUMBER":
        # bare digit runs (order numbers) match phone patterns; real phone columns carry
        # formatting (+, leading 0, separators) or a phone-like column name
        return ev.phone_format_share >= 0.5 or _hint(ev, "PHONE_NUMBER") is not None
    if entity == "PERSON":
        return ev.name_shape_share >= 0.7
    if entity == "URL":
        return ev.distinct_ratio >= 0.5 or _hint(ev, "URL") is not None
    return True


def _direct(ev: ColumnEvidence, entity: str, base: float, notes: list[str]) -> Verdict:
    hinted = _hint(ev, entity) is not None
    entities = ev.found_ids if entity == "NATIONAL_ID" and ev.found_ids else [entity]
    lines = [_share_note(ev, entity)]
    if ev.distinct_ratio >= 0.9:
        lines.append(f"values are unique per row (distinct ratio {ev.distinct_ratio:.2f})")
    return Verdict("direct", entities, _confidence(ev.whole.get(entity, 0), hinted, base), lines + notes)


def _direct_by_name(ev: ColumnEvidence, notes: list[str]) -> Verdict | None:
    hint = next((h for h in ev.hints if h.category == "direct"), None)
    if hint is None or ev.non_personal or ev.kind in ("float", "bool", "datetime"):
        return None
    organisations = ev.whole.get("ORGANIZATION", 0)
    if hint.entity == "PERSON" and organisations >= ORG_SHARE and ev.whole.get("PERSON", 0) < PERSON_FLOOR:
        notes.append(f"NER read {organisations:.0%} of sampled values as organisations and "
                     f"{ev.whole.get('PERSON', 0):.0%} as people: not people's names")
        return None
    support = _name_support(ev, hint.entity)
    if support is None:
        return None
    share, why = support
    entity = "NATIONAL_ID" if hint.entity == "NATIONAL_ID" and not ev.found_ids else hint.entity
    entities = ev.found_ids if hint.entity == "NATIONAL_ID" and ev.found_ids else [entity]
    return Verdict("direct", entities, _confidence(share, True, 0.7), [why] + notes)


def _name_support(ev: ColumnEvidence, entity: str) -> tuple[float, str] | None:
    """How far the values back up a direct-identifier column name (None: they contradict it)."""
    matched = ev.whole.get(entity, 0)
    if entity == "PERSON":
        share = max(ev.name_shape_share, matched)
        shape = f"words in {ev.single_case} case" if ev.single_case else "capitalised words"
        why = (f"{ev.name_shape_share:.0%} of values are shaped like names ({shape}), "
               f"NER tagged {ev.whole.get('PERSON', 0):.0%} as PERSON")
        return (share, why) if share >= 0.6 else None
    if entity == "ACCOUNT_ID":
        ok = ev.distinct >= 20 or ev.distinct_ratio >= 0.5
        why = (f"identifier column of a person-like subject with {ev.distinct} distinct values "
               f"(distinct ratio {ev.distinct_ratio:.2f})")
        return (ev.distinct_ratio, why) if ok else None
    if entity in ("PASSPORT", "LICENSE_PLATE"):
        share = max(ev.code_shape_share, matched)
        return (share, f"{share:.0%} of values are short letter/digit codes") if share >= 0.6 else None
    if entity == "STREET_ADDRESS":
        return (matched, _share_note(ev, entity)) if matched >= 0.3 else None
    if matched >= 0.3:
        return matched, _share_note(ev, entity)
    if ev.distinct_ratio >= 0.5:  # kind is text or integer here
        why = (f"values rarely match the usual {entity} format ({matched:.0%}), but they are mostly distinct; "
               f"treated as direct to be safe (override with columns = {{\"{ev.column}\" = \"keep\"}})")
        return 0.3, why
    return None


_QUASI_VALUE_RULES = ("DATE_OF_BIRTH", "GENDER", "POSTCODE", "LOCATION", "NRP")


def _quasi(ev: ColumnEvidence, notes: list[str]) -> Verdict | None:
    if ev.non_personal:
        return None
    hint = next((h for h in ev.hints if h.category == "quasi"), None)
    if hint is not None:
        share, why = _quasi_support(ev, hint.entity)
        return Verdict("quasi", [hint.entity], _confidence(share, True, 0.6), ([why] if why else []) + notes)
    for entity in _QUASI_VALUE_RULES:
        share, why = _quasi_support(ev, entity)
        if share >= 0.6 and why:
            return Verdict("quasi", [entity], _confidence(share, False, 0.7), [why] + notes)
    return None


# A date column named for an event in an account's life is not a birth date, however wide
# its span of years ("signup_date" 2010-2025 read as DATE_OF_BIRTH before).
EVENT_DATE_WORDS = ("signup", "sign", "registered", "registration", "created", "creation", "joined", "join",
                    "opened", "open", "enrolled", "enrollment", "subscribed", "activated", "updated",
                    "modified", "purchase", "order", "transaction", "last", "first", "start", "end", "since")


RECORD_KEY_RATIO = 0.9   # distinct values per row, as "unique per row" reads everywhere in the scan
RECORD_KEY_SHAPE = 0.9   # share of values shaped like codes
RECORD_KEY_DISTINCT = 20  # fewer distinct values say nothing about uniqueness


def _record_key(ev: ColumnEvidence, notes: list[str]) -> Verdict | None:
    """A text column of unique codes (case, order, claim or ticket numbers) is a record key.

    Whatever person it names or not, a real key links its row to records held elsewhere (a
    court file names the defendant, an order the customer), so a synthetic row carrying one
    tells who is in the table. Modelled, the keys are categories of one row each: copied
    verbatim without DP, all suppressed under it. As a direct identifier it is re-created
    as format-preserving fakes. Integers are not keys here: they are modelled as numbers,
    whose draws are not the real values.
    """
    if ev.kind != "text" or ev.distinct < RECORD_KEY_DISTINCT or ev.distinct_ratio < RECORD_KEY_RATIO:
        return None
    if ev.date_share >= 0.5 or ev.key_shape_share < RECORD_KEY_SHAPE:
        return None
    why = (f"values are unique per row (distinct ratio {ev.distinct_ratio:.2f}) and {ev.key_shape_share:.0%} are "
           f"codes holding a digit: a record key, which links each row to records elsewhere; faked in its "
           f"format (override with columns = {{\"{ev.column}\" = \"keep\"}} if the keys are public)")
    return Verdict("direct", ["ID"], round(0.5 + 0.3 * ev.key_shape_share, 2), [why, *notes])


def _event_date(column: str) -> bool:
    tokens = name_tokens(column)
    return not any(t.startswith(("birth", "dob", "geburt", "nacimiento", "naissance")) for t in tokens) and any(
        t in EVENT_DATE_WORDS or t.startswith(("signup", "signon")) for t in tokens)


def _quasi_support(ev: ColumnEvidence, entity: str) -> tuple[float, str | None]:
    if entity == "DATE_OF_BIRTH":
        if _event_date(ev.column):
            return 0.0, None
        if ev.years and not ev.has_time and ev.date_share >= 0.9 and 1900 <= ev.years[0] and ev.years[1] - ev.years[0] >= 15:
            return ev.date_share, f"date values without time of day spanning {ev.years[0]}-{ev.years[1]}, like birth dates"
        return 0.0, None
    if entity == "GENDER":
        if 2 <= ev.distinct <= 6 and ev.gender_share >= 0.95:
            return ev.gender_share, f"{ev.distinct} distinct values, all gender labels"
        return 0.0, None
    if entity == "AGE" and ev.int_range and 0 <= ev.int_range[0] and ev.int_range[1] <= 120:
        return 1.0, f"integers between {ev.int_range[0]} and {ev.int_range[1]}"
    if entity in ("POSTCODE", "LOCATION", "NRP") and ev.whole.get(entity, 0) > 0:
        return ev.whole[entity], _share_note(ev, entity)
    return 0.0, None


def _none(ev: ColumnEvidence, notes: list[str]) -> Verdict:
    lines = list(notes)
    if ev.distinct_ratio >= 0.9 and ev.kind in ("text", "integer"):
        lines.append(f"values are unique per row (distinct ratio {ev.distinct_ratio:.2f}) but nothing ties "
                     f"them to a person; override with columns = {{\"{ev.column}\" = \"fake\"}} if they do")
    top = max((e for e in ev.whole if e in STRONG + MEDIUM), key=ev.whole.get, default=None)
    if top is not None and ev.whole[top] >= 0.3 and not any(top in line for line in lines):
        why = ("bare digit runs without phone formatting" if top == "PHONE_NUMBER" and ev.phone_format_share < 0.5
               else "other evidence outweighs it")
        lines.insert(0, f"{_share_note(ev, top)}, discounted: {why}")
    if not lines:
        lines.append("no personal entity matched in the sample and the column name carries no personal hint")
    discounted = max([s for e, s in ev.whole.items() if e in STRONG + MEDIUM] + [0.0])
    return Verdict("none", [], round(max(0.5, 0.95 - 0.45 * discounted), 2), lines)
