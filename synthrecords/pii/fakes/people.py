"""People and places: names, e-mails, street addresses and URLs, whole columns at once.

Names are invented words that no public name list holds (``names.py``); e-mails are built
from the row's own fake name on the RFC 2606 domains example.com/.org/.net, which can never
be a real mailbox; URLs use the same domains; street addresses put an invented name between
a house number and the locale's public street words. Each maker returns '<U' arrays,
joined in C with ``np.strings.add``: no Python string per row until the column is done.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

from .formats import concat, draw_indices, text_pool
from .names import ascii_pool, invented_names

SAFE_DOMAINS = ("example.com", "example.org", "example.net")  # RFC 2606: never a real mailbox
NUMBER_TEXT = text_pool(str(i) for i in range(10000))
_URL_HEADS = text_pool(f"https://www.{d}/" for d in SAFE_DOMAINS)


def person(n: int, rng: np.random.Generator, locale: str, distinct: bool = False) -> dict[str, np.ndarray]:
    """First and last names (and their ASCII forms for e-mails); distinct (first, last) pairs when asked.

    ``first_space``: the first name and a space, to join with ``last`` into a full name."""
    firsts, lasts = invented_names(locale, "first"), invented_names(locale, "last")
    i, j = draw_indices([len(firsts), len(lasts)], n, rng, distinct)
    return {"first": firsts[i], "last": lasts[j], "first_space": _spaced(locale)[i],
            "first_ascii": ascii_pool(locale, "first")[i], "last_ascii": ascii_pool(locale, "last")[j]}


@cache
def _spaced(locale: str) -> np.ndarray:
    """First names with the space after them: a full name is then one join."""
    return np.strings.add(invented_names(locale, "first"), " ")


# first.last, firstlast, flast, first_last, first; the last two always with a longer number (few distinct otherwise)
_EMAIL_STYLE_SHARES = [0.4, 0.2, 0.15, 0.1, 0.15]
_SEPARATORS = text_pool([".", "", "", "_", ""])
_INITIAL, _FIRST_ONLY = 2, 4


def email(f: np.ndarray, l: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Addresses from each row's (fake) name in ASCII, on a reserved domain: ana, velt -> ana.velt12@example.org."""
    n = len(f)
    style = rng.choice(len(_EMAIL_STYLE_SHARES), n, p=_EMAIL_STYLE_SHARES)
    f, l = np.asarray(f, dtype=str), np.asarray(l, dtype=str)
    head = np.where(style == _INITIAL, f.astype("<U1"), f)  # astype to one character keeps the initial
    tail = np.where(style == _FIRST_ONLY, "", l)
    number = np.where(rng.random(n) < 0.6, rng.integers(1, 1000, n), 0)
    for k in (_INITIAL, _FIRST_ONLY):  # in this order: a key's draws (keyed.py) must not change between versions
        rows = np.flatnonzero(style == k)
        number[rows] = rng.integers(1, 10000, len(rows))
    return concat(head, _SEPARATORS[style], tail, _number_at_domain()[3 * number + rng.integers(0, 3, n)])


@cache
def _number_at_domain() -> np.ndarray:
    """A number (or none: index 0) and a domain in one pool, number * 3 + domain: one join less per address."""
    return text_pool(number + "@" + d for number in ["", *NUMBER_TEXT[1:]] for d in SAFE_DOMAINS)


def url(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    words = ascii_pool(locale, "last")
    return concat(_URL_HEADS[rng.integers(0, 3, n)], words[rng.integers(0, len(words), n)],
                  NUMBER_TEXT[rng.integers(1, 10000, n)])


_STREETS: dict[str, tuple[str, tuple[str, ...]]] = {  # format, public street words
    "en_US": ("{num} {name} {word}", ("Street", "Avenue", "Road", "Lane", "Drive", "Court", "Way", "Place")),
    "en_GB": ("{num} {name} {word}", ("Street", "Road", "Lane", "Close", "Avenue", "Gardens", "Way", "Crescent")),
    "de_DE": ("{name}{word} {num}", ("straße", "weg", "gasse", "allee", "ring", "platz")),
    "fr_FR": ("{num}, {word} {name}", ("rue", "avenue", "boulevard", "chemin", "place", "allée")),
    "es_ES": ("{word} {name} {num}", ("Calle", "Avenida", "Paseo", "Plaza", "Camino")),
}


def street_address(n: int, rng: np.random.Generator, locale: str, distinct: bool = False) -> np.ndarray:
    fields = _street_fields(locale)
    index = dict(zip(("name", "word", "num"), draw_indices([len(fields[f]) for f in ("name", "word", "num")],
                                                           n, rng, distinct)))
    return concat(*(pool[index[field]] for field, pool in fields.items()))


@cache
def _street_fields(locale: str) -> dict[str, np.ndarray]:
    """The format's fields in order, each a pool of its values with the format's literal text
    after it glued on (and any text before the first field): two joins per address, not four."""
    fmt, words = _STREETS.get(locale, _STREETS["en_US"])
    values = {"num": [str(i) for i in range(1, 300)], "name": list(invented_names(locale, "last")), "word": words}
    pieces = re.split(r"\{(\w+)\}", fmt)  # literal, field, literal, field, ..., literal
    literals, names = pieces[0::2], pieces[1::2]
    return {field: text_pool((literals[0] if k == 0 else "") + v + literals[k + 1] for v in values[field])
            for k, field in enumerate(names)}
