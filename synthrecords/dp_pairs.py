"""Two-way tables under DP: every pair of columns, coarsely grouped, in one Gaussian mechanism.

A GAN whose discriminator learns under DP-SGD at epsilon ~1 on a few thousand rows sees
mostly noise, and its generator learns the marginals (released with the domain) but
hardly any dependence between columns. This measurement gives the generator the missing
dependence directly, as private-pgm's measure/estimate split does: the real rows are read
once, in ``measure``; the generator's pair loss afterwards compares its output with the
noisy tables only (post-processing).

**Groups.** Each column's one-hot slots are merged into at most ``PAIR_GROUPS`` groups
plus null, from the released domain only: a ranged column's bins by released quantiles,
a categorical column's most frequent released categories one by one and the rest (with
"other") together. **Mechanism.** Each record adds 1 to exactly one cell of each of the
``P = k (k - 1) / 2`` pair tables, so the L2 sensitivity of all tables together is
sqrt(P); Gaussian noise of std ``z * sqrt(P)`` per cell is one ledger entry with noise
multiplier ``z`` (q = 1, one step).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .dp_encoders import TableCodec
from .ledger import LedgerEntry, PrivacyLedger

PAIR_GROUPS = 6  # groups per column besides null: 7 x 7 cells per table at most


class PairTables:
    """Coarse groups of the codec's slots and the pair tables over them."""

    def __init__(self, codec: TableCodec) -> None:
        blocks, owner = [], []
        for i, c in enumerate(codec.columns):
            groups = _groups(c)
            block = np.zeros((c.size, groups.max() + 1), dtype=np.float32)
            block[np.arange(c.size), groups] = 1.0
            blocks.append(block)
            owner += [i] * block.shape[1]
        width = sum(b.shape[1] for b in blocks)
        self.matrix = torch.zeros(sum(b.shape[0] for b in blocks), width)  # slot -> group
        r = g = 0
        for b in blocks:
            self.matrix[r:r + b.shape[0], g:g + b.shape[1]] = torch.from_numpy(b)
            r, g = r + b.shape[0], g + b.shape[1]
        owner = np.asarray(owner)
        self.owner = owner
        self.pairs = len(codec.columns) * (len(codec.columns) - 1) // 2
        self.mask = torch.from_numpy(owner[:, None] < owner[None, :])  # upper pair blocks
        self.slots, _ = codec.slot_index()
        self.target: torch.Tensor | None = None

    def counts(self, encoded: np.ndarray) -> np.ndarray:
        """Exact pair tables of encoded rows (reads real rows: only inside ``measure``)."""
        onehot = torch.from_numpy(encoded)[:, self.slots] @ self.matrix
        return (onehot.T @ onehot).numpy().astype(float)

    def measure(self, encoded: np.ndarray, ledger: PrivacyLedger, share: float, generator: torch.Generator) -> None:
        """Release the tables with noise calibrated to ``share`` of the budget left."""
        exact = self.counts(encoded)
        if ledger.is_private:
            z = calibrate(ledger, share)
            sigma = z * math.sqrt(self.pairs)
            ledger.record("pairs", noise_multiplier=z,
                          detail=f"noisy two-way tables of all {self.pairs} column pairs (at most {PAIR_GROUPS + 1} "
                                 f"groups a column), L2 sensitivity sqrt({self.pairs})")
            noise = torch.randn(exact.shape, generator=generator, dtype=torch.float64).numpy() * sigma
            noise = np.triu(noise, 1)
            exact = exact + noise + noise.T
        # -- post-processing: non-negative, each table normalised on its own --------------
        table = np.clip(exact, 0, None) * self.mask.numpy()
        for i in np.unique(self.owner):
            for j in np.unique(self.owner):
                if i < j:
                    rows, cols = self.owner == i, self.owner == j
                    block = table[np.ix_(rows, cols)]
                    total = block.sum()
                    table[np.ix_(rows, cols)] = block / total if total > 0 else 1.0 / block.size
        self.target = torch.as_tensor(table, dtype=torch.float32)

    def loss(self, probs: torch.Tensor) -> torch.Tensor:
        """Mean KL from the released pair tables to the batch's expected pair tables."""
        if self.target is None or not self.pairs:
            return probs.new_zeros(())
        grouped = probs @ self.matrix
        joint = grouped.T @ grouped / len(probs)
        t = self.target
        kl = t * (torch.log(t.clamp_min(1e-12)) - torch.log(joint.clamp_min(1e-12)))
        return (kl * self.mask).sum() / self.pairs


def _groups(c) -> np.ndarray:
    """Group of each one-hot slot of a column: released data only."""
    groups = np.zeros(c.size, dtype=int)
    freqs = np.asarray(c.frequencies or [], dtype=float)
    if c.ranged:
        n = c.size - 1
        if n:
            cdf = np.cumsum(freqs) - freqs / 2 if len(freqs) == n else (np.arange(n) + 0.5) / n
            groups[:n] = np.minimum((cdf * PAIR_GROUPS).astype(int), PAIR_GROUPS - 1)
            groups[:n] = np.unique(groups[:n], return_inverse=True)[1]
        groups[c.null_slot] = groups[:n].max() + 1 if n else 0
        return groups
    n = c.size - 2
    order = np.argsort(-freqs, kind="stable") if len(freqs) == n else np.arange(n)
    own = order[:PAIR_GROUPS - 1] if n > PAIR_GROUPS else order
    groups[:n] = len(own)  # the rest
    groups[own] = np.arange(len(own))
    groups[n] = len(own)  # "other" goes with the rest
    groups[c.null_slot] = len(own) + 1
    return groups


def calibrate(ledger: PrivacyLedger, share: float) -> float:
    """Noise multiplier with which this release spends ``share`` of the budget left."""
    before = ledger.epsilon_spent()
    goal = before + share * (ledger.epsilon - before)
    spent = lambda z: ledger.epsilon_spent([LedgerEntry("pairs", "gaussian", z)])
    lo, hi = 1e-2, 1e6
    while hi / lo > 1 + 1e-4:
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if spent(mid) > goal else (lo, mid)
    return hi
