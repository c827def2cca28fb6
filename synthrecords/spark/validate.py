"""Stage 7 on Spark: expectation suites on the whole Spark DataFrame, metrics on samples.

Great Expectations 1.x validates the Spark DataFrame natively (its Spark data source:
the checks run as Spark jobs over every row). The suites and the reading of results are
``synthrecords.expectations``'s own, so the report has the same shape as the pandas one.
Fidelity (SDMetrics) and privacy (DCR, exact copies) need rows in memory: they run on
seeded samples of both tables pulled to the driver, and the report states the sample
sizes next to the table sizes (``sampling``); exact-copy counts are counts in the samples.
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..domain import Domain
from ..expectations import (
    ExpectationResults,
    SuiteResult,
    _result_row,
    build_suite,
    load_suites,
    validate_configs,
)
from ..metrics import MAX_FIDELITY_ROWS, MAX_PRIVACY_ROWS, fidelity, privacy
from ..validation import ValidationReport
from ._frames import row_count, sample_pandas

log = logging.getLogger(__name__)

SAMPLE_ROWS = max(MAX_FIDELITY_ROWS, MAX_PRIVACY_ROWS)
_RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
_lock = threading.Lock()
_batch_definition: Any = None


@dataclass
class SparkValidationReport(ValidationReport):
    sampling: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "sampling": dict(self.sampling)}


def validate(real: Any, synthetic: Any, holdout: Any = None, *, domain: Domain, suites: list | None = None,
             suites_dir: Path | None = None, sample_rows: int = SAMPLE_ROWS, seed: int = 0) -> SparkValidationReport:
    """``synthrecords.validate`` for Spark DataFrames (``real``/``holdout`` may also be pandas).

    ``domain`` is required: on Spark there is no cheap exact domain to read off the real
    table, and the released one is what the suites should check anyway.
    """
    chosen = list(suites) if suites is not None else [build_suite(domain)]
    if suites_dir is not None:
        chosen += load_suites(Path(suites_dir))
    results = ExpectationResults([_run_suite(_as_released_text(synthetic, domain), s) for s in chosen])

    sizes: dict[str, Any] = {"sample_rows_limit": sample_rows, "seed": seed}
    frames = {}
    for name, table, s in (("real", real, seed), ("synthetic", synthetic, seed + 1), ("holdout", holdout, seed + 2)):
        if table is None:
            continue
        if isinstance(table, pd.DataFrame):
            frames[name], total = table.sample(n=min(len(table), sample_rows), random_state=s), len(table)
        else:
            frames[name], total = sample_pandas(table, sample_rows, seed=s, total=row_count(table))
        sizes[f"{name}_rows"], sizes[f"{name}_rows_sampled"] = total, len(frames[name])
    fid = fidelity(frames["real"], frames["synthetic"], domain)
    priv = privacy(frames["real"], frames["synthetic"], domain, holdout=frames.get("holdout"))
    sizes["note"] = ("fidelity and privacy metrics are computed on these samples (exact-copy counts are counts "
                     "within them); expectations ran on every synthetic row")
    log.info("spark validate: %d of %d expectations passed; metrics on %s real / %s synthetic sampled rows",
             results.passed, results.evaluated, sizes.get("real_rows_sampled"), sizes.get("synthetic_rows_sampled"))
    return SparkValidationReport(expectations=results, fidelity=fid, privacy=priv, suites_used=chosen,
                                 sampling=sizes)


def run_suites(sdf: Any, suites: list) -> ExpectationResults:
    return ExpectationResults([_run_suite(sdf, s) for s in suites])


def _run_suite(sdf: Any, suite: Any) -> SuiteResult:
    configs = [e.configuration for e in suite.expectations]
    outcomes = validate_configs(sdf, suite.name, dict(enumerate(configs)), run=_gx_validate,
                                datetime_view=_datetime_view)
    return SuiteResult.of(suite.name, [_row(configs[i], outcomes[i], suite) for i in range(len(configs))])


def _row(config: Any, result: Any, suite: Any) -> dict[str, Any]:
    # expectations._result_row gained (severity, guard) in issue 6's work; accept both forms.
    if "severity" in inspect.signature(_result_row).parameters:
        from .. import expectations

        return _result_row(config, result, expectations.severity_of(config, suite), None)
    return _result_row(config, result)


def _gx_validate(sdf: Any, name: str, configs: dict[int, Any]) -> dict[int, Any]:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    key = "synthrecords_index"
    tagged = [ExpectationConfiguration(type=c.type, kwargs=dict(c.kwargs), meta={**(c.meta or {}), key: i})
              for i, c in configs.items()]
    suite = gx.ExpectationSuite(name=name, expectations=tagged)
    with _lock:
        batch = _batch_def().get_batch(batch_parameters={"dataframe": sdf})
        outcome = batch.validate(suite, result_format=_RESULT_FORMAT)
    return {r.expectation_config.meta[key]: r for r in outcome.results}


def _batch_def() -> Any:
    """One ephemeral GX context with a Spark data source per process (creating one is slow)."""
    global _batch_definition
    if _batch_definition is None:
        os.environ["GX_ANALYTICS_ENABLED"] = "false"
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                                   analytics_enabled=False,
                                   progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False))
        context = gx.get_context(mode="ephemeral", project_config=config)
        asset = context.data_sources.add_spark("synthrecords_spark").add_dataframe_asset("frame")
        _batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    return _batch_definition


def _as_released_text(sdf: Any, domain: Domain) -> Any:
    """Timestamp columns written in the domain's format, as the released files hold them."""
    from pyspark.sql import functions as F
    from pyspark.sql.functions import pandas_udf

    for col in domain:
        if col.kind == "datetime" and col.name in sdf.columns and \
                sdf.schema[col.name].dataType.typeName() in ("timestamp", "timestamp_ntz", "date"):
            fmt = col.datetime_format or "%Y-%m-%d"
            udf = pandas_udf(lambda s, fmt=fmt: pd.to_datetime(s).dt.strftime(fmt).astype(object), "string")
            sdf = sdf.withColumn(col.name, udf(F.col(col.name)))
    return sdf


def _datetime_view(sdf: Any, columns: set[Any], formats: dict[Any, str | None]) -> Any:
    """Text columns parsed with the same pandas parser as the pandas path (strftime formats)."""
    from pyspark.sql import functions as F
    from pyspark.sql.functions import pandas_udf

    for name in columns:
        if name in sdf.columns and sdf.schema[name].dataType.typeName() == "string":
            fmt = formats.get(name)
            udf = pandas_udf(lambda s, fmt=fmt: pd.to_datetime(s, format=fmt, errors="coerce"), "timestamp")
            sdf = sdf.withColumn(name, udf(F.col(name)))
    return sdf
