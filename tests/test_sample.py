"""Stage 6: class mixes, fixed conditions and the sampling report, on real fitted engines."""

import numpy as np
import pandas as pd
import pytest

from synthrecords.domain import data_domain
from synthrecords.errors import SynthRecordsError
from synthrecords.models.train import make_engine
from synthrecords.privacy.ledger import PrivacyLedger
from synthrecords.sample import parse_conditions, parse_oversample, plan_cells, sample_rows


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(1)
    n = 600
    segment = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    return pd.DataFrame({
        "age": rng.integers(18, 90, n), "segment": segment,
        "flag": ((rng.random(n) < 0.08) & (segment != "c")).astype(int),  # never flag 1 in segment c
        "income": rng.normal(50_000, 9_000, n).round(2),
    })


@pytest.fixture(scope="module")
def fitted(table):
    domain = data_domain(table)
    engine = make_engine("gaussian_copula")
    engine.fit(table, domain, PrivacyLedger(), seed=0)
    return engine, domain


def test_one_class_gets_its_exact_share(fitted):
    engine, domain = fitted
    out, report = sample_rows(engine, 200, domain, oversample=parse_oversample(["flag=1:0.3"]), seed=2)
    assert len(out) == 200 and (out.flag == 1).sum() == 60
    assert report.achieved == {"flag": {1: 0.3}} and report.requested == {"flag": {1: 0.3}}


def test_several_columns_at_once_multiply_into_exact_cells(fitted):
    engine, domain = fitted
    mix = {"flag": {"1": 0.5}, "segment": {"b": 0.2, "c": 0.1}}
    out, report = sample_rows(engine, 400, domain, oversample=mix, seed=3, max_rounds=40)
    assert len(out) == 400
    assert (out.flag == 1).sum() == 200 and (out.segment == "b").sum() == 80
    assert ((out.flag == 1) & (out.segment == "b")).sum() == 40  # 0.5 * 0.2 of 400
    assert report.achieved["segment"]["b"] == pytest.approx(0.2)


def test_conditions_fix_a_value_in_every_row(fitted):
    engine, domain = fitted
    out, report = sample_rows(engine, 150, domain, conditions=parse_conditions(["segment=b"]), seed=4)
    assert len(out) == 150 and set(out.segment) == {"b"}
    assert report.to_dict()["conditions"] == {"segment": "b"}


def test_conditions_and_a_mix_combine(fitted):
    engine, domain = fitted
    out, _ = sample_rows(engine, 100, domain, conditions={"segment": "a"}, oversample={"flag": {1: 0.4}}, seed=5)
    assert set(out.segment) == {"a"} and (out.flag == 1).sum() == 40


def test_rows_the_model_rarely_produces_are_reported_not_looped_on(fitted):
    engine, domain = fitted
    oldest = lambda frame: frame.age >= 88  # about 3 % of rows pass
    out, report = sample_rows(engine, 200, domain, oversample={"flag": {1: 0.5}}, keep=oldest, seed=6, max_rounds=1)
    assert len(out) == 200  # always the requested row count
    d = report.to_dict()
    assert all(c["filled_without_condition"] > 0 for c in d["cells"])
    assert 0 < d["acceptance_rate"] < 0.2
    assert d["filter"]["rejected"] > 0 and d["filter"]["rejection_rate"] > 0.8
    kept = sum(c["kept"] for c in d["cells"])
    assert (out.age >= 88).sum() >= kept  # the kept rows are in the output, the rest is filled


def test_cells_are_planned_with_exact_counts():
    cells = plan_cells(7, {"y": {1: 0.5}}, {"region": "west"})
    assert sum(c.rows for c in cells) == 7
    assert [c.fixed for c in cells] == [{"region": "west", "y": 1}, {"region": "west"}]
    assert cells[1].excluded == {"y": {1}}


def test_a_column_both_fixed_and_oversampled_is_refused(fitted):
    engine, domain = fitted
    with pytest.raises(SynthRecordsError, match="either fixed by conditions or oversampled"):
        sample_rows(engine, 10, domain, conditions={"flag": 1}, oversample={"flag": {1: 0.5}})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"oversample": {"flag": {"7": 0.5}}}, "no category '7'"),
    ({"oversample": {"nope": {"1": 0.5}}}, "column 'nope' is not modelled"),
    ({"oversample": {"income": {"1": 0.5}}}, "only categorical columns"),
    ({"oversample": {"flag": {"1": 1.5}}}, r"must be in \(0, 1\)"),
    ({"oversample": {"segment": {"a": 0.6, "b": 0.6}}}, "sum to 1.2"),
    ({"conditions": {"segment": "zzz"}}, "no category 'zzz'"),
])
def test_bad_requests_name_the_column_and_the_fix(fitted, kwargs, message):
    engine, domain = fitted
    with pytest.raises(SynthRecordsError, match=message):
        sample_rows(engine, 10, domain, **kwargs)


@pytest.mark.parametrize("spec", ["flag", "flag=1", "flag=1:x", "=1:0.2"])
def test_malformed_oversample_specs_show_the_expected_form(spec):
    with pytest.raises(SynthRecordsError, match="COL=VALUE:SHARE|not a number"):
        parse_oversample([spec])


@pytest.mark.parametrize("specs", [["region"], ["=west"], ["region=west", "region=east"]])
def test_malformed_conditions_show_the_expected_form(specs):
    with pytest.raises(SynthRecordsError, match="COL=VALUE|given twice"):
        parse_conditions(specs)


# -- through the product: API, job report, CLI -------------------------------------------
def test_an_integer_coded_target_becomes_conditionable(small_csv):
    from synthrecords import Synthesizer, load_table

    real = load_table(small_csv).assign(score_band=lambda d: np.arange(len(d)) % 12)  # 12 integer classes
    synth = Synthesizer(model="gaussian_copula", target="score_band", seed=0).fit(real)
    assert synth.domain_["score_band"].kind == "categorical"
    out = synth.sample(60, conditions={"score_band": "11"}, seed=1)
    assert set(out["score_band"]) == {11}


def test_a_run_reports_the_requested_and_achieved_mix_and_the_class_fidelity(small_csv):
    from synthrecords import synthesize

    result = synthesize(small_csv, rows=300, model={"name": "gaussian_copula", "seed": 1, "target": "fraud_flag"},
                        sample={"oversample": {"fraud_flag": {"1": 0.3}}, "conditions": {"gender": "F"}})
    sampling = result.report["sampling"]
    assert sampling["requested"] == {"fraud_flag": {"1": 0.3}} and sampling["achieved"] == {"fraud_flag": {"1": 0.3}}
    assert set(result.synthetic["gender"]) == {"F"}
    [fidelity] = sampling["class_fidelity"]
    assert fidelity["column"] == "fraud_flag" and fidelity["synthetic_rows"] == 90
    if fidelity["score"] is not None:  # needs 5 real rows of the class in the training split
        assert 0 <= fidelity["score"] <= 1 and "credit_score" in fidelity["per_column"]


def test_cli_sample_prints_the_mix_it_achieved(small_csv, tmp_path):
    from conftest import run_cli

    model = tmp_path / "m"
    run_cli("fit", small_csv, "--out", model, "--model", "gaussian_copula", "--seed", "1")
    out = tmp_path / "s.csv"
    proc = run_cli("sample", model, "--rows", "100", "--out", out, "--seed", "2",
                   "--oversample", "fraud_flag=1:0.2", "--condition", "gender=M")
    assert "mix fraud_flag: 1 asked 20.0% got 20.0%" in proc.stdout and "conditions: gender=M" in proc.stdout
    frame = pd.read_csv(out)
    assert (frame.fraud_flag == 1).sum() == 20 and set(frame.gender) == {"M"}


def test_rows_passing_uses_great_expectations_row_level_results():
    from synthrecords.domain import ColumnDomain, Domain
    from synthrecords.validation.expectations import build_suite, rows_passing

    domain = Domain({"age": ColumnDomain("age", "numerical", lower=18, upper=90, integer=True, decimals=0),
                     "segment": ColumnDomain("segment", "categorical", categories=["a", "b"]),
                     "joined": ColumnDomain("joined", "datetime", lower="2020-01-01", upper="2021-12-31",
                                            datetime_format="%Y-%m-%d")})
    frame = pd.DataFrame({"age": [20, 95, 40, 50], "segment": ["a", "b", "zzz", "a"],
                          "joined": ["2020-05-01", "2021-01-01", "2020-02-02", "2030-01-01"]}, index=[7, 8, 9, 10])
    ok = rows_passing(frame, [build_suite(domain)])
    assert ok.index.tolist() == [7, 8, 9, 10] and ok.tolist() == [True, False, False, False]


def test_the_filter_replaces_rows_breaking_a_row_level_expectation(fitted):
    from synthrecords.validation.expectations import build_suite, rows_passing

    engine, domain = fitted
    narrow = domain.columns["age"]
    strict = type(domain)({**domain.columns, "age": type(narrow)(**{**narrow.__dict__, "upper": 50})})
    suite = build_suite(strict)  # a rule the model breaks often: age at most 50
    out, report = sample_rows(engine, 300, domain, keep=lambda f: rows_passing(f, [suite]), seed=8)
    assert len(out) == 300 and out.age.max() <= 50
    d = report.to_dict()["filter"]
    assert d["rejected"] > 0 and 0 < d["rejection_rate"] < 1 and d["checked"] >= 300 + d["rejected"]


def test_sample_filter_through_the_synthesizer_reports_the_rejection_rate(small_csv):
    from synthrecords import Synthesizer, load_table

    synth = Synthesizer(model="gaussian_copula", seed=0).fit(load_table(small_csv))
    out, report = synth.sample_with_report(200, filter_rows=True, seed=3)
    assert len(out) == 200 and report.to_dict()["filter"]["checked"] >= 200
