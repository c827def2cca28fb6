"""Failures users meet say what happened and what to do, never "unexpected"."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from run_folder import REPORT, write_run_folder
from test_dashboard import render
from typer.testing import CliRunner

from synthrecords import Synthesizer
from synthrecords.cli import app
from synthrecords.errors import SynthRecordsError
from synthrecords.pii.engine import MAX_TEXT, get_engine
from synthrecords.pii.redact import redact_texts
from synthrecords.pii.scan import scan_pii
from synthrecords.resources import check_rows_fit

HEAVY = ("torch", "sdv", "presidio_analyzer", "great_expectations", "spacy")


def test_a_missing_input_is_named_before_any_heavy_library_loads(tmp_path):
    (tmp_path / "job.toml").write_text('[input]\npath = "nothere.csv"\n')
    (tmp_path / "real.csv").write_text("a\n1\n")
    calls = [["scan", "nothere.csv"], ["fit", "nothere.csv", "--out", "m"], ["protect", "nothere.csv", "--out", "p.csv"],
             ["sample", "no-model", "--rows", "5", "--out", "s.csv"], ["validate", "real.csv", "nothere.csv", "--out", "v"],
             ["run", "job.toml"]]
    script = textwrap.dedent(f"""
        import contextlib, io, json, sys
        import typer
        from synthrecords.cli import app
        command = typer.main.get_command(app)
        out = []
        for args in {calls!r}:
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                code = command.main(args, prog_name="synthrecords", standalone_mode=False)
            out.append([code, err.getvalue()])
        print(json.dumps([out, [m for m in {HEAVY!r} if m in sys.modules]]))
    """)
    proc = subprocess.run([sys.executable, "-c", script], check=False, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results, heavy = json.loads(proc.stdout.strip().splitlines()[-1])
    assert heavy == []
    for args, (code, err) in zip(calls, results, strict=True):
        assert code == 2 and "not found" in err, (args, err)


def test_a_cell_longer_than_spacy_accepts_is_scanned_and_redacted_in_windows(caplog):
    long_text = "lorem ipsum " * (1_100_000 // 12) + "write to ann.lee@example.org please"
    assert len(long_text) > 1_000_000  # past spaCy's max_length, which raised E088 before
    texts = pd.Series([long_text, "call me", "nothing here"], name="notes")
    report = scan_pii(pd.DataFrame({"notes": texts}), nlp_model=None)
    assert report["notes"].category == "free_text" and "EMAIL_ADDRESS" in report["notes"].entities
    redacted = redact_texts(texts, get_engine(None))
    assert "ann.lee@example.org" not in redacted[0] and redacted[0].startswith("lorem ipsum")
    assert f"column 'notes': 1 cells longer than {MAX_TEXT:,} characters" in caplog.text


def test_rows_beyond_memory_are_refused_up_front_with_the_figures():
    with pytest.raises(SynthRecordsError, match=r"1,000,000 rows need about 95\.4 MB .* 1\.0 MB is available"):
        check_rows_fit(1_000_000, 100, available=2**20)
    check_rows_fit(1_000, 100, available=2**20)


def test_sampling_far_more_rows_than_memory_holds_fails_at_once():
    rng = pd.Series(range(40))
    synth = Synthesizer(model="gaussian_copula", nlp_model=None, seed=0).fit(
        pd.DataFrame({"x": rng * 1.5, "c": ["a", "b"] * 20}))
    with pytest.raises(SynthRecordsError, match=r"10,000,000,000,000 rows need about .* sample fewer rows"):
        synth.sample(10**13)


def test_a_full_disk_outside_an_atomic_write_is_one_line_with_the_path(tmp_path, monkeypatch):
    from synthrecords import pipeline

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "p.csv"))

    monkeypatch.setattr(pipeline, "pseudonymize_file", full)
    (tmp_path / "real.csv").write_text("a\n1\n")
    result = CliRunner().invoke(app, ["protect", str(tmp_path / "real.csv"), "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 2 and f"no space left on the device while writing {tmp_path / 'p.csv'}" in result.output
    assert "unexpected" not in result.output


def test_a_report_section_of_the_wrong_shape_is_a_message_on_the_page(tmp_path, monkeypatch):
    folder = write_run_folder(tmp_path / "odd", {**REPORT, "summary": ["not", "an", "object"]})
    message = render(folder, monkeypatch).error[0].value
    assert "section 'summary' holds a list, not an object" in message and "run the job again" in message


@pytest.mark.parametrize("page", ["overview", "pii", "privacy"])
def test_a_report_of_the_wrong_shape_deeper_down_is_a_message_not_a_traceback(tmp_path, monkeypatch, page):
    odd = json.loads(json.dumps(REPORT))
    odd["pii"]["columns"] = 7
    odd["privacy"]["entries"] = "many"
    odd["summary"]["pii_columns"] = 3
    app = render(write_run_folder(tmp_path / "odd", odd), monkeypatch, page)  # render asserts no exception
    assert any("cannot read" in e.value and "run the job again" in e.value for e in app.error)
