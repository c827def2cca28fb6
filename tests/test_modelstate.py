from collections import OrderedDict

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from synthrecords.errors import SynthRecordsError
from synthrecords.models.modelstate import load_state, save_state

leaves = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=False),
                   st.text(max_size=10))
trees = st.recursive(leaves, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.tuples(kids, kids),
    st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), kids, max_size=4)), max_leaves=20)


@settings(max_examples=40, deadline=None)
@given(trees)
def test_plain_values_round_trip(tmp_path_factory, tree):
    folder = tmp_path_factory.mktemp("s")
    save_state(tree, folder, "x")
    assert load_state(folder, "x") == tree


def test_arrays_frames_and_random_states_round_trip(tmp_path):
    rs = np.random.RandomState(3)
    state = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "o": np.array(["x", None], dtype=object),
             "s": pd.Series([1.5, np.nan], index=["p", "q"], name="n"),
             "f": pd.DataFrame({"c": ["u", "v"], "d": [1, 2]}), "rs": rs, "od": OrderedDict(b=1, a=2),
             "nan": float("nan"), "np": np.int64(7), "set": {1, 2}, "t": pd.Timestamp("2020-01-02")}
    save_state(state, tmp_path, "x")
    back = load_state(tmp_path, "x")
    assert back["a"].dtype == np.float32 and np.array_equal(back["a"], state["a"])
    assert list(back["o"]) == ["x", None]
    pd.testing.assert_series_equal(back["s"], state["s"])
    pd.testing.assert_frame_equal(back["f"], state["f"])
    assert back["rs"].randint(0, 10**9) == rs.randint(0, 10**9)
    assert list(back["od"]) == ["b", "a"] and np.isnan(back["nan"])
    assert back["np"] == 7 and type(back["np"]) is np.int64
    assert back["set"] == {1, 2} and back["t"] == state["t"]


def test_torch_modules_round_trip_with_identical_outputs(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    save_state(net, tmp_path, "net")
    back = load_state(tmp_path, "net")
    x = torch.randn(5, 4)
    assert torch.equal(net(x), back(x))


def test_files_are_json_and_safetensors_not_pickle(tmp_path):
    save_state({"w": np.ones(3)}, tmp_path, "m")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.safetensors"]
    assert b"\x80\x04" not in (tmp_path / "m.json").read_bytes()


def test_unknown_types_are_refused_at_save_time(tmp_path):
    with pytest.raises(TypeError, match=r"x\['f'\]"):
        save_state({"f": lambda: 1}, tmp_path, "x")


def test_classes_outside_the_allowlist_are_refused_at_load_time(tmp_path):
    save_state({"k": 1}, tmp_path, "x")
    (tmp_path / "x.json").write_text('{"format": "synthrecords-state/1", "state": {"__object__": "os:system", "state": {}}}')
    with pytest.raises(SynthRecordsError, match="not allowed"):
        load_state(tmp_path, "x")


@pytest.mark.parametrize("name", ["dpctgan", "gaussian_copula"])
def test_a_model_folder_saved_before_the_stage_layout_still_loads_and_samples(name):
    from pathlib import Path

    from synthrecords import Synthesizer

    folder = Path(__file__).parent / "data" / "models_v0" / name
    synth = Synthesizer.load(folder)
    rows = synth.sample(50, seed=3)
    assert len(rows) == 50 and list(rows.columns) == synth.column_order_
