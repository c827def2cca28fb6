"""marginals vs dpctgan on the bench tables, at the same epsilon, same split, same scores.

What ``model = "auto"`` rests on (issue 23). Each method gets what bench_peers gives dpctgan:
public numeric bounds and the target's label set (``bench_peers.prepare``), the DP domain
release, then its own fit told the target (``--untold``: also not told); rows as many as the
training split. Scores: SDMetrics quality vs the real training rows, TSTR ROC AUC and average
precision on the real test rows (``common.scores``), fit seconds. ``--repeats``: fits per cell
(seed + r; the DP noise comes from the OS either way), then mean, sd and the worst TSTR per cell,
since a rare target's TSTR can fail in one fit of ten.

    python -m bench.bench_marginals --tables default,credit_card,customers --epsilons 1,3
    python -m bench.bench_marginals --tables default --epsilons 3 --methods marginals --untold --repeats 30
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import dataclass

import pandas as pd

from bench.bench_peers import prepare
from bench.common import RESULTS, quality, scores


@dataclass(frozen=True)
class Table:
    """One bench table as every fit on it sees it: the split, the target, the public metadata."""
    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    target: str
    meta: dict
    trtr_auc: float


def run(method: str, epsilon: float, train, test, target: str, meta: dict, seed: int, told: bool = True) -> dict:
    import torch

    from synthrecords.domain import data_domain
    from synthrecords.models.train import make_engine
    from synthrecords.privacy.domain import default_delta, release_domain
    from synthrecords.privacy.ledger import PrivacyLedger

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    ledger = PrivacyLedger(epsilon, default_delta(len(train)))
    public = {c: {"lower": lo, "upper": hi} for c, (lo, hi) in meta["bounds"].items()} | \
        {target: {"categories": meta["target_classes"]}}
    domain = release_domain(train, ledger, public=public)
    engine = make_engine(method)
    engine.target = target if told else None
    engine.fit(train, domain, ledger, seed=seed)
    fit_s = time.perf_counter() - t0
    synth = engine.sample(len(train), seed=seed)
    for c in train.columns:  # as the CSV round trip of bench_peers: categories as text
        if train[c].dtype == object:
            synth[c] = synth[c].where(synth[c].isna(), synth[c].astype(str))
    q, shapes, pairs = quality(train, synth, data_domain(train))
    return {"fit_s": round(fit_s, 1), "epsilon_spent": round(ledger.epsilon_spent(), 4), "quality": round(q, 4),
            "column_shapes": round(shapes, 4), "column_pair_trends": round(pairs, 4),
            **dict(zip(("tstr_auc", "tstr_ap"), (round(v, 4) for v in scores(synth, test, train, target, seed))))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default="default,credit_card,customers")
    parser.add_argument("--epsilons", default="1,3")
    parser.add_argument("--methods", default="marginals,dpctgan")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=1, help="fits per cell, seed + r")
    parser.add_argument("--untold", action="store_true", help="also fit each method not told the target")
    args = parser.parse_args(argv)
    out = RESULTS / "marginals.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    for name in args.tables.split(","):
        train, test, target, meta_path = prepare(name, RESULTS / "marginals" / name, args.seed, args.max_rows, 0)
        table = Table(name, train, test, target, json.loads(meta_path.read_text()),
                      scores(train, test, train, target, args.seed)[0])
        for eps in (float(e) for e in args.epsilons.split(",")):
            for method in args.methods.split(","):
                for told in (True, False) if args.untold else (True,):
                    rows = [_one(table, method, eps, args.seed + r, told, out) for r in range(args.repeats)]
                    if args.repeats > 1:
                        print(_summary(rows), flush=True)


def _one(table: Table, method: str, eps: float, seed: int, told: bool, out) -> dict:
    row = {"table": table.name, "shape": list(table.train.shape), "target": table.target, "method": method,
           "told": told, "epsilon": eps, "seed": seed, "trtr_auc": round(table.trtr_auc, 4),
           "load": round(os.getloadavg()[0], 1)}
    try:
        row.update(run(method, eps, table.train, table.test, table.target, table.meta, seed, told))
    except Exception as exc:  # noqa: BLE001 - a failed run is a row, not the end of the bench
        row["failed"] = f"{type(exc).__name__}: {exc}"
    row["load_after"] = round(os.getloadavg()[0], 1)
    print(json.dumps(row), flush=True)
    with out.open("a") as f:
        f.write(json.dumps(row) + "\n")
    return row


def _summary(rows: list[dict]) -> str:
    done = [r for r in rows if "failed" not in r]
    first = rows[0]
    head = f"{first['table']} eps {first['epsilon']:g} {first['method']} {'told' if first['told'] else 'not told'}"
    if len(done) < 2:
        return f"{head}: {len(done)} of {len(rows)} fits finished"
    tstr, q = [r["tstr_auc"] for r in done], [r["quality"] for r in done]
    return (f"{head}, {len(done)} fits: TSTR {statistics.mean(tstr):.3f} +- {statistics.stdev(tstr):.3f} "
            f"(worst {min(tstr):.3f}), quality {statistics.mean(q):.3f} +- {statistics.stdev(q):.3f}")


if __name__ == "__main__":
    main()
