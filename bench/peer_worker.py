"""One method on one split, in its own process, for bench_peers.py (not a bench on its own).

    python bench/peer_worker.py METHOD EPSILON TRAIN_CSV META_JSON OUT_CSV OUT_JSON [SEED]

Reads the training split, fits METHOD (mst, aim, argn, argn_dp, or any synthrecords model by name
through ``Synthesizer(model=...)``: dpctgan, marginals, auto, gaussian_copula, ctgan, ...; with
``_target`` appended, the model is told the table's target as ``fit --target`` does), samples
``rows`` rows (from META_JSON), writes them to OUT_CSV and to OUT_JSON the fit seconds, sample
seconds, the process's peak resident memory (``ru_maxrss``: imports included, torch's
allocations too, unlike tracemalloc) and, for our models, the columns the release generalised
(``released``: categories, hierarchy levels), so bench_peers can also score at that granularity. A process per method so one method's peak is not
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

TARGET_SUFFIX = "_target"  # <model>_target: the model told the table's target (bench_peers)
# <model>_cats (before any _target): told each categorical column's label set, as MST and AIM read it
# off the training rows outside epsilon; the peers' knowledge, for a comparison on equal footing
CATS_SUFFIX = "_cats"
# <model>_nobounds (after any _cats, before any _target): not told the numeric and date columns' bounds, as a
# user who declares nothing; its ranges come from the DP release's coarse public grid
NOBOUNDS_SUFFIX = "_nobounds"


def _ours(method: str, epsilon: float | None, train: pd.DataFrame, rows: int, seed: int, meta: dict):
    """Any synthrecords model by name, through the user's path (Synthesizer): ``dpctgan``,
    ``marginals``, ``auto``, ... and ``<model>_target`` told the table's target (``fit --target``),
    ``<model>_cats`` told the categorical columns' label sets (``CATS_SUFFIX``), ``<model>_nobounds``
    not told the numeric bounds every DP method gets (``NOBOUNDS_SUFFIX``)."""
    import torch

    from synthrecords import Synthesizer
    from synthrecords.pii.policy import ProtectionPolicy

    torch.set_num_threads(1)  # as bench_dpctgan --threads 1: every model on one thread
    model, told, public = told_what(method, meta, train)
    target = meta["target"]
    synthesizer = Synthesizer(
        epsilon=epsilon, model=model, target=target if told else None, seed=seed,
        public_domain=public if epsilon is not None else None,
        # bench/common.py has left out the identifiers and free text already: every column is modelled
        pii_policy=ProtectionPolicy(columns={c: "keep" for c in train.columns}), nlp_model=None)
    t0 = time.perf_counter()
    synthesizer.fit(train)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    synth = synthesizer.sample(rows, seed=seed)
    spent = synthesizer.ledger_.epsilon_spent() if epsilon is not None else None
    return synth, fit_s, time.perf_counter() - t0, spent, released_levels(synthesizer.domain_)


def told_what(method: str, meta: dict, train: pd.DataFrame) -> tuple[str, bool, dict]:
    """The model a method name runs, whether it is told the target, and the public domains it gets."""
    model, told = (method[: -len(TARGET_SUFFIX)], True) if method.endswith(TARGET_SUFFIX) else (method, False)
    model, bare = (model[: -len(NOBOUNDS_SUFFIX)], True) if model.endswith(NOBOUNDS_SUFFIX) else (model, False)
    model, labels = (model[: -len(CATS_SUFFIX)], True) if model.endswith(CATS_SUFFIX) else (model, False)
    target = meta["target"]
    # Public metadata, the same for every DP method: numeric bounds and the target's label set.
    public = {} if bare else {c: {"lower": lo, "upper": hi} for c, (lo, hi) in declared_bounds(meta).items()}
    public[target] = {"categories": meta["target_classes"]}
    if labels:
        public |= {c: {"categories": sorted(train[c].dropna().astype(str).unique())}
                   for c in meta["categorical"] if c != target}
    return model, told, public


def declared_bounds(meta: dict) -> dict[str, list]:
    """The public bounds of every number and date column (dates in their own format)."""
    return meta["bounds"] | {c: d["bounds"] for c, d in meta.get("dates", {}).items()}


def released_levels(domain) -> dict:
    """Per column released with generalised values (``221**``, ``TX*``, ``*``): its categories,
    hierarchy levels and prefix width, so the bench can map real values to the same level."""
    out = {}
    for column in domain:
        categories = [_as_csv(c) for c in column.categories or []]
        generalised = any(c.endswith("*") for c in categories)
        if column.kind == "categorical" and generalised:
            hierarchy = column.hierarchy or {}
            out[column.name] = {"categories": categories, "levels": hierarchy.get("levels", []),
                                "width": hierarchy.get("width"), "granularity": column.granularity}
    return out


def _smartnoise(method: str, epsilon: float, train: pd.DataFrame, rows: int, meta: dict):
    from snsynth import Synthesizer
    from snsynth.transform import BinTransformer, LabelTransformer

    dates = meta.get("dates", {})
    labels = [c for c in meta["categorical"] if c not in dates]
    numbers = [c for c in train.columns if c not in labels]
    bounds = meta["bounds"] | {c: _days(pd.Series(d["bounds"]), d["format"]).tolist() for c, d in dates.items()}
    train = train.assign(**{c: _days(train[c], d["format"]) for c, d in dates.items()})
    # Public metadata (META_JSON), as every DP method gets it: bounds, so smartnoise's own bound
    # search (preprocessor_eps, which failed on heavy-tailed columns at 10 % of epsilon 1) is not
    # needed; the bin count (issue 23's yardstick: 32 equal-width bins); and which columns hold
    # nulls, so a column without any gets no null category for the noise to fill.
    nullable = set(meta.get("nullable", train.columns))  # meta of older runs: every column nullable
    transformers = {c: BinTransformer(bins=meta.get("peer_bins", 10), lower=bounds[c][0],
                                      upper=bounds[c][1], nullable=c in nullable) for c in numbers}
    transformers |= {c: LabelTransformer(nullable=c in nullable) for c in labels}
    t0 = time.perf_counter()
    synth = Synthesizer.create(method, epsilon=epsilon, verbose=False)
    synth.fit(train, transformer=transformers, categorical_columns=labels, continuous_columns=numbers,
              preprocessor_eps=0.0, nullable=bool(nullable))
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = synth.sample(rows)
    out = out.assign(**{c: _from_days(out[c], d["format"]) for c, d in dates.items()})
    return out, fit_s, time.perf_counter() - t0, epsilon, {}


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
    return out, fit_s, time.perf_counter() - t0, epsilon, {}


def _as_csv(value) -> str:
    """A category as the synthetic CSV shows it and bench_peers reads it back (3.0 is "3")."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


EPOCH = pd.Timestamp("1970-01-01")


def _days(values: pd.Series, fmt: str) -> pd.Series:
    """Dates (text in ``fmt``) as days since 1970, fractional for times of day."""
    return (pd.to_datetime(values, format=fmt, errors="coerce") - EPOCH) / pd.Timedelta(days=1)


def _from_days(days: pd.Series, fmt: str) -> pd.Series:
    stamps = EPOCH + pd.to_timedelta(pd.to_numeric(days, errors="coerce"), unit="D")
    return stamps.dt.strftime(fmt).where(stamps.notna())


def main(argv: list[str]) -> None:
    method, eps, train_csv, meta_json, out_csv, out_json, *seed = argv
    epsilon = None if eps == "none" else float(eps)
    with open(meta_json) as fh:
        meta = json.load(fh)
    seed = int(seed[0]) if seed else meta["seed"]  # a repeat's own seed (bench_peers --repeats)
    train = pd.read_csv(train_csv, dtype={c: str for c in meta["categorical"]})
    rows = meta["rows"]
    if method in ("mst", "aim"):
        synth, fit_s, sample_s, spent, released = _smartnoise(method, epsilon, train, rows, meta)
    elif method in ("argn", "argn_dp"):
        synth, fit_s, sample_s, spent, released = _argn(epsilon if method == "argn_dp" else None, train, rows, seed,
                                                        meta.get("argn_minutes", 60))
    else:
        synth, fit_s, sample_s, spent, released = _ours(method, epsilon, train, rows, seed, meta)
    synth.to_csv(out_csv, index=False)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss * 1024  # KiB on Linux
    # CPU seconds of the whole process (imports and sampling included): on a shared box the load
    # inflates wall time far more than CPU time, so both are kept
    cpu = usage.ru_utime + usage.ru_stime
    with open(out_json, "w") as fh:
        json.dump({"fit_s": fit_s, "sample_s": sample_s, "sample_rows": rows, "peak_rss_bytes": peak, "cpu_s": cpu,
                   "epsilon_spent": spent, "released": released}, fh, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
