"""The dashboard page, run in-process with Streamlit's AppTest, and its launcher.

The run folder reaches the page as the script's first argument (`sys.argv[1]`), as
`synthrecords dashboard RUN_DIR` passes it after `--`; `render` sets `sys.argv` likewise.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from run_folder import REPORT, SYNTHETIC, legacy_layout, write_run_folder  # noqa: F401
from streamlit.testing.v1 import AppTest

from synthrecords import dashboard
from synthrecords.dashboard import app_path, check_run_dir, launch, streamlit_command
from synthrecords.errors import SynthRecordsError


def with_epsilon(report: dict[str, Any]) -> dict[str, Any]:
    private = copy.deepcopy(report)
    private["summary"].update(epsilon_target=1.0, epsilon_spent=0.9812, delta=1e-5, guarantee="dp")
    private["privacy"].update(epsilon_target=1.0, epsilon_spent=0.9812, delta=1e-5, guarantee="dp", note="")
    return private


@pytest.fixture
def run_dir(tmp_path) -> Path:
    return write_run_folder(tmp_path / "demo-fixture")


def render(run_dir: Path | str, monkeypatch) -> AppTest:
    monkeypatch.setattr(sys, "argv", [str(app_path()), str(run_dir)])
    app = AppTest.from_file(str(app_path()), default_timeout=30)
    app.run()
    assert not app.exception, app.exception
    return app


def metric(app: AppTest, label: str) -> str:
    """A metric as read on the page: its value, then the small note under it if any."""
    found = [m for m in app.metric if m.label == label]
    assert found, f"no metric {label!r}; metrics: {[m.label for m in app.metric]}"
    return " | ".join(filter(None, [found[0].value, found[0].delta]))


def page_text(app: AppTest) -> str:
    elements = [*app.title, *app.header, *app.subheader, *app.markdown, *app.caption, *app.error,
                *app.warning, *app.info]
    return "\n".join([str(e.value) for e in elements] + [f"{m.label}: {m.value} {m.delta or ''}" for m in app.metric])


def table_with_column(app: AppTest, column: str) -> pd.DataFrame:
    tables = [d.value for d in app.dataframe if column in d.value.columns]
    assert tables, f"no table with a {column!r} column"
    return tables[0]


# ---------------------------------------------------------------- the page


def test_title_names_the_run_id(run_dir, monkeypatch):
    assert "demo-fixture" in render(run_dir, monkeypatch).title[0].value


def test_summary_shows_rows_columns_and_model(run_dir, monkeypatch):
    app = render(run_dir, monkeypatch)
    assert (metric(app, "Synthetic rows"), metric(app, "Columns"), metric(app, "Model")) == (
        "60", "5", "gaussian_copula")


def test_summary_shows_the_fidelity_score_as_a_percentage(run_dir, monkeypatch):
    assert metric(render(run_dir, monkeypatch), "Fidelity score") == "87.3%"


def test_summary_says_no_formal_privacy_guarantee_when_epsilon_is_null(run_dir, monkeypatch):
    assert metric(render(run_dir, monkeypatch), "Differential privacy") == "none | no formal privacy guarantee"


def test_summary_shows_epsilon_spent_of_target_and_delta_when_epsilon_is_set(tmp_path, monkeypatch):
    folder = write_run_folder(tmp_path / "private", with_epsilon(REPORT))
    assert metric(render(folder, monkeypatch), "Differential privacy") == "ε 0.981 of 1 | δ 1e-05"


def test_summary_counts_expectations_passed_and_failed(run_dir, monkeypatch):
    assert metric(render(run_dir, monkeypatch), "Expectations") == "2 passed | 1 failed"


def test_summary_shows_the_leakage_check_result(run_dir, monkeypatch):
    assert metric(render(run_dir, monkeypatch), "Leakage check") == "passed"


def test_a_failed_leakage_check_is_shown_as_an_error(tmp_path, monkeypatch):
    leaky = copy.deepcopy(REPORT)
    leaky["summary"]["leakage_passed"] = False
    app = render(write_run_folder(tmp_path / "leaky", leaky), monkeypatch)
    assert metric(app, "Leakage check") == "FAILED"
    assert "do not share it" in app.error[0].value


def test_pii_table_lists_category_entities_confidence_and_action_per_column(run_dir, monkeypatch):
    pii = table_with_column(render(run_dir, monkeypatch), "entities").set_index("column")
    assert pii.loc["email", ["category", "entities", "confidence", "action"]].tolist() == [
        "direct", "EMAIL_ADDRESS", 0.98, "fake"]


def test_personal_data_is_summed_up_by_category_with_its_action(run_dir, monkeypatch):
    text = page_text(render(run_dir, monkeypatch))
    assert "Direct identifiers: customer_id (fake), email (fake)" in text
    assert "Quasi identifiers: postcode (model)" in text


def test_expectation_results_list_failures_first(run_dir, monkeypatch):
    results = table_with_column(render(run_dir, monkeypatch), "expectation")
    assert results["result"].tolist() == ["FAILED", "passed", "passed"]
    assert results.loc[0, "column"] == "segment"


def test_fidelity_per_column_scores_are_listed_worst_first(run_dir, monkeypatch):
    scores = table_with_column(render(run_dir, monkeypatch), "score")
    assert scores["column"].tolist() == ["segment", "age"]


def test_privacy_section_lists_the_ledger_entries(run_dir, monkeypatch):
    ledger = table_with_column(render(run_dir, monkeypatch), "mechanism")
    assert ledger.loc[0, ["stage", "epsilon", "detail"]].tolist() == [
        "domain", 0.1, "noisy category counts of segment"]


def test_privacy_section_shows_distance_to_closest_record(run_dir, monkeypatch):
    app = render(run_dir, monkeypatch)
    assert metric(app, "Median distance to closest real row") == "0.400"
    assert metric(app, "Closer to training than to holdout") == "49.0%"


def test_expectation_results_show_severity_and_an_example_of_a_failing_value(run_dir, monkeypatch):
    results = table_with_column(render(run_dir, monkeypatch), "expectation")
    assert results.loc[0, ["severity", "example"]].tolist() == ["blocking", "rare_vip"]


def test_a_report_in_the_layout_before_issue_6_still_opens_with_every_section(tmp_path, monkeypatch):
    leaky = copy.deepcopy(REPORT)
    leaky["privacy"]["leakage"]["findings"] = [{"column": "email", "found_in": "email", "row": 3, "kind": "exact"}]
    app = render(write_run_folder(tmp_path / "old", legacy_layout(leaky)), monkeypatch)
    assert metric(app, "Median distance to closest real row") == "0.400"
    assert table_with_column(app, "expectation")["result"].tolist() == ["FAILED", "passed", "passed"]
    assert table_with_column(app, "score")["column"].tolist() == ["segment", "age"]
    assert table_with_column(app, "found_in").loc[0, "row"] == 3


def test_preview_shows_the_first_fifty_synthetic_rows_as_written(run_dir, monkeypatch):
    preview = table_with_column(render(run_dir, monkeypatch), "postcode")
    assert len(preview) == 50
    assert preview.loc[0, "postcode"] == "02100"  # text as in the file: leading zero kept


def test_a_report_with_only_run_and_summary_still_opens(tmp_path, monkeypatch):
    minimal = {"run": REPORT["run"], "summary": {"rows": 60}}
    text = page_text(render(write_run_folder(tmp_path / "minimal", minimal), monkeypatch))
    assert "demo-fixture" in text and "Fidelity score: n/a" in text


def test_a_folder_without_report_json_shows_what_to_do(tmp_path, monkeypatch):
    (tmp_path / "synthetic.csv").write_text("a\n1\n")
    app = render(tmp_path, monkeypatch)
    message = app.error[0].value
    assert "report.json missing" in message and "synthrecords run JOB.toml" in message
    assert "synthrecords demo" in message


def test_a_folder_that_does_not_exist_shows_what_to_do(tmp_path, monkeypatch):
    message = render(tmp_path / "nowhere", monkeypatch).error[0].value
    assert "does not exist" in message and "synthrecords demo" in message


def test_the_page_writes_nothing_into_the_run_folder(run_dir, monkeypatch):
    def snapshot() -> dict[str, float]:
        return {p.name: p.stat().st_mtime_ns for p in run_dir.rglob("*")}

    before = snapshot()
    render(run_dir, monkeypatch)
    assert snapshot() == before


def test_a_run_folder_written_by_the_pipeline_renders(release_dir, monkeypatch):
    report = json.loads((release_dir / "report.json").read_text())
    app = render(release_dir, monkeypatch)
    assert report["run"]["id"] in app.title[0].value
    assert metric(app, "Fidelity score") == f"{report['summary']['fidelity_score']:.1%}"


# ---------------------------------------------------------------- the launcher


def test_launcher_refuses_a_folder_without_report_json_naming_it(tmp_path):
    (tmp_path / "synthetic.csv").write_text("a\n1\n")
    with pytest.raises(SynthRecordsError, match=r"report\.json missing; run `synthrecords run JOB\.toml`"):
        launch(tmp_path)


def test_launcher_refuses_a_missing_folder(tmp_path):
    with pytest.raises(SynthRecordsError, match="does not exist.*synthrecords demo"):
        check_run_dir(tmp_path / "nowhere")


def test_launcher_runs_streamlit_headless_on_the_app_with_the_run_dir_after_double_dash(run_dir, monkeypatch):
    commands = []

    class FinishedServer:  # stands in for the Streamlit process: records its command, exits at once
        def __init__(self, command: list[str]) -> None:
            commands.append(command)

        def wait(self, timeout: float | None = None) -> int:
            return 0

        def poll(self) -> int:
            return 0

    monkeypatch.setattr(dashboard.subprocess, "Popen", FinishedServer)
    assert launch(run_dir, port=8999) == 0
    command = commands[0]
    assert command[command.index("run") + 1] == str(app_path())
    assert command[command.index("--") + 1:] == [str(run_dir.resolve())]
    options = dict(zip(command[5:command.index("--"):2], command[6:command.index("--"):2], strict=True))
    assert options == {"--server.headless": "true", "--server.address": "localhost",
                       "--browser.gatherUsageStats": "false", "--client.toolbarMode": "minimal",
                       "--server.port": "8999"}


def test_launcher_can_open_a_browser_when_not_headless(run_dir):
    command = streamlit_command(run_dir, headless=False)
    assert command[command.index("--server.headless") + 1] == "false"
    assert "--server.port" not in command  # Streamlit picks its default port


def test_app_is_found_beside_the_package():
    assert app_path() == Path(__file__).resolve().parents[1] / "dashboards" / "app.py"


def test_a_missing_app_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(dashboard.synthrecords, "__file__", str(tmp_path / "synthrecords" / "__init__.py"))
    with pytest.raises(SynthRecordsError, match="dashboard app not found.*pip install -e"):
        app_path()
