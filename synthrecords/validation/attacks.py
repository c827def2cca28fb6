"""Anonymeter's three attacks (singling out, linkability, inference), our own implementation.

Anonymeter (Giomi et al., PETS 2023) does not install next to our pins (it needs
numpy<1.27 and pyarrow<22), so its method is rebuilt here on the shared Gower encoding.
Each attack is run three ways: against training rows (the attack), against holdout rows
the model never saw (the control), and as random guessing (the baseline). The risk is the
attack's success beyond the control's, normalised: (attack - control) / (1 - control),
with Wilson score intervals on both rates and the error propagated, as Anonymeter does.
A risk near 0 means the synthetic data helps an attacker no more against people in the
training data than against anyone else.

Differences from Anonymeter, on purpose:
- training targets and control targets are equally many rows, so the singling-out
  control needs no size-correction fit;
- the linkability split of auxiliary columns is random (seeded), halves of the columns;
- an inferred number or date counts as correct within 5 % of the column's range;
- nearest-neighbour ties are broken at random, not by row order.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..domain import Domain
from .encoding import MISSING_NUMBER, DenseCodes, canonical, dense_codes, jsonable, subsample

log = logging.getLogger(__name__)

MAX_TARGETS = 500  # attacked rows, per side (training and control)
MAX_SYNTHETIC = 10_000  # synthetic rows the attacker searches
MAX_SINGLING_OUT_ROWS = 20_000  # training and holdout rows a singling-out predicate is tried on
QUERY_COLUMNS = 3  # columns per singling-out predicate
TOLERANCE = 0.05  # share of a column's range within which an inferred number is correct
Z95 = 1.959964


@dataclass
class AttackRisk:
    risk: float | None
    ci95: list[float] | None
    attacks: int
    successes: int
    control_successes: int
    baseline_successes: int
    attack_rate: float
    control_rate: float
    baseline_rate: float
    note: str | None = None


@dataclass
class Attacks:
    singling_out: AttackRisk | None = None
    linkability: AttackRisk | None = None
    linkability_columns: list[list[str]] = field(default_factory=list)
    inference: list[dict[str, Any]] = field(default_factory=list)  # per secret column
    inference_max_risk: float | None = None
    inference_worst_column: str | None = None
    rows_used: dict[str, int] = field(default_factory=dict)
    method: str = (
        "own implementation of Anonymeter's singling-out (multivariate, 3 columns), linkability "
        "(1 nearest neighbour) and inference attacks; risk = (attack - control) / (1 - control), "
        "95 % Wilson intervals"
    )
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


# ---------------------------------------------------------------- statistics


def wilson(n: int, k: float) -> tuple[float, float]:
    """Wilson score estimate of a success rate and its 95 % error bound."""
    z2 = Z95 * Z95
    denominator = n + z2
    rate = (k + 0.5 * z2) / denominator
    error = (Z95 / denominator) * math.sqrt(k * (n - k) / n + 0.25 * z2)
    return rate, error


def risk_of(n: int, success: int, control: int, baseline: int, n_baseline: int | None = None) -> AttackRisk:
    attack, attack_err = wilson(n, success)
    ctrl, ctrl_err = wilson(n, control)
    base, _ = wilson(n_baseline or n, baseline)
    note = None
    if attack <= base:
        note = "the attack did no better than random guessing: the figure cannot be trusted"
    if ctrl >= 1.0:
        return AttackRisk(None, None, n, success, control, baseline, attack, ctrl, base,
                          "the control attack always succeeds: no residual risk can be measured")
    value = (attack - ctrl) / (1 - ctrl)
    error = math.sqrt((attack_err / (1 - ctrl)) ** 2 + (ctrl_err * (attack - 1) / (1 - ctrl) ** 2) ** 2)

    def bound(v):
        return min(max(v, 0.0), 1.0)

    return AttackRisk(bound(value), [bound(value - error), bound(value + error)], n, success,
                      control, baseline, attack, ctrl, base, note)


# ---------------------------------------------------------------- the three attacks


def attacks(
    real_train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    domain: Domain,
    *,
    seed: int = 0,
) -> Attacks:
    """Singling-out, linkability and inference risk of ``synthetic`` for the training rows."""
    if holdout is None:
        return Attacks(skipped="no holdout: the control attack needs real rows the model never saw")
    frames = [real_train, synthetic, holdout]
    cols = [c for c in domain if all(c.name in f.columns for f in frames)]
    n = min(len(real_train), len(holdout), MAX_TARGETS)
    if len(cols) < 2 or n < 10 or len(synthetic) < 2:
        return Attacks(skipped="needs two shared columns, 10 real rows on each side and 2 synthetic rows")
    rng = np.random.default_rng(seed)
    # Equally many training and holdout rows: the control rate then needs no size correction.
    n_eval = min(len(real_train), len(holdout), MAX_SINGLING_OUT_ROWS)
    parts = [subsample(real_train, n_eval, seed), subsample(synthetic, MAX_SYNTHETIC, seed + 1),
             subsample(holdout, n_eval, seed + 2)]
    every = dense_codes(cols, [canonical(p, cols) for p in parts])
    result = Attacks(rows_used={"targets": n, "control": n, "synthetic": len(parts[1]),
                                "singling_out_train": n_eval, "singling_out_control": n_eval})
    result.singling_out = singling_out(every, rng)
    # Subsamples are shuffled: the first n rows are random targets.
    codes = DenseCodes([every.arrays[0][:n], every.arrays[1], every.arrays[2][:n]],
                       every.categorical, every.names)
    full = [codes.distances(side, 1) for side in (0, 2)]
    half = rng.permutation(len(cols))
    a_cols, b_cols = sorted(half[: len(cols) // 2]), sorted(half[len(cols) // 2 :])
    result.linkability = linkability(codes, full, a_cols, rng)
    result.linkability_columns = [[codes.names[j] for j in a_cols], [codes.names[j] for j in b_cols]]
    result.inference = [
        {"column": codes.names[j], **asdict(inference(codes, full, j, rng))} for j in range(len(cols))
    ]
    risks = [(r["risk"], r["column"]) for r in result.inference if r["risk"] is not None]
    if risks:
        result.inference_max_risk, result.inference_worst_column = max(risks)
    log.info("attacks: singling out %s, linkability %s, inference max %s",
             result.singling_out.risk, result.linkability.risk, result.inference_max_risk)
    return result


def _nearest(d: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # Random tie-breaking (a random priority per synthetic row, below any real distance
    # step): with categorical columns many synthetic rows tie, and taking the first of them
    # on both sides of a linkability attack would invent links.
    d += rng.random(d.shape[1], dtype=np.float32) * 1e-3
    return np.argmin(d, axis=1)


def linkability(codes: DenseCodes, full: list[np.ndarray], a_cols, rng) -> AttackRisk:
    """Both halves of a target's columns lead to the same nearest synthetic row: a link."""
    counts = []
    for side, d_full in zip((0, 2), full, strict=True):
        d_a = codes.distances(side, 1, columns=a_cols)
        d_b = d_full - d_a
        counts.append(int(np.sum(_nearest(d_a, rng) == _nearest(d_b, rng))))
    n, m = len(codes.arrays[0]), len(codes.arrays[1])
    baseline = int(np.sum(rng.integers(0, m, n) == rng.integers(0, m, n)))
    return risk_of(n, counts[0], counts[1], baseline)


def inference(codes: DenseCodes, full: list[np.ndarray], j: int, rng) -> AttackRisk:
    """Guess column ``j`` from the nearest synthetic row on every other column."""
    synth = codes.arrays[1][:, j]
    counts = []
    for side, d_full in zip((0, 2), full, strict=True):
        guess = synth[_nearest(d_full - codes.column_distance(j, side, 1), rng)]
        counts.append(int(np.sum(_correct(codes, j, guess, codes.arrays[side][:, j]))))
    n = len(codes.arrays[0])
    baseline = int(np.sum(_correct(codes, j, synth[rng.integers(0, len(synth), n)],
                                   codes.arrays[0][:, j])))
    return risk_of(n, counts[0], counts[1], baseline)


def _correct(codes: DenseCodes, j: int, guess: np.ndarray, secret: np.ndarray) -> np.ndarray:
    # Missing is a code of its own (see DenseCodes): a guessed "missing" can be right.
    if codes.categorical[j]:
        return guess == secret
    return np.abs(guess - secret) <= TOLERANCE


# ---------------------------------------------------------------- singling out

# Predicate operators, applied column by column.
EQ, NE, LE, GE, LT, GT = range(6)
OPERATORS = {EQ: np.equal, NE: np.not_equal, LE: np.less_equal, GE: np.greater_equal,
             LT: np.less, GT: np.greater}


def singling_out(codes: DenseCodes, rng, n_attacks: int = MAX_TARGETS) -> AttackRisk:
    """Predicates that single out one synthetic row; do they single out one training row?"""
    synth, d = codes.arrays[1], len(codes.names)
    k = min(QUERY_COLUMNS, d)
    medians = np.zeros(d, dtype=np.float32)
    for j in np.flatnonzero(~codes.categorical):
        present = synth[synth[:, j] != MISSING_NUMBER, j]
        medians[j] = np.median(present) if len(present) else 0.0
    found: dict[bytes, tuple] = {}
    for batch in range(20):  # of candidates; most tables fill up in a few
        log.debug("singling out: batch %d, %d predicates found", batch, len(found))
        rows = synth[rng.integers(0, len(synth), 1000)]
        cols = np.argsort(rng.random((1000, d)), axis=1)[:, :k]
        vals = np.take_along_axis(rows, cols, axis=1)
        # Above the median, ask for "at least": extremes single out (Anonymeter's rule).
        ops = np.where(codes.categorical[cols], EQ, np.where(vals > medians[cols], GE, LE))
        unique = _counts(synth, cols, vals, ops) == 1
        for c, v, o in zip(cols[unique], vals[unique], ops[unique], strict=True):
            found.setdefault(np.r_[c, v, o].tobytes(), (c, v, o))
        if len(found) >= n_attacks:
            break
    if not found:
        return AttackRisk(None, None, 0, 0, 0, 0, 0.0, 0.0, 0.0,
                          "no predicate singles out a synthetic row: nothing to attack with")
    cols, vals, ops = (np.array(x) for x in zip(*list(found.values())[:n_attacks], strict=True))
    n = len(cols)
    success = int(np.sum(_counts(codes.arrays[0], cols, vals, ops) == 1))
    control = int(np.sum(_counts(codes.arrays[2], cols, vals, ops) == 1))
    # Baseline: random columns, values drawn from the synthetic column, random operators.
    b_cols = np.argsort(rng.random((n, d)), axis=1)[:, :k]
    b_vals = synth[rng.integers(0, len(synth), (n, k)), b_cols]
    b_ops = np.where(codes.categorical[b_cols], rng.integers(EQ, NE + 1, (n, k)),
                     rng.integers(EQ, GT + 1, (n, k)))
    baseline = int(np.sum(_counts(codes.arrays[0], b_cols, b_vals, b_ops) == 1))
    note = None if n >= n_attacks else f"only {n} singling-out predicates found of {n_attacks} sought"
    risk = risk_of(n, success, control, baseline)
    risk.note = risk.note or note
    return risk


def _counts(x: np.ndarray, cols: np.ndarray, vals: np.ndarray, ops: np.ndarray) -> np.ndarray:
    """Rows of ``x`` matching each conjunctive predicate (one per row of cols/vals/ops)."""
    match = np.ones((len(x), len(cols)), dtype=bool)
    for p in range(cols.shape[1]):
        column, v, op = x[:, cols[:, p]], vals[:, p], ops[:, p]
        for code, compare in OPERATORS.items():
            chosen = np.flatnonzero(op == code)  # only the predicates using this operator
            if len(chosen):
                match[:, chosen] &= compare(column[:, chosen], v[chosen])
    return match.sum(axis=0)
