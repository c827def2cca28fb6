"""Validation throughput: `synthrecords validate` on a 100,000-row x 30-column table.

    python -m bench.bench_validate [--rows 100000] [--holdout 20000]

Real, holdout and "synthetic" tables are independent draws from one generator with
correlated numeric, categorical (up to ~1,000 values), date and boolean columns and a
0/1 target. They are cached as CSV under bench/results/ (git-ignored). Runs the verb's
library call (read, PII scan, expectations, fidelity, detection, utility, privacy
metrics and attacks, report.json + report.html) and prints the time of each part and
the ratio to the 60 s target (issue 6: under 60 s on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from synthrecords.pipeline import validate_files

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_S = 60.0
REGIONS = ["north", "south", "east", "west", "centre"]


def make_table(rows: int, seed: int) -> pd.DataFrame:
    """30 columns: 10 numbers, 3 small integer codes, 10 categories, 4 dates, 2 flags, 1 target."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, rows)
    latent = rng.normal(size=rows)
    income = np.round(np.exp(10 + 0.4 * latent + 0.01 * age + rng.normal(0, 0.3, rows)), 2)
    cols: dict[str, object] = {"age": age, "income": income}
    for i in range(8):
        cols[f"x{i}"] = np.round(latent * (i % 3) + rng.normal(i, 1 + i % 4, rows), 3)
    cols["num_products"] = rng.integers(1, 7, rows)
    cols["children"] = rng.poisson(1.2, rows).clip(0, 6)
    cols["rating"] = rng.integers(1, 6, rows)
    region = rng.choice(REGIONS, rows, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    cols["region"] = region
    cols["segment"] = np.where(age < 35, "young", np.where(age < 60, "middle", "senior"))
    cols["product"] = rng.choice(["basic", "plus", "premium", "platinum"], rows, p=[0.5, 0.3, 0.15, 0.05])
    cols["channel"] = rng.choice(["web", "app", "branch", "phone"], rows)
    cols["education"] = rng.choice(["school", "college", "bachelor", "master", "phd"], rows)
    cols["status"] = rng.choice(["active", "dormant", "closed"], rows, p=[0.8, 0.15, 0.05])
    cols["postcode"] = pd.Series(rng.zipf(1.3, rows) % 1000 + 10000).astype(str).to_numpy()
    cols["city"] = np.char.add("city_", (rng.zipf(1.5, rows) % 300).astype(str))
    cols["language"] = rng.choice(["en", "es", "fr", "de", "it", "pt", "nl"], rows)
    cols["tier"] = rng.choice(["a", "b", "c", "d", "e", "f", "g", "h"], rows)
    start = pd.Timestamp("2010-01-01")
    for name, span in (("signup", 4000), ("last_visit", 3000), ("birth_date", 20000), ("review", 1500)):
        cols[name] = (start + pd.to_timedelta(rng.integers(0, span, rows), unit="D")).strftime("%Y-%m-%d")
    cols["newsletter"] = rng.random(rows) < 0.4
    cols["verified"] = rng.random(rows) < 0.8
    logit = -2 + 1.2 * latent + 0.02 * (age - 50) + np.where(region == "east", 0.8, 0.0)
    cols["churned"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(cols)


def build_csvs(rows: int, holdout: int) -> dict[str, Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, n, seed in (("real", rows, 0), ("synthetic", rows, 1), ("holdout", holdout, 2)):
        path = RESULTS / f"validate_{name}_{n}x30_seed{seed}.csv"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            make_table(n, seed).to_csv(tmp, index=False)
            os.replace(tmp, path)
        paths[name] = path
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--holdout", type=int, default=20_000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    t0 = time.perf_counter()
    paths = build_csvs(args.rows, args.holdout)
    print(f"tables ready in {time.perf_counter() - t0:.1f} s: {', '.join(p.name for p in paths.values())}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "val"
        t1 = time.perf_counter()
        validate_files(paths["real"], paths["synthetic"], out, holdout=paths["holdout"], target="churned")
        total = time.perf_counter() - t1
        report = json.loads((out / "report.json").read_text())
        html_kib = (out / "report.html").stat().st_size / 1024
    print(f"rows x columns: {args.rows:,} x 30 (holdout {args.holdout:,})   cores: {os.cpu_count()}")
    for part, seconds in report["run"]["timings_s"].items():
        print(f"  {part:<28} {seconds:6.1f} s")
    print(f"total {total:6.1f} s   ratio to the {TARGET_S:.0f} s target: {total / TARGET_S:.2f} (below 1 is within target)")
    print(f"sample sizes: {json.dumps(report['run']['sample_sizes'])}")
    fid, util, priv = report["fidelity"], report["utility"], report["privacy"]
    print(f"fidelity {fid['quality_score']:.3f}  detection AUC {fid['detection']['auc']:.3f}  "
          f"utility {util.get('status')}  MIA AUC {priv['membership_inference']['auc']:.3f}  "
          f"report.html {html_kib:.0f} KiB")


if __name__ == "__main__":
    main()
