"""Target rounds: a rare target's own 2- and 3-way marginals, before AIM's rounds (issue 23).

Where a table has more pairs than rounds and the target is rare (``aim.RARE_TARGET``),
``aim.fit_aim`` measures every (target, column) pair up front; then ``TARGET_ROUNDS`` rounds
spend ``TARGET_ROUND_SHARE`` of what is left on the target's marginals, each chosen by an
exponential mechanism whose score reads only the cells outside the target's majority class
(unweighted: sensitivity 1), and measured on coarse cells (``coarse``). The majority class
is read off the model (the noisy 1-way): public.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np

from ..privacy.ledger import PrivacyLedger
from ..privacy.zcdp import exponential_epsilon, exponential_rho, gaussian_rho, gaussian_sigma
from .cliques import Clique
from .coarse import cell_groups, coarsen, model_counts
from .measures import MEASURE_SHARE, Measured, exact, select_and_measure

if TYPE_CHECKING:
    from .aim import _Estimator

log = logging.getLogger("synthrecords.models.aim")  # the rounds log as the fit they belong to
TARGET_ROUNDS = 3  # rounds on the target's marginals alone, after its pairs
TARGET_ROUND_SHARE = 0.25  # of what is left after the target's pairs, for those rounds


def target_rounds(measurements: list[Measured], estimator: _Estimator, slots: dict[str, np.ndarray],
                   sizes: dict[str, int], ledger: PrivacyLedger, target: str, candidates: dict[Clique, float],
                   coarse: dict[str, np.ndarray], total: float, rho: float, used: float,
                   rng: np.random.Generator | None, iters: int) -> float:
    """``TARGET_ROUNDS`` rounds on the target's 2- and 3-way marginals only, each chosen by an
    exponential mechanism (AIM's score on the coarse cells outside the target's majority class,
    unweighted: sensitivity 1) and
    measured on coarse cells with ``TARGET_ROUND_SHARE`` of what is left, split evenly.
    The up-front pairs spread the budget over every column; these put it where the model
    still misses the target most (on the demo, the few columns fraud depends on). Returns
    the rho used so far."""
    private = ledger.is_private
    pool = {cl: cell_groups(cl, sizes, coarse) for cl in candidates if target in cl and len(cl) > 1}
    if not pool or TARGET_ROUNDS < 1:
        return used
    rho_r = TARGET_ROUND_SHARE * (rho - used) / TARGET_ROUNDS if private else 0.0
    sigma = gaussian_sigma(MEASURE_SHARE * rho_r) if private else 1.0
    eps = exponential_epsilon((1 - MEASURE_SHARE) * rho_r) if private else math.inf
    answers = {cl: exact(slots, sizes, cl) if cells is None else coarsen(exact(slots, sizes, cl), cells)
               for cl, cells in pool.items()}  # scores and measurements only
    estimator.fit(measurements, total, iters)
    majority = int(np.argmax(estimator.to_cliques().marginal((target,))))  # from the noisy 1-way: public
    rare = {}  # per marginal, its cells outside the target's majority class: the score reads only those
    for cl, cells in pool.items():
        fine = (np.indices([sizes[a] for a in cl])[cl.index(target)] != majority).ravel().astype(float)
        rare[cl] = fine if cells is None else coarsen(fine, cells) > 0
    for rounds in range(1, min(TARGET_ROUNDS, len(pool)) + 1):
        if rounds > 1:
            estimator.fit(measurements, total, iters)
        current = estimator.to_cliques()
        scores = {}
        for cl, cells in pool.items():
            error = np.abs(answers[cl] - model_counts(current, cl, total, cells)) * rare[cl]
            scores[cl] = error.sum() - math.sqrt(2 / math.pi) * sigma * rare[cl].sum() * private
        if private:
            cl, y = select_and_measure(scores, answers, eps, 1.0, sigma, f"target round {rounds}", ledger, rng)
            used += exponential_rho(eps) + gaussian_rho(sigma)
        else:
            cl = max(scores, key=scores.get)
            y = answers[cl].copy()
        measurements.append(Measured(cl, y, sigma, groups=pool.pop(cl)))
        log.info("marginals: target round %d measured %s (noise std %.3g)", rounds, cl, sigma)
    return used
