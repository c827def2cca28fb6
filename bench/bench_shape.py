"""Issue 20's shape goals on the demo job: does the whole customer table keep its shape at epsilon 3?

    python -m bench.bench_shape [--seeds 3] [--epsilon 3] [--job sample_data/demo.toml]

Runs the demo job (sample_data/demo.toml: every column the demo models, the geography
hierarchy, the tenure/signup relation and the 18th-birthday rule declared) through
``run_job`` without writing a release, once per seed (the seed sets the holdout split, the
model's initialisation and sampling; the DP noise is fresh OS entropy in every run, as in
a real one). Each figure is the project's own measure (``synthrecords.validation``) on the
training rows against the synthetic rows, printed beside its goal:

- largest category share excess: over every categorical column, the largest
  synthetic share minus real share of one value (goal <= 0.05);
- geography pairs: SDMetrics column pair trends over postcode/city/state/region (>= 0.70);
- tenure_months vs signup_date: SDMetrics pair trend of that pair (>= 0.95);
- whole-table quality: the run's SDMetrics quality over every modelled column (>= 0.80);
- TSTR ROC AUC for the job's target (the run's utility, with its 95 % interval; chance 0.5).

Writes bench/results/shape.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthrecords.config import load_job
from synthrecords.domain import Domain
from synthrecords.pipeline import run_job, split_holdout
from synthrecords.read import load_table
from synthrecords.validation.encoding import canonical
from synthrecords.validation.metrics import fidelity

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
GEOGRAPHY = ["postcode", "city", "state", "region"]
TENURE = ["tenure_months", "signup_date"]
# (figure, goal, True when higher is better)
GOALS = {"largest category share excess": (0.05, False), "geography pairs": (0.70, True),
         "tenure_months vs signup_date": (0.95, True), "whole-table quality": (0.80, True),
         "TSTR ROC AUC": (None, True)}


def largest_share_excess(real: pd.DataFrame, synthetic: pd.DataFrame, domain: Domain) -> tuple[float, str]:
    """The largest synthetic-minus-real share of one value of a categorical column, and where."""
    cols = [c for c in domain if c.kind not in ("numerical", "datetime") and c.name in synthetic.columns]
    real_c, synth_c = canonical(real, cols), canonical(synthetic, cols)
    worst, where = -1.0, ""
    for c in cols:
        excess = synth_c[c.name].value_counts(normalize=True).sub(
            real_c[c.name].value_counts(normalize=True), fill_value=0.0)
        if len(excess) and excess.max() > worst:
            worst, where = float(excess.max()), f"{c.name}={excess.idxmax()[2:]}"
    return worst, where


def pair_trends(real: pd.DataFrame, synthetic: pd.DataFrame, domain: Domain, columns: list[str]) -> float | None:
    """SDMetrics column pair trends over ``columns`` only (the mean over their pairs)."""
    sub = Domain({c: domain[c] for c in columns if c in domain.columns})
    return fidelity(real, synthetic, sub).column_pair_trends


def one_run(job_path: Path, seed: int, epsilon: float) -> dict[str, Any]:
    job = load_job(job_path)
    job.model.seed, job.privacy.epsilon = seed, epsilon
    real = load_table(load_table(job.input.path))
    train, _ = split_holdout(real, job.validate_.holdout, seed)  # the rows run_job trains on
    t0 = time.perf_counter()
    result = run_job(job, real, write=False)
    seconds = time.perf_counter() - t0
    domain, synthetic = result.synthesizer.domain_, result.synthetic
    train = train[domain.names]
    excess, where = largest_share_excess(train, synthetic, domain)
    auc = next((m for m in result.report["utility"].get("metrics", []) if m["metric"] == "roc_auc"), {})
    return {"seed": seed, "seconds": round(seconds, 1),
            "largest category share excess": excess, "excess at": where,
            "geography pairs": pair_trends(train, synthetic, domain, GEOGRAPHY),
            "tenure_months vs signup_date": pair_trends(train, synthetic, domain, TENURE),
            "whole-table quality": result.report["fidelity"]["quality_score"],
            "TSTR ROC AUC": auc.get("tstr"), "TSTR 95 % CI": auc.get("tstr_ci95"), "TRTR ROC AUC": auc.get("trtr"),
            "columns": len(domain.names), "filter rejection rate": result.report["sampling"]["filter"]["rejection_rate"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="runs, seeds 0..N-1")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--epsilon", type=float, default=3.0)
    parser.add_argument("--job", type=Path, default=ROOT / "sample_data" / "demo.toml")
    args = parser.parse_args(argv)
    runs = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        run = one_run(args.job, seed, args.epsilon)
        runs.append(run)
        ci = run["TSTR 95 % CI"] or [float("nan")] * 2
        print(f"seed {seed} ({run['seconds']:.0f} s, {run['columns']} columns): excess "
              f"{run['largest category share excess']:.3f} ({run['excess at']}), geography pairs "
              f"{run['geography pairs']:.3f}, tenure vs signup {run['tenure_months vs signup_date']:.3f}, "
              f"quality {run['whole-table quality']:.3f}, TSTR {run['TSTR ROC AUC']:.3f} "
              f"({ci[0]:.3f}-{ci[1]:.3f}; TRTR {run['TRTR ROC AUC']:.3f}); filter replaced "
              f"{run['filter rejection rate'] or 0:.1%} of the rows", flush=True)
    print(f"\nepsilon {args.epsilon:g}, {len(runs)} runs of {args.job.name}: mean (min-max) against the goal")
    for name, (goal, higher) in GOALS.items():
        values = np.array([r[name] for r in runs], dtype=float)
        met = "" if goal is None else ("meets" if (values.mean() >= goal if higher else values.mean() <= goal)
                                       else "misses")
        target = "vs chance 0.5" if goal is None else f"goal {'>=' if higher else '<='} {goal:.2f}: {met}"
        print(f"  {name:32s} {values.mean():.3f} ({values.min():.3f}-{values.max():.3f})  {target}")
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "shape.json").write_text(json.dumps({"epsilon": args.epsilon, "job": str(args.job), "runs": runs,
                                                    "load_average": load}, indent=1, default=str))


if __name__ == "__main__":
    main()
