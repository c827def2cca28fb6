"""Labels several columns share (privacy/shared.py): released once, then public keys of each column."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from synthrecords.privacy import shared
from synthrecords.privacy.domain import release_domain
from synthrecords.privacy.ledger import PrivacyLedger
from synthrecords.privacy.rowcount import release_row_count

EPSILON = 1.0


def flags(rows: int = 400, columns: int = 16, minority: float = 0.18, seed: int = 0) -> pd.DataFrame:
    """A trial's yes / no flags (each "no" at ``minority``) beside a column of other labels."""
    rng = np.random.default_rng(seed)
    frame = {f"flag{i}": np.where(rng.random(rows) < minority, "no", "yes") for i in range(columns)}
    frame["sex"] = np.where(rng.random(rows) < 0.5, "F", "M")
    return pd.DataFrame(frame)


def release(frame: pd.DataFrame, seed: int):
    ledger = PrivacyLedger(EPSILON, 1 / (10 * len(frame)))
    rows = release_row_count(len(frame), ledger, noise_seed=seed)
    return release_domain(frame, ledger, rows=rows, noise_seed=seed), ledger


def test_rows_count_the_labels_they_hold_in_two_columns_at_most_per_row():
    frame = pd.DataFrame({"a": ["no", "no", "x", None, "u"], "b": ["no", "yes", "x", "no", "v"],
                          "c": ["yes", "yes", "x", "no", "w"], "d": ["yes", "no", "y", None, "u"],
                          "e": ["z", "z", "y", "q", "u"]})
    keys, counts = shared.label_counts(frame, list(frame.columns))
    # row 0: no, yes (twice each; z once); row 1: no, yes, z? no: z once. row 2: x (3), y (2);
    # row 3: no (2; nulls are no label); row 4: u (3)
    assert dict(zip(keys, counts)) == {"no": 3, "yes": 2, "x": 1, "y": 1, "u": 1}
    wide = pd.DataFrame({c: [v, v] for c, v in zip("abcdefgh", "ppqqrrss")})  # four labels twice each
    keys, counts = shared.label_counts(wide, list(wide.columns))
    assert dict(zip(keys, counts)) == {"p": 2, "q": 2, "r": 2}  # PER_ROW = 3, ties by text


def test_flag_columns_keep_their_minority_label():
    """16 yes / no flags on 400 rows at epsilon 1: alone, each column's 18 % "no" (72 rows)
    must clear a threshold sized for 17 thresholded columns, and mostly does not; shared,
    it only needs to stand out of the noise. The sex column never gets "yes" or "no"."""
    frame = flags()
    releases = [release(frame, seed)[0] for seed in range(30)]
    kept = np.mean([["no" in (d[f"flag{i}"].categories or []) for i in range(16)] for d in releases])
    assert kept >= 0.8
    assert not any({"yes", "no"} & set(d["sex"].categories) for d in releases)


def test_without_enough_columns_nothing_is_shared(monkeypatch):
    frame = flags()
    monkeypatch.setattr(shared, "MIN_COLUMNS", frame.shape[1] + 1)
    releases = [release(frame, seed) for seed in range(30)]
    assert not any(shared.NAME in e.detail for _, ledger in releases for e in ledger.entries)
    kept = np.mean([["no" in (d[f"flag{i}"].categories or []) for i in range(16)] for d, _ in releases])
    assert kept <= 0.5  # the threshold alone: what the shared labels win back


def test_the_shared_labels_are_in_the_ledger_with_their_delta():
    _, ledger = release(flags(), seed=1)
    entries = [e for e in ledger.entries if e.stage == "domain"]
    assert entries[0].detail.startswith(shared.NAME) and entries[0].delta > 0
    assert "L2 sensitivity sqrt(3)" in entries[0].detail
    assert ledger.epsilon_spent() <= EPSILON
    assert ledger.delta_reserved() == pytest.approx(sum(e.delta for e in entries))
    # the bar is a whole count, as the main thresholds are: with integer (discrete Gaussian) noise a
    # fractional bar lets a lone label through a little more often than delta_t
    bar = float(re.search(r"labels kept above (\S+),", entries[0].detail).group(1))
    assert bar == int(bar)


def test_a_label_only_one_row_holds_is_never_shared():
    """One row holds "zzz" in five columns: as a shared label it would be that row's secret;
    it must clear the shared threshold (probability <= delta_t), so it never comes out."""
    frame = flags(rows=300, columns=8)
    frame.loc[7, [f"flag{i}" for i in range(5)]] = "zzz"
    for seed in range(60):
        domain, _ = release(frame, seed)
        assert not any("zzz" in (domain[c].categories or []) for c in frame.columns)


def test_a_column_that_holds_a_shared_label_rarely_shows_it_when_it_does_not():
    """Over 16 flag columns and one of other labels, the other column's release shows "yes"
    or "no" only where noise alone clears SHARED_Z std (0.6 % a key)."""
    frame = flags(rows=2000)
    wrong = sum(bool({"yes", "no"} & set(release(frame, seed)[0]["sex"].categories)) for seed in range(100))
    assert wrong <= 4


def test_a_flag_column_keeps_a_minority_label_its_siblings_share_on_a_small_table(monkeypatch):
    """vcdExtra's ICU (200 rows, 19 yes / no columns at epsilon 1, noise std 20): died's "Yes" (40 rows)
    needed 2.5 std and came out in few releases, so 17 columns came out constant. In a column whose
    released keys are all shared labels, a sibling label clears ``shared.SIBLING_Z``; a column of flags
    that lacks it (all "yes") shows "no" about as rarely as noise clears that bar (2.3 %)."""
    frame = flags(rows=200, columns=16, minority=0.2, seed=1)
    frame["constant"] = "yes"

    def kept_and_wrong(sibling_z: float) -> tuple[float, int]:
        monkeypatch.setattr(shared, "SIBLING_Z", sibling_z)
        releases = [release(frame, seed)[0] for seed in range(40)]
        kept = float(np.mean([["no" in (d[f"flag{i}"].categories or []) for i in range(16)] for d in releases]))
        return kept, sum("no" in (d["constant"].categories or []) for d in releases)

    before, now = kept_and_wrong(shared.SHARED_Z), kept_and_wrong(2.0)
    assert now[0] >= before[0] + 0.05 and now[1] <= 4, (before, now)
