"""Model folders from strangers: only allowlisted classes are rebuilt, every file is accounted for.

Each hostile folder is refused through the real CLI (`synthrecords sample BAD ...`) with exit
status 2 and a one-line reason, and nothing the file names is ever called (a marker file that
a reached callable would create stays absent).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from typer.testing import CliRunner

from synthrecords import Synthesizer
from synthrecords.cli import app
from synthrecords.errors import SynthRecordsError
from synthrecords.models.allowed import ALLOWED_CLASSES


def mixed_table(n: int = 60) -> pd.DataFrame:
    """Numbers, categories, booleans, dates and nulls: every kind of column SDV encodes."""
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "age": rng.integers(18, 90, n).astype(float),
        "income": np.where(rng.random(n) < 0.2, np.nan, rng.normal(50_000, 9_000, n)),
        "plan": rng.choice(["basic", "plus", "pro", None], n),
        "active": rng.random(n) < 0.5,
        "joined": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
        "constant": 7.0,
    })


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("model") / "gc"
    Synthesizer(model="gaussian_copula", nlp_model=None, seed=1).fit(mixed_table()).save(folder)
    return folder


def test_every_allowlisted_name_is_a_class_defined_in_its_module():
    for name in ALLOWED_CLASSES:
        module, _, qual = name.partition(":")
        cls = vars(importlib.import_module(module)).get(qual)
        assert isinstance(cls, type) and (cls.__module__, cls.__qualname__) == (module, qual), name


@pytest.mark.parametrize("model", ["gaussian_copula", "ctgan", "tvae", "dpctgan", "marginals"])
def test_each_engine_round_trips_a_table_of_every_column_kind(tmp_path, model):
    epsilon = 5.0 if model in ("dpctgan", "marginals") else None
    synth = Synthesizer(model=model, epsilon=epsilon, epochs=1 if model not in ("gaussian_copula", "marginals") else None,
                        nlp_model=None, seed=2).fit(mixed_table())
    synth.save(tmp_path / "m")
    back = Synthesizer.load(tmp_path / "m")
    rows = back.sample(30, seed=4)
    assert len(rows) == 30 and list(rows.columns) == synth.column_order_
    pd.testing.assert_frame_equal(rows, synth.sample(30, seed=4))


# -- the hostile corpus --------------------------------------------------------------

def _rehash(folder: Path) -> None:
    """Rewrite the manifest as a forger would, so only the decoder stands in the way."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"] = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in manifest["files"]}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _with_state(folder: Path, payload: object) -> None:
    """Put ``payload`` into the SDV state where the real synthesizer state sits."""
    doc = json.loads((folder / "sdv_state.json").read_text())
    doc["state"]["__dict__"].append(["payload", "PAYLOAD"])
    raw = payload.text if isinstance(payload, Raw) else json.dumps(payload)
    (folder / "sdv_state.json").write_text(json.dumps(doc).replace('"PAYLOAD"', raw))
    _rehash(folder)


class Raw:
    """JSON text too deep for json.dumps to write."""

    def __init__(self, text: str) -> None:
        self.text = text


def _deep(levels: int) -> object:
    node: object = 1
    for _ in range(levels):
        node = [node]
    return node


def _object(name: str, **state: object) -> dict:
    return {"__object__": name, "state": state}


def hostile(marker: Path) -> dict:
    touch = ["touch", str(marker)]
    return {
        # subprocess.Popen reached through a synthrecords module that imports subprocess
        "callable through an import": {"__namedtuple__": "synthrecords.dashboard:subprocess.Popen", "values": [touch]},
        "class through an import": _object("synthrecords.dashboard:subprocess.Popen", args=touch),
        "builtins": {"__namedtuple__": "builtins:tuple", "values": []},
        "dotted qualname": {"__class__": "rdt.transformers.null:NullTransformer.__init__"},
        "imported class under an allowed module": {"__class__": "ctgan.synthesizers.ctgan:Linear"},
        "dunder attribute": _object("rdt.transformers.null:NullTransformer", __class__={"__class__": "copulas.univariate.beta:BetaUnivariate"}),
        "self method not allowlisted": _object("copulas.univariate.beta:BetaUnivariate", fit={"__self_method__": "fit"}),
        "unknown key": {"__tuple__": [], "call": "os.system"},
        "unknown tag": {"__reduce__": ["os:system", ["touch"]]},
        "deep nesting": _deep(200),
        "very deep nesting": Raw("[" * 200_000 + "]" * 200_000),
        "huge array shape": {"__ndarray_obj__": [], "shape": [10**12]},
        "bad dtype": {"__dtype__": "[('a', 'O')]"},
    }


@pytest.mark.parametrize("case", list(hostile(Path("m"))))
def test_a_hostile_state_file_is_refused_with_status_2_and_nothing_runs(tmp_path, model_dir, case):
    bad, marker = tmp_path / "bad", tmp_path / "MARKER"
    shutil.copytree(model_dir, bad)
    _with_state(bad, hostile(marker)[case])
    result = CliRunner().invoke(app, ["sample", str(bad), "--rows", "5", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "unexpected" not in result.output
    assert not marker.exists() and not (tmp_path / "o.csv").exists()


def _unlisted(folder: Path) -> None:
    (folder / "extra.py").write_text("print('hi')\n")


def _symlink(folder: Path) -> None:
    (folder / "engine.json").unlink()
    (folder / "engine.json").symlink_to("/etc/hostname")


def _manifest(edit) -> object:
    def apply(folder: Path) -> None:
        manifest = json.loads((folder / "manifest.json").read_text())
        edit(manifest["files"])
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return apply


FOLDER_CASES = {
    "unlisted file": (_unlisted, "not listed"),
    "symlink": (_symlink, "symbolic link"),
    "dropped from the manifest": (_manifest(lambda f: f.pop("sdv_state.json")), "not listed"),
    "empty files map": (_manifest(lambda f: f.clear()), "empty"),
    "path traversal": (_manifest(lambda f: f.update({"../outside.json": "0" * 64})), "not a plain path"),
    "absolute path": (_manifest(lambda f: f.update({"/etc/passwd": "0" * 64})), "not a plain path"),
    "changed file": (lambda d: (d / "ledger.json").write_text("{}"), "does not match its sha256"),
}


@pytest.mark.parametrize("case", list(FOLDER_CASES))
def test_a_model_folder_with_unaccounted_files_is_refused(tmp_path, model_dir, case):
    bad = tmp_path / "bad"
    shutil.copytree(model_dir, bad)
    damage, message = FOLDER_CASES[case]
    damage(bad)
    result = CliRunner().invoke(app, ["sample", str(bad), "--rows", "5", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_the_real_command_refuses_a_callable_reached_through_an_import(tmp_path, model_dir):
    bad, marker = tmp_path / "bad", tmp_path / "MARKER"
    shutil.copytree(model_dir, bad)
    _with_state(bad, hostile(marker)["callable through an import"])
    proc = run_cli("sample", bad, "--rows", "5", "--out", tmp_path / "o.csv", check=False)
    assert proc.returncode == 2 and "not allowed" in proc.stderr
    assert not marker.exists()


# -- signing -----------------------------------------------------------------------

def test_with_a_key_set_a_signed_folder_loads_and_a_forged_one_does_not(tmp_path, monkeypatch, model_dir):
    monkeypatch.setenv("SYNTHRECORDS_MODEL_KEY", "s3cret")
    synth = Synthesizer(model="gaussian_copula", nlp_model=None, seed=1).fit(mixed_table())
    synth.save(tmp_path / "signed")
    assert (tmp_path / "signed" / "manifest.sig").exists()
    Synthesizer.load(tmp_path / "signed")
    forged = tmp_path / "forged"
    shutil.copytree(tmp_path / "signed", forged)
    _with_state(forged, 1)  # an attacker without the key rewrites the manifest's hashes
    with pytest.raises(SynthRecordsError, match="does not match the manifest under the key"):
        Synthesizer.load(forged)
    monkeypatch.setenv("SYNTHRECORDS_MODEL_KEY", "another key")
    with pytest.raises(SynthRecordsError, match="another key|saved with another key"):
        Synthesizer.load(tmp_path / "signed")


def test_with_a_key_set_an_unsigned_folder_is_refused(monkeypatch, model_dir):
    monkeypatch.setenv("SYNTHRECORDS_MODEL_KEY", "s3cret")
    with pytest.raises(SynthRecordsError, match="not signed"):
        Synthesizer.load(model_dir)


def test_a_giant_state_file_is_refused_before_it_is_read(tmp_path, model_dir):
    from synthrecords.models.modelstate import MAX_JSON_BYTES, load_state

    shutil.copytree(model_dir, tmp_path / "m")
    with open(tmp_path / "m" / "sdv_state.json", "r+b") as fh:
        fh.truncate(MAX_JSON_BYTES + 1)  # sparse: no disk used, no memory if it is never read
    with pytest.raises(SynthRecordsError, match=r"sdv_state.json is 268,435,457 bytes, over the 268,435,456"):
        load_state(tmp_path / "m", "sdv_state")


def test_a_model_file_cannot_set_run_time_settings_such_as_the_budget_file(tmp_path, model_dir):
    bad = tmp_path / "bad"
    shutil.copytree(model_dir, bad)
    state = json.loads((bad / "synthesizer.json").read_text())
    state["params"]["budget_file"] = "/etc/passwd"
    (bad / "synthesizer.json").write_text(json.dumps(state))
    _rehash(bad)
    with pytest.raises(SynthRecordsError, match="sets 'budget_file', which a saved model never holds"):
        Synthesizer.load(bad)
