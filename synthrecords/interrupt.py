"""Ctrl-C that cannot be lost.

Python raises KeyboardInterrupt wherever the main thread is when SIGINT arrives. When that is a
garbage-collector callback (jax registers one) or a ``__del__``, the exception is printed as
"ignored" and the work goes on: a fit the user stopped would finish and write its model. The CLI
runs inside ``caught()``, which also remembers the signal, and ``check()`` raises it again where it
matters: at every progress step and before an output is put in place.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_seen = threading.Event()


def _on_sigint(signum, frame) -> None:
    _seen.set()
    raise KeyboardInterrupt


@contextmanager
def caught() -> Iterator[None]:
    """Remember Ctrl-C while the block runs (a CLI invocation). A SIGINT that is ignored (a shell's
    background job) stays ignored, and so does a handler someone else installed."""
    _seen.clear()
    previous = signal.getsignal(signal.SIGINT)
    ours = threading.current_thread() is threading.main_thread() and previous is signal.default_int_handler
    hook = sys.unraisablehook
    if ours:
        signal.signal(signal.SIGINT, _on_sigint)

        def quiet(info) -> None:  # no "Exception ignored ... Traceback" for a Ctrl-C we raise again
            if not (info.exc_type is KeyboardInterrupt and _seen.is_set()):
                hook(info)

        sys.unraisablehook = quiet
    try:
        yield
    finally:
        if ours:  # an in-process caller (a test runner, a notebook) gets its own handling back
            signal.signal(signal.SIGINT, previous)
            sys.unraisablehook = hook


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C came and was swallowed on its way."""
    if _seen.is_set():
        raise KeyboardInterrupt


def handled() -> None:
    """The interruption has been reported: later checks (cleanup, a next in-process run) pass."""
    _seen.clear()
