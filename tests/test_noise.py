"""Discrete Gaussian noise on integer counts (synthrecords.privacy.noise)."""

import math

import numpy as np
import pytest
import torch

from synthrecords.privacy.ledger import PrivacyLedger
from synthrecords.privacy.noise import discrete_gaussian, uniforms


def _pmf(sigma: float, ys: np.ndarray) -> np.ndarray:
    support = np.arange(-int(40 * sigma) - 40, int(40 * sigma) + 41)
    norm = np.exp(-support ** 2 / (2 * sigma ** 2)).sum()
    return np.exp(-ys ** 2 / (2 * sigma ** 2)) / norm


@pytest.mark.parametrize("sigma", [0.8, 3.0, 12.5])
def test_draws_follow_the_discrete_gaussian(sigma):
    draws = discrete_gaussian(sigma, 60_000)
    assert draws.dtype == np.int64
    ys = np.arange(-int(4 * sigma) - 1, int(4 * sigma) + 2)
    expected = _pmf(sigma, ys) * len(draws)
    observed = np.array([(draws == y).sum() for y in ys])
    # Pearson chi-square over the central cells: far below the 0.1 % critical value
    keep = expected > 20
    chi2 = float((((observed - expected) ** 2) / expected)[keep].sum())
    dof = int(keep.sum()) - 1
    assert chi2 < dof + 4.5 * math.sqrt(2 * dof)
    assert abs(draws.mean()) < 4 * sigma / math.sqrt(len(draws))


def test_each_cell_gets_its_own_sigma():
    sigma = np.repeat([1.0, 20.0], 30_000)
    draws = discrete_gaussian(sigma, len(sigma))
    assert np.std(draws[:30_000]) == pytest.approx(1.0, rel=0.05)
    assert np.std(draws[30_000:]) == pytest.approx(20.0, rel=0.05)
    assert (discrete_gaussian(0.0, 10) == 0).all()


def test_the_noise_is_fresh_unless_seeded():
    assert not np.array_equal(discrete_gaussian(50.0, 100), discrete_gaussian(50.0, 100))
    a = discrete_gaussian(50.0, 100, np.random.default_rng(4))
    assert np.array_equal(a, discrete_gaussian(50.0, 100, np.random.default_rng(4)))


def test_secret_uniforms_lie_in_the_open_closed_unit_interval():
    u = uniforms(100_000)
    assert u.min() > 0 and u.max() <= 1
    assert u.mean() == pytest.approx(0.5, abs=0.01)


def test_a_bad_sigma_is_refused():
    with pytest.raises(ValueError, match="sigma"):
        discrete_gaussian(float("nan"), 3)


@pytest.mark.parametrize("sigma", [2.0, 5.0])
def test_renyi_divergence_of_one_count_is_at_most_the_continuous_gaussian_s(sigma):
    # the accounting claim (CKS 2020, Thm 4): D_alpha(N_Z(0, s^2) || N_Z(1, s^2)) <= alpha / (2 s^2)
    ys = np.arange(-int(200 * sigma), int(200 * sigma) + 1)
    log_z = math.log(float(np.exp(-ys ** 2 / (2 * sigma ** 2)).sum()))  # the same for both (shift)
    log_p, log_q = -ys ** 2 / (2 * sigma ** 2) - log_z, -(ys - 1) ** 2 / (2 * sigma ** 2) - log_z
    for alpha in (2.0, 8.0, 32.0):
        terms = alpha * log_p + (1 - alpha) * log_q
        renyi = (terms.max() + math.log(float(np.exp(terms - terms.max()).sum()))) / (alpha - 1)
        assert renyi <= alpha / (2 * sigma ** 2) * (1 + 1e-9)


def test_pair_tables_get_integer_noise():
    from synthrecords.domain import data_domain
    from synthrecords.models.codec import TableCodec
    from synthrecords.models.pairs import PairTables

    rng = np.random.default_rng(0)
    import pandas as pd

    data = pd.DataFrame({"a": rng.choice(list("xyz"), 500), "b": rng.choice(list("uv"), 500),
                         "c": rng.normal(50, 10, 500).round()})
    codec = TableCodec.from_domain(data_domain(data))
    encoded = codec.encode(data)
    pairs = PairTables(codec)
    exact = pairs.counts(encoded)
    exact[pairs.owner[:, None] == pairs.owner[None, :]] = 0.0
    noisy = pairs.noisy_counts(encoded, PrivacyLedger(1.0, 1e-4), 0.5)
    noise = noisy - exact
    assert np.array_equal(noise, np.round(noise)) and np.abs(noise).max() > 0
    seeded = [pairs.noisy_counts(encoded, PrivacyLedger(1.0, 1e-4), 0.5, torch.Generator().manual_seed(2))
              for _ in range(2)]
    assert np.array_equal(*seeded)


# -- Opacus secure mode for DP-SGD ------------------------------------------------------------
def _tiny_private(secure: bool, generator: torch.Generator):
    from synthrecords.models.dpctgan import private_discriminator

    module = torch.nn.Linear(3, 1)
    return private_discriminator(module, torch.optim.SGD(module.parameters(), lr=0.1), torch.randn(50, 3),
                                 batch_size=10, noise_multiplier=1.0, max_grad_norm=1.0, generator=generator,
                                 secure=secure)


def test_secure_mode_takes_opacus_secure_noise_and_not_the_seeded_generator():
    generator = torch.Generator().manual_seed(0)
    _, optimizer, _, _, engine = _tiny_private(True, generator)
    assert engine.secure_mode and optimizer.secure_mode
    assert optimizer.generator is not generator and optimizer.generator is engine.secure_rng
    _, plain, _, _, _ = _tiny_private(False, generator)
    assert not plain.secure_mode and plain.generator is generator


def test_secure_mode_is_stated_on_the_ledger_and_refuses_a_noise_seed():
    import pandas as pd

    from synthrecords.errors import SynthRecordsError
    from synthrecords.models.dpctgan import DPCTGANEngine
    from synthrecords.privacy.domain import release_domain

    rng = np.random.default_rng(1)
    data = pd.DataFrame({"a": rng.choice(list("xy"), 300), "b": rng.normal(0, 1, 300)})
    ledger = PrivacyLedger(5.0, 1e-4)
    domain = release_domain(data, ledger)
    DPCTGANEngine(epochs=1, secure=True, generator_steps=1).fit(data, domain, ledger, seed=0)
    assert "secure_mode" in ledger.entries[-1].detail
    assert ledger.epsilon_spent() <= 5.0
    with pytest.raises(SynthRecordsError, match="noise_seed"):
        DPCTGANEngine(epochs=1, secure=True, noise_seed=3).fit(data, domain, PrivacyLedger(5.0, 1e-4), seed=0)


def test_secure_needs_a_dp_model(tmp_path):
    import pandas as pd

    from synthrecords import Synthesizer
    from synthrecords.errors import SynthRecordsError

    data = pd.DataFrame({"a": list("xyxyxyxyxyxy"), "b": range(12)})
    with pytest.raises(SynthRecordsError, match="secure"):
        Synthesizer(model="gaussian_copula", secure=True, nlp_model=None).fit(data)


def test_a_job_file_turns_secure_mode_on(tmp_path):
    from synthrecords.config import load_job
    from synthrecords.job import synthesizer_from

    job = tmp_path / "job.toml"
    job.write_text("[privacy]\nepsilon = 1.0\nsecure = true\n")
    assert synthesizer_from(load_job(job)).secure is True
    job.write_text("[privacy]\nepsilon = 1.0\n")
    assert synthesizer_from(load_job(job)).secure is False


@pytest.mark.parametrize("sigma", [1.0, 4.3, 25.0])
def test_an_integer_threshold_keeps_the_discrete_tail_within_the_continuous_delta(sigma):
    # release_domain rounds tau up: a lone value (count 1) survives when 1 + Y > ceil(tau), and
    # P[Y >= ceil(tau)] <= P[N(0, s^2) > tau - 1], the probability delta_t was computed from
    from statistics import NormalDist

    ys = np.arange(-int(60 * sigma), int(60 * sigma) + 1)
    pmf = _pmf(sigma, ys)
    for tau in np.linspace(2 * sigma, 6 * sigma, 17):
        survive = pmf[ys >= math.ceil(tau)].sum()
        assert survive <= 1 - NormalDist(0, sigma).cdf(tau - 1)


def test_the_domain_release_states_an_integer_category_threshold():
    import pandas as pd

    from synthrecords.privacy.domain import release_domain

    data = pd.DataFrame({"city": np.random.default_rng(0).choice(["a", "b", "c"], 500)})
    ledger = PrivacyLedger(1.0, 1e-4)
    release_domain(data, ledger, noise_seed=0)
    threshold = ledger.entries[0].detail.split("kept above ")[1].split(",")[0]
    assert float(threshold) == int(float(threshold))
