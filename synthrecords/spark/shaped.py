"""Oversampling, conditions and the expectation filter per Spark partition.

The pandas planner (``synthrecords.sample``) turns a request into cells with exact row
counts. Here it runs once, on the driver, for the whole ``n``; each cell's count is then
split across partitions (largest remainder, the odd rows spread over partitions by a
rotation) and within a partition across chunks. Every slice runs the pandas stage's own
cell filler (``sample._fill``: conditioned batches, rows in excluded classes or failing
the filter dropped and redrawn, the shortfall after ``max_rounds`` filled without the
condition) on its counts, so the total and the class mix are exactly the request's, and
what each slice generated, kept, filled and filtered is added up into one
``SamplingReport``. The filter is GX's own row-level verdict
(``expectations.rows_passing``) on each chunk, with the schema suite of the model's
domain plus the given suites (shipped as JSON). Post-processing only: no budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SynthRecordsError
from ..sample import (
    MAX_ROUNDS,
    Cell,
    SamplingReport,
    _fill,
    _plain,
    plan_cells,
    resolve_conditions,
    resolve_mix,
)
from .constrained import engine_of


@dataclass
class Request:
    """A shaped request resolved against the model's domain, its cells planned for ``n`` rows."""

    n: int
    mix: dict[str, dict[Any, float]]
    conditions: dict[str, Any]
    cells: list[Cell]
    filter_suites: list[dict[str, Any]] | None  # None: no filter; else the extra suites as JSON
    max_rounds: int = MAX_ROUNDS

    @property
    def shaped(self) -> bool:
        return bool(self.mix or self.conditions or self.filter_suites is not None)


def plan_request(n: int, domain: Any, *, oversample: dict | None = None, conditions: dict | None = None,
                 filter_rows: bool = False, filter_suites: list | None = None,
                 max_rounds: int = MAX_ROUNDS) -> Request:
    """The request checked and planned on the driver (the same checks and cells as pandas)."""
    fixed = resolve_conditions(conditions or {}, domain)
    mix = resolve_mix(oversample or {}, domain)
    both = set(fixed) & set(mix)
    if both:
        raise SynthRecordsError(f"{sorted(both)}: a column is either fixed by conditions or oversampled, not both")
    suites = [s.to_json_dict() for s in filter_suites or []] if filter_rows else None
    return Request(n, mix, fixed, plan_cells(n, mix, fixed), suites, max_rounds)


def split(total: int, parts: int, rotate: int = 0) -> list[int]:
    """``total`` in ``parts`` near-equal whole counts; the odd units start at part ``rotate``."""
    base, extra = divmod(total, parts)
    return [base + ((i - rotate) % parts < extra) for i in range(parts)]


def slice_counts(request: Request, partitions: int, chunk_rows: int) -> list[list[list[int]]]:
    """counts[p][k][c]: rows of cell ``c`` in chunk ``k`` of partition ``p``; sums match the cells exactly."""
    per_part = [split(cell.rows, partitions, rotate=i) for i, cell in enumerate(request.cells)]
    out = []
    for p in range(partitions):
        cells = [per_part[c][p] for c in range(len(request.cells))]
        chunks = max(1, -(-sum(cells) // chunk_rows))
        by_cell = [split(k, chunks, rotate=c) for c, k in enumerate(cells)]
        out.append([[by_cell[c][k] for c in range(len(cells))] for k in range(chunks)])
    return out


_SUITES: dict[str, list] = {}  # per worker process: the filter's suites, built once


def make_keep(model: Any, request: Request, key: str):
    """The row filter a slice applies (None without --filter)."""
    if request.filter_suites is None:
        return None
    from ..validation.expectations import build_suite, rows_passing, suite_from_dict

    if key not in _SUITES:
        _SUITES.clear()
        _SUITES[key] = [build_suite(model.domain_), *(suite_from_dict(s) for s in request.filter_suites)]
    suites = _SUITES[key]
    return lambda frame: rows_passing(frame, suites)


def fill_slice(model: Any, request: Request, counts: list[int], rng: np.random.Generator, keep: Any,
               ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One chunk of one partition: the planner's cells at ``counts`` rows, and what it took."""
    report = SamplingReport(sum(counts))
    cells = [Cell(dict(c.fixed), {k: set(v) for k, v in c.excluded.items()}, k)
             for c, k in zip(request.cells, counts, strict=True)]
    engine = engine_of(model)  # declared constraints applied to every batch, as on pandas
    parts = [_fill(engine, cell, keep, report, rng, request.max_rounds) for cell in cells if cell.rows]
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.sample(frac=1.0, random_state=int(rng.integers(2**31 - 1))).reset_index(drop=True)
    stats = {"cells": [[c.generated, c.kept, c.filled] for c in cells],
             "checked": report.filter_checked, "rejected": report.filter_rejected,
             "counts": {col: {str(_plain(v)): int((rows[col] == v).sum()) for v in shares}
                        for col, shares in request.mix.items()}}
    if engine is not model.engine_:
        stats["constraints"] = engine.report()
    return rows, stats


def merge_stats(request: Request, stats: list[dict[str, Any]]) -> SamplingReport:
    """The slices' stats added up into the pandas-shaped report (requested vs achieved)."""
    report = SamplingReport(request.n, dict(request.conditions), dict(request.mix))
    report.cells = [Cell(dict(c.fixed), dict(c.excluded), c.rows) for c in request.cells]
    counts: dict[str, dict[str, int]] = {col: {} for col in request.mix}
    for s in stats:
        for cell, (generated, kept, filled) in zip(report.cells, s["cells"], strict=True):
            cell.generated += generated
            cell.kept += kept
            cell.filled += filled
        report.filter_checked += s["checked"]
        report.filter_rejected += s["rejected"]
        for col, values in s["counts"].items():
            for value, k in values.items():
                counts[col][value] = counts[col].get(value, 0) + k
    report.achieved = {col: {v: counts[col].get(str(_plain(v)), 0) / request.n for v in shares}
                       for col, shares in request.mix.items()}
    return report
