"""People and places: names, e-mails, street addresses and URLs, whole columns at once.

Names are invented words that no public name list holds (``names.py``); e-mails are built
from the row's own fake name on the RFC 2606 domains example.com/.org/.net, which can never
be a real mailbox; URLs use the same domains; street addresses put an invented name between
a house number and the locale's public street words. Each maker returns '<U' arrays,
joined in C with ``np.strings.add``: no Python string per row until the column is done.
"""

from __future__ import annotations

import re

import numpy as np

from .formats import concat, draw_indices, text_pool
from .names import ascii_pool, invented_names

SAFE_DOMAINS = ("example.com", "example.org", "example.net")  # RFC 2606: never a real mailbox
NUMBER_TEXT = text_pool(str(i) for i in range(10000))
_AT_DOMAINS = text_pool("@" + d for d in SAFE_DOMAINS)
_URL_HEADS = text_pool(f"https://www.{d}/" for d in SAFE_DOMAINS)


def person(n: int, rng: np.random.Generator, locale: str, distinct: bool = False) -> dict[str, np.ndarray]:
    """First and last names (and their ASCII forms for e-mails); distinct (first, last) pairs when asked."""
    firsts, lasts = invented_names(locale, "first"), invented_names(locale, "last")
    i, j = draw_indices([len(firsts), len(lasts)], n, rng, distinct)
    return {"first": firsts[i], "last": lasts[j],
            "first_ascii": ascii_pool(locale, "first")[i], "last_ascii": ascii_pool(locale, "last")[j]}


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
    long_number = (style == _INITIAL) | (style == _FIRST_ONLY)
    number = np.where(long_number, NUMBER_TEXT[rng.integers(1, 10000, n)],
                      np.where(rng.random(n) < 0.6, NUMBER_TEXT[rng.integers(1, 1000, n)], ""))
    return concat(head, _SEPARATORS[style], tail, number, _AT_DOMAINS[rng.integers(0, 3, n)])


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
    fmt, words = _STREETS.get(locale, _STREETS["en_US"])
    pool = invented_names(locale, "last")
    i, j, k = draw_indices([len(pool), len(words), 299], n, rng, distinct)
    fields = {"{num}": NUMBER_TEXT[k + 1], "{name}": pool[i], "{word}": text_pool(words)[j]}
    return concat(*(fields.get(piece, piece) for piece in re.split(r"(\{\w+\})", fmt) if piece))
