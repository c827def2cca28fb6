"""marginals vs dpctgan on the bench tables, at the same epsilon, same split, same scores.

What ``model = "auto"`` rests on (issue 23). Each method gets what bench_peers gives dpctgan:
public numeric bounds and the target's label set (``bench_peers.prepare``), the DP domain
release, then its own fit told the target; rows as many as the training split. Scores:
SDMetrics quality vs the real training rows, TSTR ROC AUC and average precision on the real
test rows (``common.scores``), fit seconds. Single runs: print figures, not verdicts.

    python -m bench.bench_marginals --tables default,credit_card,customers --epsilons 1,3
"""

from __future__ import annotations

import argparse
import json
import os
import time

from bench.bench_peers import prepare
from bench.common import RESULTS, quality, scores


def run(method: str, epsilon: float, train, test, target: str, meta: dict, seed: int) -> dict:
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
    engine.target = target
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default="default,credit_card,customers")
    parser.add_argument("--epsilons", default="1,3")
    parser.add_argument("--methods", default="marginals,dpctgan")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-rows", type=int, default=10_000)
    args = parser.parse_args()
    out = RESULTS / "marginals.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    for name in args.tables.split(","):
        train, test, target, meta_path = prepare(name, RESULTS / "marginals" / name, args.seed, args.max_rows, 0)
        meta = json.loads(meta_path.read_text())
        trtr = scores(train, test, train, target, args.seed)
        for eps in (float(e) for e in args.epsilons.split(",")):
            for method in args.methods.split(","):
                row = {"table": name, "shape": list(train.shape), "target": target, "method": method, "epsilon": eps,
                       "trtr_auc": round(trtr[0], 4), "load": round(os.getloadavg()[0], 1)}
                try:
                    row.update(run(method, eps, train, test, target, meta, args.seed))
                except Exception as exc:  # noqa: BLE001 - a failed run is a row, not the end of the bench
                    row["failed"] = f"{type(exc).__name__}: {exc}"
                row["load_after"] = round(os.getloadavg()[0], 1)
                print(json.dumps(row), flush=True)
                with out.open("a") as f:
                    f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
