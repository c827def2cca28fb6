"""The privacy ledger: one accountant for the whole run.

Every mechanism that touches real data under DP is recorded here: a (possibly
subsampled) Gaussian mechanism as a noise multiplier (noise std / L2 sensitivity), a
sampling rate and a number of steps; an exponential mechanism (the ``marginals`` model's
selection rounds) as its pure epsilon and a number of steps. The ledger composes all
entries in Rényi DP (Gaussian ones with Opacus's analysis) and converts to (epsilon,
delta) once, so the reported epsilon is the composition of everything, not a sum of
per-stage conversions.

Like an Opacus accountant it has a small interface: ``record`` (a step) and
``epsilon_spent`` (get_epsilon). With no epsilon target it records nothing and says
plainly that the run carries no formal guarantee.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from opacus.accountants.analysis import rdp as rdp_analysis

from ..errors import SynthRecordsError

# Opacus's default orders plus a few large ones: small epsilons for count queries
# are converted best at large orders.
ORDERS: tuple[float, ...] = tuple([1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64)) + [128, 256, 512])
NO_GUARANTEE = "no epsilon set: no formal privacy guarantee"
# Every sensitivity (one count per histogram, one clipped gradient per DP-SGD step) and
# Opacus' subsampled-Gaussian analysis are for add/remove neighbours. Under that relation
# the row count itself differs between neighbours, so it is released too, as a noisy count
# (its own "rows" entry, privacy.rowcount), and only that count is used afterwards.
NEIGHBOURING = ("add or remove one record (every entry's sensitivity and Opacus' analysis are for this relation; "
                "the row count is released as a noisy count, the 'rows' entry, and every later use of n reads it)")


class BudgetExceededError(SynthRecordsError):
    """A mechanism would push the spent epsilon past the target."""


EXPONENTIAL = "exponential"


@dataclass
class LedgerEntry:
    stage: str  # pipeline stage: "domain", "train", ...
    mechanism: str  # "gaussian" (q = 1), "subsampled_gaussian" or "exponential"
    noise_multiplier: float  # Gaussian entries; 0 for "exponential"
    sample_rate: float = 1.0
    steps: int = 1
    fit: int = 1  # which fit of the model spent it; refitting spends again
    detail: str = ""
    # delta this mechanism spends outside its RDP curve (e.g. a category threshold that
    # fails with this probability); the final conversion runs at the remaining delta
    delta: float = 0.0
    # "exponential" entries: the pure epsilon of one selection (score sensitivity included)
    epsilon: float = 0.0

    def rdp(self, orders: tuple[float, ...] = ORDERS) -> np.ndarray:
        if self.mechanism == EXPONENTIAL:
            # The exponential mechanism at epsilon is epsilon-bounded-range, hence
            # epsilon^2 / 8 -zCDP (Cesar & Rogers 2021, "Bounding, concentrating, and truncating:
            # unifying privacy loss composition for data analytics", Lemma 3.2 with Durfee &
            # Rogers 2019), i.e. RDP(alpha) = alpha * epsilon^2 / 8 at every order; AIM accounts
            # its selections the same way. Steps compose linearly.
            return self.steps * np.asarray(orders, dtype=float) * self.epsilon ** 2 / 8
        return np.asarray(
            rdp_analysis.compute_rdp(
                q=self.sample_rate, noise_multiplier=self.noise_multiplier, steps=self.steps, orders=list(orders)
            ),
            dtype=float,
        )


@dataclass
class PrivacyLedger:
    epsilon: float | None = None  # target; None means no DP
    delta: float | None = None
    entries: list[LedgerEntry] = field(default_factory=list)
    fits: int = 0
    rows: int | None = None  # the row count the "rows" entry released (noisy); None: not released

    def __post_init__(self) -> None:
        if self.epsilon is not None:
            if not self.epsilon > 0:
                raise SynthRecordsError(f"epsilon must be > 0, got {self.epsilon}; omit it for no DP")
            if self.delta is None or not 0 < self.delta < 1:
                raise SynthRecordsError(
                    f"delta must be in (0, 1) when epsilon is set, got {self.delta}; "
                    "a common choice is 1/(10 * rows)"
                )

    @property
    def is_private(self) -> bool:
        return self.epsilon is not None

    @property
    def guarantee(self) -> str:
        if not self.is_private:
            return "none"
        return f"({self.epsilon_spent():.4g}, {self.delta:.3g})-DP"

    def start_fit(self) -> int:
        """Mark the start of a fit; mechanisms recorded after it belong to it."""
        self.fits += 1
        return self.fits

    def rdp(self, extra: list[LedgerEntry] = ()) -> np.ndarray:
        total = np.zeros(len(ORDERS))
        for entry in [*self.entries, *extra]:
            total += entry.rdp()
        return total

    def delta_reserved(self, extra: list[LedgerEntry] = ()) -> float:
        """Delta spent outside RDP by the entries; the conversion gets what is left."""
        return float(sum(e.delta for e in [*self.entries, *extra]))

    def epsilon_spent(self, extra: list[LedgerEntry] = ()) -> float:
        """Composed epsilon of every recorded entry (plus ``extra``, to plan ahead)."""
        if not self.is_private or not (self.entries or extra):
            return 0.0
        left = self.delta - self.delta_reserved(extra)
        if not left > 0:
            return float("inf")  # the reserved deltas alone use up delta: no epsilon holds
        with warnings.catch_warnings():
            # Calibration probes extreme noise levels whose optimum sits at an end of ORDERS;
            # the bound there is still valid (only looser), so Opacus' advice is noise here.
            warnings.filterwarnings("ignore", message="Optimal order is the")
            eps, _ = rdp_analysis.get_privacy_spent(orders=list(ORDERS), rdp=self.rdp(extra), delta=left)
        return float(eps)

    def remaining(self) -> float:
        return 0.0 if not self.is_private else max(self.epsilon - self.epsilon_spent(), 0.0)

    def record(self, stage: str, *, noise_multiplier: float, sample_rate: float = 1.0, steps: int = 1,
               detail: str = "", delta: float = 0.0) -> LedgerEntry:
        """Charge a mechanism to the budget. Refuses (and records nothing) past the target."""
        if not self.is_private:
            raise SynthRecordsError("cannot record a DP mechanism on a ledger without an epsilon target")
        mechanism = "gaussian" if sample_rate >= 1.0 else "subsampled_gaussian"
        entry = LedgerEntry(stage, mechanism, float(noise_multiplier), float(sample_rate), int(steps),
                            max(self.fits, 1), detail, float(delta))
        return self._append(entry)

    def record_exponential(self, stage: str, *, epsilon: float, steps: int = 1, detail: str = "") -> LedgerEntry:
        """Charge ``steps`` exponential-mechanism selections, each ``epsilon``-DP. Refuses (and
        records nothing) past the target, like ``record``."""
        if not self.is_private:
            raise SynthRecordsError("cannot record a DP mechanism on a ledger without an epsilon target")
        if not epsilon > 0:
            raise SynthRecordsError(f"{stage}: an exponential mechanism needs epsilon > 0, got {epsilon}")
        entry = LedgerEntry(stage, EXPONENTIAL, 0.0, 1.0, int(steps), max(self.fits, 1), detail, 0.0, float(epsilon))
        return self._append(entry)

    def _append(self, entry: LedgerEntry) -> LedgerEntry:
        spent = self.epsilon_spent([entry])
        if spent > self.epsilon * (1 + 1e-9):
            raise BudgetExceededError(
                f"{entry.stage}: {entry.detail or entry.mechanism} would bring epsilon to {spent:.4g}, past the "
                f"target {self.epsilon:g}; raise epsilon or lower the work this stage does"
            )
        self.entries.append(entry)
        return entry

    def to_dict(self) -> dict[str, Any]:
        spent = self.epsilon_spent() if self.is_private else None
        per_entry = []
        for e in self.entries:
            d = asdict(e)
            if e.mechanism != EXPONENTIAL:
                del d["epsilon"]  # Gaussian entries keep the fields they always had
            d["epsilon_alone"] = PrivacyLedger(self.epsilon, self.delta, [e]).epsilon_spent()
            per_entry.append(d)
        return {
            "guarantee": self.guarantee,
            "epsilon_target": self.epsilon,
            "delta": self.delta,
            "delta_reserved": self.delta_reserved() if self.is_private else None,
            "epsilon_spent": spent,
            "accounting": _accounting(self.entries) if self.is_private else None,
            "neighbouring": NEIGHBOURING if self.is_private else None,
            "fits": self.fits,
            "rows": self.rows,
            "entries": per_entry,
            "note": NO_GUARANTEE if not self.is_private else (
                "refit on the same data: entries of every fit are composed" if self.fits > 1 else ""
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrivacyLedger:
        fields = set(LedgerEntry.__dataclass_fields__)
        entries = [LedgerEntry(**{k: v for k, v in e.items() if k in fields}) for e in data.get("entries", [])]
        return cls(data.get("epsilon_target"), data.get("delta"), entries, int(data.get("fits", 0)), data.get("rows"))


def _accounting(entries: list[LedgerEntry]) -> str:
    if any(e.mechanism == EXPONENTIAL for e in entries):
        return ("RDP (Opacus analysis for Gaussian entries, alpha * epsilon^2 / 8 for exponential ones), "
                "all entries composed, converted once")
    return "RDP (Opacus analysis), all entries composed, converted once"
