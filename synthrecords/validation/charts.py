"""What report.html plots, as aggregates: per-column shares and column-pair associations.

Real data leaves this module only as aggregates: shares per histogram bin (bins between
the pooled 1st and 99th percentiles, so no single extreme row sets an axis), shares of the
most common categories held by at least MIN_CATEGORY_ROWS real rows (the rest pooled as
"(other)"), and association coefficients between columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..domain import Domain
from .encoding import canonical, jsonable, subsample

MAX_CHART_ROWS = 20_000  # per side
BINS = 20
TOP_CATEGORIES = 12
MIN_CATEGORY_ROWS = 10
MAX_ASSOCIATION_COLUMNS = 40
OTHER, MISSING = "(other)", "(missing)"


def distributions(real: pd.DataFrame, synthetic: pd.DataFrame, domain: Domain, *, seed: int = 0
                  ) -> list[dict]:
    """One entry per shared domain column: labels and the real and synthetic share of each."""
    cols = [c for c in domain if c.name in real.columns and c.name in synthetic.columns]
    if not cols or real.empty or synthetic.empty:
        return []
    r = canonical(subsample(real, MAX_CHART_ROWS, seed), cols)
    s = canonical(subsample(synthetic, MAX_CHART_ROWS, seed + 1), cols)
    out = []
    for c in cols:
        if c.kind in ("numerical", "datetime"):
            entry = _histogram(r[c.name], s[c.name], c.kind == "datetime")
        else:
            entry = _categories(r[c.name], s[c.name])
        out.append({"column": c.name, "kind": c.kind, **entry})
    return jsonable(out)


def _histogram(real: pd.Series, synth: pd.Series, dates: bool) -> dict:
    pooled = pd.concat([real, synth]).dropna()
    if pooled.empty:
        return {"labels": [MISSING], "real": [1.0], "synthetic": [1.0]}
    lo, hi = np.quantile(pooled, [0.01, 0.99])
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, BINS + 1)
    labels = [_edge_label(e, dates) for e in edges[:-1]]
    shares = []
    for side in (real, synth):
        values = side.dropna().clip(lo, hi)  # outside the percentiles: counted in the end bins
        counts = np.histogram(values, bins=edges)[0]
        shares.append(list(counts / max(len(side), 1)) + [side.isna().mean()])
    return {"labels": labels + [MISSING], "real": _rounded(shares[0]), "synthetic": _rounded(shares[1]),
            "range": [_edge_label(lo, dates), _edge_label(hi, dates)]}


def _edge_label(value: float, dates: bool) -> str:
    if dates:
        return pd.Timestamp(int(value)).strftime("%Y-%m-%d")
    return f"{value:.3g}"


def _categories(real: pd.Series, synth: pd.Series) -> dict:
    counts = real.value_counts()
    shown = [k for k in counts.index[:TOP_CATEGORIES] if counts[k] >= MIN_CATEGORY_ROWS]
    labels, shares = [], [[], []]
    for key in shown:
        labels.append(_category_label(key))
        for i, side in enumerate((real, synth)):
            shares[i].append(float((side == key).mean()))
    for i, side in enumerate((real, synth)):
        shares[i].append(float((side.notna() & ~side.isin(shown)).mean()))
        shares[i].append(float(side.isna().mean()))
    return {"labels": labels + [OTHER, MISSING], "real": _rounded(shares[0]),
            "synthetic": _rounded(shares[1])}


def _category_label(key: str) -> str:
    # canonical keys carry a type prefix ("n:1.0", "s:north"); a whole number prints as one
    text = key[2:]
    return text[:-2] if key.startswith("n:") and text.endswith(".0") else text


def _rounded(values) -> list[float]:
    return [round(float(v), 4) for v in values]


# ---------------------------------------------------------------- associations


def associations(real: pd.DataFrame, synthetic: pd.DataFrame, domain: Domain, *, seed: int = 0
                 ) -> dict | None:
    """Pairwise association of the shared columns in each table, all on a 0-1 scale:
    |Spearman rho| between numbers/dates, Cramér's V between categories, the correlation
    ratio eta between a category and a number (both corrected for the number of
    categories). ``difference`` = |real - synthetic|."""
    cols = [c for c in domain if c.name in real.columns and c.name in synthetic.columns]
    cols = cols[:MAX_ASSOCIATION_COLUMNS]
    if len(cols) < 2 or real.empty or synthetic.empty:
        return None
    mats = []
    for frame, s in ((real, seed), (synthetic, seed + 1)):
        canon = canonical(subsample(frame, MAX_CHART_ROWS, s), cols)
        mats.append(_association_matrix(canon, [c.kind in ("numerical", "datetime") for c in cols]))
    real_m, synth_m = mats
    return jsonable({"columns": [c.name for c in cols], "real": real_m.round(4),
                     "synthetic": synth_m.round(4), "difference": np.abs(real_m - synth_m).round(4),
                     "measure": "|Spearman rho| (numbers, dates), Cramér's V (categories), "
                                "correlation ratio eta (category vs number); V and eta bias-corrected "
                                "for the number of categories"})


def _association_matrix(canon: pd.DataFrame, numeric: list[bool]) -> np.ndarray:
    k = canon.shape[1]
    ranks, codes = {}, {}
    for j, name in enumerate(canon.columns):
        if numeric[j]:
            ranks[j] = canon[name].rank().to_numpy(dtype=float)
        else:
            codes[j] = pd.factorize(canon[name].fillna(MISSING))[0]
    out = np.eye(k)
    for a in range(k):
        for b in range(a + 1, k):
            if a in ranks and b in ranks:
                value = _abs_corr(ranks[a], ranks[b])
            elif a in codes and b in codes:
                value = _cramers_v(codes[a], codes[b])
            else:
                cat, num = (codes[a], ranks[b]) if a in codes else (codes[b], ranks[a])
                value = _correlation_ratio(cat, num)
            out[a, b] = out[b, a] = value
    return out


def _abs_corr(x: np.ndarray, y: np.ndarray) -> float:
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < 3 or x[ok].std() == 0 or y[ok].std() == 0:
        return 0.0
    return float(abs(np.corrcoef(x[ok], y[ok])[0, 1]))


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    ka, kb = a.max() + 1, b.max() + 1
    if ka < 2 or kb < 2:
        return 0.0
    table = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(float)
    n = table.sum()
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        phi2 = np.nansum((table - expected) ** 2 / expected) / n
    # Bergsma's bias correction: a column of hundreds of categories (a city) otherwise looks
    # associated with everything in a sample of a few thousand rows.
    phi2 = max(0.0, phi2 - (ka - 1) * (kb - 1) / (n - 1))
    kc, kr = ka - (ka - 1) ** 2 / (n - 1), kb - (kb - 1) ** 2 / (n - 1)
    denominator = min(kc - 1, kr - 1)
    return float(np.sqrt(phi2 / denominator)) if denominator > 0 else 0.0


def _correlation_ratio(categories: np.ndarray, values: np.ndarray) -> float:
    ok = ~np.isnan(values)
    cats, vals = categories[ok], values[ok]
    if len(vals) < 3 or vals.std() == 0:
        return 0.0
    counts = np.bincount(cats)
    means = np.bincount(cats, weights=vals) / np.maximum(counts, 1)
    between = np.sum(counts * (means - vals.mean()) ** 2)
    total = np.sum((vals - vals.mean()) ** 2)
    # Adjusted for the number of categories (epsilon squared), for the same reason as above.
    k, n = int((counts > 0).sum()), len(vals)
    if n <= k:
        return 0.0
    adjusted = (between - (k - 1) * (total - between) / (n - k)) / total
    return float(np.sqrt(max(adjusted, 0.0)))


# ---------------------------------------------------------------- pairs


MAX_PAIR_COLUMNS = 20  # 190 pairs of 8 x 8 cells per side: ~200 kB of report.json
PAIR_BINS = 8


def pairs(real: pd.DataFrame, synthetic: pd.DataFrame, domain: Domain, *, seed: int = 0) -> dict | None:
    """Joint shares of every pair of the first MAX_PAIR_COLUMNS shared columns on a coarse grid
    (the dashboard's pair plot): numbers and dates in PAIR_BINS equal bins between the pooled
    1st and 99th percentiles, categories as the most common ones held by at least
    MIN_CATEGORY_ROWS real rows plus "(other)". Rows missing either value are not drawn.
    A real cell held by fewer than MIN_CATEGORY_ROWS rows is reported as 0: two columns
    together narrow rows down much faster than one, so small cells would single people out."""
    cols = [c for c in domain if c.name in real.columns and c.name in synthetic.columns][:MAX_PAIR_COLUMNS]
    if len(cols) < 2 or real.empty or synthetic.empty:
        return None
    r = canonical(subsample(real, MAX_CHART_ROWS, seed), cols)
    s = canonical(subsample(synthetic, MAX_CHART_ROWS, seed + 1), cols)
    labels, codes = {}, {}
    for c in cols:
        labels[c.name], codes[c.name] = _pair_bins(r[c.name], s[c.name], c.kind)
    grids = []
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            ka, kb = len(labels[a.name]), len(labels[b.name])
            entry = {"x": a.name, "y": b.name}
            for side, frame in (("real", r), ("synthetic", s)):
                ca, cb = codes[a.name][side], codes[b.name][side]
                ok = (ca >= 0) & (cb >= 0)
                counts = np.bincount(ca[ok] * kb + cb[ok], minlength=ka * kb).reshape(ka, kb).astype(float)
                if side == "real":
                    counts[counts < MIN_CATEGORY_ROWS] = 0.0
                entry[side] = np.round(counts / max(len(frame), 1), 4)  # rows: x bins, columns: y bins
            grids.append(entry)
    return jsonable({"columns": [c.name for c in cols], "labels": labels, "pairs": grids,
                     "note": f"share of rows per cell; rows missing either value are not drawn; real cells "
                             f"held by fewer than {MIN_CATEGORY_ROWS} rows are shown as 0"})


def _pair_bins(real: pd.Series, synth: pd.Series, kind: str) -> tuple[list[str], dict[str, np.ndarray]]:
    """Bin labels and each side's bin code per row (-1: missing)."""
    if kind in ("numerical", "datetime"):
        pooled = pd.concat([real, synth]).dropna()
        lo, hi = np.quantile(pooled, [0.01, 0.99]) if len(pooled) else (0.0, 1.0)
        hi = hi if hi > lo else lo + 1.0
        edges = np.linspace(lo, hi, PAIR_BINS + 1)
        labels = [_edge_label(e, kind == "datetime") for e in edges[:-1]]
        codes = {side: np.where(v.isna(), -1, np.searchsorted(edges[1:-1], v.clip(lo, hi), side="right"))
                 for side, v in (("real", real), ("synthetic", synth))}
        return labels, codes
    counts = real.value_counts()
    shown = [k for k in counts.index[:PAIR_BINS - 1] if counts[k] >= MIN_CATEGORY_ROWS]
    index = {k: i for i, k in enumerate(shown)}
    codes = {side: np.where(v.isna(), -1, v.map(index).fillna(len(shown))).astype(int)
             for side, v in (("real", real), ("synthetic", synth))}
    rest = any((c == len(shown)).any() for c in codes.values())
    return [_category_label(k) for k in shown] + ([OTHER] if rest else []), codes
