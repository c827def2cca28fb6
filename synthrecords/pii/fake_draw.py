"""Whole columns of surrogates at once, from spaces real identifiers do not occupy.

Every maker takes a row count and a numpy Generator and returns an object array; nothing
here reads real values. Where a reserved or never-issued space exists, fakes come from it,
so a fake cannot be anyone's identifier and nothing needs re-drawing against the data:

- e-mail and URLs: the RFC 2606 domains example.com/.org/.net;
- names (and the names inside e-mails): invented words that are in no public name list
  (``names.py``);
- US SSN: area 9xx with group 01-49 (never issued as SSNs, outside the ITIN groups);
  UK NINO: prefix QQ (HMRC's specimen prefix, never allocated); German Steuer-ID: a leading
  0 (never issued); French NIR: department 00 (no such department);
- phones: US area codes N9X (reserved by NANPA, never assigned), the UK's unallocated 04 range;
- cards: the 400000 BIN of the public test cards, with a valid Luhn digit;
- IBANs: a bank code no bank holds (DE 0xxxxxxx, GB ZZZZ, FR 00000, ES 0000), valid checksum;
- IPv4: 240.0.0.0/4 (reserved, never routed); IPv6: 2001:db8::/32 (documentation).

Other formats (Spanish NIF, customer numbers, passports) have no such space: their
characters are drawn uniformly over the format, so a fake equals a real value only by
chance, about (fakes x real values) / size of the format; the leakage check knows that
rule (``leakage.check_leakage(spaces=...)``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .names import ascii_pool, invented_names

DIGITS, UPPER, LOWER = "0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
SAFE_DOMAINS = np.array(["example.com", "example.org", "example.net"], dtype=object)
ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
FICTIONAL_IDS = {  # a fake national ID matches one of these; no issued ID does
    "US_SSN": re.compile(r"9\d{2}-(0[1-9]|[1-4]\d)-\d{4}"),
    "UK_NINO": re.compile(r"QQ \d{2} \d{2} \d{2} [A-D]"),
    "DE_TAX_ID": re.compile(r"0\d{10}"),
    "FR_NIR": re.compile(r"[12]\d{4}00\d{8}"),
}
_MASK_ALPHABET = {"9": DIGITS, "A": UPPER, "a": LOWER}
MAX_INDEX = 2 ** 62  # spaces up to this size are drawn as one integer (distinct draws are exact)


# ---------------------------------------------------------------- fixed-width spaces: a value is a row of characters
# A format is a list of parts, each a table of equally wide choices (a (k, w) character
# matrix): a literal has one choice, a digit ten. A value is one choice per part, so a
# whole column is drawn as integer indices and rendered by gathering rows, with no Python
# loop over values; distinct indices give distinct values (a unique column by construction).


def part(choices: str | list[str]) -> np.ndarray:
    """A part's choice table: a literal string, or a list of equally wide strings."""
    items = [choices] if isinstance(choices, str) else list(choices)
    width = len(items[0])
    return np.array(items, dtype=f"<U{width}").view("<U1").reshape(len(items), width)


def letters(alphabet: str) -> np.ndarray:
    return part(list(alphabet))


def space_size(parts: list[np.ndarray]) -> int:
    return int(np.prod([p.shape[0] for p in parts], dtype=object))


def draw_indices(sizes: list[int], n: int, rng: np.random.Generator, distinct: bool) -> list[np.ndarray]:
    """One index per part per row; all rows different when ``distinct`` (ValueError if the space is too small)."""
    total = int(np.prod(sizes, dtype=object))
    if total > MAX_INDEX:  # too large to index: parts drawn alone (the caller checks duplicates)
        return [rng.integers(0, k, n) for k in sizes]
    flat = distinct_ints(total, n, rng) if distinct else rng.integers(0, total, n)
    out = []
    for k in reversed(sizes):
        out.append(flat % k)
        flat = flat // k
    return out[::-1]


def distinct_ints(total: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n different integers below total, uniformly (draw, drop repeats, draw again)."""
    if n > total:
        raise ValueError(f"{n} distinct values asked of a format with {total}")
    if 2 * n > total:
        return rng.permutation(total)[:n]
    x = rng.integers(0, total, n)
    while True:
        again = pd.Series(x).duplicated().to_numpy()
        if not again.any():
            return x
        x[again] = rng.integers(0, total, int(again.sum()))


def render(parts: list[np.ndarray], indices: list[np.ndarray]) -> np.ndarray:
    """The (n, width) character matrix of the chosen rows of each part."""
    return np.hstack([p[i] for p, i in zip(parts, indices)])


def join_chars(chars: np.ndarray) -> np.ndarray:
    """Rows of a (n, L) '<U1' matrix as n strings, without a Python loop over characters."""
    n, width = chars.shape
    if width == 0:
        return np.full(n, "", dtype=object)
    return np.ascontiguousarray(chars).view(f"<U{width}").reshape(n).astype(object)


def draw_format(parts: list[np.ndarray], n: int, rng: np.random.Generator, distinct: bool) -> np.ndarray:
    return join_chars(render(parts, draw_indices([p.shape[0] for p in parts], n, rng, distinct)))


def mask_tokens(mask: str) -> list[str]:
    """A mask as one token per output character: '9', 'A', 'a', or a literal as '\\x'."""
    out, escaped = [], False
    for ch in mask:
        if escaped:
            out.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch if ch in _MASK_ALPHABET else "\\" + ch)
    return out


def mask_parts(mask: str) -> list[np.ndarray]:
    return [letters(_MASK_ALPHABET[t]) if t in _MASK_ALPHABET else part(t[1]) for t in mask_tokens(mask)]


def mask_space(mask: str) -> float:
    """How many values a mask can produce (digits x letters)."""
    return float(space_size(mask_parts(mask)))


def masks_disjoint(masks: list[str]) -> bool:
    """Whether no value can fit two of the masks (then per-mask distinct draws are distinct overall)."""
    sets = [[set(_MASK_ALPHABET.get(t, t[1:])) for t in mask_tokens(m)] for m in masks]
    for i, a in enumerate(sets):
        for b in sets[i + 1:]:
            if len(a) == len(b) and all(x & y for x, y in zip(a, b)):
                return False
    return True


def fill_mask(mask: str, n: int, rng: np.random.Generator, distinct: bool = False) -> np.ndarray:
    """n values of a mask (9 digit, A upper, a lower, \\x literal x)."""
    return draw_format(mask_parts(mask), n, rng, distinct)


def random_strings(n: int, lo: int, hi: int, rng: np.random.Generator, alphabet: str = ALNUM) -> np.ndarray:
    """n strings of random lengths in [lo, hi] over an alphabet."""
    hi = max(lo, min(hi, 32))
    full = join_chars(letters(alphabet)[rng.integers(0, len(alphabet), (n, hi)), 0])
    if lo == hi:
        return full
    lengths = rng.integers(lo, hi + 1, n)
    return np.array([s[:k] for s, k in zip(full, lengths)], dtype=object)


def luhn_digits(payload: np.ndarray) -> np.ndarray:
    """The Luhn check digit completing each row of a digit matrix."""
    doubled = payload[:, ::-1].copy()
    doubled[:, ::2] *= 2
    doubled[doubled > 9] -= 9
    return (10 - doubled.sum(axis=1) % 10) % 10


def mod(numeric: np.ndarray, k: int) -> np.ndarray:
    """Each row of a digit matrix read as a number, mod k (column by column: no big ints)."""
    r = np.zeros(len(numeric), dtype=np.int64)
    for j in range(numeric.shape[1]):
        r = (r * 10 + numeric[:, j]) % k
    return r


def digit_values(chars: np.ndarray) -> np.ndarray:
    return chars.view(np.uint32).astype(np.int64) - ord("0")


def digit_chars(values: np.ndarray) -> np.ndarray:
    return (np.asarray(values, dtype=np.int64) + ord("0")).astype(np.uint32).view("<U1")


# ---------------------------------------------------------------- per-entity makers (n rows, one locale)
DIGIT = letters(DIGITS)


def numbers(lo: int, hi: int, width: int) -> np.ndarray:
    """A part of the zero-padded numbers lo..hi."""
    return part([f"{i:0{width}d}" for i in range(lo, hi + 1)])


def person(n: int, rng: np.random.Generator, locale: str, distinct: bool = False) -> dict[str, np.ndarray]:
    """First and last names (and their ASCII forms for e-mails); distinct (first, last) pairs when asked."""
    firsts, lasts = invented_names(locale, "first"), invented_names(locale, "last")
    i, j = draw_indices([len(firsts), len(lasts)], n, rng, distinct)
    return {"first": firsts[i], "last": lasts[j],
            "first_ascii": ascii_pool(locale, "first")[i], "last_ascii": ascii_pool(locale, "last")[j]}


# first.last, firstlast, flast, first_last, first; the last two always with a number (few distinct otherwise)
_EMAIL_STYLE_SHARES = [0.4, 0.2, 0.15, 0.1, 0.15]


def email(f: np.ndarray, l: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Addresses from each row's (fake) name in ASCII, on a reserved domain: ana, velt -> ana.velt12@example.org."""
    n = len(f)
    style = rng.choice(len(_EMAIL_STYLE_SHARES), n, p=_EMAIL_STYLE_SHARES)
    number = np.where(rng.random(n) < 0.6, NUMBER_TEXT[rng.integers(1, 1000, n)], "")
    local = np.empty(n, dtype=object)
    for k, make in enumerate((lambda a, b, i: a + "." + b + number[i], lambda a, b, i: a + b + number[i],
                              lambda a, b, i: _initials(a) + b + NUMBER_TEXT[rng.integers(1, 10000, len(i))],
                              lambda a, b, i: a + "_" + b + number[i],
                              lambda a, b, i: a + NUMBER_TEXT[rng.integers(1, 10000, len(i))])):
        rows = np.flatnonzero(style == k)
        local[rows] = make(f[rows], l[rows], rows)
    return local + "@" + SAFE_DOMAINS[rng.integers(0, 3, n)]


def _initials(words: np.ndarray) -> np.ndarray:
    return np.array([w[:1] for w in words], dtype=object)


NUMBER_TEXT = np.array([str(i) for i in range(10000)], dtype=object)


def digit_slots(tokens: list[str]) -> tuple[list[int], str]:
    """Positions of the digits of a format, and its leading literal digits (a country code)."""
    at = [i for i, t in enumerate(tokens) if t == "9" or (len(t) == 2 and t[1].isdigit())]
    lead = ""
    for i in at:
        if tokens[i] == "9":
            break
        lead += tokens[i][1]
    return at, lead


def _fictional_digits(width: int, lead: str) -> dict[int, str] | None:
    """Allowed digits at some of a phone format's digit positions, or None (no unused range known).

    555-01xx (80,000 numbers) and Ofcom's drama ranges (15,000) are too small for a unique
    column of a large table; these unassigned ranges hold hundreds of millions."""
    if width == 10 or (width == 11 and lead.startswith("1")):  # NANP: area codes N9X are reserved, never assigned
        o = width - 10
        return {**({0: "1"} if o else {}), o: "23456789", o + 1: "9", o + 3: "23456789"}
    if width == 11 and lead.startswith("0"):  # UK: the 04 range is not allocated to any number
        return {0: "0", 1: "4"}
    if width == 12 and lead == "44":
        return {0: "4", 1: "4", 2: "4"}
    return None


def phone_is_fictional(mask: str) -> bool:
    """Whether `phone` draws this format's numbers from an unassigned range."""
    at, lead = digit_slots(mask_tokens(mask))
    return _fictional_digits(len(at), lead) is not None


def phone(mask: str, n: int, rng: np.random.Generator, distinct: bool = False) -> np.ndarray:
    """The mask filled, its digits drawn in an unassigned range where the format has one."""
    tokens = mask_tokens(mask)
    parts = mask_parts(mask)
    at, lead = digit_slots(tokens)
    for k, allowed in (_fictional_digits(len(at), lead) or {}).items():
        parts[at[k]] = letters(allowed)
    return draw_format(parts, n, rng, distinct)


def card(mask: str, n: int, rng: np.random.Generator, distinct: bool = False) -> np.ndarray:
    """Test-BIN card numbers (400000...) in the mask's grouping, Luhn-valid."""
    tokens = mask_tokens(mask)
    at, _ = digit_slots(tokens)
    parts = mask_parts(mask)
    for k in at:
        parts[k] = DIGIT
    for k, d in zip(at[:6], "400000"):
        parts[k] = part(d)
    parts[at[-1]] = part("0")  # the check digit, set below
    chars = render(parts, draw_indices([p.shape[0] for p in parts], n, rng, distinct))
    chars[:, at[-1]] = digit_chars(luhn_digits(digit_values(chars[:, at[:-1]])))
    return join_chars(chars)


_IBAN_BBAN = {  # (country, bank code no bank holds, random digits after it)
    "de_DE": ("DE", "0", 17), "en_GB": ("GB", "ZZZZ", 14), "fr_FR": ("FR", "00000", 18),
    "es_ES": ("ES", "0000", 16),
}


def iban(n: int, rng: np.random.Generator, locale: str, grouped: float, distinct: bool = False) -> np.ndarray:
    country, bank, width = _IBAN_BBAN.get(locale, _IBAN_BBAN["de_DE"])
    parts = [part(country + "00" + bank)] + [DIGIT] * width
    chars = render(parts, draw_indices([p.shape[0] for p in parts], n, rng, distinct))
    # ISO 13616: 98 - (BBAN + country + "00" mod 97), letters read as 10..35
    head, tail = _as_numeric(bank), _as_numeric(country) + "00"
    numeric = np.hstack([np.tile([int(c) for c in head], (n, 1)), digit_values(chars[:, 4 + len(bank):]),
                         np.tile([int(c) for c in tail], (n, 1))])
    check = 98 - mod(numeric, 97)
    chars[:, 2], chars[:, 3] = digit_chars(check // 10), digit_chars(check % 10)
    out = join_chars(chars)
    spaced = np.flatnonzero(rng.random(n) < grouped)
    if len(spaced):
        w = chars.shape[1]
        cols = [j for start in range(0, w, 4) for j in [*range(start, min(start + 4, w)), -1]][:-1]
        wide = np.hstack([chars[spaced], np.full((len(spaced), 1), " ", dtype="<U1")])
        out[spaced] = join_chars(wide[:, cols])
    return out


def _as_numeric(text: str) -> str:
    return "".join(str(int(ch, 36)) for ch in text)


_NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def national_id(n: int, rng: np.random.Generator, locale: str, distinct: bool = False) -> np.ndarray:
    def drawn(parts: list[np.ndarray]) -> np.ndarray:
        return render(parts, draw_indices([p.shape[0] for p in parts], n, rng, distinct))

    if locale == "en_GB":
        return join_chars(drawn([part("QQ "), DIGIT, DIGIT, part(" "), DIGIT, DIGIT, part(" "), DIGIT, DIGIT,
                                 part(" "), letters("ABCD")]))
    if locale == "de_DE":  # ISO 7064 mod 11,10 on the first ten digits
        chars = drawn([part("0"), *[DIGIT] * 9, part("0")])
        product = np.full(n, 10, dtype=np.int64)
        for d in digit_values(chars[:, :10]).T:
            total = (d + product) % 10
            total[total == 0] = 10
            product = (total * 2) % 11
        check = 11 - product
        chars[:, 10] = digit_chars(np.where(check == 10, 0, check))
        return join_chars(chars)
    if locale == "fr_FR":
        chars = drawn([letters("12"), numbers(40, 99, 2), numbers(1, 12, 2), part("00"), numbers(1, 999, 3),
                       numbers(1, 999, 3), part("00")])
        key = 97 - mod(digit_values(chars[:, :13]), 97)
        chars[:, 13], chars[:, 14] = digit_chars(key // 10), digit_chars(key % 10)
        return join_chars(chars)
    if locale == "es_ES":  # no unissued NIF space: uniform over the format (chance collisions)
        chars = drawn([letters("123456789"), *[DIGIT] * 7, part("T")])
        chars[:, 8] = np.array(list(_NIF_LETTERS))[mod(digit_values(chars[:, :8]), 23)]
        return join_chars(chars)
    return join_chars(drawn([part("9"), DIGIT, DIGIT, part("-"), numbers(1, 49, 2), part("-"), numbers(1, 9999, 4)]))


OCTET_TEXT = np.array([str(i) for i in range(256)], dtype=object)


def ip_address(n: int, rng: np.random.Generator, ipv6: float) -> np.ndarray:
    o = OCTET_TEXT[rng.integers(0, 256, (n, 3))]
    out = OCTET_TEXT[rng.integers(240, 255, n)] + "." + o[:, 0] + "." + o[:, 1] + "." + o[:, 2]
    six = rng.random(n) < ipv6
    if six.any():
        groups = rng.integers(0, 0x10000, (int(six.sum()), 6))
        out[six] = ["2001:db8:" + ":".join(f"{g:x}" for g in row) for row in groups]
    return out


def url(n: int, rng: np.random.Generator, locale: str) -> np.ndarray:
    words = ascii_pool(locale, "last")
    return ("https://www." + SAFE_DOMAINS[rng.integers(0, 3, n)] + "/" + words[rng.integers(0, len(words), n)]
            + NUMBER_TEXT[rng.integers(1, 10000, n)])


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
    parts = {"{num}": NUMBER_TEXT[k + 1], "{name}": pool[i], "{word}": np.array(words, dtype=object)[j]}
    out = np.full(n, "", dtype=object)
    for piece in re.split(r"(\{\w+\})", fmt):
        if piece:
            out = out + parts.get(piece, piece)
    return out


_PLATES = {"de_DE": ("AA-AA 999",)}


def plate_masks(locale: str) -> tuple[str, ...]:
    """Faker's public licence-plate formats as masks (# digit, ? letter)."""
    import importlib

    if locale in _PLATES:
        return _PLATES[locale]
    try:
        formats = importlib.import_module(f"faker.providers.automotive.{locale}").Provider.license_formats
    except (ImportError, AttributeError):
        formats = ()
    masks = tuple("".join({"#": "9", "?": "A"}.get(c, "\\" + c) for c in f) for f in formats if f.isascii())
    return masks or ("AAA 9999",)


