"""Stage 2 on Spark: sample-based Presidio detection, one column per Spark task.

The pandas scan already works on a row sample (``scan.SHAPE_ROWS`` rows, and at most
``sample_size`` distinct values per column through Presidio), so on Spark the row sample
is drawn on the cluster, pulled to the driver, and the expensive part, Presidio and spaCy
per column, runs in parallel tasks via ``mapInPandas``. Each task calls the very functions
of ``synthrecords.pii.scan`` with the same per-column random stream, so the report equals
``scan_pii`` on the same sample (``scan_sample`` returns that sample for the check).
"""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any

import numpy as np
import pandas as pd

from ..config import DEFAULT_NLP_MODEL
from ..pii.policy import ProtectionPolicy
from ..pii.scan import (
    SHAPE_ROWS,
    ColumnFinding,
    PiiReport,
    _check_input,
    _finding,
    check_overrides,
    gather_evidence,
)
from ._frames import sample_pandas

log = logging.getLogger(__name__)


def scan_sample(sdf: Any, *, seed: int = 0, total: int | None = None) -> pd.DataFrame:
    """The row sample the Spark scan classifies (at most SHAPE_ROWS rows, seeded)."""
    return sample_pandas(sdf, SHAPE_ROWS, seed=seed, total=total)[0]


def scan_pii(sdf: Any, *, policy: ProtectionPolicy | None = None, nlp_model: str | None = DEFAULT_NLP_MODEL,
             sample_size: int = 500, seed: int = 0, sample: pd.DataFrame | None = None) -> PiiReport:
    """``synthrecords.pii.scan.scan_pii`` for a Spark DataFrame: same verdicts on the same sample.

    ``sample``: the rows to classify (default ``scan_sample(sdf, seed=seed)``).
    """
    spark = sdf.sparkSession
    sample = scan_sample(sdf, seed=seed) if sample is None else sample
    _check_input(sample, sample_size)
    policy = policy or ProtectionPolicy()
    check_overrides(policy, sample.columns)
    columns = [str(c) for c in sample.columns]

    def classify_columns(batches):  # runs on the executors
        from ..pii.classify import classify
        from ..pii.engine import get_engine

        engine = get_engine(nlp_model)
        for batch in batches:
            rows = []
            for i in batch["i"]:
                column = columns[int(i)]
                rng = np.random.default_rng([seed, zlib.crc32(column.encode())])
                evidence = gather_evidence(column, sample[column], engine, sample_size=sample_size, rng=rng)
                finding = _finding(classify(evidence), column, policy)
                rows.append((int(i), json.dumps(finding.to_dict()), engine.nlp_model or "",
                             json.dumps(list(engine.warnings))))
            yield pd.DataFrame(rows, columns=["i", "finding", "nlp_model", "warnings"])

    tasks = spark.range(0, len(columns), numPartitions=max(1, len(columns))).withColumnRenamed("id", "i")
    out = tasks.mapInPandas(classify_columns, "i long, finding string, nlp_model string, warnings string")
    rows = sorted(out.collect(), key=lambda r: r["i"])
    findings = [ColumnFinding(**json.loads(r["finding"])) for r in rows]
    warnings = list(dict.fromkeys(w for r in rows for w in json.loads(r["warnings"])))
    model = next((r["nlp_model"] for r in rows if r["nlp_model"]), None)
    report = PiiReport(findings, model, warnings)
    log.info("spark scan: %d columns on %d sampled rows, direct %s, free text %s", len(findings), len(sample),
             report.columns_in("direct"), report.columns_in("free_text"))
    return report
