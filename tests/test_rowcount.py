"""The row count under DP (issue 19 item 5): released once as a noisy count, its own ledger
entry, and the only count the later stages use (delta, DP-SGD's rate and steps, the domain's
"other" mass, the default number of synthetic rows)."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthrecords.models.dpctgan import DPCTGANEngine
from synthrecords.privacy.domain import release_domain
from synthrecords.privacy.ledger import BudgetExceededError, LedgerEntry, PrivacyLedger
from synthrecords.privacy.rowcount import (
    PLAN_DELTA,
    SHARE,
    UPPER_Z,
    RowCount,
    default_delta,
    noise_multiplier,
    release_row_count,
)

OLD_MODELS = Path(__file__).resolve().parent / "data" / "models_v0"


def cities(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"city": rng.choice(["Leeds", "York", "Hull"], n, p=[0.5, 0.3, 0.2]),
                         "income": rng.normal(50_000, 8_000, n).round(0)})


def test_the_count_carries_the_noise_its_ledger_entry_states():
    draws = []
    for _ in range(400):
        ledger = PrivacyLedger(1.0, 1e-6)
        draws.append(release_row_count(5000, ledger).rows)
    z = ledger.entries[0].noise_multiplier
    assert np.std(draws) == pytest.approx(z, rel=0.15)
    assert abs(np.mean(draws) - 5000) < 4 * z / math.sqrt(len(draws))


def test_its_noise_takes_a_fixed_small_share_of_the_budget_and_needs_no_delta():
    z = noise_multiplier(1.0, PLAN_DELTA)
    assert 40 < z < 70  # about 1 % of 5,000 rows at epsilon 1
    # SHARE of the rho of one Gaussian that spends all of epsilon: that Gaussian's z is z * sqrt(SHARE).
    # zCDP's conversion is a little looser than the ledger's RDP one, so it spends a bit less.
    whole = PrivacyLedger(1.0, PLAN_DELTA, [LedgerEntry("rows", "gaussian", z * math.sqrt(SHARE))])
    assert 0.75 < whole.epsilon_spent() <= 1.0


def test_a_first_fits_default_delta_comes_from_the_released_count():
    ledger = PrivacyLedger(2.0, 1 / (10 * 3000))  # what the exact count would give
    count = release_row_count(3000, ledger, set_delta=True)
    assert ledger.rows == count.rows and count.std == ledger.entries[0].noise_multiplier
    assert ledger.delta == pytest.approx(default_delta(count.rows + UPPER_Z * count.std))
    assert [e.stage for e in ledger.entries] == ["rows"] and "rows" in ledger.to_dict()["entries"][0]["stage"]


def test_one_added_record_moves_the_count_by_one_before_the_noise():
    one, other = PrivacyLedger(1.0, 1e-5), PrivacyLedger(1.0, 1e-5)
    assert release_row_count(801, one, noise_seed=3).rows - release_row_count(800, other, noise_seed=3).rows == 1
    assert one.to_dict()["entries"] == other.to_dict()["entries"]  # the entry itself never names n


def test_a_count_past_the_target_is_refused_before_anything_is_read():
    ledger = PrivacyLedger(1.0, 1e-5, [LedgerEntry("train", "gaussian", 3.0)], rows=1234)
    assert ledger.epsilon_spent() > 0.99
    with pytest.raises(BudgetExceededError, match="rows"):
        release_row_count(5000, ledger)
    assert ledger.rows == 1234 and len(ledger.entries) == 1


def test_dpctgan_takes_its_sample_rate_steps_and_fake_rows_from_the_released_count():
    data = cities(1500)
    ledger = PrivacyLedger(4.0, 1e-5, rows=3000)  # a released count far from the 1,500 real rows
    domain = release_domain(data, ledger, rows=RowCount(3000, 1.0))
    engine = DPCTGANEngine(epochs=1, batch_size=1000, embedding_dim=8, generator_dim=(16,), discriminator_dim=(16,),
                           generator_steps=1)
    engine.fit(data, domain, ledger, seed=0)
    train = ledger.entries[-1]
    assert (train.sample_rate, train.steps) == (1 / 3, 3)  # ceil(3000 / 1000) batches, not ceil(1500 / 1000)
    assert engine.privacy_["rows"] == 3000 and "1500" not in train.detail


def test_the_domain_takes_the_other_mass_from_the_released_count():
    data = cities()
    ledger = PrivacyLedger(4.0, 1e-5)
    exact = release_domain(data, ledger, rows=RowCount(len(data)), noise_seed=0)["city"]
    assert "*" not in exact.categories  # every row is in a released city
    ledger = PrivacyLedger(4.0, 1e-5)
    more = release_domain(data, ledger, rows=RowCount(len(data) + 600, 10.0), noise_seed=0)["city"]
    other = next(g for g in more.granularity if g["level"] == "other")
    assert "*" in more.categories and other["share"] == pytest.approx(600 / 2600, abs=0.03)


def test_ledgers_saved_before_the_count_was_released_still_load():
    saved = json.loads((OLD_MODELS / "dpctgan" / "ledger.json").read_text())
    assert "rows" not in saved
    ledger = PrivacyLedger.from_dict(saved)
    assert ledger.rows is None and ledger.to_dict()["entries"] == saved["entries"]
    assert PrivacyLedger.from_dict(PrivacyLedger(1.0, 1e-5, rows=77).to_dict()).rows == 77
