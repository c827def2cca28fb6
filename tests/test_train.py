import numpy as np
import pandas as pd
import pytest

from synthrecords.domain import data_domain
from synthrecords.errors import SynthRecordsError
from synthrecords.models.train import load_engine, make_engine
from synthrecords.privacy.ledger import PrivacyLedger


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(1)
    n = 400
    age = rng.integers(18, 90, n)
    return pd.DataFrame({
        "age": age, "income": (age * 900 + rng.normal(0, 5000, n)).round(2),
        "segment": rng.choice(["a", "b", "c"], n), "flag": (rng.random(n) < 0.1).astype(int),
        "joined": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
    }).assign(joined=lambda d: d.joined.dt.strftime("%Y-%m-%d"))


@pytest.mark.parametrize("name", ["gaussian_copula", "ctgan", "tvae"])
def test_saved_engine_samples_exactly_like_the_fitted_one(tmp_path, table, name):
    domain = data_domain(table)
    engine = make_engine(name, epochs=1)
    engine.fit(table, domain, PrivacyLedger(), seed=0)
    engine.save(tmp_path)
    again = load_engine(tmp_path)
    pd.testing.assert_frame_equal(engine.sample(20, seed=5), again.sample(20, seed=5))


def test_samples_stay_inside_the_domain(table):
    domain = data_domain(table)
    engine = make_engine("gaussian_copula")
    engine.fit(table, domain, PrivacyLedger(), seed=0)
    out = engine.sample(300, seed=1)
    assert out.age.between(domain["age"].lower, domain["age"].upper).all()
    assert set(out.segment) <= set(domain["segment"].categories)


def test_non_private_engine_refuses_an_epsilon(table):
    with pytest.raises(SynthRecordsError, match="no formal privacy guarantee"):
        make_engine("gaussian_copula").fit(table, data_domain(table), PrivacyLedger(1.0, 1e-5), seed=0)


def test_unknown_model_lists_the_choices():
    with pytest.raises(SynthRecordsError, match="gaussian_copula"):
        make_engine("gan9000")
