"""The one-run membership audit on a real table: claimed vs empirical epsilon.

    python -m bench.bench_audit [--canaries 1000] [--epsilons 1 3 10] [--rows 5000] [--seed 0]

sample_data/customers.csv (5,000 rows; direct identifiers and free text left out by the PII
scan, as in a fit), m canaries split over the categorical, numeric-tail and pair channels,
one fit per model. Controls without DP (GaussianCopula) show the audit's power; dpctgan at
each epsilon must stay at or below its claim. The PII scan runs on patterns and column names
(no spaCy model), which classifies this table's columns the same way and keeps the bench short.
Prints one markdown row per fit: claimed epsilon, empirical lower bound (95 %), guesses and
correct per channel, seconds.
"""

from __future__ import annotations

import argparse
import logging
import time

import pandas as pd

from synthrecords.audit import run_audit

from .common import ROOT


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--canaries", type=int, default=1000)
    parser.add_argument("--epsilons", type=float, nargs="+", default=[1.0, 3.0, 10.0])
    parser.add_argument("--rows", type=int, default=5000, help="data rows (of customers.csv's 5,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--controls", nargs="*", default=["gaussian_copula"], help="models without DP to audit too")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    data = pd.read_csv(ROOT / "sample_data" / "customers.csv").head(args.rows)
    runs = [(model, args.epsilons[0]) for model in args.controls] + [("dpctgan", e) for e in args.epsilons]
    print(f"customers.csv, {len(data)} rows, {args.canaries} canaries, seed {args.seed}\n")
    print("| model | claimed epsilon | spent | empirical lower bound (95 %) | verdict | correct / guesses | "
          "categorical | numeric tail | pair | s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model, epsilon in runs:
        start = time.perf_counter()
        r = run_audit(data, epsilon, model=model, canaries=args.canaries, seed=args.seed, nlp_model=None)
        seconds = time.perf_counter() - start
        channel = {c.channel: f"{c.correct}/{c.guesses} ({c.empirical_epsilon:.2f})" for c in r.channels}
        spent = f"{r.epsilon_spent:.3g}" if r.private else "no DP"
        print(f"| {model} | {epsilon:g} | {spent} | {r.empirical_epsilon:.3f} | "
              f"{'consistent' if r.consistent else 'EXCEEDS'} | {r.correct}/{r.guesses} | "
              f"{channel.get('categorical', '-')} | {channel.get('numeric_tail', '-')} | {channel.get('pair', '-')} | "
              f"{seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
