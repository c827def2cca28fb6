"""bench_peers' tables: the terminal table and ratios, and the README's "How it compares" table
in Markdown, both built from the rows bench_peers makes of its stored cells (bench/cells.py).

    python -m bench.bench_peers --build-only --markdown -      # the README table from the stored cells
"""

from __future__ import annotations

from bench.cells import epsilon_tag as _eps  # "none" or the epsilon, as cells are named
from bench.peer_worker import (  # the method names it runs
    CATS_SUFFIX,
    NOBOUNDS_SUFFIX,
    TARGET_SUFFIX,
)

NAMES = {"mst": "MST (smartnoise-synth)", "aim": "AIM (smartnoise-synth)",
         "gaussian_copula": "SDV GaussianCopula, no DP", "ctgan": "SDV CTGAN, no DP", "tvae": "SDV TVAE, no DP",
         "argn": "TabularARGN, no DP", "argn_dp": "TabularARGN, DP"}


def method_name(method: str) -> str:
    """How the README names a method: a peer by its own name, ours as ``synthrecords <model>``."""
    if method in NAMES:
        return NAMES[method]
    told = []
    if method.endswith(TARGET_SUFFIX):
        method, told = method[: -len(TARGET_SUFFIX)], ["the target"]
    bare = method.endswith(NOBOUNDS_SUFFIX)
    method = method[: -len(NOBOUNDS_SUFFIX)] if bare else method
    if method.endswith(CATS_SUFFIX):
        method, told = method[: -len(CATS_SUFFIX)], ["the category lists", *told]
    return (f"synthrecords {method}" + (f", told {' and '.join(told)}" if told else "")
            + (", not told the numeric bounds" if bare else ""))


def _figure(row: dict, key: str) -> str:
    """A mean, with its sd over repeats when there are several and the sd is kept."""
    value = row.get(key)
    if value is None:
        return "n/a"
    sd = row.get(f"{key}_sd")
    return f"{value:.3f} ± {sd:.3f}" if sd is not None else f"{value:.3f}"


def _cpu(row: dict) -> str:
    """The method process's CPU seconds (cells stored before it was recorded have none)."""
    return f"{row['cpu_s']:.0f}" if row.get("cpu_s") is not None else "n/a"


def collapsed(row: dict) -> str:
    """Issue 23: the columns collapsed to a constant, named (any repeat), with the mean count
    over repeats when it differs from the union's size; "n/a" for cells scored before the check."""
    runs = row.get("repeats", [])
    if not runs or any("collapsed_columns" not in r for r in runs):
        return "n/a"
    names = sorted({c for r in runs for c in r["collapsed_columns"]})
    if not names:
        return "0"
    mean = sum(len(r["collapsed_columns"]) for r in runs) / len(runs)
    count = f"{len(names)}" if mean == len(names) else f"{mean:.1f} (of {len(names)})"
    return f"{count}: {', '.join(names)}"


def markdown(rows: list[dict]) -> str:
    """The comparison as one Markdown table, a block of rows per bench table, losses shown as
    plainly as wins (a run that did not finish is a row saying so), then where the figures come from."""
    lines = [("| table | method | ε | quality | quality at released granularity | TSTR ROC AUC | TSTR AP | "
              "columns collapsed to a constant | fit s | CPU s | peak MiB | runs |"),
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    shown = None
    for row in rows:
        head = ""
        if row["dataset"] != shown:
            shown = row["dataset"]
            head = (f"{row['dataset']} ({row['rows']:,} train rows x {row['columns']}; TRTR AUC "
                    f"{row['trtr_auc']:.3f}, AP {row['trtr_ap']:.3f})")
        start = f"| {head} | {method_name(row['method'])} | {_eps(row['epsilon'])} |"
        if "skipped" in row:
            lines.append(f"{start} did not finish: {row['skipped']} | | | | | | | | |")
            continue
        lines.append(f"{start} {_figure(row, 'quality')} | {_figure(row, 'quality_released')} | "
                     f"{_figure(row, 'tstr_auc')} | {row['tstr_ap']:.3f} | {collapsed(row)} | {row['fit_s']:.0f} | {_cpu(row)} | "
                     f"{row['peak_rss_bytes'] / 2**20:,.0f} | {len(row['repeats'])} |")
    return "\n".join(lines) + "\n\n" + provenance(rows) + "\n"


def provenance(rows: list[dict]) -> str:
    """Dates, commits and load of the runs behind the table: the figures are read with them."""
    runs = [run for row in rows for run in row.get("repeats", [])]
    if not runs:
        return "No finished runs."
    dates = sorted(r["date"] for r in runs if r.get("date"))
    loads = [r["load_average"] for r in runs if r.get("load_average") is not None]
    commits = sorted({r["commit"] for r in runs if r.get("commit")})
    load = f"{min(loads):.1f}-{max(loads):.1f}" if loads else "n/a"
    return (f"{len(runs)} runs, {dates[0] if dates else '?'} to {dates[-1] if dates else '?'}, load average "
            f"{load} at their start, commits {', '.join(commits) or 'n/a'}; quality is SDMetrics' against the "
            "real training rows (and against them generalised as the release generalised them); TSTR trains "
            "HistGradientBoosting on the synthetic rows and tests on the real 20 %; fit s is wall time, CPU s "
            "the method process's CPU time (imports and sampling included); ± is the sd over repeats.")


def print_tables(rows: list[dict], summary: list[dict]) -> None:
    repeats = any(len(r.get("repeats", [])) > 1 for r in rows)
    print(f"\n{'dataset':<17}{'method':<16}{'eps':>5}{'fit s':>8}{'CPU s':>7}{'rows/s':>10}{'peak MiB':>9}{'quality':>9}"
          f"{'q rel':>7}{'shapes':>7}{'pairs':>7}{'detect':>7}{'TSTR':>7}{'TRTR':>7}{'AP':>7}{'TRTR AP':>8}"
          f"{'DCR r':>7}{'minor':>7}{'coll':>5}{'  sd q / TSTR (repeats)' if repeats else ''}")
    for r in rows:
        eps = _eps(r["epsilon"])
        if "skipped" in r:
            print(f"{r['dataset']:<17}{r['method']:<16}{eps:>5}  unavailable: {r['skipped']}")
            continue
        dcr = f"{r['dcr_ratio']:7.2f}" if r["dcr_ratio"] is not None else "    n/a"
        # the minority class's synthetic share over its real share (issue 23: told the target, within 20 %)
        minor = (f"{r['minority_share_synthetic'] / r['minority_share_real']:7.2f}"
                 if r.get("minority_share_real") else "    n/a")
        coll = collapsed(r)
        coll = coll.split(":")[0].split(" ")[0] if coll != "n/a" else "n/a"
        spread = (f"  {r['quality_sd']:.3f} / {r['tstr_auc_sd']:.3f} ({len(r['repeats'])})"
                  if "quality_sd" in r else "")
        print(f"{r['dataset']:<17}{r['method']:<16}{eps:>5}{r['fit_s']:8.1f}{_cpu(r):>7}{r['sample_rows_per_s']:10.0f}"
              f"{r['peak_rss_bytes'] / 2**20:9.0f}{r['quality']:9.3f}{r['quality_released']:7.3f}"
              f"{r['column_shapes']:7.3f}{r['column_pair_trends']:7.3f}{r['detection_auc'] or float('nan'):7.3f}"
              f"{r['tstr_auc']:7.3f}{r['trtr_auc']:7.3f}{r['tstr_ap']:7.3f}{r['trtr_ap']:8.3f}{dcr}{minor}{coll:>5}{spread}")
    print("\nratios (ours at eps vs each peer; non-DP peers at 'none', DP peers at the same eps):")
    for s in summary:
        fit = f"{s['fit_over_sdv_ctgan']:.2f}" if s["fit_over_sdv_ctgan"] is not None else "n/a"
        q = ", ".join(f"{k} {v:+.3f}" for k, v in s["quality_minus"].items())
        a = ", ".join(f"{k} {v:+.3f}" for k, v in s["tstr_auc_minus"].items())
        f = ", ".join(f"{k} {v:.2f}" for k, v in s["fit_over"].items())
        print(f"{s['dataset']:<17}{s['method']:<15} eps={_eps(s['epsilon'])}: fit / SDV CTGAN fit {fit}; "
              f"quality - peer: {q}; TSTR AUC - peer: {a}; fit / peer fit: {f}")
    named = [(r["dataset"], r["method"], _eps(r["epsilon"]), collapsed(r)) for r in rows if "skipped" not in r]
    named = [n for n in named if n[3] not in ("0", "n/a")]
    if named:
        print("\ncolumns collapsed to a constant (real: >= 2 values on >= 5 % of rows each; synthetic: one value "
              "on >= 99 %):")
        for dataset, method, eps, what in named:
            print(f"{dataset:<17}{method:<16}{eps:>5}  {what}")
