"""Identifiers with a structure (checksums, reserved ranges), whole columns at once.

Every maker takes a row count and a numpy Generator and returns a '<U' array; nothing here
reads real values. Where a reserved or never-issued space exists, fakes come from it, so a
fake cannot be anyone's identifier and nothing needs re-drawing against the data:

- US SSN: area 9xx with group 01-49 (never issued as SSNs, outside the ITIN groups);
  UK NINO: prefix QQ (HMRC's specimen prefix, never allocated); German Steuer-ID: a leading
  0 (never issued); French NIR: department 00 (no such department);
- phones: US area codes N9X (reserved by NANPA, never assigned), the UK's unallocated 04 range;
- cards: the 400000 BIN of the public test cards, with a valid Luhn digit;
- IBANs: a bank code no bank holds (DE 0xxxxxxx, GB ZZZZ, FR 00000, ES 0000), valid checksum;
- IPv4: 240.0.0.0/4 (reserved, never routed); IPv6: 2001:db8::/32 (documentation).

Other formats (Spanish NIF, customer numbers, passports, licence plates) have no such
space: their characters are drawn uniformly over the format, so a fake equals a real value
only by chance, about (fakes x real values) / size of the format; the leakage check knows
that rule (``leakage.check_leakage(spaces=...)``).
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

from .formats import (
    DIGIT,
    as_text,
    concat,
    digit_codes,
    digit_values,
    draw_format,
    draw_indices,
    letters,
    luhn_digits,
    mask_parts,
    mask_tokens,
    mod,
    numbers,
    part,
    render,
    text_pool,
)

FICTIONAL_IDS = {  # a fake national ID matches one of these; no issued ID does
    "US_SSN": re.compile(r"9\d{2}-(0[1-9]|[1-4]\d)-\d{4}"),
    "UK_NINO": re.compile(r"QQ \d{2} \d{2} \d{2} [A-D]"),
    "DE_TAX_ID": re.compile(r"0\d{10}"),
    "FR_NIR": re.compile(r"[12]\d{4}00\d{8}"),
}


def _drawn(parts: list[np.ndarray], n: int, rng: np.random.Generator, distinct: bool) -> np.ndarray:
    return render(parts, draw_indices([p.shape[0] for p in parts], n, rng, distinct))


# ---------------------------------------------------------------- national IDs


_NIF_LETTERS = letters("TRWAGMYFPDXBNJZSQVHLCKE")[:, 0]


def national_id(n: int, rng: np.random.Generator, locale: str, distinct: bool = False) -> np.ndarray:
    if locale == "en_GB":
        return as_text(_drawn([part("QQ "), DIGIT, DIGIT, part(" "), DIGIT, DIGIT, part(" "), DIGIT, DIGIT,
                               part(" "), letters("ABCD")], n, rng, distinct))
    if locale == "de_DE":  # ISO 7064 mod 11,10 on the first ten digits
        codes = _drawn([part("0"), *[DIGIT] * 9, part("0")], n, rng, distinct)
        product = np.full(n, 10, dtype=np.int64)
        for d in digit_values(codes[:, :10]).T:
            total = (d + product) % 10
            total[total == 0] = 10
            product = (total * 2) % 11
        check = 11 - product
        codes[:, 10] = digit_codes(np.where(check == 10, 0, check))
        return as_text(codes)
    if locale == "fr_FR":
        codes = _drawn([letters("12"), numbers(40, 99, 2), numbers(1, 12, 2), part("00"), numbers(1, 999, 3),
                        numbers(1, 999, 3), part("00")], n, rng, distinct)
        key = 97 - mod(digit_values(codes[:, :13]), 97)
        codes[:, 13], codes[:, 14] = digit_codes(key // 10), digit_codes(key % 10)
        return as_text(codes)
    if locale == "es_ES":  # no unissued NIF space: uniform over the format (chance collisions)
        codes = _drawn([letters("123456789"), *[DIGIT] * 7, part("T")], n, rng, distinct)
        codes[:, 8] = _NIF_LETTERS[mod(digit_values(codes[:, :8]), 23)]
        return as_text(codes)
    return as_text(_drawn([part("9"), DIGIT, DIGIT, part("-"), numbers(1, 49, 2), part("-"), numbers(1, 9999, 4)],
                          n, rng, distinct))


# ---------------------------------------------------------------- phones


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


@cache
def _fictional_parts(mask: str) -> tuple[np.ndarray, ...] | None:
    """The mask's parts with its digits held to an unassigned range, or None: no range known, or
    a literal of the format (a shared area code) lies outside it."""
    tokens = mask_tokens(mask)
    at, lead = digit_slots(tokens)
    allowed = _fictional_digits(len(at), lead)
    if allowed is None:
        return None
    parts = mask_parts(mask)
    for k, digits in allowed.items():
        token = tokens[at[k]]
        if token == "9":
            parts[at[k]] = letters(digits)
        elif token[1] not in digits:
            return None
    return tuple(parts)


def phone_is_fictional(mask: str) -> bool:
    """Whether `phone` draws this format's numbers from an unassigned range."""
    return _fictional_parts(mask) is not None


def phone(mask: str, n: int, rng: np.random.Generator, distinct: bool = False) -> np.ndarray:
    """The mask filled, its digits drawn in an unassigned range where the format has one."""
    parts = _fictional_parts(mask)
    return draw_format(list(parts) if parts else mask_parts(mask), n, rng, distinct)


# ---------------------------------------------------------------- cards and IBANs


def card(mask: str, n: int, rng: np.random.Generator, distinct: bool = False) -> np.ndarray:
    """Test-BIN card numbers (400000...) in the mask's grouping, Luhn-valid."""
    at, _ = digit_slots(mask_tokens(mask))
    parts = mask_parts(mask)
    for k in at:
        parts[k] = DIGIT
    for k, d in zip(at[:6], "400000"):
        parts[k] = part(d)
    parts[at[-1]] = part("0")  # the check digit, set below
    codes = _drawn(parts, n, rng, distinct)
    codes[:, at[-1]] = digit_codes(luhn_digits(digit_values(codes[:, at[:-1]])))
    return as_text(codes)


_IBAN_BBAN = {  # (country, bank code no bank holds, random digits after it)
    "de_DE": ("DE", "0", 17), "en_GB": ("GB", "ZZZZ", 14), "fr_FR": ("FR", "00000", 18),
    "es_ES": ("ES", "0000", 16),
}


def iban(n: int, rng: np.random.Generator, locale: str, grouped: float, distinct: bool = False) -> np.ndarray:
    country, bank, width = _IBAN_BBAN.get(locale, _IBAN_BBAN["de_DE"])
    codes = _drawn([part(country + "00" + bank)] + [DIGIT] * width, n, rng, distinct)
    # ISO 13616: 98 - (BBAN + country + "00" mod 97), letters read as 10..35
    head, tail = _as_numeric(bank), _as_numeric(country) + "00"
    numeric = np.hstack([np.tile([int(c) for c in head], (n, 1)), digit_values(codes[:, 4 + len(bank):]),
                         np.tile([int(c) for c in tail], (n, 1))])
    check = 98 - mod(numeric, 97)
    codes[:, 2], codes[:, 3] = digit_codes(check // 10), digit_codes(check % 10)
    spaced = rng.random(n) < grouped
    if not spaced.any():
        return as_text(codes)
    w = codes.shape[1]  # groups of four, a space (code 32) after each but the last
    cols = [j for start in range(0, w, 4) for j in [*range(start, min(start + 4, w)), w]][:-1]
    wide = np.hstack([codes, np.full((n, 1), ord(" "), dtype=np.uint32)])[:, cols]
    wide[~spaced] = np.hstack([codes[~spaced], np.zeros((int((~spaced).sum()), len(cols) - w), np.uint32)])
    return as_text(wide)


def _as_numeric(text: str) -> str:
    return "".join(str(int(ch, 36)) for ch in text)


# ---------------------------------------------------------------- network addresses


_OCTET = text_pool(str(i) for i in range(256))
_DOT_OCTET = text_pool("." + str(i) for i in range(256))


@cache
def _hex_groups() -> np.ndarray:
    return text_pool(f":{i:x}" for i in range(0x10000))


def ip_address(n: int, rng: np.random.Generator, ipv6: float) -> np.ndarray:
    o = rng.integers(0, 256, (n, 3))
    out = concat(_OCTET[rng.integers(240, 255, n)], _DOT_OCTET[o[:, 0]], _DOT_OCTET[o[:, 1]], _DOT_OCTET[o[:, 2]])
    six = np.flatnonzero(rng.random(n) < ipv6)
    if len(six):
        groups = _hex_groups()[rng.integers(0, 0x10000, (len(six), 6))]
        out = out.astype(f"<U{max(out.dtype.itemsize // 4, 39)}")
        out[six] = concat("2001:db8", *groups.T)
    return out


# ---------------------------------------------------------------- licence plates: masks from Faker's formats


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
