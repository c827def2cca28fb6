"""The Overview's verdict, findings and judged figures: decided in the library
(synthrecords.release.verdict), so the CLI summary, report.html and this page agree."""

from __future__ import annotations

import pandas as pd

from synthrecords.release.verdict import LEVELS, Figure, Finding, Verdict, figures, verdict

__all__ = ["LEVELS", "Figure", "Finding", "Verdict", "figure_table", "figures", "verdict"]


def figure_table(judged: list[Figure]) -> pd.DataFrame:
    """One row per headline figure: value, what it is compared with, the word and its rule."""
    return pd.DataFrame([{"figure": f.name, "value": f.value, "compared with": f.reference, "verdict": f.word,
                          "rule": f.rule, "page": f.page} for f in judged],
                        columns=["figure", "value", "compared with", "verdict", "rule", "page"])
