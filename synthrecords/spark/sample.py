"""Stage 6 on Spark: generate rows in parallel partitions, write partitioned Parquet.

The fitted model travels as its saved folder (JSON + safetensors, never pickle), packed
into bytes and broadcast; each Python worker unpacks and loads it once. Partition ``i`` of
``P`` generates ``n // P`` rows (plus one for the first ``n % P``) from its own seed, a
child of the run's seed (``SeedSequence(seed).spawn``), so the output is exactly ``n``
rows and the same seed gives the same rows whatever the cluster. Rows are made in chunks
of ``chunk_rows`` to bound a worker's memory. Sampling is post-processing: no budget.
The Parquet folder is written beside the target under a temporary name and renamed into
place: readers see the old folder or the complete new one.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import tarfile
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SynthRecordsError
from ..synthesizer import Synthesizer
from ._frames import conform, spark_type_for
from .session import is_connect, parallelism

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
PROBE_ROWS = 200  # rows drawn on the driver to fix the output schema


@dataclass
class SampleResult:
    path: str
    rows: int
    partitions: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def sample_frame(spark: Any, synth: Synthesizer, n: int, *, seed: int, partitions: int | None = None,
                 chunk_rows: int = CHUNK_ROWS, forbidden: dict[str, set] | None = None) -> Any:
    """A lazy Spark DataFrame of exactly ``n`` synthetic rows in ``partitions`` partitions."""
    synth._check_fitted()
    if not isinstance(n, int) or n <= 0:
        raise SynthRecordsError(f"rows must be a positive whole number, got {n!r}")
    parts = partitions or default_partitions(spark, n)
    probe = synth.sample(PROBE_ROWS, seed=seed, forbidden=forbidden)
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField(str(c), spark_type_for(probe[c]), True) for c in probe.columns])
    counts, seeds = partition_rows(n, parts), partition_seeds(seed, parts)
    blob = pack_model(synth)
    shipped = blob if is_connect(spark) else spark.sparkContext.broadcast(blob)

    def generate(batches):  # runs on the executors
        model = unpack_model(shipped if isinstance(shipped, bytes) else shipped.value)
        for batch in batches:
            for i in batch["id"]:
                want, rng = counts[int(i)], np.random.default_rng(seeds[int(i)])
                while want > 0:
                    k = min(want, chunk_rows)
                    rows = model.sample(k, seed=int(rng.integers(2**31 - 1)), forbidden=forbidden)
                    if len(rows) != k:  # an engine that returns fewer rows: the rest come next round
                        rows = rows.head(k)
                    want -= len(rows)
                    yield conform(rows, schema)

    return spark.range(0, parts, numPartitions=parts).mapInPandas(generate, schema)


def sample_to_parquet(spark: Any, synth: Synthesizer, n: int, out: str | Path, *, seed: int,
                      partitions: int | None = None, partition_by: list[str] | None = None,
                      chunk_rows: int = CHUNK_ROWS, overwrite: bool = False,
                      forbidden: dict[str, set] | None = None) -> SampleResult:
    """Write exactly ``n`` synthetic rows to the Parquet folder ``out`` (atomic on a local path)."""
    start = time.perf_counter()
    target = Path(str(out).removeprefix("file://"))
    if "://" in str(target):
        raise SynthRecordsError(f"--out {out}: the Spark sample writes to a local or mounted path only; "
                                f"write locally and copy, or mount the bucket")
    if target.exists() and not overwrite:
        raise SynthRecordsError(f"{target} already exists; choose another --out or pass overwrite")
    parts = partitions or default_partitions(spark, n)
    df = sample_frame(spark, synth, n, seed=seed, partitions=parts, chunk_rows=chunk_rows, forbidden=forbidden)
    unknown = sorted(set(partition_by or []) - set(df.columns))
    if unknown:
        raise SynthRecordsError(f"partition_by names columns not in the output: {unknown}; columns: {df.columns}")
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
    result = SampleResult(str(target), n, parts, time.perf_counter() - start)
    log.info("spark sample: %d rows in %.1f s (%.0f rows/s) -> %s", n, result.seconds, n / result.seconds, target)
    return result
