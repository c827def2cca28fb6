"""The one-run membership audit (synthrecords.audit, `synthrecords audit`)."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE, run_cli

from synthrecords.audit import design_canaries, epsilon_lower_bound, guesses, p_value, run_audit


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return pd.read_csv(SAMPLE).sample(300, random_state=0).reset_index(drop=True)


# -- the bound -------------------------------------------------------------------------------
def test_all_guesses_right_without_delta_is_the_binomial_tail():
    # P[Binomial(100, q) >= 100] = q^100 = 0.05 at the bound
    q = 0.05 ** (1 / 100)
    assert epsilon_lower_bound(100, 100, 100, 0.0) == pytest.approx(math.log(q / (1 - q)), abs=1e-5)


def test_chance_level_guesses_give_no_lower_bound():
    assert epsilon_lower_bound(1000, 500, 250, 1e-5) == 0.0
    assert epsilon_lower_bound(1000, 0, 0, 1e-5) == 0.0


def test_the_bound_grows_with_correct_guesses_and_shrinks_with_delta():
    bounds = [epsilon_lower_bound(1000, 200, v, 1e-5) for v in (120, 150, 180, 200)]
    assert bounds == sorted(bounds) and bounds[0] > 0
    assert epsilon_lower_bound(1000, 200, 190, 1e-3) < epsilon_lower_bound(1000, 200, 190, 0.0)
    assert p_value(1000, 200, 190, 1.0, 1e-3) > p_value(1000, 200, 190, 1.0, 0.0)


def test_randomized_response_at_epsilon_one_is_rarely_caught_above_one():
    # the guarantee of the bound: an epsilon-DP mechanism exceeds it with probability <= 5 %
    rng = np.random.default_rng(0)
    q = math.e / (1 + math.e)
    above = sum(epsilon_lower_bound(400, 400, int(rng.binomial(400, q)), 0.0) > 1.0 for _ in range(200))
    assert above <= 20


# -- canaries and guesses ----------------------------------------------------------------------
def test_each_channel_gets_canaries_that_stand_out(customers):
    data = customers.drop(columns=["customer_id", "full_name", "email", "phone", "ssn", "street_address", "notes"])
    plan, rows = design_canaries(data, 90, np.random.default_rng(1))
    by = {ch: [c for c in plan if c.channel == ch] for ch in ("categorical", "numeric_tail", "pair")}
    assert [len(v) for v in by.values()] == [30, 30, 30]
    cat = by["categorical"]
    assert len({c.values[0] for c in cat}) == 30 and not set(data[cat[0].columns[0]]) & {c.values[0] for c in cat}
    tail = by["numeric_tail"]
    column = tail[0].columns[0]
    centres = sorted(c.values[0] for c in tail)
    assert centres[0] - tail[0].window > data[column].max()  # beyond every real value
    assert min(np.diff(centres)) > 2 * tail[0].window * 0.99  # windows do not overlap
    cells = {(tuple(c.columns), tuple(c.values)) for c in by["pair"]}
    assert len(cells) == 30  # a cell of its own each
    for (a, b), (va, vb) in cells:
        assert (data[a] == va).mean() >= 0.02 and (data[b] == vb).mean() >= 0.02  # common values
        assert ((data[a] == va) & (data[b] == vb)).sum() < len(data) * (data[a] == va).mean() * (data[b] == vb).mean() / 4
    assert all(rows[c].dtype.kind == data[c].dtype.kind for c in data.columns)  # kinds are inferred the same
    for i, c in enumerate(plan):
        assert list(rows.loc[i, c.columns]) == c.values


def test_guesses_take_each_channel_s_extremes_and_abstain_in_between():
    channels = np.array(["a"] * 8 + ["b"] * 4)
    score = np.array([0, 1, 2, 3, 4, 5, 6, 7, 10, 0, 0, 10], dtype=float)
    guess = guesses(channels, score, 0.5, np.random.default_rng(0))
    assert list(guess[:8]) == [-1, -1, 0, 0, 0, 0, 1, 1]
    assert sorted(guess[8:]) == [-1, 0, 0, 1] and guess[8] != -1 and guess[11] != -1


# -- the audit end to end ----------------------------------------------------------------------
def test_a_model_without_dp_is_caught(customers):
    result = run_audit(customers, 1.0, model="gaussian_copula", canaries=150, seed=3, nlp_model=None)
    assert result.empirical_epsilon > 0.2
    assert result.guesses == 72 and result.correct > 50
    cat = next(c for c in result.channels if c.channel == "categorical")
    assert cat.correct == cat.guesses  # its own category value: it shows up exactly when trained on


def test_dpctgan_stays_within_its_epsilon(customers):
    result = run_audit(customers, 2.0, canaries=150, seed=3, epochs=3, nlp_model=None)
    assert result.private and result.epsilon_spent <= 2.0
    assert result.empirical_epsilon <= 2.0 and result.consistent
    assert "consistent" in result.line()


def test_the_cli_prints_the_verdict_and_writes_the_result_once(tmp_path, customers):
    data = tmp_path / "data.csv"
    customers.head(200).to_csv(data, index=False)
    args = ["audit", data, "--epsilon", "1", "--model", "gaussian_copula", "--canaries", "60", "--seed", "2",
            "--nlp-model", "none", "--out", tmp_path / "audit"]
    proc = run_cli(*args)
    assert "empirical lower bound" in proc.stdout and "claimed 1:" in proc.stdout
    result = json.loads((tmp_path / "audit" / "audit.json").read_text())
    assert {"claimed_epsilon", "empirical_epsilon", "confidence", "canaries", "guesses", "correct",
            "channels"} <= set(result)
    assert result["confidence"] == 0.95 and result["canaries"] == 60
    assert {c["channel"] for c in result["channels"]} == {"categorical", "numeric_tail", "pair"}
    again = run_cli(*args, check=False)
    assert again.returncode == 2 and "already exists" in again.stderr and "--overwrite" in again.stderr


def test_bad_options_name_themselves(customers):
    from synthrecords.errors import SynthRecordsError

    with pytest.raises(SynthRecordsError, match="--canaries"):
        run_audit(customers, 1.0, canaries=1)
    with pytest.raises(SynthRecordsError, match="--epsilon"):
        run_audit(customers, 0.0)
