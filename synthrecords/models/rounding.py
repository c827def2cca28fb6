"""Whole row counts from shares: what a sampler needs to hit released shares exactly."""

from __future__ import annotations

import numpy as np


def largest_remainder(n: int, weights: np.ndarray) -> np.ndarray:
    """``n`` split in proportion to ``weights`` (non-negative, not all zero) into whole counts
    that sum to ``n``: floors first, the remainders go to the largest fractional parts."""
    weights = np.asarray(weights, dtype=float)
    exact = n * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    counts[np.argsort(-(exact - counts), kind="stable")[: n - counts.sum()]] += 1
    return counts
