"""The protect stage: direct identifiers never reach the model or the release (GitHub issue 3)."""

from __future__ import annotations

import json
import re
import time

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthrecords.errors import SynthRecordsError
from synthrecords.pii.fakes import FakePlan, chance_spaces
from synthrecords.pii.fakes.formats import fill_mask
from synthrecords.pii.fakes.ids import FICTIONAL_IDS
from synthrecords.pii.leakage import ValueMatcher, cell_strings
from synthrecords.pii.policy import ProtectionPolicy
from synthrecords.pii.protect import add_fakes, check_leakage, protect, pseudonymize
from synthrecords.pii.rules import VALIDATORS, iban_valid, luhn_valid, shape_mask
from synthrecords.pii.scan import ColumnFinding, PiiReport, scan_pii

try:
    from tests.pii_table import make_pii_table
except ImportError:
    from pii_table import make_pii_table

SECRET = b"test-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def real():
    df, _ = make_pii_table(n_rows=300, seed=3)
    return df


@pytest.fixture(scope="module")
def report(real):
    return scan_pii(real)


@pytest.fixture(scope="module")
def protected(real, report):
    return protect(real, report)


@pytest.fixture(scope="module")
def forbidden(real, report):
    return {c: set(cell_strings(real[c])) for c in report.columns_in("direct")}


@pytest.fixture(scope="module")
def release(protected):
    # stand-in for the model: shuffled modelling rows, as a synthesizer would emit them
    synthetic = protected.data.sample(frac=1, random_state=0).reset_index(drop=True)
    # A fixed private fake_seed: this table's real e-mails sit on example.* (Faker's safe
    # domains), where 1-2 % of secret seeds give a fake containing one by chance
    # ("x.shill@example.org" holds the real "shill@example.org"); real mail never does.
    return add_fakes(synthetic, protected.fakes, protected.column_order, fake_seed=0)


@pytest.fixture(scope="module")
def pseudonymized(real, report):
    return pseudonymize(real, report, secret=SECRET)


# ---------------------------------------------------------------- protect


def test_modelling_frame_has_no_direct_identifier_column(protected, report):
    assert not set(protected.data.columns) & set(report.columns_in("direct"))
    assert {p.column for p in protected.fakes} == set(report.columns_in("direct"))


def test_free_text_is_redacted_to_entity_tags(protected):
    notes = " ".join(protected.data["notes"])
    assert "<PERSON>" in notes and "<EMAIL>" in notes and "<PHONE>" in notes


def test_redacted_free_text_holds_no_direct_value_of_the_table(real, protected, report):
    check = check_leakage(real, protected.data, report)
    assert check.passed, check.findings


def test_release_order_is_the_input_order(real, protected):
    assert protected.column_order == list(real.columns)
    assert set(protected.actions.values()) == {"fake", "redact", "keep"}


def test_dropped_columns_leave_the_release_order(real, report):
    policy = ProtectionPolicy(direct="drop", free_text="drop", columns={"amount": "drop"})
    result = protect(real, report, policy=policy)
    assert result.fakes == []
    assert result.column_order == [c for c in real.columns if report[c].category in ("quasi", "none") and c != "amount"]


def test_hash_action_gives_hex_tokens_shaped_alike(real, report):
    small = real[["email", "age"]]
    result = protect(small, PiiReport([report["email"], report["age"]], report.nlp_model),
                     policy=ProtectionPolicy(direct="hash"))
    out = add_fakes(result.data, result.fakes, result.column_order)
    assert out["email"].str.fullmatch(r"[0-9a-f]{16}").all()


def test_protect_needs_a_report_covering_every_column(real, report):
    with pytest.raises(SynthRecordsError, match="not in the PII report"):
        protect(real.assign(extra=1), report)


# ---------------------------------------------------------------- fakes


def test_release_has_the_input_columns_in_the_input_order(real, release):
    assert list(release.columns) == list(real.columns)


def test_release_passes_the_leakage_check(real, release, report, protected):
    # customer numbers and passports are drawn uniformly over their format: equal values by chance are allowed
    check = check_leakage(real, release, report, spaces=chance_spaces(protected.fakes))
    assert check.passed, check.findings
    assert check.checked_columns == report.columns_in("direct")


@pytest.mark.parametrize("column, check", [
    ("email", lambda v: re.fullmatch(r"[^@\s]+@example\.(com|org|net)", v)),
    ("iban", iban_valid), ("ref_a", iban_valid),
    ("card_number", luhn_valid),
    # national IDs: a never-issued space (SSN area 9xx, NINO prefix QQ, ...) or, for Spain, a valid NIF
    ("national_id", lambda v: any(p.fullmatch(v) for p in FICTIONAL_IDS.values()) or VALIDATORS["ES_NIF"](v)),
    ("customer_id", lambda v: re.fullmatch(r"CU-\d{7}", v)),
    ("ip_address", lambda v: re.fullmatch(r"[\d.]{7,15}|[0-9a-f:]{2,39}", v)),
    ("homepage", lambda v: v.startswith("https://www.example.")),
    ("telefono", lambda v: sum(ch.isdigit() for ch in v) >= 7),
    ("passport_no", lambda v: re.fullmatch(r"[A-Z0-9]{9}", v)),
])
def test_fakes_keep_the_format_of_their_column(release, column, check):
    assert all(check(v) for v in release[column]), release[column].head()


def test_fakes_are_unique_where_the_input_was(release, protected):
    for plan in protected.fakes:
        if plan.unique:
            assert release[plan.column].is_unique, plan.column


def test_fakes_follow_the_input_locale_mix(release):
    countries = release["iban"].str[:2].value_counts(normalize=True)
    assert {"DE", "FR", "ES", "GB"} <= set(countries.index)


def test_fake_plans_hold_no_real_value(protected, forbidden):
    text = json.dumps([p.to_dict() for p in protected.fakes])
    matcher = ValueMatcher({v.casefold() for values in forbidden.values() for v in values})
    assert matcher.find(text.replace("\\\\", "")) == []


def test_fake_plan_round_trips_through_a_dict(protected):
    for plan in protected.fakes:
        assert FakePlan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_add_fakes_is_reproducible_only_with_a_private_fake_seed(protected):
    a = add_fakes(protected.data, protected.fakes, protected.column_order, fake_seed=5)
    b = add_fakes(protected.data, protected.fakes, protected.column_order, fake_seed=5)
    pd.testing.assert_frame_equal(a, b)
    fresh = add_fakes(protected.data, protected.fakes, protected.column_order)  # a secret seed each call
    assert not fresh["email"].equals(a["email"])


def test_add_fakes_keeps_integer_columns_integer():
    plan = FakePlan("account", entity="ID", masks={"99999999": 1.0}, dtype="int64", unique=True)
    out = add_fakes(pd.DataFrame({"x": range(50)}), [plan], ["account", "x"])
    assert out["account"].dtype == "int64" and out["account"].is_unique


def test_add_fakes_puts_columns_in_release_order_and_leaves_its_input_alone():
    plan = FakePlan("account", entity="ID", masks={"99999999": 1.0}, dtype="int64", unique=True)
    rows = pd.DataFrame({"x": range(5), "y": list("abcde"), "extra": 1.5}, index=range(10, 15))
    before = rows.copy()
    out = add_fakes(rows, [plan], ["y", "account", "x"])
    assert list(out.columns) == ["y", "account", "x", "extra"]  # columns outside the order go last
    assert list(out.index) == list(rows.index) and out["account"].notna().all()
    pd.testing.assert_frame_equal(rows, before)


def test_add_fakes_names_missing_release_columns(protected):
    with pytest.raises(SynthRecordsError, match="no_such"):
        add_fakes(protected.data, protected.fakes, protected.column_order + ["no_such"])


@given(st.text(alphabet="9Aa-/ .", min_size=1, max_size=30))
def test_filled_masks_have_the_mask_shape(mask):
    import numpy as np

    assert all(shape_mask(v) == mask for v in fill_mask(mask, 5, np.random.default_rng(1)))


# ---------------------------------------------------------------- consistent mode


def test_pseudonymize_maps_each_real_value_to_one_fake(real, pseudonymized):
    pairs = pd.DataFrame({"real": real["email"], "fake": pseudonymized["email"]}).drop_duplicates()
    assert pairs["real"].is_unique and pairs["fake"].is_unique


def test_pseudonymize_is_stable_for_a_secret_and_changes_with_it(real, report, pseudonymized):
    small = real[["email", "nombre"]].head(20)
    sub = PiiReport([report["email"], report["nombre"]], report.nlp_model)
    first = pseudonymize(small, sub, secret=SECRET)
    assert first.equals(pseudonymize(small, sub, secret=SECRET))
    assert not first["email"].equals(pseudonymize(small, sub, secret=b"another-secret-0123456789")["email"])


def test_pseudonymized_rows_pass_the_leakage_check(real, report, pseudonymized):
    assert check_leakage(real, pseudonymized, report).passed


def test_pseudonymize_puts_the_same_fake_name_inside_free_text():
    df = pd.DataFrame({"customer_name": ["Hannelore Brinkmann", "Giuseppe Verdi-Rossi"] * 15,
                       "notes": ["Called Hannelore Brinkmann about the delayed parcel today.",
                                 "Giuseppe Verdi-Rossi asked for a refund of the last order."] * 15})
    report = scan_pii(df)
    out = pseudonymize(df, report, secret=SECRET)
    for fake, note in zip(out["customer_name"], out["notes"]):
        assert fake in note


def test_pseudonymize_keeps_integer_identifiers_integer():
    df = pd.DataFrame({"customer_id": range(10_000_000, 10_000_040)})
    out = pseudonymize(df, scan_pii(df, nlp_model=None), secret=SECRET)
    assert out["customer_id"].dtype == "int64" and not set(out["customer_id"]) & set(df["customer_id"])


def test_pseudonymize_needs_a_real_secret(real, report):
    with pytest.raises(SynthRecordsError, match="secret"):
        pseudonymize(real, report, secret=b"short")


# ---------------------------------------------------------------- leakage check


def _report(**categories):
    return PiiReport([ColumnFinding(c, cat, [], 1.0, "keep", ["test"]) for c, cat in categories.items()], None)


_REAL = pd.DataFrame({"name": ["Hannelore Brinkmann", "Li", "Oskar Wendt"], "city": ["Berlin", "Wendt", "Rom"]})
_LEAK_REPORT = _report(name="direct", city="quasi")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.sampled_from(["Hannelore Brinkmann", "Oskar Wendt"]), row=st.integers(0, 2),
       prefix=st.sampled_from(["", "Call ", "see: "]), suffix=st.sampled_from(["", " today", "."]),
       upper=st.booleans())
def test_leakage_check_finds_any_planted_value(value, row, prefix, suffix, upper):
    output = pd.DataFrame({"name": ["Ada Kahn", "Bo Li Tan", "Cy Moe"], "note": ["ok", "fine", "done"]})
    planted = prefix + (value.upper() if upper else value) + suffix
    output.loc[row, "note"] = planted
    check = check_leakage(_REAL, output, _LEAK_REPORT)
    assert not check.passed
    assert check.findings[0] == {"column": "name", "found_in": "note", "row": row,
                                 "kind": "exact" if planted.strip() in (value, value.upper()) else "substring"}


def test_leakage_check_ignores_values_shorter_than_four_characters_and_says_so():
    check = check_leakage(_REAL, pd.DataFrame({"note": ["Li was here"]}), _LEAK_REPORT)
    assert check.passed and check.ignored_short_values == 1 and "shorter than 4" in check.notes[0]


def test_leakage_check_does_not_count_a_word_inside_a_longer_word():
    assert check_leakage(_REAL, pd.DataFrame({"note": ["Oskar Wendtland"]}), _LEAK_REPORT).passed


def test_a_quasi_value_that_equals_a_direct_value_is_excused_not_a_leak():
    check = check_leakage(_REAL.assign(name=["Hannelore Brinkmann", "Li", "Wendt"]),
                          pd.DataFrame({"city": ["Wendt", "Berlin"]}), _LEAK_REPORT)
    assert check.passed and check.excused == 1


def test_leakage_result_serialises_without_real_values():
    check = check_leakage(_REAL, pd.DataFrame({"note": ["hi Oskar Wendt"]}), _LEAK_REPORT)
    assert "Oskar" not in json.dumps(check.to_dict()) and check.total == 1


def test_leakage_check_is_fast_on_5000_rows_by_20_columns(real, report, release):
    big_real = pd.concat([real] * 17, ignore_index=True).head(5000)
    big_out = pd.concat([release] * 17, ignore_index=True).head(5000).iloc[:, :20]
    start = time.perf_counter()
    check_leakage(big_real, big_out, report)
    assert time.perf_counter() - start < 3.0


# ---------------------------------------------------------------- policy


def test_policy_round_trips_through_a_dict():
    policy = ProtectionPolicy(direct="hash", columns={"email": "drop"}, consistent=True)
    assert ProtectionPolicy.from_dict(policy.to_dict()) == policy


@pytest.mark.parametrize("bad, words", [
    ({"direct": "redact"}, ["direct", "fake", "drop", "hash"]),
    ({"columns": {"email": "mask"}}, ["email", "mask", "keep"]),
    ({"quasi": "fake"}, ["quasi", "keep"]),
    ({"drect": "fake"}, ["drect", "direct"]),
])
def test_policy_errors_name_the_option_and_the_allowed_values(bad, words):
    with pytest.raises(ValueError) as err:
        ProtectionPolicy.from_dict(bad)
    assert all(w in str(err.value) for w in words)


def test_policy_defaults_per_category_and_column_overrides_win():
    policy = ProtectionPolicy(columns={"zip": "drop"})
    assert [policy.action_for("a", c) for c in ("direct", "free_text", "quasi", "none")] == ["fake", "redact", "keep", "keep"]
    assert policy.action_for("zip", "quasi") == "drop"


# ---------------------------------------------------------------- record keys


def test_record_keys_are_never_copied_into_synthetic_rows_with_or_without_epsilon():
    # COMPAS' case numbers scanned "none" and a fit without DP copied every one of them (400 of
    # 400 synthetic case numbers were real); under DP they all came out "*"
    import random

    from synthrecords import Synthesizer

    rng = random.Random(5)
    n = 300
    real = pd.DataFrame({"case_no": [f"{rng.randint(13000000, 14999999)}CF10A" for _ in range(n)],
                         "priors": [rng.randint(0, 3) for _ in range(n)],
                         "charge": [rng.choice(["F", "M"]) for _ in range(n)]})
    for epsilon in (None, 8.0):
        synth = Synthesizer(epsilon=epsilon, seed=1, nlp_model=None).fit(real)
        out = synth.sample(n)
        assert synth.actions_["case_no"] == "fake"
        assert not out["case_no"].isin(set(real["case_no"])).any(), epsilon
        assert out["case_no"].str.fullmatch(r"\d{8}CF10A").all() and out["case_no"].is_unique, epsilon
