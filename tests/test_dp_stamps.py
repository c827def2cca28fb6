"""Timestamps written in UTC ("...Z", "+00:00") are dates under DP, and come out in their own form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthrecords import Synthesizer


@pytest.mark.parametrize("fmt", ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S+00:00"])
def test_utc_stamps_are_modelled_as_dates_and_keep_their_form(fmt):
    """Read as text, 2,000 hourly stamps were 2,000 labels of one row each: the release suppressed
    every one and the column came out as ``*``."""
    rng = np.random.default_rng(0)
    stamps = pd.Timestamp("2013-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, 2000), unit="h")
    data = pd.DataFrame({"time_hour": stamps.strftime(fmt), "origin": rng.choice(["EWR", "JFK", "LGA"], 2000)})
    synth = Synthesizer(epsilon=3.0, seed=0, nlp_model=None).fit(data)
    column = synth.domain_["time_hour"]
    assert (column.kind, column.datetime_format, column.source) == ("datetime", fmt, "dp")
    out = synth.sample(500, seed=1)["time_hour"]
    parsed = pd.to_datetime(out, format=fmt, errors="coerce")
    assert parsed.notna().all() and out.equals(parsed.dt.strftime(fmt))
    lower, upper = (pd.to_datetime(bound, format=fmt) for bound in (column.lower, column.upper))
    assert parsed.between(lower, upper).all()
