"""Free-text redaction: Presidio finds entities, presidio-anonymizer replaces them with tags.

Then every exact occurrence of a value from one of the table's direct columns is replaced
too, which catches the names and addresses the NER misses. In consistent mode a known
value becomes its surrogate instead of a tag, so "Hans Müller" in a note and in the name
column turn into the same fake person.

Under an epsilon each row's text is matched against that row's own direct values only
(``row_known``): with the whole table's values, adding one record would change how many
other rows read (its name redacted in their notes), and every DP mechanism downstream
assumes that one record changes one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import pandas as pd
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from ..progress import stage
from .engine import NER_ENTITIES, ScanEngine
from .leakage import ValueMatcher
from .rules import REDACT_TAGS

REDACT_ENTITIES = sorted(set(REDACT_TAGS) - {"ACCOUNT_ID", "PASSPORT"})
MIN_REDACT_SCORE = 0.3  # below this Presidio's weakest patterns fire on any number
FALLBACK_TAG = "<REDACTED>"


@lru_cache(maxsize=1)
def _anonymizer() -> AnonymizerEngine:
    return AnonymizerEngine()


def redact_texts(texts: pd.Series, engine: ScanEngine, *, known: ValueMatcher | None = None,
                 known_tags: Mapping[str, str] | None = None,
                 replacements: Mapping[str, str] | None = None,
                 row_known: pd.Series | None = None) -> pd.Series:
    """Redacted copy of a text column; NaN stays NaN, each distinct text is analysed once.

    known: matcher over the table's direct values; known_tags: value (case-folded) -> tag;
    replacements: value (case-folded) -> surrogate, preferred over tags when given.
    row_known: instead of ``known``, per row (same index as ``texts``) a mapping of that
    row's own direct values (case-folded) -> tag; each text then depends on its row alone.
    """
    replacements = replacements or {}
    known_tags = known_tags or {}
    present = texts.dropna().astype(str)
    distinct = list(dict.fromkeys(present))
    entities = [e for e in REDACT_ENTITIES if e not in NER_ENTITIES or e == "PERSON"]
    with stage(f"redact {texts.name}", total=len(distinct), unit="texts") as progress:
        results = engine.analyze(distinct, ner=True, entities=entities, column=str(texts.name)) if distinct else []
        redacted = {}
        for text, found in zip(distinct, results):
            out = _anonymize(text, [r for r in found if r.score >= MIN_REDACT_SCORE], replacements)
            if known is not None and len(known) and row_known is None:  # row_known: each row's own values only
                out = known.sub(out, lambda v: replacements.get(v) or known_tags.get(v, FALLBACK_TAG))
            redacted[text] = out
            progress.advance()
    if row_known is not None:
        return _redact_own(texts, redacted, row_known)
    return texts.map(lambda t: redacted.get(str(t), t) if pd.notna(t) else t)


def _redact_own(texts: pd.Series, redacted: Mapping[str, str], row_known: pd.Series) -> pd.Series:
    """Each row's NER-redacted text, then its own direct values replaced by their tags."""
    out = texts.copy().astype(object)
    for index, text in texts.items():
        if pd.isna(text):
            continue
        result = redacted.get(str(text), text)
        tags = row_known.get(index) or {}
        if tags:
            result = ValueMatcher(tags).sub(result, lambda v, tags=tags: tags.get(v, FALLBACK_TAG))
        out[index] = result
    return out


def _anonymize(text: str, results, replacements: Mapping[str, str]) -> str:
    if not results:
        return text
    operators = {
        entity: OperatorConfig("custom", {"lambda": _replacer(REDACT_TAGS.get(entity, FALLBACK_TAG), replacements)})
        for entity in {r.entity_type for r in results}
    }
    return _anonymizer().anonymize(text=text, analyzer_results=results, operators=operators).text


def _replacer(tag: str, replacements: Mapping[str, str]):
    return lambda span: replacements.get(span.casefold(), tag)
