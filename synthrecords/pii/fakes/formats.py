"""Fixed-width value spaces: a whole column of formatted values from integer draws, no Python loop.

A format is a list of parts, each a table of equally wide choices held as character codes
(a (k, w) uint32 matrix, the memory of numpy's '<U' strings): a literal has one choice, a
digit ten, a zero-padded number range many. A value is one choice per part, so a column is
drawn as integer indices, rendered by copying the chosen rows into one (n, width) code
matrix and read as n fixed-width strings by a view (no copy). Distinct indices give
distinct values: a unique column by construction.

Values stay numpy '<U' arrays (and variable-width ones are joined with ``np.strings.add``)
until the column is finished; ``to_object`` makes the Python strings pandas holds, once,
which is most of a column's cost.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

DIGITS, UPPER, LOWER = "0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
MASK_ALPHABET = {"9": DIGITS, "A": UPPER, "a": LOWER}
MAX_INDEX = 2 ** 62  # spaces up to this size are drawn as one integer (distinct draws are exact)
_HASH_SEED = 20240607  # public: the hash only finds repeats, it hides nothing


def part(choices: str | list[str]) -> np.ndarray:
    """A part's choice table: a literal string, or a list of equally wide strings, as codes."""
    items = [choices] if isinstance(choices, str) else list(choices)
    width = len(items[0])
    return np.array(items, dtype=f"<U{width}").view(np.uint32).reshape(len(items), width)


@cache
def letters(alphabet: str) -> np.ndarray:
    return part(list(alphabet))


DIGIT = letters(DIGITS)


@cache
def numbers(lo: int, hi: int, width: int) -> np.ndarray:
    """A part of the zero-padded numbers lo..hi."""
    return part([f"{i:0{width}d}" for i in range(lo, hi + 1)])


def space_size(parts: list[np.ndarray]) -> int:
    return int(np.prod([p.shape[0] for p in parts], dtype=object))


def draw_indices(sizes: list[int], n: int, rng: np.random.Generator, distinct: bool) -> list[np.ndarray | None]:
    """One index per part per row (None for a part with one choice); all rows different when
    ``distinct`` (ValueError if the space is too small)."""
    total = int(np.prod(sizes, dtype=object))
    if total > MAX_INDEX:  # too large to index: parts drawn alone (the caller checks duplicates)
        return [rng.integers(0, k, n) if k > 1 else None for k in sizes]
    flat = distinct_ints(total, n, rng) if distinct else rng.integers(0, total, n)
    out: list[np.ndarray | None] = []
    for k in reversed(sizes):
        if k == 1:
            out.append(None)
            continue
        flat, index = np.divmod(flat, k)
        out.append(index)
    return out[::-1]


def distinct_ints(total: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n different integers below total, uniformly: draw a few more than needed, keep the first
    occurrence of each (pd.unique keeps draw order), draw again for any shortfall.

    Not ``rng.choice(total, n, replace=False)``: above n > total / 50 it shuffles the whole range."""
    if n > total:
        raise ValueError(f"{n} distinct values asked of a format with {total}")
    if 2 * n > total:
        return rng.permutation(total)[:n]
    extra = int(n * n / total) + 16  # about the number of repeats a draw of n holds
    x = pd.unique(rng.integers(0, total, n + 2 * extra))
    while len(x) < n:
        x = pd.unique(np.concatenate([x, rng.integers(0, total, 2 * (n - len(x)) + 16)]))
    return x[:n]


def render(parts: list[np.ndarray], indices: list[np.ndarray | None]) -> np.ndarray:
    """The (n, width) code matrix of the chosen rows of each part."""
    n = next((len(i) for i in indices if i is not None), 0)
    out = np.empty((n, sum(p.shape[1] for p in parts)), dtype=np.uint32)
    at = 0
    for p, i in zip(parts, indices):
        w = p.shape[1]
        out[:, at:at + w] = p[0] if i is None else p[i]
        at += w
    return out


def as_text(codes: np.ndarray) -> np.ndarray:
    """Rows of an (n, width) code matrix as n '<U' strings (a view; code 0 ends a string early)."""
    n, width = codes.shape
    if width == 0:
        return np.full(n, "", dtype="<U1")
    return np.ascontiguousarray(codes).view(f"<U{width}").reshape(n)


def to_object(text: np.ndarray) -> np.ndarray:
    """The Python strings of a '<U' array: the one conversion a finished column pays."""
    return text.astype(object)


def string_hashes(text: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each '<U' string, to find repeats without making Python strings.

    The hash is a sum of the string's 64-bit words (two characters each) times fixed odd
    weights, mod 2**64; padding adds zeros, so it does not depend on the array's width.
    Equal strings always share it (no repeat is missed); two different strings share it with
    a chance of about 2**-64, and then one of them is re-drawn needlessly."""
    codes = text.view(np.uint32).reshape(len(text), -1)
    width = codes.shape[1]
    words = codes[:, : width - width % 2].view(np.uint64)  # rows stay contiguous: a view, no copy
    weights = _hash_weights(words.shape[1] + 1)
    hashes = words @ weights[:-1]
    if width % 2:
        hashes += codes[:, -1] * weights[-1]
    return hashes


def _hash_weights(k: int) -> np.ndarray:
    """Odd weights per word position, the same for a position whatever the width (blocks of 64)."""
    blocks = [np.random.default_rng([_HASH_SEED, b]).integers(1, 2 ** 63, 64, dtype=np.uint64)
              for b in range(-(-k // 64))]
    return np.concatenate(blocks)[:k] | np.uint64(1)


def draw_format(parts: list[np.ndarray], n: int, rng: np.random.Generator, distinct: bool) -> np.ndarray:
    return as_text(render(parts, draw_indices([p.shape[0] for p in parts], n, rng, distinct)))


def concat(*pieces: np.ndarray | str) -> np.ndarray:
    """Element-wise joins of '<U' arrays and literals, in C (no Python string per row)."""
    out = pieces[0]
    for piece in pieces[1:]:
        out = np.strings.add(out, piece)
    return np.asarray(out)


def text_pool(words) -> np.ndarray:
    """Strings as a '<U' array to gather from (an empty list gives one empty string)."""
    return np.array(list(words) or [""], dtype=str)


# ---------------------------------------------------------------- masks: 9 digit, A upper, a lower, \x literal x


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
            out.append(ch if ch in MASK_ALPHABET else "\\" + ch)
    return out


def mask_parts(mask: str) -> list[np.ndarray]:
    return [letters(MASK_ALPHABET[t]) if t in MASK_ALPHABET else part(t[1]) for t in mask_tokens(mask)]


def mask_space(mask: str) -> float:
    """How many values a mask can produce (digits x letters)."""
    return float(space_size(mask_parts(mask)))


def masks_disjoint(masks: list[str]) -> bool:
    """Whether no value can fit two of the masks (then per-mask distinct draws are distinct overall)."""
    sets = [[set(MASK_ALPHABET.get(t, t[1:])) for t in mask_tokens(m)] for m in masks]
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
    codes = letters(alphabet)[rng.integers(0, len(alphabet), (n, hi)), 0]
    if lo < hi:  # a string ends at its first code 0
        codes[np.arange(hi) >= rng.integers(lo, hi + 1, n)[:, None]] = 0
    return as_text(codes)


# ---------------------------------------------------------------- digits as numbers: checksums on whole columns


def digit_values(codes: np.ndarray) -> np.ndarray:
    return codes.astype(np.int64) - ord("0")


def digit_codes(values: np.ndarray) -> np.ndarray:
    return (np.asarray(values, dtype=np.int64) + ord("0")).astype(np.uint32)


def mod(numeric: np.ndarray, k: int) -> np.ndarray:
    """Each row of a digit matrix read as a number, mod k (column by column: no big ints)."""
    r = np.zeros(len(numeric), dtype=np.int64)
    for j in range(numeric.shape[1]):
        r = (r * 10 + numeric[:, j]) % k
    return r


def luhn_digits(payload: np.ndarray) -> np.ndarray:
    """The Luhn check digit completing each row of a digit matrix."""
    doubled = payload[:, ::-1].copy()
    doubled[:, ::2] *= 2
    doubled[doubled > 9] -= 9
    return (10 - doubled.sum(axis=1) % 10) % 10
