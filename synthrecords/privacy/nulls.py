"""Nulls under DP: every measured column's histogram ends with a null bin.

Whether a column is nullable (unless declared) and the share of nulls are read off that
noisy bin only: post-processing, shared by the categorical and the ranged releases.
"""

from __future__ import annotations

# A null bin this many noise std above zero makes the column nullable. At 3 std noise alone made
# ~1 null-free column in 740 nullable (0.22 columns a release over the ten bench tables' 181),
# each with an invented null share of 3+ std (16 % of a 1,000-row table at epsilon 1), and broke
# integer dtypes downstream (CI: test_demo, test_dtypes). At 4 std that is 0.005; the price is
# the null shares between 3 and 4 std that go unreleased (summed over those 181 columns, 0.256 ->
# 0.270 of a column at epsilon 1, 0.120 -> 0.162 at 3; session 23).
NULLABLE_Z = 4.0


def is_nullable(public: dict, noisy_nulls: float, sigma: float) -> bool:
    """As declared (``public["nullable"]``), else whether the noisy null bin clears NULLABLE_Z std."""
    return bool(public.get("nullable", noisy_nulls > NULLABLE_Z * sigma))


def null_share(noisy_nulls: float, mass: float, nullable: bool) -> float:
    nulls = max(float(noisy_nulls), 0.0) if nullable else 0.0
    return nulls / (nulls + mass) if nulls + mass > 0 else float(nullable)
