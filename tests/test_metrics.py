"""Fidelity (SDMetrics quality report) and privacy (distance to closest record)."""

import json
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthrecords.domain import ColumnDomain, Domain, data_domain
from synthrecords.validation import metrics
from synthrecords.validation.metrics import fidelity, privacy


def correlated_table(n: int, seed: int) -> pd.DataFrame:
    """Columns that depend on each other, so breaking the links shows in pair trends."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    income = (age * 900 + rng.normal(0, 4000, n)).round(2)
    segment = np.where(age < 35, "young", np.where(age < 60, "middle", "senior"))
    joined = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
    churned = (rng.random(n) < np.where(age < 35, 0.5, 0.1)).astype(int)
    return pd.DataFrame(
        {
            "age": age,
            "income": income,
            "segment": segment,
            "joined": joined.strftime("%Y-%m-%d"),
            "churned": churned,
        }
    )


def shuffled_independently(df: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Same column shapes, every link between columns broken."""
    return pd.DataFrame(
        {
            c: df[c].sample(frac=1, random_state=seed + i).to_numpy()
            for i, c in enumerate(df.columns)
        }
    )


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return correlated_table(600, seed=0)


@pytest.fixture(scope="module")
def domain(real) -> Domain:
    return data_domain(real)


def test_fidelity_of_a_copy_is_perfect(real, domain):
    result = fidelity(real, real.copy(), domain)
    assert result.quality_score == pytest.approx(1.0)
    assert result.column_shapes == pytest.approx(
        1.0
    ) and result.column_pair_trends == pytest.approx(1.0)


def test_fidelity_is_higher_for_a_copy_than_for_independently_shuffled_columns(real, domain):
    copy = fidelity(real, real.copy(), domain)
    shuffled = fidelity(real, shuffled_independently(real), domain)
    assert shuffled.column_shapes == pytest.approx(1.0)  # each column keeps its values...
    assert shuffled.column_pair_trends < copy.column_pair_trends - 0.1  # ...but not their links
    assert shuffled.quality_score < copy.quality_score


def test_fidelity_scores_every_column_shape(real, domain):
    per_column = fidelity(real, correlated_table(600, seed=5), domain).per_column
    assert [p["column"] for p in per_column] == list(real.columns)
    assert {p["column"]: p["metric"] for p in per_column} == {
        "age": "KSComplement",
        "income": "KSComplement",
        "joined": "KSComplement",
        "segment": "TVComplement",
        "churned": "TVComplement",
    }
    assert all(0.0 <= p["score"] <= 1.0 for p in per_column)


def test_fidelity_compares_only_columns_both_tables_have(real, domain):
    result = fidelity(real, real.drop(columns=["income"]), domain)
    assert "income" not in result.columns and result.quality_score == pytest.approx(1.0)


def test_fidelity_survives_a_numeric_column_holding_text(real, domain):
    broken = real.copy()
    broken["income"] = broken["income"].astype(object)
    broken.loc[:9, "income"] = "n/a"
    assert 0.0 < fidelity(real, broken, domain).quality_score < 1.0


def test_fidelity_subsamples_large_tables_and_says_so(real, domain, monkeypatch):
    monkeypatch.setattr(metrics, "MAX_FIDELITY_ROWS", 200)
    assert fidelity(real, real.copy(), domain).rows_used == {"real": 200, "synthetic": 200}


def test_fidelity_is_strict_json(real, domain):
    data = fidelity(real, shuffled_independently(real), domain).to_dict()
    assert set(data) >= {
        "quality_score",
        "column_shapes",
        "column_pair_trends",
        "per_column",
        "rows_used",
    }
    json.dumps(data, allow_nan=False)


def test_fidelity_on_5000_rows_by_15_columns_takes_under_15_seconds():
    base = pd.concat([correlated_table(5000, seed=s).add_suffix(f"_{s}") for s in range(3)], axis=1)
    dom = data_domain(base)
    assert len(dom.names) == 15
    start = time.perf_counter()
    fidelity(base, shuffled_independently(base), dom)
    assert time.perf_counter() - start < 15


def test_dcr_is_zero_and_every_row_an_exact_match_when_synthetic_equals_real(real, domain):
    result = privacy(real, real.copy(), domain)
    assert result.dcr.median == 0.0 and result.dcr.p05 == 0.0
    assert result.exact_matches == len(real) and result.exact_match_share == 1.0


def test_dcr_is_larger_for_independent_noise_than_for_a_copy(real, domain):
    rng = np.random.default_rng(3)
    noise = pd.DataFrame(
        {
            "age": rng.integers(18, 90, len(real)),
            "income": rng.uniform(0, 80_000, len(real)).round(2),
            "segment": rng.choice(["young", "middle", "senior"], len(real)),
            "joined": (
                pd.Timestamp("2015-01-01")
                + pd.to_timedelta(rng.integers(0, 3000, len(real)), unit="D")
            ).strftime("%Y-%m-%d"),
            "churned": rng.integers(0, 2, len(real)),
        }
    )
    result = privacy(real, noise, domain)
    assert result.dcr.median > 0.02 and result.dcr.p05 > 0.0
    assert result.exact_matches == 0


def test_dcr_is_measured_in_domain_units(real):
    one = Domain(
        {
            "x": ColumnDomain("x", "numerical", lower=0.0, upper=100.0),
            "c": ColumnDomain("c", "categorical", categories=["a", "b"]),
        }
    )
    train = pd.DataFrame({"x": [0.0, 50.0, 100.0], "c": ["a", "a", "a"]})
    assert privacy(train, train.assign(x=train["x"] + 10), one).dcr.median == pytest.approx(0.05)
    assert privacy(train, train.assign(c="b"), one).dcr.median == pytest.approx(0.5)


def test_exact_matches_count_copied_training_rows(real, domain):
    fresh = correlated_table(300, seed=9)
    leaked = pd.concat([fresh, real.iloc[:12]], ignore_index=True)
    result = privacy(real, leaked, domain)
    assert result.exact_matches == 12
    assert result.exact_match_share == pytest.approx(12 / len(leaked))


def test_integers_read_back_as_floats_still_count_as_exact_matches(real, domain):
    as_float = real.astype({"age": float, "churned": float})
    assert privacy(real, as_float, domain).exact_matches == len(real)


def test_fresh_samples_are_as_close_to_train_as_to_holdout(domain):
    train, holdout, synthetic = (correlated_table(800, seed=s) for s in (10, 11, 12))
    share = privacy(
        train, synthetic, domain, holdout=holdout
    ).dcr.share_closer_to_train_than_holdout
    assert 0.4 < share < 0.6


def test_copies_of_training_rows_are_closer_to_train_than_to_holdout(real, domain):
    holdout = correlated_table(600, seed=11)
    result = privacy(real, real.copy(), domain, holdout=holdout)
    assert result.dcr.share_closer_to_train_than_holdout == 1.0
    assert result.dcr.holdout_median > 0.0


def test_holdout_share_compares_equally_many_train_and_holdout_rows(real, domain):
    result = privacy(
        real, correlated_table(100, seed=12), domain, holdout=correlated_table(150, seed=11)
    )
    assert result.rows_used["real_for_holdout_share"] == result.rows_used["holdout"] == 150


def test_privacy_subsamples_each_side_and_says_so(real, domain, monkeypatch):
    monkeypatch.setattr(metrics, "MAX_PRIVACY_ROWS", 100)
    result = privacy(real, real.copy(), domain)
    assert result.rows_used["real"] == 100 and result.rows_used["synthetic"] == 100
    assert result.exact_matches == len(real)  # counted on the full tables


def test_privacy_is_strict_json(real, domain):
    data = privacy(
        real, shuffled_independently(real), domain, holdout=correlated_table(200, seed=4)
    ).to_dict()
    assert set(data["dcr"]) >= {"median", "p05", "share_closer_to_train_than_holdout"}
    assert set(data) >= {"dcr", "exact_matches", "exact_match_share", "rows_used"}
    json.dumps(data, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.floats(0, 100), st.sampled_from(["a", "b", "c"]), st.integers(0, 3650)),
        min_size=2,
        max_size=30,
    ),
    split=st.integers(1, 29),
)
def test_dcr_of_rows_inside_the_domain_lies_between_zero_and_one(rows, split):
    dom = Domain(
        {
            "x": ColumnDomain("x", "numerical", lower=0.0, upper=100.0),
            "c": ColumnDomain("c", "categorical", categories=["a", "b", "c"]),
            "d": ColumnDomain(
                "d", "datetime", lower="2015-01-01", upper="2024-12-30", datetime_format="%Y-%m-%d"
            ),
        }
    )
    frame = pd.DataFrame(rows, columns=["x", "c", "d"])
    frame["d"] = (pd.Timestamp("2015-01-01") + pd.to_timedelta(frame["d"], unit="D")).dt.strftime(
        "%Y-%m-%d"
    )
    split = min(split, len(frame) - 1)
    result = privacy(frame.iloc[:split], frame.iloc[split:], dom)
    assert 0.0 <= result.dcr.p05 <= result.dcr.median <= 1.0
    assert privacy(frame, frame, dom).dcr.median == 0.0


def test_metrics_of_an_empty_output_are_missing_not_a_crash(real, domain):
    empty = real.iloc[:0]
    assert fidelity(real, empty, domain).quality_score is None
    assert privacy(real, empty, domain).dcr.median is None


# ---------------------------------------------------------------- membership, ratios, histogram


def test_membership_attack_sees_copied_training_rows_but_not_fresh_ones(real, domain):
    holdout = correlated_table(600, seed=21)
    copied = privacy(real, real.copy(), domain, holdout=holdout).membership_inference
    fresh = privacy(real, correlated_table(600, seed=22), domain, holdout=holdout).membership_inference
    assert copied.auc > 0.9 and copied.ci95[0] > 0.85
    assert 0.4 < fresh.auc < 0.6 and fresh.ci95[0] < 0.5 < fresh.ci95[1]
    assert (fresh.members, fresh.non_members) == (600, 600)


def test_dcr_ratio_is_about_one_for_fresh_rows_and_zero_for_copies(real, domain):
    holdout = correlated_table(600, seed=21)
    assert privacy(real, real.copy(), domain, holdout=holdout).dcr.ratio == 0.0
    assert 0.8 < privacy(real, correlated_table(600, 22), domain, holdout=holdout).dcr.ratio < 1.25


def test_nndr_is_zero_for_copies_of_unique_rows(real, domain):
    nndr = privacy(real, real.copy(), domain).nndr
    assert nndr.median == 0.0 and nndr.holdout_median is None


def test_dcr_histogram_holds_shares_of_both_sides(real, domain):
    hist = privacy(real, correlated_table(300, 5), domain, holdout=correlated_table(200, 6)).dcr.histogram
    assert len(hist["edges"]) == len(hist["synthetic"]) + 1 == len(hist["holdout"]) + 1
    assert sum(hist["synthetic"]) == pytest.approx(1, abs=1e-3)
    assert sum(hist["holdout"]) == pytest.approx(1, abs=1e-3)


def test_membership_attack_without_holdout_says_why(real, domain):
    assert "holdout" in privacy(real, real, domain).membership_inference.skipped


def test_a_missing_number_is_one_apart_from_any_present_number():
    dom = Domain({"x": ColumnDomain("x", "numerical", lower=0.0, upper=10.0, nullable=True)})
    train = pd.DataFrame({"x": [np.nan, 5.0]})
    assert privacy(train.iloc[[1]], train.iloc[[0]], dom).dcr.median == 1.0
    assert privacy(train.iloc[[0]], train.iloc[[0]], dom).dcr.median == 0.0
