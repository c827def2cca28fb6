"""The `generalise` PII action: without DP, each quasi-identifier value is modelled at the finest
level of its hierarchy that at least ``min_count`` real rows share (k-anonymity per column);
under an epsilon the DP domain release generalises instead (exact counts are never thresholded)."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from synthrecords.config import JobConfig, load_job
from synthrecords.errors import SynthRecordsError
from synthrecords.pii.generalise import OTHER_LABEL, POSTCODE_LEVELS, generalise
from synthrecords.pii.policy import ProtectionPolicy
from synthrecords.pii.protect import protect, pseudonymize
from synthrecords.pii.scan import scan_pii
from synthrecords.privacy import hierarchy as hier
from synthrecords.read import load_table, prepare
from synthrecords.synthesizer import Synthesizer


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return prepare(pd.read_csv(SAMPLE, dtype={"postcode": str})).data


def held_by(result, real: pd.Series) -> pd.Series:
    """How many real rows hold each released value."""
    return result.values[real.notna()].value_counts()


def shares(result) -> dict[str, float]:
    return {g["level"]: g["share"] for g in result.granularity}


def test_values_held_by_fewer_than_k_rows_move_up_a_level_then_to_a_star():
    values = pd.Series(["22101"] * 12 + ["22102"] * 5 + ["22103"] * 6 + ["98101"] * 3 + ["30301"] * 9, name="zip")
    done = generalise(values, 10, postcode=True)
    assert done.values[:12].eq("22101").all()  # shared by 12: released as itself
    assert done.values[12:23].eq("221**").all()  # 5 + 6 rows under 221
    # 98101 (3) and 30301 (9) clear no level: 12 rows of "*"
    assert done.values[23:].eq(OTHER_LABEL).all()
    assert shares(done) == {"value": round(12 / 35, 4), "prefix 3": round(11 / 35, 4), "prefix 1": 0.0,
                            "other": round(12 / 35, 4)}


def test_a_star_held_by_fewer_than_k_rows_takes_in_the_smallest_released_group():
    values = pd.Series(["a"] * 30 + ["b"] * 11 + ["c"] * 2, name="segment")
    done = generalise(values, 10)
    assert done.values.value_counts().to_dict() == {"a": 30, OTHER_LABEL: 13}


@pytest.mark.parametrize("column", ["postcode", "city", "birth_date", "signup_date", "annual_income",
                                    "account_balance", "credit_score"])
@pytest.mark.parametrize("k", [5, 10, 40])
def test_no_released_value_is_held_by_fewer_than_k_real_rows(customers, column, k):
    real = customers[column]
    done = generalise(real, k, postcode=column == "postcode")
    assert done.changed
    assert held_by(done, real).min() >= k
    assert done.values.isna().equals(real.isna())  # nulls stay null, nothing else becomes null


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 400), st.none()), min_size=1, max_size=120), st.integers(2, 15))
def test_every_level_share_sums_to_one_and_k_holds_on_any_numbers(numbers, k):
    real = pd.Series(numbers, dtype="Float64", name="amount").astype(float)
    done = generalise(real, k)
    if real.notna().sum() >= k:
        assert held_by(done, real).min() >= k
    if real.notna().any():
        assert abs(sum(shares(done).values()) - 1) < 1e-3


def test_every_level_share_sums_to_one_on_the_customers(customers):
    for column in ("postcode", "birth_date", "annual_income", "city"):
        done = generalise(customers[column], 10, postcode=column == "postcode")
        assert abs(sum(shares(done).values()) - 1) < 1e-3
        # shares of the non-null rows: recount "*" from the released labels
        assert shares(done)["other"] == round((done.values[customers[column].notna()] == OTHER_LABEL).mean(), 4)


def test_dates_are_released_as_iso_months_and_years():
    days = pd.Series(pd.to_datetime(["1984-07-02"] * 10 + ["1984-07-20"] * 3 + ["1984-11-09"] * 8), name="birth_date")
    done = generalise(days, 10)
    assert done.values.tolist() == ["1984-07-02"] * 10 + ["1984"] * 11  # 3 + 8 rows share only the year
    assert done.levels == ["month", "year"]
    text = pd.Series(["02/07/1984"] * 10 + ["20/07/1984"] * 3 + ["21/07/1984"] * 2, name="signup")
    assert generalise(text, 5).values.tolist() == ["1984-07-02"] * 10 + ["1984-07"] * 5  # text dates read as dates


def test_numbers_are_released_in_bins_named_by_their_range():
    twenties, thirties, forties = list(range(20, 27)), list(range(30, 40)) * 2, [41, 44, 47]
    ages = pd.Series(twenties + thirties + forties + [60] * 12, name="age")
    done = generalise(ages, 10)
    assert done.levels[:2] == ["width 10", "width 50"]
    # 7 rows in their twenties and 3 in their forties share only "0-49"; 60 is held by 12 rows
    assert done.values.tolist() == ["0-49"] * 7 + ["30-39"] * 20 + ["0-49"] * 3 + ["60"] * 12
    rates = generalise(pd.Series(np.linspace(0.5, 2.49, 40), name="rate"), 10)
    assert all(v.startswith("[") and v.endswith(")") for v in rates.values)
    assert held_by(rates, rates.values).min() >= 10


def test_a_column_whose_every_value_clears_k_is_left_exactly_as_it_was(customers):
    for column in ("gender", "num_products"):
        done = generalise(customers[column], 10)
        assert not done.changed and done.values is customers[column]
        assert shares(done)["value"] == 1.0


def test_a_declared_hierarchy_is_read_as_the_dp_release_reads_it(customers):
    lookup = customers[["city", "state", "region"]].drop_duplicates("city")
    done = generalise(customers["city"], 25, levels=hier.parse("city", lookup))
    assert done.levels == ["state", "region"]
    generalised = done.values[done.values.str.endswith("*") & (done.values != OTHER_LABEL)]
    assert len(generalised) and set(generalised.str[:-1]) <= set(customers["state"]) | set(customers["region"])
    assert hier.parse("postcode", hier.POSTCODE_RULE) == POSTCODE_LEVELS  # pii/ restates the built-in rule


def test_protect_models_the_generalised_column_and_keeps_the_rest(customers):
    data = customers[["postcode", "gender", "education", "annual_income"]]
    policy = ProtectionPolicy(quasi="generalise", columns={"annual_income": "generalise"}, min_count=20)
    report = scan_pii(data, policy=policy, nlp_model=None)
    protected = protect(data, report, policy=policy)
    assert protected.actions["annual_income"] == "generalise" and report["annual_income"].category == "quasi"
    assert protected.data["postcode"].value_counts().min() >= 20
    assert protected.data["annual_income"].value_counts().min() >= 20
    assert protected.data["education"].equals(data["education"])  # not personal: kept as is
    assert set(protected.generalised) >= {"postcode", "annual_income"}
    # pseudonymised real rows are generalised the same way
    rows = pseudonymize(data, report, secret=b"k" * 32, policy=policy)
    assert rows["postcode"].equals(protected.data["postcode"])


def test_under_dp_protect_reads_no_exact_count_and_the_domain_release_generalises(customers):
    data = customers[["postcode", "gender", "education", "credit_score"]].head(3000)
    policy = ProtectionPolicy(quasi="generalise")
    report = scan_pii(data, policy=policy, nlp_model=None)
    protected = protect(data, report, policy=policy, private=True)
    assert protected.data["postcode"].equals(data["postcode"]) and not protected.generalised
    synth = Synthesizer(epsilon=3.0, epochs=1, pii_policy=policy, nlp_model=None, seed=0).fit(data)
    assert synth.actions_["postcode"] == "generalise"
    section = synth.domain_.granularity()["postcode"]
    assert section["source"] == "dp" and section["levels"] == ["prefix 3", "prefix 1"]
    assert "min_count" not in section["granularity"][0]  # noisy counts, no k


@pytest.mark.slow  # a whole run (scan, fit, sample, validate) on 600 rows: ~1 minute on 2 busy cores
def test_a_job_file_with_quasi_generalise_runs_end_to_end_without_epsilon(tmp_path):
    data = tmp_path / "customers.csv"
    pd.read_csv(SAMPLE, dtype=str).head(600).drop(columns=["notes"]).to_csv(data, index=False)
    job_file = tmp_path / "job.toml"
    job_file.write_text(f'[input]\npath = "{data}"\n[output]\ndir = "{tmp_path / "run"}"\nrows = 300\n'
                        '[model]\nname = "gaussian_copula"\nseed = 1\n'
                        '[pii]\nquasi = "generalise"\nmin_count = 15\nnlp_model = "none"\n'
                        'columns = { annual_income = "generalise" }\n[validate]\nholdout = 0\n')
    from synthrecords.pipeline import run_job

    run_job(load_job(job_file))
    report = json.loads((tmp_path / "run" / "owner" / "report.json").read_text())
    synthetic = pd.read_csv(tmp_path / "run" / "share" / "synthetic.csv", dtype=str)
    real = prepare(load_table(data)).data  # read as the pipeline reads it
    for column in ("postcode", "birth_date", "annual_income"):
        section = report["domain"][column]
        assert section["source"] == "data" and section["granularity"][0]["min_count"] == 15
        done = generalise(real[column], 15, postcode=column == "postcode")
        assert set(synthetic[column].dropna()) <= set(done.values.dropna())  # only values 15 real rows share
    assert report["domain"]["postcode"]["levels"] == ["prefix 3", "prefix 1"]
    assert {c["column"]: c["action"] for c in report["pii"]["columns"]}["birth_date"] == "generalise"


@pytest.mark.parametrize("options, message", [
    ({"min_count": 1}, "min_count = 1 is not allowed"),
    ({"min_count": "10"}, "min_count = '10'"),
    ({"min_count": True}, "min_count = True"),
    ({"quasi": "generalize"}, r"quasi = 'generalize' is not allowed; choose one of \['keep', 'drop', 'generalise'\]"),
    ({"columns": {"postcode": "bucket"}}, r"columns\['postcode'\] = 'bucket'"),
])
def test_bad_options_are_refused_in_one_line(options, message):
    with pytest.raises(SynthRecordsError, match=message) as caught:
        ProtectionPolicy(**options)
    assert "\n" not in str(caught.value)


def test_a_job_file_with_a_bad_min_count_names_the_key(tmp_path):
    with pytest.raises(SynthRecordsError, match=r"\[pii.min_count\].*whole number of at least 2") as caught:
        JobConfig.from_dict({"input": {"path": str(SAMPLE)}, "pii": {"quasi": "generalise", "min_count": 0}})
    assert "\n" not in str(caught.value)


def test_a_constraint_computing_with_a_generalised_column_is_refused(customers):
    data = customers[["birth_date", "signup_date", "gender"]].head(500)
    synth = Synthesizer(pii_policy=ProtectionPolicy(columns={"birth_date": "generalise"}), nlp_model=None,
                        constraints=[{"kind": "inequality", "column": "birth_date", "at_most": "signup_date"}])
    with pytest.raises(SynthRecordsError, match=r"computes with 'birth_date'.*birth_date = \"keep\""):
        synth.fit(data)


def test_generalise_without_an_epsilon_on_spark_is_refused_before_spark_starts(customers):
    synth = Synthesizer(engine="spark", pii_policy=ProtectionPolicy(quasi="generalise"), nlp_model=None)
    with pytest.raises(SynthRecordsError, match="generalise action without an epsilon runs on the pandas engine only"):
        synth.fit(customers[["postcode", "gender"]])
