"""The dataset budget cannot be sidestepped by reshuffling the data or editing its ledger."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synthrecords import Synthesizer
from synthrecords.cli import app
from synthrecords.config import JobConfig
from synthrecords.privacy.budget import (
    BudgetTamperedError,
    DatasetBudget,
    _digest,
    dataset_sha256,
    legacy_dataset_sha256,
)
from synthrecords.privacy.ledger import BudgetExceededError, PrivacyLedger
from synthrecords.read import load_table


def fit_ledger(epsilon: float = 1.0) -> PrivacyLedger:
    ledger = PrivacyLedger(epsilon, 1e-5)
    ledger.start_fit()
    ledger.record("domain", noise_multiplier=8.0)
    ledger.record("train", noise_multiplier=3.0, sample_rate=0.05, steps=100)
    return ledger


@pytest.fixture
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(50, 10, 300).round(1), "c": rng.choice(list("abc"), 300),
                         "when": pd.to_datetime("2021-01-01") + pd.to_timedelta(rng.integers(0, 99, 300), unit="D")})


def test_the_identity_ignores_row_order_column_order_and_names(data):
    shuffled = data.sample(frac=1, random_state=3).reset_index(drop=True)
    assert dataset_sha256(shuffled[["when", "c", "x"]].rename(columns={"x": "amount", "c": "kind"})) == dataset_sha256(data)


def test_the_identity_survives_a_csv_round_trip_and_changes_with_the_values(data, tmp_path):
    data.to_csv(tmp_path / "d.csv", index=False)
    numbers = data.drop(columns="when")
    numbers.to_csv(tmp_path / "n.csv", index=False)
    assert dataset_sha256(load_table(tmp_path / "n.csv")) == dataset_sha256(numbers)
    edited = data.copy()
    edited.loc[0, "c"] = "z"
    assert dataset_sha256(edited) != dataset_sha256(data)


def test_a_shuffled_renamed_copy_spends_the_same_budget(data, tmp_path):
    settings = {"epsilon": 1.0, "epochs": 1, "nlp_model": None, "dataset_budget": 1.5, "budget_file": tmp_path / "b.json"}
    Synthesizer(seed=0, **settings).fit(data)
    disguised = data.sample(frac=1, random_state=1)[["c", "x", "when"]].rename(columns={"x": "value"})
    with pytest.raises(BudgetExceededError, match="of its budget 1.5"):
        Synthesizer(seed=1, **settings).fit(disguised.reset_index(drop=True))


def test_a_named_dataset_keeps_its_budget_across_edits_of_the_data(data, tmp_path):
    settings = {"epsilon": 1.0, "epochs": 1, "nlp_model": None, "dataset_budget": 1.5, "budget_file": tmp_path / "b.json",
                "dataset_id": "crm-extract"}
    first = Synthesizer(seed=0, **settings).fit(data)
    assert first.budget_["dataset"] == "crm-extract"
    with pytest.raises(BudgetExceededError, match="crm-extract"):
        Synthesizer(seed=1, **settings).fit(data.head(250))


def test_dataset_id_is_a_cli_option_and_a_job_key(tmp_path, data):
    assert JobConfig.from_dict({"privacy": {"dataset_id": "crm"}}).privacy.dataset_id == "crm"
    csv = tmp_path / "d.csv"
    data.to_csv(csv, index=False)
    (tmp_path / "job.toml").write_text('[pii]\nnlp_model = "none"\n')
    result = CliRunner().invoke(app, ["fit", str(csv), "--epsilon", "1", "--epochs", "1", "--dataset-budget", "3",
                                      "--budget-file", str(tmp_path / "b.json"), "--dataset-id", "crm",
                                      "--config", str(tmp_path / "job.toml"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert list(json.loads((tmp_path / "b.json").read_text())["datasets"]) == ["crm"]


# -- tamper evidence ---------------------------------------------------------------

def ledger_file(tmp_path, fits=3):
    budget = DatasetBudget(10.0, tmp_path / "b.json")
    for i in range(fits):
        budget.charge("d1" if i % 2 == 0 else "d2", fit_ledger(), model="dpctgan")
    return budget


def edit(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(("name", "change", "message"), [
    ("spend lowered", lambda d: d["datasets"]["d1"]["fits"][0].update(epsilon=0.01), "fit #1 .* does not match its link"),
    ("entry emptied", lambda d: d["datasets"]["d1"]["fits"][0].update(entries=[]), "does not match its link"),
    ("first fit removed", lambda d: d["datasets"]["d1"]["fits"].pop(0), "fit #1 is missing"),
    ("last fit removed", lambda d: d["datasets"]["d1"]["fits"].pop(), "the seal does not match"),
    ("dataset removed", lambda d: d["datasets"].pop("d2"), "fit #2 is missing"),
    ("moved to another dataset", lambda d: d["datasets"]["d2"]["fits"].append(d["datasets"]["d1"]["fits"].pop()),
     "does not match its link"),
    ("chain record removed", lambda d: d.pop("chain"), "chain record is missing"),
])
def test_an_edited_budget_ledger_refuses_to_fit(tmp_path, name, change, message):
    budget = ledger_file(tmp_path)
    edit(budget.path, change)
    with pytest.raises(BudgetTamperedError, match=message):
        budget.check("d1", 1.0)
    with pytest.raises(BudgetTamperedError):
        DatasetBudget(None, budget.path).check("d3", 1.0)  # no cap, another dataset: still refused


def test_with_a_key_a_forger_who_rewrites_the_hashes_is_caught(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHRECORDS_BUDGET_KEY", "k" * 32)
    budget = ledger_file(tmp_path, fits=1)
    budget.check("d1", 1.0)

    def forge(doc):  # lower the spend and recompute every link and the seal, as sha256 without the key
        fit = doc["datasets"]["d1"]["fits"][0]
        fit["epsilon"] = 0.01
        fit["link"] = _digest(None, {"dataset": "d1", "fit": {k: v for k, v in fit.items() if k != "link"}})
        doc["chain"]["head"] = fit["link"]
        doc["chain"]["seal"] = _digest(None, {"seal": fit["link"], "count": 1, "unchained": []})

    edit(budget.path, forge)
    with pytest.raises(BudgetTamperedError, match="does not match its link"):
        budget.check("d1", 1.0)
    monkeypatch.delenv("SYNTHRECORDS_BUDGET_KEY")
    with pytest.raises(BudgetTamperedError, match="written with a key"):
        budget.check("d1", 1.0)


def test_a_ledger_from_before_chaining_still_counts_and_is_chained_from_then_on(tmp_path, data):
    path = tmp_path / "b.json"
    old_id = legacy_dataset_sha256(data)
    fit = {"at": "2026-01-01T00:00:00+00:00", "model": "dpctgan", "epsilon": 1.0, "delta": 1e-5,
           "entries": [e.__dict__ for e in fit_ledger().entries], "over_budget": False}
    path.write_text(json.dumps({"format": "synthrecords-budget/1", "datasets": {old_id: {"fits": [fit]}}}))
    budget = DatasetBudget(1.5, path)
    with pytest.raises(BudgetExceededError, match="in 1 fit"):
        budget.check(dataset_sha256(data), 1.0, aliases=(old_id,))
    DatasetBudget(None, path).charge(dataset_sha256(data), fit_ledger(), model="dpctgan", aliases=(old_id,))
    doc = json.loads(path.read_text())
    assert doc["format"] == "synthrecords-budget/2" and list(doc["datasets"]) == [dataset_sha256(data)]
    assert len(doc["datasets"][dataset_sha256(data)]["fits"]) == 2
    edit(path, lambda d: d["datasets"][dataset_sha256(data)]["fits"][0].update(epsilon=0.1))  # the unlinked one
    with pytest.raises(BudgetTamperedError, match="seal"):
        budget.check(dataset_sha256(data), 1.0)
