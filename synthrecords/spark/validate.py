"""Stage 7 on Spark: expectation suites on the whole Spark DataFrame, metrics on samples.

Great Expectations 1.x validates the Spark DataFrame natively (its Spark data source:
the checks run as Spark jobs over every row). The suites and the reading of results are
``synthrecords.validation.expectations``'s own, so the report has the same shape as the pandas one.
Fidelity (SDMetrics), charts, detection, utility and privacy (DCR, exact copies, the
membership and re-identification attacks) need rows in memory: they run on seeded
samples of the tables pulled to the driver, with the pandas stage's own functions, and
the report states the sample sizes next to the table sizes (``sampling``, also under
``run.sample_sizes``). Exact copies are counted over every row, on Spark (``spark.copies``),
since a copy of an unsampled training row would go unseen in a sample. Failing examples
equal to (or holding as whole words) a real identifier are withheld, checked on Spark.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..domain import Domain
from ..errors import SynthRecordsError
from ..validation.expectations import (
    ExpectationResults,
    SuiteResult,
    _result_row,
    _Withheld,
    build_suite,
    load_suites,
    run_suites,
    validate_configs,
)
from ..validation.measure import MAX_REFERENCE_ROWS, OPTIONAL, ValidationReport, measure
from ..validation.metrics import MAX_FIDELITY_ROWS, MAX_PRIVACY_ROWS
from ._frames import row_count, sample_pandas
from .copies import Copies, exact_copies

log = logging.getLogger(__name__)

SAMPLE_ROWS = max(MAX_FIDELITY_ROWS, MAX_PRIVACY_ROWS)
_RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
_lock = threading.Lock()
_batch_definition: Any = None
# withheld: real values to hide, or a function from example texts to the real values among them
Withheld = Iterable[str] | Callable[[list[str]], set[str]]


@dataclass
class SparkValidationReport(ValidationReport):
    sampling: dict[str, Any] = field(default_factory=dict)
    # the driver samples the metrics used (pandas frames by name), for callers' own measures
    samples: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)
    copies: Copies | None = None  # exact copies over every row (with the training rows' repeat share)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "sampling": dict(self.sampling)}

    def sample_sizes(self) -> dict[str, Any]:
        return {**super().sample_sizes(), "expectations": "every synthetic row, on Spark",
                "spark_samples": dict(self.sampling)}


def validate(real: Any, synthetic: Any, holdout: Any = None, *, domain: Domain, suites: list | None = None,
             suites_dir: Path | None = None, target: str | None = None, withheld: Withheld = (),
             measures: Iterable[str] = OPTIONAL, sample_rows: int = SAMPLE_ROWS, seed: int = 0) -> SparkValidationReport:
    """``synthrecords.validate`` for Spark DataFrames (``real``/``holdout`` may also be pandas).

    ``domain`` is required: on Spark there is no cheap exact domain to read off the real
    table, and the released one is what the suites should check anyway. ``measures``: which
    of ``validation.OPTIONAL`` to run on the samples (all by default).
    """
    measures = set(measures)
    if measures - set(OPTIONAL):
        raise SynthRecordsError(f"validate: unknown measures {sorted(measures - set(OPTIONAL))}; choose from {OPTIONAL}")
    if target is not None and target not in domain.names:
        raise SynthRecordsError(f"target column {target!r} is not among the compared columns "
                                f"({', '.join(domain.names)}); pass one of them with --target")
    chosen = list(suites) if suites is not None else [build_suite(domain)]
    if suites_dir is not None:
        chosen += load_suites(Path(suites_dir))
    timings: dict[str, float] = {}

    start = time.perf_counter()
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
    timings["spark_samples"] = round(time.perf_counter() - start, 3)

    start = time.perf_counter()
    guard = _guard(withheld)
    results = ExpectationResults([_run_suite(_as_released_text(synthetic, domain), s, guard) for s in chosen])
    reference = _released_text_pandas(frames["real"].head(MAX_REFERENCE_ROWS), domain)
    for own, result in zip(results.suites, run_suites(reference, chosen).suites, strict=True):
        for row, ref in zip(own.results, result.results, strict=True):
            absent = row["column"] is not None and row["column"] not in reference.columns
            row["reference"] = None if absent else {"success": ref["success"],
                                                    "unexpected_percent": ref["unexpected_percent"]}
    results.reference = {"rows": len(reference)}
    timings["expectations"] = round(time.perf_counter() - start, 3)

    r, syn, hold = frames["real"], frames["synthetic"], frames.get("holdout")
    fid, charts, det, util, priv, att = measure(r, syn, hold, domain, target=target, measures=measures, seed=seed,
                                                timings=timings)
    copies = None
    if priv is not None and priv.exact_match_share is not None and priv.columns:
        start = time.perf_counter()
        copies = _every_row_copies(real, synthetic, holdout, domain, priv)
        timings["exact_copies"] = round(time.perf_counter() - start, 3)
    sizes["note"] = ("fidelity, charts, detection, utility and privacy metrics are computed on these samples, "
                     "except the exact-copy counts (every row, on Spark); expectations ran on every synthetic row, "
                     "and the real-data reference of each expectation on the first "
                     f"{len(reference)} sampled real rows")
    log.info("spark validate: %d of %d expectations passed; metrics on %s real / %s synthetic sampled rows",
             results.passed, results.evaluated, sizes.get("real_rows_sampled"), sizes.get("synthetic_rows_sampled"))
    return SparkValidationReport(expectations=results, fidelity=fid, privacy=priv, utility=util, detection=det,
                                 attacks=att, charts=charts, timings=timings, suites_used=chosen, sampling=sizes,
                                 samples=frames, copies=copies)


def _every_row_copies(real: Any, synthetic: Any, holdout: Any, domain: Domain, priv: Any) -> Copies | None:
    """The sample's exact-copy figures replaced by counts over every row (pandas tables are
    handed to Spark first); with no Spark table at all, the sample's figures stay."""
    spark = next((t.sparkSession for t in (synthetic, real, holdout) if hasattr(t, "sparkSession")), None)
    if spark is None:
        return None
    columns = list(priv.columns)
    as_spark = lambda t: spark.createDataFrame(t[columns]) if isinstance(t, pd.DataFrame) else t
    copies = exact_copies(as_spark(real), as_spark(synthetic), None if holdout is None else as_spark(holdout),
                          domain=domain, columns=columns)
    if copies is not None:
        priv.exact_matches, priv.exact_match_share = copies.exact_matches, copies.exact_match_share
        priv.holdout_exact_match_share = copies.holdout_exact_match_share
    return copies


def run_suites_spark(sdf: Any, suites: list) -> ExpectationResults:
    return ExpectationResults([_run_suite(sdf, s, None) for s in suites])


def _guard(withheld: Withheld) -> Callable[[list[str]], _Withheld]:
    """From the examples of a suite's failures to the guard that hides real values among them."""
    if callable(withheld):
        return lambda examples: _Withheld(withheld(examples))
    values = list(withheld)
    return lambda examples: _Withheld(values)


def _run_suite(sdf: Any, suite: Any, guard: Callable[[list[str]], _Withheld] | None) -> SuiteResult:
    configs = [e.configuration for e in suite.expectations]
    outcomes = validate_configs(sdf, suite.name, dict(enumerate(configs)), run=_gx_validate,
                                datetime_view=_datetime_view)
    examples = [str(v) for o in outcomes.values() if not o.success
                for v in (o.result or {}).get("partial_unexpected_list") or [] if v is not None]
    hide = guard(examples) if guard is not None and examples else None
    return SuiteResult.of(suite.name, [_row(configs[i], outcomes[i], suite, hide) for i in range(len(configs))])


def _row(config: Any, result: Any, suite: Any, guard: _Withheld | None) -> dict[str, Any]:
    from ..validation import expectations

    return _result_row(config, result, expectations.severity_of(config, suite), guard)


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


def _released_text_pandas(df: pd.DataFrame, domain: Domain) -> pd.DataFrame:
    from ..validation.measure import _as_released_text as released

    return released(df, domain)
