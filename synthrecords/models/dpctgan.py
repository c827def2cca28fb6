"""Stage 5 under DP: ``dpctgan``, a CTGAN-style GAN whose discriminator learns with DP-SGD.

The privacy story, in the order the code follows it:

- Encoders and the conditional sampler come from the released domain (``dp_encoders``);
  the real rows are only encoded with them, row by row.
- Real rows reach the discriminator only through Opacus's Poisson sampler (rate ``q``).
  Every row's gradient is clipped to ``max_grad_norm`` and Gaussian noise of std
  ``sigma * max_grad_norm`` is added to the sum at each step: a subsampled Gaussian
  mechanism ``(sigma, q, steps)``, one ledger entry. ``sigma`` is calibrated against the
  whole ledger (domain release included), so training ends on budget.
- Each discriminator step also sees a *fixed* number of fake rows (the expected batch
  size). Their clipped gradients do not depend on real data; tying their number to the
  sampled real batch would double the sensitivity.
- pac = 1 and a non-saturating BCE loss: no gradient penalty, whose double backward does
  not mix with per-sample gradients.
- The generator learns from the discriminator's verdict on fake rows only; it is never
  wrapped by Opacus and never sees a real tensor: its updates are post-processing.
- At epsilon ~1 on a few thousand rows the DP discriminator's verdict is mostly noise, so
  the generator also matches released statistics (free post-processing): the one-way
  histograms of the domain release and noisy two-way tables of all column pairs
  (``dp_pairs``, one Gaussian mechanism measured before training, ``pair_share`` of the
  budget the domain left). Being free, it takes ``generator_steps`` steps per DP-SGD step.
  Few, large DP-SGD steps (10 epochs, batches of 1000) keep the noise per step low.
- With a target column (``target``, for oversampling) its pair tables are measured more
  precisely, and each generator step also conditions rows on every target class (rare
  ones as often as common ones) and asks them for that class's released distribution of
  the other columns (``PairTables.class_loss``): post-processing too.
- On a GPU (``device``) the same story runs: Poisson sampling stays on the CPU, the noise
  is drawn on the GPU from a secret generator that lives there (``device``).
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from ctgan.synthesizers.ctgan import Discriminator, Generator
from opacus import PrivacyEngine
from scipy.optimize import brentq
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from ..domain import ColumnDomain, Domain, _jsonable
from ..errors import NotFittedError, SynthRecordsError
from ..privacy.ledger import LedgerEntry, PrivacyLedger
from ..privacy.ranges import exact_bins
from ..progress import stage
from .classshare import pooled
from .codec import TableCodec
from .device import module_device, resolve_device, secret_generator
from .fast_sampler import FoldedSampler
from .modelstate import load_state, save_state
from .pairs import PairTables
from .seeding import seed_everything

log = logging.getLogger(__name__)
DEFAULT_EPOCHS = 10  # few, large DP-SGD steps: at epsilon ~1 more steps mean more noise per step
MAX_ROUNDS = 50  # conditional sampling gives up after this many rejected batches


class DPCTGANEngine:
    """CTGAN generator and discriminator; the discriminator is trained with Opacus DP-SGD."""

    private = True

    def __init__(self, name: str = "dpctgan", epochs: int | None = None, *, batch_size: int = 1000,
                 embedding_dim: int = 64, generator_dim: tuple[int, ...] = (128, 128),
                 discriminator_dim: tuple[int, ...] = (128, 128), generator_lr: float = 1e-3,
                 discriminator_lr: float = 1e-3, max_grad_norm: float = 1.0, max_noise_multiplier: float = 50.0,
                 grad_sample_mode: str = "ghost", generator_steps: int = 10, marginal_weight: float = 1.0,
                 pair_share: float = 0.5, pair_weight: float = 20.0, threads: int | None = 1,
                 noise_seed: int | None = None, target: str | None = None, target_share: float = 0.5,
                 target_pair_share: float = 0.5, secure: bool = False, device: str = "auto") -> None:
        self.name = name
        self.epochs = epochs
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.generator_dim = tuple(generator_dim)
        self.discriminator_dim = tuple(discriminator_dim)
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.max_grad_norm = max_grad_norm
        self.max_noise_multiplier = max_noise_multiplier
        self.grad_sample_mode = grad_sample_mode
        self.generator_steps = generator_steps
        self.marginal_weight = marginal_weight
        self.pair_share = pair_share
        self.pair_weight = pair_weight
        self.threads = threads
        self.noise_seed = noise_seed  # tests only: a known noise seed voids the guarantee
        # The column conditional sampling will steer (Synthesizer's ``target``): it is the
        # condition of ``target_share`` of the training rows, and its pair tables get
        # ``target_pair_share`` of the pair mechanism's sensitivity (dp_pairs).
        self.target = target
        self.target_share = target_share
        self.target_pair_share = target_pair_share
        # Opacus secure_mode for DP-SGD's noise and Poisson sampling (see secure_engine)
        self.secure = secure
        # Where fit and sample compute (``device.resolve_device``): a run-time choice, so not
        # in ``_params`` and never saved; the fitted weights are kept on the CPU.
        self.device = device

    def _params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("epochs", "batch_size", "embedding_dim", "generator_dim",
                                               "discriminator_dim", "generator_lr", "discriminator_lr",
                                               "max_grad_norm", "max_noise_multiplier", "grad_sample_mode",
                                               "generator_steps", "marginal_weight", "pair_share",
                                               "pair_weight", "threads", "noise_seed", "target", "target_share",
                                               "target_pair_share", "secure")}

    # -- fit: the only method that reads real rows -------------------------------------
    def fit(self, data: pd.DataFrame, domain: Domain, ledger: PrivacyLedger, *, seed: int | None) -> None:
        # Layers of 128 on batches of 1000 gain little from a second intra-op thread, and on a
        # busy machine spinning threads cost a lot: on the bench machine under load, credit_data
        # took 18 s with one thread and 130-150 s with two. torch's setting is restored after.
        before = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            self._fit(data, domain, ledger, seed=seed)
        finally:
            torch.set_num_threads(before)

    def _fit(self, data: pd.DataFrame, domain: Domain, ledger: PrivacyLedger, *, seed: int | None) -> None:
        missing = [c for c in domain.names if c not in data.columns]
        if missing or not len(data):
            raise SynthRecordsError(f"dpctgan: the data has no rows or lacks the domain's columns {missing}")
        if not 0 <= self.pair_share < 1:
            raise SynthRecordsError(f"dpctgan: pair_share must be in [0, 1), got {self.pair_share}; the default is 0.5")
        for name in ("target_share", "target_pair_share"):
            if not 0 <= getattr(self, name) < 1:
                raise SynthRecordsError(f"dpctgan: {name} must be in [0, 1), got {getattr(self, name)}; the default "
                                        "is 0.5 (0: the target is weighted like any column)")
        device = resolve_device(self.device)  # a missing GPU fails before any real row is read
        seed = secrets.randbits(31) if seed is None else seed
        seed_everything(seed)
        rng = torch.Generator().manual_seed(seed)  # initialisation, fake rows, conditions
        # The mechanism's own randomness (Poisson sampling, gradient noise) must stay secret:
        # a run's seed is public (it is saved with the model), so it never seeds these.
        if self.secure and self.noise_seed is not None:
            raise SynthRecordsError("dpctgan: secure mode draws its noise from the OS and refuses a noise_seed; "
                                    "unset noise_seed (it is for tests only) or secure")
        if self.noise_seed is not None and ledger.is_private:
            log.warning("dpctgan with a fixed noise_seed: reproducible, but no privacy guarantee")
        secret = secret_generator(torch.device("cpu"), self.noise_seed)  # Poisson sampling, pair tables
        # Opacus draws the gradient noise beside the gradients: on a GPU from a generator there
        noise = secret if device.type == "cpu" else secret_generator(device, self.noise_seed)
        if not ledger.is_private:  # no DP: exact bins too (a DP fit's come from its domain release)
            domain = exact_bins(data, domain)
        codec = TableCodec.from_domain(domain)
        if self.target is not None:
            codec.focus, codec.focus_share = self.target, self.target_share
        if not ledger.is_private:
            log.warning("dpctgan without an epsilon: no noise is added and the model has no formal guarantee")
        encoded = codec.encode(data[domain.names])
        if not ledger.is_private:  # no DP: the conditional sampler may read the real frequencies
            codec.observe_frequencies(encoded)
        real = torch.from_numpy(encoded)  # stays on the CPU: the Poisson sampler picks rows there
        pairs = None
        if self.pair_share and len(codec.columns) > 1:  # measured before DP-SGD: it gets what is left
            pairs = PairTables(codec, self.target, self.target_pair_share)
            pairs.measure(encoded, ledger, self.pair_share, secret if self.noise_seed is not None else None)
            pairs.to(device)
            if pairs.class_counts is not None:
                read_classes(codec, domain[self.target], pairs, ledger.rows)

        # Under DP the sample rate, the steps and the fake rows per step come from the released
        # row count (privacy.rowcount): the exact n would differ between neighbours.
        n = ledger.rows if ledger.is_private and ledger.rows else len(real)
        epochs = self.epochs or DEFAULT_EPOCHS
        per_epoch = math.ceil(n / min(self.batch_size, n))
        q, steps = 1.0 / per_epoch, epochs * per_epoch  # the sample rate Opacus derives: 1 / len(loader)
        sigma = calibrate_noise(ledger, sample_rate=q, steps=steps, epochs=epochs, rows=n,
                                max_noise_multiplier=self.max_noise_multiplier) if ledger.is_private else 0.0

        # initialised on the CPU (the seeded global stream), then moved: the same weights on any device
        generator = Generator(self.embedding_dim + codec.cond_dim, self.generator_dim, codec.data_dim).to(device)
        discriminator = Discriminator(codec.data_dim + codec.cond_dim, self.discriminator_dim, pac=1).to(device)
        g_opt = torch.optim.Adam(generator.parameters(), lr=self.generator_lr, betas=(0.5, 0.9), weight_decay=1e-6)
        d_opt = torch.optim.Adam(discriminator.parameters(), lr=self.discriminator_lr, betas=(0.5, 0.9))
        discriminator, d_opt, criterion, loader, engine = private_discriminator(
            discriminator, d_opt, real, batches=per_epoch, noise_multiplier=sigma,
            max_grad_norm=self.max_grad_norm, generator=secret, grad_sample_mode=self.grad_sample_mode,
            noise_generator=noise, secure=self.secure and ledger.is_private)
        if ledger.is_private:
            ledger.record("train", noise_multiplier=sigma, sample_rate=q, steps=steps,
                          detail=f"DP-SGD on the discriminator: {epochs} epochs of {per_epoch} steps at the released "
                                 f"row count, Poisson sampling, "
                                 f"per-sample clipping at {self.max_grad_norm}"
                                 + (f"; {secure_mode_note()}" if self.secure else ""))

        fakes = round(n * q)  # fixed: never the sampled batch's size
        if ledger.is_private and self.noise_seed is None:
            # Dropout draws from torch's global stream once per row of the (secret-sized) batch;
            # the run's seed is public, so under DP that stream is reseeded from the OS here.
            torch.manual_seed(secrets.randbits(63))
        done = 0
        with stage("DP-SGD" if ledger.is_private else "SGD", total=steps, unit="steps") as progress:
            while done < steps:
                for (rows,) in loader:
                    discriminator_step(discriminator, d_opt, criterion, generator, codec, rows, fakes,
                                       self.embedding_dim, rng, secret)
                    for _ in range(self.generator_steps):  # post-processing: as many as help
                        generator_step(generator, g_opt, discriminator, codec, fakes, self.embedding_dim,
                                       rng, self.marginal_weight, pairs, self.pair_weight)
                    done += 1
                    progress.advance()
                    if done == steps:
                        break
        self.codec_ = codec
        self.generator_ = generator.cpu().eval()  # as a loaded model's: sample moves it where it runs
        # In memory only, for membership audits; never saved (sampling needs no discriminator).
        self.discriminator_ = getattr(discriminator, "_module", discriminator).cpu().eval()
        self.privacy_ = {"noise_multiplier": sigma, "sample_rate": q, "steps": steps,
                         "max_grad_norm": self.max_grad_norm, "rows": n, "delta": ledger.delta,
                         "opacus_rdp_epsilon": engine.accountant.get_epsilon(ledger.delta) if ledger.is_private else None}
        log.info("dpctgan: %d steps, noise multiplier %.4g, sample rate %.4g", steps, sigma, q)

    # -- sample: post-processing, no budget --------------------------------------------
    def sample(self, n: int, *, seed: int | None, conditions: dict[str, Any] | None = None) -> pd.DataFrame:
        if not hasattr(self, "generator_"):
            raise NotFittedError("this dpctgan model is not fitted: call fit first or load a saved model")
        if n <= 0:
            raise SynthRecordsError(f"rows must be a positive number, got {n}")
        # One chunk per core that torch may use, each op on one thread (see dp_sampler): the
        # setting is restored after, as in fit.
        workers = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self._sample(n, seed=seed, conditions=conditions, workers=workers)
        finally:
            torch.set_num_threads(workers)

    def _sample(self, n: int, *, seed: int | None, conditions: dict[str, Any] | None, workers: int) -> pd.DataFrame:
        rng = torch.Generator().manual_seed(secrets.randbits(31) if seed is None else seed)
        if not conditions:
            return self._generate(n, rng, workers=workers)
        wanted = {column: self.codec_.match(column, value) for column, value in conditions.items()}
        steer = next(((c, v) for c, v in wanted.items() if any(k.name == c for k in self.codec_.conditioned)), None)
        kept, have = [], 0
        for _ in range(MAX_ROUNDS):
            batch = self._generate(max(2 * (n - have), 100), rng, steer, workers)
            ok = pd.Series(True, index=batch.index)
            for column, value in wanted.items():
                ok &= batch[column].to_numpy(dtype=object) == value
            kept.append(batch[ok])
            have += int(ok.sum())
            if have >= n:
                return pd.concat(kept, ignore_index=True).head(n)
        raise SynthRecordsError(f"conditions {conditions}: the model rarely produces such rows ({have} of {n} after "
                                f"{MAX_ROUNDS} batches); relax the conditions")

    def _generate(self, n: int, rng: torch.Generator, steer: tuple[str, Any] | None = None,
                  workers: int = 1) -> pd.DataFrame:
        # Rebuilt per call (a few small matrix products): never stale after a refit.
        sampler = FoldedSampler(self.generator_, self.codec_, self.embedding_dim, resolve_device(self.device))
        return sampler.sample(n, rng, steer, workers)

    # -- persistence: JSON + safetensors; the discriminator is not kept ---------------
    def save(self, folder: Path) -> None:
        spec = {"engine": self.name, "params": self._params(), "codec": self.codec_.to_dict(), "privacy": self.privacy_}
        (folder / "engine.json").write_text(json.dumps(_jsonable(spec)))
        save_state({"generator": self.generator_.state_dict()}, folder, "dpctgan_state")

    @classmethod
    def load(cls, folder: Path) -> DPCTGANEngine:
        spec = json.loads((folder / "engine.json").read_text())
        engine = cls(spec["engine"], **spec["params"])
        engine.codec_ = TableCodec.from_dict(spec["codec"])
        engine.privacy_ = spec["privacy"]
        generator = Generator(engine.embedding_dim + engine.codec_.cond_dim, engine.generator_dim, engine.codec_.data_dim)
        generator.load_state_dict(load_state(folder, "dpctgan_state")["generator"])
        engine.generator_ = generator.eval()
        return engine


def read_classes(codec: TableCodec, column: ColumnDomain, pairs: PairTables, rows: float | None) -> None:
    """The told target's class frequencies, which the sampler draws its classes at, as the
    inverse-variance mean of the domain's one-way and the target's noisy pair tables (each a
    reading of the class counts: ``PairTables.class_counts``; classshare does the same for
    ``marginals``). Only where each released class has a group of its own in the tables, and the
    release left no share of the column unreleased. Post-processing."""
    spec = next(c for c in codec.columns if c.name == column.name)
    histogram = column.histogram or {}
    n, std = len(spec.categories or []), histogram.get("noise_std")
    groups = pairs.class_group.cpu().numpy()[:n] if pairs.class_group is not None else np.array([])
    if (spec.ranged or not n or not std or not rows or column.unreleased_share() > 0
            or len(set(groups.tolist())) < n or len(groups) < n):
        return
    domain_counts = np.asarray(spec.frequencies, dtype=float) * (1 - spec.null_share) * rows
    pair_counts, pair_variance = pairs.class_counts
    counts, _ = pooled([(domain_counts, np.full(n, std ** 2)), (pair_counts[groups], pair_variance[groups])])
    counts = np.clip(counts, 0, None)
    if counts.sum() > 0:
        spec.frequencies = [float(c) for c in counts / counts.sum()]


def calibrate_noise(ledger: PrivacyLedger, *, sample_rate: float, steps: int, epochs: int, rows: int,
                    max_noise_multiplier: float) -> float:
    """Smallest noise multiplier (to 0.01 %) that keeps the whole ledger within its target."""
    mechanism = "gaussian" if sample_rate >= 1 else "subsampled_gaussian"
    spent = lambda sigma, k=steps: ledger.epsilon_spent([LedgerEntry("train", mechanism, sigma, sample_rate, k)])
    if spent(max_noise_multiplier) > ledger.epsilon:
        raise SynthRecordsError(_too_small(ledger, spent, epochs, rows, steps // epochs, max_noise_multiplier))
    lo = 1e-2
    if spent(lo) <= ledger.epsilon:
        return lo
    # Brent on log(sigma): each evaluation recomputes the RDP curve, slow at large q
    sigma = math.exp(brentq(lambda s: spent(math.exp(s)) - ledger.epsilon, math.log(lo),
                            math.log(max_noise_multiplier), xtol=1e-4))
    while spent(sigma) > ledger.epsilon:  # land on the safe side of the root
        sigma *= 1 + 1e-4
    return sigma


def _too_small(ledger: PrivacyLedger, spent, epochs: int, rows: int, per_epoch: int, limit: float) -> str:
    lo, hi = 0, epochs  # spent grows with epochs: find the most that fit
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if spent(limit, mid * per_epoch) <= ledger.epsilon else (lo, mid)
    advice = f"Use epochs={lo}" if lo else "Fewer epochs do not help"
    needed = spent(limit)
    return (f"epsilon={ledger.epsilon:g} is too small to train dpctgan for {epochs} epochs on {rows} rows: "
            f"what is left after the domain release would need a noise multiplier above {limit:g} "
            f"(max_noise_multiplier), and the model would learn nothing. {advice}, or raise epsilon "
            f"(this training at that noise alone brings the total to {needed:.3g})")


def private_discriminator(module: torch.nn.Module, optimizer: torch.optim.Optimizer, rows: torch.Tensor, *,
                          batch_size: int | None = None, batches: int | None = None, noise_multiplier: float,
                          max_grad_norm: float, generator: torch.Generator, grad_sample_mode: str = "ghost",
                          noise_generator: torch.Generator | None = None, secure: bool = False):
    """Opacus-wrapped discriminator, optimizer and Poisson-sampling loader over ``rows``.

    The sample rate is ``1 / batches`` (under DP ``batches`` comes from the released row
    count), else ``1 / ceil(len(rows) / batch_size)``: Opacus takes it as 1 / len(loader)
    and replaces the loader's batches with its own Poisson sampling.

    ``generator`` drives the Poisson sampling (on the CPU, where ``rows`` are) and, unless
    ``noise_generator`` is given, the noise, which Opacus draws on the module's device: on a
    GPU pass a generator created there. Keep both seeds secret. With ``secure`` Opacus' secure
    mode draws the noise instead (``secure_engine``)."""
    if batches is not None:  # only len(loader) matters: Opacus replaces its batches by Poisson sampling
        loader = DataLoader(TensorDataset(rows), batch_sampler=[[0]] * batches, generator=generator)
    else:
        loader = DataLoader(TensorDataset(rows), batch_size=batch_size, generator=generator)
    criterion = torch.nn.BCEWithLogitsLoss(reduction="sum")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "secure RNG turned off": a seeded generator, as documented
        engine = secure_engine() if secure else PrivacyEngine(accountant="rdp")
        out = engine.make_private(module=module, optimizer=optimizer, data_loader=loader, criterion=criterion,
                                  noise_multiplier=noise_multiplier, max_grad_norm=max_grad_norm,
                                  poisson_sampling=True, loss_reduction="sum",
                                  noise_generator=None if secure else (
                                      generator if noise_generator is None else noise_generator),
                                  grad_sample_mode=grad_sample_mode)
    if len(out) == 4:  # ghost clipping: the loss is wrapped too (two backward passes)
        module, optimizer, criterion, loader = out
    else:
        module, optimizer, loader = out
    return module, optimizer, criterion, loader, engine


def has_csprng() -> bool:
    try:
        import torchcsprng  # noqa: F401
    except ImportError:
        return False
    return True


def secure_mode_note() -> str:
    """What ``secure`` did in this environment, for the ledger entry and the logs."""
    if has_csprng():
        return "Opacus secure_mode (torchcsprng from /dev/urandom, noise robust to floating-point attacks)"
    return ("Opacus secure_mode noise (sum of 4 Gaussians against floating-point attacks) from a torch generator "
            "seeded with 63 bits of OS entropy; torchcsprng is not installed, so the generator itself is not a CSPRNG")


def secure_engine() -> PrivacyEngine:
    """Opacus' secure mode: its floating-point-safe noise (``_generate_noise(secure_mode=True)``:
    four Gaussians summed, after a discarded draw, Mironov-style attacks cost ~2^159) and a
    random device for noise and Poisson sampling. Opacus 1.6 takes the device from
    torchcsprng, which has no build for torch 2.x (archived in 2023): without it we keep the
    secure noise and hand Opacus a torch generator seeded from ``secrets`` (not a CSPRNG:
    Mersenne Twister, though its outputs are never published directly), and say so."""
    if has_csprng():
        return PrivacyEngine(accountant="rdp", secure_mode=True)
    log.warning("secure mode: torchcsprng is not installed (Opacus needs it for a cryptographic generator; it has "
                "no build for torch 2.x); using Opacus' floating-point-safe noise from an OS-seeded torch generator")
    engine = PrivacyEngine(accountant="rdp")
    engine.secure_mode = True  # the optimizer's noise and the loader both follow these two attributes
    engine.secure_rng = torch.Generator().manual_seed(secrets.randbits(63))
    return engine


def discriminator_step(discriminator, optimizer, criterion, generator: torch.nn.Module, codec: TableCodec,
                       rows: torch.Tensor, fakes: int, embedding_dim: int, rng: torch.Generator,
                       secret: torch.Generator | None = None) -> float:
    """One DP-SGD step on real rows (each with its own condition) and ``fakes`` fake rows.

    Rows, conditions and noise are drawn on the CPU (``rng`` is a CPU generator) and moved to
    the models' device. The real rows' conditions come from ``secret`` (default ``rng``): their
    number is the secret batch size, so drawing them from the public stream would shift every
    later draw by it."""
    device = module_device(generator)
    with torch.no_grad():  # fake rows are inputs here: no gradient reaches the generator
        cond, _ = codec.fake_cond(fakes, rng)
        z = torch.cat([torch.randn(fakes, embedding_dim, generator=rng), cond], dim=1).to(device)
        fake = torch.cat([codec.activate(generator(z)), cond.to(device)], dim=1)
    real = torch.cat([rows, codec.real_cond(rows, rng if secret is None else secret)], dim=1).to(device)
    inputs = torch.cat([real, fake])
    labels = torch.cat([torch.ones(len(rows)), torch.zeros(fakes)]).to(device)
    optimizer.zero_grad(set_to_none=True)
    loss = criterion(discriminator(inputs).squeeze(1), labels)
    with warnings.catch_warnings():
        # ghost clipping's first pass differentiates w.r.t. outputs only; torch warns
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        loss.backward()
    optimizer.step()
    return loss.detach().item() / len(inputs)


def generator_step(generator: torch.nn.Module, optimizer: torch.optim.Optimizer, discriminator, codec: TableCodec,
                   n: int, embedding_dim: int, rng: torch.Generator, marginal_weight: float = 1.0,
                   pairs: PairTables | None = None, pair_weight: float = 1.0) -> float:
    """One generator step. It takes no real rows: only the (DP) discriminator's verdict."""
    params = [p for p in discriminator.parameters() if p.requires_grad]  # frozen ones stay frozen
    discriminator.disable_hooks()  # no per-sample gradients, no discriminator update
    for p in params:
        p.requires_grad_(False)
    device = module_device(generator)  # draws on the CPU (``rng``), arithmetic on the device
    try:
        cond, target = (t.to(device) for t in codec.fake_cond(n, rng))
        raw = generator(torch.cat([torch.randn(n, embedding_dim, generator=rng).to(device), cond], dim=1))
        logits = discriminator(torch.cat([codec.activate(raw), cond], dim=1)).squeeze(1)
        loss = F.softplus(-logits).mean() + codec.cond_loss(raw, target, cond)  # -log D(fake): non-saturating
        probs = codec.slot_probs(raw)  # released statistics to match: free post-processing
        loss = loss + marginal_weight * codec.marginal_loss(raw, probs)
        if pairs is not None:
            loss = loss + pair_weight * pairs.loss(probs)
            classes = codec.class_cond(n, rng) if pairs.conditional is not None else None
            if classes is not None:  # rows of every target class, rare ones included
                cond, target, cls = (t.to(device) for t in classes)
                raw = generator(torch.cat([torch.randn(n, embedding_dim, generator=rng).to(device), cond], dim=1))
                loss = loss + codec.cond_loss(raw, target, cond) + pair_weight * pairs.class_loss(codec.slot_probs(raw), cls)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    finally:
        for p in params:
            p.requires_grad_(True)
        discriminator.enable_hooks()
    return loss.detach().item()
