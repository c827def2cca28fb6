"""The numbers behind the dashboard's charts, as long DataFrames read off report.json.

Real data reaches the dashboard only as the aggregates the validation stage wrote
(shares per bin, association coefficients, joint shares per cell, DCR histograms);
nothing here reads a real row. Every function returns None or an empty frame when the
report lacks the aggregate (older or partial reports still open).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from report_views import privacy_measures, section

REAL, SYNTHETIC = "real", "synthetic"


def distribution_columns(report: dict[str, Any]) -> list[str]:
    return [d["column"] for d in section(report, "fidelity").get("distributions") or []]


def distribution(report: dict[str, Any], column: str) -> pd.DataFrame:
    """Share of rows per bin (numbers, dates) or category, real and synthetic, in bin order."""
    entry = next((d for d in section(report, "fidelity").get("distributions") or [] if d["column"] == column), None)
    if entry is None:
        return pd.DataFrame(columns=["bin", "order", "side", "share"])
    rows = [{"bin": label, "order": i, "side": side, "share": entry[side][i]}
            for side in (REAL, SYNTHETIC) for i, label in enumerate(entry["labels"])]
    frame = pd.DataFrame(rows)
    # An always-empty "(other)"/"(missing)" bar is noise on the axis.
    empty = frame.groupby("bin")["share"].transform("sum") == 0
    return frame[~(empty & frame["bin"].isin(["(other)", "(missing)"]))].reset_index(drop=True)


def distribution_kind(report: dict[str, Any], column: str) -> str | None:
    entry = next((d for d in section(report, "fidelity").get("distributions") or [] if d["column"] == column), None)
    return None if entry is None else entry.get("kind")


def associations(report: dict[str, Any]) -> pd.DataFrame:
    """One row per ordered column pair: real, synthetic and |difference| of the association."""
    assoc = section(report, "fidelity").get("associations")
    if not assoc:
        return pd.DataFrame(columns=["x", "y", REAL, SYNTHETIC, "difference"])
    names = assoc["columns"]
    return pd.DataFrame([{"x": a, "y": b, REAL: assoc[REAL][i][j], SYNTHETIC: assoc[SYNTHETIC][i][j],
                          "difference": assoc["difference"][i][j]}
                         for i, a in enumerate(names) for j, b in enumerate(names)])


def worst_pairs(report: dict[str, Any], n: int = 5) -> pd.DataFrame:
    """Column pairs whose association differs most between real and synthetic."""
    table = associations(report)
    table = table[table["x"] < table["y"]]
    return table.sort_values("difference", ascending=False).head(n).reset_index(drop=True)


def pair_columns(report: dict[str, Any]) -> list[str]:
    return list((section(report, "fidelity").get("pairs") or {}).get("columns") or [])


def pair(report: dict[str, Any], x: str, y: str) -> pd.DataFrame | None:
    """Joint share of rows per (x bin, y bin) cell, real and synthetic; None when not measured."""
    pairs = section(report, "fidelity").get("pairs") or {}
    for entry in pairs.get("pairs") or []:
        if (entry["x"], entry["y"]) in ((x, y), (y, x)):
            flipped = entry["x"] != x
            break
    else:
        return None
    xs, ys = pairs["labels"][x], pairs["labels"][y]
    rows = []
    for side in (REAL, SYNTHETIC):
        grid = entry[side]
        for i, xl in enumerate(xs):
            for j, yl in enumerate(ys):
                rows.append({"x": xl, "y": yl, "side": side, "share": grid[j][i] if flipped else grid[i][j]})
    return pd.DataFrame(rows)


def pair_labels(report: dict[str, Any], column: str) -> list[str]:
    return list(((section(report, "fidelity").get("pairs") or {}).get("labels") or {}).get(column) or [])


def dcr_histogram(report: dict[str, Any]) -> pd.DataFrame:
    """Share of rows per distance bin: synthetic rows to their closest training row, and
    holdout (real, unseen) rows to theirs. Synthetic bars piling up left of the holdout
    ones mean rows closer to training data than new real data would be."""
    hist = (privacy_measures(report).get("dcr") or {}).get("histogram") or {}
    edges = hist.get("edges") or []
    rows = []
    for side, label in (("synthetic", "synthetic → train"), ("holdout", "holdout → train")):
        for i, share in enumerate(hist.get(side) or []):
            rows.append({"from": edges[i], "to": edges[i + 1], "side": label, "share": share})
    return pd.DataFrame(rows, columns=["from", "to", "side", "share"])


def utility_table(report: dict[str, Any]) -> pd.DataFrame:
    """TSTR (trained on synthetic) vs TRTR (trained on real), both scored on the real holdout."""
    util = section(report, "utility")
    rows = util.get("metrics") or [] if util.get("status") == "measured" else []
    rows = [{**m, "tstr_low": (m.get("tstr_ci95") or [None, None])[0], "tstr_high": (m.get("tstr_ci95") or [None, None])[1],
             "trtr_low": (m.get("trtr_ci95") or [None, None])[0], "trtr_high": (m.get("trtr_ci95") or [None, None])[1]}
            for m in rows]
    table = pd.DataFrame(rows).reindex(columns=["metric", "tstr", "trtr", "ratio", "chance", "tstr_low", "tstr_high",
                                                "trtr_low", "trtr_high"])
    return table.rename(columns={"tstr": "TSTR", "trtr": "TRTR", "ratio": "TSTR / TRTR",
                                 "tstr_low": "TSTR 95 % low", "tstr_high": "TSTR 95 % high",
                                 "trtr_low": "TRTR 95 % low", "trtr_high": "TRTR 95 % high"})


def utility_bars(table: pd.DataFrame) -> pd.DataFrame:
    """One row per metric and side, with the interval, for the chart."""
    rows = []
    for _, r in table.iterrows():
        for side in ("TSTR", "TRTR"):
            rows.append({"metric": r["metric"], "trained on": side, "score": r[side],
                         "low": r[f"{side} 95 % low"], "high": r[f"{side} 95 % high"], "chance": r["chance"]})
    return pd.DataFrame(rows)


def class_mix(report: dict[str, Any]) -> pd.DataFrame:
    """Requested vs achieved share per class of every column with a requested mix, beside the
    real share where the report's distributions hold it."""
    sampling = report.get("sampling") or {}
    rows = []
    for column, requested in (sampling.get("requested") or {}).items():
        achieved = (sampling.get("achieved") or {}).get(column) or {}
        real = real_shares(report, column)
        for value in dict.fromkeys([*requested, *achieved]):
            rows.append({"column": column, "class": value, "real": real.get(value),
                         "requested": requested.get(value), "achieved": achieved.get(value)})
    return pd.DataFrame(rows, columns=["column", "class", "real", "requested", "achieved"])


def real_shares(report: dict[str, Any], column: str) -> dict[str, float]:
    entry = next((d for d in section(report, "fidelity").get("distributions") or [] if d["column"] == column), None)
    if entry is None or entry.get("kind") in ("numerical", "datetime"):
        return {}
    return dict(zip(entry["labels"], entry[REAL], strict=True))


def class_fidelity(report: dict[str, Any]) -> pd.DataFrame:
    """How well each requested class's rows match the real rows of that class."""
    rows = (report.get("sampling") or {}).get("class_fidelity") or []
    table = pd.DataFrame(rows).reindex(columns=["column", "value", "real_rows", "synthetic_rows", "score", "note"])
    return table.rename(columns={"value": "class"})


def attacks_table(report: dict[str, Any]) -> pd.DataFrame:
    """Anonymeter-style risks: singling out, linkability and inference per column, each with
    its 95 % interval and the share of attacks that succeeded vs the control's."""
    att = privacy_measures(report).get("attacks") or {}
    rows = []
    for name in ("singling_out", "linkability"):
        if att.get(name):
            rows.append({"attack": name.replace("_", " "), "column": "", **att[name]})
    for entry in att.get("inference") or []:
        rows.append({"attack": "inference", **entry})
    table = pd.DataFrame(rows).reindex(columns=["attack", "column", "risk", "ci95", "attack_rate",
                                                "control_rate", "attacks", "note"])
    table["ci95"] = table["ci95"].map(lambda ci: f"{ci[0]:.1%} – {ci[1]:.1%}" if isinstance(ci, list) else "")
    table["note"] = table["note"].fillna("")
    return table.sort_values("risk", ascending=False, kind="stable").reset_index(drop=True)


def membership(report: dict[str, Any]) -> dict[str, Any]:
    return privacy_measures(report).get("membership_inference") or {}
