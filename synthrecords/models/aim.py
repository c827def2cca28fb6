"""AIM (McKenna, Mullins, Sheldon & Miklau 2022) inside our ledger: select, measure, estimate.

The privacy story, in the order the code follows it:

- The grid is public: every attribute's slots come from the released domain (``slots``).
  The workload is public too: all 1- and 2-way marginals, plus the 3-way ones that hold
  the target when one is declared; each candidate's weight is how much it overlaps the
  workload, and candidates over ``max_cells`` cells are left out (sizes are public).
- The budget is zCDP planned against the whole ledger (``privacy.zcdp.rho_left``): what the
  domain release left, converted once with everything else, never past the target.
- ``measures.exact`` is the only function that reads real values (marginal counts on the grid).
  Its answers reach the output only through (1) a noisy row count (the fit's ``ledger.rows``
  when it released one, else one Gaussian count here, ``TOTAL_SHARE`` of rho), (2) noisy marginals (Gaussian, L2 sensitivity 1 per marginal:
  a record adds 1 to one cell), (3) selection rounds: an exponential mechanism whose score
  is AIM's ``weight * (L1 error of the model on the marginal - expected noise)``, which one
  record moves by at most ``weight``. Each is a ledger entry, recorded before it runs.
- One-way marginals come from the domain release when it gave them (``prior``: already
  paid for); columns it did not measure get one noisy 1-way marginal each, up front. With a
  rare target (``RARE_TARGET``: its released 1-way leaves under 10 % of the rows outside its
  majority class), every (target, column) pair is measured up front too, in one Gaussian
  mechanism (``target_share`` of what is left) when the table has more pairs than rounds:
  the target's dependence is what TSTR needs, and rounds alone reached few of its pairs on
  15 columns (on 4 it did better without; a balanced target's pairs the rounds pick as any).
  There, a number in the target's marginals is measured on coarse cells (``coarse``: a few
  groups of adjacent bins, from the released domain), so a rare class's few rows are not
  drowned cell by cell; then a few target rounds (``targetrounds``) spend a share of what
  is left on the target's 2- and 3-way marginals, each chosen by an exponential mechanism
  whose score reads only the cells outside the target's majority class (sensitivity 1).
- Rounds follow AIM: rho split over ``16 x columns`` rounds (at most ``ROUNDS``; a wide table,
  one with more pairs than that, without a rare target: a round a pair within ``max_rounds``), 90 %
  to the measurement and 10 % to the selection; when a measurement barely moved the model,
  the noise is halved for the rounds after (annealing), unless the halved noise (as a plan
  of ``ROUNDS`` would have it) is already small against the rows and what is left could
  then no longer pay a round a column (a floor: public, from the noisy total and the plan);
  the last round takes what is left. A round measures the cells of slots that can hold rows
  only (``live``: not a null or "other" the release says is empty; public); the target's
  up-front pairs and target rounds keep every cell (measured: no gain).
  Where the rounds cannot visit every pair, or a column's released 1-way is imbalanced (under
  ``RARE_TARGET`` outside its largest slot), every column first goes into a measured pair (two
  waiting columns a round where they outnumber the rounds left) and the noise is not halved
  before (``covering``): the score, an absolute error, hardly sees a
  rare column's dependence, and the annealing spent the budget before any pair reached it.
  On a narrow table with a target, a 3-way marginal holding the target waits until the
  target's smallest class has a noise std of rows per cell (``_readable``: public sizes and
  the model's estimate), or the rounds spend themselves on noise about it.
  Candidates must keep the junction tree within ``max_model_mb`` scaled by the share of the
  budget used so far (a public cap), unless the model already covers them.
- Everything after the noise is post-processing: between rounds a NumPy mirror descent
  (``descent``) refits the model; at the end private-pgm's ``mbi`` fits the released model to
  all the measurements (its mirror descent, warm-started from those potentials), and its
  junction tree's clique marginals become a ``cliques.CliqueModel`` that samples with no
  jax at all.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import SynthRecordsError
from ..privacy.ledger import PrivacyLedger
from ..privacy.noise import discrete_gaussian
from ..privacy.zcdp import (
    exponential_epsilon,
    exponential_rho,
    gaussian_rho,
    gaussian_sigma,
    rho_left,
)
from .cliques import Clique, CliqueModel, calibrated
from .coarse import GroupQuery, cell_groups, coarsen, model_counts
from .descent import Descent, safe_step
from .measures import (
    MEASURE_SHARE,
    Grouped,
    Measured,
    clique_of,
    exact,
    first_allowed,
    select_and_measure,
)
from .targetrounds import target_rounds

log = logging.getLogger(__name__)
TOTAL_SHARE = 0.01  # of rho, for the noisy row count: +-~20 rows at epsilon 1
TARGET_SHARE = 0.25  # of what the rounds would get, for every (target, column) pair at once
# ... and the target rounds, only for a rare target: one whose released 1-way leaves less than this
# share of the rows outside its majority class. AIM's score is an L1 error, and a pair holding the
# target can be off by at most about twice that share of the rows, so the rounds rarely pick a rare
# target's pairs (customers, 3 % fraud: TSTR 0.45-0.53 without them, 0.68-0.72 with) but pick a
# balanced target's as any other: there the up-front spend only thinned the rest (gss_wages, 44 %
# outside: quality 0.904 / 0.918 -> 0.949 / 0.949 at eps 1 / 3 without it, TSTR 0.830 / 0.832 ->
# 0.823 / 0.845; HealthInsurance, 20 %: 0.967 / 0.969 -> 0.979 / 0.984, TSTR 0.718 / 0.726 ->
# 0.723 / 0.736; bench/RESULTS.md, session 15)
RARE_TARGET = 0.1
MAX_CELLS = 10_000  # a candidate marginal larger than this is never measured
MAX_MODEL_MB = 8.0  # junction-tree size cap: AIM's is 80, ours keeps fits short
# Rounds planned: AIM's 16 a column, at most ROUNDS (fit time). A table with more pairs than
# that is wide: the wide-table rules below apply (a rare target's pairs up front, fresh marginals
# first, three rounds a column) and, without a rare target, it gets a round a pair up to
# MAX_ROUNDS: with 48, Caravan's rounds (86 columns) reached pairs of ~41 columns and customers'
# (15) rarely its rare target's (TSTR 0.40-0.50 against MST's and AIM's 0.51-0.59). Told a rare
# target, its pairs are measured up front and more rounds only thin the rest (customers 0.74 /
# 0.78 -> 0.69 / 0.75, Caravan's quality at eps 3 0.937 -> 0.920). "Wide" is sized on ROUNDS,
# never on the rounds planned, or more rounds would make a table narrow (gss_wages, 55 pairs,
# lost those rules at 96: TSTR 0.84 -> 0.49).
ROUNDS = 48
MAX_ROUNDS = 96  # wide tables without a rare target; also the user's cap (``max_rounds``)
# Rounds a column the annealing leaves room for: a tree over the columns needs one pair each
# (gss_wages at epsilon 3 annealed twice in 3 rounds, measured 5 of 55 pairs, none of the
# target's: TSTR 0.53 against MST's 0.62). Where the rounds cannot visit every pair (11+
# columns) three a column: with one, gss_wages at epsilon 3 still stopped after 12 rounds
# (quality 0.946, TSTR 0.76, behind AIM's 0.779); with three, 0.961 and 0.84 over 3 fits, and
# HealthInsurance's TSTR 0.70 -> 0.74. A narrow table keeps one: ISLR Default (4 columns) at
# epsilon 1 fell from TSTR 0.91 to 0.85 over 5 fits with three.
MIN_ROUNDS_PER_COLUMN = 1
WIDE_MIN_ROUNDS_PER_COLUMN = 3
# ... only once the halved noise std is under this share of the rows (``_noise_still_large``; the
# noise a ROUNDS plan would have, so a larger plan, which starts at a larger noise, gets no extra
# halving: with one, gss_wages at eps 1 spent its budget in 5-6 rounds, 0.95 / 0.81 -> 0.88 / 0.49
# in 3 fits of 8 at 55 rounds, all at 96): where noise is still large
# (credit_card, 1,055 rows at epsilon 1: std 19) AIM's annealing buys the precision the target's
# pairs need (a floor there cost TSTR 0.98 -> 0.38-0.56); on 8,000 rows at epsilon 3 (std 2.9)
# it only bought precision nobody needed
FLOOR_NOISE = 0.001
COVER_PAIRS_PER_ROUND = 1  # covering where the pairs outnumber this many times the rounds planned (or a column is imbalanced)
ROUND_ITERS = 100  # NumPy mirror-descent iterations per round (warm-started)
FINAL_ITERS = 1000  # mbi's, for the released model


@dataclass
class AimResult:
    model: CliqueModel
    total: float
    measured: list[Clique] = field(default_factory=list)
    rounds: int = 0
    seconds: float = 0.0
    measurements: list[Measured] = field(default_factory=list)  # noisy: post-processing only


def workload(names: list[str], target: str | None) -> dict[Clique, float]:
    """Candidates (the workload's downward closure) and AIM's weight of each."""
    work = [tuple(p) for p in itertools.combinations(names, 2)]
    if target in names:
        others = [n for n in names if n != target]
        work += [(target, *p) for p in itertools.combinations(others, 2)]
    if not work:
        work = [(n,) for n in names]
    rank = {n: i for i, n in enumerate(names)}  # one order per clique: (a, b) and (b, a) are one marginal
    closure = {tuple(sorted(s, key=rank.get)) for w in work for r in range(1, len(w) + 1)
               for s in itertools.combinations(w, r)}
    # sorted by size, then by column order: a set's order follows string hashing, which differs
    # between processes, and a seeded fit must pick the same marginals in every process
    ordered = sorted(closure, key=lambda cl: (len(cl), [rank[a] for a in cl]))
    return {cl: float(sum(len(set(cl) & set(w)) for w in work)) for cl in ordered}


def _mbi():
    """jax and mbi, configured as mbi asks: float64, no persistent compilation cache."""
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_enable_compilation_cache", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mbi
        from mbi import estimation, junction_tree, marginal_oracles
    return mbi, estimation, junction_tree, marginal_oracles


class _Estimator:
    """The model between rounds (``descent``, NumPy) and the final one (mbi's mirror descent,
    warm-started from it). Post-processing of the measurements."""

    def __init__(self, sizes: dict[str, int]) -> None:
        self.mbi, self.estimation, self.jt, self.oracles = _mbi()
        self.domain = self.mbi.Domain(list(sizes), list(sizes.values()))
        self.sizes = dict(sizes)
        self.theta: dict[Clique, np.ndarray] = {}
        self.current: CliqueModel | None = None
        self.measured: list[Clique] = []

    def fit(self, measurements: list[Measured], total: float, iters: int) -> None:
        """Refit the round-to-round model (NumPy, warm-started)."""
        pooled = _pooled(measurements)
        self.measured = list(dict.fromkeys(m.clique for m in pooled))
        tree, _ = self.jt.make_junction_tree(self.domain, self.measured)
        nodes = [tuple(n) for n in tree.nodes]
        edges = [(nodes.index(tuple(a)), nodes.index(tuple(b))) for a, b in tree.edges]
        self.theta, self.current = Descent(self.sizes, nodes, edges, pooled, total).run(self.theta, iters)

    def fit_final(self, measurements: list[Measured], total: float, iters: int) -> None:
        """mbi's estimate of the released model, from the round-to-round potentials."""
        pooled = _pooled(measurements)
        linear = [self.mbi.LinearMeasurement(m.y, m.clique, stddev=m.stddev, query=_query(m, self.mbi))
                  for m in pooled]
        # A fixed step (its program compiles ~3x faster than mbi's line search's), one that
        # always lowers the loss (``descent.safe_step``), rounded down to a power of two
        step = 2.0 ** math.floor(math.log2(safe_step(pooled, total)))
        cliques = list(dict.fromkeys(m.clique for m in pooled))
        start = self.mbi.CliqueVector(self.domain, cliques, {
            cl: self.mbi.Factor(self.domain.project(cl), self.theta.get(cl, np.zeros(self.domain.project(cl).shape)))
            for cl in cliques})
        model = self.estimation.MirrorDescent(stepsize=step).estimate(self.domain, linear, known_total=total,
                                                                      iters=iters, warm_start=start)
        tree, _ = self.jt.make_junction_tree(self.domain, [tuple(c) for c in model.cliques])
        nodes = [tuple(n) for n in tree.nodes]
        potentials = [(tuple(model.potentials[cl].domain.attributes), np.asarray(model.potentials[cl].values, dtype=float))
                      for cl in model.potentials.cliques]
        edges = [(nodes.index(tuple(a)), nodes.index(tuple(b))) for a, b in tree.edges]
        # the junction tree's clique marginals as plain arrays (NumPy sum-product, no jax)
        self.current = calibrated(self.sizes, nodes, edges, potentials)

    def model_size_mb(self, cliques: list[Clique]) -> float:
        return self.jt.hypothetical_model_size(self.domain, cliques)

    def cliques(self) -> list[Clique]:
        return list(self.measured)

    def to_cliques(self) -> CliqueModel:
        return self.current


def _pooled(measurements: list[Measured]) -> list[Measured]:
    """Measurements of the same cells merged by inverse-variance weighting (a sufficient
    statistic for Gaussian noise, so nothing is lost): the estimator's program then only
    changes, and compiles again, when a new clique is measured."""
    same: dict[tuple, list[Measured]] = {}
    for m in measurements:
        same.setdefault((m.clique, m.slots, m.groups), []).append(m)
    out = []
    for (clique, slots, groups), group in same.items():
        weights = np.array([1.0 / m.stddev ** 2 for m in group])
        y = sum(w * m.y for w, m in zip(weights, group)) / weights.sum()
        out.append(Measured(clique, y, float(1.0 / math.sqrt(weights.sum())), slots, groups))
    return out


def _query(m: Measured, mbi):
    if m.groups is not None:
        return GroupQuery(m.groups)
    return _SlotQuery(m.slots) if m.slots is not None else mbi.marginal_loss.DatavectorQuery()


@dataclass(frozen=True)
class _SlotQuery:
    """A measurement of some cells of a marginal (the domain release's 1-way counts cover
    the released categories and null, not "other")."""

    slots: tuple[int, ...]

    def __call__(self, factor):
        import jax.numpy as jnp

        return factor.datavector()[jnp.asarray(self.slots)]

    def op_norm_sq(self) -> float:
        return 1.0


def plan_rounds(columns: int, pairs: int, max_rounds: int, target_up_front: bool) -> tuple[int, int, bool]:
    """(a narrow table's rounds, the rounds planned, whether the table is wide): AIM's 16 rounds
    a column, at most ROUNDS; a table with more pairs than that is wide and, unless a rare
    target's pairs are measured up front, gets a round a pair up to ``max_rounds``. Public:
    counts of columns and pairs, and the target's released 1-way."""
    narrow = max(1, min(16 * columns, ROUNDS, max_rounds))
    wide = pairs > narrow
    return narrow, (max(1, min(16 * columns, max_rounds, pairs)) if wide and not target_up_front else narrow), wide


def fit_aim(slots: dict[str, np.ndarray], sizes: dict[str, int], ledger: PrivacyLedger, *, target: str | None,
            prior: list[Measured], rng: np.random.Generator | None, target_share: float = TARGET_SHARE,
            max_rounds: int = MAX_ROUNDS, coarse: dict[str, np.ndarray] | None = None,
            max_model_mb: float = MAX_MODEL_MB, max_cells: int = MAX_CELLS,
            live: dict[str, np.ndarray] | None = None) -> AimResult:
    """Select and measure marginals under ``ledger`` and fit one model to them. ``prior``:
    1-way measurements already released, as shares of the rows (scaled by the noisy total).
    ``coarse``: per column, each slot's group in the target's up-front pairs (public).
    ``live``: per column, the slots the rounds measure (public; None or a column left out:
    every slot).

    ``rng`` seeds the noise and the selections for tests only (None: the OS CSPRNG)."""
    started = time.monotonic()
    names = list(sizes)
    candidates = {cl: w for cl, w in workload(names, target).items()
                  if int(np.prod([sizes[a] for a in cl])) <= max_cells}
    private = ledger.is_private
    rho = rho_left(ledger) if private else 0.0
    if private and rho <= 0:
        raise SynthRecordsError("marginals: the domain release used the whole epsilon; raise epsilon or lower the "
                                "domain share")
    # a rare target's pairs, measured up front on a wide table (below); with them the rounds need not reach them
    rare = target in names and target_share > 0 and _rare(target, prior)
    pairs = [cl for cl in candidates if len(cl) == 2 and target in cl] if rare else []
    # every pair of columns: one too large to measure is one the rounds cannot visit either (customers
    # told its label lists: 9 of 105 pairs too large; counted out, 96 pairs met 96 rounds and the
    # covering below was off: 9-10 rounds at eps 1, fraud_flag in no pair, TSTR 0.40-0.55)
    n_pairs = len(names) * (len(names) - 1) // 2
    narrow_rounds, rounds_planned, wide = plan_rounds(len(names), n_pairs, max_rounds, target_up_front=bool(pairs))
    estimator = _Estimator(sizes)
    n_rows = len(next(iter(slots.values()))) if slots else 0

    # -- the row count: the one the fit already released, else one noisy count here --
    if private and ledger.rows:
        total, used = float(ledger.rows), 0.0  # paid for by the "rows" entry
    elif private:
        sigma_n = gaussian_sigma(TOTAL_SHARE * rho)
        ledger.record("train", noise_multiplier=sigma_n, detail="marginals: noisy row count (sensitivity 1)")
        total = max(float(n_rows + discrete_gaussian(sigma_n, 1, rng)[0]), 1.0)
        used = TOTAL_SHARE * rho
    else:
        total, used = float(n_rows), 0.0
    per_round = (rho - used) / rounds_planned
    sigma = gaussian_sigma(MEASURE_SHARE * per_round) if private else 1.0
    eps = exponential_epsilon((1 - MEASURE_SHARE) * per_round) if private else math.inf

    # -- one-way marginals: the domain release's, plus any column it left unmeasured ---
    # the release gives shares of the rows: counts at the noisy total (post-processing)
    measurements = [Measured(m.clique, np.asarray(m.y, dtype=float) * total, m.stddev, m.slots, m.groups)
                    for m in prior]
    missing = [(a,) for a in names if not any(m.clique == (a,) for m in measurements)]
    if missing:
        if private:  # AIM's noise for them, unless that would take more than half of what is left
            sigma = max(sigma, math.sqrt(len(missing) / (2 * 0.5 * (rho - used))))
            ledger.record("train", noise_multiplier=sigma / math.sqrt(len(missing)),
                          detail=f"marginals: noisy 1-way marginals of {len(missing)} columns the domain release "
                                 f"did not give, noise std {sigma:.4g} per count")
            used += len(missing) * gaussian_rho(sigma)
        for cl in missing:
            x = exact(slots, sizes, cl)
            y = x + (discrete_gaussian(sigma, x.size, rng) if private else 0)
            measurements.append(Measured(cl, y, sigma))

    # -- the target's pairs, all at once (one Gaussian, L2 sensitivity sqrt(pairs)) -----
    # Only on a wide table (11+ columns): on ISLR Default (4 columns) measuring them up front
    # cost TSTR 0.93 -> 0.85, on customers (15) it raised 0.45-0.53 -> 0.68-0.72
    # Annealing (halving the noise) takes 4x the budget per round; once the halved noise is
    # under FLOOR_NOISE of the rows it stops where what is left could no longer pay
    # ``MIN_ROUNDS_PER_COLUMN`` rounds a column (``WIDE_...`` on a wide table) at the halved noise.
    min_rounds = min(rounds_planned, (WIDE_MIN_ROUNDS_PER_COLUMN if wide else MIN_ROUNDS_PER_COLUMN) * len(names))
    coarse = (coarse or {}) if wide else {}  # narrow tables keep fine cells (the rounds visit every pair)
    if pairs and wide:
        rho_t = target_share * (rho - used)
        z = gaussian_sigma(rho_t) if private else 0.0  # noise std per count: z * sqrt(pairs)
        if private:
            ledger.record("train", noise_multiplier=z,
                          detail=f"marginals: the target's {len(pairs)} 2-way marginals at once, L2 sensitivity "
                                 f"sqrt({len(pairs)}), noise std {z * math.sqrt(len(pairs)):.4g} per count")
            used += rho_t
        for cl in pairs:
            cells = cell_groups(cl, sizes, coarse)
            x = exact(slots, sizes, cl) if cells is None else coarsen(exact(slots, sizes, cl), cells)
            std = z * math.sqrt(len(pairs)) if private else 1.0
            measurements.append(Measured(cl, x + (discrete_gaussian(std, x.size, rng) if private else 0), std,
                                         groups=cells))
        used = target_rounds(measurements, estimator, slots, sizes, ledger, target, candidates, coarse,
                              total, rho, used, rng, ROUND_ITERS)
    if private:  # the rounds share what is left
        per_round = (rho - used) / rounds_planned
        sigma = gaussian_sigma(MEASURE_SHARE * per_round)
        eps = exponential_epsilon((1 - MEASURE_SHARE) * per_round)
    estimator.fit(measurements, total, ROUND_ITERS)
    answers = {cl: exact(slots, sizes, cl) for cl in candidates}  # scores of the selections only
    chosen: list[Clique] = []
    # Where the rounds cannot visit every pair, every column first goes into some measured pair,
    # and the noise is not halved before it has (each halving takes 4x the budget a round):
    # the largest errors sit among a few strongly related columns, so Caravan's rounds (86
    # columns, 3,655 pairs, 96 rounds) left dozens of columns in no measured marginal, the model
    # drew them independently and TSTR stayed at chance (eps 3: 0.49 -> 0.63); at eps 1 the
    # annealing halved 3x and stopped the rounds at 29-30 with ~40 columns in no pair, and on
    # customers (15 columns, 105 pairs, 96 rounds) at 9, fraud_flag in no pair in 4 of 4 fits.
    # Covering first, without halving: customers' TSTR 0.68 -> 0.71 at eps 3 (0.47 -> 0.57 at eps 1
    # over 12 / 26 fits, where one fit ranges 0.28-0.77; covering with the halving cost it 0.67 ->
    # 0.61 at eps 3), Caravan's quality 0.927 -> 0.942 at eps 1 and 0.947 -> 0.964 at eps 3, 66-71
    # rounds at eps 1 (session 18). On tables whose rounds could visit every pair (CreditCard,
    # gss_wages, HealthInsurance, Default) session 18 measured a cost (CreditCard at eps 1 0.869 ->
    # 0.848; the no-halving rule alone 0.007-0.010 on gss_wages and Default); session 20, below,
    # measured CreditCard +0.016, HealthInsurance -0.009 and gss_wages -0.02 at eps 1.
    coverable = {a for cl in candidates if len(cl) == 2 for a in cl}  # a column too large to pair waits for none
    # Elsewhere the rounds reach every column that matters, unless one is imbalanced: AIM's score is
    # an absolute error, and a 3 % column's pairs err by at most 6 % of the rows however strongly it
    # depends, so the annealing spent the budget first (customers without its 3 or 5 geography
    # columns, 12 or 10 columns, eps 1: 6-12 rounds, fraud_flag in no pair, TSTR 0.40-0.49; covering
    # every column: 0.42-0.73, 11-14 rounds). Covering only the imbalanced column put it in one pair
    # and the annealing went on as before (TSTR 0.39-0.56); covering every table cost gss_wages
    # (no imbalanced column) 0.02 quality at eps 1 (session 20).
    covering = (wide and n_pairs > COVER_PAIRS_PER_ROUND * rounds_planned) or any(_imbalanced(a, prior)
                                                                                 for a in coverable)
    to_cover = coverable if covering else set()
    # A covering pair of one number (``coarse``: ~6 groups of its bins) and a column kept whole
    # is offered on coarse cells beside its fine ones; the score charges each cell its noise, so
    # the selection takes the coarse cells where noise would drown the fine ones: customers at eps 1
    # (std 44 a cell, ~6 fraud rows a fine tenure bin) TSTR 0.51-0.56 -> 0.64-0.68 over 7-21 fits.
    # Session 19 kept two numbers fine here: the score, blind to how the estimator clears noise off
    # empty cells, took (tenure_months, signup_date), a derived column, on coarse cells and lost its
    # diagonal (customers' TSTR at eps 3: 0.72 -> 0.52-0.60). Since session 30 they are offered coarse in every
    # round too: customers at eps 3 scored 0.742 -> 0.711 over 4 fits a side (within noise).
    # A pair of two numbers is offered on coarse cells in every round, beside its fine ones: on
    # fine cells (~30 x 30 bins) the score charges ~900 cells of noise, more than the whole error
    # of an unmeasured strong correlation, so no such pair was ever measured and the model drew the
    # numbers independently (credit_data at eps 1: Amount-Price, r 0.73, came out at 0.03 and
    # Seniority-Age, r 0.50, at 0.03; quality 0.83 against dpctgan's 0.87). With the offer: 0.91
    # over 4 fits a side (session 30). The fine cells stay on offer, so a derived pair whose error
    # sits on a diagonal within the coarse cells is still measured fine where that pays.
    coarsened = {cl: sum(a in coarse for a in cl) for cl in candidates if len(cl) == 2}
    number_pairs = {cl for cl, k in coarsened.items() if k == 2}
    coarse_cells = {cl: cell_groups(cl, sizes, coarse, live) for cl, k in coarsened.items()
                    if k == 2 or (k == 1 and covering)}
    # A round measures only the cells of slots that can hold rows (``live``, ``slots.measured_slots``):
    # null where the release found no nulls and "other" of labels declared public with none found
    # outside them are never emitted, and their cells held noise alone, which the score charged (a
    # pair of two binary columns: 16 cells for 4) and the estimator fitted. HMDA (1,904 rows, the
    # target's labels declared, not told the target): TSTR 0.555 -> 0.605 at eps 1 (36 fits), 0.66 ->
    # 0.75 at eps 3 (14 a side; bench 0.631 -> 0.774), births14 0.61 -> 0.81, customers 0.64 -> 0.71
    # at eps 1, quality within +-0.01 (session 22); null alone: 0.56 -> 0.53 (within noise).
    # A told rare target's up-front pairs and target rounds keep every cell: measured on live cells
    # too, customers told the target gave TSTR 0.687 -> 0.695 at eps 1 and 0.758 -> 0.727 at eps 3
    fine_cells = {cl: _live_cells(cl, sizes, live) for cl in candidates}
    asked: dict[Clique | Grouped, np.ndarray] = (
        {cl: a if fine_cells[cl] is None else a[list(fine_cells[cl])] for cl, a in answers.items()}
        | {Grouped(cl): coarsen(answers[cl], g) for cl, g in coarse_cells.items()})

    # -- rounds: select (exponential mechanism), measure (Gaussian), estimate ----------
    rounds = 0
    while True:
        rounds += 1
        last = rounds >= max_rounds
        if private:
            left = rho - used
            if left < 2 * (gaussian_rho(sigma) + exponential_rho(eps)):  # the last round takes the rest
                sigma = gaussian_sigma(MEASURE_SHARE * left)
                eps = exponential_epsilon((1 - MEASURE_SHARE) * left)
                last = True
            elif last:  # the round cap: what is left goes to this round too
                sigma = gaussian_sigma(MEASURE_SHARE * left)
                eps = exponential_epsilon((1 - MEASURE_SHARE) * left)
        limit = max_model_mb * ((used + gaussian_rho(sigma) + exponential_rho(eps)) / rho if private
                                else min(1.0, rounds / rounds_planned))
        fits = _size_check(estimator.cliques(), limit, estimator)
        pool = candidates
        # Where the rounds cannot visit every marginal (11+ columns), one is measured again only
        # once every other has been: a large one (two fine numeric codes, ~1,500 cells) keeps an
        # error of its own noise's size after it is measured, so once the noise was halved it won
        # every round (gss_wages at epsilon 3: 8 rounds on 2 pairs, TSTR 0.48; measured once
        # each, 0.75). Narrow tables keep AIM's re-measuring (ISLR Default: 0.94 -> 0.74 without).
        if len(candidates) > narrow_rounds:
            fresh = {cl: w for cl, w in candidates.items() if cl not in chosen}
            pool = fresh if any(fits(cl) for cl in fresh) else candidates
        covered = {a for cl in chosen + pairs for a in cl}
        grouped = [Grouped(cl) for cl in pool if cl in number_pairs]  # offered on coarse cells too
        if covering:
            waiting = to_cover - covered
            bare = {cl: w for cl, w in pool.items() if len(cl) > 1 and set(cl) & waiting}
            # More columns to cover than rounds left (public: counts and the budget plan): pairs of two
            # of them until one a round reaches the rest. medicaldata opt (171 columns, 96 rounds) left
            # 37 in no pair, its target among them; tables whose rounds reach every column are unchanged.
            cap = (max_rounds if private else rounds_planned) - rounds + 1
            if len(waiting) > _rounds_left(rho - used, sigma, eps, cap, private):
                both = {cl: w for cl, w in bare.items() if set(cl) <= waiting}
                bare = both if any(fits(cl) for cl in both) else bare
            if any(fits(cl) for cl in bare):
                pool = bare
                grouped = [Grouped(cl) for cl in bare if cl in coarse_cells]
        current = estimator.to_cliques()
        if not wide and target in names:
            pool = _readable(pool, target, current, total, sizes, sigma, fits)
        if not any(fits(cl) for cl in pool):
            break
        # AIM's score: the error the model would lose, less the noise a measurement adds; on coarse
        # cells a record still moves one count, so the sensitivity is the same weight
        fitted = {key: _fitted(key, current, total, coarse_cells, fine_cells) for key in [*pool, *grouped]}
        scores = {key: pool[clique_of(key)] * (np.abs(asked[key] - fitted[key]).sum()
                                               - math.sqrt(2 / math.pi) * sigma * asked[key].size * private)
                  for key in fitted}
        allowed = _by_clique(fits)
        if private:
            key, y = select_and_measure(scores, asked, eps, max(pool.values()), sigma, f"round {rounds}",
                                        ledger, rng, allowed=allowed)
            used += exponential_rho(eps) + gaussian_rho(sigma)
        else:
            key = first_allowed(list(scores), np.array(list(scores.values())), allowed)
            if scores[key] <= 0:
                break
            y = asked[key].copy()
        cl = clique_of(key)
        before = fitted[key]
        measurements.append(Measured(cl, y, sigma, groups=coarse_cells[cl]) if isinstance(key, Grouped)
                            else Measured(cl, y, sigma, slots=fine_cells[cl]))
        chosen.append(cl)
        estimator.fit(measurements, total, ROUND_ITERS)
        after = _fitted(key, estimator.to_cliques(), total, coarse_cells, fine_cells)
        log.info("marginals: round %d measured %s%s (noise std %.3g)", rounds, cl,
                 " on coarse cells" if isinstance(key, Grouped) else "", sigma)
        if last or (not private and rounds >= rounds_planned):
            break
        knew = np.abs(after - before).sum() <= math.sqrt(2 / math.pi) * sigma * y.size
        room = (_noise_still_large(sigma, total, narrow_rounds, rounds_planned)  # AIM's annealing
                or rho - used >= 4 * (gaussian_rho(sigma) + exponential_rho(eps)) * (min_rounds - rounds))
        uncovered = to_cover - covered - set(cl)
        if private and knew and room and not uncovered:
            sigma, eps = sigma / 2, eps * 2  # the model already knew it: spend more per round
    estimator.fit_final(measurements, total, FINAL_ITERS)
    return AimResult(estimator.to_cliques(), total, chosen, rounds, time.monotonic() - started, measurements)


def _rounds_left(left: float, sigma: float, eps: float, cap: int, private: bool) -> int:
    """Rounds, this one included, that ``left`` of rho pays at the current noise, at most ``cap``."""
    paid = int(left / (gaussian_rho(sigma) + exponential_rho(eps)) + 1e-9) if private else cap  # 11.999.. pays 12
    return max(min(paid, cap), 1)


def _fitted(key: Clique | Grouped, model: CliqueModel, total: float, coarse_cells: dict[Clique, tuple[int, ...]],
            fine_cells: dict[Clique, tuple[int, ...] | None]) -> np.ndarray:
    """The model's counts on the cells ``key`` measures (coarse ones summed by group)."""
    if isinstance(key, Grouped):
        return model_counts(model, key.clique, total, coarse_cells[key.clique])
    counts = model_counts(model, key, total, None)
    return counts if fine_cells[key] is None else counts[list(fine_cells[key])]


def _live_cells(clique: Clique, sizes: dict[str, int], live: dict[str, np.ndarray] | None) -> tuple[int, ...] | None:
    """The cells of ``clique``'s marginal (C order) whose every slot is live; None: all of them."""
    masks = [np.asarray((live or {}).get(a, np.ones(sizes[a], dtype=bool)), dtype=bool) for a in clique]
    if all(m.all() for m in masks):
        return None
    cells = masks[0]
    for m in masks[1:]:
        cells = np.logical_and.outer(cells, m)
    return tuple(int(i) for i in np.flatnonzero(cells))


def _by_clique(fits: Callable[[Clique], bool]) -> Callable[[Clique | Grouped], bool]:
    return lambda key: fits(clique_of(key))


def _rare(target: str, prior: list[Measured]) -> bool:
    """Whether the released 1-way of ``target`` leaves less than ``RARE_TARGET`` of the rows
    outside its largest slot (post-processing of the domain release). A target the release
    did not measure counts as rare: its pairs are measured up front, as for any rare one."""
    return not any(m.clique == (target,) for m in prior) or _imbalanced(target, prior)


def _imbalanced(column: str, prior: list[Measured]) -> bool:
    """Whether the released 1-way of ``column`` leaves less than ``RARE_TARGET`` of the rows
    outside its largest slot (False where the release did not measure it)."""
    oneway = next((m for m in prior if m.clique == (column,)), None)
    if oneway is None:
        return False
    counts = np.clip(np.asarray(oneway.y, dtype=float), 0, None)
    if oneway.groups is not None:  # a number's runs (grid bins split into encoder bins): each bin
        groups = np.asarray(oneway.groups)  # its even share of its run, as the release spread it
        counts = counts[groups] / np.bincount(groups)[groups]
    return not counts.sum() > 0 or 1 - counts.max() / counts.sum() < RARE_TARGET


def _noise_still_large(sigma: float, total: float, narrow_rounds: int, rounds_planned: int) -> bool:
    """Whether the halved noise is still large against the rows (FLOOR_NOISE), judged on the
    noise a plan of ``narrow_rounds`` would have at this point: a plan of more rounds starts at
    sqrt(planned / narrow) times the noise and would otherwise pass this test more often."""
    return sigma * math.sqrt(narrow_rounds / rounds_planned) / 2 >= FLOOR_NOISE * total


def _readable(pool: dict[Clique, float], target: str, model: CliqueModel, total: float, sizes: dict[str, int],
              sigma: float, fits: Callable[[Clique], bool]) -> dict[Clique, float]:
    """On a narrow table the rounds are the only way to the target's pairs, so a 3-way marginal
    holding the target is a candidate only where the target's smallest class (as the model
    estimates it; a class under one noise std is unreadable anyway) has at least one noise std
    of rows per cell. Below that its measurement is noise about the class TSTR needs, while its
    workload weight (it also carries the error of the other two columns' pair) lets it win round
    after round: ISLR Default at epsilon 3 (3 % target, 64 cells a class) measured (default,
    student, income) in every round of 1 fit in 10-20 and never (default, balance), TSTR 0.3-0.5.
    Public: sizes, the round's noise and the model (post-processing of the measurements)."""
    counts = total * model.marginal((target,)).ravel()
    readable = counts[counts >= sigma]
    smallest = float(readable.min()) if readable.size else 0.0
    keep = {cl: w for cl, w in pool.items()
            if len(cl) < 3 or target not in cl or smallest / math.prod(sizes[a] for a in cl if a != target) >= sigma}
    return keep if any(fits(cl) for cl in keep) else pool


def _size_check(model: list[Clique], limit_mb: float, estimator: _Estimator) -> Callable[[Clique], bool]:
    """Whether a candidate keeps the model's junction tree under the cap (covered by a model
    clique, or small enough when added), asked lazily and remembered for the round. Public:
    sizes only. The selection is the exponential mechanism over the candidates that pass;
    its score sensitivity is the largest weight before this check (never smaller)."""
    known: dict[Clique, bool] = {}

    def fits(cl: Clique) -> bool:
        if cl not in known:
            known[cl] = (any(set(cl) <= set(m) for m in model)
                         or estimator.model_size_mb([*model, cl]) <= limit_mb)
        return known[cl]
    return fits


def summary(result: AimResult) -> dict[str, Any]:
    return {"rounds": result.rounds, "measured": [list(c) for c in result.measured],
            "cliques": [list(c) for c in result.model.cliques], "fit_seconds": round(result.seconds, 2)}
