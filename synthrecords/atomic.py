"""Write outputs atomically: a reader sees the old result or the new one, never half."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .errors import SynthRecordsError


class OutputExistsError(SynthRecordsError):
    """The output folder exists and replacing it was not asked for."""


def refuse_existing(target: Path, overwrite: bool) -> None:
    """Refuse to replace an earlier result unless told to (checked early, and again at the end)."""
    target = Path(target)
    if not overwrite and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise OutputExistsError(f"{target} already exists; replace it with --overwrite (CLI), overwrite = true "
                                "under [output] (job file) or overwrite=True (API), or choose another folder")


@contextmanager
def atomic_dir(target: Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; on success it replaces ``target``.

    On any error (Ctrl-C included) the temporary folder is removed and ``target`` is
    left untouched. With ``overwrite=False`` an existing ``target`` is refused, before
    the work and again before the rename.
    """
    target = Path(target)
    refuse_existing(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        refuse_existing(target, overwrite)
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


def write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(path: Path, df: pd.DataFrame) -> None:
    """CSV or Parquet by suffix, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent, suffix=path.suffix)
    os.close(fd)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
