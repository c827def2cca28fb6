"""Progress of the long steps (scan, fit, sample, validate), told to whoever listens.

A stage says what it does and how far it got (``with stage("train", total=steps,
unit="steps") as s: ... s.advance()``); stages nest (fit > train). How progress is shown
is chosen once, by the command line or the caller, with ``show``:

- ``"bar"``: a rich progress bar on stderr (an interactive terminal);
- ``"lines"``: one line on stderr at least every ``interval`` seconds, with elapsed time,
  steps done and an ETA (batch jobs and CI logs, which a bar would fill with control codes).
  A ticker thread writes the line, so it keeps coming while one step takes long;
- ``"quiet"``: nothing (the default: a library prints nothing unasked).

Whatever is shown, every stage's start and end is logged (debug) to ``synthrecords.progress`` and
every update goes to the callbacks registered with ``listen`` (the Python API's hook).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from . import interrupt

log = logging.getLogger("synthrecords.progress")

MODES = ("bar", "lines", "quiet")
INTERVAL = 5.0  # seconds between lines: half the 10 s a batch log should wait at most


@dataclass(frozen=True)
class Update:
    """What a listener receives: ``stage`` is the path of nested stages ("fit > train")."""

    stage: str
    done: int
    total: int | None
    unit: str
    elapsed: float
    finished: bool = False
    failed: bool = False  # finished by an error or an interrupt, not by completing

    @property
    def eta(self) -> float | None:
        """Seconds left at the pace so far; None until a step is done or without a total."""
        if not self.total or not self.done or self.finished:
            return None
        return self.elapsed * (self.total - self.done) / self.done

    def line(self) -> str:
        """One line for a log: ``[   12s] fit > train: 40/100 steps (40%), ETA 18s``."""
        head = f"[{_clock(self.elapsed):>6}] {self.stage}"
        if self.failed:
            return f"{head}: stopped after {self.elapsed:.1f} s"
        if self.finished:
            count = f"{self.done:,} {self.unit} " if self.unit and self.done else ""
            return f"{head}: done, {count}in {self.elapsed:.1f} s"
        if self.total:
            eta = self.eta
            return (f"{head}: {self.done:,}/{self.total:,} {self.unit} ({self.done / self.total:.0%})"
                    + (f", ETA {_clock(eta)}" if eta is not None else ""))
        return f"{head}: {self.done:,} {self.unit}" if self.done else f"{head}: running"


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}m{seconds:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


class Stage:
    def __init__(self, name: str, total: int | None, unit: str, parent: Stage | None):
        self.name, self.total, self.unit, self.parent = name, total, unit, parent
        self.done, self.started = 0, time.monotonic()
        self.path = f"{parent.path} > {name}" if parent else name
        self._bar_task = None

    def advance(self, n: int = 1) -> None:
        interrupt.check()  # long loops step here: a Ctrl-C swallowed elsewhere stops them
        self.done += n
        _board.updated(self)

    def update(self, *, done: int | None = None, total: int | None = None) -> None:
        interrupt.check()
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        _board.updated(self)

    def snapshot(self, finished: bool = False, failed: bool = False) -> Update:
        return Update(self.path, self.done, self.total, self.unit, time.monotonic() - self.started, finished, failed)


class _Board:
    """The stages now running (a stack), the chosen display and the listeners."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.stack: list[Stage] = []
        self.listeners: list[Callable[[Update], None]] = []
        self.mode, self.stream, self.interval = "quiet", sys.stderr, INTERVAL
        self.bar = None
        self.last_line = 0.0
        self.ticker: threading.Thread | None = None
        self.wake = threading.Event()

    # -- events from the stages ------------------------------------------------------
    def started(self, stage: Stage) -> None:
        with self.lock:
            self.stack.append(stage)
            log.debug("%s: started%s", stage.path, f" ({stage.total:,} {stage.unit})" if stage.total else "")
            if self.mode == "bar":
                self._bar().add_task(stage.path, total=stage.total)
                stage._bar_task = self.bar.task_ids[-1]
            elif self.mode == "lines":
                self._print(stage.snapshot())
                self._ensure_ticker()
        self._tell(stage.snapshot())

    def updated(self, stage: Stage) -> None:
        if self.mode == "bar" and stage._bar_task is not None:
            self.bar.update(stage._bar_task, completed=stage.done, total=stage.total)
        self._tell(stage.snapshot())

    def finished(self, stage: Stage, failed: bool = False) -> None:
        last = stage.snapshot(finished=True, failed=failed)
        with self.lock:
            if stage in self.stack:
                self.stack.remove(stage)
            log.debug("%s", last.line().split("] ", 1)[1])
            if self.mode == "bar" and self.bar is not None and stage._bar_task is not None:
                self.bar.remove_task(stage._bar_task)
                if not self.stack:
                    self.bar.stop()
                    self.bar = None
            elif self.mode == "lines":
                self._print(last)
        self._tell(last)

    # -- display ---------------------------------------------------------------------
    def _tell(self, update: Update) -> None:
        for listener in list(self.listeners):
            listener(update)

    def _bar(self):
        if self.bar is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TimeRemainingColumn(), transient=True,
                                console=Console(file=self.stream))
            self.bar.start()
        return self.bar

    def _print(self, update: Update) -> None:
        try:
            self.stream.write(update.line() + "\n")
            self.stream.flush()
        except (ValueError, OSError):  # the stream was closed under us (a test runner's capture)
            self.mode = "quiet"
        self.last_line = time.monotonic()

    def _ensure_ticker(self) -> None:
        if self.ticker is None or not self.ticker.is_alive():
            self.ticker = threading.Thread(target=self._tick, name="synthrecords-progress", daemon=True)
            self.ticker.start()

    def _tick(self) -> None:
        # Writes the innermost stage's line whenever nothing was written for `interval`
        # seconds, so a batch log shows life even while one step (a Presidio pass, an SDV
        # fit) runs for minutes.
        while self.mode == "lines":
            self.wake.wait(timeout=min(1.0, self.interval / 2))
            with self.lock:
                if self.stack and time.monotonic() - self.last_line >= self.interval:
                    self._print(self.stack[-1].snapshot())


_board = _Board()


def show(mode: str, *, stream: TextIO | None = None, interval: float = INTERVAL) -> None:
    """Choose the display: "bar", "lines" or "quiet" (see the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"progress mode {mode!r}: use one of {', '.join(MODES)}")
    _board.mode, _board.stream, _board.interval = mode, stream or sys.stderr, interval


def auto_mode(quiet: bool = False, stream: TextIO | None = None) -> str:
    """What a command line shows: nothing with -q, a bar on a terminal, else lines."""
    if quiet:
        return "quiet"
    return "bar" if (stream or sys.stderr).isatty() else "lines"


@contextmanager
def stage(name: str, total: int | None = None, unit: str = "steps") -> Iterator[Stage]:
    """A long step: advance it as work gets done; nested stages show as ``outer > inner``."""
    interrupt.check()
    current = Stage(name, total, unit, _board.stack[-1] if _board.stack else None)
    _board.started(current)
    try:
        yield current
    except BaseException:
        _board.finished(current, failed=True)
        raise
    try:
        interrupt.check()
    except KeyboardInterrupt:
        _board.finished(current, failed=True)
        raise
    _board.finished(current)


@contextmanager
def listen(callback: Callable[[Update], None]) -> Iterator[None]:
    """Call ``callback(update)`` on every stage's start, step and end while the block runs::

        with progress.listen(lambda u: print(u.line())):
            Synthesizer(epsilon=1).fit(df)
    """
    _board.listeners.append(callback)
    try:
        yield
    finally:
        _board.listeners.remove(callback)
