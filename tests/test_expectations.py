"""Expectation suites: built from the domain, saved and loaded as GX 1.x JSON, run on data."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthrecords.domain import ColumnDomain, Domain
from synthrecords.errors import SynthRecordsError
from synthrecords.validation.expectations import (
    build_suite,
    load_suite,
    load_suites,
    run_suites,
    save_suite,
    suite_from_dict,
)

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS_SUITE = ROOT / "expectations" / "customers.json"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain(
        {
            c.name: c
            for c in [
                ColumnDomain("age", "numerical", lower=18, upper=90, integer=True, decimals=0),
                ColumnDomain(
                    "income", "numerical", lower=0.0, upper=250_000.0, decimals=2, nullable=True
                ),
                ColumnDomain("segment", "categorical", categories=["a", "b", "c"]),
                ColumnDomain("active", "boolean", categories=[False, True]),
                ColumnDomain(
                    "joined",
                    "datetime",
                    lower="2020-01-01",
                    upper="2024-12-31",
                    datetime_format="%Y-%m-%d",
                ),
            ]
        }
    )


@pytest.fixture(scope="module")
def suite(domain):
    return build_suite(domain)


@pytest.fixture()
def inside() -> pd.DataFrame:
    """Rows inside the domain, typed as they come back from a CSV."""
    return pd.DataFrame(
        {
            "age": [18, 35, 90, 47],
            "income": [0.0, 1250.5, np.nan, 250_000.0],
            "segment": ["a", "b", "c", "a"],
            "active": [True, False, True, True],
            "joined": ["2020-01-01", "2022-06-30", "2024-12-31", "2023-02-14"],
        }
    )


def failed_columns(results) -> set:
    return {(f["expectation"], f["column"]) for f in results.failures()}


def test_suite_built_from_domain_passes_on_data_inside_it(suite, inside):
    results = run_suites(inside, [suite])
    assert results.success and results.failed == 0
    assert results.evaluated == results.passed > 0


def test_suite_checks_each_column_kind(suite):
    kinds = {(e.expectation_type, getattr(e, "column", None)) for e in suite.expectations}
    assert ("expect_table_columns_to_match_set", None) in kinds
    assert ("expect_column_values_to_be_between", "age") in kinds
    assert ("expect_column_values_to_match_regex", "age") in kinds  # integer
    assert ("expect_column_values_to_be_in_set", "segment") in kinds
    assert ("expect_column_values_to_be_in_set", "active") in kinds
    assert ("expect_column_values_to_match_strftime_format", "joined") in kinds
    assert ("expect_column_values_to_not_be_null", "segment") in kinds
    assert ("expect_column_values_to_not_be_null", "income") not in kinds  # nullable


def test_category_outside_the_set_fails_naming_the_column(suite, inside):
    inside.loc[1, "segment"] = "z"
    results = run_suites(inside, [suite])
    assert failed_columns(results) == {("expect_column_values_to_be_in_set", "segment")}
    assert "'z'" in results.failures()[0]["observed"]


def test_number_outside_the_range_fails_naming_the_column(suite, inside):
    inside.loc[0, "income"] = -5.0
    results = run_suites(inside, [suite])
    assert failed_columns(results) == {("expect_column_values_to_be_between", "income")}


def test_date_outside_the_range_fails_naming_the_column(suite, inside):
    inside.loc[2, "joined"] = "2025-01-01"
    assert failed_columns(run_suites(inside, [suite])) == {
        ("expect_column_values_to_be_between", "joined")
    }


def test_date_in_another_format_fails_the_format_expectation(suite, inside):
    inside.loc[2, "joined"] = "31/12/2024"
    failed = failed_columns(run_suites(inside, [suite]))
    assert ("expect_column_values_to_match_strftime_format", "joined") in failed


def test_fraction_in_an_integer_column_fails(suite, inside):
    inside["age"] = inside["age"].astype(float)
    inside.loc[3, "age"] = 47.5
    assert failed_columns(run_suites(inside, [suite])) == {
        ("expect_column_values_to_match_regex", "age")
    }


def test_whole_numbers_read_back_as_float_with_a_null_pass_the_integer_check(domain, inside):
    nullable_age = Domain(
        {
            **domain.columns,
            "age": ColumnDomain(
                "age", "numerical", lower=18, upper=90, integer=True, nullable=True
            ),
        }
    )
    inside["age"] = [18.0, np.nan, 90.0, 47.0]
    assert run_suites(inside, [build_suite(nullable_age)]).success


def test_null_in_a_required_column_fails(suite, inside):
    inside.loc[0, "segment"] = None
    assert failed_columns(run_suites(inside, [suite])) == {
        ("expect_column_values_to_not_be_null", "segment")
    }


def test_missing_required_column_fails_without_crashing(suite, inside):
    results = run_suites(inside.drop(columns=["segment"]), [suite])
    failed = failed_columns(results)
    assert ("expect_table_columns_to_match_set", None) in failed
    assert {c for _, c in failed} == {None, "segment"}
    column_set = next(f for f in results.failures() if f["column"] is None)
    assert "segment" in column_set["observed"]


def test_extra_columns_beside_the_domain_are_allowed(suite, inside):
    inside["email"] = "fake@example.com"  # fake identifiers travel with the modelled columns
    assert run_suites(inside, [suite]).success


def test_results_list_every_expectation_in_suite_order(suite, inside):
    rows = run_suites(inside, [suite]).suites[0].results
    assert [r["expectation"] for r in rows] == [e.expectation_type for e in suite.expectations]
    assert all(set(r) >= {"expectation", "column", "kwargs", "severity", "success", "observed",
                          "example"} for r in rows)


def test_results_are_strict_json(suite, inside):
    inside.loc[0, "joined"] = "2031-01-01"
    results = run_suites(inside, [suite])
    data = json.loads(json.dumps(results.to_dict(), allow_nan=False))
    assert data["suites"][0]["name"] == "schema" and data["suites"][0]["failed"] == 1


def test_failures_name_their_suite(suite, inside):
    inside.loc[0, "age"] = 200
    assert {f["suite"] for f in run_suites(inside, [suite]).failures()} == {"schema"}


def test_json_round_trip_keeps_the_suite(suite, tmp_path):
    path = tmp_path / "schema.json"
    save_suite(suite, path)
    loaded = load_suite(path)
    assert loaded.name == "schema"
    assert loaded.to_json_dict()["expectations"] == suite.to_json_dict()["expectations"]
    assert [p.name for p in tmp_path.iterdir()] == ["schema.json"]  # no temporary file left


def test_round_tripped_suite_still_checks_the_date_range(suite, inside, tmp_path):
    save_suite(suite, tmp_path / "schema.json")
    inside.loc[0, "joined"] = "2019-12-31"
    results = run_suites(inside, [load_suite(tmp_path / "schema.json")])
    assert failed_columns(results) == {("expect_column_values_to_be_between", "joined")}


def test_user_written_date_only_bounds_work_on_text_dates(inside):
    suite = suite_from_dict(
        {
            "name": "dates",
            "expectations": [
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {
                        "column": "joined",
                        "min_value": "2021-01-01",
                        "max_value": "2024-12-31",
                    },
                }
            ],
        }
    )
    assert failed_columns(run_suites(inside, [suite])) == {
        ("expect_column_values_to_be_between", "joined")
    }


def test_loading_bad_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x", "expectations": [')
    with pytest.raises(SynthRecordsError, match="broken.json.*not valid JSON"):
        load_suite(path)


def test_loading_an_unknown_expectation_type_names_the_file_and_type(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(
        json.dumps(
            {
                "name": "rules",
                "expectations": [
                    {"type": "expect_column_values_to_be_shiny", "kwargs": {"column": "a"}}
                ],
            }
        )
    )
    with pytest.raises(
        SynthRecordsError, match=r"rules.json.*expect_column_values_to_be_shiny.*unknown"
    ):
        load_suite(path)


def test_loading_a_misspelt_argument_is_refused_not_dropped(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(
        json.dumps(
            {
                "name": "rules",
                "expectations": [
                    {
                        "type": "expect_column_values_to_be_between",
                        "kwargs": {"column": "a", "min_vale": 1},
                    }
                ],
            }
        )
    )
    with pytest.raises(SynthRecordsError, match=r"rules.json, expectation 1.*min_vale"):
        load_suite(path)


def test_loading_accepts_the_gx_0x_expectation_type_key(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(
        json.dumps(
            {
                "expectations": [
                    {
                        "expectation_type": "expect_column_values_to_not_be_null",
                        "kwargs": {"column": "a"},
                    }
                ]
            }
        )
    )
    suite = load_suite(path)
    assert (
        suite.name == "old"
        and suite.expectations[0].expectation_type == "expect_column_values_to_not_be_null"
    )


def test_load_suites_reads_every_json_file_in_name_order(suite, tmp_path):
    for name in ("b_rules", "a_rules"):
        save_suite(suite_from_dict({"name": name, "expectations": []}), tmp_path / f"{name}.json")
    (tmp_path / "notes.txt").write_text("not a suite")
    assert [s.name for s in load_suites(tmp_path)] == ["a_rules", "b_rules"]


def test_load_suites_from_a_missing_folder_names_it(tmp_path):
    with pytest.raises(SynthRecordsError, match="nowhere"):
        load_suites(tmp_path / "nowhere")


def test_validation_prints_no_progress_bars(suite, inside, capfd):
    run_suites(inside, [suite])
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lower=st.integers(-1000, 1000),
    width=st.integers(0, 1000),
    categories=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=6, unique=True),
    data=st.data(),
)
def test_values_drawn_inside_any_domain_pass_its_suite(lower, width, categories, data):
    domain = Domain(
        {
            "n": ColumnDomain("n", "numerical", lower=lower, upper=lower + width, integer=True),
            "c": ColumnDomain("c", "categorical", categories=categories),
        }
    )
    rows = data.draw(
        st.lists(
            st.tuples(st.integers(lower, lower + width), st.sampled_from(categories)),
            min_size=1,
            max_size=20,
        )
    )
    frame = pd.DataFrame(rows, columns=["n", "c"])
    assert run_suites(frame, [build_suite(domain)]).success


# ---------------------------------------------------------------- the committed customers suite


def customers_frame() -> pd.DataFrame:
    """Rows that satisfy every rule of expectations/customers.json."""
    n = 200
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "credit_score": rng.integers(300, 851, n),
            "fraud_flag": rng.integers(0, 2, n),
            "num_products": rng.integers(1, 7, n),
            "annual_income": rng.uniform(10_000, 200_000, n).round(),
            "email": [f"person{i}@example.com" for i in range(n)],
            "postcode": [f"{i:05d}" for i in rng.integers(0, 100_000, n)],
            "gender": rng.choice(["F", "M", "X"], n),
            "tenure_months": rng.integers(0, 200, n),
            "product": rng.choice(["basic", "plus", "premium", "platinum"], n),
        }
    )


def test_committed_customers_suite_loads():
    suite = load_suite(CUSTOMERS_SUITE)
    assert suite.name == "customers" and len(suite.expectations) == 9


def test_committed_customers_suite_passes_on_conforming_rows():
    assert run_suites(customers_frame(), [load_suite(CUSTOMERS_SUITE)]).success


@pytest.mark.parametrize(
    "column, value",
    [
        ("credit_score", 900),
        ("fraud_flag", 2),
        ("num_products", 7),
        ("email", "not-an-email"),
        ("postcode", "1234"),
        ("gender", "Q"),
        ("tenure_months", -1),
        ("product", "gold"),
    ],
)
def test_committed_customers_suite_fails_on_a_broken_rule(column, value):
    frame = customers_frame()
    frame[column] = frame[column].astype(object)
    frame.loc[0, column] = value
    results = run_suites(frame, [load_suite(CUSTOMERS_SUITE)])
    assert {f["column"] for f in results.failures()} == {column}


def test_customers_suite_tolerates_up_to_one_percent_non_positive_income():
    frame = customers_frame()
    frame.loc[0, "annual_income"] = 0.0  # 0.5 %: within "mostly": 0.99
    assert run_suites(frame, [load_suite(CUSTOMERS_SUITE)]).success
    frame.loc[:3, "annual_income"] = 0.0  # 2 %
    assert {f["column"] for f in run_suites(frame, [load_suite(CUSTOMERS_SUITE)]).failures()} == {
        "annual_income"
    }


@settings(max_examples=30, deadline=None)
@given(
    lower=st.floats(-1e6, 1e6),
    width=st.floats(0, 1e6),
    categories=st.lists(
        st.one_of(st.text(max_size=8), st.integers()), min_size=1, max_size=5, unique=True
    ),
    nullable=st.booleans(),
    integer=st.booleans(),
)
def test_any_domain_suite_survives_a_json_round_trip(lower, width, categories, nullable, integer):
    domain = Domain(
        {
            "n": ColumnDomain("n", "numerical", lower=lower, upper=lower + width, integer=integer),
            "c": ColumnDomain("c", "categorical", categories=categories, nullable=nullable),
            "d": ColumnDomain(
                "d",
                "datetime",
                lower="2001-02-03 04:05:06",
                upper="2030-01-01 00:00:00",
                datetime_format="%Y-%m-%d %H:%M:%S",
            ),
        }
    )
    suite = build_suite(domain)
    again = suite_from_dict(json.loads(json.dumps(suite.to_json_dict())))
    assert again.to_json_dict()["expectations"] == suite.to_json_dict()["expectations"]


def test_mask_regex_reads_masks_as_the_fakes_fill_them():
    import re

    from synthrecords.validation.expectations import mask_regex

    assert re.fullmatch(mask_regex("\\C\\U-99999"), "CU-12345")
    assert not re.fullmatch(mask_regex("\\C\\U-99999"), "CU-1234a")
    assert re.fullmatch(mask_regex("AA9a.x"), "QZ7k.x") and not re.fullmatch(mask_regex("AA9a.x"), "QZ7k-x")


def test_fake_identifier_columns_get_format_uniqueness_and_completeness_warnings():
    from synthrecords.pii.fakes import FakePlan

    plans = [FakePlan("account", entity="ACCOUNT_ID", masks={"\\A\\C-9999": 1.0}, unique=True),
             FakePlan("email", entity="EMAIL_ADDRESS", null_share=0.1)]
    suite = build_suite(Domain({"age": ColumnDomain("age", "numerical", lower=0, upper=99)}), fakes=plans)
    frame = pd.DataFrame({"age": [30, 40, 50], "account": ["AC-0001", "AC-0001", "AC-12"],
                          "email": ["a@b.org", None, "not-an-email"]})
    result = run_suites(frame, [suite])
    failed = {(r["expectation"], r["column"]) for r in result.failures()}
    assert failed == {("expect_column_values_to_be_unique", "account"),
                      ("expect_column_values_to_match_regex_list", "account"),
                      ("expect_column_values_to_match_regex", "email")}
    assert result.success and result.warnings_failed == 3  # warnings: the rows still pass
