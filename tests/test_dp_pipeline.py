"""Differential privacy through the whole product: Synthesizer, CLI, release folder.

The engine-level proofs live in test_dpctgan.py and test_dp_domain.py; these check that
a user who sets an epsilon gets them end to end (scan -> protect -> DP domain -> DP-SGD).
"""

import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

import synthrecords
from synthrecords import Synthesizer, SynthRecordsError
from synthrecords.privacy import shared
from synthrecords.privacy.ledger import BudgetExceededError
from synthrecords.privacy.rowcount import UPPER_Z, default_delta

FAST = {"model": "dpctgan", "epochs": 2, "seed": 0}
# every mechanism that reads real rows under DP: the row count, the domain release, the noisy pair
# tables, DP-SGD
STAGES = ["rows", "domain", "pairs", "train"]


def stages(ledger) -> list[str]:
    """The ledger's stages, less a second look the domain release may take at a column it mostly
    suppressed (privacy.secondlook; 400 rows at epsilon 1 can lose a 10 % region to the threshold)
    and the labels several columns share (privacy.shared), released before it where four or more
    columns are thresholded."""
    return [e.stage for e in ledger.entries if "second look" not in e.detail and shared.NAME not in e.detail]


def records(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """A small table with an identifier, a categorical quasi identifier and numbers."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "email": [f"person{i}@example.org" for i in range(n)],
        "region": rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "income": rng.normal(40_000, 6_000, n).round(0),
        "plan": rng.choice(["basic", "plus"], n),
    })


@pytest.fixture(scope="module")
def private():
    data = records()
    return Synthesizer(epsilon=1.0, **FAST).fit(data), data


def test_one_ledger_covers_dpctgan_s_domain_and_training(private):
    synth, data = private
    ledger = synth.ledger_
    assert synth.model_name == "dpctgan" and synth.domain_["region"].source == "dp"
    assert stages(ledger) == STAGES
    assert ledger.epsilon_spent() <= 1.0 and ledger.epsilon_spent() == pytest.approx(1.0, rel=0.01)
    count = ledger.entries[0]
    assert abs(ledger.rows - len(data)) < 6 * count.noise_multiplier  # released with noise, not exact
    # the default delta, 1/(10 n), at an upper bound of the released count (never the exact n)
    assert ledger.delta == pytest.approx(default_delta(ledger.rows + UPPER_Z * count.noise_multiplier))
    assert ledger.entries[-1].sample_rate < 1 and ledger.entries[-1].steps >= 2


def test_every_later_use_of_the_row_count_reads_the_released_one(private, tmp_path):
    synth, data = private
    rows = synth.ledger_.rows
    assert synth.training_rows_ == rows and len(synth.sample(seed=4)) == rows  # the default number of rows
    assert synth.engine_.privacy_["rows"] == rows
    synth.save(tmp_path / "m")
    shared = (tmp_path / "m" / "synthesizer.json").read_text() + (tmp_path / "m" / "engine.json").read_text()
    assert json.loads((tmp_path / "m" / "synthesizer.json").read_text())["training_rows"] == rows
    if rows != len(data):  # equal by chance about once in 130 fits
        assert not re.search(rf"(?<![\w.]){len(data)}(?![\w.])", shared)  # as a value, not inside a float


@pytest.mark.parametrize("epsilon", [0.5, 3.0])
def test_with_the_count_entry_the_ledger_still_ends_on_epsilon(epsilon):
    ledger = Synthesizer(epsilon=epsilon, model="dpctgan", epochs=1, seed=0).fit(records(500)).ledger_
    assert stages(ledger) == STAGES
    assert ledger.epsilon_spent() <= epsilon and ledger.epsilon_spent() == pytest.approx(epsilon, rel=0.01)


def test_a_category_of_one_row_never_reaches_the_output_through_the_pipeline():
    data = records(seed=1)
    data.loc[17, "region"] = "Atlantis"
    synth = Synthesizer(epsilon=2.0, **FAST).fit(data)
    assert "Atlantis" not in synth.domain_["region"].categories
    assert "Atlantis" not in set(synth.sample(3000, seed=1)["region"])


def test_an_outlier_does_not_stretch_the_output_range_through_the_pipeline():
    data = records(seed=2)
    data.loc[3, "income"] = 1e9
    out = Synthesizer(epsilon=2.0, **FAST).fit(data).sample(3000, seed=2)
    assert out["income"].max() < 200_000


def test_direct_identifiers_are_never_modelled_under_dp(private):
    synth, data = private
    assert "email" not in synth.domain_.names
    out = synth.sample(500, seed=3)
    assert not set(out["email"]) & set(data["email"])


def test_a_saved_dp_model_keeps_its_ledger_and_samples_the_same_rows(private, tmp_path):
    synth, _ = private
    synth.save(tmp_path / "m")
    again = Synthesizer.load(tmp_path / "m")
    assert again.ledger_.to_dict() == synth.ledger_.to_dict()
    pd.testing.assert_frame_equal(again.sample(200, seed=5, fake_seed=2), synth.sample(200, seed=5, fake_seed=2))
    saved = json.loads((tmp_path / "m" / "ledger.json").read_text())
    domain = [e["delta"] for e in saved["entries"] if e["stage"] == "domain"]  # with any second look's
    assert saved["delta_reserved"] > 0 and sum(domain) == pytest.approx(saved["delta_reserved"])


def test_sampling_more_spends_nothing(private):
    synth, _ = private
    before, entries = synth.ledger_.epsilon_spent(), len(synth.ledger_.entries)
    synth.sample(2000, seed=9)
    assert synth.ledger_.epsilon_spent() == before and len(synth.ledger_.entries) == entries


def test_refitting_the_same_synthesizer_spends_again_and_is_refused_past_the_target():
    data = records(400)
    synth = Synthesizer(epsilon=1.0, **FAST).fit(data)
    with pytest.raises(BudgetExceededError, match="past the target"):
        synth.fit(data)
    assert synth.ledger_.fits == 2 and stages(synth.ledger_) == STAGES


def test_a_delta_of_one_over_n_or_more_is_refused_naming_the_option():
    with pytest.raises(SynthRecordsError, match=r"delta=0\.01 .*1/rows"):
        Synthesizer(epsilon=1.0, delta=0.01, **FAST).fit(records(400))


def test_public_domains_cost_nothing_and_are_used_as_given():
    data = records(800)
    public = {"region": {"categories": ["north", "south", "east", "west", "central"]},
              "income": {"lower": 0, "upper": 100_000}}
    synth = Synthesizer(epsilon=1.0, public_domain=public, **FAST).fit(data)
    assert synth.domain_["region"].categories == public["region"]["categories"]
    assert (synth.domain_["income"].lower, synth.domain_["income"].upper) == (0, 100_000)
    assert synth.domain_["region"].source == "public"


def test_a_run_without_rows_set_makes_as_many_rows_as_the_released_count():
    result = synthrecords.synthesize(records(600), privacy={"epsilon": 1.0}, model={"name": "dpctgan", "epochs": 1, "seed": 0})
    released = result.report["privacy"]["rows"]
    assert len(result.synthetic) == released == result.report["run"]["rows_synthetic"]


def test_the_report_states_exactly_what_the_guarantee_covers(private):
    data = records(600)
    result = synthrecords.synthesize(data, rows=200, privacy={"epsilon": 1.0}, model={"name": "dpctgan", "epochs": 1, "seed": 0})
    privacy = result.report["privacy"]
    assert result.summary["model"] == "dpctgan" and privacy["epsilon_spent"] <= 1.0
    covered, outside = privacy["scope"][0], " ".join(privacy["scope"][1:])
    for part in ("row count", "domain", "DP-SGD", "post-processing"):
        assert part in covered
    for part in ("column classification", "validation figures"):
        assert part in outside
    assert "row count" not in outside  # released under DP, not read outside the ledger


def test_cli_fit_dpctgan_with_epsilon_prints_the_ledger(tmp_path):
    path = tmp_path / "records.csv"
    records(600).to_csv(path, index=False)
    proc = run_cli("fit", path, "--out", tmp_path / "m", "--epsilon", "1", "--model", "dpctgan", "--epochs", "1",
                   "--seed", "0")
    assert "model dpctgan" in proc.stdout and "epsilon spent 1 of 1" in proc.stdout
    for stage in STAGES:
        assert f"{stage}: noise multiplier" in proc.stdout
    ledger = json.loads((tmp_path / "m" / "ledger.json").read_text())
    assert [e["stage"] for e in ledger["entries"]] == STAGES
    assert not [p for p in (tmp_path / "m").rglob("*") if p.suffix in (".pkl", ".pickle", ".pt")]
    out = tmp_path / "synth.csv"
    run_cli("sample", tmp_path / "m", "--rows", "300", "--out", out, "--seed", "1")
    assert len(pd.read_csv(out)) == 300


def test_cli_refuses_an_unknown_model_naming_the_choices(tmp_path):
    path = tmp_path / "records.csv"
    records(100).to_csv(path, index=False)
    proc = run_cli("fit", path, "--out", tmp_path / "m", "--model", "gan", check=False)
    assert proc.returncode == 2 and "dpctgan" in proc.stderr and not (tmp_path / "m").exists()
