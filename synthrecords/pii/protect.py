"""Stage 3, protect: direct identifiers never reach the model; free text is redacted.

`protect` splits the real table into what the model may learn from (`Protected.data`)
and plans for re-creating the direct columns afterwards (`FakePlan`s, shape only).
`add_fakes` fills those columns into synthetic rows, independently of the real data
(secret seed, unused value spaces; see pii/fakes/). `pseudonymize` is the consistent
mode: real rows, each direct value replaced by a surrogate derived from HMAC(secret,
value). `check_leakage` proves that no real direct value made it into the output.
Quasi identifiers under `generalise` are modelled at a granularity at least ``min_count``
real rows share (pii/generalise.py), without DP only.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import SynthRecordsError
from .engine import get_engine
from .fakes import FakePlan, cast_like, consistent_value, fake_rng, generate_columns, learn_plan
from .generalise import Generalised, generalise
from .leakage import LeakageCheck, ValueMatcher, cell_strings, check_leakage
from .policy import ProtectionPolicy, effective_category
from .redact import FALLBACK_TAG, redact_texts
from .rules import NATIONAL_IDS, REDACT_TAGS
from .scan import PiiReport

__all__ = ["FakePlan", "LeakageCheck", "Protected", "add_fakes", "check_leakage", "protect", "pseudonymize"]

logger = logging.getLogger(__name__)
MIN_SECRET_BYTES = 16


@dataclass
class Protected:
    data: pd.DataFrame
    fakes: list[FakePlan]
    column_order: list[str]
    actions: dict[str, str]
    # columns the `generalise` action changed or checked (without DP): levels and granularity
    generalised: dict[str, Generalised] = field(default_factory=dict)


def protect(df: pd.DataFrame, report: PiiReport, *, policy: ProtectionPolicy | None = None,
            own_row: bool = False, private: bool = False, hierarchies: Mapping[str, list] | None = None,
            kinds: Mapping[str, str] | None = None) -> Protected:
    """The modelling frame (no direct identifiers, redacted text) plus plans for the fakes.

    ``own_row`` (set under an epsilon): free text is redacted with its own row's direct
    values plus NER and patterns, never with other rows' values (see redact.py).
    ``private`` (an epsilon is set): `generalise` columns are modelled as they are and left to
    the DP domain release, which generalises with noisy counts; the k threshold reads exact
    counts and is not DP. ``hierarchies``: parsed levels (privacy.hierarchy.parse) per column;
    ``kinds``: declared column types.
    """
    decisions = _decisions(df, report, policy)
    min_count = (policy or ProtectionPolicy()).min_count
    generalised: dict[str, Generalised] = {}
    known, tags = _known_values(df, decisions)
    row_known = _row_values(df, decisions) if own_row else None
    data, fakes, order = {}, [], []
    for column, (category, action, entities) in decisions.items():
        if action == "drop":
            continue
        order.append(column)
        if category == "direct":
            fakes.append(learn_plan(column, df[column], entities, action))
        elif category == "free_text":
            data[column] = redact_texts(df[column], get_engine(report.nlp_model), known=known, known_tags=tags,
                                        row_known=row_known)
        elif action == "generalise" and not private:
            generalised[column] = _generalise(df[column], report, min_count, hierarchies, kinds)
            data[column] = generalised[column].values
        else:
            data[column] = df[column]
    deferred = [str(c) for c, (_, a, _) in decisions.items() if a == "generalise"] if private else []
    if deferred:  # said once, so a user who asked for k-anonymity sees what happened instead
        logger.info("generalise under an epsilon: %s modelled as they are; the DP domain release generalises their "
                    "categories with noisy counts (a threshold on exact counts is not DP)", ", ".join(deferred))
    frame = pd.DataFrame(data, index=df.index)
    logger.info("protect: %d columns modelled (%d generalised), %d faked, %d dropped", frame.shape[1],
                sum(g.changed for g in generalised.values()), len(fakes), len(df.columns) - len(order))
    return Protected(frame, fakes, order, {c: a for c, (_, a, _) in decisions.items()}, generalised)


def _generalise(values: pd.Series, report: PiiReport, min_count: int, hierarchies: Mapping[str, Any] | None,
                kinds: Mapping[str, str] | None) -> Generalised:
    column = str(values.name)
    return generalise(values, min_count, levels=(hierarchies or {}).get(column), kind=(kinds or {}).get(column),
                      postcode="POSTCODE" in report[column].entities)


def add_fakes(synthetic: pd.DataFrame, fakes: list[FakePlan], column_order: list[str], *,
              fake_seed: int | None = None, forbidden: Mapping[str, set] | None = None) -> pd.DataFrame:
    """Synthetic rows with the direct columns re-created as surrogates, in release order.

    Fakes are drawn from a `secrets` seed unless ``fake_seed`` (keep it private: with it,
    anyone can replay the fakes) is given. E-mails are built from the same row's fake name
    when the table has a person column. ``forbidden`` is deprecated and ignored: fakes come
    from spaces real identifiers do not occupy, and re-drawing against real values would
    itself reveal which values are real.
    """
    if forbidden is not None:
        warnings.warn("add_fakes(forbidden=...) is ignored: fakes are drawn independently of the real data "
                      "(see synthrecords.pii.fakes); stop passing it", DeprecationWarning, stacklevel=2)
    columns = {c: synthetic[c] for c in synthetic.columns}
    for column, series in generate_columns(fakes, len(synthetic), fake_rng(fake_seed)).items():
        columns[column] = pd.Series(series.to_numpy(), index=synthetic.index)
    missing = [c for c in column_order if c not in columns]
    if missing:
        raise SynthRecordsError(f"columns {missing} of the release order are neither in the synthetic rows nor "
                                f"in the fake plans; was the model trained on Protected.data?")
    order = list(column_order) + [c for c in columns if c not in column_order]
    # a new frame over the same column arrays: copying a 1M-row table cost 0.4 s of a 5 s sample
    return pd.DataFrame({c: columns[c] for c in order}, index=synthetic.index, copy=False)


def pseudonymize(df: pd.DataFrame, report: PiiReport, *, secret: bytes,
                 policy: ProtectionPolicy | None = None, hierarchies: Mapping[str, list] | None = None,
                 kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Real rows with each direct value replaced by its keyed surrogate (same value -> same fake),
    and each `generalise` column generalised as `protect` does (real rows: no DP here)."""
    if not isinstance(secret, bytes | bytearray) or len(secret) < MIN_SECRET_BYTES:
        raise SynthRecordsError(f"pseudonymize needs a secret of at least {MIN_SECRET_BYTES} random bytes "
                                f"(e.g. secrets.token_bytes(32)), kept outside the release")
    decisions = _decisions(df, report, policy)
    known, tags = _known_values(df, decisions)
    reject = _rejector({c: set(cell_strings(df[c])) for c, (cat, _, _) in decisions.items() if cat == "direct"})
    out, replacements = {}, {}
    for column, (category, action, entities) in decisions.items():
        if action == "drop" or category != "direct":
            continue
        plan = learn_plan(column, df[column], entities, action)
        taken: set[str] = set()
        mapping = {}
        for value in sorted(cell_strings(df[column]).unique()):
            mapping[value] = consistent_value(plan, value, bytes(secret), taken, reject)
            taken.add(mapping[value])
        out[column] = cast_like(_map_cells(df[column], mapping), plan)
        replacements.update({k.casefold(): v for k, v in mapping.items()})
    for column, (category, action, _) in decisions.items():
        if action == "drop" or category == "direct":
            continue
        if action == "generalise":
            done = _generalise(df[column], report, (policy or ProtectionPolicy()).min_count, hierarchies, kinds)
            out[column] = done.values if done.changed else _whole(df[column])
            continue
        out[column] = (redact_texts(df[column], get_engine(report.nlp_model), known=known, known_tags=tags,
                                    replacements=replacements) if category == "free_text" else _whole(df[column]))
    return pd.DataFrame(out, index=df.index)[[c for c in df.columns if c in out]]


def _whole(column: pd.Series) -> pd.Series:
    """A column of whole numbers with gaps, which pandas reads as floats, back to integers:
    pseudonymised real rows must read as they came in (121010, not 121010.0)."""
    if column.dtype.kind != "f":
        return column
    present = column.dropna()
    if len(present) and bool((present % 1 == 0).all()) and present.abs().max() < 2**53:
        return column.astype("Int64")
    return column


# ---------------------------------------------------------------- helpers


def _decisions(df: pd.DataFrame, report: PiiReport, policy: ProtectionPolicy | None
               ) -> dict[str, tuple[str, str, list[str]]]:
    """column -> (category after the user's action, action, entities)."""
    scanned = {c.column for c in report.columns}
    missing = [str(c) for c in df.columns if str(c) not in scanned]
    if missing:
        raise SynthRecordsError(f"columns {missing} are not in the PII report; scan this table (scan_pii) before protecting it")
    unknown = sorted(set(policy.columns) - {str(c) for c in df.columns}) if policy is not None else []
    if unknown:
        raise SynthRecordsError(f"pii column override(s) {unknown} name no column of the table; "
                                f"columns are {[str(c) for c in df.columns]}")
    out = {}
    for column in df.columns:
        finding = report[str(column)]
        action = policy.action_for(str(column), finding.category) if policy is not None else finding.action
        category = effective_category(finding.category, action)
        entities = finding.entities if finding.category == "direct" else []
        out[column] = (category, action, entities)
    return out


def _known_values(df: pd.DataFrame, decisions) -> tuple[ValueMatcher, dict[str, str]]:
    """Matcher over every direct value of the table, and the tag each value becomes in text."""
    tags: dict[str, str] = {}
    for column, (category, _, entities) in decisions.items():
        if category != "direct":
            continue
        entity = "US_SSN" if set(entities) & set(NATIONAL_IDS) else (entities[0] if entities else "")
        tag = REDACT_TAGS.get(entity, FALLBACK_TAG)
        for value in cell_strings(df[column]).unique():
            tags.setdefault(value.casefold(), tag)
    return ValueMatcher(tags), tags


def _row_values(df: pd.DataFrame, decisions) -> pd.Series:
    """Per row: its own direct values (case-folded) -> the tag each becomes in text."""
    rows: dict = {index: {} for index in df.index}
    for column, (category, _, entities) in decisions.items():
        if category != "direct":
            continue
        entity = "US_SSN" if set(entities) & set(NATIONAL_IDS) else (entities[0] if entities else "")
        tag = REDACT_TAGS.get(entity, FALLBACK_TAG)
        present = df[column].notna()
        for index, value in zip(df.index[present], cell_strings(df[column][present]), strict=True):
            rows[index].setdefault(value.casefold(), tag)
    return pd.Series(rows, dtype=object)


def _rejector(forbidden: Mapping[str, set]):
    values = {str(v).strip().casefold() for vs in forbidden.values() for v in vs if pd.notna(v)}
    matcher = ValueMatcher(values)
    return lambda candidate: candidate.strip().casefold() in values or bool(matcher.find(candidate))


def _map_cells(series: pd.Series, mapping: dict[str, str]) -> pd.Series:
    strings = series.copy().astype(object)
    present = series.notna()
    strings[present] = cell_strings(series).map(mapping)
    return strings
