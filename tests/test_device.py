"""--device auto|cpu|cuda: where torch computes, never what it computes.

CI has no GPU: there ``auto`` must pick the CPU and ``cuda`` must fail with one line naming
the option. Tests parametrised over ``DEVICES`` also run on CUDA where a GPU is present.
"""

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import run_cli
from test_dp_sampler import DOMAIN, trained_like_generator
from test_dpctgan import SMALL, table

from synthrecords.config import JobConfig, load_job
from synthrecords.errors import SynthRecordsError
from synthrecords.models.codec import TableCodec
from synthrecords.models.device import resolve_device, secret_generator
from synthrecords.models.dpctgan import DPCTGANEngine, private_discriminator
from synthrecords.models.fast_sampler import FoldedSampler
from synthrecords.privacy.domain import default_delta, release_domain
from synthrecords.privacy.ledger import PrivacyLedger
from synthrecords.synthesizer import Synthesizer

GPU = torch.cuda.is_available()
DEVICES = ["cpu", *(["cuda"] if GPU else [])]
no_gpu = pytest.mark.skipif(GPU, reason="checks the error a machine without a GPU gives")


def test_auto_picks_cuda_when_present_and_the_cpu_otherwise():
    assert resolve_device("auto").type == ("cuda" if GPU else "cpu")
    assert resolve_device(None) == resolve_device("auto")
    assert resolve_device("CPU") == torch.device("cpu")


@no_gpu
@pytest.mark.parametrize("choice", ["cuda", "cuda:0"])
def test_cuda_without_a_gpu_is_a_clear_error_naming_the_option(choice):
    with pytest.raises(SynthRecordsError, match=r"--device, job key \[model\] device\): torch finds no CUDA GPU"):
        resolve_device(choice)


@pytest.mark.parametrize("choice", ["gpu", "cuda:x", "mps", ""])
def test_an_unknown_device_is_refused_with_the_choices(choice):
    with pytest.raises(SynthRecordsError, match="use auto .*, cpu, or cuda"):
        resolve_device(choice)


def test_the_job_key_is_checked_when_the_job_is_read(tmp_path):
    assert JobConfig().model.device == "auto"
    job = tmp_path / "job.toml"
    job.write_text('[model]\ndevice = "gpu"\n')
    with pytest.raises(SynthRecordsError, match=r"\[model.device\].*device 'gpu': use auto"):
        load_job(job)
    job.write_text('[model]\ndevice = "CUDA:1"\n')
    assert load_job(job).model.device == "cuda:1"


@no_gpu
def test_a_synthesizer_asked_for_cuda_fails_before_reading_the_data():
    data = table(200)
    with pytest.raises(SynthRecordsError, match="no CUDA GPU"):
        # a column the scan would choke on: the device check comes first
        Synthesizer(epsilon=1.0, device="cuda", nlp_model=None).fit(data.assign(bad=[object()] * 200))


@no_gpu
def test_the_cli_fit_with_cuda_and_no_gpu_fails_in_one_line_and_writes_nothing(small_csv, tmp_path):
    proc = run_cli("fit", small_csv, "--out", tmp_path / "model", "--epsilon", "1", "--device", "cuda", check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: device 'cuda' (--device")
    assert not (tmp_path / "model").exists()


def test_the_cli_names_the_option_for_a_bad_device(small_csv, tmp_path):
    proc = run_cli("fit", small_csv, "--out", tmp_path / "model", "--device", "gpu", check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: options: --device (job key model.device):")
    assert "use auto" in proc.stderr and proc.stderr.count("\n") == 1


def test_the_secret_generator_lives_on_the_device_and_is_not_reproducible():
    for device in DEVICES:
        g = secret_generator(torch.device(device))
        assert g.device.type == device
        assert torch.rand(4, generator=g, device=device).tolist() != torch.rand(
            4, generator=secret_generator(torch.device(device)), device=device).tolist()


@pytest.mark.parametrize("device", DEVICES)
def test_opacus_draws_the_noise_from_the_generator_on_the_device_and_samples_rows_on_the_cpu(device):
    rows = torch.rand(300, 6)
    module = torch.nn.Linear(6, 1).to(device)
    sampling, noise = torch.Generator().manual_seed(1), secret_generator(torch.device(device), 2)
    _, optimizer, _, loader, _ = private_discriminator(
        module, torch.optim.SGD(module.parameters(), lr=0.1), rows, batch_size=100, noise_multiplier=1.0,
        max_grad_norm=1.0, generator=sampling, noise_generator=noise)
    assert optimizer.generator is noise
    assert loader.batch_sampler.generator is sampling


@pytest.mark.parametrize("device", DEVICES)
def test_the_sampler_draws_the_same_rows_for_a_seed_on_every_device(device):
    codec = TableCodec.from_domain(DOMAIN)
    generator = trained_like_generator(codec)
    want = FoldedSampler(generator, codec, 8).sample(20_000, torch.Generator().manual_seed(5))
    got = FoldedSampler(generator, codec, 8, device).sample(20_000, torch.Generator().manual_seed(5))
    if device == "cpu":
        pd.testing.assert_frame_equal(got, want)
    else:  # rounding may move a draw that sits on the edge of a slot, rarely
        same = (got.astype(str).to_numpy() == want.astype(str).to_numpy()).mean()
        assert same > 0.999


@pytest.fixture(scope="module")
def data():
    return table(800)


def fit(data, device, seed=0):
    ledger = PrivacyLedger(3.0, default_delta(len(data)))
    engine = DPCTGANEngine(epochs=2, device=device, **SMALL)
    engine.fit(data, release_domain(data, ledger), ledger, seed=seed)
    return engine


@pytest.mark.parametrize("device", DEVICES)
def test_dpctgan_fits_on_the_device_and_keeps_its_weights_on_the_cpu(data, device):
    engine = fit(data, device)
    assert {p.device.type for p in engine.generator_.parameters()} == {"cpu"}
    assert {p.device.type for p in engine.discriminator_.parameters()} == {"cpu"}
    out = engine.sample(2000, seed=1)
    assert len(out) == 2000 and set(out.segment.dropna()) <= {"a", "b", "c"}
    # the released one-way statistics are matched on any device
    share = out.segment.value_counts(normalize=True)
    assert abs(share.get("a", 0) - 0.5) < 0.2


def test_the_device_is_a_run_time_choice_not_saved_with_the_model(tmp_path, data):
    synth = Synthesizer(epsilon=3.0, model="dpctgan", epochs=1, seed=0, nlp_model=None, device="cpu").fit(data)
    assert synth.engine_.device == "cpu" and "device" not in synth.params()
    synth.save(tmp_path / "model")
    assert "device" not in (tmp_path / "model" / "engine.json").read_text()
    again = Synthesizer.load(tmp_path / "model", device="cpu")
    pd.testing.assert_frame_equal(again.sample(300, seed=4), synth.sample(300, seed=4))
    assert Synthesizer.load(tmp_path / "model").device == "auto"


@no_gpu
def test_sampling_a_saved_model_with_cuda_and_no_gpu_is_a_clear_error(tmp_path, data):
    Synthesizer(epsilon=3.0, model="dpctgan", epochs=1, seed=0, nlp_model=None).fit(data).save(tmp_path / "model")
    with pytest.raises(SynthRecordsError, match="no CUDA GPU"):
        Synthesizer.load(tmp_path / "model", device="cuda").sample(10)


def test_the_sdv_engines_train_on_the_gpu_only_when_the_device_is_cuda(data):
    from synthrecords.models.train import SDVEngine

    engine = SDVEngine("ctgan", epochs=1)
    engine.device = "cpu"
    ledger = PrivacyLedger(None, None)
    from synthrecords.domain import data_domain

    engine.fit(data.head(100), data_domain(data.head(100)), ledger, seed=0)
    assert engine._params()["enable_gpu"] is False
    assert np.all([p.device.type == "cpu" for p in engine.synthesizer_._model._generator.parameters()])
