import numpy as np
import pandas as pd
import pytest

from synthrecords.domain import Domain, data_domain, infer_kind
from synthrecords.errors import SynthRecordsError


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "age": rng.integers(18, 90, 200),
        "income": rng.lognormal(10, 1, 200).round(2),
        "flag": rng.choice([0, 1], 200),
        "city": rng.choice(["Leeds", "York"], 200),
        "joined": pd.date_range("2020-01-01", periods=200, freq="D").strftime("%Y-%m-%d"),
        "active": rng.choice([True, False], 200),
    })


def test_kinds_are_inferred_from_values(frame):
    kinds = {c.name: c.kind for c in data_domain(frame)}
    assert kinds == {"age": "numerical", "income": "numerical", "flag": "categorical",
                     "city": "categorical", "joined": "datetime", "active": "boolean"}


def test_numeric_bounds_decimals_and_integerness_are_read(frame):
    d = data_domain(frame)
    assert d["age"].integer and d["age"].lower == frame.age.min() and d["age"].upper == frame.age.max()
    assert not d["income"].integer and d["income"].decimals == 2


def test_datetime_format_and_bounds(frame):
    col = data_domain(frame)["joined"]
    assert col.datetime_format == "%Y-%m-%d"
    assert (col.lower, col.upper) == ("2020-01-01", "2020-07-18")


def test_user_types_override_inference(frame):
    assert data_domain(frame, {"flag": "numerical"})["flag"].kind == "numerical"


def test_unknown_column_in_types_is_named(frame):
    with pytest.raises(SynthRecordsError, match="nope"):
        data_domain(frame, {"nope": "numerical"})


def test_text_in_a_numerical_column_names_the_row(frame):
    frame["income"] = frame["income"].astype(object)
    frame.loc[17, "income"] = "n/a"
    with pytest.raises(SynthRecordsError, match="row 17"):
        data_domain(frame, {"income": "numerical"})


def test_domain_round_trips_and_builds_sdv_metadata(frame):
    d = data_domain(frame)
    again = Domain.from_dict(d.to_dict())
    assert again.to_dict() == d.to_dict()
    md = again.to_sdv_metadata("t").to_dict()
    assert md["tables"]["t"]["columns"]["joined"]["sdtype"] == "datetime"


def test_nullable_is_recorded():
    s = pd.Series([1.5, None, 2.5] * 10)
    assert data_domain(pd.DataFrame({"x": s}))["x"].nullable


def test_text_dates_in_other_formats_are_recognised():
    assert infer_kind(pd.Series(["31/12/2020", "01/02/2021"]))[1] == "%d/%m/%Y"


@pytest.mark.parametrize("first, fmt", [
    ("1/13/11", "%m/%d/%y"), ("25/11/63", "%d/%m/%y"), ("12/31/2020", "%m/%d/%Y"), ("1960 Jan", "%Y %b"),
    ("6-Aug-09", "%d-%b-%y"), ("8/16/20 18:57", "%m/%d/%y %H:%M"), ("9/30/1990 0:00:00", "%m/%d/%Y %H:%M:%S"),
])
def test_dates_with_two_digit_years_months_and_spreadsheet_stamps_are_dates(first, fmt):
    """Read as text ("1/3/11": openintro's pm25 readings, a row or two a day) each day was a label
    of its own, and the DP release suppressed them all."""
    day = pd.to_datetime(first, format=fmt)
    if "%y" in fmt:  # the pivot the README states: 00-68 are 2000s, 69-99 1900s
        assert 1969 <= day.year <= 2068 and (day.year == 2063) == (first == "25/11/63")
    step = pd.DateOffset(months=1) if fmt == "%Y %b" else pd.Timedelta(days=3)
    series = pd.Series([first, *((day + i * step).strftime(fmt) for i in range(1, 200))])
    assert infer_kind(series) == ("datetime", fmt)
    col = data_domain(pd.DataFrame({"t": series}))["t"]
    assert col.lower == day.strftime(fmt) and pd.to_datetime(col.upper, format=fmt) == day + 199 * step


@pytest.mark.parametrize("stamp, fmt", [
    ("2013-05-07T19:00:00Z", "%Y-%m-%dT%H:%M:%SZ"),  # ISO 8601 in UTC, as APIs and databases write it
    ("2013-05-07T19:00:00+00:00", "%Y-%m-%dT%H:%M:%S+00:00"),
    ("2013-05-07 19:00:00+00:00", "%Y-%m-%d %H:%M:%S+00:00"),
    ("2013-05-07 19:05", "%Y-%m-%d %H:%M"),
    ("2013/05/07", "%Y/%m/%d"),
])
def test_utc_stamps_and_other_common_forms_are_dates_that_print_back_alike(stamp, fmt):
    """Read as text, each stamp was a label of its own, and the DP release suppressed them all."""
    day = pd.Timestamp(stamp.replace("Z", "").replace("+00:00", "").replace("/", "-"))
    series = pd.Series([(day + pd.Timedelta(hours=7 * i)).strftime(fmt) for i in range(300)])
    assert series[0] == stamp
    assert infer_kind(series) == ("datetime", fmt)
    col = data_domain(pd.DataFrame({"t": series}))["t"]
    assert (col.lower, col.upper) == (series.min(), series.max())


def test_stamps_with_mixed_offsets_stay_text():
    """One instant can be written with many offsets: no single format prints them back."""
    series = pd.Series(["2013-05-07T19:00:00+02:00", "2013-05-07T19:00:00-05:00"] * 50)
    assert infer_kind(series) == ("categorical", None)
