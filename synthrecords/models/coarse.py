"""Coarser cells for the target's marginals: adjacent bins of a number measured as one cell.

A rare target's rows are few (3 % of 4,000 is ~120), and spread over a number's ~24 bins
they leave ~5 rows per cell against a noise std of ~10 per count: the measurement drowns
what predicts the target. Measuring the same marginal over a few groups of adjacent bins
puts ~20 rows in a cell for the same noise (one record still adds 1 to one cell: the
sensitivity and the ledger entry are unchanged). The model keeps its full grid; inside a
group it follows the column's own 1-way marginal.

The groups come from the released domain only: each ranged column's bins are cut into
groups of about equal released mass (``codec`` frequencies are the domain release's noisy
shares: post-processing); null stays its own group, categorical columns keep every slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .codec import TableCodec

if TYPE_CHECKING:
    from .cliques import CliqueModel

Clique = tuple[str, ...]
TARGET_BINS = 6  # groups per number in the target's marginals: ~20 rare-class rows per cell on the demo


def bin_groups(codec: TableCodec, k: int = TARGET_BINS) -> dict[str, np.ndarray]:
    """Per ranged column with more than ``k`` bins: each slot's group (adjacent bins of about
    equal released mass; null last, alone). Public: reads the released domain only."""
    out = {}
    for c in codec.columns:
        n = c.size - 1
        if not c.ranged or n <= k:
            continue
        shares = np.asarray(c.frequencies if c.frequencies and len(c.frequencies) == n else [1.0] * n, dtype=float)
        shares = np.clip(shares, 0, None) + 1e-9
        middle = (np.cumsum(shares) - shares / 2) / shares.sum()  # each bin's mass midpoint in (0, 1)
        _, group = np.unique(np.minimum((middle * k).astype(int), k - 1), return_inverse=True)
        out[c.name] = np.append(group, group.max() + 1)  # the null slot
    return out


def cell_groups(clique: Clique, sizes: dict[str, int], groups: dict[str, np.ndarray],
                live: dict[str, np.ndarray] | None = None) -> tuple[int, ...] | None:
    """Each cell of ``clique``'s marginal (C order): its coarse cell, or None when no
    attribute of the clique is coarsened. With ``live`` (per column, the slots a measurement
    covers: ``slots.measured_slots``), a cell on another slot is in no group (-1)."""
    if not any(a in groups for a in clique):
        return None
    per = [_live_groups(groups.get(a, np.arange(sizes[a])), (live or {}).get(a)) for a in clique]
    shape = [int(g.max()) + 1 for g in per]
    grid = np.meshgrid(*per, indexing="ij")
    index = np.ravel_multi_index([np.maximum(g, 0) for g in grid], shape)
    return tuple(int(i) for i in np.where(np.any([g < 0 for g in grid], axis=0), -1, index).ravel())


def _live_groups(group: np.ndarray, live: np.ndarray | None) -> np.ndarray:
    """A column's groups numbered over its live slots only (-1 elsewhere)."""
    if live is None:
        return np.asarray(group)
    kept = np.where(live, group, -1)
    _, renumbered = np.unique(kept[live], return_inverse=True)
    kept[live] = renumbered
    return kept


def covered(cells: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Which fine cells a coarse measurement covers, and their groups (a cell in no group is -1)."""
    groups = np.asarray(cells)
    kept = groups >= 0
    return kept, groups[kept]


def coarsen(counts: np.ndarray, cells: tuple[int, ...]) -> np.ndarray:
    """Counts of fine cells summed into their coarse cells (a cell in no group, -1, left out)."""
    kept, groups = covered(cells)
    return np.bincount(groups, weights=np.asarray(counts)[kept], minlength=max(cells) + 1)


def model_counts(model: CliqueModel, clique: Clique, total: float, cells: tuple[int, ...] | None) -> np.ndarray:
    """The model's counts on ``clique``'s cells, summed into coarse cells when it has them."""
    fitted = total * model.marginal(clique).ravel()
    return fitted if cells is None else coarsen(fitted, cells)


@dataclass(frozen=True)
class GroupQuery:
    """mbi's query for a coarse measurement: the marginal's cells summed by group (segment_sum
    drops a cell in no group, -1)."""

    cells: tuple[int, ...]

    def __call__(self, factor):
        import jax

        return jax.ops.segment_sum(factor.datavector(), np.asarray(self.cells), num_segments=max(self.cells) + 1)

    def op_norm_sq(self) -> float:  # the largest group: ||Q||^2 of a 0/1 matrix with one 1 per column
        return float(np.bincount(covered(self.cells)[1]).max())
