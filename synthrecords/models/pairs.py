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

**Target.** With a target column (``--target``) its ``k - 1`` tables are measured with weight
``w > 1`` (a record adds ``w`` to one cell of each), the others with weight 1: the L2
sensitivity becomes ``S = sqrt((k - 1) w^2 + P - (k - 1))`` and a table of weight ``w``
carries noise ``z * S / w`` once divided back. ``w`` gives the target's tables
``target_share`` of ``S^2`` (but is never below 1): they are measured more precisely, the
rest less, at the same budget. **Classes.** ``class_loss`` then asks the generator's rows
conditioned on each target class for that class's released distribution of every other
column (a row of each target table): what conditional sampling (oversampling) relies on.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..privacy.ledger import LedgerEntry, PrivacyLedger
from ..privacy.noise import discrete_gaussian
from .classshare import pooled
from .codec import TableCodec

PAIR_GROUPS = 6  # groups per column besides null: 7 x 7 cells per table at most


class PairTables:
    """Coarse groups of the codec's slots and the pair tables over them."""

    def __init__(self, codec: TableCodec, target: str | None = None, target_share: float = 0.0) -> None:
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
        self.k = len(codec.columns)
        self.pairs = self.k * (self.k - 1) // 2
        self.mask = torch.from_numpy(owner[:, None] < owner[None, :])  # upper pair blocks
        self.slots, _ = codec.slot_index()
        self.target: torch.Tensor | None = None
        names, k = [c.name for c in codec.columns], self.k
        self.weight = 1.0  # of the target's tables; every other table has weight 1
        self.cell_weight = np.ones((len(owner), len(owner)))
        if target in names and 0 < target_share < 1 and k > 2:
            # never below 1: with few columns the target's tables are most of the sensitivity already
            self.weight = max(1.0, math.sqrt(target_share / (1 - target_share) * (self.pairs - (k - 1)) / (k - 1)))
            touches = owner == names.index(target)
            self.cell_weight[touches, :] = self.cell_weight[:, touches] = self.weight
        self.sensitivity = math.sqrt((k - 1) * self.weight ** 2 + self.pairs - (k - 1)) if k > 1 else 0.0
        # target class (its index among the column's released categories or bins) -> its group
        self.focus = names.index(target) if target in names else None
        self.class_group: torch.Tensor | None = None
        self.conditional: torch.Tensor | None = None  # [target group, all groups], set by measure
        # each target group's count read from the target's noisy tables, and its noise variance (measure)
        self.class_counts: tuple[np.ndarray, np.ndarray] | None = None
        if self.focus is not None and codec.columns[self.focus].cond_start >= 0:
            first = sum(c.size for c in codec.columns[:self.focus])  # the column's first row in ``matrix``
            c = codec.columns[self.focus]
            groups = self.matrix[first:first + c.n_cond].argmax(dim=1)
            self.class_group = groups - int(np.flatnonzero(owner == self.focus)[0])

    def counts(self, encoded: np.ndarray) -> np.ndarray:
        """Exact pair tables of encoded rows (reads real rows: only inside ``measure``)."""
        onehot = torch.from_numpy(encoded)[:, self.slots] @ self.matrix
        return (onehot.T @ onehot).numpy().astype(float)

    def noisy_counts(self, encoded: np.ndarray, ledger: PrivacyLedger, share: float,
                     generator: torch.Generator | None = None) -> np.ndarray:
        """The pair tables (a symmetric matrix of group x group counts, zero within a column)
        with noise calibrated to ``share`` of the budget left: one ledger entry."""
        exact = self.counts(encoded)
        exact[self.owner[:, None] == self.owner[None, :]] = 0.0  # one-way counts: not part of this release
        if not ledger.is_private:
            return exact
        z = calibrate(ledger, share)
        if self.weight == 1:
            how = f"L2 sensitivity sqrt({self.pairs})"
        else:
            k = self.k
            how = (f"the target's {k - 1} tables with weight {self.weight:.3g}, L2 sensitivity "
                   f"sqrt({k - 1} x {self.weight:.3g}^2 + {self.pairs - (k - 1)}) = {self.sensitivity:.4g}")
        ledger.record("pairs", noise_multiplier=z,
                      detail=f"noisy two-way tables of all {self.pairs} column pairs (at most {PAIR_GROUPS + 1} "
                             f"groups a column), {how}")
        # weight w: a record adds w to its cell, so the table divided by w has noise z * S / w
        sigma = z * self.sensitivity / self.cell_weight
        self.target_std = z * self.sensitivity / self.weight
        # Integer counts get discrete Gaussian noise from secrets (privacy.noise); per-cell sigma
        # z S / w on the unweighted counts is the same mechanism (sum of w^2 / (z S)^2 = 1 / z^2,
        # CKS 2020 Thm 14). A seeded generator is for tests only.
        rng = None if generator is None else np.random.default_rng(int(torch.randint(2 ** 62, (1,), generator=generator)))
        noise = discrete_gaussian(sigma, sigma.size, rng).reshape(exact.shape).astype(float)
        noise = np.triu(noise, 1) * (self.owner[:, None] != self.owner[None, :])
        return exact + noise + noise.T

    def measure(self, encoded: np.ndarray, ledger: PrivacyLedger, share: float,
                generator: torch.Generator | None = None) -> None:
        """Release the tables (``noisy_counts``) and keep them, normalised, as the target."""
        noisy = self.noisy_counts(encoded, ledger, share, generator)
        # -- post-processing: non-negative, each table normalised on its own --------------
        if self.focus is not None and ledger.is_private and self.k > 1:
            self.class_counts = self._class_counts(noisy)
        table = np.clip(noisy, 0, None) * self.mask.numpy()
        for i in range(self.k):
            for j in range(i + 1, self.k):
                rows, cols = self.owner == i, self.owner == j
                block = table[np.ix_(rows, cols)]
                total = block.sum()
                table[np.ix_(rows, cols)] = block / total if total > 0 else 1.0 / block.size
        self.target = torch.as_tensor(table, dtype=torch.float32)
        if self.class_group is not None:
            self.conditional = self._conditional(table + table.T)

    def _class_counts(self, noisy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each target group's count read from the target's noisy tables: a table's row sums (over
        the other column's groups) are an unbiased reading, of noise variance (its groups) x std^2
        and independent between tables; their inverse-variance mean and its variance."""
        mine = self.owner == self.focus
        return pooled([(noisy[np.ix_(mine, self.owner == j)].sum(axis=1),
                        np.full(int(mine.sum()), int((self.owner == j).sum()) * self.target_std ** 2))
                       for j in range(self.k) if j != self.focus])

    def to(self, device: torch.device) -> PairTables:
        """The released tables and the slot grouping on ``device``, where the losses run
        (after ``measure``: counting real rows stays on the CPU)."""
        for name in ("matrix", "mask", "target", "class_group", "conditional"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value.to(device))
        return self

    def _conditional(self, tables: np.ndarray) -> torch.Tensor:
        """Each target group's row of every target table, normalised per column: the released
        distribution of the other columns' groups given the target's group."""
        mine = self.owner == self.focus
        rows = tables[mine].copy()  # [target groups, all groups]; the target's own block is 0
        for j in range(self.k):
            if j != self.focus:
                block = rows[:, self.owner == j]
                total = block.sum(axis=1, keepdims=True)
                rows[:, self.owner == j] = np.where(total > 0, block / np.where(total > 0, total, 1), 1 / block.shape[1])
        return torch.as_tensor(rows, dtype=torch.float32)

    def class_loss(self, probs: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        """Mean KL, over the target groups present and the other columns, from the released
        conditional distributions to those of the rows conditioned on each class."""
        if self.conditional is None or not len(probs):
            return probs.new_zeros(())
        grouped = probs @ self.matrix
        groups = self.class_group[classes]
        loss, present = probs.new_zeros(()), groups.unique()
        for g in present:
            mean = grouped[groups == g].mean(dim=0)
            want = self.conditional[g]
            loss = loss + (want * (torch.log(want.clamp_min(1e-12)) - torch.log(mean.clamp_min(1e-12)))).sum()
        return loss / (len(present) * (self.k - 1))

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
        n = c.value_slots
        if n:
            cdf = np.cumsum(freqs) - freqs / 2 if len(freqs) == n else (np.arange(n) + 0.5) / n
            groups[:n] = np.minimum((cdf * PAIR_GROUPS).astype(int), PAIR_GROUPS - 1)
            groups[:n] = np.unique(groups[:n], return_inverse=True)[1]
        groups[c.null_slot] = groups[:n].max() + 1 if n else 0
        return groups
    n = c.value_slots
    order = np.argsort(-freqs, kind="stable") if len(freqs) == n else np.arange(n)
    own = order[:PAIR_GROUPS - 1] if n > PAIR_GROUPS else order
    groups[:n] = len(own)  # the rest
    groups[own] = np.arange(len(own))
    groups[c.other_slot] = len(own)  # "other" goes with the rest
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
