"""Where a fit runs: pandas in this process (the default) or a distributed engine.

The core (``Synthesizer``) never imports a distributed engine: the package's face registers
each one here (``synthrecords/__init__.py``), so the choice is made once, above the core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import SynthRecordsError

LOCAL = "pandas"
# engine name -> fit(synthesizer, data) -> synthesizer
_FITS: dict[str, Callable[[Any, Any], Any]] = {}


def register(name: str, fit: Callable[[Any, Any], Any]) -> None:
    _FITS[name] = fit


def distributed_fit(name: str) -> Callable[[Any, Any], Any]:
    """The fit of engine ``name``; a clear error for an engine nobody registered."""
    if name not in _FITS:
        choices = ", ".join(repr(n) for n in [LOCAL, *_FITS])
        raise SynthRecordsError(f"engine {name!r}: use one of {choices}")
    return _FITS[name]
