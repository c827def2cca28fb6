"""Invented names: name-like words that no public name list holds, so no real person's name.

A fake name drawn from a real-name list equals some customer's name by chance (about 9 %
of Faker names did on the sample table), and filtering the list by the real names makes
the list itself depend on the data: a missing name is a real one. Invented names avoid
both. Per locale, a letter-trigram chain learned from Faker's first and last name lists
(public, shipped with Faker) invents words; any word that is a name in any locale's list
is refused. The chain runs on a fixed public seed, so the pools are the same everywhere
and depend on nothing but the installed Faker: they are public knowledge, like a format.

Real names outside Faker's lists can still equal an invented one by chance; the leakage
check reports such a value as a finding (it does not excuse names).
"""

from __future__ import annotations

import importlib
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator
from functools import cache

import numpy as np

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES")
POOL_SIZE = 3000  # invented words per locale and kind: 3000 x 3000 full names
_POOL_SEED = 20240607  # public: the pools are a published list, not a secret
_START, _END = "^", "$"
_MIN_LEN, _MAX_LEN = 4, 10


@cache
def public_names(locale: str, kind: str) -> tuple[str, ...]:
    """Faker's list of first or last names for a locale (its weights dropped)."""
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    if kind == "first":
        names = getattr(provider, "first_names", ())
    else:
        names = getattr(provider, "last_names", ())
    return tuple(str(n) for n in names)


@cache
def _known_words() -> frozenset[str]:
    """Every word of every locale's name lists, case-folded: an invented name is none of them."""
    words: set[str] = set()
    for locale in LOCALES:
        for kind in ("first", "last"):
            for name in public_names(locale, kind):
                words.update(w.casefold() for w in name.replace("-", " ").split())
    return frozenset(words)


@cache
def invented_names(locale: str, kind: str) -> np.ndarray:
    """POOL_SIZE distinct invented first or last names for a locale, as a '<U' array."""
    source = [n for n in public_names(locale, kind) if n.isalpha()]
    chain = _trigrams(source)
    draws = _uniforms(np.random.default_rng([_POOL_SEED, sum(map(ord, locale + kind))]))
    known = _known_words()
    out: dict[str, None] = {}
    for _ in range(POOL_SIZE * 50):
        word = _walk(chain, draws)
        if _MIN_LEN <= len(word) <= _MAX_LEN and word.casefold() not in known:
            out.setdefault(word.capitalize())
            if len(out) == POOL_SIZE:
                break
    return np.array(sorted(out), dtype=str)


def _trigrams(words: list[str]) -> dict[str, tuple[list[str], list[float]]]:
    counts: dict[str, dict[str, int]] = {}
    for word in words:
        w = _START * 2 + word.lower() + _END
        for i in range(len(w) - 2):
            nxt = counts.setdefault(w[i:i + 2], {})
            nxt[w[i + 2]] = nxt.get(w[i + 2], 0) + 1
    chain = {}
    for key, nxt in counts.items():
        letters = sorted(nxt)
        weights = np.array([nxt[c] for c in letters], dtype=float)
        chain[key] = (letters, (np.cumsum(weights) / weights.sum()).tolist())
    return chain


def _uniforms(rng: np.random.Generator) -> Iterator[float]:
    """The numbers ``rng.random()`` gives one at a time, drawn in blocks (a pool took 0.2 s
    with a numpy call per letter; the blocks give the same pools, the same everywhere)."""
    while True:
        yield from rng.random(4096).tolist()


def _walk(chain, draws: Iterator[float]) -> str:
    state, word = _START * 2, []
    while len(word) <= _MAX_LEN:
        letters, cdf = chain[state]
        ch = letters[min(bisect_left(cdf, next(draws)), len(letters) - 1)]
        if ch == _END:
            break
        word.append(ch)
        state = state[1] + ch
    return "".join(word)


@cache
def ascii_pool(locale: str, kind: str) -> np.ndarray:
    """`invented_names(locale, kind)` in lower-case ASCII, index for index, for e-mail local parts."""
    return np.array([fold(n) for n in invented_names(locale, kind)], dtype=str)


def fold(name: str) -> str:
    """Lower-case ASCII form of a name ("Jérôme" -> "jerome", "Weiß" -> "weiss")."""
    plain = unicodedata.normalize("NFKD", name.replace("ß", "ss")).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum()) or "user"
