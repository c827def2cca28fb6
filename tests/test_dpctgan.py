import copy
import inspect
import math

import numpy as np
import pandas as pd
import pytest
import torch
from ctgan.synthesizers.ctgan import Discriminator, Generator
from hypothesis import given, settings
from hypothesis import strategies as st
from opacus.accountants import RDPAccountant

from synthrecords.domain import ColumnDomain, Domain
from synthrecords.errors import SynthRecordsError
from synthrecords.models.codec import TableCodec
from synthrecords.models.dpctgan import (
    DPCTGANEngine,
    discriminator_step,
    generator_step,
    private_discriminator,
)
from synthrecords.models.fast_sampler import decode
from synthrecords.models.pairs import PairTables
from synthrecords.privacy.domain import default_delta, release_domain
from synthrecords.privacy.ledger import PrivacyLedger

SMALL = {"batch_size": 200, "embedding_dim": 16, "generator_dim": (32, 32), "discriminator_dim": (32, 32),
         "generator_steps": 2}


def table(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    segment = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    return pd.DataFrame({
        "segment": segment,
        "income": (rng.normal(50_000, 8_000, n) + np.where(segment == "a", 10_000, 0)).round(2),
        "joined": (pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")).strftime("%Y-%m-%d"),
        "flag": rng.random(n) < 0.3,
    })


def fit(data: pd.DataFrame, epsilon: float = 1.0, epochs: int = 2, seed: int = 0, **params):
    """Domain release and training with fresh (unseeded) DP noise, as in a real run."""
    ledger = PrivacyLedger(epsilon, default_delta(len(data)))
    domain = release_domain(data, ledger)
    engine = DPCTGANEngine(epochs=epochs, **{**SMALL, **params})
    engine.fit(data, domain, ledger, seed=seed)
    return engine, domain, ledger


@pytest.fixture(scope="module")
def fitted():
    return fit(table(), epsilon=2.0, epochs=3)


# -- privacy claims -------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_a_category_held_by_one_row_never_appears_in_the_output(seed):
    data = table(seed=seed)
    data.loc[11, "segment"] = "CANARY"
    engine, domain, _ = fit(data, epsilon=4.0, seed=seed)
    out = engine.sample(3000, seed=seed)
    assert "CANARY" not in set(out.segment) and "CANARY" not in domain["segment"].categories
    # (a null may appear: the null bin's noise clears its 3-sigma cut with probability ~0.1 %)
    assert set(out.segment.dropna()) <= {"a", "b", "c"}


@pytest.mark.parametrize("seed", [0, 1])
def test_an_outlier_in_one_row_does_not_stretch_the_output_range(seed):
    data = table(seed=seed)
    data.loc[5, "income"] = 1e7
    engine, domain, _ = fit(data, epsilon=4.0, seed=seed)
    out = engine.sample(3000, seed=seed)
    assert out.income.max() <= domain["income"].upper < 200_000


@pytest.mark.parametrize("epsilon", [0.5, 1.0, 4.0])
@pytest.mark.parametrize("rows", [300, 2000])
@pytest.mark.parametrize("epochs", [1, 3])
def test_spent_epsilon_never_exceeds_the_target(epsilon, rows, epochs):
    _, _, ledger = fit(table(rows), epsilon=epsilon, epochs=epochs)
    # the domain release may take a second look at a column it mostly suppressed (privacy.secondlook):
    # at 300 rows and epsilon 0.5 the 20 % segment "c" is sometimes thresholded away
    stages = [e.stage for e in ledger.entries if "second look" not in e.detail]
    assert stages == ["domain", "pairs", "train"]
    assert ledger.epsilon_spent() <= epsilon
    assert ledger.epsilon_spent() == pytest.approx(epsilon, rel=0.01)  # ends on budget, not far below


def test_training_epsilon_equals_opacus_own_accountant(fitted):
    engine, _, ledger = fitted
    train = ledger.entries[-1]
    assert (train.noise_multiplier, train.sample_rate, train.steps) == (
        engine.privacy_["noise_multiplier"], engine.privacy_["sample_rate"], engine.privacy_["steps"])
    accountant = RDPAccountant()
    accountant.history = [(train.noise_multiplier, train.sample_rate, train.steps)]
    opacus = accountant.get_epsilon(ledger.delta)
    # Opacus's accountant attached to the optimizer counted the same steps at the same rate
    assert engine.privacy_["opacus_rdp_epsilon"] == pytest.approx(opacus, rel=1e-9)
    ours = PrivacyLedger(ledger.epsilon, ledger.delta, [train]).epsilon_spent()
    assert ours <= opacus * (1 + 1e-9) and ours == pytest.approx(opacus, rel=0.02)


@pytest.mark.parametrize("mode", ["hooks", "ghost"])
def test_per_sample_gradients_are_clipped_before_summing(mode):
    torch.manual_seed(0)
    module = Discriminator(6, (8, 8), pac=1)
    rows = torch.randn(40, 6)
    rows[3] *= 1e4  # one sample with a huge gradient
    plain = copy.deepcopy(module)
    torch.manual_seed(1)
    torch.nn.functional.binary_cross_entropy_with_logits(plain(rows[3:4]).squeeze(1), torch.ones(1), reduction="sum").backward()
    unclipped = torch.cat([p.grad.flatten() for p in plain.parameters()]).norm()

    norms = {}
    for batch in (rows[3:4], rows):
        copied = copy.deepcopy(module)
        d, opt, criterion, _, _ = private_discriminator(copied, torch.optim.SGD(copied.parameters(), lr=0.0), rows,
                                                        batch_size=40, noise_multiplier=0.0, max_grad_norm=1.0,
                                                        generator=torch.Generator().manual_seed(0), grad_sample_mode=mode)
        torch.manual_seed(1)
        criterion(d(batch).squeeze(1), torch.ones(len(batch))).backward()
        opt.pre_step()  # clip, sum and (zero) noise: the gradient the update would use
        norms[len(batch)] = torch.cat([p.grad.flatten() for p in d.parameters()]).norm()
    assert unclipped > 100
    assert norms[1] <= 1.0 + 1e-5
    assert norms[40] <= 40 * 1.0 + 1e-4


@pytest.mark.parametrize("mode", ["hooks", "ghost"])
def test_the_discriminator_step_gives_the_generator_no_gradient(mode):
    codec = TableCodec.from_domain(release_domain(table(), PrivacyLedger(2.0, 1e-4), noise_seed=0))
    real = torch.from_numpy(codec.encode(table()))
    generator = Generator(16 + codec.cond_dim, (32, 32), codec.data_dim)
    before = copy.deepcopy(generator.state_dict())
    rng = torch.Generator().manual_seed(0)
    d, opt, criterion, loader, _ = _private(codec, real, rng, mode)
    d_before = copy.deepcopy(d.state_dict())
    (rows,) = next(iter(loader))
    discriminator_step(d, opt, criterion, generator, codec, rows, 200, 16, rng)
    assert all(p.grad is None for p in generator.parameters())
    assert all(torch.equal(before[k], v) for k, v in generator.state_dict().items() if "running" not in k and "num_batches" not in k)
    assert any(not torch.equal(d_before[k], v) for k, v in d.state_dict().items())


def test_the_public_stream_after_a_step_does_not_depend_on_the_secret_batch_size():
    # The run's seed is public; the batch's size is the Poisson sample's secret. Conditions of
    # real rows come from the secret generator, so the public stream moves by the fixed fakes only.
    codec = TableCodec.from_domain(release_domain(table(), PrivacyLedger(2.0, 1e-4), noise_seed=0))
    real = torch.from_numpy(codec.encode(table()))
    after = []
    for size in (10, 60):
        torch.manual_seed(0)
        generator = Generator(16 + codec.cond_dim, (32, 32), codec.data_dim)
        public, secret = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
        d, opt, criterion, _, _ = _private(codec, real, secret)
        discriminator_step(d, opt, criterion, generator, codec, real[:size], 50, 16, public, secret)
        after.append(torch.rand(4, generator=public))
    assert torch.equal(after[0], after[1])


def _private(codec, real, rng, mode="ghost"):
    module = Discriminator(codec.data_dim + codec.cond_dim, (32, 32), pac=1)
    return private_discriminator(module, torch.optim.Adam(module.parameters()), real, batch_size=200,
                                 noise_multiplier=1.0, max_grad_norm=1.0, generator=rng, grad_sample_mode=mode)


@pytest.mark.parametrize("mode", ["hooks", "ghost"])
def test_the_generator_step_takes_no_real_rows_and_leaves_the_discriminator_alone(mode):
    assert "rows" not in inspect.signature(generator_step).parameters
    codec = TableCodec.from_domain(release_domain(table(), PrivacyLedger(2.0, 1e-4), noise_seed=0))
    rng = torch.Generator().manual_seed(0)
    d, *_ = _private(codec, torch.from_numpy(codec.encode(table())), rng, mode)
    generator = Generator(16 + codec.cond_dim, (32, 32), codec.data_dim)
    d_before = copy.deepcopy(d.state_dict())
    generator_step(generator, torch.optim.Adam(generator.parameters()), d, codec, 64, 16, rng)
    assert all(torch.equal(d_before[k], v) for k, v in d.state_dict().items())
    assert all(p.grad is None and p.requires_grad for p in d.parameters())


def test_the_generator_step_matches_pair_tables_it_is_given_not_real_rows():
    codec = TableCodec.from_domain(release_domain(table(), PrivacyLedger(2.0, 1e-4), noise_seed=0))
    rng = torch.Generator().manual_seed(0)
    d, *_ = _private(codec, torch.from_numpy(codec.encode(table())), rng)
    pairs = PairTables(codec)
    pairs.measure(codec.encode(table()), PrivacyLedger(2.0, 1e-4), 0.5, rng)
    assert "rows" not in inspect.signature(pairs.loss).parameters
    generator = Generator(16 + codec.cond_dim, (32, 32), codec.data_dim)
    generator_step(generator, torch.optim.Adam(generator.parameters()), d, codec, 64, 16, rng, 1.0, pairs, 20.0)
    assert all(p.grad is None and p.requires_grad for p in d.parameters())


def test_the_generator_is_never_wrapped_by_opacus(fitted):
    engine, _, _ = fitted
    assert type(engine.generator_) is Generator
    assert not any(hasattr(p, "grad_sample") for p in engine.generator_.parameters())


# -- behaviour ----------------------------------------------------------------------------
def test_samples_stay_inside_the_released_domain(fitted):
    engine, domain, _ = fitted
    out = engine.sample(2000, seed=1)
    assert list(out.columns) == domain.names and len(out) == 2000
    assert set(out.segment.dropna()) <= set(domain["segment"].categories)
    assert domain["segment"].nullable or out.segment.notna().all()  # a null only where the release allows one
    assert out.income.between(domain["income"].lower, domain["income"].upper).all()
    assert out.joined.between(domain["joined"].lower, domain["joined"].upper).all()
    assert out.flag.isin([True, False]).all()
    assert (out.income.round(2) == out.income).all()


def test_sampling_is_post_processing_and_spends_nothing(fitted):
    engine, _, ledger = fitted
    spent, entries = ledger.epsilon_spent(), len(ledger.entries)
    engine.sample(100, seed=0)
    assert ledger.epsilon_spent() == spent and len(ledger.entries) == entries


def test_a_saved_model_samples_exactly_like_the_fitted_one(tmp_path, fitted):
    engine, _, _ = fitted
    engine.save(tmp_path)
    again = DPCTGANEngine.load(tmp_path)
    pd.testing.assert_frame_equal(engine.sample(300, seed=7), again.sample(300, seed=7))
    assert not (tmp_path / "discriminator").exists() and "discriminator_" not in vars(again)


def test_conditions_are_always_met(fitted):
    engine, _, _ = fitted
    out = engine.sample(200, seed=3, conditions={"segment": "c"})
    assert len(out) == 200 and (out.segment == "c").all()


def test_a_condition_outside_the_released_domain_is_refused(fitted):
    engine, _, _ = fitted
    with pytest.raises(SynthRecordsError, match="no category 'zzz'"):
        engine.sample(10, seed=0, conditions={"segment": "zzz"})
    with pytest.raises(SynthRecordsError, match="only categorical"):
        engine.sample(10, seed=0, conditions={"income": 5})


def test_a_one_column_table_trains_and_samples():
    engine, _, ledger = fit(table()[["income"]])
    out = engine.sample(50, seed=0)
    assert list(out.columns) == ["income"] and out.income.notna().all()
    assert ledger.epsilon_spent() <= 1.0


def test_an_all_categorical_table_trains_and_samples():
    engine, _, _ = fit(table()[["segment", "flag"]])
    out = engine.sample(500, seed=0)
    assert set(out.segment.dropna()) <= {"a", "b", "c"} and engine.codec_.cond_dim == 5


def test_a_column_that_released_no_value_comes_out_as_the_star():
    data = table(300).assign(code=[f"x{i}" for i in range(300)])  # every value unique
    engine, domain, _ = fit(data)
    assert domain["code"].categories == ["*"]  # its mass, released as "some value", not as any value
    assert (engine.sample(50, seed=0).code == "*").all()


def test_too_small_an_epsilon_names_the_option_to_change():
    with pytest.raises(SynthRecordsError, match=r"too small.*epochs=\d+.*max_noise_multiplier|"
                                                r"too small.*max_noise_multiplier.*epochs=\d+"):
        fit(table(300), epsilon=0.05, epochs=200)


def test_without_an_epsilon_it_trains_without_noise_and_records_nothing():
    from synthrecords.domain import data_domain

    data = table(300)
    engine = DPCTGANEngine(epochs=1, **SMALL)
    ledger = PrivacyLedger()
    engine.fit(data, data_domain(data), ledger, seed=0)
    assert engine.privacy_["noise_multiplier"] == 0.0 and ledger.entries == []
    assert len(engine.sample(20, seed=0)) == 20
    # its bins come from the exact data (quantiles), not 10 equal widths
    from synthrecords.privacy.ranges import exact_bins

    want = exact_bins(data, data_domain(data))
    for name in ("income", "joined"):
        edges = next(c for c in engine.codec_.columns if c.name == name).edges
        assert edges == want[name].histogram["edges"] and len(edges) > 11


def test_unfitted_engine_refuses_to_sample():
    with pytest.raises(SynthRecordsError, match="not fitted"):
        DPCTGANEngine().sample(5, seed=0)


# -- encoders: built from the domain only ----------------------------------------------------
HAND_DOMAIN = Domain({
    "cat": ColumnDomain("cat", "categorical", categories=["x", "y", 3], nullable=True, source="dp",
                        frequencies=[0.5, 0.3, 0.2]),
    "num": ColumnDomain("num", "numerical", lower=-10.0, upper=250.0, decimals=2, source="dp",
                        histogram={"edges": [-10.0, 0.0, 5.5, 100.0, 250.0], "counts": [1, 2, 3, 4]}),
    "day": ColumnDomain("day", "datetime", lower="2001-01-01", upper="2003-12-31", datetime_format="%Y-%m-%d",
                        nullable=True, source="dp"),
})


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["x", "y", 3, None]),
                          st.integers(-1000, 25000).map(lambda v: v / 100),
                          st.one_of(st.none(), st.dates(pd.Timestamp("2001-01-01").date(), pd.Timestamp("2003-12-31").date()))),
                min_size=1, max_size=30))
def test_encoding_then_decoding_gives_the_values_back(rows):
    data = pd.DataFrame({"cat": pd.Series([r[0] for r in rows], dtype=object), "num": [r[1] for r in rows],
                         "day": [r[2].strftime("%Y-%m-%d") if r[2] else None for r in rows]})
    codec = TableCodec.from_domain(HAND_DOMAIN)
    encoded = torch.from_numpy(codec.encode(data))
    raw = torch.zeros_like(encoded)
    for start, size, act in codec.spans():
        block = encoded[:, start:start + size]
        raw[:, start:start + size] = torch.atanh(block.clamp(-1 + 1e-7, 1 - 1e-7)) if act == "tanh" else (block * 2 - 1) * 1e4
    out = decode(codec, raw.double(), torch.Generator().manual_seed(0))
    assert out.cat.tolist() == data.cat.tolist()
    assert np.allclose(out.num.to_numpy(dtype=float), data.num.to_numpy(dtype=float), atol=0.011)
    assert out.day.tolist() == data.day.tolist()


def test_unreleased_values_are_encoded_as_other_and_never_decoded():
    codec = TableCodec.from_domain(HAND_DOMAIN)
    encoded = codec.encode(pd.DataFrame({"cat": ["secret"], "num": [1.0], "day": ["2002-02-02"]}))
    other = codec.columns[0].start + 3
    assert encoded[0, other] == 1.0
    raw = torch.zeros((1, codec.data_dim))
    raw[0, other] = 1e4  # the generator insists on "other"
    assert decode(codec, raw, torch.Generator().manual_seed(0)).cat[0] in ("x", "y", 3, None)


def test_the_encoder_reads_nothing_but_the_domain():
    codec = TableCodec.from_domain(HAND_DOMAIN)
    again = TableCodec.from_domain(HAND_DOMAIN)
    assert codec.to_dict() == again.to_dict()
    assert codec.columns[1].edges == [-10.0, 0.0, 5.5, 100.0, 250.0]
    assert codec.columns[1].frequencies == pytest.approx([0.1, 0.2, 0.3, 0.4])


# -- pair tables: one Gaussian mechanism, then post-processing ------------------------------
def _codec_and_rows(n: int = 1000):
    data = table(n)
    codec = TableCodec.from_domain(release_domain(data, PrivacyLedger(4.0, 1e-4), noise_seed=0))
    return codec, codec.encode(data), data


def test_pair_tables_count_every_pair_of_columns_once_per_row():
    codec, encoded, _ = _codec_and_rows()
    pairs = PairTables(codec)
    counts = pairs.counts(encoded)
    assert pairs.pairs == 6
    for i in range(4):
        for j in range(i + 1, 4):
            block = counts[np.ix_(pairs.owner == i, pairs.owner == j)]
            assert block.sum() == len(encoded)  # each row lands in exactly one cell


def test_pair_tables_are_one_gaussian_entry_on_the_budget_the_domain_left():
    codec, encoded, _ = _codec_and_rows()
    ledger = PrivacyLedger(1.0, 1e-4)
    release_domain(table(), ledger)
    before = ledger.epsilon_spent()
    PairTables(codec).measure(encoded, ledger, 0.5, torch.Generator().manual_seed(0))
    entry = ledger.entries[-1]
    assert (entry.stage, entry.mechanism, entry.sample_rate, entry.steps) == ("pairs", "gaussian", 1.0, 1)
    assert "sqrt(6)" in entry.detail
    # spends half of what was left (RDP composition: the increments are not additive in epsilon)
    assert ledger.epsilon_spent() == pytest.approx(before + 0.5 * (1.0 - before), rel=1e-3)


def test_a_target_s_pair_tables_carry_less_noise_at_the_same_budget():
    codec, encoded, _ = _codec_and_rows()
    exact = PairTables(codec).counts(encoded)
    spent, error = {}, {}
    for target in (None, "segment"):
        ledger = PrivacyLedger(1.0, 1e-4)
        release_domain(table(), ledger)
        pairs = PairTables(codec, target, 0.8)
        noisy = pairs.noisy_counts(encoded, ledger, 0.5, torch.Generator().manual_seed(1))
        spent[target] = ledger.epsilon_spent()
        off = np.triu(pairs.owner[:, None] != pairs.owner[None, :], 1)
        on_target = off & ((pairs.owner == 0)[:, None] | (pairs.owner == 0)[None, :])  # segment is column 0
        error[target] = (np.std((noisy - exact)[on_target]), np.std((noisy - exact)[off & ~on_target]))
        assert (noisy[pairs.owner[:, None] == pairs.owner[None, :]] == 0).all()  # no one-way counts released
    assert spent["segment"] == pytest.approx(spent[None], rel=1e-6)  # the same budget
    weight = 2.0  # 3 target tables of 6 at share 0.8: w^2 = 0.8 / 0.2 * 3 / 3
    assert "weight 2" in ledger.entries[-1].detail and f"{math.sqrt(3 * 4 + 3):.4g}" in ledger.entries[-1].detail
    # sensitivity sqrt(15) instead of sqrt(6): the target's tables carry sqrt(15) / 2 of the noise
    # they had, the other tables sqrt(15 / 6) times theirs
    assert error["segment"][0] / error[None][0] == pytest.approx(math.sqrt(15 / 6) / weight, rel=0.25)
    assert error["segment"][1] / error[None][1] == pytest.approx(math.sqrt(15 / 6), rel=0.25)


def test_a_target_s_tables_read_its_class_counts_unbiased_at_their_stated_noise():
    """Each target table's row sums read the class counts; their inverse-variance mean is what the
    sampler's class shares come from (``dpctgan.read_classes``), beside the domain's one-way."""
    codec, encoded, data = _codec_and_rows(3000)
    exact = data["segment"].value_counts()
    readings, variances = [], []
    for seed in range(40):
        ledger = PrivacyLedger(1.0, 1e-4)
        release_domain(table(), ledger, noise_seed=seed)
        pairs = PairTables(codec, "segment", 0.5)
        pairs.measure(encoded, ledger, 0.5, torch.Generator().manual_seed(seed))
        counts, variance = pairs.class_counts
        groups = pairs.class_group.numpy()
        readings.append(counts[groups[:len(codec.columns[0].categories)]])
        variances.append(variance)
    want = exact.reindex(codec.columns[0].categories).to_numpy(dtype=float)
    error = np.asarray(readings) - want
    std = math.sqrt(np.mean(variances))
    assert np.all(np.abs(error.mean(axis=0)) < 4 * std / math.sqrt(40))  # unbiased
    assert 0.6 < error.std() / std < 1.4  # at the noise it states
    no_dp = PairTables(codec, "segment", 0.5)
    no_dp.measure(encoded, PrivacyLedger(), 0.5, torch.Generator().manual_seed(0))
    assert no_dp.class_counts is None  # without DP the one-way is exact: nothing to combine


def test_the_target_is_the_condition_of_its_share_of_real_and_fake_rows():
    codec, encoded, _ = _codec_and_rows(4000)
    rows = torch.from_numpy(encoded)
    segment = next(c for c in codec.conditioned if c.name == "segment")
    for focus, share in ((None, 1 / len(codec.conditioned)), ("segment", 0.6)):
        codec.focus, codec.focus_share = focus, 0.6
        rng = torch.Generator().manual_seed(0)
        fake, _ = codec.fake_cond(4000, rng)
        real = codec.real_cond(rows, rng)
        for cond in (fake, real):
            on_segment = cond[:, segment.cond_start:segment.cond_start + segment.n_cond].sum(dim=1)
            assert on_segment.mean().item() == pytest.approx(share, abs=0.03)
        data_col, _ = codec._cond_index()
        assert (real * rows[:, data_col]).sum() == real.sum() == len(rows)  # each row's own category


def test_a_synthesizer_target_steers_dpctgan_and_is_saved_with_the_model(tmp_path):
    from synthrecords import Synthesizer

    rng = np.random.default_rng(0)
    data = table(600).assign(score=rng.integers(0, 100, 600), tier=rng.choice(["x", "y"], 600))
    synth = Synthesizer(epsilon=3.0, model="dpctgan", target="segment", epochs=1, seed=0, nlp_model=None).fit(data)
    assert synth.engine_.codec_.focus == "segment" and synth.engine_.codec_.focus_share == 0.5
    assert "target's 5 tables with weight 1.41" in next(e.detail for e in synth.ledger_.entries if e.stage == "pairs")
    synth.save(tmp_path / "model")
    again = Synthesizer.load(tmp_path / "model")
    assert again.engine_.target == "segment" and again.engine_.codec_.focus == "segment"


@pytest.mark.parametrize("seed", [0, 1])
def test_sampling_one_target_class_gives_that_class_s_other_columns(seed):
    # income is 10,000 higher in segment "a" than in "b". Conditioned samples carry 50-65 %
    # of that at epsilon 3 (pair tables group income coarsely; fresh noise each run); a
    # model whose condition did not reach the other columns would show none of it.
    data = table(3000, seed=seed)
    engine, _, _ = fit(data, epsilon=3.0, epochs=3, seed=seed, target="segment")
    a = engine.sample(2000, seed=seed, conditions={"segment": "a"}).income.mean()
    b = engine.sample(2000, seed=seed, conditions={"segment": "b"}).income.mean()
    real = data.income[data.segment == "a"].mean() - data.income[data.segment == "b"].mean()
    assert a - b > 0.3 * real


def test_pair_loss_vanishes_on_rows_that_match_the_tables_and_not_on_independent_ones():
    codec, encoded, _ = _codec_and_rows()
    pairs = PairTables(codec)
    pairs.measure(encoded, PrivacyLedger(), 0.5, torch.Generator().manual_seed(0))  # no DP: exact tables
    real = torch.from_numpy(encoded)
    probs = torch.cat([real[:, c.start:c.start + c.size] for c in codec.columns], dim=1)
    shuffled = torch.cat([real[torch.randperm(len(real)), c.start:c.start + c.size] for c in codec.columns], dim=1)
    assert pairs.loss(probs) < 1e-5
    assert pairs.loss(shuffled) > 10 * pairs.loss(probs) + 1e-3


def test_class_loss_vanishes_on_each_class_s_real_rows_and_not_on_rows_that_ignore_the_class():
    codec, encoded, data = _codec_and_rows(3000)
    codec.focus, codec.focus_share = "segment", 0.5
    pairs = PairTables(codec, "segment", 0.5)
    pairs.measure(encoded, PrivacyLedger(), 0.5, torch.Generator().manual_seed(0))  # no DP: exact tables
    real = torch.from_numpy(encoded)
    probs = torch.cat([real[:, c.start:c.start + c.size] for c in codec.columns], dim=1)
    segment = codec.columns[0]
    classes = torch.as_tensor(pd.Index(segment.categories).get_indexer(data.segment))
    assert pairs.class_loss(probs, classes) < 1e-5
    # the same rows with their classes shuffled: right marginals, but no class relation
    assert pairs.class_loss(probs, classes[torch.randperm(len(classes))]) > 1e-3
    cond, slot, cls = codec.class_cond(3000, torch.Generator().manual_seed(1))
    assert torch.bincount(cls).min() > 900  # rare classes as often as common ones
    assert (cond.argmax(dim=1) == segment.cond_start + cls).all() and (slot == segment.start + cls).all()


def test_the_generator_step_with_a_target_takes_no_real_rows_either():
    codec = TableCodec.from_domain(release_domain(table(), PrivacyLedger(2.0, 1e-4), noise_seed=0))
    codec.focus, codec.focus_share = "segment", 0.5
    rng = torch.Generator().manual_seed(0)
    d, *_ = _private(codec, torch.from_numpy(codec.encode(table())), rng)
    pairs = PairTables(codec, "segment", 0.5)
    pairs.measure(codec.encode(table()), PrivacyLedger(2.0, 1e-4), 0.5, rng)
    assert pairs.conditional is not None and "rows" not in inspect.signature(pairs.class_loss).parameters
    generator = Generator(16 + codec.cond_dim, (32, 32), codec.data_dim)
    generator_step(generator, torch.optim.Adam(generator.parameters()), d, codec, 64, 16, rng, 1.0, pairs, 20.0)
    assert all(p.grad is None and p.requires_grad for p in d.parameters())


def test_marginal_loss_vanishes_at_the_released_marginals():
    codec = TableCodec.from_domain(HAND_DOMAIN)
    target = torch.log(torch.as_tensor(np.concatenate([c.marginal() for c in codec.columns]), dtype=torch.float32))
    raw = torch.zeros(4, codec.data_dim)
    slots = np.concatenate([np.arange(c.start, c.start + c.size) for c in codec.columns])
    raw[:, slots] = target.clamp_min(-60)
    assert codec.marginal_loss(raw) < 1e-6
    assert codec.marginal_loss(torch.zeros(4, codec.data_dim)) > 0.01


def test_released_marginals_never_give_mass_to_other():
    codec = TableCodec.from_domain(HAND_DOMAIN)
    cat = codec.columns[0]
    assert cat.marginal()[3] == 0.0 and cat.marginal().sum() == pytest.approx(1.0)


# -- empirical audit ----------------------------------------------------------------------
@pytest.mark.slow
def test_membership_inference_is_near_chance_at_epsilon_one_and_not_without_dp():
    """Loss-threshold attack (the discriminator's logit, white-box) and distance to the
    closest synthetic record (black-box) on 100 members vs 100 non-members. Without DP the
    same training overfits and the discriminator's logit gives members away."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    data = pd.DataFrame({f"x{i}": rng.normal(100, 20, 200).round(1) for i in range(8)})
    data["c"] = rng.choice(list("abcd"), 200)
    members, others = data.iloc[:100].reset_index(drop=True), data.iloc[100:].reset_index(drop=True)
    public = {**{f"x{i}": {"lower": 0, "upper": 200} for i in range(8)}, "c": {"categories": list("abcd")}}
    labels = np.r_[np.ones(100), np.zeros(100)]
    aucs = {}
    for epsilon in (1.0, None):
        ledger = PrivacyLedger(1.0, default_delta(100))
        domain = release_domain(members, ledger, public=public)
        # 300 epochs: the most that fit at epsilon 1 on 100 rows once the pair tables took their share
        engine = DPCTGANEngine(epochs=300, batch_size=50, embedding_dim=32, generator_dim=(128, 128),
                               discriminator_dim=(256, 256))
        engine.fit(members, domain, ledger if epsilon else PrivacyLedger(), seed=0)
        aucs[epsilon] = [roc_auc_score(labels, np.r_[attack(engine, members), attack(engine, others)])
                         for attack in (_discriminator_logit, _closeness_to_synthetic)]
    assert all(abs(auc - 0.5) < 0.1 for auc in aucs[1.0]), aucs
    assert aucs[None][0] > 0.6, aucs  # the attack has power where there is no DP


def _discriminator_logit(engine: DPCTGANEngine, frame: pd.DataFrame) -> np.ndarray:
    rows = torch.from_numpy(engine.codec_.encode(frame))
    cond = engine.codec_.real_cond(rows, torch.Generator().manual_seed(0))
    with torch.no_grad():
        return engine.discriminator_(torch.cat([rows, cond], 1)).squeeze(1).numpy()


def _closeness_to_synthetic(engine: DPCTGANEngine, frame: pd.DataFrame) -> np.ndarray:
    synth = engine.codec_.encode(engine.sample(2000, seed=0))
    enc = engine.codec_.encode(frame)
    return -np.min(((enc[:, None, :] - synth[None, :, :]) ** 2).sum(-1), axis=1)


def test_fitting_leaves_torch_thread_setting_as_it_was():
    before = torch.get_num_threads()
    fit(table(300), epochs=1, threads=1)
    assert torch.get_num_threads() == before
