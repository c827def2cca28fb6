"""The Streamlit page, run in-process with Streamlit's AppTest on a real release folder."""

import json
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from synthrecords.dashboard import APP, read_run, streamlit_command
from synthrecords.errors import SynthRecordsError


def render(run_dir: Path | str, monkeypatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", ["app.py", str(run_dir)])
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    return app


def text_of(app: AppTest) -> str:
    parts = [m.label + " " + str(m.value) for m in app.metric]
    parts += [e.value for e in app.markdown] + [e.value for e in app.title] + [e.value for e in app.header]
    parts += [e.value for e in app.error] + [e.value for e in app.info]
    return "\n".join(map(str, parts))


def test_page_shows_the_run_id_and_summary_metrics(release_dir, monkeypatch):
    report = json.loads((release_dir / "report.json").read_text())
    text = text_of(render(release_dir, monkeypatch))
    assert report["run"]["id"] in text
    assert f"{report['summary']['fidelity_score']:.1%}" in text
    summary = report["summary"]
    assert f"{summary['expectations_passed']} / {summary['expectations_failed']}" in text


def test_page_says_no_formal_guarantee_without_epsilon(release_dir, monkeypatch):
    assert "no formal privacy guarantee" in text_of(render(release_dir, monkeypatch))


def test_pii_table_lists_each_column_with_its_action(release_dir, monkeypatch):
    app = render(release_dir, monkeypatch)
    pii = app.dataframe[0].value
    assert pii.set_index("column").loc["email", "action"] == "fake"
    assert pii.set_index("column").loc["notes", "category"] == "free_text"


def test_synthetic_preview_shows_fifty_rows(release_dir, monkeypatch):
    app = render(release_dir, monkeypatch)
    assert len(app.dataframe[-1].value) == 50


def test_a_folder_without_a_report_shows_what_to_do(tmp_path, monkeypatch):
    text = text_of(render(tmp_path, monkeypatch))
    assert "report.json" in text and "synthrecords demo" in text


def test_launcher_refuses_a_folder_that_is_not_a_release(tmp_path):
    with pytest.raises(SynthRecordsError, match="synthetic.csv"):
        read_run(tmp_path)


def test_launcher_passes_the_folder_to_streamlit_on_loopback(release_dir):
    command = streamlit_command(release_dir, port=8999)
    assert command[-1] == str(release_dir.resolve()) and "--" in command
    assert command[command.index("--server.port") + 1] == "8999"
    assert command[command.index("--server.address") + 1] == "localhost"
