"""Spark scale row: write 10,000,000 synthetic rows as Parquet with ``--engine spark``.

    python -m bench.bench_spark [--rows 10000000] [--quick] [--master local[*]] [--partitions N]

A gaussian_copula model is fitted (pandas, seconds) on the 11 modelled quasi and
non-personal columns of sample_data/customers.csv, then ``spark.sample.sample_to_parquet``
generates the rows in parallel partitions (model broadcast, per-partition seeds) into
bench/results/ (git-ignored). Prints the wall time, rows/s and the row count read back.
``--quick`` writes 1,000,000 rows. Skips, saying why, without pyspark or Java
(`make bench-spark` installs both).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "customers.csv"
COLUMNS = ["gender", "state", "region", "education", "annual_income", "credit_score", "product",
           "account_balance", "tenure_months", "num_products", "fraud_flag"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_spark", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="1,000,000 rows")
    parser.add_argument("--master", default=None, help="Spark master URL (default local[*] or SPARK_REMOTE)")
    parser.add_argument("--partitions", type=int, default=None)
    args = parser.parse_args(argv)
    rows = 1_000_000 if args.quick else args.rows
    logging.basicConfig(level=logging.WARNING)

    try:
        import pyspark  # noqa: F401
    except ImportError:
        print("skipped: pyspark is not installed (make bench-spark installs the spark extra)")
        return
    from synthrecords.read import load_table
    from synthrecords.spark.sample import default_partitions, sample_to_parquet
    from synthrecords.spark.session import get_session, java_available, parallelism
    from synthrecords.synthesizer import Synthesizer

    if not java_available():
        print("skipped: no Java for Spark (apt-get install openjdk-17-jre-headless; make bench-spark does it)")
        return
    t0 = time.perf_counter()
    real = load_table(SAMPLE)[COLUMNS]
    synth = Synthesizer(model="gaussian_copula", nlp_model=None, seed=1).fit(real)
    fit_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    spark = get_session(args.master)
    start_s = time.perf_counter() - t0
    out = RESULTS / f"spark_{rows}"
    parts = args.partitions or max(default_partitions(spark, rows), parallelism(spark) * 2)
    result = sample_to_parquet(spark, synth, rows, out, seed=1, partitions=parts, overwrite=True)
    back = spark.read.parquet(str(out)).count()
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    print(f"fit (pandas, {len(real)} rows x {len(COLUMNS)} cols): {fit_s:.1f} s; spark start: {start_s:.1f} s")
    print(f"spark sample -> parquet: {rows:,} rows x {len(COLUMNS)} cols in {result.seconds:.1f} s "
          f"= {rows / result.seconds:,.0f} rows/s on {parallelism(spark)} cores, {parts} partitions, "
          f"{size / 2**20:.0f} MiB; read back {back:,} rows ({'exact' if back == rows else 'MISMATCH'})")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
