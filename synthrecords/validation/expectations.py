"""Great Expectations suites: built from the released domain, loaded from JSON, run on output.

The schema suite is built from the domain only (never from real data), so writing it
out costs no privacy budget. User suites in ``expectations/*.json`` add business rules.
Suites are plain GX 1.x JSON (``suite.to_json_dict()``); validation runs in one
ephemeral GX context per process: no ``gx/`` folder on disk, no analytics, no progress bars.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..atomic import write_text
from ..domain import ColumnDomain, Domain
from ..errors import SynthRecordsError

if TYPE_CHECKING:
    import great_expectations as gx

log = logging.getLogger(__name__)

# Value-level integer check: GX's type-list expectation looks at the dtype, and a column
# of whole numbers with one null is float64 after a CSV round trip. Map metrics see
# non-null values only, through str(), so 3, 3.0 and Int64 3 all match.
# Non-capturing group: pandas warns on every run when a str.contains pattern has groups.
INTEGER_REGEX = r"^-?\d+(?:\.0+)?$"
# GX 1.x parses between-bounds into date/datetime objects and compares them with the
# column; a string column cannot be compared, so these run on a datetime-typed copy.
_DATED_TYPES = {f"expect_column_{what}_to_be_between" for what in ("values", "min", "max")}
_RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
_INDEX_KEY = "_synthrecords_index"  # meta marker: GX returns results in its own order
# A blocking expectation that fails makes `validate` exit 1; a warning is reported only.
# Set per expectation (``meta.severity``) or per suite (suite ``meta.severity``, the default
# for its expectations); unset means blocking.
SEVERITIES = ("blocking", "warning")
WITHHELD = "<withheld: equals a real identifier value>"
MAX_EXAMPLES = 3

_context_lock = threading.RLock()
_batch_definition: Any = None


# ---------------------------------------------------------------- building and files


def build_suite(domain: Domain, name: str = "schema", *, fakes: list[Any] = ()) -> gx.ExpectationSuite:
    """The schema suite: columns, value sets, ranges, nulls and integer-ness from ``domain``.

    The column-set expectation requires every domain column and allows extra columns,
    because a release also carries columns outside the modelled domain (fake identifiers).
    ``fakes`` (a model's FakePlans) add the formats, uniqueness and completeness of the
    faked identifier columns, as warnings: they check our surrogates, not the user's data.
    """
    gx = _gx()
    E = gx.expectations
    expectations: list[Any] = [
        E.ExpectTableColumnsToMatchSet(column_set=domain.names, exact_match=False)
    ]
    for col in domain:
        expectations.extend(_column_expectations(E, col))
    for plan in fakes:
        expectations.extend(_fake_expectations(E, plan))
    return gx.ExpectationSuite(
        name=name, expectations=expectations, meta={"synthrecords": {"built_from": "domain"}}
    )


def _column_expectations(E: Any, col: ColumnDomain) -> list[Any]:
    out: list[Any] = []
    if not col.nullable:
        out.append(E.ExpectColumnValuesToNotBeNull(column=col.name))
    if col.kind in ("categorical", "boolean") and col.categories is not None:
        out.append(
            E.ExpectColumnValuesToBeInSet(
                column=col.name, value_set=list(col.categories), mostly=1.0
            )
        )
    elif col.kind == "numerical":
        if col.lower is not None or col.upper is not None:
            out.append(
                E.ExpectColumnValuesToBeBetween(
                    column=col.name, min_value=col.lower, max_value=col.upper
                )
            )
        if col.integer:
            out.append(
                E.ExpectColumnValuesToMatchRegex(
                    column=col.name, regex=INTEGER_REGEX, meta={"rule": "integer"}
                )
            )
    elif col.kind == "datetime":
        fmt = col.datetime_format or "%Y-%m-%d"
        out.append(E.ExpectColumnValuesToMatchStrftimeFormat(column=col.name, strftime_format=fmt))
        if col.lower is not None or col.upper is not None:
            # datetime objects, not date-only strings: GX would read "2020-01-01" as a date,
            # which pandas refuses to compare with datetime64 values.
            out.append(
                E.ExpectColumnValuesToBeBetween(
                    column=col.name,
                    min_value=_parse_bound(col.lower, fmt),
                    max_value=_parse_bound(col.upper, fmt),
                )
            )
    return out


EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
_MASKED = ("PASSPORT", "ACCOUNT_ID", "ID")  # entities drawn from their masks alone (see fakes)


def _fake_expectations(E: Any, plan: Any) -> list[Any]:
    meta = {"severity": "warning", "rule": f"faked {plan.entity} identifier ({plan.action})"}
    column = plan.column
    out: list[Any] = []
    if plan.null_share == 0:
        out.append(E.ExpectColumnValuesToNotBeNull(column=column, meta=meta))
    if plan.unique:
        out.append(E.ExpectColumnValuesToBeUnique(column=column, meta=meta))
    if plan.action == "hash":
        out.append(E.ExpectColumnValuesToMatchRegex(column=column, regex=r"^[0-9a-f]{16}$", meta=meta))
    elif plan.entity == "EMAIL_ADDRESS":
        out.append(E.ExpectColumnValuesToMatchRegex(column=column, regex=EMAIL_REGEX, meta=meta))
    elif plan.entity in _MASKED and plan.masks:
        out.append(E.ExpectColumnValuesToMatchRegexList(
            column=column, regex_list=[mask_regex(m) for m in plan.masks], match_on="any", meta=meta))
    return out


def mask_regex(mask: str) -> str:
    """The regex of a fakes mask: 9 a digit, A an upper-case letter, a a lower-case one,
    a backslash-escaped character itself (the reading of fakes.fill_mask)."""
    out, escaped = [], False
    for ch in mask:
        if escaped:
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append({"9": r"\d", "A": "[A-Z]", "a": "[a-z]"}.get(ch, re.escape(ch)))
    return "^" + "".join(out) + "$"


def _parse_bound(value: Any, fmt: str) -> dt.datetime | None:
    return None if value is None else dt.datetime.strptime(str(value), fmt)


def save_suite(suite: gx.ExpectationSuite, path: Path) -> None:
    """Write ``suite`` as GX 1.x JSON, atomically."""
    write_text(Path(path), json.dumps(suite.to_json_dict(), indent=2) + "\n")


def load_suite(path: Path) -> gx.ExpectationSuite:
    """Read a GX suite from JSON; every problem is a SynthRecordsError naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SynthRecordsError(
            f"expectation suite {path}: cannot read it ({exc.strerror})"
        ) from exc
    except json.JSONDecodeError as exc:
        raise SynthRecordsError(
            f"expectation suite {path}: not valid JSON at line {exc.lineno}, "
            f"column {exc.colno} ({exc.msg}); fix the file"
        ) from exc
    return suite_from_dict(data, source=str(path), default_name=path.stem)


def suite_from_dict(
    data: Any, *, source: str = "suite", default_name: str = "suite"
) -> gx.ExpectationSuite:
    """Build a suite from its JSON dict, checking every expectation before GX sees it.

    GX's own constructor logs and silently drops an invalid expectation; a dropped
    business rule would pass unnoticed, so each one is checked here and refused loudly.
    """
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    if not isinstance(data, dict) or not isinstance(data.get("expectations", []), list):
        raise SynthRecordsError(
            f"expectation suite {source}: expected a JSON object with a list "
            f"'expectations' (GX 1.x format, as written by save_suite)"
        )
    configs = []
    for i, raw in enumerate(data.get("expectations", []), start=1):
        raw = dict(raw) if isinstance(raw, dict) else {}
        if "expectation_type" in raw:  # GX 0.x spelling of the same field
            raw["type"] = raw.pop("expectation_type")
        raw.pop("id", None)  # ids belong to the GX context that wrote the file, not to us
        where = f"expectation suite {source}, expectation {i} ({raw.get('type', '?')})"
        if "type" not in raw:
            raise SynthRecordsError(
                f"{where}: no 'type'; give the expectation name, "
                f"e.g. expect_column_values_to_be_between"
            )
        _check_severity((raw.get("meta") or {}).get("severity"), where)
        try:
            config = ExpectationConfiguration(**raw)
            config.to_domain_obj()
        except gx.exceptions.ExpectationNotFoundError as exc:
            raise SynthRecordsError(
                f"{where}: unknown expectation type; use a GX 1.x expectation "
                f"name such as expect_column_values_to_be_in_set"
            ) from exc
        except (TypeError, ValueError, gx.exceptions.InvalidExpectationConfigurationError) as exc:
            raise SynthRecordsError(f"{where}: invalid arguments: {_explain(exc)}") from exc
        configs.append(config)
    _check_severity((data.get("meta") or {}).get("severity"), f"expectation suite {source}")
    return gx.ExpectationSuite(
        name=data.get("name") or default_name,
        expectations=configs,
        meta=data.get("meta"),
        notes=data.get("notes"),
    )


def _check_severity(value: Any, where: str) -> None:
    if value is not None and value not in SEVERITIES:
        raise SynthRecordsError(
            f"{where}: meta severity {value!r} is not one of {', '.join(SEVERITIES)}; "
            f"use 'blocking' (fails validation) or 'warning' (reported only)"
        )


def severity_of(config: Any, suite: Any) -> str:
    """The expectation's own severity, else its suite's, else blocking."""
    own = (config.meta or {}).get("severity")
    return own or (getattr(suite, "meta", None) or {}).get("severity") or "blocking"


def public_domains(suites: list[Any]) -> dict[str, dict[str, Any]]:
    """Column domains the suites' blocking rules declare: ``expect_column_values_to_be_between``
    with both bounds gives ``{"lower", "upper"}``, ``..._to_be_in_set`` gives ``{"categories"}``.
    A rule with ``mostly`` below 1 or a ``row_condition`` does not bound every row and is skipped.
    The suites are the user's public business rules, so the DP domain may use them for free."""
    out: dict[str, dict[str, Any]] = {}
    for suite in suites:
        for expectation in suite.expectations:
            config = expectation.configuration
            kwargs = config.kwargs
            column = kwargs.get("column")
            if (column is None or severity_of(config, suite) != "blocking" or kwargs.get("row_condition")
                    or (kwargs.get("mostly") is not None and kwargs["mostly"] < 1)):
                continue
            if config.type == "expect_column_values_to_be_in_set" and kwargs.get("value_set"):
                out[column] = {"categories": list(kwargs["value_set"])}
            elif config.type == "expect_column_values_to_be_between" and column not in out \
                    and kwargs.get("min_value") is not None and kwargs.get("max_value") is not None:
                out[column] = {"lower": kwargs["min_value"], "upper": kwargs["max_value"]}
    return out


def _explain(exc: Exception) -> str:
    """GX's pydantic errors as one line: 'min_vale: extra fields not permitted; ...'."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors())
    return " ".join(str(exc).split())


def load_suites(folder: Path) -> list[gx.ExpectationSuite]:
    """Every ``*.json`` suite in ``folder``, in file-name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SynthRecordsError(
            f"expectation suite folder {folder} not found; create it or drop the option"
        )
    return [load_suite(p) for p in sorted(folder.glob("*.json"))]


# ---------------------------------------------------------------- results


@dataclass
class SuiteResult:
    name: str
    success: bool  # no blocking expectation failed
    evaluated: int
    passed: int
    failed: int
    blocking_failed: int = 0
    warnings_failed: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, name: str, results: list[dict[str, Any]]) -> SuiteResult:
        passed = sum(r["success"] for r in results)
        blocking = sum(not r["success"] and r["severity"] == "blocking" for r in results)
        n = len(results)
        return cls(name, blocking == 0, evaluated=n, passed=passed, failed=n - passed,
                   blocking_failed=blocking, warnings_failed=n - passed - blocking, results=results)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ExpectationResults:
    suites: list[SuiteResult] = field(default_factory=list)
    # What the real-data reference run covered (rows), when there was one.
    reference: dict[str, Any] | None = None

    @property
    def evaluated(self) -> int:
        return sum(s.evaluated for s in self.suites)

    @property
    def passed(self) -> int:
        return sum(s.passed for s in self.suites)

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.suites)

    @property
    def blocking_failed(self) -> int:
        return sum(s.blocking_failed for s in self.suites)

    @property
    def warnings_failed(self) -> int:
        return sum(s.warnings_failed for s in self.suites)

    @property
    def success(self) -> bool:
        """True when no blocking expectation failed (warnings may have)."""
        return all(s.success for s in self.suites)

    def failures(self) -> list[dict[str, Any]]:
        """Every failed expectation, with the suite it came from."""
        return [{"suite": s.name, **r} for s in self.suites for r in s.results if not r["success"]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success, "evaluated": self.evaluated, "passed": self.passed,
            "failed": self.failed, "blocking_failed": self.blocking_failed,
            "warnings_failed": self.warnings_failed, "reference": self.reference,
            "suites": [s.to_dict() for s in self.suites],
        }


# ---------------------------------------------------------------- running


def run_suites(
    df: pd.DataFrame,
    suites: list[gx.ExpectationSuite],
    *,
    withheld: Iterable[str] = (),
    reference: pd.DataFrame | None = None,
) -> ExpectationResults:
    """Validate ``df`` against each suite with GX; a missing column is a failure, not a crash.

    Failing examples come from ``df`` (the synthetic table); any that equals or contains one
    of the ``withheld`` values (the real identifiers) is replaced by WITHHELD. ``reference``
    (real rows) is validated too, for comparison: only its pass/fail and unexpected share are
    kept, never its values.
    """
    guard = _Withheld(withheld)
    results = ExpectationResults([_run_suite(df, suite, guard) for suite in suites])
    if reference is not None:
        for suite, result in zip(suites, results.suites, strict=True):
            for row, ref in zip(result.results, _run_suite(reference, suite, None).results,
                                strict=True):
                # A column the real frame does not carry (a fake identifier) has no reference.
                absent = row["column"] is not None and row["column"] not in reference.columns
                row["reference"] = None if absent else {
                    "success": ref["success"], "unexpected_percent": ref["unexpected_percent"]}
        results.reference = {"rows": len(reference)}
    return results


class _Withheld:
    """Real identifier values an example must not show (exact, or as a whole word inside)."""

    def __init__(self, values: Iterable[str]):
        self.values = {str(v).strip().casefold() for v in values}
        self._matcher: Any = None

    def __call__(self, value: Any) -> Any:
        if not self.values or value is None:
            return value
        text = str(value).strip()
        if text.casefold() in self.values:
            return WITHHELD
        if self._matcher is None:  # built only when some example needs checking
            from ..pii.leakage import ValueMatcher

            self._matcher = ValueMatcher(self.values)
        return WITHHELD if self._matcher.find(text) else value


def _run_suite(df: pd.DataFrame, suite: gx.ExpectationSuite, guard: _Withheld | None) -> SuiteResult:
    configs = [e.configuration for e in suite.expectations]
    outcomes = validate_configs(df, suite.name, dict(enumerate(configs)))
    results = [
        _result_row(configs[i], outcomes[i], severity_of(configs[i], suite), guard,
                    keep_values=guard is not None)
        for i in range(len(configs))
    ]
    if guard is not None:
        for r in results:
            if not r["success"]:
                log.info("suite %s: %s %s on %s: %s", suite.name, r["severity"], r["expectation"],
                         r["column"], r["observed"])
    return SuiteResult.of(suite.name, results)


def validate_configs(frame: Any, name: str, configs: dict[int, Any], *, run: Any = None,
                     datetime_view: Any = None) -> dict[int, Any]:
    """GX results of ``configs`` on ``frame``, keyed like ``configs``. Range checks with date
    bounds run on a view with those columns parsed (GX compares datetimes, not strings).
    ``run(frame, name, configs)`` and ``datetime_view`` default to the pandas ones; the
    Spark engine passes its own."""
    run = run or _gx_validate
    datetime_view = datetime_view or _datetime_view
    dated = {i: c for i, c in configs.items() if _is_dated(c)}
    plain = {i: c for i, c in configs.items() if i not in dated}
    outcomes: dict[int, Any] = {}
    if plain:
        outcomes.update(run(frame, name, plain))
    if dated:
        formats = {c.kwargs.get("column"): c.kwargs.get("strftime_format") for c in configs.values()
                   if c.type == "expect_column_values_to_match_strftime_format"}
        view = datetime_view(frame, {c.kwargs.get("column") for c in dated.values()}, formats)
        outcomes.update(run(view, name, {i: _datetime_bounds(c) for i, c in dated.items()}))
    return outcomes


def _gx_validate(df: pd.DataFrame, name: str, configs: dict[int, Any],
                 result_format: dict[str, Any] = _RESULT_FORMAT) -> dict[int, Any]:
    """Run ``configs`` on ``df`` in a throwaway suite; results keyed by the caller's index."""
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    # Fresh configurations: binding the caller's Expectation objects to another suite would
    # re-point their save callbacks, and GX does not keep the order of results.
    tagged = [
        ExpectationConfiguration(
            type=c.type, kwargs=dict(c.kwargs), meta={**(c.meta or {}), _INDEX_KEY: i}
        )
        for i, c in configs.items()
    ]
    suite = gx.ExpectationSuite(name=name, expectations=tagged)
    with _context_lock:  # one shared context: validations take turns
        batch = _batch_def().get_batch(batch_parameters={"dataframe": df})
        outcome = batch.validate(suite, result_format=result_format)
    return {r.expectation_config.meta[_INDEX_KEY]: r for r in outcome.results}


# Column-map expectations judge each row alone; uniqueness is a column map in GX but
# compares rows with each other, so it is no row-level rule.
_NOT_ROW_LEVEL = {"expect_column_values_to_be_unique", "expect_select_column_values_to_be_unique_within_record"}


def rows_passing(df: pd.DataFrame, suites: list[gx.ExpectationSuite]) -> pd.Series:
    """True for each row of ``df`` that breaks no row-level expectation of ``suites``.

    GX itself says which rows fail (``unexpected_index_list`` of its COMPLETE result
    format); expectations on columns ``df`` lacks are skipped.
    """
    frame = df.reset_index(drop=True)
    ok = np.ones(len(frame), dtype=bool)
    for suite in suites:
        configs = {i: e.configuration for i, e in enumerate(suite.expectations)
                   if e.configuration.type.startswith("expect_column_values_")
                   and e.configuration.type not in _NOT_ROW_LEVEL
                   and e.configuration.kwargs.get("column") in frame.columns}
        complete = lambda frame, name, chosen: _gx_validate(frame, name, chosen, {"result_format": "COMPLETE"})
        for result in validate_configs(frame, suite.name, configs, run=complete).values():
            ok[list(result.result.get("unexpected_index_list") or [])] = False
    return pd.Series(ok, index=df.index)


def _is_dated(config: Any) -> bool:
    bounds = (config.kwargs.get("min_value"), config.kwargs.get("max_value"))
    return config.type in _DATED_TYPES and any(isinstance(b, dt.date) for b in bounds)


def _datetime_bounds(config: Any) -> Any:
    """A copy of ``config`` whose date bounds are datetimes, which datetime64 compares with."""
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    kwargs = dict(config.kwargs)
    for key in ("min_value", "max_value"):
        value = kwargs.get(key)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            kwargs[key] = dt.datetime.combine(value, dt.time())
    return ExpectationConfiguration(type=config.type, kwargs=kwargs, meta=config.meta)


def _datetime_view(
    df: pd.DataFrame, columns: set[Any], formats: dict[Any, str | None]
) -> pd.DataFrame:
    """``df`` with ``columns`` parsed to datetime64. Unparseable text becomes NaT, which the
    range check skips: the strftime-format expectation is the one that reports it."""
    view = df.copy(deep=False)
    for name in columns:
        if name in view.columns and not pd.api.types.is_datetime64_any_dtype(view[name]):
            view[name] = pd.to_datetime(view[name], format=formats.get(name), errors="coerce")
    return view


def _result_row(config: Any, result: Any, severity: str = "blocking", guard: Any = None, *,
                keep_values: bool = True) -> dict[str, Any]:
    """One expectation's outcome. ``guard`` replaces withheld example values (see _Withheld);
    without ``keep_values`` (the real-data reference run) no value of the data is kept: no
    examples, no observed value."""
    kwargs = {k: v for k, v in config.to_json_dict()["kwargs"].items() if k != "batch_id"}
    r = result.result or {}
    guard = guard or (lambda value: value)
    examples = [] if not keep_values else list(dict.fromkeys(
        guard(_short(v)) for v in r.get("partial_unexpected_list") or []
    ))[:MAX_EXAMPLES]
    return {
        "expectation": config.type,
        "column": kwargs.get("column"),
        "kwargs": kwargs,
        "severity": severity,
        "success": bool(result.success),
        "unexpected_percent": r.get("unexpected_percent"),
        "example": examples[0] if examples else None,
        "examples": examples,
        "observed": _observed(result, examples) if keep_values else None,
        "rule": (config.meta or {}).get("rule"),
    }


def _observed(result: Any, examples: list[Any]) -> str:
    """One line a reviewer can read: the error, the unexpected share, or the observed value."""
    error = _exception_message(result.exception_info)
    if error:
        return f"error: {error}"
    r = result.result or {}
    if "unexpected_count" in r:
        text = (
            f"{r['unexpected_count']} of {r.get('element_count', '?')} values unexpected "
            f"({r.get('unexpected_percent') or 0:.2f}% of non-null)"
        )
        return text + (f", e.g. {examples}" if examples else "")
    mismatched = (r.get("details") or {}).get("mismatched")
    if mismatched:  # column-set checks: the difference says more than the full column list
        return "; ".join(f"{k} columns: {v}" for k, v in mismatched.items())
    if "observed_value" in r:
        return str(_short(r["observed_value"]))
    return "no result"


def _exception_message(info: Any) -> str | None:
    # GX 1.x gives either one {"raised_exception", "exception_message"} dict or one per
    # failed metric, keyed by metric id.
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    messages = [
        e.get("exception_message")
        for e in entries
        if isinstance(e, dict) and e.get("raised_exception")
    ]
    return "; ".join(dict.fromkeys(m for m in messages if m)) or None


def _short(value: Any, limit: int = 200) -> Any:
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value if not isinstance(value, str) or len(value) <= limit else value[:limit] + "..."
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


# ---------------------------------------------------------------- the GX context


def _gx():
    # Must be set before GX creates a context; GX reads it there.
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    return gx


def _batch_def() -> Any:
    """The one pandas batch definition of this process, created on first use.

    Creating a context and data source is slow; every validation reuses them and only
    hands over a new dataframe.
    """
    global _batch_definition
    with _context_lock:
        if _batch_definition is None:
            gx = _gx()
            from great_expectations.data_context.types.base import (
                DataContextConfig,
                InMemoryStoreBackendDefaults,
                ProgressBarsConfig,
            )

            # In-memory stores and no docs site: nothing of GX touches the disk.
            config = DataContextConfig(
                store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                analytics_enabled=False,
                progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            )
            context = gx.get_context(mode="ephemeral", project_config=config)
            asset = context.data_sources.add_pandas("synthrecords").add_dataframe_asset("frame")
            _batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        return _batch_definition
