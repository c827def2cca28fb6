"""Stage 2, scan: which columns hold personal data, what kind, how sure, and why.

Column level and sample based. For each column we gather evidence (Presidio recognizers
and spaCy NER on a sample of distinct values, value shapes, checksums, the column's
name in several languages) and `pii_classify.classify` turns it into a verdict. The
report is JSON-serialisable and becomes `pii.json` in the release.
"""

from __future__ import annotations

import logging
import re
import textwrap
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..config import DEFAULT_NLP_MODEL
from ..errors import SynthRecordsError
from ..progress import stage
from .classify import STRONG, ColumnEvidence, classify
from .engine import ScanEngine, get_engine
from .policy import CATEGORIES, ProtectionPolicy, effective_category
from .rules import (
    GENDER_VALUES,
    NATIONAL_IDS,
    VALIDATORS,
    name_hints,
    non_personal_word,
    single_case,
)

logger = logging.getLogger(__name__)

SHAPE_ROWS = 5000   # rows per column for shape statistics (uniqueness, lengths, dates)
CHUNK = 100         # values per Presidio round; more rounds only while the evidence is unclear
WHOLE_COVERAGE = 0.6  # an entity "is" the value when it spans this share of it
MIN_SCORE = 0.25


@dataclass
class ColumnFinding:
    column: str
    category: str
    entities: list[str]
    # Both read off the real values (shares matched, ranges, distinct counts): one record can
    # move them, so they stay with the data owner and are left out of what is shared.
    confidence: float | None = None
    action: str = "keep"
    evidence: list[str] = field(default_factory=list)

    def to_dict(self, *, statistics: bool = True) -> dict[str, Any]:
        d = asdict(self)
        if not statistics:
            d.pop("confidence"), d.pop("evidence")
        return d


@dataclass
class PiiReport:
    columns: list[ColumnFinding]
    nlp_model: str | None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self, *, statistics: bool = True) -> dict[str, Any]:
        """With ``statistics`` False (what is shared, e.g. in a model folder): categories, entity
        types and actions only; no confidence, evidence or scan warnings."""
        return {"columns": [c.to_dict(statistics=statistics) for c in self.columns], "nlp_model": self.nlp_model,
                "warnings": list(self.warnings) if statistics else []}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PiiReport:
        try:
            columns = [ColumnFinding(**c) for c in d["columns"]]
        except (KeyError, TypeError) as exc:
            raise SynthRecordsError(f"not a PII report (pii.json): {exc}; re-run `synthrecords scan`") from exc
        bad = [c.column for c in columns if c.category not in CATEGORIES]
        if bad:
            raise SynthRecordsError(f"PII report columns {bad} have an unknown category; expected one of {list(CATEGORIES)}")
        return cls(columns, d.get("nlp_model"), list(d.get("warnings", [])))

    def __getitem__(self, column: str) -> ColumnFinding:
        for finding in self.columns:
            if finding.column == column:
                return finding
        raise KeyError(f"column {column!r} is not in the PII report; scanned columns: {[c.column for c in self.columns]}")

    def columns_in(self, *categories: str) -> list[str]:
        unknown = set(categories) - set(CATEGORIES)
        if unknown:
            raise SynthRecordsError(f"unknown PII categories {sorted(unknown)}; use {list(CATEGORIES)}")
        return [c.column for c in self.columns if c.category in categories]

    def to_table(self, width: int = 110) -> str:
        header = f"{'column':<22} {'category':<10} {'entities':<24} {'conf':>5}  {'action':<7} evidence"
        lines = [header, "-" * len(header)]
        wrap = max(30, width - 74)
        for c in self.columns:
            evidence = textwrap.wrap("; ".join(c.evidence), wrap) or [""]
            lines.append(f"{c.column[:22]:<22} {c.category:<10} {', '.join(c.entities)[:24]:<24} "
                         f"{'' if c.confidence is None else format(c.confidence, '.2f'):>5}  {c.action:<7} {evidence[0]}")
            lines += [" " * 73 + more for more in evidence[1:]]
        lines.append(f"NER model: {self.nlp_model or 'none (patterns and column names only)'}")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def scan_pii(df: pd.DataFrame, *, policy: ProtectionPolicy | None = None,
             nlp_model: str | None = DEFAULT_NLP_MODEL, sample_size: int = 500, seed: int = 0) -> PiiReport:
    """Classify every column of `df` as direct, quasi, free_text or none, with reasons.

    policy: default actions and per-column overrides (an override also forces the
    category, see `policy.effective_category`). nlp_model: an installed spaCy model for
    names and places; None, or a model that is not installed, means patterns and column
    names only, with a warning in the report (nothing is ever downloaded). sample_size:
    distinct values per column run through Presidio (fewer when the first 100 are
    conclusive); shape statistics use up to SHAPE_ROWS rows. seed: the row sample.
    """
    _check_input(df, sample_size)
    policy = policy or ProtectionPolicy()
    check_overrides(policy, df.columns)
    engine = get_engine(nlp_model)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(df), size=min(len(df), SHAPE_ROWS), replace=False))
    sample = df.iloc[rows]
    findings = []
    with stage("scan PII", total=len(df.columns), unit="columns") as progress:
        for column in df.columns:
            # per-column stream: a column's verdict does not depend on which other columns exist
            column_rng = np.random.default_rng([seed, zlib.crc32(str(column).encode())])
            evidence = gather_evidence(str(column), sample[column], engine, sample_size=sample_size, rng=column_rng)
            findings.append(_finding(classify(evidence), str(column), policy))
            logger.debug("scan %s -> %s", column, findings[-1])
            progress.advance()
    report = PiiReport(findings, engine.nlp_model, list(engine.warnings))
    logger.info("scan: %d columns, direct %s, free text %s", len(findings), report.columns_in("direct"),
                report.columns_in("free_text"))
    return report


def check_overrides(policy: ProtectionPolicy, columns: Any) -> None:
    """Per-column overrides must name columns of the table (a typo would silently do nothing)."""
    unknown = sorted(set(policy.columns) - {str(c) for c in columns})
    if unknown:
        raise SynthRecordsError(f"pii column override(s) {unknown} name no column of the table; "
                                f"columns are {[str(c) for c in columns]}")


def _check_input(df: object, sample_size: int) -> None:
    if not isinstance(df, pd.DataFrame):
        raise SynthRecordsError(f"scan_pii needs a pandas DataFrame, got {type(df).__name__}; load it with load_table")
    if df.columns.duplicated().any():
        raise SynthRecordsError(f"duplicate column names {df.columns[df.columns.duplicated()].tolist()}; rename them")
    if not isinstance(sample_size, int) or sample_size < 20:
        raise SynthRecordsError(f"sample_size must be an integer of at least 20, got {sample_size!r}")


def _finding(verdict, column: str, policy: ProtectionPolicy) -> ColumnFinding:
    action = policy.action_for(column, verdict.category)
    category = effective_category(verdict.category, action)
    evidence = list(verdict.evidence)
    if column in policy.columns:
        evidence.insert(0, f"user override: action {action!r} (scan said {verdict.category})")
    return ColumnFinding(column, category, verdict.entities, verdict.confidence, action, evidence)


# ---------------------------------------------------------------- evidence


def gather_evidence(column: str, values: pd.Series, engine: ScanEngine, *, sample_size: int = 500,
                    rng: np.random.Generator | None = None) -> ColumnEvidence:
    """Everything the classifier weighs about one column, from a sample of its rows."""
    kind, strings = _as_strings(values.dropna())
    non_personal = non_personal_word(column)
    hints = name_hints(column)
    if non_personal:
        # "product_name", "branch_phone": the thing-word outweighs a weak personal word
        hints = [h for h in hints if h.entity in STRONG or h.entity == "ACCOUNT_ID"]
    ev = ColumnEvidence(column, kind, hints=hints, non_personal=non_personal)
    if strings.empty:
        ev.kind = "empty"
        return ev
    _shape_stats(ev, strings, values.dropna())
    if kind in ("text", "integer"):
        distinct = strings.drop_duplicates().to_numpy()
        (rng or np.random.default_rng(0)).shuffle(distinct)
        sample = list(distinct[:sample_size])
        _presidio_stats(ev, [_titled(v) for v in sample] if ev.single_case else sample, engine)
    return ev


def _as_strings(values: pd.Series) -> tuple[str, pd.Series]:
    if values.empty:
        return "empty", values.astype(str)
    if pd.api.types.is_bool_dtype(values):
        return "bool", values.astype(str)
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime", values.astype(str)
    if pd.api.types.is_integer_dtype(values):
        return "integer", values.astype("int64").astype(str)
    if pd.api.types.is_float_dtype(values):
        if (values == values.round()).all() and values.abs().max() < 2**53:
            return "integer", values.astype("int64").astype(str)  # IDs read as float because of NaN
        return "float", values.astype(str)
    strings = values.astype(str).str.strip()
    return "text", strings[strings != ""]


_NAME_RE = re.compile(r"^[^\W\d_][\w'’.-]*(?:[ -][\w'’.-]+){0,4}$")
_CODE_RE = re.compile(r"^(?=.*\d)[A-Z0-9]{1,4}(?:[ -]?[A-Z0-9]{1,6}){0,3}$")
_PHONE_RE = re.compile(r"^(?=(?:\D*\d){7})[+\d(][\d\s().\-/x]{6,}$")
_DATE_RE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_KEY_RE = re.compile(r"^(?=.*\d)[^\W_][\w\-/.#]*$")
_NUMBER_RE = re.compile(r"^[+-]?\d*[.,]?\d+$")
MIN_KEY_DIGITS = 6  # a fixed-width run of digits this long is a code, not a number typed as text
# Names typed in one case ("miguel hernandez", "SMITH") are names too, where enough distinct
# values say the column is not a short list of lower-case codes ("yes", "low").
MIN_NAMES_DISTINCT = 20
_DIGIT = re.compile(r"\d")
_LOWER_WORD = re.compile(r"\b[a-zà-ÿ]{2,}\b")


def _titled(value: str) -> str:
    # spaCy's NER reads case: "miguel hernandez" and "JOHN SMITH" are names to it only as
    # "Miguel Hernandez" and "John Smith". Codes ("TX", "AB12") stay as they are.
    return value.title() if len(value) >= 4 and _NAME_RE.match(value) and not _DIGIT.search(value) else value


def _shape_stats(ev: ColumnEvidence, s: pd.Series, raw: pd.Series) -> None:
    ev.n_values = len(s)
    ev.distinct = int(s.nunique())
    ev.distinct_ratio = ev.distinct / ev.n_values
    lengths = s.str.len()
    words = s.str.count(r"\S+")
    ev.mean_len, ev.mean_words = float(lengths.mean()), float(words.mean())
    ev.letter_share = float(s.str.contains(r"[^\W\d_]", regex=True).mean())
    lower_words = s.str.count(_LOWER_WORD)
    ev.sentence_share = float(((words >= 6) & (lengths >= 30) & (lower_words >= 2)).mean())
    ev.single_case = single_case(s) if ev.distinct >= MIN_NAMES_DISTINCT else None
    capitalised = s.str[:1].str.isupper() | (ev.single_case is not None)
    ev.name_shape_share = float((s.str.match(_NAME_RE) & ~s.str.contains(r"\d") & capitalised).mean())
    ev.code_shape_share = float((s.str.match(_CODE_RE) & lengths.between(5, 12)).mean())
    ev.key_shape_share = _key_shape_share(s, lengths)
    formatted = s.str.startswith(("+", "0", "(")) | s.str.contains(r"\d[\s().\-/]\d", regex=True)
    ev.phone_format_share = float((s.str.match(_PHONE_RE) & formatted).mean())
    ev.gender_share = float(s.str.lower().isin(GENDER_VALUES).mean())
    if ev.kind == "integer":
        ints = pd.to_numeric(s, errors="coerce")
        ev.int_range = (int(ints.min()), int(ints.max()))
    _date_stats(ev, s, raw)


def _key_shape_share(s: pd.Series, lengths: pd.Series) -> float:
    """Share of values shaped like record keys: one token holding a digit, and not a plain
    number unless zero-padded ("00417") or of the column's one width of 6+ digits."""
    digits = s.str.fullmatch(r"\d+")
    width = lengths[digits].mode()
    fixed = digits & (lengths == width.iloc[0]) if len(width) and width.iloc[0] >= MIN_KEY_DIGITS else False
    padded = digits & s.str.startswith("0") & (lengths > 1)
    return float((s.str.match(_KEY_RE) & (~s.str.match(_NUMBER_RE) | padded | fixed)).mean())


def _date_stats(ev: ColumnEvidence, s: pd.Series, raw: pd.Series) -> None:
    if ev.kind == "datetime":
        dates = pd.to_datetime(raw.head(500), errors="coerce")
    elif ev.kind == "text" and s.str.match(_DATE_RE).mean() >= 0.8:
        dates = pd.to_datetime(s.head(500), errors="coerce", format="mixed")
    else:
        return
    ok = dates.dropna()
    ev.date_share = len(ok) / max(1, len(dates))
    if len(ok):
        ev.years = (int(ok.dt.year.min()), int(ok.dt.year.max()))
        ev.has_time = bool((ok.dt.hour + ok.dt.minute + ok.dt.second).any()) or bool(s.head(500).str.contains(":").any())


def _presidio_stats(ev: ColumnEvidence, values: list[str], engine: ScanEngine) -> None:
    ner = ev.letter_share >= 0.2
    context = [t for h in ev.hints for t in [h.word]] or None
    whole: dict[str, list[float]] = {}
    embedded: dict[str, int] = {}
    done = 0
    while done < len(values):
        chunk = values[done:done + CHUNK]
        for value, results in zip(chunk, engine.analyze(chunk, ner=ner, context=context, column=ev.column)):
            _tally(value, results, whole, embedded)
        done += len(chunk)
        if not _unclear(whole, done):
            break
    ev.analyzed = done
    ev.whole = {e: len(scores) / done for e, scores in whole.items()}
    ev.scores = {e: float(np.mean(scores)) for e, scores in whole.items()}
    ev.embedded = {e: n / done for e, n in embedded.items()}
    ev.found_ids = sorted((e for e in NATIONAL_IDS if ev.whole.get(e, 0) >= 0.05), key=ev.whole.get, reverse=True)
    ev.checks = _checksums(values[:done])


def _tally(value: str, results, whole: dict[str, list[float]], embedded: dict[str, int]) -> None:
    """Count one value: which entities it contains, and which it *is* (span covers most of it)."""
    best: dict[str, float] = {}
    present: set[str] = set()
    for r in results:
        if r.score < MIN_SCORE:  # Presidio's weakest patterns (any 9 digits "is" a passport) are noise here
            continue
        keys = {r.entity_type, "NATIONAL_ID"} if r.entity_type in NATIONAL_IDS else {r.entity_type}
        present |= keys
        if (r.end - r.start) >= WHOLE_COVERAGE * len(value):
            for key in keys:
                best[key] = max(best.get(key, 0.0), r.score)
    for key in sorted(present):  # sorted: reports must not depend on the hash seed
        embedded[key] = embedded.get(key, 0) + 1
    for key, score in best.items():
        whole.setdefault(key, []).append(score)


def _unclear(whole: dict[str, list[float]], done: int) -> bool:
    return any(0.25 < len(scores) / done < 0.75 for scores in whole.values())


_CANDIDATES = {
    "CREDIT_CARD": re.compile(r"^\d(?:[ -]?\d){11,18}$"),
    "IBAN_CODE": re.compile(r"^[A-Za-z]{2}\d{2}(?:\s?[A-Za-z0-9]){11,30}$"),
    "US_SSN": re.compile(r"^\d{3}-\d{2}-\d{4}$"),
    "UK_NINO": re.compile(r"^[A-Za-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-Za-z]$"),
    "ES_NIF": re.compile(r"^[XYZxyz\d]\d{7}[A-Za-z]$"),
    "FR_NIR": re.compile(r"^[12]\d{4}(?:\d{2}|2[AB])\d{8}$"),
    "DE_TAX_ID": re.compile(r"^\d{11}$"),
}


def _checksums(values: list[str]) -> dict[str, tuple[float, float]]:
    """For each checksum-bearing type: share of values shaped like it, and share of those that pass."""
    out = {}
    for entity, pattern in _CANDIDATES.items():
        candidates = [v for v in values if pattern.match(v)]
        if candidates:
            passed = sum(VALIDATORS[entity](v) for v in candidates)
            out[entity] = (len(candidates) / len(values), passed / len(candidates))
    return out
