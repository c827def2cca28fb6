"""A release gives each column back in the input's pandas type, whatever the model worked in."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthrecords import Synthesizer
from synthrecords.errors import SynthRecordsError
from synthrecords.read import file_sha256, restore_types


def _table(n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "flag": rng.random(n) < 0.4,
        "code": rng.integers(-3, 3, n),  # small integer codes: modelled as categories
        "count": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 400, n)), dtype="Int64"),
        "amount": rng.gamma(2.0, 50.0, n).round(2),
        "when": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
        "label": rng.choice(["a", "b"], n),
    })


@pytest.mark.parametrize("model", ["marginals", "dpctgan"])
def test_dp_models_give_back_the_input_types(model, tmp_path):
    data = _table()
    synth = Synthesizer(epsilon=3.0, model=model, nlp_model=None, seed=0, epochs=1).fit(data)
    synth.save(tmp_path / "m")
    # A null-free column whose noisy null bin clears NULLABLE_Z std (~3e-5 of releases; 1e-3 at 3 std) is released
    # nullable: then its nulls come back in pandas' nullable type (CI on f618165 drew one for "flag")
    flag = "boolean" if synth.domain_["flag"].nullable else bool
    code = "Int64" if synth.domain_["code"].nullable else np.int64
    for out in (synth.sample(300, seed=1), Synthesizer.load(tmp_path / "m").sample(300, seed=1)):
        assert out["flag"].dtype == flag
        assert out["code"].dtype == code and set(out["code"].dropna()) <= set(range(-3, 3))
        assert pd.api.types.is_integer_dtype(out["count"]) and out["count"].isna().any()  # nulls kept: Int64
        assert pd.api.types.is_float_dtype(out["amount"])
        assert pd.api.types.is_datetime64_dtype(out["when"])
        assert out["label"].dtype == object


def test_a_value_that_does_not_convert_keeps_the_column_as_released():
    out = restore_types(pd.DataFrame({"age": ["[30, 40)", "[40, 50)", None], "born": ["1984-07", None, "1990"],
                                      "ok": ["3", "4", None], "yes": ["True", "False", "maybe"]}),
                        {}, {"age": "int", "born": "datetime", "ok": "int", "yes": "bool"})
    assert out["age"].tolist() == ["[30, 40)", "[40, 50)", None]  # a generalised release stays text
    assert out["born"].tolist() == ["1984-07", None, "1990"]
    assert out["ok"].dtype == "Int64" and out["ok"].tolist()[:2] == [3, 4]
    assert out["yes"].tolist() == ["True", "False", "maybe"]


def test_a_nullable_integer_column_saves_and_altered_types_are_refused(tmp_path):
    synth = Synthesizer(model="gaussian_copula", nlp_model=None, seed=0).fit(_table(200))
    folder = synth.save(tmp_path / "m")
    # SDV keeps the nullable Int64 type in its transformer: the model file stores it by name
    assert Synthesizer.load(folder).sample(50, seed=1)["count"].dtype == "Int64"
    assert json.loads((folder / "synthesizer.json").read_text())["dtypes"]["flag"] == "bool"
    _refused_with_dtype(folder, "flag", "eval")


def _refused_with_dtype(folder, column: str, kind: str) -> None:
    """A model folder whose saved type of ``column`` was altered to ``kind`` (its manifest re-signed
    as an attacker would) is refused on load."""
    state = json.loads((folder / "synthesizer.json").read_text())
    state["dtypes"][column] = kind
    (folder / "synthesizer.json").write_text(json.dumps(state))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["synthesizer.json"] = file_sha256(folder / "synthesizer.json")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SynthRecordsError, match="'dtypes' must map column names"):
        Synthesizer.load(folder)


def test_numbers_written_for_people_are_modelled_as_numbers_and_written_back_in_their_form(tmp_path):
    """'$2,442.02', '81.7%', '12,500': read as text, each value near unique, so a DP release
    suppressed them all ('*' in every synthetic row); now numbers, given back in the input's form."""
    from synthrecords.read import load_table

    rng = np.random.default_rng(0)
    n = 800
    amount = rng.lognormal(8, 1, n).round(2)
    data = pd.DataFrame({
        "money": [f"{'-' if v < 500 else ''}${v:,.2f}" for v in amount],
        "share": [f"{v:.1f}%" for v in rng.uniform(0, 100, n)],
        "units": [f"{int(v):,}" for v in rng.lognormal(8, 1, n)],
        "code": [f"{v:05d}" for v in rng.integers(0, 99999, n)],  # plain digits: an identifier stays text
        "mixed": rng.choice(["$5.00", "5.00%"], n),  # two forms: text
        "city": rng.choice(["Leeds", "York"], n),
    })
    path = tmp_path / "in.csv"
    data.to_csv(path, index=False)
    read = load_table(path)
    assert read["money"].iloc[0] == (-1 if amount[0] < 500 else 1) * amount[0]
    assert read["share"].dtype == float and read["units"].dtype == float
    assert read["code"].dtype == object and read["mixed"].dtype == object
    assert read.attrs["number_forms"] == {"money": "number:$||2|1", "share": "number:|%|1|0", "units": "number:||0|1"}
    # notes are kept in model folders: the form, never a real value
    assert "column 'money': numbers written with '$' and thousands separators (2 decimals)" in read.attrs["notes"][0]
    assert not any(value in note for note in read.attrs["notes"] for value in data["money"])
    synth = Synthesizer(epsilon=3.0, nlp_model=None, seed=0).fit(read)
    from synthrecords.job import privacy_scope

    assert any("of money, share, units: that every value is a number written for people" in s for s in privacy_scope(synth))
    out = Synthesizer.load(synth.save(tmp_path / "m")).sample(400, seed=1)
    assert out["money"].str.fullmatch(r"-?\$\d{1,3}(,\d{3})*\.\d\d").all()
    assert out["share"].str.fullmatch(r"\d+\.\d%").all() and out["units"].str.fullmatch(r"\d{1,3}(,\d{3})*").all()
    again = load_table(out)  # the written form reads back as the numbers the model drew
    assert again["money"].median() == pytest.approx(np.median(read["money"]), rel=0.5)
    released = synth.domain_["share"]  # the range is a DP release: fresh noise may reach a bin past 100
    assert again["share"].between(released.lower, released.upper).all()
    assert again["share"].between(0, 100).mean() > 0.9


def test_a_number_form_in_a_model_folder_is_checked(tmp_path):
    data = pd.DataFrame({"money": [f"${v:,.2f}" for v in np.random.default_rng(0).lognormal(8, 1, 300)],
                         "label": ["a", "b", "c"] * 100})
    folder = Synthesizer(model="gaussian_copula", nlp_model=None, seed=0).fit(data).save(tmp_path / "m")
    assert json.loads((folder / "synthesizer.json").read_text())["dtypes"]["money"] == "number:$||2|1"
    _refused_with_dtype(folder, "money", "number:{0.__class__}||2|1")
