"""Dataset budgets: a total epsilon per dataset, across every fit, kept in a ledger file.

A model's own ledger covers one model. Fitting again on the same data spends again, so a
data owner can cap the total: ``dataset_budget`` (job file ``[privacy] dataset_budget``,
CLI ``--dataset-budget``). Each fit on a dataset (identified by the sha256 of its column
names and values) appends its ledger entries to a JSON file, written atomically under a
file lock. The spent total is every entry of every fit composed in RDP
(``synthrecords.privacy.ledger``), converted once at the sum of the fits' deltas, not a sum of
per-fit epsilons. A fit that would take the total past the cap is refused unless
``allow_over_budget`` is set; a fit without epsilon on a budgeted dataset spends an
unbounded amount and is refused likewise.

The file is ``budget_file`` when given, else ``$SYNTHRECORDS_BUDGET_FILE``, else
``$XDG_STATE_HOME/synthrecords/budgets.json`` (``~/.local/state/...``): per user, so
every project of that user on that machine shares one ledger per dataset.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..atomic import write_text
from ..errors import SynthRecordsError
from .ledger import BudgetExceededError, LedgerEntry, PrivacyLedger

FORMAT = "synthrecords-budget/1"
OVER_HINT = "pass --allow-over-budget (job file: allow_over_budget = true under [privacy]) to go over knowingly"


def default_budget_file() -> Path:
    if os.environ.get("SYNTHRECORDS_BUDGET_FILE"):
        return Path(os.environ["SYNTHRECORDS_BUDGET_FILE"])
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "synthrecords" / "budgets.json"


def dataset_sha256(df: pd.DataFrame) -> str:
    """The dataset's identity: column names and values (not the file name or format)."""
    digest = hashlib.sha256(json.dumps([str(c) for c in df.columns]).encode())
    digest.update(pd.util.hash_pandas_object(df, index=False).values.tobytes())
    return digest.hexdigest()


def composed(fits: list[dict[str, Any]]) -> tuple[float, float]:
    """(epsilon, delta) of all fits together: entries composed in RDP, deltas summed."""
    if not fits:
        return 0.0, 0.0
    if any(f["epsilon"] is None for f in fits):
        return math.inf, 1.0  # a fit without DP: no bound holds any more
    delta = sum(f["delta"] for f in fits)
    if delta >= 1:
        return math.inf, delta
    entries = [LedgerEntry(**e) for f in fits for e in f["entries"]]
    return PrivacyLedger(math.inf, delta, entries).epsilon_spent(), delta


@dataclass
class DatasetBudget:
    total: float | None  # epsilon cap for the dataset; None records without a cap
    path: Path
    allow_over: bool = False

    def __post_init__(self) -> None:
        if self.total is not None and not self.total > 0:
            raise SynthRecordsError(f"dataset_budget must be > 0, got {self.total}")
        self.path = Path(self.path)

    def fits(self, dataset: str) -> list[dict[str, Any]]:
        return self._read()["datasets"].get(dataset, {}).get("fits", [])

    def spent(self, dataset: str) -> tuple[float, float]:
        return composed(self.fits(dataset))

    def check(self, dataset: str, epsilon: float | None) -> None:
        """Before training: refuse a fit that cannot stay within the cap.

        The new fit's entries are not known yet, so its target is added to the composed
        spend so far (basic composition, an upper bound); ``charge`` composes exactly.
        """
        if self.total is None or self.allow_over:
            return
        fits = self.fits(dataset)
        spent, _ = composed(fits)
        if epsilon is None:
            raise BudgetExceededError(f"dataset {dataset[:12]} has a budget of epsilon {self.total:g}, but this fit "
                                      f"sets no epsilon (no formal guarantee); set an epsilon, or {OVER_HINT}")
        if spent + epsilon > self.total * (1 + 1e-9):
            left = max(self.total - spent, 0.0)
            raise BudgetExceededError(
                f"dataset {dataset[:12]} has spent epsilon {spent:.3g} of its budget {self.total:g} in {len(fits)} "
                f"fit(s) (ledger {self.path}); a fit at epsilon {epsilon:g} could go past it; "
                + (f"use epsilon {left:.3g} or less, or {OVER_HINT}" if left > 0 else f"the budget is spent; {OVER_HINT}"))

    def charge(self, dataset: str, ledger: PrivacyLedger, *, model: str) -> dict[str, Any]:
        """After training, before the model is returned: add this fit's entries to the file.

        Re-reads the file under a lock, so two fits at once both count; refuses (writing
        nothing) if the composed total would pass the cap. Returns the dataset's status.
        """
        fit = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "model": model,
               "epsilon": ledger.epsilon, "delta": ledger.delta if ledger.is_private else None,
               "entries": [asdict(e) for e in ledger.entries if e.fit == ledger.fits] if ledger.is_private else []}
        with self._locked():
            doc = self._read()
            record = doc["datasets"].setdefault(dataset, {"fits": []})
            fits = [*record["fits"], fit]
            spent, delta = composed(fits)
            over = self.total is not None and spent > self.total * (1 + 1e-9)
            if over and not self.allow_over:
                raise BudgetExceededError(
                    f"dataset {dataset[:12]}: this fit would bring the composed epsilon to {spent:.4g}, past its "
                    f"budget {self.total:g} (ledger {self.path}); nothing was saved; lower epsilon, or {OVER_HINT}")
            fit["over_budget"] = over
            record["fits"] = fits
            record["total"] = self.total
            record["epsilon_spent"] = None if math.isinf(spent) else spent
            record["delta"] = delta
            write_text(self.path, json.dumps(doc, indent=2) + "\n")
        return self.status(dataset, fits)

    def status(self, dataset: str, fits: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        fits = self.fits(dataset) if fits is None else fits
        spent, delta = composed(fits)
        return {"dataset": dataset, "budget": self.total, "epsilon_spent": None if math.isinf(spent) else spent,
                "delta": delta, "fits": len(fits), "over_budget": self.total is not None and spent > self.total,
                "ledger_file": str(self.path), "accounting": "RDP over every fit's entries, deltas summed"}

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"format": FORMAT, "datasets": {}}
        try:
            doc = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise SynthRecordsError(f"budget ledger {self.path} is unreadable ({exc}); restore it from a backup "
                                    "(deleting it forgets what was spent)") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise SynthRecordsError(f"budget ledger {self.path} is not a {FORMAT} file; point budget_file elsewhere")
        return doc

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
