"""Start-up: how long `synthrecords --help` and an argument error take in a fresh interpreter.

    python -m bench.bench_startup [--repeat 9]

Each command runs in a new process (the OS file cache warm after one unreported round), in
turns so that a busy machine slows every command alike. Prints the median wall time of each
and its ratio to `python -c "import pandas"`, plus the load average: on a shared box the
absolute figures move with the load, the ratios much less. Goal (issue 22): well under a
second on an idle box, i.e. not much more than importing pandas.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def commands(tmp: Path) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import pandas'": [py, "-c", "import pandas"],
        "synthrecords --help": [py, "-m", "synthrecords", "--help"],
        "synthrecords fit MISSING --out M": [py, "-m", "synthrecords", "fit", str(tmp / "missing.csv"),
                                             "--out", str(tmp / "model")],
    }


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs of each command (median reported)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(Path(tmp))
        for cmd in cmds.values():  # warm the file cache: every later run reads the same files
            wall(cmd)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        load_before = os.getloadavg()[0]
        for _ in range(args.repeat):
            for name, cmd in cmds.items():
                times[name].append(wall(cmd))
        load_after = os.getloadavg()[0]
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["python -c 'import pandas'"]
    print(f"cold start, median of {args.repeat} fresh processes each, {os.cpu_count()} cores, "
          f"load average {load_before:.1f} -> {load_after:.1f}")
    for name, m in medians.items():
        spread = f"{min(times[name]):.2f}-{max(times[name]):.2f}"
        print(f"  {name:36s} {m:6.2f} s  (range {spread} s)  {m / base:5.2f}x import pandas")
    return medians


if __name__ == "__main__":
    main(sys.argv[1:])
