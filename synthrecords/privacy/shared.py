"""Labels several columns share (yes / no flags, agree / disagree scales), released once for all.

A thresholded column's values are read off the data, so each must clear its column's
threshold, and the threshold grows with the number of such columns: the domain release
measures every histogram in one Gaussian mechanism (sensitivity ~sqrt(k)). A table of many
flag columns then loses every label under ~25 % of its rows (medicaldata's indo_rct, 481 rows
and 31 text columns at epsilon 1: "0_no", held by 18 % of sod's rows and 26 % of difcan's,
was never released, and 11 columns came out constant). Yet such columns mostly hold the same
few labels, and each row holds each of them many times.

**The mechanism.** Where at least ``MIN_COLUMNS`` columns are thresholded, one Gaussian
histogram, before the domain release, counts per label the rows that hold it in two or more
of those columns, each row counting at most ``PER_ROW`` labels (those it holds in the most
columns; ties by their text): a record moves at most ``PER_ROW`` counts by 1, L2 sensitivity
``sqrt(PER_ROW)``. A label is released where its noisy count clears
``1 + sigma * z(delta_t / PER_ROW)``, so one held only by the differing record passes with
probability at most ``delta_t`` (recorded on the entry). The noise std is the one at which a
label held so by ``KEEP_SHARE`` of the rows clears that by ``weights.KEEP_Z`` std, and at
least the one spending ``MAX_SHARE`` of the zCDP budget left: the bar sits near 0.4 of the rows
(186 of 481 at epsilon 1, where the budget binds). Large tables spend less than ``MAX_SHARE``
on it, and their columns' own thresholds keep such labels anyway.

**Then** the released labels are public keys of every thresholded column: the domain release
counts each column on them too (a column holding none gets pure noise there), and such a key
needs no threshold, only to stand out of the noise: its count on the column above ``SHARED_Z``
std (``shared_keys``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .noise import tail_z
from .plan import Plan

MIN_COLUMNS = 4  # thresholded columns a table needs before labels are looked for across them
PER_ROW = 3  # labels a row counts at most (a flag table's "no", "yes" and a shared null label)
KEEP_SHARE = 0.5  # sized so a label held in 2+ columns by this share of the rows clears its bar ...
MAX_SHARE = 0.03  # ... spending at most this share of the zCDP budget left (less on large tables)
# A shared label is a column's key where its count there clears SHARED_Z std: a column that does
# not hold it shows it 0.6 % of the time (a wrong label, "no" among "F" / "M", is plain to see);
# one held by 18 % of 481 rows at epsilon 1 (86 rows, noise std 29) comes out 3 times in 4. The
# rows the release misses cannot vouch for it as they do for codes beside released ones
# (``codes.missing_codes``): in a column of many rare values they sit in none of the shared labels.
SHARED_Z = 2.5
# A column whose released keys are all shared labels (a flag column: "no" released) holds the table's
# other shared labels far more often than not, so there one clears SIBLING_Z std (a column lacking it
# shows it 2.3 % of the time): over 22 wheel tables with 4+ flag columns, 6 releases each at epsilon 1,
# columns collapsed to one value though two hold 5 % of the rows went 212 -> 199, no label added that a
# column lacks (vcdExtra's ICU, 200 rows: died's "Yes", 40 rows at noise std 20, had needed 2.5 std).
SIBLING_Z = 2.0
NAME = "labels shared by several columns"  # the plan's name and the start of its ledger entry


def plan(plans: list[Plan]) -> Plan | None:
    """The histogram of labels shared across the thresholded columns, or None where fewer
    than ``MIN_COLUMNS`` columns are thresholded (schema: which columns are, not their values)."""
    over = [p.name for p in plans if p.thresholded and p.column is None]
    return Plan(NAME, "categorical", "dp", shared_over=over) if len(over) >= MIN_COLUMNS else None


def label_counts(data: pd.DataFrame, columns: list[str]) -> tuple[list[Any], np.ndarray]:
    """Per label, the rows holding it in two or more of ``columns``, each row counting at most
    ``PER_ROW`` labels: those it holds in the most columns, ties by their text. Reads real values."""
    frame = data[columns]
    values = frame.to_numpy(dtype=object).ravel()
    rows = np.repeat(np.arange(len(frame)), len(columns))
    present = pd.notna(values)
    long = pd.DataFrame({"row": rows[present], "label": values[present]})
    if long.empty:
        return [], np.zeros(0)
    held = long.groupby(["row", "label"], sort=False).size().rename("times").reset_index()
    held = held[held["times"] >= 2].assign(text=lambda f: f["label"].astype(str))
    held = held.sort_values(["row", "times", "text"], ascending=[True, False, True]).groupby("row").head(PER_ROW)
    counts = held["label"].value_counts(sort=False)
    keys = sorted(counts.index.tolist(), key=str)
    return keys, np.array([counts[k] for k in keys], dtype=float)


def noise_std(rows: float, rho_free: float, delta_t: float, keep_z: float) -> float | None:
    """The noise std per count at which a label held in two or more columns by ``KEEP_SHARE``
    of the rows clears its bar by ``keep_z`` std (``weights.KEEP_Z``), and at least the one
    spending ``MAX_SHARE`` of ``rho_free``; None where nothing is left to spend."""
    wanted = max(KEEP_SHARE * rows - 2, 0.0) / (_z(delta_t) + keep_z)
    if wanted <= 0 or rho_free <= 0:
        return None
    return max(wanted, math.sqrt(PER_ROW / (2 * MAX_SHARE * rho_free)))  # rho = PER_ROW / (2 sigma^2)


def released(keys: list[Any], noisy: np.ndarray, bar: float) -> list[Any]:
    """The labels whose noisy count clears ``bar`` (``categories.category_threshold`` over
    ``PER_ROW`` labels a record, rounded up for the discrete Gaussian's tail: one only it holds
    passes with probability at most delta_t)."""
    return [k for k, c in zip(keys, noisy[: len(keys)]) if c > bar]


def shared_keys(keys: list[Any], counts: np.ndarray, sigma: float, kept: list[int], shared: list[Any]) -> list[int]:
    """A thresholded column's released keys and the shared labels whose noisy count on the
    column clears ``SHARED_Z`` std, or ``SIBLING_Z`` where every key released so is a shared label
    (post-processing of noisy counts on public keys)."""
    wanted = set(shared)
    out = {*kept, *(i for i, k in enumerate(keys) if k in wanted and counts[i] > SHARED_Z * sigma)}
    if out and all(keys[i] in wanted for i in out):  # a column of shared labels: its siblings need less
        out |= {i for i, k in enumerate(keys) if k in wanted and counts[i] > SIBLING_Z * sigma}
    return sorted(out)


def _z(delta_t: float) -> float:
    return tail_z(delta_t, PER_ROW)

