"""The dashboard's pages, run in-process with Streamlit's AppTest, and its launcher.

The run folder reaches the app as the script's first argument (`sys.argv[1]`), as
`synthrecords dashboard RUN_DIR` passes it after `--`; `render` sets `sys.argv` likewise
and opens one page of the app's navigation (app_pages/PAGE.py).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from run_folder import REPORT, SYNTHETIC, legacy_layout, write_release, write_run_folder
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


def render(run_dir: Path | str, monkeypatch, page: str | None = None) -> AppTest:
    """The app on `run_dir`, showing `page` (a file of app_pages/, the Overview when None)."""
    monkeypatch.setattr(sys, "argv", [str(app_path()), str(run_dir)])
    app = AppTest.from_file(str(app_path()), default_timeout=30)
    app.run()
    if page is not None:
        app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def charts(app: AppTest) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """Each Altair chart on the page: its Vega-Lite spec and the rows it plots."""
    out = []
    for chart in app.get("vega_lite_chart"):
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]
        out.append((json.loads(chart.proto.spec), pd.concat(frames) if frames else pd.DataFrame()))
    return out


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


# ---------------------------------------------------------------- every page


def test_title_names_the_run_id(run_dir, monkeypatch):
    assert "demo-fixture" in render(run_dir, monkeypatch).title[0].value


@pytest.mark.parametrize("page", ["overview", "fidelity", "utility", "privacy", "pii", "expectations", "compare"])
def test_every_page_opens_on_a_run_folder_written_by_the_pipeline(release_dir, monkeypatch, page):
    report = json.loads((release_dir / "owner" / "report.json").read_text())
    app = render(release_dir, monkeypatch, page)
    assert report["run"]["id"] in app.title[0].value


@pytest.mark.parametrize("page", ["overview", "fidelity", "utility", "privacy", "pii", "expectations", "compare"])
def test_every_page_opens_on_a_report_with_only_run_and_summary(tmp_path, monkeypatch, page):
    minimal = {"run": REPORT["run"], "summary": {"rows": 60}}
    render(write_run_folder(tmp_path / "minimal", minimal), monkeypatch, page)


def test_the_app_writes_nothing_into_the_run_folder(run_dir, monkeypatch):
    def snapshot() -> dict[str, float]:
        return {p.name: p.stat().st_mtime_ns for p in run_dir.rglob("*")}

    before = snapshot()
    for page in ("overview", "fidelity", "privacy", "compare"):
        render(run_dir, monkeypatch, page)
    assert snapshot() == before


def test_a_folder_without_report_json_shows_what_to_do(tmp_path, monkeypatch):
    (tmp_path / "synthetic.csv").write_text("a\n1\n")
    app = render(tmp_path, monkeypatch)
    message = app.error[0].value
    assert "report.json missing" in message and "synthrecords run JOB.toml" in message
    assert "synthrecords demo" in message


def test_a_folder_that_does_not_exist_shows_what_to_do(tmp_path, monkeypatch):
    message = render(tmp_path / "nowhere", monkeypatch).error[0].value
    assert "does not exist" in message and "synthrecords demo" in message


# ---------------------------------------------------------------- overview


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


def test_summary_counts_the_columns_with_personal_data_by_action(run_dir, monkeypatch):
    assert metric(render(run_dir, monkeypatch), "Personal data") == "3 columns | 2 fake · 1 model"


def test_summary_shows_the_leakage_check_result(run_dir, monkeypatch):
    assert metric(render(run_dir, monkeypatch), "Leakage check") == "passed"


def test_a_failed_leakage_check_is_the_verdict_and_an_error(tmp_path, monkeypatch):
    leaky = copy.deepcopy(REPORT)
    leaky["summary"]["leakage_passed"] = False
    app = render(write_run_folder(tmp_path / "leaky", leaky), monkeypatch)
    assert metric(app, "Leakage check") == "FAILED"
    assert app.error[0].value.startswith("Do not share yet: the leakage check found real identifier values")
    assert any("do not share it" in e.value for e in app.error)


def test_a_blocking_expectation_failure_makes_the_verdict_do_not_share(run_dir, monkeypatch):
    assert render(run_dir, monkeypatch).error[0].value == "Do not share yet: 1 blocking expectation failed"


def test_what_to_look_at_first_lists_stops_then_reviews_naming_their_page(run_dir, monkeypatch):
    items = next(m.value for m in render(run_dir, monkeypatch).markdown if m.value.startswith("1. ")).split("\n")
    assert items[0] == "1. **Expectations** (stop): 1 blocking expectation failed"
    assert "**Privacy** (review): no formal privacy guarantee" in items[1]
    text = "\n".join(items)
    assert "**Fidelity** (review): columns least like the real ones (shape similarity, 100 % = same distribution): segment (61.0%)" in text
    assert "**Privacy** (review): inference of age risk 12.0% above random guessing" in text
    assert "**Utility** (review): segment = rare_vip: 25.0% of rows, 30.0% requested" in text


def test_a_clean_private_run_gets_the_no_blocking_issue_verdict(tmp_path, monkeypatch):
    clean = with_epsilon(REPORT)
    clean["summary"]["expectations_blocking_failed"] = 0
    clean["expectations"]["blocking_failed"] = 0
    clean["fidelity"]["per_column"][1]["score"] = 0.9
    clean["fidelity"]["associations"]["difference"] = [[0.0, 0.1], [0.1, 0.0]]
    clean["privacy"]["attacks"]["inference"][0].update(risk=0.01, ci95=[0.0, 0.04])
    clean["sampling"] = {}
    app = render(write_run_folder(tmp_path / "clean", clean), monkeypatch)
    assert app.success[0].value.startswith("No blocking issue found")


def test_personal_data_is_summed_up_by_category_with_its_action(run_dir, monkeypatch):
    text = page_text(render(run_dir, monkeypatch))
    assert "Direct identifiers: customer_id (fake), email (fake)" in text
    assert "Quasi identifiers: postcode (model)" in text


def test_preview_shows_the_first_fifty_synthetic_rows_as_written(run_dir, monkeypatch):
    preview = table_with_column(render(run_dir, monkeypatch), "postcode")
    assert len(preview) == 50
    assert preview.loc[0, "postcode"] == "02100"  # text as in the file: leading zero kept


# ---------------------------------------------------------------- fidelity


def test_fidelity_per_column_scores_are_listed_worst_first(run_dir, monkeypatch):
    scores = table_with_column(render(run_dir, monkeypatch, "fidelity"), "score")
    assert scores["column"].tolist() == ["segment", "age"]


def test_the_column_picker_starts_at_the_worst_column_and_overlays_real_and_synthetic_shares(run_dir, monkeypatch):
    app = render(run_dir, monkeypatch, "fidelity")
    assert app.selectbox(key="fidelity_column").value == "segment"
    spec, data = charts(app)[0]
    assert spec["title"] == "segment: share of rows"
    shares = data.pivot(index="bin", columns="side", values="share")
    assert shares.loc["retail"].tolist() == [0.6, 0.35]
    assert "(missing)" not in shares.index  # empty on both sides: left off the axis


def test_picking_another_column_plots_its_distribution(run_dir, monkeypatch):
    app = render(run_dir, monkeypatch, "fidelity")
    app.selectbox(key="fidelity_column").set_value("age").run()
    spec, data = charts(app)[0]
    assert spec["title"] == "age: share of rows"
    assert data[data["side"] == "real"]["share"].tolist() == [0.55, 0.45]


def test_association_heatmaps_show_real_synthetic_and_difference(run_dir, monkeypatch):
    app = render(run_dir, monkeypatch, "fidelity")
    heatmaps = {spec["title"]: data for spec, data in charts(app) if spec.get("mark", {}).get("type") == "rect"
                and "title" in spec}
    assert set(heatmaps) == {"Real", "Synthetic", "|Real − synthetic|"}
    worst = table_with_column(app, "difference")
    assert worst.loc[0, ["x", "y", "real", "synthetic"]].tolist() == ["age", "segment", 0.4, 0.05]


def test_the_pair_plot_shows_joint_shares_of_the_two_chosen_columns(run_dir, monkeypatch):
    app = render(run_dir, monkeypatch, "fidelity")
    app.selectbox(key="pair_x").set_value("segment").run()
    spec, data = charts(app)[-1]
    assert spec["encoding"]["x"]["title"] == "segment" and spec["encoding"]["y"]["title"] == "age"
    real = data[data["side"] == "real"].set_index(["x", "y"])["share"]
    assert real[("business", "20")] == 0.15  # the stored grid is age x segment: read transposed


# ---------------------------------------------------------------- utility and rare classes


def test_utility_compares_tstr_with_trtr(run_dir, monkeypatch):
    table = table_with_column(render(run_dir, monkeypatch, "utility"), "TSTR")
    assert table.loc[0, ["metric", "TSTR", "TRTR"]].tolist() == ["roc_auc", 0.74, 0.8]


def test_a_skipped_utility_measurement_says_why(tmp_path, monkeypatch):
    skipped = copy.deepcopy(REPORT)
    skipped["utility"] = {"status": "skipped", "reason": "no target column: pass --target COLUMN"}
    app = render(write_run_folder(tmp_path / "skipped", skipped), monkeypatch, "utility")
    assert "no target column: pass --target COLUMN" in app.info[0].value


def test_requested_and_achieved_class_mix_are_shown_beside_the_real_share(run_dir, monkeypatch):
    app = render(run_dir, monkeypatch, "utility")
    mix = table_with_column(app, "requested")
    assert mix.loc[0, ["column", "class", "requested", "achieved"]].tolist() == ["segment", "rare_vip", 0.3, 0.25]
    assert "- 3 rows filled without their requested class" in page_text(app)
    assert table_with_column(app, "real_rows").loc[0, "score"] == 0.81


# ---------------------------------------------------------------- privacy


def test_privacy_lists_the_ledger_entries_and_the_scope(run_dir, monkeypatch):
    app = render(run_dir, monkeypatch, "privacy")
    ledger = table_with_column(app, "mechanism")
    assert ledger.loc[0, ["stage", "epsilon", "detail"]].tolist() == ["domain", 0.1, "noisy category counts of segment"]


def test_privacy_shows_the_scope_lines_of_the_guarantee(tmp_path, monkeypatch):
    scoped = copy.deepcopy(REPORT)
    scoped["privacy"]["scope"] = ["Covered by the ledger: the domain.", "Read outside the ledger: the row count."]
    text = page_text(render(write_run_folder(tmp_path / "scoped", scoped), monkeypatch, "privacy"))
    assert "- Covered by the ledger: the domain.\n- Read outside the ledger: the row count." in text


def test_privacy_shows_distance_to_closest_record_and_membership_auc(run_dir, monkeypatch):
    app = render(run_dir, monkeypatch, "privacy")
    assert metric(app, "Median distance to closest real row") == "0.400"
    assert metric(app, "Closer to training than to holdout") == "49.0%"
    assert metric(app, "Membership attack AUC") == "0.510 | 95 % CI 0.470–0.550"


def test_the_dcr_histogram_compares_synthetic_and_holdout_rows(run_dir, monkeypatch):
    spec, data = charts(render(run_dir, monkeypatch, "privacy"))[0]
    assert spec["title"] == "Distance to the closest training row"
    assert data.groupby("side")["share"].sum().round(6).to_dict() == {"holdout → train": 1.0,
                                                                      "synthetic → train": 1.0}


def test_attack_risks_are_listed_highest_first_with_their_interval(run_dir, monkeypatch):
    attacks = table_with_column(render(run_dir, monkeypatch, "privacy"), "attack")
    assert attacks["attack"].tolist() == ["inference", "singling out", "linkability"]
    assert attacks.loc[0, ["column", "risk", "ci95"]].tolist() == ["age", 0.12, "6.0% – 18.0%"]


# ---------------------------------------------------------------- PII and expectations


def test_pii_table_lists_category_entities_confidence_evidence_and_action_per_column(run_dir, monkeypatch):
    pii = table_with_column(render(run_dir, monkeypatch, "pii"), "entities").set_index("column")
    assert pii.loc["email", ["category", "entities", "confidence", "action"]].tolist() == [
        "direct", "EMAIL_ADDRESS", 0.98, "fake"]
    assert pii.loc["email", "evidence"] == "column name hint 'email'; 98% of sampled values matched EMAIL_ADDRESS"


def test_expectations_show_failures_only_by_default_when_some_failed(run_dir, monkeypatch):
    app = render(run_dir, monkeypatch, "expectations")
    results = table_with_column(app, "expectation")
    assert results["result"].tolist() == ["FAILED"]
    assert results.loc[0, ["column", "severity", "examples", "unexpected", "real reference"]].tolist() == [
        "segment", "blocking", "rare_vip", 33.33, "passed"]
    app.toggle(key="failures_only").set_value(False).run()
    assert table_with_column(app, "expectation")["result"].tolist() == ["FAILED", "passed", "passed"]


# ---------------------------------------------------------------- compare runs


def test_compare_runs_shows_key_figures_of_two_folders_side_by_side(tmp_path, monkeypatch):
    first = write_run_folder(tmp_path / "runs" / "eps-none")
    private = with_epsilon(REPORT)
    private["run"] = {**private["run"], "id": "eps-1"}
    private["fidelity"]["quality_score"] = 0.61
    write_run_folder(tmp_path / "runs" / "eps-1", private)
    app = render(first, monkeypatch, "compare")
    # The second picker starts at the other run beside this one.
    assert Path(app.selectbox(key="compare_B").value).name == "eps-1"
    figures = table_with_column(app, "figure").set_index("figure")
    assert list(figures.columns) == ["demo-fixture", "eps-1"]
    assert figures.loc["ε spent of target"].tolist() == ["none (no formal guarantee)", "0.981 of 1, δ 1e-05"]
    assert figures.loc["fidelity (SDMetrics quality)"].tolist() == ["87.3%", "61.0%"]


def test_compare_runs_names_a_folder_that_is_not_a_run(run_dir, tmp_path, monkeypatch):
    app = render(run_dir, monkeypatch, "compare")
    app.selectbox(key="compare_B").set_value("another folder…").run()
    app.text_input(key="compare_B_path").set_value(str(tmp_path / "nowhere")).run()
    assert "Run B:" in app.error[0].value and "does not exist" in app.error[0].value


# ---------------------------------------------------------------- the two parts of a release (issue 19)


def test_a_run_folder_opens_its_owner_part_and_says_it_is_not_for_sharing(tmp_path, monkeypatch):
    app = render(write_release(tmp_path / "run"), monkeypatch, "fidelity")
    assert "Owner's part (owner/)" in page_text(app) and "NOT FOR SHARING" in page_text(app)
    assert table_with_column(app, "score")["column"].tolist() == ["segment", "age"]  # the full validation


@pytest.mark.parametrize("page", ["overview", "fidelity", "utility", "privacy", "pii", "expectations", "compare"])
def test_every_page_opens_on_the_share_part_and_says_which_part_it_is(tmp_path, monkeypatch, page):
    app = render(write_release(tmp_path / "run") / "share", monkeypatch, page)
    assert "Shareable part (share/)" in page_text(app) and "NOT FOR SHARING" not in page_text(app)


def test_the_share_parts_verdict_points_to_the_owners_checks(tmp_path, monkeypatch):
    clean = copy.deepcopy(with_epsilon(REPORT))
    clean["summary"]["expectations_blocking_failed"] = 0
    clean["expectations"]["blocking_failed"] = 0
    clean.pop("sampling")
    app = render(write_release(tmp_path / "run", clean) / "share", monkeypatch)
    assert app.success[0].value.startswith("No blocking issue in the shareable part; the checks against real rows")


def test_the_share_part_shows_no_pii_evidence(tmp_path, monkeypatch):
    text = page_text(render(write_release(tmp_path / "run") / "share", monkeypatch, "pii"))
    assert "5000 distinct values" not in text


def test_the_owner_part_previews_the_synthetic_rows_kept_in_share(tmp_path, monkeypatch):
    app = render(write_release(tmp_path / "run") / "owner", monkeypatch)
    assert len(table_with_column(app, "customer_id")) == 50 and "NOT FOR SHARING" in page_text(app)


def test_a_folder_from_before_the_split_says_so(run_dir, monkeypatch):
    assert "before the share/owner split" in page_text(render(run_dir, monkeypatch))


# ---------------------------------------------------------------- older reports


def test_a_report_in_the_layout_before_issue_6_still_opens_with_every_section(tmp_path, monkeypatch):
    leaky = copy.deepcopy(REPORT)
    leaky["privacy"]["leakage"]["findings"] = [{"column": "email", "found_in": "email", "row": 3, "kind": "exact"}]
    folder = write_run_folder(tmp_path / "old", legacy_layout(leaky))
    privacy = render(folder, monkeypatch, "privacy")
    assert metric(privacy, "Median distance to closest real row") == "0.400"
    assert table_with_column(privacy, "found_in").loc[0, "row"] == 3
    expectations = render(folder, monkeypatch, "expectations")
    assert table_with_column(expectations, "expectation")["result"].tolist() == ["FAILED"]
    assert table_with_column(render(folder, monkeypatch, "fidelity"), "score")["column"].tolist() == ["segment", "age"]


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


def test_the_overview_previews_the_parquet_folder_of_an_engine_spark_run(tmp_path, monkeypatch):
    folder = write_run_folder(tmp_path / "spark-run")
    (folder / "synthetic.csv").unlink()
    (folder / "synthetic.parquet").mkdir()
    SYNTHETIC.to_parquet(folder / "synthetic.parquet" / "part-00000.parquet", index=False)
    app = render(folder, monkeypatch)
    table = table_with_column(app, "customer_id")
    assert len(table) == 50 and table["postcode"].iloc[0] == "02100"
    assert "rows of synthetic.parquet" in page_text(app)
