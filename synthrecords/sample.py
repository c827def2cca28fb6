"""Stage 6, sample: rows from a fitted engine. Post-processing only: costs no budget.

Oversampling asks for an exact class mix: ``{"fraud_flag": {1: 0.2}}`` yields exactly
20 % of rows with fraud_flag == 1, drawn by conditional sampling, and the other 80 %
drawn unconditionally with those values filtered out (generate-then-filter).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from .domain import Domain
from .errors import SynthRecordsError
from .train import Engine

log = logging.getLogger(__name__)
MAX_ROUNDS = 50  # generate-then-filter gives up after this many batches


def parse_oversample(specs: list[str]) -> dict[str, dict[str, float]]:
    """Parse CLI ``COL=VALUE:SHARE`` items into ``{col: {value: share}}``."""
    mix: dict[str, dict[str, float]] = {}
    for spec in specs:
        column, eq, rest = spec.partition("=")
        value, colon, share = rest.rpartition(":")
        if not (eq and colon and column and value):
            raise SynthRecordsError(f"--oversample {spec!r}: expected COL=VALUE:SHARE, e.g. fraud_flag=1:0.2")
        try:
            mix.setdefault(column, {})[value] = float(share)
        except ValueError:
            raise SynthRecordsError(f"--oversample {spec!r}: share {share!r} is not a number") from None
    return mix


def resolve_mix(mix: dict[str, dict[Any, float]], domain: Domain) -> dict[str, dict[Any, float]]:
    """Map the user's values (often strings) onto the domain's categories, checking shares."""
    resolved: dict[str, dict[Any, float]] = {}
    for column, shares in mix.items():
        if column not in domain.columns:
            raise SynthRecordsError(f"oversample: column {column!r} is not modelled; modelled columns: {domain.names}")
        col = domain[column]
        if col.kind not in ("categorical", "boolean"):
            raise SynthRecordsError(f"oversample: column {column!r} is {col.kind}; only categorical columns can be oversampled")
        by_text = {str(c): c for c in col.categories or []}
        resolved[column] = {}
        for value, share in shares.items():
            if str(value) not in by_text:
                raise SynthRecordsError(
                    f"oversample: {column!r} has no category {value!r} in the released domain "
                    f"(categories: {list(by_text)[:20]}); a category too rare to be released cannot be sampled"
                )
            if not 0 < share < 1:
                raise SynthRecordsError(f"oversample: share for {column}={value} must be in (0, 1), got {share}")
            resolved[column][by_text[str(value)]] = float(share)
        if sum(resolved[column].values()) >= 1:
            raise SynthRecordsError(f"oversample: shares for {column!r} sum to {sum(resolved[column].values()):g}; keep them below 1")
    if len(resolved) > 1:
        raise SynthRecordsError(f"oversample: one column at a time, got {list(resolved)}")
    return resolved


def sample_rows(engine: Engine, n: int, domain: Domain, *, oversample: dict | None = None, seed: int | None = None) -> pd.DataFrame:
    if n <= 0:
        raise SynthRecordsError(f"rows must be a positive number, got {n}")
    mix = resolve_mix(oversample or {}, domain)
    if not mix:
        return engine.sample(n, seed=seed)
    column, shares = next(iter(mix.items()))
    rng = np.random.default_rng(seed)
    parts = []
    for value, share in shares.items():
        k = round(n * share)
        if k:
            parts.append(engine.sample(k, seed=_child(rng), conditions={column: value}))
    parts.append(_sample_excluding(engine, n - sum(len(p) for p in parts), column, set(shares), rng))
    out = pd.concat(parts, ignore_index=True)
    return out.sample(frac=1.0, random_state=_child(rng)).reset_index(drop=True)


def _sample_excluding(engine: Engine, k: int, column: str, excluded: set, rng: np.random.Generator) -> pd.DataFrame:
    kept: list[pd.DataFrame] = []
    have = 0
    for _ in range(MAX_ROUNDS):
        if have >= k:
            break
        batch = engine.sample(max(2 * (k - have), 100), seed=_child(rng))
        batch = batch[~batch[column].isin(excluded)]
        kept.append(batch)
        have += len(batch)
    if have < k:
        raise SynthRecordsError(
            f"oversample: the model rarely produces {column} outside {sorted(excluded, key=str)}; "
            f"got {have} of {k} rows after {MAX_ROUNDS} batches; ask for a larger share"
        )
    return pd.concat(kept, ignore_index=True).head(k)


def _child(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))
