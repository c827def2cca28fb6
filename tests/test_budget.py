"""Dataset budgets: a total epsilon per dataset across fits, in a persistent ledger file."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synthrecords import Synthesizer
from synthrecords.cli import app
from synthrecords.config import load_job
from synthrecords.errors import SynthRecordsError
from synthrecords.privacy.budget import DatasetBudget, composed, dataset_sha256, default_budget_file
from synthrecords.privacy.ledger import BudgetExceededError, PrivacyLedger


def fit_ledger(epsilon: float = 1.0, delta: float = 1e-5) -> PrivacyLedger:
    """A real ledger holding what one DP fit records: a domain release and DP-SGD steps."""
    ledger = PrivacyLedger(epsilon, delta)
    ledger.start_fit()
    ledger.record("domain", noise_multiplier=8.0)
    ledger.record("train", noise_multiplier=3.0, sample_rate=0.05, steps=100)  # epsilon 0.88
    return ledger


@pytest.fixture
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(50, 10, 300).round(1), "c": rng.choice(list("abc"), 300)})


def test_fits_on_one_dataset_are_composed_in_rdp_not_summed(tmp_path):
    budget = DatasetBudget(None, tmp_path / "b.json")
    one = fit_ledger()
    alone = one.epsilon_spent()
    budget.charge("d1", one, model="dpctgan")
    status = budget.charge("d1", fit_ledger(), model="dpctgan")
    assert status["fits"] == 2 and status["delta"] == pytest.approx(2e-5)
    assert alone < status["epsilon_spent"] < 2 * alone  # RDP composition beats the plain sum
    assert budget.spent("other")[0] == 0.0


def test_the_ledger_file_persists_and_names_each_fit(tmp_path):
    path = tmp_path / "nested" / "b.json"
    DatasetBudget(5.0, path).charge("d1", fit_ledger(), model="dpctgan")
    doc = json.loads(path.read_text())
    fit = doc["datasets"]["d1"]["fits"][0]
    assert fit["model"] == "dpctgan" and len(fit["entries"]) == 2 and fit["over_budget"] is False
    assert DatasetBudget(5.0, path).fits("d1") == [fit]  # read back by a new object
    assert [p.name for p in path.parent.iterdir()] == ["b.json", "b.json.lock"]  # no temp file left


def test_a_fit_that_could_pass_the_total_is_refused_before_training(tmp_path):
    budget = DatasetBudget(1.5, tmp_path / "b.json")
    budget.charge("d1", fit_ledger(), model="dpctgan")
    with pytest.raises(BudgetExceededError, match=r"spent epsilon .* of its budget 1.5 .*--allow-over-budget"):
        budget.check("d1", 1.0)
    budget.check("d2", 1.0)  # another dataset has its own total


def test_charge_refuses_past_the_total_and_writes_nothing(tmp_path):
    path = tmp_path / "b.json"
    budget = DatasetBudget(1.2, path)
    budget.charge("d1", fit_ledger(), model="dpctgan")
    before = path.read_text()
    with pytest.raises(BudgetExceededError, match="nothing was saved"):
        budget.charge("d1", fit_ledger(), model="dpctgan")
    assert path.read_text() == before


def test_allow_over_budget_records_the_overrun(tmp_path):
    budget = DatasetBudget(1.2, tmp_path / "b.json", allow_over=True)
    budget.check("d1", 5.0)
    budget.charge("d1", fit_ledger(), model="dpctgan")
    status = budget.charge("d1", fit_ledger(), model="dpctgan")
    assert status["over_budget"] is True and budget.fits("d1")[-1]["over_budget"] is True


def test_a_fit_without_epsilon_on_a_budgeted_dataset_is_refused(tmp_path):
    with pytest.raises(BudgetExceededError, match="no formal guarantee"):
        DatasetBudget(5.0, tmp_path / "b.json").check("d1", None)
    assert composed([{"epsilon": None, "delta": None, "entries": []}])[0] == float("inf")


def test_a_damaged_ledger_file_is_named_not_silently_reset(tmp_path):
    path = tmp_path / "b.json"
    path.write_text("{not json")
    with pytest.raises(SynthRecordsError, match=r"b.json is unreadable.*deleting it forgets"):
        DatasetBudget(5.0, path).spent("d1")


def test_the_dataset_is_its_values_not_its_file(data):
    # Renaming a column keeps the identity since issue 18 (tests/test_safety_budget.py).
    assert dataset_sha256(data) == dataset_sha256(data.copy())
    assert dataset_sha256(data) != dataset_sha256(data.assign(x=data["x"] + 1))
    assert dataset_sha256(data) != dataset_sha256(data.head(299))


def test_default_budget_file_is_per_user(monkeypatch, tmp_path):
    monkeypatch.delenv("SYNTHRECORDS_BUDGET_FILE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_budget_file() == tmp_path / "synthrecords" / "budgets.json"
    monkeypatch.setenv("SYNTHRECORDS_BUDGET_FILE", str(tmp_path / "team.json"))
    assert default_budget_file() == tmp_path / "team.json"


def test_refitting_the_same_data_spends_the_dataset_budget(data, tmp_path):
    settings = {"epsilon": 1.0, "epochs": 1, "nlp_model": None, "dataset_budget": 1.5,
                "budget_file": tmp_path / "b.json"}
    first = Synthesizer(seed=0, **settings).fit(data)
    assert first.budget_["fits"] == 1 and first.budget_["epsilon_spent"] <= 1.0 + 1e-9
    with pytest.raises(BudgetExceededError, match="of its budget 1.5"):
        Synthesizer(seed=1, **settings).fit(data)
    # A holdout split of the same input is the same dataset: the pipeline passes the whole input.
    with pytest.raises(BudgetExceededError):
        Synthesizer(seed=1, **settings).fit(data.head(200), dataset=data)
    over = Synthesizer(seed=1, **{**settings, "allow_over_budget": True}).fit(data)
    assert over.budget_["fits"] == 2 and over.budget_["epsilon_spent"] > first.budget_["epsilon_spent"]


def test_job_file_budget_keys_resolve_against_the_job_folder(tmp_path):
    job = tmp_path / "job.toml"
    job.write_text('[privacy]\nepsilon = 1.0\ndataset_budget = 5.0\nbudget_file = "ledgers/b.json"\n'
                   'allow_over_budget = false\n[output]\noverwrite = true\n')
    loaded = load_job(job)
    assert loaded.privacy.dataset_budget == 5.0 and loaded.privacy.budget_file == tmp_path / "ledgers" / "b.json"
    assert loaded.output.overwrite is True


def test_cli_fit_refuses_past_the_dataset_budget_in_one_line(data, tmp_path):
    csv = tmp_path / "d.csv"
    data.to_csv(csv, index=False)
    runner = CliRunner()
    config = tmp_path / "job.toml"
    config.write_text('[pii]\nnlp_model = "none"\n')  # patterns only: no spaCy load in a unit test
    args = ["fit", str(csv), "--epsilon", "1", "--epochs", "1", "--dataset-budget", "1.5",
            "--budget-file", str(tmp_path / "b.json"), "--config", str(config)]
    first = runner.invoke(app, [*args, "--out", str(tmp_path / "m1")])
    assert first.exit_code == 0, first.stderr
    assert "dataset budget: epsilon" in first.stdout and "of 1.5 spent over 1 fit(s)" in first.stdout
    second = runner.invoke(app, [*args, "--out", str(tmp_path / "m2")])
    assert second.exit_code == 2 and second.stderr.count("error:") == 1
    assert "--allow-over-budget" in second.stderr and not (tmp_path / "m2").exists()
    third = runner.invoke(app, [*args, "--out", str(tmp_path / "m2"), "--allow-over-budget"])
    assert third.exit_code == 0, third.stderr
    assert "over 2 fit(s)" in third.stdout
