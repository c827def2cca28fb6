"""Discrete Gaussian noise for integer counts, drawn from the operating system's CSPRNG.

Continuous Gaussian noise in float64 leaks through its low-order bits: the set of doubles
``count + N(0, sigma^2)`` can reach depends on ``count`` (Mironov 2012, Jin et al. 2022).
Counts are integers, so they get integer noise instead: the discrete Gaussian
``P(Y = y) ∝ exp(-y^2 / (2 sigma^2))`` on the integers (Canonne, Kamath & Steinke 2020,
"The Discrete Gaussian for Differential Privacy"). The released count is an integer whose
distribution depends on nothing but ``count`` and ``sigma``.

**Accounting.** For an integer-valued query with L2 sensitivity ``Delta``, the discrete
Gaussian with parameter ``sigma`` satisfies ``Delta^2 / (2 sigma^2)``-concentrated DP,
i.e. RDP ``alpha Delta^2 / (2 sigma^2)`` at every order: no more than the continuous
Gaussian at the same sigma (CKS 2020, Theorem 4 for one count). For a vector of ``d``
independent counts (their Theorem 14) the bound gains ``sum_j tau_j`` with
``tau_j = 10 sum_k exp(-2 pi^2 sigma_j^2 k / (k + 1))``, below 1e-16 per cell once
``sigma >= 2``: the ledger keeps treating the release as the Gaussian mechanism, and
``discrete_gaussian`` warns when a sigma is small enough for that slack to matter.

**Sampler.** CKS Algorithm 3: propose ``Y`` from the discrete Laplace with scale
``t = floor(sigma) + 1`` (a difference of two geometric variables) and accept it with
probability ``exp(-(|Y| - sigma^2 / t)^2 / (2 sigma^2))``; fewer than two proposals per
draw on average. It is vectorised over cells: every draw is an array operation, and the
loop only runs again for the cells not yet accepted. Uniforms come from ``secrets``
(os.urandom), 53 bits each; the geometric inversions and acceptance probabilities are
computed in float64, which moves each probability by at most ~2^-52 relative: a total
variation far below any delta we run at, and the output stays an integer.
"""

from __future__ import annotations

import logging
import math
import secrets
from statistics import NormalDist

import numpy as np

log = logging.getLogger(__name__)
SMALL_SIGMA = 2.0  # below this the multivariate slack (tau above) is no longer negligible


def largest_of_z(z: float, cells: int) -> float:
    """The bar (in noise std) the largest of ``cells`` empty noisy cells passes as rarely as one
    passes ``z`` (Bonferroni): a test that reads every cell, not one, keeps its false alarms."""
    return max(z, -NormalDist().inv_cdf(NormalDist().cdf(-z) / max(cells, 1)))


def tail_z(delta: float, k: int) -> float:
    """The bar (in noise std) one value held by a single record passes with probability
    ``delta / k``: each of ``k`` such values gets an equal share of ``delta``."""
    return -NormalDist().inv_cdf(delta / k)


def uniforms(n: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """``n`` uniforms in (0, 1]: from ``secrets`` unless a seeded ``rng`` is given (tests only)."""
    if rng is not None:
        return 1.0 - rng.random(n)
    words = np.frombuffer(secrets.token_bytes(8 * n), dtype=np.uint64)
    return ((words >> np.uint64(11)).astype(np.float64) + 1.0) * 2.0 ** -53


def discrete_gaussian(sigma: float | np.ndarray, size: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """``size`` independent discrete Gaussian draws (int64) with parameter ``sigma`` (a number,
    or one per cell). ``rng`` seeds the draws for tests; a known seed voids the guarantee."""
    sig = np.broadcast_to(np.asarray(sigma, dtype=float).ravel(), (size,)).copy()
    if size and not np.all(np.isfinite(sig) & (sig >= 0)):
        raise ValueError(f"discrete_gaussian: sigma must be finite and non-negative, got {sigma!r}")
    out = np.zeros(size, dtype=np.int64)
    if size == 0:
        return out
    positive = sig > 0
    if positive.any() and sig[positive].min() < SMALL_SIGMA:
        log.warning("discrete Gaussian with sigma %.3g < %g: the ledger's Gaussian accounting leaves out a slack of "
                    "about %.2g in rho per cell (Canonne, Kamath & Steinke 2020, Thm 14)", sig[positive].min(),
                    SMALL_SIGMA, 10 * math.exp(-math.pi ** 2 * sig[positive].min() ** 2))
    todo = np.flatnonzero(positive)
    while len(todo):
        s = sig[todo]
        t = np.floor(s) + 1.0
        log_p = -1.0 / t  # discrete Laplace with scale t: P(Y = y) ∝ exp(-|y| / t)
        u = uniforms(3 * len(todo), rng).reshape(3, -1)
        # geometric G with P(G = g) = (1 - p) p^g by inversion: floor(log U / log p)
        g1 = np.floor(np.log(u[0]) / log_p)
        g2 = np.floor(np.log(u[1]) / log_p)
        y = g1 - g2
        accept = u[2] <= np.exp(-((np.abs(y) - s * s / t) ** 2) / (2.0 * s * s))
        out[todo[accept]] = y[accept].astype(np.int64)
        todo = todo[~accept]
    return out
