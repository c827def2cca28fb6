"""Measuring marginals: the one reading of real values, and the private round that uses it.

``exact`` is the only function of the ``marginals`` model that reads real values (a marginal's
counts on the public grid). Its answers leave only through ``select_and_measure``: an
exponential mechanism picks a marginal from scores, then discrete Gaussian noise is added to
its counts; both are ledger entries, recorded before they run. Everything else of the model
is post-processing of ``Measured`` values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..privacy.ledger import PrivacyLedger
from ..privacy.noise import discrete_gaussian, uniforms
from .cliques import Clique

MEASURE_SHARE = 0.9  # of each round's rho; the rest selects (AIM's split)


@dataclass
class Measured:
    """One noisy marginal (or some of its cells, or its cells summed into groups): counts
    ``y`` over ``slots`` of the clique's cells (None: every cell, in C order), or over the
    groups ``groups`` maps each cell to (``coarse``), each with noise of std ``stddev``."""

    clique: Clique
    y: np.ndarray
    stddev: float
    slots: tuple[int, ...] | None = None
    groups: tuple[int, ...] | None = None


def exact(slots: dict[str, np.ndarray], sizes: dict[str, int], clique: Clique) -> np.ndarray:
    """Exact counts of ``clique``'s cells (C order). Reads real values."""
    shape = [sizes[a] for a in clique]
    index = np.ravel_multi_index([slots[a] for a in clique], shape)
    return np.bincount(index, minlength=int(np.prod(shape))).astype(float)


def select_and_measure(scores: dict[Clique, float], answers: dict[Clique, np.ndarray], eps: float,
                        sensitivity: float, sigma: float, label: str, ledger: PrivacyLedger,
                        rng: np.random.Generator | None) -> tuple[Clique, np.ndarray]:
    """One private round: pick a marginal by the exponential mechanism, then measure it with
    discrete Gaussian noise; both are recorded in the ledger before they run."""
    ledger.record_exponential("train", epsilon=eps, detail=f"marginals: {label} selection among {len(scores)} "
                                                           f"marginals, score sensitivity {sensitivity:g}")
    cl = exponential(scores, eps, sensitivity, rng)
    ledger.record("train", noise_multiplier=sigma,
                  detail=f"marginals: {label} measures {' x '.join(cl)} ({answers[cl].size} cells, sensitivity 1)")
    return cl, answers[cl] + discrete_gaussian(sigma, answers[cl].size, rng)


def exponential(scores: dict[Clique, float], eps: float, sensitivity: float,
                 rng: np.random.Generator | None) -> Clique:
    """The exponential mechanism: P(c) ∝ exp(eps * score(c) / (2 * sensitivity)), drawn as
    the argmax of the scaled scores plus Gumbel noise (uniforms from the OS CSPRNG)."""
    keys = list(scores)
    logits = np.array([scores[k] for k in keys]) * eps / (2 * sensitivity)
    u = np.minimum(uniforms(len(keys), rng), 1 - 2.0 ** -53)  # (0, 1): both logs finite
    gumbel = -np.log(-np.log(u))
    return keys[int(np.argmax(logits + gumbel))]
