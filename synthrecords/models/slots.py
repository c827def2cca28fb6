"""A table as integer slots of the released domain, and back: the ``marginals`` model's grid.

The grid is ``codec.TableCodec``'s, built from the released domain only (never from real
rows): a categorical column's slots are its released categories, "other" (values that were
not released) and null; a number or date column's slots are the bins of its released
histogram and null. Real rows are mapped onto the grid with the codec's own encoder (a
value whose generalised form was released, "221**", lands on that form). Decoding draws a
value inside its bin from a uniform offset, as the dpctgan sampler places its offsets,
clipped to the domain's bounds, rounded to its integers, decimals and whole days.
"""

from __future__ import annotations

import math
from collections.abc import Collection

import numpy as np
import pandas as pd

from ..privacy.noise import largest_of_z
from .codec import TableCodec
from .fast_sampler import _column
from .measures import Measured

CHUNK = 50_000  # rows encoded at a time: the one-hot block stays a few hundred MB at most
# A measured marginal's "other" cells of a column must sum above this many std of their noise
# (or its largest cell clear the same odds) for the column's "other" to count as holding real
# rows (``held_other``)
HELD_Z = 4.0


def slot_sizes(codec: TableCodec) -> dict[str, int]:
    return {c.name: c.size for c in codec.columns}


def allowed_slots(codec: TableCodec) -> dict[str, np.ndarray]:
    """The slots sampling may emit per column: never "other", null only when nullable."""
    return {c.name: c.emittable for c in codec.columns}


def measured_slots(codec: TableCodec, declared: Collection[str] = ()) -> dict[str, np.ndarray]:
    """The slots a measured marginal covers per column: all but null where the released
    domain holds none, and but "other" where the labels are ``declared`` and the release found
    no rows outside them (public). The sampler never emits either, so their cells would hold
    noise alone, charged to the selection's score and fitted by the estimator. A column keeps a
    live slot: where nothing was released, ``emittable`` emits null."""
    out = {}
    for c in codec.columns:
        live = np.ones(c.size, dtype=bool)
        live[c.null_slot] = bool(c.emittable[c.null_slot])
        if not c.ranged and c.name in declared:
            live[c.other_slot] = False
        out[c.name] = live
    return out


def latent_slots(codec: TableCodec, columns: Collection[str]) -> dict[str, np.ndarray]:
    """The slots that hold real rows but are never emitted: the "other" of each of ``columns``
    (categorical columns with values the domain did not release). The model draws them and
    replaces them (``cliques.CliqueModel.sample``), so the columns that follow them keep
    their shares."""
    out = {}
    for c in codec.columns:
        if not c.ranged and c.name in columns:
            mask = np.zeros(c.size, dtype=bool)
            mask[c.other_slot] = True
            out[c.name] = mask
    return out


def held_other(codec: TableCodec, measurements: list[Measured]) -> list[str]:
    """Categorical columns whose "other" a measured marginal of two or more columns shows real
    rows in (``_holds_rows``: the cells summed by ``HELD_Z`` std of their noise, or the largest
    at the same odds; post-processing). The domain release can judge a column's unreleased
    share to be noise (Caravan's PBROM: its 5 % code 3 cut, the rows the release misses within
    the noise), yet a pair measured later holds those rows in "other" beside another column's
    value (ABROM's 6.7 % ones, all at PBROM 2-5). Masked when sampling, "other" took those rows
    with it: ABROM came out at 0-1 % ones in 2 of 4 fits at epsilon 1 once the pair was
    measured. Drawn inside the tree (``latent_slots``), they keep their shares."""
    columns = {c.name: c for c in codec.columns if not c.ranged}
    sizes = slot_sizes(codec)
    held = set()
    for m in measurements:
        if len(m.clique) < 2 or m.groups is not None:
            continue
        shape = [sizes[a] for a in m.clique]
        for axis, name in enumerate(m.clique):
            if name not in columns or name in held:
                continue
            cells = np.zeros(shape, dtype=bool)
            at = [slice(None)] * len(shape)
            at[axis] = columns[name].other_slot
            cells[tuple(at)] = True
            cells = cells.ravel() if m.slots is None else cells.ravel()[list(m.slots)]
            if cells.any() and _holds_rows(m.y[cells], m.stddev):
                held.add(name)
    return sorted(held)


def _holds_rows(counts: np.ndarray, stddev: float) -> bool:
    """Whether noisy cells hold real rows: their sum above ``HELD_Z`` std of its noise, or their
    largest cell above the same chance of a false alarm (Bonferroni over the cells). Rows in
    "other" sit beside one value of the other column as often as they spread (ABROM's ones
    beside PBROM's "other"), and one full cell among empty ones is lost in the sum of all: at
    epsilon 1 (noise std 44, 4 cells) 324 rows missed the sum's 4 * 44 * 2 = 349 and ABROM
    collapsed in 3 of 7 bench fits; its one cell clears the 4.5 std the largest of 4 needs."""
    counts = np.asarray(counts, dtype=float)
    return (counts.sum() > HELD_Z * stddev * math.sqrt(counts.size)
            or counts.max() > largest_of_z(HELD_Z, counts.size) * stddev)


def to_slots(codec: TableCodec, data: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each column's slot index per row (reads real values: only inside a measurement)."""
    out = {c.name: np.empty(len(data), dtype=np.int64) for c in codec.columns}
    for start in range(0, len(data), CHUNK):
        encoded = codec.encode(data.iloc[start:start + CHUNK])
        for c in codec.columns:
            out[c.name][start:start + len(encoded)] = encoded[:, c.start:c.start + c.size].argmax(axis=1)
    return out


def from_slots(codec: TableCodec, slots: dict[str, np.ndarray], rng: np.random.Generator) -> pd.DataFrame:
    """Rows from drawn slots: categories as released, numbers and dates inside their bins."""
    series = {}
    for c in codec.columns:
        s = np.asarray(slots[c.name])
        offset = rng.uniform(-1.0, 1.0, len(s)) if c.ranged else None
        series[c.name] = _column(c, s, offset)
    return pd.DataFrame(series)
