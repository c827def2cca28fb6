"""Stage 6 on Spark: generate rows in parallel partitions, write partitioned Parquet.

The fitted model travels as its saved folder (JSON + safetensors, never pickle), packed
into bytes and broadcast; each Python worker unpacks and loads it once. Partition ``i`` of
``P`` generates ``n // P`` rows (plus one for the first ``n % P``) from its own seed, a
child of the run's seed (``SeedSequence(seed).spawn``), so the output is exactly ``n``
rows and the same seed gives the same rows whatever the cluster. Rows are made in chunks
of ``chunk_rows`` to bound a worker's memory. Sampling is post-processing: no budget.

A shaped request (``oversample``, ``conditions``, ``filter_rows``) is planned once on the
driver and split across partitions and chunks (``spark.shaped``); each slice reports what
it generated and kept beside its rows, and the report adds them up. A model with declared
constraints applies them to every chunk (``spark.constrained``); what they did is added up
the same way. Fakes of a column that was unique in the real data are made unique over the
whole output (``spark.unique``). These need the generated rows twice, so those runs
persist them (memory and disk).
The Parquet folder is written beside the target under a temporary name and renamed into
place: readers see the old folder or the complete new one.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tarfile
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SynthRecordsError
from ..pii.protect import add_fakes
from ..read import restore_types
from ..sample import SamplingReport
from ..synthesizer import Synthesizer
from . import shaped
from ._frames import conform, spark_type_for
from .constrained import merge_reports
from .session import is_connect, parallelism
from .unique import ROW, make_unique, unique_plans

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
PROBE_ROWS = 200  # rows drawn on the driver to fix the output schema
STATS = "__stats"  # a slice's report travels beside its rows, in rows of their own


@dataclass
class SampleResult:
    path: str
    rows: int
    partitions: int
    seconds: float
    sampling: dict[str, Any] | None = None  # requested vs achieved (shaped requests)
    unique_redrawn: dict[str, int] = field(default_factory=dict)  # duplicate fakes redrawn per column

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SparkSample:
    """The synthetic rows (a Spark DataFrame), the sampling report of a shaped request, and
    how many duplicate fakes were redrawn; ``release()`` frees the persisted rows."""

    frame: Any
    report: SamplingReport | None = None
    unique_redrawn: dict[str, int] = field(default_factory=dict)
    cached: Any = None

    def release(self) -> None:
        if self.cached is not None:
            self.cached.unpersist()
            self.cached = None


def pack_model(synth: Synthesizer) -> bytes:
    """The saved model folder as tar bytes (what the executors receive)."""
    with tempfile.TemporaryDirectory() as tmp:
        synth.save(Path(tmp) / "model")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(Path(tmp) / "model", arcname="model")
        return buf.getvalue()


_LOADED: dict[str, Synthesizer] = {}  # per worker process: model digest -> loaded model


def unpack_model(blob: bytes) -> Synthesizer:
    digest = hashlib.sha256(blob).hexdigest()
    if digest not in _LOADED:
        with tempfile.TemporaryDirectory() as tmp:
            with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
                tar.extractall(tmp, filter="data")
            _LOADED.clear()
            _LOADED[digest] = Synthesizer.load(Path(tmp) / "model")
    return _LOADED[digest]


def partition_rows(n: int, partitions: int) -> list[int]:
    base, extra = divmod(n, partitions)
    return [base + (i < extra) for i in range(partitions)]


def partition_seeds(seed: int, partitions: int) -> list[int]:
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(partitions)]


def default_partitions(spark: Any, n: int) -> int:
    """Two tasks per core, none under 1000 rows."""
    return max(1, min(parallelism(spark) * 2, -(-n // 1000)))


def sample_with_report(spark: Any, synth: Synthesizer, n: int, *, seed: int, partitions: int | None = None,
                       chunk_rows: int = CHUNK_ROWS, forbidden: dict[str, set] | None = None,
                       oversample: dict | None = None, conditions: dict | None = None, filter_rows: bool = False,
                       filter_suites: list | None = None) -> SparkSample:
    """Exactly ``n`` synthetic rows in ``partitions`` partitions, as ``Synthesizer.sample_with_report``
    asks them (class mix, fixed conditions, expectation filter), fakes unique where planned."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    synth._check_fitted()
    if not isinstance(n, int) or n <= 0:
        raise SynthRecordsError(f"rows must be a positive whole number, got {n!r}")
    parts = partitions or default_partitions(spark, n)
    request = shaped.plan_request(n, synth.domain_, oversample=oversample, conditions=conditions,
                                  filter_rows=filter_rows, filter_suites=filter_suites)
    probe = synth.sample(PROBE_ROWS, seed=seed, forbidden=forbidden)
    data_schema = T.StructType([T.StructField(str(c), spark_type_for(probe[c]), True) for c in probe.columns])
    uniques = unique_plans(synth.fakes_, data_schema.names)
    constrained = bool(getattr(synth, "constraints_", None))  # each chunk reports what its constraints did
    helpers = request.shaped or bool(uniques) or constrained  # row ids and slice stats; the plain path carries neither
    schema = T.StructType([*data_schema.fields, *([T.StructField(ROW, T.LongType(), True),
                                                   T.StructField(STATS, T.StringType(), True)] if helpers else [])])
    slices = shaped.slice_counts(request, parts, chunk_rows) if request.shaped else None
    counts = partition_rows(n, parts) if slices is None else [sum(map(sum, chunks)) for chunks in slices]
    offsets, seeds = np.concatenate([[0], np.cumsum(counts)[:-1]]).tolist(), partition_seeds(seed, parts)
    blob = pack_model(synth)
    key = hashlib.sha256(blob).hexdigest()
    shipped = blob if is_connect(spark) else spark.sparkContext.broadcast(blob)

    def tagged(rows, offset):
        out = conform(rows, data_schema)
        if helpers:
            out[ROW] = np.arange(offset, offset + len(out), dtype=np.int64)
            out[STATS] = None
        return out

    def generate(batches):  # runs on the executors
        model = unpack_model(shipped if isinstance(shipped, bytes) else shipped.value)
        for batch in batches:
            for i in batch["id"]:
                i = int(i)
                rng, offset = np.random.default_rng(seeds[i]), int(offsets[i])
                if slices is None:
                    want, done = counts[i], []
                    while want > 0:
                        k = min(want, chunk_rows)
                        rows, made = model.sample_with_report(k, seed=int(rng.integers(2**31 - 1)), forbidden=forbidden)
                        rows = rows.head(k)  # an engine that returns fewer rows: the rest come next round
                        want -= len(rows)
                        done.append({"constraints": made.constraints})
                        yield tagged(rows, offset)
                        offset += len(rows)
                    if constrained:
                        yield note(done)
                    continue
                keep, stats = shaped.make_keep(model, request, key), []
                for chunk in slices[i]:
                    if not sum(chunk):
                        continue
                    rows, st = shaped.fill_slice(model, request, chunk, rng, keep)
                    rows = add_fakes(rows, model.fakes_, model.column_order_)  # fakes: a secret seed each chunk
                    rows = restore_types(rows, getattr(model, "timezones_", {}), getattr(model, "dtypes_", {}))
                    stats.append(st)
                    yield tagged(rows, offset)
                    offset += len(rows)
                yield note(stats)

    def note(stats):  # one row of nulls whose STATS column carries a slice's report
        row = tagged(probe.head(0), 0).reindex(range(1))
        row[STATS] = json.dumps(stats)
        return row

    raw = spark.range(0, parts, numPartitions=parts).mapInPandas(generate, schema)
    if not helpers:  # the plain path: lazy, nothing kept
        return SparkSample(raw)
    cached = raw.persist(StorageLevel.MEMORY_AND_DISK)
    report = None
    if request.shaped or constrained:
        notes = [r[0] for r in cached.where(F.col(STATS).isNotNull()).select(STATS).collect()]
        stats = [s for text in notes for s in json.loads(text)]
        report = shaped.merge_stats(request, stats) if request.shaped else SamplingReport(n)
        report.constraints = merge_reports([s["constraints"] for s in stats if s.get("constraints")])
        _warn_mix(report)
        data = cached.where(F.col(STATS).isNull()).drop(STATS)
    else:
        data = cached.drop(STATS)
    data, redrawn = make_unique(spark, data, uniques)
    return SparkSample(data.drop(ROW), report, redrawn, cached)


def sample_frame(spark: Any, synth: Synthesizer, n: int, *, seed: int, partitions: int | None = None,
                 chunk_rows: int = CHUNK_ROWS, forbidden: dict[str, set] | None = None) -> Any:
    """A Spark DataFrame of exactly ``n`` synthetic rows (lazy unless fakes must be made unique)."""
    return sample_with_report(spark, synth, n, seed=seed, partitions=partitions, chunk_rows=chunk_rows,
                              forbidden=forbidden).frame


def _warn_mix(report: SamplingReport) -> None:
    for column, shares in report.requested.items():
        for value, share in shares.items():
            if abs(report.achieved[column][value] - share) > 0.01:
                log.warning("oversample %s=%s: asked for %.1f%%, achieved %.1f%% (the model rarely produces it)",
                            column, value, 100 * share, 100 * report.achieved[column][value])


def sample_to_parquet(spark: Any, synth: Synthesizer, n: int, out: str | Path, *, seed: int,
                      partitions: int | None = None, partition_by: list[str] | None = None,
                      chunk_rows: int = CHUNK_ROWS, overwrite: bool = False,
                      forbidden: dict[str, set] | None = None, oversample: dict | None = None,
                      conditions: dict | None = None, filter_rows: bool = False,
                      filter_suites: list | None = None) -> SampleResult:
    """Write exactly ``n`` synthetic rows to the Parquet folder ``out`` (atomic on a local path)."""
    start = time.perf_counter()
    target = Path(str(out).removeprefix("file://"))
    if "://" in str(target):
        raise SynthRecordsError(f"--out {out}: the Spark sample writes to a local or mounted path only; "
                                f"write locally and copy, or mount the bucket")
    if target.exists() and not overwrite:
        raise SynthRecordsError(f"{target} already exists; choose another --out or pass overwrite")
    unknown = sorted(set(partition_by or []) - set(synth.column_order_))
    if unknown:
        raise SynthRecordsError(f"partition_by names columns not in the output: {unknown}; "
                                f"columns: {synth.column_order_}")
    parts = partitions or default_partitions(spark, n)
    made = sample_with_report(spark, synth, n, seed=seed, partitions=parts, chunk_rows=chunk_rows,
                              forbidden=forbidden, oversample=oversample, conditions=conditions,
                              filter_rows=filter_rows, filter_suites=filter_suites)
    df = made.frame
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        writer = df.write.mode("error")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.parquet(str(tmp.resolve()))
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        made.release()
    result = SampleResult(str(target), n, parts, time.perf_counter() - start,
                          None if made.report is None else made.report.to_dict(), made.unique_redrawn)
    log.info("spark sample: %d rows in %.1f s (%.0f rows/s) -> %s", n, result.seconds, n / result.seconds, target)
    return result
