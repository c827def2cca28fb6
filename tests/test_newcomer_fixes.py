"""Small things a newcomer met: a signup date is not a birth date; `protect` keeps integers."""

import random

import pandas as pd
from conftest import SAMPLE

from synthrecords.pii.protect import pseudonymize
from synthrecords.pii.scan import scan_pii


def dates(seed: int, first: int, last: int, n: int = 200) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.randint(first, last)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(n)]


def test_a_date_named_for_an_account_event_is_not_a_birth_date():
    df = pd.DataFrame({"signup_date": dates(1, 2000, 2025), "created_at": dates(2, 2000, 2025),
                       "date_opened": dates(3, 1995, 2025), "d1": dates(4, 1940, 2004),
                       "birth_date": dates(5, 1940, 2004)})
    report = scan_pii(df, nlp_model=None)
    for column in ("signup_date", "created_at", "date_opened"):
        assert "DATE_OF_BIRTH" not in report[column].entities, (column, report[column])
    assert report["d1"].entities == ["DATE_OF_BIRTH"] and report["birth_date"].category == "quasi"


def test_the_sample_tables_signup_date_is_not_read_as_a_birth_date():
    df = pd.read_csv(SAMPLE, usecols=["signup_date", "birth_date"])
    report = scan_pii(df, nlp_model=None)
    assert "DATE_OF_BIRTH" not in report["signup_date"].entities
    assert report["birth_date"].entities == ["DATE_OF_BIRTH"]


def test_protect_keeps_whole_numbers_with_gaps_as_integers(tmp_path):
    df = pd.DataFrame({"email": [f"person{i}@example.org" for i in range(40)],
                       "income": [121010.0 + i if i % 7 else None for i in range(40)],
                       "rate": [0.5 + i for i in range(40)]})
    out = pseudonymize(df, scan_pii(df, nlp_model=None), secret=b"k" * 32)
    path = tmp_path / "out.csv"
    out.to_csv(path, index=False)
    text = path.read_text()
    assert "121011," in text and "121011.0" not in text
    assert "0.5" in text or "1.5" in text  # real fractions stay fractions
    assert out["income"].isna().sum() == df["income"].isna().sum()


def test_settings_that_would_be_ignored_are_reported(caplog):
    import logging

    from synthrecords import Synthesizer

    df = pd.read_csv(SAMPLE, usecols=["state", "credit_score", "fraud_flag"]).head(300)
    with caplog.at_level(logging.WARNING, logger="synthrecords"):
        Synthesizer(model="gaussian_copula", epochs=50, seed=0, nlp_model=None,
                    public_domain={"state": {"categories": ["CA"]}}).fit(df)
    text = caplog.text
    assert "epochs=50 is ignored" in text
    assert "used only with an epsilon" in text


def test_public_categories_that_miss_rows_of_the_data_are_reported(caplog):
    import logging

    from synthrecords import Synthesizer

    df = pd.read_csv(SAMPLE, usecols=["state", "credit_score", "fraud_flag"]).head(300)
    with caplog.at_level(logging.WARNING, logger="synthrecords"):
        Synthesizer(epsilon=3, epochs=1, seed=0, nlp_model=None,
                    public_domain={"state": {"categories": ["CA", "NY", "TX"]},
                                   "fraud_flag": {"categories": [0, 1]}}).fit(df)
    warned = [r.getMessage() for r in caplog.records if "public categories" in r.getMessage()]
    assert len(warned) == 1 and "'state' leave out" in warned[0]  # fraud_flag's labels cover its rows
