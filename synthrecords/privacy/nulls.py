"""Nulls under DP: every measured column's histogram ends with a null bin.

Whether a column is nullable (unless declared) and the share of nulls are read off that
noisy bin only: post-processing, shared by the categorical and the ranged releases.
"""

from __future__ import annotations

NULLABLE_Z = 3.0  # a null bin this many noise std above zero makes the column nullable


def null_share(noisy_nulls: float, mass: float, nullable: bool) -> float:
    nulls = max(float(noisy_nulls), 0.0) if nullable else 0.0
    return nulls / (nulls + mass) if nulls + mass > 0 else float(nullable)
