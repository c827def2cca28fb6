"""Refuse work that cannot fit in memory up front, with the figures, rather than dying midway."""

from __future__ import annotations

import os
from collections.abc import Iterable

from .errors import SynthRecordsError

# Bytes a sampled cell costs at the peak of sampling: the value in the frame (a float, or a
# pointer plus a Python string for text and dates), times the copies alive at once (the
# engine's raw output, the decoded frame, fakes, the reordered result).
CELL_BYTES = {"numerical": 8, "boolean": 8, "categorical": 64, "datetime": 80, "fake": 96}
PEAK_COPIES = 4


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now (Linux MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def row_bytes(kinds: Iterable[str]) -> int:
    return PEAK_COPIES * sum(CELL_BYTES.get(kind, 64) for kind in kinds) + 64


def check_rows_fit(rows: int, bytes_per_row: int, *, available: int | None = None) -> None:
    """Refuse ``rows`` when their estimated peak passes the memory available now."""
    free = available_memory() if available is None else available
    need = rows * bytes_per_row
    if free is not None and need > free:
        raise SynthRecordsError(
            f"{rows:,} rows need about {_size(need)} of memory to sample ({bytes_per_row:,} bytes a row at the peak), "
            f"and {_size(free)} is available; sample fewer rows per call and write several files, or use "
            "`sample --engine spark`, which writes Parquet partitions")


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
