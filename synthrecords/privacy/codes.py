"""Small integer codes (0-9 answers, 1-5 scores) under DP: counted on a public integer grid.

A categorical column holding at most ``MAX_CODES`` distinct integers, all inside ``CODE_GRID``
(schema, read like its kind), is counted on the public keys ``CODE_GRID``: no key is read off the data, so no
category threshold applies and the keys cost nothing beyond their noisy counts. Which codes
to release is then post-processing: a code's own count (``code_support``), the runs of codes
beside released ones (``run_codes``), and the rows the released count says are still missing
(``missing_codes``). Integer bounds declared for a
categorical column make every integer between them a key, all of them released.
"""

from __future__ import annotations

import math
import os
import re
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SynthRecordsError
from .noise import largest_of_z

MAX_CODES = 20  # a categorical column of at most this many distinct integers is a code
CODE_GRID = list(range(-1, 21))  # the public keys of integer codes; the rest is "other"
# A code clearing CODE_ALONE_Z std is released on its own count (an empty code passes 2e-4 of the
# time); a code beside a released one is released where its count and the rows the release
# misses agree on it by CODE_FILL_Z std of their joint estimate (``missing_codes``).
CODE_ALONE_Z, CODE_FILL_Z = 3.5, 1.5
# Codes come in runs of adjacent integers (1-10 scores, 0-9 answers), so unreleased codes are
# also judged together (``run_codes``): a gap between released codes is filled where its summed
# count clears GAP_Z std of the sum; a run beyond them where its count, less TAIL_DRIFT std a
# code, sums to TAIL_Z std (a run of empty codes passes ~0.2 % of the time), cut back to its last
# code clearing TAIL_END_Z std (the best run's end overshot into an empty code 1 time in 6).
GAP_Z, TAIL_DRIFT, TAIL_Z, TAIL_END_Z = 2.0, 1.0, 2.5, 2.0
# ... and only where the released codes leave over RUN_SHARE of the rows unreleased (by the
# released row count): where they hold nearly all, a run only adds thin codes the model's noise
# swamps (ISLR Caravan at epsilon 1: quality 0.943 -> 0.937 with runs everywhere).
RUN_SHARE = 0.1
# -1 is a sentinel (unknown, not applicable), not the code below 0: it is released on its own
# count only, never grown into from 0 by a run or the walk. Grown into, it put an empty -1 into
# ~10 % of ISLR Caravan's 0/1 and 0-9 columns at epsilon 1 (83 of 116 invented codes over 12
# releases); kept out, the walk takes its other edge where rows are missing there (58 in all).
SENTINEL = CODE_GRID.index(-1)
TEXT_FORMS = ("{}", "{}.0")  # codes held as text: "1"; "1.0" (an integer column with nulls, written by pandas)
_PLAIN_INT = re.compile(r"-?(0|[1-9][0-9]*)")  # an integer as str(int) writes it: no "01", "+1", "1.0"
MAX_DECLARED_CODES = 1000  # integers a categorical column's declared bounds may span


def code_keys(series: pd.Series, public: dict[str, Any]) -> list[int] | list[str] | None:
    """Public integer keys of a categorical column: every integer in its declared bounds, or
    the public code grid when it holds few distinct integers, all on the grid (schema, like its
    kind), as text when the column holds them as text; None: its categories are read off the
    data (thresholded)."""
    if "lower" in public:
        lo, hi = public.get("lower"), public.get("upper")
        if not all(isinstance(b, (int, float)) and float(b).is_integer() for b in (lo, hi)) or not lo <= hi \
                or hi - lo >= MAX_DECLARED_CODES:
            raise SynthRecordsError(f"public domain of categorical column {series.name!r}: lower {lo!r} and upper "
                                    f"{hi!r} must be integers, lower <= upper, at most {MAX_DECLARED_CODES} apart; "
                                    "declare 'categories' instead, or the column numerical")
        keys = list(range(int(lo), int(hi) + 1))
        if not _as_text(series):
            return keys
        # codes held as text ("1", "2", "1.0") keep their text: integer keys would match none of them
        form = _text_form(series.dropna()) or "{}"
        return [form.format(k) for k in keys]
    values = series.dropna()
    if pd.api.types.is_bool_dtype(series) or values.empty:
        return None
    if not pd.api.types.is_numeric_dtype(series):
        # Codes kept as text ("1", "2": a CSV read with every column as text, a survey export;
        # "1.0", "2.0": an integer column with nulls, written out by pandas; "A11".."A14", "Tier 1"..
        # "Tier 3": one prefix before the integer) are the same codes: the same grid, written in the
        # column's own form.
        form = _text_form(values) if _as_text(series) else None
        if form is None:
            return None
        keys = code_keys(_integers(values, form), public)
        return None if keys is None else [form.format(k) for k in keys]
    numbers = values.to_numpy(dtype=float)
    # Only codes that sit on the grid: a few integers off it (years 2010-2014, terms 6-72) would
    # all land in "other" and the column would come out empty; they are read off the data instead.
    if np.all(np.mod(numbers, 1) == 0) and values.nunique() <= MAX_CODES \
            and CODE_GRID[0] <= numbers.min() and numbers.max() <= CODE_GRID[-1]:
        return list(CODE_GRID)
    return None


def _as_text(series: pd.Series) -> bool:
    """Whether a column holds its values as text (every non-null one a str)."""
    values = series.dropna()
    return not pd.api.types.is_numeric_dtype(series) and not values.empty and all(isinstance(v, str) for v in values)


def _text_form(values: pd.Series) -> str | None:
    """The one form a text column writes all its integer codes in, each value reading back as
    written: ``TEXT_FORMS``, or zeros in front to one width ("01".."12"); None where some value
    fits none ("1.5", "1e3", "a", "1" beside "2.0", "1" beside "01"): those are labels, read off the data."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any() or not np.isfinite(numbers).all() or not (np.mod(numbers, 1) == 0).all():
        return _prefixed_form(values)
    whole = numbers.astype("int64")
    forms = (*TEXT_FORMS, _padded([str(v) for v in values.unique()]))
    return next((form for form in forms if form and (whole.map(form.format) == values).all()), None)


def _padded(rests: list[str]) -> str | None:
    """``"{:02d}"`` where every value is an integer written with zeros in front to one width
    ("01".."12", "S01".."S14": months and seasons as exports write them), else None."""
    width = {len(r) for r in rests}
    if len(width) != 1 or min(width) < 2 or not any(r.startswith("0") for r in rests):
        return None
    form = f"{{:0{width.pop()}d}}"
    return form if all(re.fullmatch(r"-?[0-9]+", r) and form.format(int(r)) == r for r in rests) else None


def _prefixed_form(values: pd.Series) -> str | None:
    """``"A1{}"`` where every value is one shared prefix holding a letter, then an integer written
    plainly (UCI German credit's status "A11".."A14" and purpose "A40".."A410", "Tier 1".."Tier 3"),
    read like the column's kind: one value in another form and the column's labels are read off
    the data. The prefix is cut back over trailing digits until every rest is such an integer
    ("A1" and "A11": prefix "A", codes 1 and 11)."""
    distinct = [str(v) for v in values.unique()]
    prefix = os.path.commonprefix(distinct)
    for cut in range(len(prefix), 0, -1):
        head = prefix[:cut]
        if not any(ch.isalpha() for ch in head):
            return None
        rests = [v[cut:] for v in distinct]
        padded = _padded(rests)
        if padded or all(_PLAIN_INT.fullmatch(r) for r in rests):
            return head.replace("{", "{{").replace("}", "}}") + (padded or "{}")
        if not head[-1].isdigit():
            return None
    return None


def _integers(values: pd.Series, form: str) -> pd.Series:
    """The integer of each code written in ``form`` (a ``TEXT_FORMS`` or padded one, or a prefixed one)."""
    if form in TEXT_FORMS or form.startswith("{:"):
        return pd.to_numeric(values).astype("int64")
    prefix = form[:form.rindex("{")].replace("{{", "{").replace("}}", "}")
    return pd.to_numeric(values.astype(str).str[len(prefix):]).astype("int64")


def code_support(counts: np.ndarray, sigma: float, z: float = CODE_ALONE_Z) -> list[int]:
    """Keys of an integer-code grid whose noisy count clears ``z`` sigma alone (post-processing
    of public keys): at ``CODE_ALONE_Z`` an empty code passes with probability 2e-4."""
    return np.flatnonzero(counts > z * sigma).tolist()


def run_codes(counts: np.ndarray, sigma: float, kept: list[int], unreleased: float,
              end_z: float = TAIL_END_Z) -> list[int]:
    """The released codes ``kept`` grown by the runs of unreleased codes beside them whose counts,
    taken together, say they hold rows (post-processing of noisy counts), where the share of the
    rows they leave ``unreleased`` (the released row count less their counts) exceeds ``RUN_SHARE``.

    One code of a 1-10 score on 559 rows needs ~55 rows (10 %) to clear ``CODE_ALONE_Z`` alone,
    so scores 6-10 of 3-6 % each were lost while together they held 25 % of the rows (MASS
    biopsy at epsilon 1: 0.66 codes of >= 5 % lost a column). Judged together:

    - a gap between two released codes is filled where its summed count clears ``GAP_Z`` std of
      the sum (a score column rarely skips a value; an empty gap passes 2 % of the time);
    - beyond the lowest and the highest released code, the run of length L maximising
      ``sum(count / sigma - TAIL_DRIFT)`` is released where that sum clears ``TAIL_Z``: each code
      must pay for itself on average, and a run of empty codes passes ~0.2 % of the time. The
      run is cut back to its last code clearing ``TAIL_END_Z`` (``end_z``), so it ends on rows, not noise.

    On biopsy's V3 (1,000 simulated releases, ``tests/test_dp_codes.py``): codes of >= 5 % lost
    0.90 -> 0.39 a release, empty codes released 0.17 -> 0.14.
    """
    kept = sorted(set(kept))
    if not kept or unreleased <= RUN_SHARE:
        return kept
    grown = set(kept)
    for low, high in pairwise(kept):
        gap = range(low + 1, high)
        if len(gap) and float(np.sum(counts[low + 1:high])) > GAP_Z * sigma * math.sqrt(len(gap)):
            grown.update(gap)
    for edge, step in ((kept[-1], 1), (kept[0], -1)):
        best, best_gain, gain = 0, TAIL_Z, 0.0
        for length, code in enumerate(range(edge + step, len(counts) if step > 0 else SENTINEL, step), start=1):
            gain += float(counts[code]) / sigma - TAIL_DRIFT
            if gain > best_gain:
                best, best_gain = length, gain
        while best and counts[edge + step * best] < end_z * sigma:  # no empty code at its end
            best -= 1
        grown.update(edge + step * k for k in range(1, best + 1))
    return sorted(grown)


def target_z(keys: int) -> float:
    """The bar of a target's codes (anchored: released on their own count only), which must
    never gain a class: over a grid of ``keys`` keys, the chance that any empty one passes is
    what one key's was at ``CODE_ALONE_Z``. A per-key 3.5 std over the 20 empty keys of a 0/1
    flag gave it a class 18 in about 1 release in 200 (CI, epsilon 1); 22 keys: 4.25 std."""
    return largest_of_z(CODE_ALONE_Z, keys)


def missing_codes(counts: np.ndarray, sigma: float, kept: list[int], residual: float,
                  variance: float, z: float | np.ndarray = CODE_FILL_Z) -> dict[int, float]:
    """Unreleased codes beside released ones that hold the rows the released count says are
    missing: ``{index: mass}`` (post-processing of noisy counts).

    ``residual`` is the released row count minus the released masses (nulls included) and
    ``variance`` its noise variance. If a neighbour code holds the missing rows, its noisy count
    and the residual measure the same mass independently; their inverse-variance mean has a
    smaller std than either, so a 5 % code the per-code cut dropped comes back where the two
    agree. Codes are mostly runs of adjacent integers (0-9 answers, 1-5 scores), so the
    neighbours of released codes are where cut ones sit (never the sentinel -1, ``SENTINEL``). One
    code at a time, the highest count first, while its mean clears ``z`` (``CODE_FILL_Z``) of that std
    (``z`` may give each code its own bar).

    Simulated at the std sized for a wide table (epsilon 1, 86 columns, 4,657 rows: 93 per code,
    54 on the row count), against growing runs over neighbours whose own count clears 1.5 std:
    a 0/1 column whose 5 % ones are cut (it comes out constant) 16 % -> 7 % of releases, at
    6 % 7 % -> 2 %; a 0-9 column loses a code of >= 5 % 21 % -> 9 % of the time; empty codes
    released beside a complete release 0.13 -> 0.12 a column; 1-way total variation 0.022 ->
    0.017 (0/1) and 0.096 -> 0.084 (0-9).
    """
    kept, found = set(kept), {}
    while kept and residual > 0:
        edges = {j for i in kept for j in (i - 1, i + 1) if SENTINEL < j < len(counts) and j not in kept}
        if not edges:
            break
        best = max(edges, key=lambda j: counts[j])
        # weights of the code's count and of the residual in their inverse-variance mean
        a = variance / (variance + sigma ** 2)
        mass = a * float(counts[best]) + (1 - a) * residual
        bar = z if np.isscalar(z) else float(z[best])
        if mass <= bar * math.sqrt(a * sigma ** 2):  # the mean's std: sqrt(1 / (1/s^2 + 1/v))
            break
        kept.add(best)
        found[best] = mass
        # what is left: a (residual - count), whose variance is a^2 (v + s^2)
        residual, variance = residual - mass, a ** 2 * (variance + sigma ** 2)
    return found
