"""Commands never destroy what the user did not ask to replace."""

from __future__ import annotations

import errno
import os

import pandas as pd
import pytest
from typer.testing import CliRunner

from synthrecords.atomic import OutputExistsError, atomic_dir, target_lock, write_table
from synthrecords.cli import app
from synthrecords.errors import SynthRecordsError


def cli(*args) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "real.csv"
    pd.DataFrame({"a": range(30), "b": ["x", "y", "z"] * 10}).to_csv(path, index=False)
    return path


def test_validate_refuses_an_existing_out_folder_without_overwrite(tmp_path, table):
    out = tmp_path / "report"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, text = cli("validate", table, table, "--out", out)
    assert code == 2 and "already exists" in text and "--overwrite" in text
    assert (out / "notes.txt").read_text() == "mine"


def test_sample_refuses_an_existing_out_file_before_loading_the_model(tmp_path):
    out = tmp_path / "synthetic.csv"
    out.write_text("precious\n")
    code, text = cli("sample", tmp_path / "no-such-model", "--rows", 5, "--out", out)
    assert code == 2 and "already exists" in text
    assert out.read_text() == "precious\n"


def test_protect_never_writes_over_its_own_input(table):
    before = table.read_bytes()
    code, text = cli("protect", table, "--out", table, "--overwrite", "--nlp-model", "none")
    assert code == 2 and "input of this command" in text
    assert table.read_bytes() == before


def test_protect_refuses_an_existing_out_file_without_overwrite(tmp_path, table):
    out = tmp_path / "p.csv"
    out.write_text("old\n")
    code, text = cli("protect", table, "--out", out, "--nlp-model", "none")
    assert code == 2 and "already exists" in text and out.read_text() == "old\n"


def test_run_with_overwrite_never_replaces_the_folder_holding_the_job_and_input(tmp_path, table):
    (tmp_path / "unrelated.txt").write_text("keep me")
    job = tmp_path / "job.toml"
    job.write_text('[input]\npath = "real.csv"\n[output]\ndir = "."\noverwrite = true\n[model]\nname = "gaussian_copula"\n')
    code, text = cli("run", job, "--overwrite")
    assert code == 2 and "never replaced" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.toml", "real.csv", "unrelated.txt"]


def test_the_current_folder_is_never_replaced(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(OutputExistsError, match="current folder"), atomic_dir(tmp_path, overwrite=True):
        pass


def test_a_non_empty_folder_this_tool_did_not_write_is_not_replaced_even_with_overwrite(tmp_path):
    target = tmp_path / "photos"
    target.mkdir()
    (target / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(OutputExistsError, match="did not write"), atomic_dir(target, overwrite=True):
        pass
    assert (target / "holiday.jpg").exists()


def test_a_release_folder_is_replaced_with_overwrite(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "manifest.json").write_text('{"run": "x", "files": {}}')
    with atomic_dir(target, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no lock or temporary left


def test_stale_temporary_siblings_of_a_killed_run_are_removed(tmp_path):
    stale = tmp_path / ".run.tmp-abc123"
    stale.mkdir()
    (stale / "half.csv").write_text("1,2")
    with atomic_dir(tmp_path / "run", overwrite=False) as tmp:
        (tmp / "x").write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_the_old_result_of_a_replace_cut_short_is_kept_and_reported(tmp_path, caplog):
    old = tmp_path / ".run.old-999"
    old.mkdir()
    (old / "synthetic.csv").write_text("a\n1\n")
    with atomic_dir(tmp_path / "run", overwrite=False) as tmp:
        (tmp / "x").write_text("x")
    assert old.exists() and "rename it back" in caplog.text


def test_a_second_writer_of_the_same_target_fails_while_the_first_writes(tmp_path):
    target = tmp_path / "run"
    with target_lock(target):
        with pytest.raises(OutputExistsError, match=f"being written by process {os.getpid()}"), \
                atomic_dir(target, overwrite=True):
            pass
        with pytest.raises(OutputExistsError, match="being written"):
            write_table(tmp_path / "run", pd.DataFrame({"a": [1]}))
    assert not target.exists()


def test_a_file_that_appears_during_the_write_is_not_replaced(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    real_to_csv = pd.DataFrame.to_csv

    def racing_to_csv(self, *args, **kwargs):
        path.write_text("someone else's\n")  # another program creates the target meanwhile
        return real_to_csv(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", racing_to_csv)
    with pytest.raises(OutputExistsError):
        write_table(path, pd.DataFrame({"a": [1]}), overwrite=False)
    assert path.read_text() == "someone else's\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_full_disk_names_the_path_and_the_bytes(tmp_path):
    target = tmp_path / "run"
    needed = r"no space left .*run: about 5 bytes are needed; [\d,]+ bytes are free"
    with pytest.raises(SynthRecordsError, match=needed), atomic_dir(target, overwrite=False) as tmp:
        (tmp / "part").write_text("12345")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []
