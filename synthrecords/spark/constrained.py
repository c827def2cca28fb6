"""Declared constraints on Spark partitions: the pandas sampler's own, per chunk.

Every chunk a partition generates goes through ``constraints.ConstrainedEngine`` (fill in
the lookup columns, repair or filter the inequalities, compute the derived columns), the
same object ``Synthesizer.sample_with_report`` wraps around the model on pandas. What each
chunk's engine did travels back as a JSON report and is added up here into the one
``SamplingReport.constraints`` a pandas run gives. Post-processing only: no budget.
"""

from __future__ import annotations

from typing import Any

from ..constraints import ConstrainedEngine


def engine_of(model: Any) -> Any:
    """The engine a chunk samples from: the model's, wrapped in its constraints if it has any."""
    constraints = getattr(model, "constraints_", None)
    return ConstrainedEngine(model.engine_, constraints, model.domain_) if constraints else model.engine_


def merge_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """``ConstrainedEngine.report()`` of every chunk added up (counts summed, rates recomputed)."""
    done: dict[str, dict[str, Any]] = {}
    drawn = kept = 0
    for report in reports:
        drawn += report["rows_drawn"]
        kept += report["rows_kept"]
        for entry in report["constraints"]:
            into = done.setdefault(entry["constraint"], {})
            for key, value in entry.items():
                if key != "constraint":
                    into[key] = into.get(key, 0) + value
    if not reports:
        return {}
    return {"constraints": [{"constraint": name, **counts} for name, counts in done.items()],
            "rows_drawn": drawn, "rows_kept": kept, "acceptance_rate": kept / drawn if drawn else None}
