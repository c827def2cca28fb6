"""`synthrecords --help` and argument errors answer at once: the heavy libraries (torch, SDV,
Presidio, spaCy, Great Expectations, pyspark) load only inside the verbs that use them.

Each check runs in a fresh interpreter and reads its ``sys.modules`` on exit.
"""

import json
import subprocess
import sys

import pytest

HEAVY = ["torch", "sdv", "presidio_analyzer", "spacy", "great_expectations", "pyspark", "opacus", "faker"]

# Runs the CLI in-process with ARGS, then prints the heavy modules it imported (as JSON) on exit.
PROBE = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules))))
from synthrecords.cli import app
app({args!r}, prog_name="synthrecords")
"""


def heavy_imports(*args: str, tmp_path) -> tuple[list[str], subprocess.CompletedProcess]:
    code = PROBE.format(heavy=HEAVY, args=list(args))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120, check=False)
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc


def test_importing_the_cli_imports_no_heavy_library():
    code = f"import sys, synthrecords.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_importing_the_package_does_not_even_import_pandas():
    code = "import sys, synthrecords; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("args", [["--help"], ["fit", "--help"], ["run", "--help"], ["sample", "--help"]])
def test_help_imports_no_heavy_library(args, tmp_path):
    loaded, proc = heavy_imports(*args, tmp_path=tmp_path)
    assert proc.returncode == 0 and "Usage" in proc.stdout
    assert loaded == []


@pytest.mark.parametrize("args", [
    ["fit", "missing.csv", "--out", "model"],  # the input is read before the heavy imports
    ["fit", "missing.csv"],  # --out is missing: a usage error
    ["fit", "missing.csv", "--out", "model", "--device", "gpu"],  # a bad option value
    ["sample", "model", "--rows", "0", "--out", "x.csv"],
    ["run", "missing.toml"],
    ["run", "job.toml", "--device", "gpu"],  # a good job file, a bad option
    ["nosuchverb"],
])
def test_argument_errors_answer_without_heavy_imports(args, tmp_path):
    (tmp_path / "job.toml").write_text("[model]\nseed = 1\n")
    loaded, proc = heavy_imports(*args, tmp_path=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")
    assert loaded == []


def test_fit_on_a_missing_file_answers_before_importing_pandas(tmp_path):
    # pandas alone takes about as long as the whole answer should (bench/bench_startup.py)
    code = PROBE.format(heavy=["pandas"], args=["fit", "missing.csv", "--out", "model"])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120, check=False)
    assert proc.returncode == 2 and "missing.csv" in proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
