"""Measuring marginals: the one reading of real values, and the private round that uses it.

``exact`` is the only function of the ``marginals`` model that reads real values (a marginal's
counts on the public grid). Its answers leave only through ``select_and_measure``: an
exponential mechanism picks a marginal from scores, then discrete Gaussian noise is added to
its counts; both are ledger entries, recorded before they run. Everything else of the model
is post-processing of ``Measured`` values.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ..privacy.ledger import PrivacyLedger
from ..privacy.noise import discrete_gaussian, uniforms
from .cliques import Clique

Key = TypeVar("Key", bound=Hashable)  # a selection's key: a clique, or a ``Grouped`` one
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


@dataclass(frozen=True)
class Grouped:
    """A selection's key for ``clique`` measured on its coarse cells (``coarse.cell_groups``),
    offered beside the same marginal on its fine cells (keyed by the clique itself)."""

    clique: Clique


def clique_of(key: Clique | Grouped) -> Clique:
    return key.clique if isinstance(key, Grouped) else key


def describe(key: Clique | Grouped, cells: int) -> str:
    return f"{' x '.join(clique_of(key))} ({cells} {'coarse ' if isinstance(key, Grouped) else ''}cells)"


def exact(slots: dict[str, np.ndarray], sizes: dict[str, int], clique: Clique) -> np.ndarray:
    """Exact counts of ``clique``'s cells (C order). Reads real values."""
    shape = [sizes[a] for a in clique]
    index = np.ravel_multi_index([slots[a] for a in clique], shape)
    return np.bincount(index, minlength=int(np.prod(shape))).astype(float)


def select_and_measure(scores: dict[Key, float], answers: dict[Key, np.ndarray], eps: float,
                        sensitivity: float, sigma: float, label: str, ledger: PrivacyLedger,
                        rng: np.random.Generator | None,
                        allowed: Callable[[Key], bool] | None = None) -> tuple[Key, np.ndarray]:
    """One private round: pick a marginal by the exponential mechanism, then measure it with
    discrete Gaussian noise; both are recorded in the ledger before they run. ``allowed``
    (public: it may read sizes, never rows) restricts the pick; at least one must pass."""
    ledger.record_exponential("train", epsilon=eps, detail=f"marginals: {label} selection among {len(scores)} "
                                                           f"marginals, score sensitivity {sensitivity:g}")
    cl = exponential(scores, eps, sensitivity, rng, allowed)
    ledger.record("train", noise_multiplier=sigma,
                  detail=f"marginals: {label} measures {describe(cl, answers[cl].size)}, sensitivity 1")
    return cl, answers[cl] + discrete_gaussian(sigma, answers[cl].size, rng)


def exponential(scores: dict[Key, float], eps: float, sensitivity: float,
                 rng: np.random.Generator | None, allowed: Callable[[Key], bool] | None = None) -> Key:
    """The exponential mechanism: P(c) ∝ exp(eps * score(c) / (2 * sensitivity)), drawn as
    the argmax of the scaled scores plus Gumbel noise (uniforms from the OS CSPRNG).

    With ``allowed``, the argmax over the marginals it passes: the exponential mechanism on
    that subset, exactly (Gumbel-max restricted to a subset), with ``allowed`` asked in
    descending order only until one passes. A wide table's size check (a junction tree per
    marginal, 50 ms at 86 columns) then runs a few times a round instead of 3,700 times."""
    keys = list(scores)
    logits = np.array([scores[k] for k in keys]) * eps / (2 * sensitivity)
    u = np.minimum(uniforms(len(keys), rng), 1 - 2.0 ** -53)  # (0, 1): both logs finite
    noisy = logits - np.log(-np.log(u))
    return first_allowed(keys, noisy, allowed)


def first_allowed(keys: list[Key], values: np.ndarray, allowed: Callable[[Key], bool] | None) -> Key:
    """The key of the largest value that ``allowed`` passes (every key without it)."""
    for i in np.argsort(-values, kind="stable"):
        if allowed is None or allowed(keys[i]):
            return keys[i]
    raise ValueError("no marginal passes the check: test that one does before selecting")
