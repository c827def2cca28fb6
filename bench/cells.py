"""bench_peers' result store: one file per (table, method, epsilon, repeat) cell.

A cell holds what one method run produced (bench/peer_worker.py's timings, the synthetic CSV
beside it) and its scores. It is keyed by its *inputs*, never by the code's commit: the split's
training CSV, the public metadata every method gets (meta.json), the method, epsilon and seed.
So a peer that does not depend on our code (AIM takes ~7+ minutes a run) is run once, and
``bench_peers --reuse`` skips every cell whose inputs are unchanged; ``--rerun dpctgan`` runs
our model again after a change while the peers' cells stay. Scores are keyed apart (test CSV and
``SCORES_VERSION``): a change to the scoring rescores the stored synthetic CSVs without refitting.

Layout: ``bench/results/peers/<table>/cells/<method>-<eps>-r<repeat>.json`` (+ ``.csv``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Bump when a score is added or computed differently: stored cells are rescored, not refitted.
SCORES_VERSION = 4  # 3: the minority class's share, real and synthetic; 4: columns collapsed to a constant


def epsilon_tag(epsilon: float | None) -> str:
    return "none" if epsilon is None else f"{epsilon:g}"


@dataclass(frozen=True)
class CellId:
    table: str
    method: str
    epsilon: float | None
    repeat: int

    @property
    def name(self) -> str:
        return f"{self.method}-{epsilon_tag(self.epsilon)}-r{self.repeat}"


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))  # length-prefixed: no two splits hash alike
        digest.update(part)
    return digest.hexdigest()


def inputs_key(folder: Path, cell: CellId, seed: int) -> str:
    """What the method's run depends on: the training rows, the public metadata, method,
    epsilon, seed. TabularARGN's time cap is in meta.json but only its runs depend on it."""
    meta = json.loads((folder / "meta.json").read_text())
    if not cell.method.startswith("argn"):
        meta.pop("argn_minutes", None)
    return _sha256((folder / "train.csv").read_bytes(), json.dumps(meta, sort_keys=True).encode(),
                   f"{cell.method}|{epsilon_tag(cell.epsilon)}|{seed}".encode())


def scores_key(folder: Path) -> str:
    """What a cell's scores depend on besides its synthetic rows: both real splits and the scoring."""
    return _sha256((folder / "train.csv").read_bytes(), (folder / "test.csv").read_bytes(),
                   str(SCORES_VERSION).encode())


def cell_dir(folder: Path) -> Path:
    return folder / "cells"


def cell_path(folder: Path, cell: CellId) -> Path:
    return cell_dir(folder) / f"{cell.name}.json"


def synthetic_path(folder: Path, cell: CellId) -> Path:
    return cell_dir(folder) / f"{cell.name}.csv"


def load(folder: Path, cell: CellId) -> dict[str, Any] | None:
    path = cell_path(folder, cell)
    return json.loads(path.read_text()) if path.exists() else None


def save(folder: Path, cell: CellId, record: dict[str, Any]) -> None:
    """Written whole or not at all: a run stopped mid-write leaves the old cell (or none)."""
    path = cell_path(folder, cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(record, indent=1, default=str))
    partial.replace(path)


def reusable(record: dict[str, Any] | None, key: str, timeout: int) -> bool:
    """A stored run with the same inputs; a stored timeout only if this run's limit is no longer
    (a failure is tried again: it may have been a missing venv or a bug fixed since)."""
    if record is None or record.get("inputs") != key:
        return False
    if "run" in record:
        return True
    limit = record.get("timeout_s")
    return limit is not None and timeout <= limit


def stored(folder: Path) -> list[dict[str, Any]]:
    """Every cell on disk for one table (any method, epsilon, repeat), oldest name first."""
    return [json.loads(p.read_text()) for p in sorted(cell_dir(folder).glob("*.json"))]


def commit(root: Path) -> str | None:
    """The code's commit, recorded in each cell for the reader (it is not part of any key).
    A run from an exported copy of the tree (so that edits during a long run do not reach its
    later workers) names its commit in BENCH_COMMIT."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=7"], cwd=root, capture_output=True, text=True,
                              check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None
