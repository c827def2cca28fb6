"""The sample-time form of dpctgan's generator draws from the same distribution as the trained one."""

import numpy as np
import torch
from ctgan.synthesizers.ctgan import Generator

from synthrecords.domain import ColumnDomain, Domain
from synthrecords.models.codec import TableCodec
from synthrecords.models.fast_sampler import FoldedSampler, SlotLayout

DOMAIN = Domain({
    "cat": ColumnDomain("cat", "categorical", categories=["x", "y", 3], nullable=True, source="dp",
                        frequencies=[0.5, 0.3, 0.2]),
    "num": ColumnDomain("num", "numerical", lower=-10.0, upper=250.0, decimals=2, source="dp",
                        histogram={"edges": [-10.0, 0.0, 5.5, 100.0, 250.0], "counts": [1, 2, 3, 4]}),
    "flag": ColumnDomain("flag", "categorical", categories=[True, False], source="dp", frequencies=[0.9, 0.1]),
    "day": ColumnDomain("day", "datetime", lower="2001-01-01", upper="2003-12-31", datetime_format="%Y-%m-%d",
                        nullable=True, source="dp"),
})


def trained_like_generator(codec: TableCodec, embedding_dim: int = 8) -> Generator:
    """A generator with random weights and BatchNorm statistics, in eval mode, as after fit."""
    torch.manual_seed(0)
    generator = Generator(embedding_dim + codec.cond_dim, (16, 12), codec.data_dim)
    for module in generator.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    return generator.eval()


def test_the_folded_generator_computes_what_the_trained_one_does():
    codec = TableCodec.from_domain(DOMAIN)
    generator = trained_like_generator(codec)
    sampler = FoldedSampler(generator, codec, 8)
    noise = torch.randn(500, 8)
    slot = torch.randint(codec.cond_dim + 1, (500,))  # cond_dim: no condition
    onehot = torch.zeros(500, codec.cond_dim + 1).scatter_(1, slot[:, None], 1.0)[:, :codec.cond_dim]
    with torch.no_grad():
        want = sampler.layout.from_codec_layout(generator(torch.cat([noise, onehot], dim=1)))
    got = sampler.forward(noise, slot)
    finite = torch.isfinite(want)
    assert torch.equal(finite, torch.isfinite(got))
    assert torch.allclose(got[finite], want[finite], atol=1e-4)


def test_each_column_s_slot_follows_the_softmax_of_its_emittable_slots():
    codec = TableCodec.from_domain(DOMAIN)
    layout = SlotLayout(codec)
    logits = torch.randn(codec.data_dim)
    slots, _ = layout.draw(layout.from_codec_layout(logits.repeat(200_000, 1)), torch.Generator().manual_seed(0))
    for i, c in enumerate(codec.columns):
        block = logits[c.start:c.start + c.size].masked_fill(torch.as_tensor(~c.emittable), -float("inf"))
        want = torch.softmax(block, dim=0).numpy()
        got = np.bincount(slots[:, i].numpy(), minlength=c.size) / len(slots)
        assert np.abs(got - want).max() < 0.01, c.name
        assert got[~c.emittable].sum() == 0


def test_conditions_are_drawn_as_the_training_sampler_draws_them():
    codec = TableCodec.from_domain(DOMAIN)
    sampler = FoldedSampler(trained_like_generator(codec), codec, 8)
    generator = torch.Generator().manual_seed(0)
    got = np.bincount(sampler.conditions(200_000, generator).numpy(), minlength=codec.cond_dim) / 200_000
    cond, _ = codec.fake_cond(200_000, generator)
    assert np.abs(got - cond.mean(dim=0).numpy()).max() < 0.01


def test_with_a_target_conditions_follow_the_training_sampler_s_weighting():
    codec = TableCodec.from_domain(DOMAIN)
    codec.focus, codec.focus_share = "flag", 0.7
    sampler = FoldedSampler(trained_like_generator(codec), codec, 8)
    generator = torch.Generator().manual_seed(0)
    got = np.bincount(sampler.conditions(200_000, generator).numpy(), minlength=codec.cond_dim) / 200_000
    cond, _ = codec.fake_cond(200_000, generator)
    flag = codec.columns[2]
    assert abs(got[flag.cond_start:flag.cond_start + flag.n_cond].sum() - 0.7) < 0.01
    assert np.abs(got - cond.mean(dim=0).numpy()).max() < 0.01  # the other columns keep their conditions


def test_with_a_target_sampled_rows_hold_its_classes_at_their_released_shares():
    """Rows conditioned on another column make the rare class at the generator's own rate; the
    sampler drops surplus rows and draws the deficit steered, so the shares are the released
    ones (largest remainder), whatever the generator learnt, and the rows are shuffled."""
    codec = TableCodec.from_domain(DOMAIN)
    codec.focus, codec.focus_share = "flag", 0.5
    sampler = FoldedSampler(trained_like_generator(codec), codec, 8)
    free = FoldedSampler(trained_like_generator(codec), codec, 8)
    free.codec = TableCodec.from_domain(DOMAIN)  # no target: the generator's own rate
    n = 5001
    own = free.sample(n, torch.Generator().manual_seed(1)).flag.value_counts()[False]
    rows = sampler.sample(n, torch.Generator().manual_seed(1))
    assert len(rows) == n and rows.flag.value_counts()[False] == 500  # 10 % of 5,001, rounded
    assert abs(own - 500) > 50  # the untrained generator is far from it: the correction did the work
    assert rows.flag.iloc[-600:].value_counts(normalize=True)[False] < 0.5  # steered rows not all last
    assert rows.equals(sampler.sample(n, torch.Generator().manual_seed(1)))  # the seed fixes the rows


def test_a_steered_sample_holds_its_condition_in_every_row():
    codec = TableCodec.from_domain(DOMAIN)
    sampler = FoldedSampler(trained_like_generator(codec), codec, 8)
    slots = sampler.conditions(100, torch.Generator().manual_seed(0), ("flag", False))
    assert set(slots.tolist()) == {codec.columns[2].cond_start + 1}


def test_sampled_rows_stay_inside_the_domain_and_chunks_join_up(monkeypatch):
    from synthrecords.models import fast_sampler as dp_sampler

    monkeypatch.setattr(dp_sampler, "CHUNK", 333)
    codec = TableCodec.from_domain(DOMAIN)
    rows = FoldedSampler(trained_like_generator(codec), codec, 8).sample(1000, torch.Generator().manual_seed(0))
    assert len(rows) == 1000 and list(rows.columns) == ["cat", "num", "flag", "day"]
    assert set(rows.cat.dropna()) <= {"x", "y", 3} and set(rows.flag) <= {True, False}
    assert rows.num.between(-10, 250).all()
    assert rows.day.dropna().between("2001-01-01", "2003-12-31").all()


def test_the_rows_depend_on_the_seed_not_on_the_number_of_workers(monkeypatch):
    from synthrecords.models import fast_sampler as dp_sampler

    monkeypatch.setattr(dp_sampler, "CHUNK", 100)
    codec = TableCodec.from_domain(DOMAIN)
    sampler = FoldedSampler(trained_like_generator(codec), codec, 8)
    one = sampler.sample(1000, torch.Generator().manual_seed(5), workers=1)
    two = sampler.sample(1000, torch.Generator().manual_seed(5), workers=2)
    assert one.equals(two)
    assert not one.equals(sampler.sample(1000, torch.Generator().manual_seed(6), workers=2))


def test_dates_are_formatted_as_each_value_would_be_and_nulls_stay_empty():
    """Dates are formatted once per distinct instant, then gathered: the strings must be those
    of formatting every value on its own, with nulls where the null slot was drawn."""
    from synthrecords.models.codec import ColumnCodec
    from synthrecords.privacy.grids import from_days

    for fmt, edges, lo, hi in (("%Y-%m-%d", [0.0, 3650.0, 20000.0], "1970-01-01", "2030-01-01"),
                               ("%Y-%m-%d %H:%M:%S", [0.0, 1.5, 30.0], "1970-01-01 00:00:00", "1970-03-01 00:00:00")):
        c = ColumnCodec("d", "datetime", 0, 3, edges=edges, lower=lo, upper=hi, datetime_format=fmt, nullable=True)
        rng = np.random.default_rng(0)
        bins, offset = rng.integers(0, 2, 5000), rng.uniform(-1, 1, 5000)
        null = rng.random(5000) < 0.1
        got = TableCodec._values(c, bins, offset, null)
        e = np.asarray(edges)
        x = e[bins] + (offset + 1) / 2 * (e[bins + 1] - e[bins])
        step = 86400.0 if "%H" not in fmt else 1.0
        x = np.round(x * 86400.0 / step) * step / 86400.0
        expected = [None if n else from_days(np.array([v])).dt.strftime(fmt)[0] for v, n in zip(x, null)]
        assert got.tolist() == expected
        assert got.dtype == object and len(set(got.dropna())) > 100
