import pytest
from opacus.accountants import RDPAccountant

from synthrecords.errors import SynthRecordsError
from synthrecords.privacy.ledger import BudgetExceededError, PrivacyLedger


def test_ledger_without_epsilon_says_no_formal_guarantee():
    ledger = PrivacyLedger()
    d = ledger.to_dict()
    assert d["guarantee"] == "none"
    assert d["epsilon_spent"] is None
    assert "no formal privacy guarantee" in d["note"]


def test_ledger_refuses_to_record_without_target():
    with pytest.raises(SynthRecordsError, match="without an epsilon target"):
        PrivacyLedger().record("domain", noise_multiplier=5.0)


def test_epsilon_requires_delta_in_unit_interval():
    with pytest.raises(SynthRecordsError, match="delta"):
        PrivacyLedger(epsilon=1.0, delta=None)


def test_composed_epsilon_matches_opacus_rdp_accountant():
    ledger = PrivacyLedger(epsilon=10.0, delta=1e-5)
    ledger.record("train", noise_multiplier=1.1, sample_rate=0.01, steps=300)
    accountant = RDPAccountant()
    for _ in range(300):
        accountant.step(noise_multiplier=1.1, sample_rate=0.01)
    assert ledger.epsilon_spent() == pytest.approx(accountant.get_epsilon(1e-5), rel=0.05)


def test_composition_is_less_than_the_sum_of_parts():
    ledger = PrivacyLedger(epsilon=50.0, delta=1e-5)
    ledger.record("domain", noise_multiplier=3.0)
    ledger.record("train", noise_multiplier=3.0)
    alone = [e["epsilon_alone"] for e in ledger.to_dict()["entries"]]
    assert max(alone) < ledger.epsilon_spent() < sum(alone)


def test_recording_past_the_target_raises_and_records_nothing():
    ledger = PrivacyLedger(epsilon=0.5, delta=1e-5)
    with pytest.raises(BudgetExceededError, match="past the target"):
        ledger.record("train", noise_multiplier=0.5, sample_rate=0.1, steps=1000)
    assert ledger.entries == []
    assert ledger.epsilon_spent() == 0.0


def test_ledger_round_trips_through_dict():
    ledger = PrivacyLedger(epsilon=5.0, delta=1e-6)
    ledger.start_fit()
    ledger.record("domain", noise_multiplier=10.0, detail="category counts")
    again = PrivacyLedger.from_dict(ledger.to_dict())
    assert again.epsilon_spent() == pytest.approx(ledger.epsilon_spent())
    assert again.fits == 1 and again.entries[0].detail == "category counts"


def test_refit_is_recorded_as_a_second_fit():
    ledger = PrivacyLedger(epsilon=50.0, delta=1e-5)
    ledger.start_fit()
    ledger.record("train", noise_multiplier=2.0)
    once = ledger.epsilon_spent()
    ledger.start_fit()
    ledger.record("train", noise_multiplier=2.0)
    assert ledger.epsilon_spent() > once
    assert [e.fit for e in ledger.entries] == [1, 2]
    assert "refit" in ledger.to_dict()["note"]
