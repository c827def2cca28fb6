"""What to do with each kind of personal column: the protection policy.

A policy maps the scan's categories (direct, quasi, free_text, none) to actions and lets
the user override any single column. A per-column override also says what the user
believes the column *is*: `fake`/`hash` make it a direct identifier even when the scan
missed it, `redact` makes it free text, `keep` vouches that it may be modelled, `generalise` says it
is a quasi identifier to model at a granularity at least ``min_count`` real rows share
(pii/generalise.py; without DP only: under an epsilon the DP domain release generalises).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import SynthRecordsError
from .generalise import DEFAULT_MIN_COUNT, check_min_count

CATEGORIES = ("direct", "quasi", "free_text", "none")
DIRECT_ACTIONS = ("fake", "drop", "hash")
FREE_TEXT_ACTIONS = ("redact", "drop")
QUASI_ACTIONS = ("keep", "drop", "generalise")
COLUMN_ACTIONS = ("fake", "drop", "hash", "redact", "keep", "generalise")

_FIELDS = ("direct", "free_text", "quasi", "columns", "consistent", "min_count")


@dataclass
class ProtectionPolicy:
    direct: str = "fake"
    free_text: str = "redact"
    quasi: str = "keep"
    columns: dict[str, str] = field(default_factory=dict)
    consistent: bool = False
    # generalise: the fewest real rows that must share each released value (k-anonymity per column)
    min_count: int = DEFAULT_MIN_COUNT

    def __post_init__(self) -> None:
        _check_choice("direct", self.direct, DIRECT_ACTIONS)
        _check_choice("free_text", self.free_text, FREE_TEXT_ACTIONS)
        _check_choice("quasi", self.quasi, QUASI_ACTIONS)
        if not isinstance(self.columns, dict):
            raise SynthRecordsError(
                f"pii columns must map column names to actions, got {type(self.columns).__name__}; "
                'write e.g. columns = {"email" = "drop"}'
            )
        for column, action in self.columns.items():
            _check_choice(f"columns[{column!r}]", action, COLUMN_ACTIONS)
        if not isinstance(self.consistent, bool):
            raise SynthRecordsError(f"pii option 'consistent' must be true or false, got {self.consistent!r}")
        check_min_count(self.min_count)

    @property
    def generalises(self) -> bool:
        """Whether any column may take the `generalise` action (by category or by name)."""
        return "generalise" in {self.quasi, *self.columns.values()}

    def action_for(self, column: str, category: str) -> str:
        """The action for one column: the user's override if any, else the category default."""
        if category not in CATEGORIES:
            raise SynthRecordsError(f"column {column!r}: unknown PII category {category!r}; expected one of {CATEGORIES}")
        if column in self.columns:
            return self.columns[column]
        return {"direct": self.direct, "free_text": self.free_text, "quasi": self.quasi}.get(category, "keep")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> ProtectionPolicy:
        d = dict(d or {})
        unknown = sorted(set(d) - set(_FIELDS))
        if unknown:
            raise SynthRecordsError(f"unknown pii option(s) {unknown}; allowed options are {list(_FIELDS)}")
        return cls(**d)


def effective_category(category: str, action: str) -> str:
    """The category a column ends up in once the user's action is applied.

    Faking or hashing only makes sense for identifiers and redaction only for text, so
    those actions re-label the column. `keep` on a direct or free-text column means the
    user vouches for modelling it; it is then treated like a quasi identifier (modelled,
    under DP when epsilon is set) and left out of the leakage check. `generalise` says the
    column is a quasi identifier, whatever the scan called it.
    """
    if action == "generalise":
        return "quasi"
    if action in ("fake", "hash"):
        return "direct"
    if action == "redact":
        return "free_text"
    if action == "keep" and category in ("direct", "free_text"):
        return "quasi"
    return category


def _check_choice(option: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SynthRecordsError(f"pii option {option} = {value!r} is not allowed; choose one of {list(allowed)}")
