"""One method on one split, in its own process, for bench_peers.py (not a bench on its own).

    python bench/peer_worker.py METHOD EPSILON TRAIN_CSV META_JSON OUT_CSV OUT_JSON [SEED]

Reads the training split, fits METHOD (dpctgan, dpctgan_target, gaussian_copula, ctgan, mst, aim, argn,
argn_dp), samples
``rows`` rows (from META_JSON), writes them to OUT_CSV and to OUT_JSON the fit seconds, sample
seconds and the process's peak resident memory (``ru_maxrss``: imports included, torch's
allocations too, unlike tracemalloc). A process per method so one method's peak is not
another's. Numeric bounds come from META_JSON's ``bounds``: public metadata (the whole table's
min and max), given to every DP method alike (dpctgan's DP domain and MST/AIM's bins), so no
method spends epsilon on bounds (TabularARGN takes no bounds: with DP it spends a tenth of epsilon on its
own value protection and the rest on DP-SGD, so its total is the same epsilon). Runs under the main venv
(synthrecords, SDV), bench/.venv-smartnoise (mst, aim) or bench/.venv-mostlyai (argn, argn_dp): it imports
nothing from synthrecords at module level.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import pandas as pd


def _ours(method: str, epsilon: float | None, train: pd.DataFrame, rows: int, seed: int, bounds: dict,
          target: str, classes: list[str]):
    import torch

    from synthrecords.domain import data_domain
    from synthrecords.models.dpctgan import DPCTGANEngine
    from synthrecords.models.train import SDVEngine
    from synthrecords.privacy.domain import default_delta, release_domain
    from synthrecords.privacy.ledger import PrivacyLedger

    torch.set_num_threads(1)  # as bench_dpctgan --threads 1: every model on one thread
    t0 = time.perf_counter()
    if method in ("dpctgan", "dpctgan_target"):
        ledger = PrivacyLedger(epsilon, default_delta(len(train))) if epsilon else PrivacyLedger()
        public = {c: {"lower": lo, "upper": hi} for c, (lo, hi) in bounds.items()} | {target: {"categories": classes}}
        domain = release_domain(train, ledger, public=public) if epsilon else data_domain(train)
        # dpctgan_target: told the target, as `fit --target` does (issue 5's steering)
        engine = DPCTGANEngine(target=target if method == "dpctgan_target" else None)
    else:
        ledger, domain, engine = PrivacyLedger(), data_domain(train), SDVEngine(method)
    engine.fit(train, domain, ledger, seed=seed)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    synth = engine.sample(rows, seed=seed)
    spent = ledger.epsilon_spent() if epsilon else None
    return synth, fit_s, time.perf_counter() - t0, spent


def _smartnoise(method: str, epsilon: float, train: pd.DataFrame, rows: int, meta: dict):
    from snsynth import Synthesizer
    from snsynth.transform import BinTransformer

    numbers = [c for c in train.columns if c not in meta["categorical"]]
    # Public bounds (META_JSON): smartnoise's own bound search (preprocessor_eps) failed on
    # heavy-tailed columns ("BinTransformer could not find bounds") at 10 % of epsilon 1.
    bins = {c: BinTransformer(lower=meta["bounds"][c][0], upper=meta["bounds"][c][1], nullable=True)
            for c in numbers}
    t0 = time.perf_counter()
    synth = Synthesizer.create(method, epsilon=epsilon, verbose=False)
    synth.fit(train, transformer=bins, categorical_columns=meta["categorical"], continuous_columns=numbers,
              preprocessor_eps=0.0, nullable=True)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = synth.sample(rows)
    return out, fit_s, time.perf_counter() - t0, epsilon


def _argn(epsilon: float | None, train: pd.DataFrame, rows: int, seed: int, minutes: float):
    from mostlyai.engine import TabularARGN
    from mostlyai.engine.domain import DifferentialPrivacyConfig

    # The full budget (issue 20): up to 100 epochs, capped by wall time only as a safety net.
    dp = None if epsilon is None else DifferentialPrivacyConfig(
        max_epsilon=0.9 * epsilon, value_protection_epsilon=0.1 * epsilon, delta=1 / (10 * len(train)))
    t0 = time.perf_counter()
    model = TabularARGN(max_training_time=minutes, differential_privacy=dp, random_state=seed, device="cpu")
    model.fit(train)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = model.sample(n_samples=rows)
    return out, fit_s, time.perf_counter() - t0, epsilon


def main(argv: list[str]) -> None:
    method, eps, train_csv, meta_json, out_csv, out_json, *seed = argv
    epsilon = None if eps == "none" else float(eps)
    with open(meta_json) as fh:
        meta = json.load(fh)
    seed = int(seed[0]) if seed else meta["seed"]  # a repeat's own seed (bench_peers --repeats)
    train = pd.read_csv(train_csv, dtype={c: str for c in meta["categorical"]})
    rows = meta["rows"]
    if method in ("mst", "aim"):
        synth, fit_s, sample_s, spent = _smartnoise(method, epsilon, train, rows, meta)
    elif method in ("argn", "argn_dp"):
        synth, fit_s, sample_s, spent = _argn(epsilon if method == "argn_dp" else None, train, rows, seed,
                                              meta.get("argn_minutes", 60))
    else:
        synth, fit_s, sample_s, spent = _ours(method, epsilon, train, rows, seed, meta["bounds"],
                                              meta["target"], meta["target_classes"])
    synth.to_csv(out_csv, index=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    with open(out_json, "w") as fh:
        json.dump({"fit_s": fit_s, "sample_s": sample_s, "sample_rows": rows, "peak_rss_bytes": peak,
                   "epsilon_spent": spent}, fh)


if __name__ == "__main__":
    main(sys.argv[1:])
