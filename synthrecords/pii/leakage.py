"""The release guarantee: no value of a real direct-identifier column appears in the output.

`ValueMatcher` finds known values inside text in one pass per text: values are indexed by
their first two word tokens, so the cost grows with the length of the text, not with the
number of values (5,000 rows x 20 columns checks in well under a second). A value counts
as found when its words occur in a cell as whole words (case-insensitive): "Anna" inside
"Annabelle" is not a leak of "Anna", "anna.smith@example.org" inside a sentence is.

Chance collisions. Fakes never read real values (pii/fakes/). Where a format has no
space that real identifiers leave unused (customer numbers, passports, Spanish NIFs),
fakes are drawn uniformly over it, and a fake equals a real value of its own column by
chance: about (distinct fakes x distinct real values) / (size of the format) of them.
Given those sizes (``spaces``: column -> number of values of its format), equal cells of
such a column count as chance collisions, not findings, as long as their number stays
within what chance explains (the Poisson 1 - 1e-6 quantile of that expectation); beyond
it, every one is a finding. Names, e-mails and everything drawn from an unused space get
no such allowance; nor does any match in another column or inside text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .scan import PiiReport

MIN_LENGTH = 4         # shorter values (initials, "Li") would match everywhere
MIN_CROSS_DIGITS = 6   # short digit-only values are only compared within their own column
MAX_FINDINGS = 50

_TOKEN = re.compile(r"[^\W_]+")


def cell_strings(series: pd.Series) -> pd.Series:
    """Cells as the strings a reader would see; integral floats lose their '.0' (IDs read with NaN)."""
    s = series.dropna()
    if pd.api.types.is_float_dtype(s) and len(s) and (s == s.round()).all():
        s = s.astype("int64")
    return s.astype(str).str.strip()


def core(value: str) -> str:
    """The value from its first to its last word character, case-folded ("+44 20" -> "44 20")."""
    tokens = list(_TOKEN.finditer(value))
    return value[tokens[0].start():tokens[-1].end()].casefold() if tokens else ""


class ValueMatcher:
    """Finds any of a set of values inside texts, as whole words.

    Values are indexed by their full word-token tuple, plus the token counts seen per first
    token; at each word of a text only those few lengths are looked up, so the cost does
    not grow with the number of values.
    """

    def __init__(self, values: Iterable[str], min_length: int = MIN_LENGTH):
        self.ignored = 0
        self._size = 0
        self._index: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        self._lengths: dict[str, set[int]] = {}
        for value in set(values):
            c = core(value)
            if len(c) < min_length:
                self.ignored += 1
                continue
            tokens = tuple(t.group() for t in _TOKEN.finditer(c))
            self._index.setdefault(tokens, []).append((c, value))
            self._lengths.setdefault(tokens[0], set()).add(len(tokens))
            self._size += 1
        self._lengths_desc = {t: sorted(ns, reverse=True) for t, ns in self._lengths.items()}

    def __len__(self) -> int:
        return self._size

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, value) of each non-overlapping occurrence, longest match first."""
        tokens = list(_TOKEN.finditer(text))
        folded = [t.group().casefold() for t in tokens]
        spans, i = [], 0
        while i < len(tokens):
            hit = self._match_at(text, tokens, folded, i)
            if hit:
                spans.append(hit[1:])
                i += hit[0]
            else:
                i += 1
        return spans

    def _match_at(self, text, tokens, folded, i) -> tuple[int, int, int, str] | None:
        for n in self._lengths_desc.get(folded[i], ()):
            if i + n > len(tokens):
                continue
            for c, value in self._index.get(tuple(folded[i:i + n]), ()):
                start, end = tokens[i].start(), tokens[i + n - 1].end()
                if text[start:end].casefold() == c:  # same words, same separators
                    return n, start, end, value
        return None

    def sub(self, text: str, replacement: Callable[[str], str]) -> str:
        """Replace every occurrence by replacement(value)."""
        out, last = [], 0
        for start, end, value in self.find(text):
            out += [text[last:start], replacement(value)]
            last = end
        return "".join(out) + text[last:]


@dataclass
class LeakageCheck:
    passed: bool
    checked_columns: list[str]
    findings: list[dict[str, Any]]  # {"column", "found_in", "row", "kind": "exact"|"substring"}
    total: int = 0
    ignored_short_values: int = 0
    excused: int = 0
    notes: list[str] = field(default_factory=list)
    chance_collisions: dict[str, dict[str, float]] = field(default_factory=dict)  # column -> found, expected, allowed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_leakage(real: pd.DataFrame, output: pd.DataFrame, report: PiiReport, *,
                  spaces: Mapping[str, float] | None = None) -> LeakageCheck:
    """Search `output` for every value of every direct column of `real` (exact cells and inside text).

    A cell of a quasi/none column that is also a cell of the same real column is a
    modelled category, not a leaked identifier ("León" the city vs "León" the first
    name); such matches are counted as excused, not as findings. ``spaces``: the format
    sizes of fake columns drawn uniformly (``fakes.chance_spaces``), for the chance rule above.
    """
    direct = [c for c in report.columns_in("direct") if c in real.columns]
    owners: dict[str, set[str]] = {}
    for column in direct:
        for value in cell_strings(real[column]).unique():
            owners.setdefault(value.casefold(), set()).add(column)
    matcher = ValueMatcher(owners)
    categories = {str(c): set(cell_strings(real[c]).str.casefold()) for c in report.columns_in("quasi", "none")
                  if c in real.columns}
    output = output.reset_index(drop=True)  # rows are reported by position
    hits = _exact_hits(output, owners) + _substring_hits(output, matcher, owners)
    findings, excused = [], 0
    for hit, cell in hits:
        if cell in categories.get(hit["found_in"], ()):
            excused += 1
        else:
            findings.append(hit)
    chance = _chance_collisions(findings, real, output, spaces or {})
    findings = [h for h in findings if not (h["kind"] == "exact" and h["column"] == h["found_in"] in chance)]
    notes = [f"values shorter than {MIN_LENGTH} characters are not searched ({matcher.ignored} such values)",
             f"digit-only values under {MIN_CROSS_DIGITS} digits are compared only with their own column",
             "substring matches are whole-word and case-insensitive",
             f"{excused} matches excused: the output cell is also a value of the same real quasi/none column"]
    notes += chance_notes(chance)
    return LeakageCheck(not findings, direct, findings[:MAX_FINDINGS], len(findings), matcher.ignored, excused, notes,
                        chance)


def _chance_collisions(findings: list[dict[str, Any]], real: pd.DataFrame, output: pd.DataFrame,
                       spaces: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """Columns whose exact same-column hits chance explains, with found/expected/allowed counts."""
    out = {}
    for column, space in spaces.items():
        found = sum(h["kind"] == "exact" and h["column"] == h["found_in"] == column for h in findings)
        if not found or column not in real or column not in output:
            continue
        verdict = chance_allowance(found, cell_strings(output[column]).nunique(), cell_strings(real[column]).nunique(),
                                   space)
        if verdict:
            out[column] = verdict
    return out


def chance_allowance(found: int, distinct_output: int, distinct_real: int, space: float) -> dict[str, float] | None:
    """found/expected/allowed/space when ``found`` equal cells are within what chance explains, else None."""
    if space <= 0:
        return None
    from scipy.stats import poisson  # only when there is something to explain (a slow import)

    expected = distinct_output * distinct_real / space
    allowed = float(poisson.ppf(1 - 1e-6, expected))
    if found > allowed:
        return None
    return {"found": float(found), "expected": expected, "allowed": allowed, "space": float(space)}


def chance_notes(chance: Mapping[str, Mapping[str, float]]) -> list[str]:
    return [f"{c}: {int(v['found'])} fakes equal a real value by chance (expected {v['expected']:.1f} for a "
            f"format of {v['space']:.3g} values; allowed up to {int(v['allowed'])})" for c, v in chance.items()]


def _allowed(value: str, source: str, found_in: str) -> bool:
    # a small number (customer 1234) equal to an amount or count elsewhere is no leak
    return source == found_in or not (value.isdigit() and len(value) < MIN_CROSS_DIGITS)


def _exact_hits(output: pd.DataFrame, owners: dict[str, set[str]]) -> list[tuple[dict[str, Any], str]]:
    hits = []
    for found_in in output.columns:
        cells = cell_strings(output[found_in]).str.casefold()
        for row, value in cells[cells.isin(owners)].items():
            for source in sorted(owners[value]):
                if len(value) >= MIN_LENGTH and _allowed(value, source, str(found_in)):
                    hits.append(({"column": source, "found_in": str(found_in), "row": int(row), "kind": "exact"}, value))
    return hits


def _substring_hits(output: pd.DataFrame, matcher: ValueMatcher, owners: dict[str, set[str]]
                    ) -> list[tuple[dict[str, Any], str]]:
    hits = []
    for found_in in output.columns:
        if not (pd.api.types.is_object_dtype(output[found_in]) or pd.api.types.is_string_dtype(output[found_in])):
            continue
        first_row: dict[str, int] = {}
        for row, text in cell_strings(output[found_in]).items():
            first_row.setdefault(text, row)
        for text, row in first_row.items():
            for start, end, value in matcher.find(text):
                if end - start == len(text):
                    continue  # the whole cell: already an exact hit
                for source in sorted(owners[value]):
                    if _allowed(value, source, str(found_in)):
                        hits.append(({"column": source, "found_in": str(found_in), "row": int(row),
                                      "kind": "substring"}, text.casefold()))
    return hits
