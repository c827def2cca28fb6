"""Stage 5 on Spark: fit a ``Synthesizer`` on a Spark DataFrame.

Scan, protect and (under DP) the domain release run on the cluster over every row
(``spark.scan``, ``spark.protect``, ``spark.domain``); the engine trains on the driver on a
Poisson sample: every row is kept independently with probability ``rate`` (Spark's
Bernoulli ``sample``), at most about ``max_rows`` rows.

**Accounting: no amplification is claimed for this sample, on purpose.** Privacy
amplification by subsampling (what the ledger's ``sample_rate`` expresses) holds for a
mechanism that draws a *fresh* Poisson sample at every step. Our sample is drawn once and
reused by every DP-SGD step, so the per-step rate is not ``rate * q``; the bound for a
one-off subsample of a whole composed mechanism (Zhu & Wang 2019) is a different RDP
curve the ledger does not implement. Without it, the honest statement is the one that
needs no amplification: neighbouring tables give samples that differ in at most the one
record (couple the coins of every other row), so DP-SGD's guarantee on the sample's rows
``m`` (its own Poisson rate ``q = batch / m``, as ``dpctgan`` accounts it) holds for the
whole table. The ledger therefore charges training exactly as if the sample were the data,
and its entry states the sample ``rate``. A side benefit: the sample's coins need not be
secret, so its seed may be the run's seed.

**The row count.** Under DP it is released first, as in the pandas fit (``privacy.rowcount``):
the default delta, the sample rate (``max_rows`` over the released count), the domain
release's "other" mass and the engine's expected sample size (rate x released count, for its
DP-SGD sample rate and steps) all read the noisy count, never the exact one.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from ..domain import data_domain
from ..errors import SynthRecordsError
from ..models.choice import AUTO
from ..pii.policy import ProtectionPolicy
from ..privacy.domain import DEFAULT_SHARE, default_delta
from ..privacy.ledger import PrivacyLedger
from ..privacy.rowcount import release_row_count
from ..synthesizer import Synthesizer
from . import domain as spark_domain
from ._frames import normalize, numpy_dtypes, row_count
from .protect import protect
from .read import number_forms, read_notes
from .scan import scan_pii, scan_sample

log = logging.getLogger(__name__)

DEFAULT_TRAIN_ROWS = 200_000  # rows pulled to the driver for training


def training_sample(sdf: Any, *, rate: float | None = None, max_rows: int = DEFAULT_TRAIN_ROWS,
                    seed: int = 0, total: int | None = None) -> tuple[pd.DataFrame, float, int]:
    """A Poisson sample of ``sdf`` on the driver, its rate and the true row count."""
    n = total if total is not None else row_count(sdf)
    if rate is None:
        if max_rows <= 0:
            raise SynthRecordsError(f"max_rows must be positive, got {max_rows}")
        rate = min(1.0, max_rows / n)
    if not 0 < rate <= 1:
        raise SynthRecordsError(f"training sample rate must be in (0, 1], got {rate}")
    picked = sdf if rate >= 1 else sdf.sample(withReplacement=False, fraction=rate, seed=seed)
    pdf = numpy_dtypes(normalize(picked.toPandas(), sdf.schema)).reset_index(drop=True)
    if pdf.empty:
        raise SynthRecordsError(f"the training sample (rate {rate:.3g} of {n} rows) is empty; raise the rate")
    return pdf, rate, n


def fit(synth: Synthesizer, sdf: Any, *, rate: float | None = None, max_rows: int = DEFAULT_TRAIN_ROWS) -> Synthesizer:
    """``Synthesizer.fit`` with the data-parallel stages on Spark; returns ``synth`` fitted.

    Declared constraints behave as in the pandas fit: the columns they fill in are dropped
    before anything reads the data, and the sampler fills them in on the synthetic rows.
    """
    from pyspark import StorageLevel

    constraints = synth._declared(list(sdf.columns))
    order = list(sdf.columns)
    forms, notes = number_forms(sdf), read_notes(sdf)  # what the reader changed (spark.read), as a pandas fit's notes
    sdf = sdf.drop(*constraints.filled)  # public structure: those values are never read
    if synth.target is not None and synth.target not in sdf.columns:
        raise SynthRecordsError(f"target column {synth.target!r} is not in the data; columns: {sdf.columns}")
    seed = synth.seed or 0
    n = row_count(sdf)  # exact: read on the driver, released only as the noisy count below
    fresh = getattr(synth, "ledger_", None) is None
    ledger = getattr(synth, "ledger_", None) or PrivacyLedger(synth.epsilon, _delta(synth, n))
    # the engine as Synthesizer.fit builds it; "auto" picks once the domain is released
    engine = None if synth.requested_model == AUTO else synth._engine(synth.model_name, ledger)
    policy = synth.pii_policy or ProtectionPolicy()

    sample = scan_sample(sdf, seed=seed, total=n)
    pii = scan_pii(sdf, policy=policy, nlp_model=synth.nlp_model, seed=seed, sample=sample)
    # Under an epsilon each row's text is redacted with its own identifiers only: one record, one row.
    protected = protect(sdf, pii, policy=policy, sample=sample, seed=seed, own_row=ledger.is_private)
    if not protected.data.columns:
        raise SynthRecordsError("every column is a direct identifier or dropped; nothing is left to model")
    if synth.target is not None and synth.target not in protected.data.columns:
        raise SynthRecordsError(f"target column {synth.target!r} was classified {pii[synth.target].category} "
                                f"and removed; keep it with pii columns = {{{synth.target} = 'keep'}}")
    constraints.check(order, list(protected.data.columns))
    # The pandas fit's rules for kinds, public domains and hierarchies read the schema only
    # (dtypes, names, integer-ness: public, as there); here they read the driver's row sample.
    schema = sample[list(protected.data.columns)]
    kinds = synth._kinds(schema)
    data = protected.data.persist(StorageLevel.MEMORY_AND_DISK)  # redaction runs once for both passes
    try:
        ledger.start_fit()
        # Under DP the row count is released first; every later use of n reads that count.
        counted = (release_row_count(n, ledger, set_delta=fresh and synth.delta is None)
                   if ledger.is_private else None)
        released = counted.rows if counted else n
        rows, rate, _ = training_sample(data, rate=rate, max_rows=max_rows, seed=seed, total=released)
        if ledger.is_private:  # measured on all n rows, noise added once on the driver
            domain = spark_domain.release_domain(data, ledger, kinds=kinds, rows=counted,
                                                 public=synth._public(schema, kinds),
                                                 share=synth.domain_share or DEFAULT_SHARE, seed=seed,
                                                 hierarchy=synth._hierarchy(schema, kinds),
                                                 anchored=[synth.target] if synth.target is not None else ())
            synth._check_target_classes(domain)
        else:  # no guarantee asked: the sample's own domain, as the pandas path reads it
            domain = data_domain(rows, kinds)
        engine, choice = synth._chosen(engine, domain, ledger)
        entries = len(ledger.entries)
        if counted:  # the engine sizes DP-SGD by the rows it trains on: the sample's expected size
            ledger.rows = max(round(rate * counted.rows), 1)
        try:
            engine.fit(rows, domain, ledger, seed=synth.seed)
        finally:
            if counted:
                ledger.rows = counted.rows  # the ledger states the released count of the table
    finally:
        data.unpersist()
    note = (f"; trained on a Poisson sample (rate {rate:.4g}) of the table's rows, drawn once by Spark; "
            f"no amplification by that sampling is claimed")
    for entry in ledger.entries[entries:]:
        entry.detail += note
    # The release order keeps the filled-in columns where the input had them, as in Synthesizer.fit.
    column_order = [c for c in order if c in set(protected.column_order) | set(constraints.filled)]
    synth.pii_ = pii
    synth.domain_ = constraints.domain(domain, column_order) if constraints else domain
    synth.constraints_ = constraints
    synth.ledger_ = ledger
    synth.engine_ = engine
    synth.model_choice_ = choice
    synth.fakes_ = protected.fakes
    synth.column_order_ = column_order + [c for c in protected.column_order if c not in column_order]
    synth.actions_ = protected.actions
    synth.dtypes_ = forms  # sampled values go back in their form, as a pandas fit's read.prepare keeps them
    synth.notes_ = notes
    synth.training_rows_ = released
    # under DP the sample's exact size would tell n within a few rows: kept out of the model
    synth.training_sample_ = {"rows_total": released, "rows_sampled": None if counted else len(rows),
                              "sample_rate": rate, "amplification_claimed": False}
    log.info("spark fit: %d of %d rows trained on (rate %.4g); %s", len(rows), n, rate, ledger.guarantee)
    return synth


def _delta(synth: Synthesizer, n: int) -> float | None:
    check = getattr(synth, "_delta", None)  # the pandas path's own rule, where it has one
    if check is not None:
        return check(n)
    return synth.delta if synth.epsilon is None or synth.delta is not None else default_delta(n)


def fit_source(synth: Synthesizer, data: Any, *, master: str | None = None) -> Synthesizer:
    """``Synthesizer(engine="spark").fit(data)``: ``data`` a Spark or pandas DataFrame or a path."""
    from .read import read_table
    from .session import get_session

    spark = data.sparkSession if hasattr(data, "sparkSession") else get_session(master)
    return fit(synth, read_table(spark, data))
