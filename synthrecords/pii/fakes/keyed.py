"""Keyed surrogates for pseudonymised real rows: the same value and secret give the same fake.

Each real value seeds its own draw through HMAC-SHA256(secret, column, value, attempt), so
the mapping is consistent across runs and tables without storing it, and unknowable
without the secret. A candidate that is already taken, or that the caller rejects (a real
value), is replaced by the next attempt's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable

import numpy as np

from ...errors import SynthRecordsError
from .columns import draw
from .names import LOCALES
from .plan import FakePlan, value_locale

MAX_ATTEMPTS = 60  # tries per value before giving up


def consistent_value(plan: FakePlan, value: str, secret: bytes, taken: set[str],
                     reject: Callable[[str], bool] | None = None) -> str:
    """The surrogate for one real value: the same value and secret always give the same result."""
    locale = value_locale(value, plan.entity) or None
    single = dataclasses.replace(plan, null_share=0.0, unique=False)
    for attempt in range(MAX_ATTEMPTS):
        digest = hmac.new(secret, f"{plan.column}\x00{value}\x00{attempt}".encode(), hashlib.sha256).digest()
        if plan.action == "hash":
            candidate = digest.hex()[:16]
        else:
            rng = np.random.default_rng(int.from_bytes(digest[:16], "big"))
            if locale in LOCALES:
                single.locales = {locale: 1.0}
            candidate = str(draw(single, 1, rng, None)[0][0])
        if candidate in taken or (reject is not None and reject(candidate)):
            continue
        return candidate
    raise SynthRecordsError(
        f"column {plan.column!r}: no fresh surrogate after {MAX_ATTEMPTS} tries (every candidate was a real "
        f"value or a duplicate); set its action to 'hash' or 'drop' in the pii policy")
