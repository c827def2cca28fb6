"""Write outputs atomically: a reader sees the old result or the new one, never half.

And never over something the user did not ask to replace: an existing target needs
``overwrite``; even then a folder holding the input, the job file or the current folder is
refused, and so is a non-empty folder this tool did not write (no manifest of ours). One
writer per target at a time (a lock file beside it); temporary siblings left by a killed
run are removed by the next one, and a half-finished replace is reported, not deleted.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import interrupt
from .errors import SynthRecordsError

if TYPE_CHECKING:  # pandas only for the hint: the CLI checks its arguments before paying for the import
    import pandas as pd

log = logging.getLogger(__name__)
OVERWRITE_HINT = ("replace it with --overwrite (CLI), overwrite = true under [output] (job file) or overwrite=True "
                  "(API), or choose another")


class OutputExistsError(SynthRecordsError):
    """The output exists and replacing it was not asked for (or is never safe)."""


def is_tool_folder(folder: Path) -> bool:
    """A folder synthrecords wrote: a model or release (manifest.json) or a validate report."""
    for name, key in (("manifest.json", "files"), ("report.json", "run")):
        try:
            doc = json.loads((folder / name).read_text()[:50_000_000])
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and key in doc:
            return True
    return False


def _refuse_inside(target: Path, keep: Iterable[Path | str | None]) -> None:
    resolved = target.resolve()
    named = [(Path(p), "an input of this command") for p in keep if p is not None]
    for path, what in [*named, (Path.cwd(), "the current folder")]:
        inner = path.resolve()
        if inner == resolved or resolved in inner.parents:
            raise OutputExistsError(f"{target} is or contains {path} ({what}); it is never replaced, even with "
                                    "--overwrite; write the output to a new folder")


def refuse_existing(target: Path, overwrite: bool, *, keep: Iterable[Path | str | None] = (),
                    kind: str = "folder") -> None:
    """Refuse to replace an earlier result unless told to (checked early, and again at the end).

    ``keep``: paths the command reads (input, job file); a target that is or holds one is
    refused whatever ``overwrite`` says. ``kind``: "folder" or "file", what will be written.
    """
    target = Path(target)
    _refuse_inside(target, keep)
    if not target.exists() and not target.is_symlink():
        return
    if target.is_dir() and not target.is_symlink():
        if kind == "file":
            raise OutputExistsError(f"{target} is a folder; give a file name for the output")
        if not any(target.iterdir()):
            return
        if not overwrite:
            raise OutputExistsError(f"{target} already exists; {OVERWRITE_HINT} folder")
        if not is_tool_folder(target):
            raise OutputExistsError(f"{target} is a non-empty folder that synthrecords did not write (no manifest.json "
                                    "or report.json of ours); it is not replaced even with --overwrite; choose another "
                                    "folder, or empty it yourself")
        return
    if kind == "folder":
        raise OutputExistsError(f"{target} is a file, not an output folder; choose another folder name")
    if not overwrite:
        raise OutputExistsError(f"{target} already exists; {OVERWRITE_HINT} file name")


@contextmanager
def target_lock(target: Path) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``target``: a second writer of the same target fails at once."""
    lock_path = target.with_name(f".{target.name}.lock")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise OutputExistsError(f"{target} is being written by {holder} right now; wait for it to finish, or "
                                    "write to another target") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"process {os.getpid()}")
        lock.flush()
        try:
            _clean_stale(target)
            yield
        finally:
            lock_path.unlink(missing_ok=True)
            fcntl.flock(lock, fcntl.LOCK_UN)


def _clean_stale(target: Path) -> None:
    # Under the lock no other writer of this target runs, so its .tmp-* siblings are left
    # over from a killed run. An .old-* sibling with no target beside it is the previous
    # result of a replace that was cut between its two renames: kept and reported.
    for path in target.parent.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        log.warning("removed %s, left by an interrupted run", path)
    for path in target.parent.glob(f".{target.name}.old-*"):
        if target.exists():
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            log.warning("removed %s, the replaced result of an interrupted run", path)
        else:
            log.warning("%s holds the previous %s from an interrupted run; rename it back to keep it", path, target.name)


def disk_full(path: Path, exc: OSError, needed: int | None = None) -> SynthRecordsError:
    """ENOSPC as a sentence: the folder, the free space and (when known) the bytes needed."""
    try:
        free = shutil.disk_usage(path if path.is_dir() else path.parent).free
    except OSError:
        free = None
    need = f"about {needed:,} bytes are needed; " if needed else ""
    have = f"{free:,} bytes are free there" if free is not None else "the disk is full"
    return SynthRecordsError(f"no space left on the device while writing {path}: {need}{have}; free some space or "
                             "write to another disk (nothing half-written was left)")


@contextmanager
def _no_space(path: Path, tmp: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            written = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file()) if tmp.is_dir() else (
                tmp.stat().st_size if tmp.exists() else 0)
            raise disk_full(path, exc, written or None) from None
        raise


@contextmanager
def atomic_dir(target: Path, *, overwrite: bool = True, keep: Iterable[Path | str | None] = ()) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; on success it replaces ``target``.

    On any error (Ctrl-C included) the temporary folder is removed and ``target`` is
    left untouched. With ``overwrite=False`` an existing ``target`` is refused, before
    the work and again before the rename; see ``refuse_existing`` for what is never replaced.
    """
    target = Path(target)
    keep = list(keep)
    refuse_existing(target, overwrite, keep=keep)
    with target_lock(target):
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            with _no_space(target, tmp):
                yield tmp
            interrupt.check()  # a Ctrl-C swallowed on the way must not let the output appear
            refuse_existing(target, overwrite, keep=keep)
            old = None
            if target.exists():
                old = target.with_name(f".{target.name}.old-{os.getpid()}")
                os.replace(target, old)
            os.replace(tmp, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


@contextmanager
def _atomic_file(path: Path, overwrite: bool, keep: Iterable[Path | str | None]) -> Iterator[Path]:
    path = Path(path)
    keep = list(keep)
    refuse_existing(path, overwrite, keep=keep, kind="file")
    with target_lock(path):
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent, suffix=path.suffix)
        os.close(fd)
        tmp = Path(name)
        try:
            with _no_space(path, tmp):
                yield tmp
            interrupt.check()
            refuse_existing(path, overwrite, keep=keep, kind="file")
            if overwrite:
                os.replace(tmp, path)
            else:  # link fails if a file appeared meanwhile: never replaced unasked
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    raise OutputExistsError(f"{path} appeared while writing; {OVERWRITE_HINT} file name") from None
                tmp.unlink()
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically (state files the library owns: budgets, ledgers)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with _no_space(path, Path(tmp)), os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        interrupt.check()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(path: Path, df: pd.DataFrame, *, overwrite: bool = True, keep: Iterable[Path | str | None] = ()) -> None:
    """CSV or Parquet by suffix, atomically; an existing file only with ``overwrite``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _atomic_file(path, overwrite, keep) as tmp:
        if path.suffix.lower() in (".parquet", ".pq"):
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)
