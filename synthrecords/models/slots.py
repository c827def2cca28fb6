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

from collections.abc import Collection

import numpy as np
import pandas as pd

from .codec import TableCodec
from .fast_sampler import _column

CHUNK = 50_000  # rows encoded at a time: the one-hot block stays a few hundred MB at most


def slot_sizes(codec: TableCodec) -> dict[str, int]:
    return {c.name: c.size for c in codec.columns}


def allowed_slots(codec: TableCodec) -> dict[str, np.ndarray]:
    """The slots sampling may emit per column: never "other", null only when nullable."""
    return {c.name: c.emittable for c in codec.columns}


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
