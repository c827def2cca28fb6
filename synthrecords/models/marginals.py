"""Stage 5 under DP: ``marginals``, AIM-style adaptive marginals and a graphical model.

The privacy story, in the order the code follows it:

- The grid is the released domain's (``slots``): categories, "other" and null, histogram
  bins and null; built from the domain only. Real rows are mapped onto it, nothing more.
- The one-way marginals the domain release measured (its noisy category and bin shares)
  are reused as measurements: already in the ledger, they cost nothing more here.
- ``aim.fit_aim`` then spends what the ledger has left: a noisy row count, AIM's
  selection rounds (exponential mechanism) and measurements (Gaussian), each a ledger
  entry recorded before it runs, planned in zCDP so the ledger never passes its target.
- The graphical model (private-pgm's ``mbi``) is post-processing of those measurements;
  it is kept as its junction tree's clique marginals (``cliques.CliqueModel``): plain
  arrays, saved as safetensors + JSON, sampled with NumPy from the run's seed.
- Sampling is post-processing: slots drawn from the model (null only where the domain is
  nullable; "other" drawn inside the tree, then replaced by a released value from its
  clique, ``slots.latent_slots``), decoded to values inside their bins (``slots.from_slots``).
  A condition on one column starts the tree at a clique holding it: exact conditioning.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..domain import ColumnDomain, Domain, _jsonable
from ..errors import NotFittedError, SynthRecordsError
from ..privacy import shared
from ..privacy.ledger import PrivacyLedger
from ..privacy.ranges import exact_bins
from . import aim
from .classshare import target_shares
from .cliques import CliqueModel
from .coarse import bin_groups
from .codec import TableCodec
from .modelstate import load_state, save_state
from .rounding import largest_remainder
from .slots import (
    allowed_slots,
    from_slots,
    held_other,
    latent_slots,
    measured_slots,
    slot_sizes,
    to_slots,
)

log = logging.getLogger(__name__)


class MarginalsEngine:
    """AIM's select-measure-estimate loop under the run's ledger; samples from the fitted model."""

    private = True

    def __init__(self, name: str = "marginals", epochs: int | None = None, *, target: str | None = None,
                 target_share: float = aim.TARGET_SHARE, max_rounds: int = aim.MAX_ROUNDS,
                 max_model_mb: float = aim.MAX_MODEL_MB, max_cells: int = aim.MAX_CELLS,
                 noise_seed: int | None = None) -> None:
        self.name = name
        self.epochs = epochs  # not used: the model has no epochs (kept for the engine protocol)
        self.target = target  # its 3-way marginals join the workload, a rare one's pairs are measured up front
        self.target_share = target_share
        self.max_rounds = max_rounds
        self.max_model_mb = max_model_mb
        self.max_cells = max_cells
        self.noise_seed = noise_seed  # tests only: a known noise seed voids the guarantee
        self.device = "cpu"  # the protocol's run-time choice; this model computes on the CPU

    def _params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("epochs", "target", "target_share", "max_rounds", "max_model_mb",
                                               "max_cells", "noise_seed")}

    # -- fit: the only method that reads real rows -------------------------------------
    def fit(self, data: pd.DataFrame, domain: Domain, ledger: PrivacyLedger, *, seed: int | None) -> None:
        missing = [c for c in domain.names if c not in data.columns]
        if missing or not len(data):
            raise SynthRecordsError(f"marginals: the data has no rows or lacks the domain's columns {missing}")
        if not 0 <= self.target_share < 1:
            raise SynthRecordsError(f"marginals: target_share must be in [0, 1), got {self.target_share}; the "
                                    f"default is {aim.TARGET_SHARE}")
        for name in ("max_rounds", "max_cells"):
            if not int(getattr(self, name)) >= 1:
                raise SynthRecordsError(f"marginals: {name} must be at least 1, got {getattr(self, name)}")
        if self.target is not None and self.target not in domain.names:
            raise SynthRecordsError(f"marginals: target {self.target!r} is not a modelled column; choose one of "
                                    f"{domain.names}")
        if self.noise_seed is not None and ledger.is_private:
            log.warning("marginals with a fixed noise_seed: reproducible, but no privacy guarantee")
        if not ledger.is_private:
            log.warning("marginals without an epsilon: exact marginals, no formal guarantee")
            domain = exact_bins(data, domain)  # no DP: the bins may come from the data too
        codec = TableCodec.from_domain(domain)
        prior = domain_oneways(codec, domain, ledger) if ledger.is_private else []
        rng = None if self.noise_seed is None else np.random.default_rng(self.noise_seed)
        result = aim.fit_aim(to_slots(codec, data[domain.names]), slot_sizes(codec), ledger, target=self.target,
                             prior=prior, rng=rng, target_share=self.target_share, max_rounds=int(self.max_rounds),
                             max_model_mb=self.max_model_mb, max_cells=int(self.max_cells),
                             coarse=bin_groups(codec),
                             live=measured_slots(codec, {c.name for c in domain if c.source == "public"
                                                         and c.unreleased_share() == 0}))
        self.codec_ = codec
        self.model_ = result.model
        # "other" is drawn inside the model only where the release says real rows hold values it
        # did not release, or a measured marginal does (``held_other``); elsewhere the model's
        # "other" cells hold noise alone, and rows drawn through them would follow noise (ISLR
        # Default told the target: TSTR 0.92 -> 0.81-0.89)
        self.latent_ = sorted({c.name for c in domain if c.unreleased_share() > 0}
                              | set(held_other(codec, result.measurements)))
        self.privacy_ = {**aim.summary(result), "reused_oneway": [m.clique[0] for m in prior],
                         "noisy_rows": result.total}
        self.target_shares_ = None  # a told target's classes: read from every measurement holding it
        if self.target is not None and ledger.is_private:  # without DP the domain's one-way is exact
            column = next(c for c in codec.columns if c.name == self.target)
            shares = target_shares(result.measurements, slot_sizes(codec), self.target, column.marginal() > 0)
            self.target_shares_ = None if shares is None else [float(x) for x in shares]
        log.info("marginals: %d rounds in %.1f s, %d cliques", result.rounds, result.seconds, len(result.model.cliques))

    # -- sample: post-processing, no budget --------------------------------------------
    def sample(self, n: int, *, seed: int | None, conditions: dict[str, Any] | None = None) -> pd.DataFrame:
        if not hasattr(self, "model_"):
            raise NotFittedError("this marginals model is not fitted: call fit first or load a saved model")
        if n <= 0:
            raise SynthRecordsError(f"rows must be a positive number, got {n}")
        rng = np.random.default_rng(secrets.randbits(63) if seed is None else seed)
        fixed = {}
        for column, value in (conditions or {}).items():
            released = self.codec_.match(column, value)  # refuses unknown columns, ranges, unreleased values
            fixed[column] = next(c for c in self.codec_.columns if c.name == column).categories.index(released)
        allowed, latent = allowed_slots(self.codec_), latent_slots(self.codec_, self.latent_)
        if self.target is None or fixed:
            return from_slots(self.codec_, self.model_.sample(n, rng, fixed=fixed, allowed=allowed, latent=latent),
                              rng)
        return from_slots(self.codec_, self._at_target_share(n, rng, allowed, latent), rng)

    def _at_target_share(self, n: int, rng: np.random.Generator, allowed: dict[str, np.ndarray],
                         latent: dict[str, np.ndarray]) -> dict:
        """``n`` rows whose target slots come out at their measured shares, exactly (largest
        remainder), each class's rows drawn from the model conditioned on it. The model's own
        estimate of a rare class runs low: on the customers table (3 % fraud, epsilon 3) it
        gave 0.82 of the real share over 4 fits where the domain's released count, unbiased
        noise, gave 1.02. The shares are the inverse-variance mean of every noisy marginal
        holding the target, the domain's one-way among them (``classshare``), or that one-way
        alone in folders saved before them. Post-processing."""
        column = next(c for c in self.codec_.columns if c.name == self.target)
        measured = getattr(self, "target_shares_", None)
        shares = (column.marginal() if measured is None else np.asarray(measured)) * allowed[self.target]
        counts = largest_remainder(n, shares)
        parts = [self.model_.sample(int(k), rng, fixed={self.target: slot}, allowed=allowed, latent=latent)
                 for slot, k in enumerate(counts) if k]
        order = rng.permutation(n)
        return {name: np.concatenate([part[name] for part in parts])[order] for name in parts[0]}

    # -- persistence: JSON + safetensors ------------------------------------------------
    def save(self, folder: Path) -> None:
        spec = {"engine": self.name, "params": self._params(), "codec": self.codec_.to_dict(),
                "model": self.model_.spec(), "privacy": self.privacy_, "latent": self.latent_,
                "target_shares": self.target_shares_}
        (folder / "engine.json").write_text(json.dumps(_jsonable(spec)))
        save_state({"tables": list(self.model_.tables)}, folder, "marginals_state")

    @classmethod
    def load(cls, folder: Path) -> MarginalsEngine:
        spec = json.loads((folder / "engine.json").read_text())
        engine = cls(spec["engine"], **spec["params"])
        engine.codec_ = TableCodec.from_dict(spec["codec"])
        tables = load_state(folder, "marginals_state")["tables"]
        try:
            engine.model_ = CliqueModel.from_spec(spec["model"], [np.asarray(t, dtype=float) for t in tables])
        except (KeyError, TypeError, ValueError) as exc:
            raise SynthRecordsError(f"{folder}: the marginals model does not match its tables ({exc}); the folder "
                                    "was altered; fit the model again") from None
        if set(engine.model_.sizes) != {c.name for c in engine.codec_.columns}:
            raise SynthRecordsError(f"{folder}: the marginals model's columns differ from its codec's; the folder was "
                                    "altered; fit the model again")
        engine.privacy_ = spec.get("privacy", {})
        latent = spec.get("latent", [])  # folders saved before it: "other" masked, as they were sampled
        if not isinstance(latent, list) or not all(isinstance(c, str) and c in engine.model_.sizes for c in latent):
            raise SynthRecordsError(f"{folder}: the marginals model names unknown columns; the folder was altered; "
                                    "fit the model again")
        engine.latent_ = latent
        shares = spec.get("target_shares")  # folders saved before it: the domain's one-way
        target = engine.target
        if shares is not None and not (target in engine.model_.sizes and isinstance(shares, list)
                                       and len(shares) == engine.model_.sizes[target]
                                       and all(isinstance(x, float) and 0 <= x <= 1 for x in shares)
                                       and sum(shares) > 0):
            raise SynthRecordsError(f"{folder}: the marginals model's target shares do not fit its target; the "
                                    "folder was altered; fit the model again")
        engine.target_shares_ = shares
        return engine


def domain_oneways(codec: TableCodec, domain: Domain, ledger: PrivacyLedger) -> list[aim.Measured]:
    """The domain release's noisy one-way shares as measurements on the grid (post-processing).

    The release measured every column and hierarchy level in one Gaussian mechanism, each
    histogram at its own noise std (``privacy.weights``), recorded in the column's released
    ``histogram["noise_std"]``. Domains saved before that record it not: their counts all had
    std ``z * sqrt(histograms)``, ``z`` from this fit's domain entry. A category's count is its
    share times the row count; an encoder bin sums several grid bins, so its noise is larger
    (taken as twice the count's: it only weighs the measurement). Encoder bins that split one
    grid bin carry its count spread evenly, which nobody measured: they are measured as their
    run's total (``ranges.grid_runs``). Taken bin by bin, that even split (wide on the log grid
    without declared bounds) kept the estimator from fitting the pairs the rounds measured, and
    their errors drew the rounds back to them: Default at epsilon 3 without bounds measured
    (default, balance) once and its TSTR fell to 0.42-0.50 (session 23)."""
    # this fit's first domain entry: the one mechanism over every histogram (a second look follows it;
    # the labels several columns share, privacy.shared, come before it)
    entry = next((e for e in ledger.entries if e.stage == "domain" and e.fit == max(ledger.fits, 1)
                  and e.mechanism == "gaussian" and not e.detail.startswith(shared.NAME)), None)
    if entry is None:
        return []
    levels = sum(len((c.hierarchy or {}).get("levels", [])) for c in domain)
    unweighted = entry.noise_multiplier * math.sqrt(len(domain.names) + levels)
    out = []
    for c in codec.columns:
        n = c.value_slots
        if not n or not c.frequencies or len(c.frequencies) != n:
            continue
        # the released categories and null, as shares of all rows: the frequencies leave out the
        # values that were not released ("other"), whose share the release records apart
        kept = 1.0 if c.ranged else _kept_share(domain[c.name], c.null_share)
        shares = np.append(np.asarray(c.frequencies, dtype=float) * (1 - c.null_share), c.null_share) * kept
        # a ranged column's bins and null are all its slots: a plain marginal (no slicing query,
        # fewer small jax programs to compile); a categorical one leaves "other" unmeasured
        slots = None if c.ranged else tuple(range(n)) + (c.null_slot,)
        histogram = domain[c.name].histogram or {}
        sigma = float(histogram.get("noise_std", unweighted))
        # bins that split one grid bin share a run: their total was measured, not the split
        runs = histogram.get("runs") if c.ranged else None
        groups = (*runs, max(runs) + 1) if runs is not None and len(runs) == n and max(runs) + 1 < n else None
        y = shares if groups is None else np.bincount(groups, weights=shares)  # null: a group of its own
        out.append(aim.Measured((c.name,), y, sigma * (2 if c.ranged else 1), slots, groups))
    return out


def _kept_share(column: ColumnDomain, null_share: float) -> float:
    """Share of all rows in the released categories and null. The release gives the share of
    non-null rows it did not release ("other", not emitted) and the null share among the rest;
    measuring the released slots as if they held every row told the model "other" was empty
    while the pairs it measured held it (ISLR Caravan at epsilon 1: 13 % of MSKC's rows hold
    codes the grid did not release). Post-processing of the released shares."""
    share = column.unreleased_share()
    if not 0 < share < 1 or null_share >= 1:
        return 1.0
    # released mass M, nulls N = M s / (1 - s), other O = M o / (1 - o): (M + N) / (M + N + O)
    kept = 1 / (1 - null_share)
    return kept / (kept + share / (1 - share))
