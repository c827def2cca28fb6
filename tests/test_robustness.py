"""Issue 10: bad input fails in one clear line, awkward data is handled, nothing is half-written,
model folders are verified, and no pickle is used anywhere."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from typer.testing import CliRunner

from synthrecords import Synthesizer, interrupt
from synthrecords.atomic import OutputExistsError, atomic_dir
from synthrecords.cli import app
from synthrecords.config import JobConfig
from synthrecords.errors import SynthRecordsError
from synthrecords.pipeline import run_job

RUNNER = CliRunner()


def cli(*args) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def error_line(*args) -> str:
    """Run the CLI in-process; assert it failed cleanly (status 2, one `error:` line, no
    traceback) and return that line."""
    code, _, err = cli(*args)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2, (code, err)
    assert len(errors) == 1 and "Traceback" not in err, err
    return errors[0]


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    n = 300
    path = tmp_path_factory.mktemp("data") / "t.csv"
    pd.DataFrame({"age": rng.integers(18, 90, n), "income": rng.normal(5e4, 1e4, n).round(2),
                  "grade": rng.choice(list("ABC"), n), "flag": rng.choice([0, 1], n, p=[0.9, 0.1])}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model(table, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "m"
    Synthesizer(model="gaussian_copula", nlp_model=None, seed=1).fit(pd.read_csv(table)).save(out)
    return out


# -- bad input: exit 2, one line naming the problem and the fix --------------------------------
@pytest.mark.parametrize(("content", "expected"), [
    (b"", r"empty \(0 bytes\).*header row"),
    (b"\n\n", r"no header row"),
    (b"a,b\n", r"a header but no rows.*at least one data row"),
    (b"a,b\n1,2\n3,4,5\n6,7\n", r"line 3 has 3 fields but the header has 2; quote values"),
    (b"a,b\n1,2\n3\n", r"line 3 has 1 field but the header has 2"),
    # a value's own carriage return, left unquoted (pandas' to_csv does: dslabs' trump_tweets)
    (b"a,b\n1,x\ry\n3,4\n", r"line 3 has 1 field but the header has 2: a carriage return .* quote those values"),
    (b"a,b\n1,2\n3,\"open\n4,5\n", r"line 3: .*quoted value is probably not closed\); close the quote"),
    (b"a,b\n1,\xff\n", r"not UTF-8 text; save the file as UTF-8"),
])
def test_bad_csv_fails_in_one_line_naming_the_problem(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert re.search(expected, error_line("scan", path, "--nlp-model", "none"))
    assert re.search(expected, error_line("fit", path, "--out", tmp_path / "m", "--model", "gaussian_copula"))
    assert not (tmp_path / "m").exists()


def test_missing_input_file_is_named(tmp_path):
    assert "nothere.csv not found" in error_line("scan", tmp_path / "nothere.csv")


def test_unknown_job_file_key_is_named(tmp_path, table):
    job = tmp_path / "job.toml"
    job.write_text(f'[input]\npath = "{table}"\n[privacy]\nepsilom = 1.0\n')
    line = error_line("run", job)
    assert "privacy.epsilom" in line and "Extra inputs are not permitted" in line


@pytest.mark.parametrize(("value", "expected"), [
    ("abc", "Invalid value for '--epsilon'"), ("0", "--epsilon .*greater than 0"),
    ("-1", "--epsilon .*greater than 0"), ("nan", "--epsilon"), ("inf", "--epsilon .*finite"),
])
def test_bad_epsilon_is_refused_before_reading_data(tmp_path, table, value, expected):
    assert re.search(expected, error_line("fit", table, "--out", tmp_path / "m", "--epsilon", value))


def test_delta_at_least_one_over_n_is_one_line(tmp_path, table):
    line = error_line("fit", table, "--out", tmp_path / "m", "--epsilon", "1", "--delta", "0.01")
    assert "at least 1/rows (1/300)" in line and "use delta below" in line


def test_unknown_target_is_named_with_the_choices(tmp_path, table):
    line = error_line("fit", table, "--out", tmp_path / "m", "--model", "gaussian_copula", "--target", "nope")
    assert "'nope'" in line and "choose one of" in line and "grade" in line


@pytest.mark.parametrize(("spec", "expected"), [
    ("nope=A:0.3", "column 'nope' is not modelled"), ("grade=Z:0.3", "no category 'Z'"),
    ("grade=A:1.5", r"must be in \(0, 1\)"), ("grade=A:0", r"must be in \(0, 1\)"),
    ("grade=A:x", "not a number"), ("grade", "expected COL=VALUE:SHARE"),
])
def test_bad_oversample_is_one_line(model, tmp_path, spec, expected):
    assert re.search(expected, error_line("sample", model, "--rows", "10", "--out", tmp_path / "s.csv",
                                          "--oversample", spec))
    assert not (tmp_path / "s.csv").exists()


def test_too_few_rows_for_a_model(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("a,b\n" + "".join(f"{i},x\n" for i in range(4)))
    assert "has 4 rows; a model needs at least 10" in error_line("fit", path, "--out", tmp_path / "m",
                                                                 "--model", "gaussian_copula")


def test_unsupported_values_are_named_with_column_and_row(tmp_path):
    path = tmp_path / "nested.parquet"
    pd.DataFrame({"x": range(20), "tags": [["a", "b"]] * 19 + [["c"]]}).to_parquet(path)
    line = error_line("fit", path, "--out", tmp_path / "m", "--model", "gaussian_copula")
    assert "column 'tags'" in line and "row 0" in line and "flatten" in line


def _retamper_manifest(folder: Path, name: str, text: str) -> None:
    """Replace a file and fix up the manifest: the damage the manifest cannot see."""
    (folder / name).write_text(text)
    manifest = json.loads((folder / "manifest.json").read_text())
    from synthrecords.read import file_sha256

    manifest["files"][name] = file_sha256(folder / name)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_unexpected_errors_are_one_line_with_a_debug_hint_and_debug_shows_the_trace(model, tmp_path):
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(model, broken)
    state = json.loads((broken / "synthesizer.json").read_text())
    del state["params"]  # a file no version writes: an internal KeyError, not a user error
    _retamper_manifest(broken, "synthesizer.json", json.dumps(state))
    code, _, err = cli("sample", broken, "--rows", "5", "--out", tmp_path / "s.csv")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "unexpected KeyError" in err and "rerun with --debug" in err
    result = RUNNER.invoke(app, ["--debug", "sample", str(broken), "--rows", "5", "--out", str(tmp_path / "s.csv")])
    assert isinstance(result.exception, KeyError) and "error:" not in result.stderr  # the trace, not the line


def test_debug_shows_the_trace_of_a_user_error_too(tmp_path):
    result = RUNNER.invoke(app, ["--debug", "scan", str(tmp_path / "nothere.csv")])
    assert isinstance(result.exception, SynthRecordsError)


def test_usage_errors_are_one_line_too(table, tmp_path):
    assert "No such option: --bogus" in error_line("fit", table, "--out", tmp_path / "m", "--bogus")
    assert "No such command 'nosuch'" in error_line("nosuch")


# -- awkward but valid data: handled and reported --------------------------------------------
def _awkward(n: int = 400) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    x = rng.normal(50, 10, n).round(2)
    return {
        "all_null": pd.DataFrame({"x": x, "empty": [None] * n, "empty_float": [np.nan] * n}),
        "constant": pd.DataFrame({"x": x, "same": ["same"] * n, "seven": [7] * n}),
        "mixed_types": pd.DataFrame({"x": x, "mixed": [1, "a", 2.5, None] * (n // 4)}),
        "high_cardinality": pd.DataFrame({"x": x, "id_like": [f"v{i}" for i in range(n)]}),
        "unicode": pd.DataFrame({"x": x, "text": ["café 😀", "naïve", "日本語", "🎉"] * (n // 4),
                                 "😀": rng.integers(0, 3, n)}),
        "nan_inf": pd.DataFrame({"x": np.where(rng.random(n) < 0.1, np.inf, x),
                                 "y": np.where(rng.random(n) < 0.1, -np.inf, np.nan)}),
        "tz_datetimes": pd.DataFrame({"x": x, "when": pd.date_range("2024-01-01", periods=n, freq="h",
                                                                    tz="Europe/Paris")}),
        "bool_strings": pd.DataFrame({"x": x, "yes_no": ["yes", "no"] * (n // 2),
                                      "tf": ["True", "False", "false", None] * (n // 4)}),
        "duplicate_names": pd.DataFrame(np.c_[x, x + 1, rng.integers(0, 5, n)], columns=["a", "a", "b"]),
    }


NOTED = {"mixed_types": "mixed types", "nan_inf": "infinite values treated as missing",
         "tz_datetimes": "time zone Europe/Paris", "duplicate_names": "'a' -> 'a_2'"}


def _fit_save_sample(data: pd.DataFrame, tmp_path: Path, **settings) -> tuple[Synthesizer, pd.DataFrame]:
    synth = Synthesizer(nlp_model=None, seed=0, **settings).fit(data)
    synth.save(tmp_path / "m")
    return synth, Synthesizer.load(tmp_path / "m").sample(60, seed=1)


@pytest.mark.parametrize("case", list(_awkward()))
def test_awkward_data_is_modelled_saved_and_reported(case, tmp_path):
    data = _awkward()[case]
    synth, out = _fit_save_sample(data, tmp_path, model="gaussian_copula")
    assert len(out) == 60
    expected = [c if c != "a" or i == 0 else "a_2" for i, c in enumerate(data.columns)]
    assert list(out.columns) == expected
    if case in NOTED:
        assert any(NOTED[case] in note for note in synth.notes_), synth.notes_
    if case == "nan_inf":
        assert not np.isinf(pd.to_numeric(out["x"], errors="coerce")).any()
    if case == "tz_datetimes":
        assert str(out["when"].dt.tz) == "Europe/Paris"
    if case == "constant":
        assert set(out["same"]) == {"same"} and set(out["seven"]) == {7}


def test_awkward_data_is_modelled_under_dp_too(tmp_path):
    """Every awkward column in one table (one DP fit keeps the suite fast)."""
    cases = _awkward()
    parts = [frame.drop(columns="x").add_prefix(f"{name}.") for name, frame in cases.items()
             if name not in ("duplicate_names", "nan_inf")]
    data = pd.concat([cases["nan_inf"].add_prefix("nan_inf."), *parts, cases["duplicate_names"]], axis=1)
    synth, out = _fit_save_sample(data, tmp_path, epsilon=5.0, epochs=1)
    assert len(out) == 60 and list(out.columns) == [*data.columns[:-3], "a", "a_2", "b"]
    for text in NOTED.values():
        assert any(text in note for note in synth.notes_), (text, synth.notes_)
    assert str(out["tz_datetimes.when"].dt.tz) == "Europe/Paris"
    assert not np.isinf(pd.to_numeric(out["nan_inf.x"], errors="coerce")).any()
    assert synth.ledger_.epsilon_spent() <= 5.0


def test_notes_travel_with_the_saved_model_and_into_the_release(tmp_path):
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x": np.where(rng.random(200) < 0.1, np.inf, rng.normal(size=200)),
                         "c": rng.choice(list("abc"), 200)})
    synth = Synthesizer(model="gaussian_copula", nlp_model=None).fit(data)
    synth.save(tmp_path / "m")
    assert Synthesizer.load(tmp_path / "m").notes_ == synth.notes_
    job = JobConfig.from_dict({"output": {"dir": str(tmp_path / "run"), "rows": 50},
                               "model": {"name": "gaussian_copula", "seed": 1}, "pii": {"nlp_model": None}})
    result = run_job(job, data)
    assert any("infinite" in n for n in result.report["run"]["notes"])
    assert any("infinite" in n for n in json.loads((tmp_path / "run" / "owner" / "report.json").read_text())["run"]["notes"])


# -- nothing half-written ---------------------------------------------------------------------
def test_fit_refuses_an_existing_out_folder_unless_overwrite(table, model, tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    (out / "keep.txt").write_text("earlier")
    (out / "manifest.json").write_text('{"files": {}}')  # an earlier model: ours, so --overwrite may replace it
    line = error_line("fit", table, "--out", out, "--model", "gaussian_copula")
    assert "already exists" in line and "--overwrite" in line
    assert (out / "keep.txt").read_text() == "earlier"
    code, _, err = cli("fit", table, "--out", out, "--model", "gaussian_copula", "--overwrite")
    assert code == 0, err
    assert not (out / "keep.txt").exists() and (out / "manifest.json").exists()


def test_save_refuses_an_existing_folder_unless_overwrite(model, tmp_path):
    synth = Synthesizer.load(model)
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        synth.save(model)
    synth.save(tmp_path / "copy")
    synth.save(tmp_path / "copy", overwrite=True)


def test_a_job_refuses_an_earlier_release_before_doing_any_work(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "report.json").write_text("{}")
    job = JobConfig.from_dict({"input": {"path": str(tmp_path / "not-even-read.csv")}, "output": {"dir": str(out)}})
    with pytest.raises(OutputExistsError, match=r"overwrite = true\s+under \[output\]"):
        run_job(job)
    assert (out / "report.json").read_text() == "{}"


def test_run_replaces_an_earlier_release_only_with_overwrite(tmp_path, table):
    out = tmp_path / "run"
    out.mkdir()
    (out / "synthetic.csv").write_text("earlier release\n")
    (out / "manifest.json").write_text('{"run": "earlier", "files": {}}')
    job_file = tmp_path / "job.toml"
    job_file.write_text(f'[input]\npath = "{table}"\n[output]\ndir = "{out}"\nrows = 50\n'
                        '[model]\nname = "gaussian_copula"\nseed = 1\n[validate]\nholdout = 0.0\n')
    assert "already exists" in error_line("run", job_file)
    assert (out / "synthetic.csv").read_text() == "earlier release\n"
    code, _, err = cli("run", job_file, "--overwrite")
    assert code == 0, err
    assert len(pd.read_csv(out / "share" / "synthetic.csv")) == 50 and (out / "owner" / "manifest.json").exists()
    assert not (out / "synthetic.csv").exists()  # the earlier release is gone, not mixed in
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_overwrite_true_in_the_job_file_passes_the_check(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "report.json").write_text('{"run": {}}')
    job_file = tmp_path / "job.toml"
    job_file.write_text(f'[input]\npath = "missing.csv"\n[output]\ndir = "{out}"\noverwrite = true\n')
    assert "missing.csv not found" in error_line("run", job_file)  # past the output check


def test_ctrl_c_inside_atomic_dir_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt), atomic_dir(tmp_path / "m") as tmp:
        (tmp / "half.json").write_text("{")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_a_ctrl_c_swallowed_on_its_way_still_stops_the_output(tmp_path):
    # jax's garbage-collector callback printed the KeyboardInterrupt as "ignored" and the fit saved
    # its model (status 0 in 1 of 4 runs): the signal is remembered and checked before any output.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as a CLI process starts
    hook, reported = sys.unraisablehook, []
    sys.unraisablehook = reported.append
    try:
        with interrupt.caught():
            class Collected:
                def __del__(self):
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(0.1)  # the handler runs here, inside __del__, and its exception is dropped

            Collected()
            with pytest.raises(KeyboardInterrupt), atomic_dir(tmp_path / "m") as tmp:
                (tmp / "model.json").write_text("{}")
            assert list(tmp_path.iterdir()) == []
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back
        assert reported == [] and sys.unraisablehook == reported.append  # no "Exception ignored" trace
    finally:
        interrupt.handled()
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = hook


def test_ctrl_c_during_fit_leaves_no_model_folder(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "big.csv"
    pd.DataFrame({"x": rng.normal(size=3000), "c": rng.choice(list("abcdef"), 3000)}).to_csv(data, index=False)
    out = tmp_path / "m"  # dpctgan for 300 epochs: still training when the signal comes, on any box
    # A shell's background job starts with SIGINT ignored, which a child inherits and Python
    # keeps; a handler in the parent is reset to the default on exec, as a terminal's Ctrl-C finds it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "synthrecords", "--verbose", "fit", str(data), "--out", str(out),
                                 "--epsilon", "8", "--model", "dpctgan", "--epochs", "300"], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONWARNINGS": "ignore"})
    finally:
        signal.signal(signal.SIGINT, previous)
    lines = []
    deadline = time.monotonic() + 120
    for line in proc.stderr:  # wait until training has started
        lines.append(line)
        if "domain released under DP" in line or time.monotonic() > deadline:
            break
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, "".join(lines) + rest
    assert "interrupted" in rest and "Traceback" not in rest
    assert list(tmp_path.iterdir()) == [data]


# -- model folders: manifest, verified on load, no pickle -------------------------------------
def _copy(model: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(model, tmp_path / "copy"))


def test_model_folder_has_a_manifest_of_every_file(model):
    from synthrecords.read import file_sha256

    files = json.loads((model / "manifest.json").read_text())["files"]
    assert set(files) == {p.name for p in model.iterdir()} - {"manifest.json"}
    assert all(file_sha256(model / name) == digest for name, digest in files.items())


def test_a_tampered_file_fails_naming_the_file(model, tmp_path):
    folder = _copy(model, tmp_path)
    text = (folder / "sdv_state.json").read_text()
    (folder / "sdv_state.json").write_text(text.replace("copulas", "os.system", 1))
    with pytest.raises(SynthRecordsError, match=r"sdv_state.json does not match its sha256"):
        Synthesizer.load(folder)
    assert "sdv_state.json does not match" in error_line("sample", folder, "--rows", "5", "--out", tmp_path / "s.csv")


def test_a_truncated_tensor_file_fails_naming_the_file(model, tmp_path):
    folder = _copy(model, tmp_path)
    blob = (folder / "sdv_state.safetensors").read_bytes()
    (folder / "sdv_state.safetensors").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(SynthRecordsError, match=r"sdv_state.safetensors does not match its sha256.*truncated"):
        Synthesizer.load(folder)


def test_a_missing_file_or_manifest_fails_clearly(model, tmp_path):
    folder = _copy(model, tmp_path)
    (folder / "ledger.json").unlink()
    with pytest.raises(SynthRecordsError, match="ledger.json is listed in the manifest but missing"):
        Synthesizer.load(folder)
    (folder / "manifest.json").unlink()
    with pytest.raises(SynthRecordsError, match="manifest.json is missing"):
        Synthesizer.load(folder)


def test_a_damaged_tensor_file_is_named_even_without_the_manifest(model, tmp_path):
    from synthrecords.models.modelstate import load_state

    folder = _copy(model, tmp_path)
    (folder / "sdv_state.safetensors").write_bytes(b"\x00" * 16)
    with pytest.raises(SynthRecordsError, match="sdv_state.safetensors"):
        load_state(folder, "sdv_state")


def test_no_pickle_anywhere_in_the_package():
    """Model files are JSON + safetensors: no pickle, joblib, or torch.load without weights_only."""
    offenders = []
    for path in (ROOT / "synthrecords").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            if re.search(r"\b(import pickle|pickle\.|cloudpickle|joblib|dill)\b", code) or \
                    ("torch.load(" in code and "weights_only=True" not in code):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []
