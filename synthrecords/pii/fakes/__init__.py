"""Format-preserving surrogates for direct identifiers, drawn without the real data.

The plan (``plan.py``) is all that is learned from a real column: its entity, locale mix,
formats, lengths, uniqueness and null share, each floored at MIN_GROUP_ROWS rows. Everything
after it is post-processing: whole columns drawn at once with numpy (``columns.py``) from
spaces real identifiers do not occupy where one exists (``ids.py``: reserved number ranges,
checksums; ``people.py``: reserved mail domains, invented names from ``names.py``), built as
fixed-width or joined '<U' arrays (``formats.py``) and turned into Python strings once per
column. Nothing is filtered or re-drawn against real values, and the generator is seeded
from `secrets`, not from the public run seed: a fake reveals nothing about which values are
real. `fake_seed` (kept private) makes fakes reproducible when a caller needs it.
``keyed.py`` is the consistent mode for pseudonymised real rows (HMAC of the value).
"""

from .columns import (
           cast_like,
           chance_spaces,
           draw_values,
           fake_rng,
           generate_column,
           generate_columns,
)
from .keyed import consistent_value
from .plan import MIN_GROUP_ROWS, FakePlan, learn_plan, value_locale

__all__ = ["MIN_GROUP_ROWS", "FakePlan", "cast_like", "chance_spaces", "consistent_value", "draw_values",
           "fake_rng", "generate_column", "generate_columns", "learn_plan", "value_locale"]
