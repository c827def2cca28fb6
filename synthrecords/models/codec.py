"""Encoders for the DP GAN, fitted on the released domain only (never on real rows).

A DP stand-in for CTGAN's mode-specific normalisation (which fits a Gaussian mixture on
the real values, and so leaks): a numeric or date column becomes a one-hot over the bins
of its released histogram plus an in-bin offset in [-1, 1]; a categorical column a
one-hot over its released categories plus an "other" slot (real values that were not
released) that is never emitted. A real value that was not released but whose generalised
value was ("221**" for postcode 22109, "*" for any value; see ``privacy.hierarchy``) is
encoded as that released category, so training sees the same granularity sampling emits. Every column has a null slot, emitted only when the
domain is nullable. The conditional vector covers released categories and histogram
bins, drawn for fake rows from the released (noisy) frequencies.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from ..domain import Domain
from ..errors import SynthRecordsError
from ..privacy import hierarchy as hier
from ..privacy.grids import bounds_in_days, from_days, to_days

EQUAL_WIDTH_BINS = 10  # bins for a column whose domain carries no released histogram


@dataclass
class ColumnCodec:
    name: str
    kind: str
    start: int  # first slot of the one-hot in the encoded row
    size: int  # one-hot size: categories + other + null, or bins + null
    categories: list[Any] | None = None
    edges: list[float] | None = None
    frequencies: list[float] | None = None
    nullable: bool = False
    lower: Any = None
    upper: Any = None
    integer: bool = False
    decimals: int | None = None
    datetime_format: str | None = None
    cond_start: int = -1  # first slot in the conditional vector; -1: not conditioned on
    null_share: float = 0.0  # released share of nulls (0 unless nullable)
    hierarchy: dict[str, Any] | None = None  # the domain's generalisation levels and width

    @property
    def ranged(self) -> bool:
        return self.kind in ("numerical", "datetime")

    @property
    def width(self) -> int:  # one-hot plus the offset of ranged columns
        return self.size + self.ranged

    @property
    def n_cond(self) -> int:  # condition slots: released categories, or the bins
        return self.value_slots if self.cond_start >= 0 else 0

    @property
    def value_slots(self) -> int:
        """Slots that hold values: a ranged column's bins, a categorical one's released categories."""
        return self.size - 1 if self.ranged else self.size - 2

    @property
    def null_slot(self) -> int:
        return self.size - 1

    @property
    def other_slot(self) -> int:
        """A categorical column's slot for values the domain did not release (ranged: none)."""
        return self.size - 2

    def marginal(self) -> np.ndarray:
        """Released distribution over the one-hot slots ("other" gets nothing)."""
        out = np.zeros(self.size)
        n = self.value_slots
        if n and self.frequencies:
            out[:n] = np.asarray(self.frequencies, dtype=float) * (1 - self.null_share)
        out[self.null_slot] += self.null_share if n else 1.0
        return out / out.sum()

    @property
    def emittable(self) -> np.ndarray:
        """Which one-hot slots sampling may emit: never "other", null only when nullable."""
        ok = np.ones(self.size, dtype=bool)
        if not self.ranged:
            ok[self.other_slot] = False
        ok[self.null_slot] = self.nullable
        if not ok.any():  # nothing released and not nullable: emit null rather than invent
            ok[self.null_slot] = True
        return ok


class TableCodec:
    """Maps a table to the GAN's vectors and back, using nothing but the domain."""

    def __init__(self, columns: list[ColumnCodec], focus: str | None = None, focus_share: float = 0.0) -> None:
        self.columns = columns
        self.data_dim = sum(c.width for c in columns)
        self.conditioned = [c for c in columns if c.cond_start >= 0]
        self.cond_dim = sum(c.n_cond for c in self.conditioned)
        # The target column (``--target``) is the condition of ``focus_share`` of the rows,
        # real and fake alike, instead of 1 / (conditioned columns): the generator then
        # learns the other columns given each target class, which conditional sampling uses.
        self.focus = focus
        self.focus_share = focus_share

    @classmethod
    def from_domain(cls, domain: Domain) -> TableCodec:
        columns, start, cond = [], 0, 0
        for col in domain:
            spec = ColumnCodec(col.name, col.kind, start, 0, nullable=col.nullable, lower=col.lower, upper=col.upper,
                               integer=col.integer, decimals=col.decimals, datetime_format=col.datetime_format,
                               null_share=float((col.histogram or {}).get("null_share", 0.0)) if col.nullable else 0.0)
            if col.kind in ("categorical", "boolean"):
                spec.categories = list(col.categories or [])
                spec.hierarchy = col.hierarchy
                spec.size = len(spec.categories) + 2
                n = len(spec.categories)
                spec.frequencies = list(col.frequencies) if col.frequencies and len(col.frequencies) == n else [1 / max(n, 1)] * n
                if n:
                    spec.cond_start, cond = cond, cond + n
            else:
                spec.edges = _edges(col)
                n = len(spec.edges) - 1 if spec.edges else 0
                spec.size = n + 1
                counts = (col.histogram or {}).get("counts") or []
                total = float(sum(counts)) if len(counts) == n else 0.0
                spec.frequencies = [c / total for c in counts] if total > 0 else [1 / max(n, 1)] * n
                if n > 1:
                    spec.cond_start, cond = cond, cond + n
            columns.append(spec)
            start += spec.width
        return cls(columns)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [asdict(c) for c in self.columns], "focus": self.focus, "focus_share": self.focus_share}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableCodec:
        return cls([ColumnCodec(**c) for c in data["columns"]], data.get("focus"), data.get("focus_share", 0.0))

    def observe_frequencies(self, encoded: np.ndarray) -> None:
        """Condition frequencies read off encoded real rows: only for training without DP."""
        for c in self.columns:
            n = c.value_slots
            counts = encoded[:, c.start:c.start + n].sum(axis=0)
            if counts.sum() > 0:
                c.frequencies = [float(f) for f in counts / counts.sum()]
            c.null_share = float(encoded[:, c.start + c.null_slot].mean()) if len(encoded) else 0.0

    def spans(self) -> list[tuple[int, int, str]]:
        """(start, size, activation) of each block of the encoded row."""
        out = []
        for c in self.columns:
            out.append((c.start, c.size, "softmax"))
            if c.ranged:
                out.append((c.start + c.size, 1, "tanh"))
        return out

    # -- rows -> vectors ---------------------------------------------------------------
    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """One-hot + offsets of each row; values outside the domain go to "other" or the end bins."""
        out = np.zeros((len(data), self.data_dim), dtype=np.float32)
        rows = np.arange(len(data))
        for c in self.columns:
            series = data[c.name].reset_index(drop=True)
            null = series.isna().to_numpy()
            if not c.ranged:
                if c.hierarchy or hier.OTHER_LABEL in c.categories:  # generalised value, or "*"
                    levels = (c.hierarchy or {}).get("levels")
                    series = hier.released(series, c.categories, levels, (c.hierarchy or {}).get("width"))
                slot = pd.Index(c.categories, dtype=object).get_indexer(series.astype(object))
                slot = np.where(null, c.null_slot, np.where(slot < 0, len(c.categories), slot))  # -1: "other"
                out[rows, c.start + slot] = 1.0
                continue
            if not c.edges:
                out[rows, c.start + c.null_slot] = 1.0
                continue
            x = self._numbers(series, c)
            null = null | np.isnan(x)
            x = np.nan_to_num(x)
            edges = np.asarray(c.edges)
            bins = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
            lo, hi = edges[bins], edges[bins + 1]
            offset = np.clip(2 * (x - lo) / (hi - lo) - 1, -1, 1)
            slot = np.where(null, c.null_slot, bins)
            out[rows, c.start + slot] = 1.0
            out[:, c.start + c.size] = np.where(null, 0.0, offset)
        return out

    @staticmethod
    def _numbers(series: pd.Series, c: ColumnCodec) -> np.ndarray:
        if c.kind == "numerical":
            return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        stamps = series if pd.api.types.is_datetime64_any_dtype(series) else \
            pd.to_datetime(series, format=c.datetime_format, errors="coerce")
        return to_days(stamps).to_numpy(dtype=float)

    def slot_probs(self, raw: torch.Tensor) -> torch.Tensor:
        """Softmax of every one-hot block, side by side (offsets left out): ``[rows, slots]``
        in the order of ``slot_index()``."""
        return torch.cat([torch.softmax(raw[:, c.start:c.start + c.size], dim=1) for c in self.columns], dim=1)

    def slot_index(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Positions of the one-hot slots in an encoded row, and the column owning each."""
        if getattr(self, "_slot_index", None) is None:
            slots = np.concatenate([np.arange(c.start, c.start + c.size) for c in self.columns])
            owner = np.concatenate([[i] * c.size for i, c in enumerate(self.columns)])
            self._slot_index = torch.as_tensor(slots), torch.as_tensor(owner)
        return self._slot_index

    def marginal_loss(self, raw: torch.Tensor, probs: torch.Tensor | None = None) -> torch.Tensor:
        """KL from the released one-way distributions to the batch's mean slot probabilities.

        Free under DP: it compares the generator's output with released statistics only.
        Fake conditions are drawn from the same released frequencies, so a generator that
        honours them and matches this loss reproduces every released marginal."""
        t = torch.as_tensor(np.concatenate([c.marginal() for c in self.columns]), dtype=torch.float32,
                            device=raw.device)
        mean = (self.slot_probs(raw) if probs is None else probs).mean(dim=0)
        return (t * (torch.log(t.clamp_min(1e-12)) - torch.log(mean.clamp_min(1e-12)))).sum() / len(self.columns)

    # -- generator output -> rows ------------------------------------------------------
    def activate(self, raw: torch.Tensor, tau: float = 0.2) -> torch.Tensor:
        """CTGAN's output activations: Gumbel-softmax per one-hot, tanh per offset. (A loop
        over blocks: measured faster than one vectorised block softmax with index ops.)"""
        parts = []
        for start, size, act in self.spans():
            block = raw[:, start:start + size]
            parts.append(torch.tanh(block) if act == "tanh" else F.gumbel_softmax(block, tau=tau))
        return torch.cat(parts, dim=1)

    @staticmethod
    def _values(c: ColumnCodec, bins: np.ndarray, offset: np.ndarray, null: np.ndarray) -> pd.Series:
        if not c.edges:
            return pd.Series([None] * len(bins), dtype=object)
        edges = np.asarray(c.edges)
        x = edges[bins] + (offset + 1) / 2 * (edges[bins + 1] - edges[bins])
        if c.kind == "datetime":
            lo, hi = bounds_in_days(c.lower, c.upper, c.datetime_format)
            resolution = 86400.0 if "%H" not in c.datetime_format else 1.0  # whole days, or seconds
            x = np.round(np.clip(x, lo, hi) * 86400.0 / resolution) * resolution / 86400.0
            # strftime costs ~2 us a value: format each distinct instant once (a million rows of
            # whole days hold a few thousand), then gather
            instants, index = np.unique(x, return_inverse=True)
            text = from_days(instants).dt.strftime(c.datetime_format).to_numpy(dtype=object)[index.reshape(-1)]
            text[np.asarray(null, dtype=bool)] = None
            return pd.Series(text, dtype=object)
        x = np.clip(x, c.lower, c.upper)
        x = np.round(x) if c.integer else np.round(x, c.decimals if c.decimals is not None else 6)
        series = pd.Series(np.where(null, np.nan, x))
        if c.integer:
            return series.astype("Int64") if null.any() or c.nullable else series.astype("int64")
        return series

    # -- conditional vectors -----------------------------------------------------------
    def _cond_index(self) -> tuple[torch.Tensor, torch.Tensor]:
        """For each cond slot: the encoded-row column it mirrors, and its conditioned column."""
        data_col, owner = [], []
        for j, c in enumerate(self.conditioned):
            data_col += range(c.start, c.start + c.n_cond)
            owner += [j] * c.n_cond
        return torch.tensor(data_col, dtype=torch.long), torch.tensor(owner, dtype=torch.long)

    def column_weights(self) -> torch.Tensor | None:
        """Chance of each conditioned column to be a row's condition; None: all equal."""
        names = [c.name for c in self.conditioned]
        if self.focus not in names or not 0 < self.focus_share < 1 or len(names) < 2:
            return None
        weights = torch.full((len(names),), (1 - self.focus_share) / (len(names) - 1), dtype=torch.float64)
        weights[names.index(self.focus)] = self.focus_share
        return weights

    def real_cond(self, rows: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Each real row's own condition: one of its columns holding a released category,
        at random (``column_weights``), with that category's slot. Reads only the row itself."""
        if not self.cond_dim or not len(rows):
            return rows.new_zeros((len(rows), self.cond_dim))
        data_col, owner = self._cond_index()
        candidate = rows[:, data_col]
        eligible = torch.zeros(len(rows), len(self.conditioned)).index_add_(1, owner, candidate)
        weights = self.column_weights()
        if weights is None:
            score = torch.rand(eligible.shape, generator=generator) * eligible - (1 - eligible)
        else:  # weighted draw among the eligible columns: the largest log(u) / weight wins
            u = torch.rand(eligible.shape, generator=generator, dtype=torch.float64).clamp_min(1e-300)
            score = (torch.log(u) / weights).masked_fill(eligible == 0, -math.inf)
        chosen = score.argmax(dim=1)
        keep = (eligible.sum(dim=1, keepdim=True) > 0).float()
        return candidate * (owner[None, :] == chosen[:, None]).float() * keep

    def fake_cond(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Conditions for fake rows: a conditioned column at random, a category from the
        released frequencies. Returns the vectors and the chosen slot in the encoded row."""
        cond = torch.zeros(n, self.cond_dim)
        if not self.cond_dim:
            return cond, torch.zeros(n, dtype=torch.long)
        width = max(c.n_cond for c in self.conditioned)
        probs = torch.zeros(len(self.conditioned), width, dtype=torch.float64)
        for j, c in enumerate(self.conditioned):
            probs[j, :c.n_cond] = torch.as_tensor(c.frequencies, dtype=torch.float64) + 1e-12
        weights = self.column_weights()
        column = (torch.randint(len(self.conditioned), (n,), generator=generator) if weights is None
                  else torch.multinomial(weights, n, replacement=True, generator=generator))
        slot = torch.multinomial(probs[column], 1, generator=generator).squeeze(1)
        cond_start = torch.tensor([c.cond_start for c in self.conditioned])
        data_start = torch.tensor([c.start for c in self.conditioned])
        cond[torch.arange(n), cond_start[column] + slot] = 1.0
        return cond, data_start[column] + slot

    def class_cond(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """Conditions on the target (``focus``) column, its released classes drawn uniformly,
        so rare classes get as many rows as common ones: the vectors, the chosen slot in the
        encoded row and the class index. None without a conditioned target."""
        c = next((c for c in self.conditioned if c.name == self.focus), None)
        if c is None or not n:
            return None
        cls = torch.randint(c.n_cond, (n,), generator=generator)
        cond = torch.zeros(n, self.cond_dim)
        cond[torch.arange(n), c.cond_start + cls] = 1.0
        return cond, c.start + cls, cls

    def fixed_cond(self, n: int, column: str, value: Any) -> torch.Tensor:
        cond = torch.zeros(n, self.cond_dim)
        c = next(c for c in self.conditioned if c.name == column)
        cond[:, c.cond_start + c.categories.index(value)] = 1.0
        return cond

    def cond_loss(self, raw: torch.Tensor, target: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """CTGAN's conditional loss: cross-entropy of the conditioned column's logits."""
        if not self.cond_dim:
            return raw.new_zeros(())
        starts = torch.tensor([c.start for c in self.columns], device=target.device)
        ends = starts + torch.tensor([c.size for c in self.columns], device=target.device)
        owner = torch.searchsorted(ends, target, right=True)
        loss = raw.new_zeros(())
        for i, c in enumerate(self.columns):
            rows = (owner == i) & (cond.sum(dim=1) > 0)
            if rows.any():
                logits = raw[rows, c.start:c.start + c.size]
                loss = loss + F.cross_entropy(logits, target[rows] - c.start, reduction="sum")
        return loss / len(raw)

    def match(self, column: str, value: Any) -> Any:
        """The released category a user's ``value`` (often text) stands for."""
        c = next((c for c in self.columns if c.name == column), None)
        if c is None:
            raise SynthRecordsError(f"conditions: column {column!r} is not modelled; modelled columns: "
                                    f"{[c.name for c in self.columns]}")
        if c.ranged:
            raise SynthRecordsError(f"conditions: column {column!r} is {c.kind}; only categorical columns can be "
                                    "conditioned on")
        by_text = {str(v): v for v in c.categories}
        if value not in c.categories and str(value) not in by_text:
            raise SynthRecordsError(f"conditions: {column!r} has no category {value!r} in the released domain "
                                    f"(categories: {list(by_text)[:20]}); a category too rare to be released "
                                    "cannot be sampled")
        return value if value in c.categories else by_text[str(value)]


def _edges(col) -> list[float]:
    if col.histogram and col.histogram.get("edges"):
        return [float(e) for e in col.histogram["edges"]]
    if col.lower is None or col.upper is None:
        return []
    if col.kind == "datetime":
        lo, hi = bounds_in_days(col.lower, col.upper, col.datetime_format)
        hi += 1.0
    else:
        lo, hi = float(col.lower), float(col.upper)
    if not hi > lo:
        hi = lo + 1.0
    return [float(e) for e in np.linspace(lo, hi, EQUAL_WIDTH_BINS + 1)]
