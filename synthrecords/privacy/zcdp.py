"""Plan a zCDP budget inside the RDP ledger.

Mechanisms whose RDP curve is linear in the order (rho-zCDP: RDP(alpha) = alpha * rho) add
up by their rho: a Gaussian measurement of an L2-sensitivity-1 query with noise std sigma
is 1 / (2 sigma^2)-zCDP, an epsilon exponential mechanism epsilon^2 / 8 -zCDP (see
``ledger.LedgerEntry.rdp``). ``rho_left`` finds the largest rho that the ledger, as it
stands, can still take while its one (epsilon, delta) conversion stays within the target,
so a plan whose rhos sum to at most that never meets a refusal from ``record``.
"""

from __future__ import annotations

import math

from .ledger import LedgerEntry, PrivacyLedger

# Planned a hair under the bound: the ledger converts with floating-point sums.
SAFETY = 1 - 1e-6


def gaussian_rho(sigma: float) -> float:
    return 1.0 / (2.0 * sigma ** 2)


def gaussian_sigma(rho: float) -> float:
    return math.sqrt(1.0 / (2.0 * rho))


def exponential_rho(epsilon: float) -> float:
    return epsilon ** 2 / 8.0


def exponential_epsilon(rho: float) -> float:
    return math.sqrt(8.0 * rho)


def rho_left(ledger: PrivacyLedger) -> float:
    """Largest rho whose zCDP curve, composed with every recorded entry, stays within the
    ledger's epsilon target (0 when nothing is left). Reads only the ledger."""
    if not ledger.is_private:
        return 0.0
    fits = lambda rho: ledger.epsilon_spent([LedgerEntry("plan", "gaussian", gaussian_sigma(rho))]) <= ledger.epsilon
    lo, hi = 0.0, 1.0
    while fits(hi):  # epsilon targets above ~10 leave rho above 1
        lo, hi = hi, hi * 4
        if hi > 1e6:
            return lo * SAFETY
    if not fits(1e-12):
        return 0.0
    lo = max(lo, 1e-12)
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        if hi / lo < 1 + 1e-7:
            break
    return lo * SAFETY
