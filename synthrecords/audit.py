"""An empirical privacy audit in one training run (Steinke, Nasr & Jagielski 2023).

The claim "this release is (epsilon, delta)-DP" is tested from the outside, the way an
attacker would see the release:

1. **Canaries.** ``m`` extra records are designed from the data, each with a feature that
   stands out in one channel a synthesizer can leak through: a category value of its own
   (``categorical``), an extreme value of a number, far beyond the data and far from every
   other canary's (``numeric_tail``), or a combination of two common category values that
   the data (almost) never holds together (``pair``).
2. **One fit.** Each canary joins the training table independently with probability 1/2
   (the secret ``S``); the model is fitted once, exactly as ``Synthesizer.fit`` does it.
3. **Scores from the release only.** Synthetic rows are sampled and each canary gets a
   score from them alone: how often its category, its number (within its own window) or
   its pair of values appears, beyond the data's own rate.
4. **Guesses.** In each channel the ``k`` highest scores are guessed "in" and the ``k``
   lowest "out" (``k = guess_share * m_c / 2``); the rest abstain. Ties are broken at random.
5. **Bound.** If training is (epsilon, delta)-DP, ``v`` correct guesses out of ``r`` are
   unlikely beyond what epsilon-randomized response reaches, ``Binomial(r, e^eps / (1 +
   e^eps))``, plus a delta term (the paper's Theorem 5.2 and its Algorithm: ``p_value``).
   The empirical lower bound is the largest epsilon rejected at the given confidence.

Any guessing rule that looks only at the release is valid, so pooling the channels' guesses
is too. A lower bound above the claim refutes the claim (at that confidence); one below it is
consistent with it (an audit never proves a claim). The canaries are copies of real rows
with one feature changed: the audit is for the data owner, its outputs hold no real rows.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .atomic import refuse_existing, write_text
from .config import DEFAULT_NLP_MODEL
from .domain import infer_kind
from .errors import SynthRecordsError
from .pii.scan import scan_pii
from .privacy.domain import default_delta
from .synthesizer import Synthesizer

log = logging.getLogger(__name__)
CHANNELS = ("categorical", "numeric_tail", "pair")
COMMON_SHARE = 0.02  # a "common" value of a pair canary: at least this share of rows
RESULT_FILE = "audit.json"


# -- the bound (the paper's Algorithm, with delta) ----------------------------------------
def p_value(m: int, r: int, v: int, epsilon: float, delta: float) -> float:
    """Probability of ``v`` or more correct guesses out of ``r`` (``m`` canaries) under an
    (epsilon, delta)-DP mechanism: P[Binomial(r, q) >= v] + 2 m delta max_i P[v - i <=
    Binomial(r, q) < v] / i, with q = e^eps / (1 + e^eps) (Steinke, Nasr & Jagielski 2023)."""
    if not 0 <= v <= r <= m:
        raise ValueError(f"need 0 <= correct ({v}) <= guesses ({r}) <= canaries ({m})")
    q = 1.0 / (1.0 + math.exp(-epsilon))
    beta = float(stats.binom.sf(v - 1, r, q))
    if v == 0 or delta == 0:
        return min(beta, 1.0)
    below = stats.binom.pmf(np.arange(v - 1, -1, -1), r, q)  # P[B = v - i], i = 1..v
    alpha = float(np.max(np.cumsum(below) / np.arange(1, v + 1)))
    return min(beta + alpha * delta * 2 * m, 1.0)


def epsilon_lower_bound(m: int, r: int, v: int, delta: float, confidence: float = 0.95) -> float:
    """The largest epsilon whose p-value for ``v`` correct of ``r`` is below 1 - confidence
    (0 when even epsilon = 0 is not rejected); bisection to 1e-6."""
    level = 1.0 - confidence
    if not 0 < level < 1:
        raise SynthRecordsError(f"confidence must be in (0, 1), got {confidence}")
    if r == 0 or p_value(m, r, v, 0.0, delta) >= level:
        return 0.0
    lo, hi = 0.0, 1.0
    while p_value(m, r, v, hi, delta) < level:
        lo, hi = hi, 2 * hi
    while hi - lo > 1e-6:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if p_value(m, r, v, mid, delta) < level else (lo, mid)
    return lo


# -- canaries -------------------------------------------------------------------------------
@dataclass
class Canary:
    channel: str
    columns: list[str]
    values: list[Any]
    window: float = 0.0  # numeric_tail: half-width of the canary's own window
    base_share: float = 0.0  # pair: the share of data rows that already hold the pair


def design_canaries(data: pd.DataFrame, m: int, rng: np.random.Generator) -> tuple[list[Canary], pd.DataFrame]:
    """``m`` canaries split over the channels the table supports, and their rows (copies of
    random data rows with the canary's feature written in)."""
    kinds = {c: infer_kind(data[c])[0] for c in data.columns}
    texts = [c for c, k in kinds.items() if k == "categorical" and data[c].dtype == object and data[c].nunique() > 1]
    numbers = [c for c, k in kinds.items() if k == "numerical" and data[c].nunique() > 1]
    groups = [c for c, k in kinds.items() if k == "categorical" and 1 < data[c].nunique() <= 60]
    category = min(texts, key=lambda c: data[c].nunique()) if texts else None
    cells = _rare_cells(data, [c for c in groups if c != category])
    channels = [ch for ch, ok in zip(CHANNELS, (category, numbers, cells)) if ok]
    if not channels:
        raise SynthRecordsError("the table has no text category, number or pair of category columns to plant canaries "
                                "in; audit a table with at least one such modelled column")
    share = {ch: m // len(channels) + (i < m % len(channels)) for i, ch in enumerate(channels)}
    if "pair" in share and share["pair"] > len(cells):  # each pair canary needs a cell of its own
        spill, share["pair"] = share["pair"] - len(cells), len(cells)
        share[next(ch for ch in channels if ch != "pair") if len(channels) > 1 else "pair"] += spill
    canaries: list[Canary] = []
    for i in range(share.get("categorical", 0)):
        canaries.append(Canary("categorical", [category], [f"canary-{i:05d}"]))
    if share.get("numeric_tail"):
        column = max(numbers, key=lambda c: data[c].nunique())
        values = pd.to_numeric(data[column], errors="coerce").dropna()
        lo, hi = float(values.min()), float(values.max())
        span = hi - lo
        integer = bool((values % 1 == 0).all())
        for i in range(share["numeric_tail"]):
            x = hi + span * (i + 1)  # each alone in its window of width span: far beyond the data
            canaries.append(Canary("numeric_tail", [column], [round(x) if integer else x], window=span / 2))
    for a, b, va, vb, base in cells[:share.get("pair", 0)]:
        canaries.append(Canary("pair", [a, b], [va, vb], base_share=base))
    rows = data.iloc[rng.integers(0, len(data), len(canaries))].reset_index(drop=True)  # dtypes kept: kinds hold
    for i, c in enumerate(canaries):
        for column, value in zip(c.columns, c.values):
            rows.at[i, column] = value
    return canaries, rows


def _rare_cells(data: pd.DataFrame, columns: list[str]) -> list[tuple[str, str, Any, Any, float]]:
    """Cells (A = a, B = b) of two common values the data holds far less often than
    independence predicts (none at all first), most surprising first; at most one table's
    worth of cells per column pair comes before the next pair's."""
    n, found = len(data), []
    for i, a in enumerate(columns):
        for b in columns[i + 1:]:
            pa, pb = data[a].value_counts(normalize=True), data[b].value_counts(normalize=True)
            pa, pb = pa[pa >= COMMON_SHARE], pb[pb >= COMMON_SHARE]
            joint = data.groupby([a, b], observed=True).size()
            for va, sa in pa.items():
                for vb, sb in pb.items():
                    count, expected = int(joint.get((va, vb), 0)), n * sa * sb
                    if count < expected / 4:
                        found.append((count / expected, -expected, a, b, va, vb, count / n))
    found.sort(key=lambda f: f[:2])
    return [(a, b, _native(va), _native(vb), base) for _, _, a, b, va, vb, base in found]


def _native(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def scores(canaries: list[Canary], synthetic: pd.DataFrame) -> np.ndarray:
    """Each canary's score from the synthetic rows alone: higher means "it was trained on"."""
    out = np.zeros(len(canaries))
    n = max(len(synthetic), 1)
    text: dict[str, np.ndarray] = {}  # each column as strings once, not once per canary
    as_text = lambda col: text.setdefault(col, synthetic[col].astype(str).to_numpy())
    for i, c in enumerate(canaries):
        missing = [col for col in c.columns if col not in synthetic]
        if missing:
            raise SynthRecordsError(f"audit: the synthetic rows lack column(s) {missing} the canaries were planted in "
                                    "(the PII scan dropped them?); audit a table whose modelled columns include them")
        if c.channel == "categorical":
            out[i] = (as_text(c.columns[0]) == str(c.values[0])).sum()
        elif c.channel == "numeric_tail":
            x = pd.to_numeric(synthetic[c.columns[0]], errors="coerce")
            out[i] = ((x - c.values[0]).abs() <= c.window).sum()
        else:
            hit = np.ones(len(synthetic), dtype=bool)
            for col, value in zip(c.columns, c.values):
                hit &= as_text(col) == str(value)
            out[i] = hit.sum() / n - c.base_share
    return out


def guesses(channels: np.ndarray, score: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """+1 (in) for each channel's top ``k`` scores, -1 (out) for its bottom ``k``, 0 otherwise."""
    out = np.zeros(len(score), dtype=int)
    for ch in np.unique(channels):
        idx = np.flatnonzero(channels == ch)
        k = int(share * len(idx) / 2)
        order = idx[np.lexsort((rng.random(len(idx)), score[idx]))]  # ties: random order
        if k:
            out[order[:k]], out[order[-k:]] = -1, 1
    return out


# -- the audit ------------------------------------------------------------------------------
@dataclass
class ChannelCounts:
    channel: str
    columns: list[str]
    canaries: int
    included: int
    guesses: int
    correct: int
    empirical_epsilon: float  # this channel alone (for reading; the headline pools all)


@dataclass
class AuditResult:
    model: str
    private: bool
    claimed_epsilon: float
    epsilon_spent: float | None  # the ledger's composed epsilon; None for a model without DP
    delta: float
    confidence: float
    empirical_epsilon: float
    canaries: int
    included: int
    guesses: int
    correct: int
    training_rows: int
    synthetic_rows: int
    channels: list[ChannelCounts] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return self.empirical_epsilon <= self.claimed_epsilon

    def line(self) -> str:
        sign, verdict = ("<=", "consistent") if self.consistent else (">", "EXCEEDS")
        return (f"empirical lower bound {self.empirical_epsilon:.3g} ({self.confidence:.0%}) {sign} claimed "
                f"{self.claimed_epsilon:g}: {verdict}")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "consistent": self.consistent, "method": "Steinke, Nasr & Jagielski 2023, one run"}


def run_audit(data: pd.DataFrame, epsilon: float, *, model: str | None = None, canaries: int = 1000,
              seed: int | None = None, rows: int | None = None, epochs: int | None = None,
              nlp_model: str | None = DEFAULT_NLP_MODEL, guess_share: float = 0.5,
              confidence: float = 0.95) -> AuditResult:
    """Audit ``model`` (default dpctgan) at ``epsilon`` with ``canaries`` canaries in one fit.

    A model without DP (gaussian_copula, ctgan, tvae) is fitted without an epsilon and its
    release tested against ``epsilon`` all the same: the control that shows the audit's power.
    ``rows`` synthetic rows are scored (default 5x the training rows: more than a release
    usually holds, a stronger attacker; DP covers any number of rows)."""
    if not epsilon > 0 or not math.isfinite(epsilon):
        raise SynthRecordsError(f"--epsilon must be a positive number, got {epsilon}")
    if canaries < 2:
        raise SynthRecordsError(f"--canaries must be at least 2, got {canaries}; the bench uses 1000")
    if not 0 < guess_share <= 1:
        raise SynthRecordsError(f"guess_share must be in (0, 1], got {guess_share}")
    rng = np.random.default_rng(secrets.randbits(63) if seed is None else seed)
    name = model or "dpctgan"
    from .models.train import make_engine

    private = make_engine(name, epochs).private
    pii = scan_pii(data, nlp_model=nlp_model, seed=seed or 0)
    modelled = [c for c in data.columns if pii[c].category not in ("direct", "free_text")]
    base = data[modelled].reset_index(drop=True)
    plan, canary_rows = design_canaries(base, canaries, rng)
    included = rng.random(len(plan)) < 0.5  # the secret S
    table = pd.concat([base, canary_rows[included]], ignore_index=True).sample(frac=1.0, random_state=rng.integers(2 ** 31))
    log.info("audit: %d canaries (%d in), %d data rows, model %s", len(plan), included.sum(), len(base), name)
    synth = Synthesizer(epsilon=epsilon if private else None, model=name, epochs=epochs, seed=seed,
                        nlp_model=nlp_model).fit(table.reset_index(drop=True))
    n_rows = rows or 5 * len(table)
    synthetic = synth.sample(n_rows, seed=seed)
    score = scores(plan, synthetic)
    channels = np.array([c.channel for c in plan])
    guess = guesses(channels, score, guess_share, rng)
    correct = (guess == 1) & included | (guess == -1) & ~included
    delta = synth.ledger_.delta if private else default_delta(len(table))
    counts = []
    for ch in CHANNELS:
        mask = channels == ch
        if mask.any():
            r, v = int((guess[mask] != 0).sum()), int(correct[mask].sum())
            columns = sorted({col for c, m in zip(plan, mask) if m for col in c.columns})
            counts.append(ChannelCounts(ch, columns, int(mask.sum()), int(included[mask].sum()), r, v,
                                        epsilon_lower_bound(int(mask.sum()), r, v, delta, confidence)))
    r, v = int((guess != 0).sum()), int(correct.sum())
    return AuditResult(model=name, private=private, claimed_epsilon=epsilon,
                       epsilon_spent=synth.ledger_.epsilon_spent() if private else None, delta=delta,
                       confidence=confidence, empirical_epsilon=epsilon_lower_bound(len(plan), r, v, delta, confidence),
                       canaries=len(plan), included=int(included.sum()), guesses=r, correct=v,
                       training_rows=len(table), synthetic_rows=len(synthetic), channels=counts)


def write_result(result: AuditResult, out: Path, *, overwrite: bool = False) -> Path:
    """``out/audit.json``, atomically; an existing one is refused unless ``overwrite``."""
    path = Path(out) / RESULT_FILE
    refuse_existing(path, overwrite)
    write_text(path, json.dumps(result.to_dict(), indent=2))
    return path
