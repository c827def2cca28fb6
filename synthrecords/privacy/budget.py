"""Dataset budgets: a total epsilon per dataset, across every fit, kept in a ledger file.

A model's own ledger covers one model. Fitting again on the same data spends again, so a
data owner can cap the total: ``dataset_budget`` (job file ``[privacy] dataset_budget``,
CLI ``--dataset-budget``). Each fit on a dataset appends its ledger entries to a JSON file,
written atomically under a file lock.

The dataset's identity is its values, not its layout: a sorted multiset of per-column
multisets of normalised values, so shuffling rows, reordering or renaming columns, or
re-saving CSV as Parquet does not start a fresh budget (``dataset_sha256``). A user can
name the dataset instead (``dataset_id``, CLI ``--dataset-id``, job ``[privacy] dataset_id``),
which holds across edits of the data too.

The file is tamper-evident: every fit carries a sequence number, the previous fit's link
and its own link, a sha256 (or, with ``$SYNTHRECORDS_BUDGET_KEY`` set, an HMAC-SHA256) over
all of that; a seal covers the head and the count. An edited, removed or reordered fit
breaks the chain and every later fit is refused until the file is restored. Without a key
this catches edits by hand and by tools that do not know the scheme; with a key only its
holders can write a valid file. Neither can tell a whole file replaced by an older copy of
itself, nor a deleted file, from the real thing: keep it where users of the data cannot
write. The spent total is every entry of every fit composed in RDP
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
import hmac
import json
import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import write_text
from ..errors import SynthRecordsError
from .ledger import BudgetExceededError, LedgerEntry, PrivacyLedger

FORMAT = "synthrecords-budget/2"
LEGACY_FORMAT = "synthrecords-budget/1"  # no chain: read, and chained from the next write on
KEY_VARIABLE = "SYNTHRECORDS_BUDGET_KEY"
log = logging.getLogger(__name__)
OVER_HINT = "pass --allow-over-budget (job file: allow_over_budget = true under [privacy]) to go over knowingly"


def default_budget_file() -> Path:
    if os.environ.get("SYNTHRECORDS_BUDGET_FILE"):
        return Path(os.environ["SYNTHRECORDS_BUDGET_FILE"])
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "synthrecords" / "budgets.json"


def dataset_sha256(df: pd.DataFrame) -> str:
    """The dataset's identity: its values, whatever the row order, column order or names.

    Each column becomes the sha256 of its sorted value hashes (a multiset); the dataset the
    sha256 of its row count and its sorted column digests. Values are normalised first:
    numbers (and numeric text, booleans) as float64, text stripped, so a CSV and a Parquet
    copy agree. Two tables with equal columns in a different row pairing share an identity:
    the safe direction for a budget.
    """
    columns = sorted(_column_digest(df.iloc[:, i]) for i in range(df.shape[1]))
    digest = hashlib.sha256(f"synthrecords-dataset/2:{len(df)}:".encode())
    for column in columns:
        digest.update(column)
    return digest.hexdigest()


def legacy_dataset_sha256(df: pd.DataFrame) -> str:
    """The identity before synthrecords-dataset/2 (names and values in order): budgets kept
    under it are still counted, and moved to the new identity at the next fit."""
    digest = hashlib.sha256(json.dumps([str(c) for c in df.columns]).encode())
    digest.update(pd.util.hash_pandas_object(df, index=False).values.tobytes())
    return digest.hexdigest()


def _column_digest(series: pd.Series) -> bytes:
    values = _normalised(series.reset_index(drop=True))
    hashes = np.sort(pd.util.hash_pandas_object(values, index=False).to_numpy())
    return hashlib.sha256(hashes.tobytes()).digest()


def _normalised(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return series.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").astype(object)
    text = series.astype("string").str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().sum() == text.notna().sum():  # numeric text: "1.50" and 1.5 are one value
        return numbers.astype("float64")
    return text.astype(object)


class BudgetTamperedError(SynthRecordsError):
    """The budget ledger's hash chain is broken: entries were edited, removed or reordered."""


def _key() -> bytes | None:
    key = os.environ.get(KEY_VARIABLE)
    return key.encode() if key else None


def _digest(key: bytes | None, payload: Any) -> str:
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hmac.new(key, data, hashlib.sha256).hexdigest() if key else hashlib.sha256(data).hexdigest()


def _link(key: bytes | None, dataset: str, fit: dict[str, Any]) -> str:
    return _digest(key, {"dataset": dataset, "fit": {k: v for k, v in fit.items() if k != "link"}})


def _seal(key: bytes | None, doc: dict[str, Any], head: str, count: int) -> str:
    # Fits from before chaining (format /1) have no links: the seal covers them as they are.
    unchained = [[name, f] for name, record in sorted(doc["datasets"].items()) for f in record["fits"] if "seq" not in f]
    return _digest(key, {"seal": head, "count": count, "unchained": unchained})


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

    def fits(self, dataset: str, aliases: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        datasets = self._read()["datasets"]
        return [f for name in (dataset, *aliases) for f in datasets.get(name, {}).get("fits", [])]

    def spent(self, dataset: str) -> tuple[float, float]:
        return composed(self.fits(dataset))

    def check(self, dataset: str, epsilon: float | None, *, aliases: tuple[str, ...] = ()) -> None:
        """Before training: refuse a fit that cannot stay within the cap.

        The new fit's entries are not known yet, so its target is added to the composed
        spend so far (basic composition, an upper bound); ``charge`` composes exactly.
        """
        fits = self.fits(dataset, aliases)  # a broken chain refuses even without a cap
        if self.total is None or self.allow_over:
            return
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

    def charge(self, dataset: str, ledger: PrivacyLedger, *, model: str, aliases: tuple[str, ...] = ()) -> dict[str, Any]:
        """After training, before the model is returned: add this fit's entries to the file.

        Re-reads the file under a lock, so two fits at once both count; refuses (writing
        nothing) if the composed total would pass the cap. Returns the dataset's status.
        """
        fit = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "model": model,
               "epsilon": ledger.epsilon, "delta": ledger.delta if ledger.is_private else None,
               "entries": [asdict(e) for e in ledger.entries if e.fit == ledger.fits] if ledger.is_private else []}
        with self._locked():
            doc = self._read()
            for alias in aliases:  # fits kept under an older identity move to this one
                moved = doc["datasets"].pop(alias, {}).get("fits", [])
                doc["datasets"].setdefault(dataset, {"fits": []})["fits"][:0] = moved
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
            self._chain(doc, dataset, fit)
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
            return {"format": FORMAT, "datasets": {}, "chain": {"count": 0, "head": "", "keyed": _key() is not None}}
        try:
            doc = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise SynthRecordsError(f"budget ledger {self.path} is unreadable ({exc}); restore it from a backup "
                                    "(deleting it forgets what was spent)") from None
        if isinstance(doc, dict) and doc.get("format") == LEGACY_FORMAT and isinstance(doc.get("datasets"), dict):
            log.warning("budget ledger %s predates hash chaining; its fits are chained from the next fit on", self.path)
            doc.update(format=FORMAT, chain={"count": 0, "head": "", "keyed": _key() is not None, "legacy": True})
            return doc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("datasets"), dict):
            raise SynthRecordsError(f"budget ledger {self.path} is not a {FORMAT} file; point budget_file elsewhere")
        self._verify(doc)
        return doc

    def _broken(self, what: str) -> BudgetTamperedError:
        return BudgetTamperedError(f"budget ledger {self.path} fails its hash chain: {what}; it was edited after "
                                   "it was written, so what was spent cannot be trusted; restore it from a backup "
                                   "(fits on its datasets are refused until then)")

    def _verify(self, doc: dict[str, Any]) -> None:
        chain = doc.get("chain")
        if not isinstance(chain, dict):
            raise self._broken("its chain record is missing")
        key = _key()
        if bool(chain.get("keyed")) != (key is not None):
            raise BudgetTamperedError(
                f"budget ledger {self.path} was written {'with' if chain.get('keyed') else 'without'} a key, and "
                f"{KEY_VARIABLE} is {'unset' if key is None else 'set'} now; set the same key as when it was written "
                "(an unkeyed ledger cannot be trusted once a key is expected: start a new budget_file for keyed use)")
        try:
            fits = sorted(((f["seq"], name, f) for name, record in doc["datasets"].items() for f in record["fits"]
                           if "seq" in f), key=lambda t: t[0])
        except (KeyError, TypeError):
            raise self._broken("a dataset record has no list of fits") from None
        head = ""
        for expected, (seq, name, fit) in enumerate(fits, start=1):
            if seq != expected:
                raise self._broken(f"fit #{expected} is missing (found #{seq} next)")
            if fit.get("prev") != head or fit.get("link") != _link(key, name, fit):
                raise self._broken(f"fit #{seq} (dataset {name[:12]}, {fit.get('at')}) does not match its link")
            head = fit["link"]
        if (chain.get("count") != len(fits) or chain.get("head") != head
                or chain.get("seal") != _seal(key, doc, head, len(fits))):
            raise self._broken(f"the seal does not match its {len(fits)} fits (the last ones removed or replaced?)")

    def _chain(self, doc: dict[str, Any], dataset: str, fit: dict[str, Any]) -> None:
        key, chain = _key(), doc["chain"]
        chain.pop("legacy", None)
        fit["seq"], fit["prev"] = chain["count"] + 1, chain["head"]
        fit["link"] = _link(key, dataset, fit)
        chain.update(count=fit["seq"], head=fit["link"], keyed=key is not None)
        chain["seal"] = _seal(key, doc, fit["link"], fit["seq"])

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
