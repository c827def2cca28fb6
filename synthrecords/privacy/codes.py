"""Small integer codes (0-9 answers, 1-5 scores) under DP: counted on a public integer grid.

A categorical column holding at most ``MAX_CODES`` distinct integers, all inside ``CODE_GRID``
(schema, read like its kind), is counted on the public keys ``CODE_GRID``: no key is read off the data, so no
category threshold applies and the keys cost nothing beyond their noisy counts. Which codes
to release is then post-processing (``code_support``). Integer bounds declared for a
categorical column make every integer between them a key, all of them released.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import SynthRecordsError

MAX_CODES = 20  # a categorical column of at most this many distinct integers is a code
CODE_GRID = list(range(-1, 21))  # the public keys of integer codes; the rest is "other"
# Codes are mostly runs of adjacent integers (0-9, 1-5): a code clearing CODE_ALONE_Z std is
# released with the adjacent codes that clear CODE_RUN_Z std (an empty code: 7 % per edge, a
# 5 % code at epsilon 1 on 6,000 rows and 86 columns, about 2.8 std: 90 %).
CODE_RUN_Z, CODE_ALONE_Z = 1.5, 3.5
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
        return list(range(int(lo), int(hi) + 1))
    values = series.dropna()
    if pd.api.types.is_bool_dtype(series) or values.empty:
        return None
    if not pd.api.types.is_numeric_dtype(series):
        # Codes kept as text ("1", "2": a CSV read with every column as text, a survey export) are
        # the same codes: the same grid, as text. Only canonical integers ("01", "1.0" are labels).
        if not all(isinstance(v, str) for v in values):
            return None
        numbers = pd.to_numeric(values, errors="coerce")
        # written back, each must read as it was: "1.5", "01" and "1e3" do not
        if numbers.isna().any() or not (numbers.astype("int64").astype(str) == values).all():
            return None
        keys = code_keys(numbers.astype("int64"), public)
        return None if keys is None else [str(k) for k in keys]
    numbers = values.to_numpy(dtype=float)
    # Only codes that sit on the grid: a few integers off it (years 2010-2014, terms 6-72) would
    # all land in "other" and the column would come out empty; they are read off the data instead.
    if np.all(np.mod(numbers, 1) == 0) and values.nunique() <= MAX_CODES \
            and CODE_GRID[0] <= numbers.min() and numbers.max() <= CODE_GRID[-1]:
        return list(CODE_GRID)
    return None


def code_support(counts: np.ndarray, sigma: float, grow: bool = True) -> list[int]:
    """Keys of an integer-code grid to release (post-processing of public keys): every code
    clearing CODE_ALONE_Z sigma alone, grown (``grow``) over adjacent codes that clear
    CODE_RUN_Z sigma. A 5 % code next to a common one survives where a per-key cut at 3 std
    would drop it, and empty codes far from the data stay out. Without growth (a target: an
    invented class is worse than a refusal) an empty code passes with probability 2e-4."""
    kept = set(np.flatnonzero(counts > CODE_ALONE_Z * sigma).tolist())
    for anchor in sorted(kept) if grow else ():
        for step in (-1, 1):
            i = anchor + step
            while 0 <= i < len(counts) and counts[i] > CODE_RUN_Z * sigma:
                kept.add(i)
                i += step
    return sorted(kept)
