"""Declared structure: derived columns, hierarchies, inequalities, enforced on every synthetic row
by construction, saved with the model, and never read from the real data."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from synthrecords import Synthesizer
from synthrecords.config import load_job
from synthrecords.constraints import (
    Combinations,
    ConstraintSet,
    Derived,
    Inequality,
    constraints_from_suite,
    from_dict,
    hierarchy,
)
from synthrecords.domain import ColumnDomain, Domain
from synthrecords.errors import SynthRecordsError
from synthrecords.formula import parse
from synthrecords.job import job_constraints

AS_OF = dt.date(2025, 12, 31)
PLACES = [  # postcode, city, state, region: 12345 spans two cities, as real ZIP codes can
    ("10001", "Alpha", "NY", "Northeast"), ("10002", "Alpha", "NY", "Northeast"),
    ("12345", "Beta", "NY", "Northeast"), ("12345", "Gamma", "NY", "Northeast"),
    ("75001", "Delta", "TX", "South"), ("75002", "Delta", "TX", "South"), ("75003", "Delta", "TX", "South"),
    ("94101", "Epsilon", "CA", "West"), ("94102", "Zeta", "CA", "West"),
]
TENURE = 'months_between(signup_date, "2025-12-31")'


def calendar_months(start: str) -> int:
    day = dt.date.fromisoformat(start)
    return (AS_OF.year - day.year) * 12 + AS_OF.month - day.month


@pytest.fixture(scope="module")
def lookup(tmp_path_factory):
    path = tmp_path_factory.mktemp("lookup") / "places.csv"
    pd.DataFrame(PLACES, columns=["postcode", "city", "state", "region"]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    n = 400
    birth = [AS_OF - dt.timedelta(days=int(d)) for d in rng.integers(19 * 365, 80 * 365, n)]
    signup = [max(b.replace(year=b.year + 18) if (b.month, b.day) != (2, 29) else b.replace(year=b.year + 18, day=28),
                  dt.date(2010, 1, 1)) + dt.timedelta(days=int(rng.integers(0, 1500))) for b in birth]
    signup = [min(s, AS_OF) for s in signup]
    place = [PLACES[i] for i in rng.choice(len(PLACES), n)]
    low = rng.normal(100, 20, n).round(1)
    return pd.DataFrame({
        "birth_date": [b.isoformat() for b in birth], "signup_date": [s.isoformat() for s in signup],
        "tenure_months": [calendar_months(s.isoformat()) for s in signup],
        "postcode": [p[0] for p in place], "city": [p[1] for p in place], "state": [p[2] for p in place],
        "region": [p[3] for p in place], "low": low, "high": (low + rng.gamma(2, 10, n)).round(1),
        "segment": rng.choice(["a", "b", "c"], n),
    })


def constraints(lookup):
    return [hierarchy(["postcode", "city", "state", "region"], lookup, anchor="city"), Derived("tenure_months", TENURE),
            Inequality("signup_date", at_least="add_years(birth_date, 18)"),
            Inequality("high", at_least="low", repair="swap")]


@pytest.fixture(scope="module")
def fitted(table, lookup):
    return Synthesizer(model="gaussian_copula", seed=1, nlp_model=None, constraints=constraints(lookup)).fit(table)


@pytest.fixture(scope="module")
def sampled(fitted):
    return fitted.sample_with_report(600, seed=2)


def test_derived_values_are_exact_on_every_synthetic_row(sampled):
    out, _ = sampled
    assert out.tenure_months.notna().all()
    assert out.tenure_months.tolist() == [calendar_months(s) for s in out.signup_date]


def test_hierarchy_rows_are_rows_of_the_lookup(sampled):
    out, _ = sampled
    rows = set(map(tuple, out[["postcode", "city", "state", "region"]].astype(str).to_numpy()))
    assert rows <= set(PLACES)
    assert {c for c in out.city} > {"Alpha"}  # the modelled anchor still varies


def test_inequalities_hold_on_every_row(sampled):
    out, report = sampled
    birth = pd.to_datetime(out.birth_date)
    assert (pd.to_datetime(out.signup_date) >= birth + pd.DateOffset(years=18)).all()
    assert (out.high >= out.low).all()
    done = report.to_dict()["constraints"]["constraints"]
    assert [d["constraint"].split()[1] for d in done] == ["hierarchy", "inequality", "inequality", "derived"]
    assert all(d["repaired"] == d["broken"] for d in done if "broken" in d)


def test_a_condition_on_a_filled_in_column_is_met_by_the_sampler(fitted):
    out, report = fitted.sample_with_report(120, conditions={"state": "TX"}, seed=6)
    assert len(out) == 120 and set(out.state) == {"TX"} and set(out.city) == {"Delta"}
    assert report.to_dict()["acceptance_rate"] < 1  # the model does not know state: rows are drawn and kept


def test_the_cli_summary_says_what_each_constraint_did(sampled):
    from synthrecords.cli import _sampling_lines

    lines = _sampling_lines(sampled[1].to_dict())
    assert "constraint derived 'tenure_months': drawn 600" in lines
    assert any(line.startswith("constraint hierarchy ['postcode', 'city', 'state', 'region']: exact 600")
               for line in lines)


def test_filled_in_columns_are_in_the_domain_and_the_release_order(fitted, table):
    assert fitted.column_order_ == list(table.columns)
    assert fitted.domain_["state"].categories == ["CA", "NY", "TX"]
    tenure = fitted.domain_["tenure_months"]
    assert tenure.kind == "numerical" and tenure.integer and tenure.source == "constraint"
    assert tenure.lower >= 0 and tenure.upper <= calendar_months("2010-01-01")
    assert set(fitted.domain_["city"].categories) >= {p[1] for p in PLACES}


def test_the_privacy_scope_states_the_declared_columns_and_rules(fitted):
    from synthrecords.job import privacy_scope

    line = privacy_scope(fitted)[-1]
    assert "postcode, state, region, tenure_months" in line and "constraint derived 'tenure_months'" in line


def test_no_real_data_is_read_for_the_columns_a_constraint_fills_in(table, lookup, sampled):
    garbled = table.assign(tenure_months=-7, postcode="00000", state="ZZ", region="nowhere")
    again = Synthesizer(model="gaussian_copula", seed=1, nlp_model=None, constraints=constraints(lookup)).fit(garbled)
    out, _ = again.sample_with_report(600, seed=2)
    pd.testing.assert_frame_equal(out, sampled[0])


def test_constraints_survive_save_and_load_without_the_lookup_file(table, lookup, tmp_path):
    copy = tmp_path / "places.csv"
    copy.write_bytes(lookup.read_bytes())
    fitted = Synthesizer(model="gaussian_copula", seed=1, nlp_model=None,
                         constraints=[hierarchy(["postcode", "city", "state", "region"], copy, anchor="city"),
                                      Derived("tenure_months", TENURE)]).fit(table)
    copy.unlink()
    fitted.save(tmp_path / "model")
    loaded = Synthesizer.load(tmp_path / "model")
    assert loaded.params()["constraints"] == fitted.params()["constraints"]
    out = loaded.sample(300, seed=5)
    assert out.tenure_months.tolist() == [calendar_months(s) for s in out.signup_date]
    assert set(map(tuple, out[["postcode", "city", "state", "region"]].astype(str).to_numpy())) <= set(PLACES)


def test_an_inequality_bound_may_be_a_bare_date():
    frame = pd.DataFrame({"signup_date": ["2009-05-01", "2012-01-01"]})
    domain = Domain({"signup_date": ColumnDomain("signup_date", "datetime", datetime_format="%Y-%m-%d")})
    Inequality("signup_date", at_least="2010-01-01").apply(frame, domain, np.random.default_rng(0))
    assert frame.signup_date.tolist() == ["2010-01-01", "2012-01-01"]


def test_a_filter_inequality_drops_rows_and_states_its_acceptance_rate(table):
    synth = Synthesizer(model="gaussian_copula", seed=1, nlp_model=None,
                        constraints=[Inequality("low", at_most=95, repair="filter")]).fit(table[["low", "segment"]])
    out, report = synth.sample_with_report(200, seed=3)
    assert len(out) == 200 and (out.low <= 95).all()
    rate = report.to_dict()["constraints"]["acceptance_rate"]
    assert 0 < rate < 0.9  # about 40 % of the rows lie below 95


@pytest.mark.parametrize("formula, says", [
    ("__import__('os').system('true')", "is not allowed"),
    ("signup_date.year", "is not allowed"),
    ("months_between(signup_date)", "takes two arguments"),
    ('add_years(birth_date, "18")', "must be a number or a numeric column"),
    ("signup_date +", "is not valid"),
    ('months_between(signup_date, "soon")', "is not a date"),
])
def test_a_bad_formula_is_a_one_line_error_naming_the_constraint(formula, says):
    with pytest.raises(SynthRecordsError, match=says) as caught:
        Derived("tenure_months", formula)
    message = str(caught.value)
    assert message.startswith("constraint derived 'tenure_months'") and "\n" not in message


@pytest.mark.parametrize("constraint, says", [
    (lambda lk: Derived("tenure", TENURE), "constraint derived 'tenure': column 'tenure' is not in the data"),
    (lambda lk: Derived("tenure_months", 'months_between(signed_up, "2025-12-31")'), "column 'signed_up'"),
    (lambda lk: hierarchy(["zip", "city"], lk), "has no column 'zip'"),
    (lambda lk: Inequality("tenure_months", at_least=0), "repair would move 'tenure_months', which constraint derived"),
])
def test_an_unknown_or_filled_in_column_is_refused_before_the_fit(table, lookup, constraint, says):
    extra = [] if "tenure_months" not in says else [Derived("tenure_months", TENURE)]
    with pytest.raises(SynthRecordsError, match=says):
        Synthesizer(model="gaussian_copula", nlp_model=None, constraints=[constraint(lookup), *extra]).fit(table)


def test_a_hierarchy_needs_one_parent_per_level_from_the_anchor_up():
    rows = [["a", "X", "R1"], ["a", "Y", "R2"], ["b", "Y", "R3"]]
    Combinations(["zip", "city", "region"], [["1", *r[1:]] for r in rows[:1]], "city")
    with pytest.raises(SynthRecordsError, match="city='Y' has several region values"):
        Combinations(["zip", "city", "region"], rows, "city")
    Combinations(["zip", "city", "region"], rows, "city", kind="fixed_combinations")  # no nesting asked
    with pytest.raises(SynthRecordsError, match="needs rows of 3 values, one per column"):
        Combinations(["zip", "city", "region"], [["1", "X"]], "city")
    with pytest.raises(SynthRecordsError, match="anchor 'state' is not one of its columns"):
        Combinations(["zip", "city", "region"], rows, "state")


def test_generalised_and_suppressed_anchor_values_still_give_lookup_rows():
    places = Combinations(["postcode", "city", "state", "region"], [list(p) for p in PLACES], "city")
    released = Domain({"city": ColumnDomain("city", "categorical", categories=["Alpha", "Delta"], nullable=True)})
    frame = pd.DataFrame({"city": ["Alpha", "TX", "other", None] * 50})
    counts = places.apply(frame, released, np.random.default_rng(0))
    assert counts == {"exact": 50, "coarser": 50, "other": 50, "missing": 50, "unresolved": 0}
    known = frame.dropna()
    assert set(map(tuple, known[["postcode", "city", "state", "region"]].to_numpy())) <= set(PLACES)
    assert set(frame.state[1::4]) == {"TX"} and set(frame.city[1::4]) == {"Delta"}  # TX's one city
    assert set(frame.city[2::4]) <= {"Beta", "Gamma", "Epsilon", "Zeta"}  # "other": never a released city
    assert frame.iloc[3::4].isna().all().all()
    frame = pd.DataFrame({"city": ["NY"] * 40})
    places.apply(frame, released, np.random.default_rng(0))  # a generalised value: NY's unreleased cities
    assert set(frame.city) == {"Beta", "Gamma"} and set(frame.state) == {"NY"}


def test_values_generalised_by_the_dp_domain_map_to_lookup_rows_under_them():
    # privacy.hierarchy writes "TX*" for "some city of TX", "750**" for "some postcode starting 750"
    places = Combinations(["postcode", "city", "state", "region"], [list(p) for p in PLACES], "city")
    released = Domain({"city": ColumnDomain("city", "categorical", categories=["Alpha", "TX*", "NY*", "*"])})
    frame = pd.DataFrame({"city": ["TX*", "NY*", "*"] * 30})
    assert places.apply(frame, released, np.random.default_rng(1))["coarser"] == 60
    assert set(frame.state[0::3]) == {"TX"} and set(frame.city[1::3]) == {"Beta", "Gamma"}
    assert "Alpha" not in set(frame.city)
    assert set(map(tuple, frame[["postcode", "city", "state", "region"]].to_numpy())) <= set(PLACES)
    codes = Combinations(["postcode", "city"], [[p[0], p[1]] for p in PLACES], "postcode", kind="fixed_combinations")
    frame = pd.DataFrame({"postcode": ["750**"] * 20})
    codes.apply(frame, Domain({"postcode": ColumnDomain("postcode", "categorical", categories=["750**"])}),
                np.random.default_rng(2))
    assert set(frame.postcode) == {"75001", "75002", "75003"} and set(frame.city) == {"Delta"}


def test_the_anchors_domain_takes_the_lookup_values_so_the_schema_suite_keeps_filled_rows():
    places = Combinations(["postcode", "city", "state", "region"], [list(p) for p in PLACES], "city")
    released = Domain({"city": ColumnDomain("city", "categorical", categories=["Alpha", "TX*"], frequencies=[0.6, 0.4],
                                            source="dp")})
    domain = ConstraintSet([places]).domain(released, ["postcode", "city", "state", "region"])
    city = domain["city"]
    assert city.categories[:2] == ["Alpha", "TX*"] and set(city.categories) >= {p[1] for p in PLACES}
    assert city.frequencies[:2] == [0.6, 0.4] and set(city.frequencies[2:]) == {0.0}
    frame = pd.DataFrame({"city": ["TX*", "*"] * 20})
    places.apply(frame, domain, np.random.default_rng(3))  # still reads what was released as itself
    assert "Alpha" not in set(frame.city) and set(frame.city) <= set(city.categories)


def test_below_a_generalised_value_each_child_is_equally_likely_level_by_level():
    # NY holds Alpha (2 postcodes), Beta and Gamma (1 each): each city a third, not by postcode count
    places = Combinations(["postcode", "city", "state", "region"], [list(p) for p in PLACES], "city")
    frame = pd.DataFrame({"city": ["NY*"] * 3000})
    places.apply(frame, Domain({"city": ColumnDomain("city", "categorical", categories=["NY*"])}),
                 np.random.default_rng(4))
    shares = frame.city.value_counts(normalize=True)
    assert shares.to_dict() == pytest.approx({"Alpha": 1 / 3, "Beta": 1 / 3, "Gamma": 1 / 3}, abs=0.03)
    assert frame.postcode[frame.city == "Alpha"].value_counts(normalize=True).to_dict() == pytest.approx(
        {"10001": 0.5, "10002": 0.5}, abs=0.05)


def test_date_helpers_count_calendar_months_and_completed_years():
    frame = pd.DataFrame({"d": ["2025-01-31", "2007-12-31", "2008-01-01", "2004-02-29"]})
    assert parse('months_between(d, "2025-02-01")', "t").evaluate(frame).tolist()[0] == 1
    assert parse('years_between(d, "2025-12-31")', "t").evaluate(frame).tolist()[1:] == [18, 17, 21]
    assert parse("add_years(d, 1)", "t").evaluate(frame).dt.strftime("%Y-%m-%d").tolist()[3] == "2005-02-28"


def test_a_derived_domain_comes_from_the_released_bounds_of_what_it_reads():
    domain = Domain({"signup_date": ColumnDomain("signup_date", "datetime", lower="2010-01-01", upper="2025-12-31",
                                                 datetime_format="%Y-%m-%d")})
    col = Derived("tenure_months", TENURE).domain_of(domain)
    assert (col.lower, col.upper, col.integer) == (0.0, 191.0, True)


def test_a_suites_pair_and_range_rules_become_constraints_in_one_line():
    suite = {"name": "rules", "expectations": [
        {"type": "expect_column_pair_values_a_to_be_greater_than_b",
         "kwargs": {"column_A": "high", "column_B": "low", "or_equal": True}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "score", "min_value": 300,
                                                                   "max_value": 850}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "income", "min_value": 0,
                                                                   "mostly": 0.99}},
    ]}
    made = constraints_from_suite(suite)
    assert [k.to_dict() for k in made] == [
        {"kind": "inequality", "column": "high", "at_least": "low", "at_most": None, "strict": False, "repair": "swap"},
        {"kind": "inequality", "column": "score", "at_least": 300, "at_most": 850, "strict": False, "repair": "clip"},
    ]
    frame = pd.DataFrame({"low": [1.0, 5.0], "high": [2.0, 3.0], "score": [200, 900]})
    out, rejected, _ = ConstraintSet(made).apply(frame, Domain(), np.random.default_rng(0))
    assert out.to_dict("list") == {"low": [1.0, 3.0], "high": [2.0, 5.0], "score": [300, 850]} and not rejected.any()


def test_the_job_file_declares_constraints_with_lookup_paths_beside_it(tmp_path, lookup):
    (tmp_path / "places.csv").write_bytes(lookup.read_bytes())
    (tmp_path / "job.toml").write_text(
        '[constraints]\nderived = { tenure_months = "months_between(signup_date, \'2025-12-31\')" }\n'
        '[[constraints.hierarchy]]\ncolumns = ["postcode", "city", "state", "region"]\nlookup = "places.csv"\n'
        'anchor = "city"\n[[constraints.inequality]]\ncolumn = "high"\nat_least = "low"\nrepair = "swap"\n')
    made = job_constraints(load_job(tmp_path / "job.toml"))
    assert [k.kind for k in made] == ["hierarchy", "inequality", "derived"]
    assert made[0].lookup == str(tmp_path / "places.csv") and len(made[0].rows) == len(PLACES)
    (tmp_path / "bad.toml").write_text('[[constraints.inequality]]\ncolumn = "high"\nrepair = "bounce"\n')
    with pytest.raises(SynthRecordsError, match=r"constraints.inequality.0.repair"):
        load_job(tmp_path / "bad.toml")


def test_from_suites_turns_the_jobs_business_rules_into_constraints(tmp_path):
    from pathlib import Path

    suite = Path(__file__).resolve().parents[1] / "expectations" / "customers.json"
    (tmp_path / "job.toml").write_text(
        f'[validate]\nsuites = ["{suite}"]\n[constraints]\nfrom_suites = true\n'
        'derived = { tenure_months = "months_between(signup_date, \'2025-12-31\')" }\n')
    made = {k.column: k.to_dict() for k in job_constraints(load_job(tmp_path / "job.toml"))}
    # credit_score 300-850 and num_products 1-6 are rules; income's has a tolerance (mostly 0.99), and
    # tenure_months >= 0 is left to its formula
    assert made["credit_score"] == {"kind": "inequality", "column": "credit_score", "at_least": 300,
                                    "at_most": 850, "strict": False, "repair": "clip"}
    assert set(made) == {"credit_score", "num_products", "tenure_months"} and made["tenure_months"]["kind"] == "derived"


def test_the_demo_lookup_holds_every_place_of_the_sample_table():
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "sample_data"
    columns = ["postcode", "city", "state", "region"]
    places = pd.read_csv(data / "geography_lookup.csv", dtype=str)
    real = pd.read_csv(data / "customers.csv", dtype=str)[columns].drop_duplicates()
    assert len(real.merge(places[columns])) == len(real)
    hierarchy(columns, data / "geography_lookup.csv", anchor="city", weight="population")  # nested from city up


def test_the_demo_lookups_populations_are_the_generators_city_weights():
    import sys
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "sample_data"
    sys.path.insert(0, str(data))
    try:
        from make_customers import city_weights
    finally:
        sys.path.remove(str(data))
    people = pd.read_csv(data / "geography_lookup.csv", dtype={"postcode": str}).groupby("city").population.sum()
    # the biggest cities hold the largest shares; every city's population is its generator weight
    assert np.allclose(np.sort(people.to_numpy())[::-1] / people.sum(), city_weights(300), rtol=1e-3, atol=1e-7)


def test_under_dp_filled_in_columns_cost_nothing_and_still_hold(table, lookup):
    dp = Synthesizer(epsilon=3.0, epochs=1, seed=0, nlp_model=None, constraints=constraints(lookup)).fit(table)
    measured = " ".join(e["detail"] for e in dp.ledger_.to_dict()["entries"] if e["stage"] == "domain")
    assert "noisy histograms of 6 columns (birth_date, signup_date, city, low, high, segment)" in measured
    assert dp.ledger_.to_dict()["epsilon_spent"] <= 3.0 + 1e-9
    out = dp.sample(300, seed=1)
    assert out.tenure_months.tolist() == [calendar_months(s) for s in out.signup_date]
    assert set(map(tuple, out[["postcode", "city", "state", "region"]].astype(str).to_numpy())) <= set(PLACES)
    assert (pd.to_datetime(out.signup_date) >= pd.to_datetime(out.birth_date) + pd.DateOffset(years=18)).all()


def test_regenerating_the_lookups_reproduces_the_committed_files(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "sample_data"
    subprocess.run([sys.executable, "make_geography_lookup.py", "--out", str(tmp_path / "geography_lookup.csv")],
                   cwd=data, check=True, capture_output=True, timeout=120)
    for name in ("geography_lookup.csv", "city_lookup.csv"):
        assert (tmp_path / name).read_bytes() == (data / name).read_bytes()


def test_a_date_moves_by_a_month_count_taken_from_a_column():
    frame = pd.DataFrame({"tenure_months": [0, 1, 10, 22, None], "d": ["2000-02-29", "2001-03-31", "2002-01-15",
                                                                    None, "2003-05-05"]})
    signup = parse('add_months("2025-12-31", -tenure_months)', "t").evaluate(frame)
    assert signup.dt.strftime("%Y-%m-%d").tolist()[:4] == ["2025-12-31", "2025-11-30", "2025-02-28", "2024-02-29"]
    assert signup.isna().tolist() == [False] * 4 + [True]
    back = parse('months_between(add_months("2025-12-31", -tenure_months), "2025-12-31")', "t").evaluate(frame)
    assert back.tolist()[:4] == [0, 1, 10, 22]  # the month count survives the round trip
    assert parse("add_months(d, tenure_months)", "t").evaluate(frame).dt.strftime("%Y-%m-%d").tolist()[:3] == [
        "2000-02-29", "2001-04-30", "2002-11-15"]
    col = Derived("signup_date", 'add_months("2025-12-31", -tenure_months)').domain_of(
        Domain({"tenure_months": ColumnDomain("tenure_months", "numerical", lower=0, upper=191, integer=True)}))
    assert (col.kind, col.lower, col.upper) == ("datetime", "2010-01-31", "2025-12-31")


def test_a_bound_over_a_derived_column_is_checked_after_it_and_the_repair_moves_only_its_own_column():
    rules = ConstraintSet([Inequality("birth_date", at_most="add_years(signup_date, -18)"),
                           Derived("signup_date", 'add_months("2025-12-31", -tenure_months)')])
    assert [k.kind for k in rules.ordered()] == ["derived", "inequality"]
    frame = pd.DataFrame({"tenure_months": [120, 3, 40], "birth_date": ["1990-06-01", "2008-01-01", "2005-01-01"]})
    domain = Domain({"birth_date": ColumnDomain("birth_date", "datetime", datetime_format="%Y-%m-%d"),
                     "tenure_months": ColumnDomain("tenure_months", "numerical", integer=True)})
    out, rejected, done = rules.apply(frame, domain, np.random.default_rng(0))
    assert out.tenure_months.tolist() == [120, 3, 40]  # the modelled signal is left as drawn
    assert out.signup_date.tolist() == ["2015-12-31", "2025-09-30", "2022-08-31"]
    # 1990 was 18 at signup; the 2008 and 2005 birth dates move back onto the 18th birthday
    assert out.birth_date.tolist() == ["1990-06-01", "2007-09-30", "2004-08-31"]
    assert done[1]["broken"] == 2 and not rejected.any()


def test_a_formula_over_a_repaired_column_sees_the_repaired_value():
    rules = ConstraintSet([Derived("tenure_months", TENURE), Inequality("signup_date", at_least="2010-01-01")])
    assert [k.kind for k in rules.ordered()] == ["inequality", "derived"]
    frame = pd.DataFrame({"signup_date": ["2009-05-01"]})
    domain = Domain({"signup_date": ColumnDomain("signup_date", "datetime", datetime_format="%Y-%m-%d")})
    out, _, _ = rules.apply(frame, domain, np.random.default_rng(0))
    assert out.to_dict("list") == {"signup_date": ["2010-01-01"], "tenure_months": [191]}


def test_constraints_that_each_change_what_the_other_reads_are_refused():
    circle = ConstraintSet([Derived("signup_date", 'add_months("2025-12-31", -tenure_months)'),
                            Inequality("tenure_months", at_most='months_between(signup_date, "2025-12-31")')])
    with pytest.raises(SynthRecordsError, match="a circle"):
        circle.check(["signup_date", "tenure_months"])


def test_below_a_generalised_value_a_public_weight_sets_each_rows_chance(tmp_path):
    people = {"10001": 100, "10002": 300, "12345": 1200}  # Alpha 400 in all, Beta 1200, Gamma 400
    rows = [list(p) for p in PLACES if p[2] == "NY"]
    weights = [people.get(p[0], 0) if p[1] != "Gamma" else 400 for p in rows]
    places = Combinations(["postcode", "city", "state", "region"], rows, "city", weights=weights)
    frame = pd.DataFrame({"city": ["NY*"] * 4000 + ["Alpha"] * 2000})
    places.apply(frame, Domain({"city": ColumnDomain("city", "categorical", categories=["NY*", "Alpha"],
                                                     frequencies=[0.5, 0.5])}), np.random.default_rng(4))
    below = frame.city[:4000].value_counts(normalize=True)  # Alpha was released, so NY* is Beta or Gamma
    assert below.to_dict() == pytest.approx({"Beta": 0.75, "Gamma": 0.25}, abs=0.03)
    assert frame.postcode[4000:].value_counts(normalize=True).to_dict() == pytest.approx(
        {"10002": 0.75, "10001": 0.25}, abs=0.03)  # an exact city's postcodes by their weight too
    # the weights are saved with the constraint, so a loaded model draws the same way
    assert from_dict(places.to_dict()).weights == weights


def test_a_lookups_weight_column_is_read_summed_per_row_and_checked(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text("postcode,city,state,population\n1,A,X,10\n2,A,X,30\n1,A,X,5\n3,B,Y,0\n")
    places = hierarchy(["postcode", "city", "state"], path, anchor="city", weight="population")
    assert places.rows == [["1", "A", "X"], ["2", "A", "X"], ["3", "B", "Y"]] and places.weights == [15.0, 30.0, 0.0]
    path.write_text("postcode,city,state,population\n1,A,X,many\n")
    with pytest.raises(SynthRecordsError, match="line 2: weight 'population' is 'many', not a number"):
        hierarchy(["postcode", "city", "state"], path, anchor="city", weight="population")
    with pytest.raises(SynthRecordsError, match="has no column 'people'"):
        hierarchy(["postcode", "city", "state"], path, anchor="city", weight="people")
    with pytest.raises(SynthRecordsError, match="one public weight >= 0 per row"):
        Combinations(["postcode", "city"], [["1", "A"]], "city", weights=[-1.0])
