"""The Python API a batch job uses: Synthesizer, synthesize, scan_pii, validate."""

import pandas as pd
import pytest

import synthrecords
from synthrecords import NotFittedError, Synthesizer, SynthRecordsError


@pytest.fixture(scope="module")
def real(small_csv):
    return synthrecords.load_table(small_csv)


@pytest.fixture(scope="module")
def fitted(real):
    return Synthesizer(model="gaussian_copula", target="fraud_flag", seed=0).fit(real)


def test_public_names_are_importable():
    assert callable(synthrecords.synthesize) and callable(synthrecords.scan_pii)
    assert callable(synthrecords.validate) and synthrecords.Synthesizer is Synthesizer


def test_init_stores_parameters_and_does_no_work():
    synth = Synthesizer(epsilon=None, model="tvae", epochs=3)
    assert (synth.model, synth.epochs) == ("tvae", 3)
    assert not hasattr(synth, "domain_")


def test_sampling_before_fit_says_what_to_do():
    with pytest.raises(NotFittedError, match="fit"):
        Synthesizer().sample(5)


def test_fit_learns_pii_domain_and_ledger(fitted, real):
    assert "email" in fitted.pii_.columns_in("direct")
    assert "email" not in fitted.domain_.names and "credit_score" in fitted.domain_.names
    assert fitted.ledger_.to_dict()["guarantee"] == "none"


def test_sample_keeps_the_input_column_order(fitted, real):
    out = fitted.sample(40, seed=1)
    assert list(out.columns) == list(real.columns) and len(out) == 40


def test_save_and_load_give_the_same_rows(fitted, tmp_path):
    fitted.save(tmp_path / "model")
    again = Synthesizer.load(tmp_path / "model")
    pd.testing.assert_frame_equal(fitted.sample(30, seed=4, fake_seed=1), again.sample(30, seed=4, fake_seed=1))
    # a model folder is shared: it keeps the PII decisions, not the scan's statistics
    assert again.pii_.to_dict(statistics=False) == fitted.pii_.to_dict(statistics=False)


def test_unknown_target_is_named_before_any_work(real):
    with pytest.raises(SynthRecordsError, match="churn"):
        Synthesizer(target="churn").fit(real)


def test_epsilon_with_a_non_private_model_is_refused(real):
    with pytest.raises(SynthRecordsError, match="no formal privacy guarantee"):
        Synthesizer(epsilon=1.0, delta=1e-5, model="gaussian_copula").fit(real)


def test_synthesize_in_memory_returns_rows_and_a_report(real):
    result = synthrecords.synthesize(real, rows=120, model={"name": "gaussian_copula", "seed": 2})
    assert len(result.synthetic) == 120 and result.out_dir is None
    assert result.summary["leakage_passed"] is True
    assert result.to_dict()["summary"]["rows"] == 120
