"""The README is executable: every fenced python, bash and toml block runs as written.

Each block runs on a fresh checkout (a temporary folder holding copies of sample_data/ and
expectations/, the package imported from this repository), offline. A block that cannot
run there carries a marker in the README itself, on the line before its fence:

    <!-- readme-test: skip (why) -->   never run here; the reason says what covers it
    <!-- readme-test: slow (why) -->   run by `make test-all` (pytest -m slow), not `make test`

Fast checks cover every block anyway: python blocks compile and import only names the
package has; toml blocks load with the job-file loader and name files that exist.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

README = ROOT / "README.md"
LANGUAGES = ("python", "bash", "toml")
MARKER = re.compile(r"<!--\s*readme-test:\s*(skip|slow)\s*(?:\((.+)\))?\s*-->")
FENCE = re.compile(r"^(`{3,})(\w*)\s*$")
COPIED = ("sample_data", "expectations")  # what a block may read, as in a clean clone


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int  # of the opening fence, 1-based
    marker: str | None  # "skip", "slow" or None
    reason: str | None

    @property
    def id(self) -> str:
        return f"{self.language}-line{self.line}"


def blocks(text: str) -> list[Block]:
    """Every fenced block of a language in LANGUAGES, with the marker just above it."""
    found, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence.group(1)), None)
        if end is None:
            raise AssertionError(f"README.md line {i + 1}: the fence is never closed")
        if fence.group(2) in LANGUAGES:
            above = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            marker = MARKER.search(above)
            found.append(Block(fence.group(2), "\n".join(lines[i + 1:end]) + "\n", i + 1,
                               marker and marker.group(1), marker and marker.group(2)))
        i = end + 1
    return found


BLOCKS = blocks(README.read_text())


def _params(language: str, *, runnable: bool) -> list:
    out = []
    for b in BLOCKS:
        if b.language != language or (runnable and b.marker == "skip"):
            continue
        marks = [pytest.mark.slow] if runnable and b.marker == "slow" else []
        out.append(pytest.param(b, id=b.id, marks=marks))
    return out


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A clean clone's working folder: the sample data and suites, and a `synthrecords` command."""
    for name in COPIED:
        shutil.copytree(ROOT / name, tmp_path / name)
    bin_dir = tmp_path / ".readme-bin"
    bin_dir.mkdir()
    shim = bin_dir / "synthrecords"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m synthrecords "$@"\n')
    shim.chmod(0o755)
    return tmp_path


def _env(checkout: Path) -> dict[str, str]:
    path = os.pathsep.join([str(checkout / ".readme-bin"), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore",
            "MPLBACKEND": "Agg"}


def _run(command: list[str], checkout: Path, block: Block) -> None:
    done = subprocess.run(command, check=False, cwd=checkout, env=_env(checkout), capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, (f"README.md block at line {block.line} exited {done.returncode}\n{block.code}\n"
                                  f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}")


# -- fast: the extraction itself, and what can be checked without running ------------------
def test_the_readme_has_blocks_of_every_language_and_every_marker_has_a_reason():
    assert {b.language for b in BLOCKS} == set(LANGUAGES)
    unexplained = [b.id for b in BLOCKS if b.marker and not (b.reason or "").strip()]
    assert not unexplained, f"markers without a (reason): {unexplained}"
    assert any(b.language == "bash" and b.marker != "skip" and "synthrecords " in b.code for b in BLOCKS), \
        "no runnable bash block calls synthrecords"


def test_a_marker_applies_to_the_block_right_below_it_only():
    text = textwrap.dedent("""\
        <!-- readme-test: skip (no network) -->
        ```bash
        curl x
        ```
        ```python
        x = 1
        ```
        <!-- readme-test: slow (long) -->

        ```toml
        a = 1
        ```
        ```
        untagged, ignored
        ```
        """)
    found = blocks(text)
    assert [(b.language, b.marker, b.reason) for b in found] == [
        ("bash", "skip", "no network"), ("python", None, None), ("toml", "slow", "long")]


@pytest.mark.parametrize("block", _params("python", runnable=False))
def test_python_block_compiles_and_imports_only_what_the_package_has(block):
    tree = ast.parse(block.code, filename=f"README.md:{block.line}")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "synthrecords":
            module = importlib.import_module(node.module)
            missing = [a.name for a in node.names if not hasattr(module, a.name)
                       and importlib.util.find_spec(f"{node.module}.{a.name}") is None]
            assert not missing, f"README.md line {block.line}: {node.module} has no {missing}"


@pytest.mark.parametrize("block", _params("toml", runnable=False))
def test_toml_block_loads_with_the_job_loader_and_names_files_that_exist(block, checkout):
    from synthrecords.config import load_job

    # Job files live beside the data (paths in them are relative to the file), as demo.toml does.
    path = checkout / "sample_data" / f"readme-{block.line}.toml"
    path.write_text(block.code)
    job = load_job(path)
    named = [p for p in [job.input.path, *job.validate_.suites] if p is not None]
    assert named and all(p.exists() for p in named), [str(p) for p in named if not p.exists()]


# -- the blocks themselves ------------------------------------------------------------------
@pytest.mark.parametrize("block", _params("python", runnable=True))
def test_python_block_runs(block, checkout):
    _run([sys.executable, "-c", block.code], checkout, block)


@pytest.mark.parametrize("block", _params("bash", runnable=True))
def test_bash_block_runs(block, checkout):
    _run(["bash", "-euo", "pipefail", "-c", block.code], checkout, block)


@pytest.mark.slow  # a gaussian_copula run with full validation on 5000 rows
@pytest.mark.parametrize("block", _params("toml", runnable=True))
def test_toml_block_runs_as_a_job(block, checkout):
    path = checkout / "sample_data" / f"readme-{block.line}.toml"
    path.write_text(block.code)
    _run([sys.executable, "-m", "synthrecords", "run", str(path)], checkout, block)
