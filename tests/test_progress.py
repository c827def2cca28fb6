"""Progress on long steps: a line at least every few seconds without a terminal, callbacks
for the Python API, nothing with -q."""

import io
import itertools
import os
import re
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import ROOT, SAMPLE
from typer.testing import CliRunner

from synthrecords import progress
from synthrecords.cli import app

LINE = re.compile(r"^\[\s*(\d+m)?\d+s\] ")


@pytest.mark.slow  # ~40 s on a quiet box: scan, redaction and 10 DP-SGD steps of the sample table
def test_a_fit_without_a_terminal_prints_progress_at_least_every_10_seconds(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "synthrecords", "fit", str(SAMPLE), "--out", str(tmp_path / "m"),
                             "--epsilon", "3", "--epochs", "2", "--target", "fraud_flag"],
                            cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    stamped = [(time.monotonic(), line.rstrip()) for line in proc.stderr]
    stamped.append((time.monotonic(), "(exit)"))
    assert proc.wait(timeout=60) == 0, "\n".join(line for _, line in stamped)
    progress_lines = [i for i, (_, line) in enumerate(stamped) if LINE.match(line)]
    assert progress_lines, "no progress line:\n" + "\n".join(line for _, line in stamped)
    # From the first progress line (imports come before it) to the exit, never 10 s of silence.
    times = [t for t, _ in stamped[progress_lines[0]:]]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) < 10, [(round(g, 1), line) for g, (_, line) in zip(gaps, stamped[progress_lines[0] + 1:])]
    text = "\n".join(line for _, line in stamped)
    for stage in ("scan PII", "domain", "train dpctgan > DP-SGD: done, 10 steps"):
        assert stage in text, text


def test_lines_keep_coming_while_one_step_takes_long():
    out = io.StringIO()
    progress.show("lines", stream=out, interval=0.2)
    try:
        with progress.stage("slow", total=3, unit="parts") as s:
            time.sleep(0.9)
            s.advance()
    finally:
        progress.show("quiet")
    lines = out.getvalue().splitlines()
    assert sum("slow: 0/3 parts" in line for line in lines) >= 3, lines
    assert "slow: done, 1 parts in" in lines[-1], lines


def test_a_callback_hears_start_steps_eta_and_end_of_nested_stages():
    heard = []
    with progress.listen(heard.append), progress.stage("fit"), progress.stage("train", total=4) as s:
        s.advance()
        s.advance()
    assert [u.stage for u in heard] == ["fit", "fit > train", "fit > train", "fit > train", "fit > train", "fit"]
    halfway = heard[3]
    assert (halfway.done, halfway.total) == (2, 4) and halfway.eta is not None and halfway.eta >= 0
    assert heard[-2].finished and heard[-1].finished and heard[-1].eta is None


def test_a_stage_ended_by_an_error_says_it_stopped():
    heard = []
    with progress.listen(heard.append):
        try:
            with progress.stage("fit", total=2):
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            pass
    assert heard[-1].failed and "stopped after" in heard[-1].line()


def test_quiet_prints_no_progress_and_the_default_prints_lines(tmp_path):
    data = tmp_path / "small.csv"
    pd.read_csv(SAMPLE, dtype=str).head(60)[["gender", "state", "annual_income"]].to_csv(data, index=False)
    runner = CliRunner()
    loud = runner.invoke(app, ["scan", str(data), "--nlp-model", "none"])
    quiet = runner.invoke(app, ["-q", "scan", str(data), "--nlp-model", "none"])
    assert loud.exit_code == 0 and quiet.exit_code == 0, (loud.output, quiet.output)
    assert "scan PII: done, 3 columns" in loud.stderr
    assert not [line for line in quiet.stderr.splitlines() if LINE.match(line)], quiet.stderr
    assert quiet.stdout == loud.stdout
