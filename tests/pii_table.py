"""A seeded, labelled table of mixed-locale personal data for the scan/protect tests.

`make_pii_table(n_rows, seed)` returns (df, labels) where labels maps every column to
the category a careful human would give it: direct, quasi, free_text or none. Each row
belongs to one of five locales (en_US, en_GB, de_DE, fr_FR, es_ES) and its names, phones,
addresses, IBANs and national IDs follow that locale. The non-personal columns are the
traps from GitHub issue 3: 10-digit order numbers, SKUs, branch codes that look like
phone numbers and repeat across rows, timestamps and amounts. The 16-digit tracking
numbers fail Luhn, so they are no card numbers, but they are text codes unique per row:
record keys, which link a row to a shipment and its address, so direct.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pandas as pd
from faker import Faker

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES")
_CURRENCY = {"en_US": "USD", "en_GB": "GBP", "de_DE": "EUR", "fr_FR": "EUR", "es_ES": "EUR"}
_NATIONALITY = {"en_US": "American", "en_GB": "British", "de_DE": "German", "fr_FR": "French", "es_ES": "Spanish"}
_PRODUCTS = ("Ergonomic Steel Chair", "Rustic Oak Table", "Classic Leather Sofa", "Smart Desk Lamp",
             "Vintage Wool Rug", "Compact Coffee Grinder", "Modern Glass Vase", "Cotton Bath Towel")
_NOTES_EN = (
    "Customer {name} called from {phone} about the late delivery and asked for a refund.",
    "Please send the corrected invoice to {email} before Friday, the client is waiting.",
    "Spoke with {name} today, new shipping address is {street}, confirmed by phone.",
    "Card ending was declined, customer {name} will pay by transfer from {iban} instead.",
    "Delivery arrived damaged, the customer would like a replacement as soon as possible.",
    "Login attempts from {ip} were blocked, the account owner {name} has been informed.",
)
_NOTES_LOCAL = (
    "El cliente {name} pidió que le llamemos al {phone} por la mañana, gracias.",
    "Kunde {name} bittet um Rückruf unter {phone} wegen der offenen Rechnung.",
    "Mme {name} a signalé un problème de livraison, merci d'écrire à {email} rapidement.",
    "The parcel for {name} at {street} was returned to the depot by the courier.",
    "Ninguna incidencia con este pedido, el cliente está contento con el servicio.",
)

LABELS = {
    "customer_id": "direct", "nombre": "direct", "vorname": "direct", "apellido": "direct",
    "email": "direct", "telefono": "direct", "c17": "direct", "national_id": "direct",
    "iban": "direct", "ref_a": "direct", "card_number": "direct", "ip_address": "direct",
    "homepage": "direct", "strasse": "direct", "passport_no": "direct", "kennzeichen": "direct",
    "geburtsdatum": "quasi", "plz": "quasi", "ciudad": "quasi", "age": "quasi", "gender": "quasi",
    "job_title": "quasi", "nationality": "quasi",
    "order_number": "none", "sku": "none", "branch_code": "none", "transaction_ts": "none",
    "amount": "none", "quantity": "none", "currency": "none", "tracking_number": "direct",
    "product_name": "none",
    "notes": "free_text", "comentario": "free_text",
}


def make_pii_table(n_rows: int = 300, seed: int = 0) -> tuple[pd.DataFrame, dict[str, str]]:
    rng = random.Random(seed)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed * 100 + i)
    skus = [f"SKU-{rng.randint(10000, 99999)}-{rng.choice('ABCDEFGH')}" for _ in range(40)]
    branches = [f"{rng.randint(100, 999)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}" for _ in range(12)]
    order_numbers = rng.sample(range(1_000_000_000, 9_999_999_999), n_rows)
    customer_ids = rng.sample(range(1_000_000, 9_999_999), n_rows)
    rows = [_row(rng, fakers[rng.choice(LOCALES)], skus, branches) for _ in range(n_rows)]
    df = pd.DataFrame(rows)
    df["customer_id"] = [f"CU-{c}" for c in customer_ids]
    df["order_number"] = pd.Series(order_numbers, dtype="int64")
    return df[list(LABELS)], dict(LABELS)


def _row(rng: random.Random, f: Faker, skus: list[str], branches: list[str]) -> dict:
    loc = f.locales[0] if hasattr(f, "locales") else f._locales[0]
    first, last = f.first_name(), f.last_name()
    dob = f.date_of_birth(minimum_age=18, maximum_age=90)
    street = f.street_address().replace("\n", ", ").strip()
    phone = f.phone_number()
    email = f.email()
    iban = f.iban()
    ip = f.ipv6() if rng.random() < 0.2 else f.ipv4_public()
    values = {"name": f"{first} {last}", "phone": phone, "email": email, "street": street, "iban": iban, "ip": ip}
    note_pool = _NOTES_EN if rng.random() < 0.5 else _NOTES_LOCAL
    return {
        "nombre": f"{first} {last}",
        "vorname": f.first_name(),
        "apellido": f.last_name(),
        "email": email,
        "telefono": phone,
        "c17": f.phone_number(),
        "national_id": national_id(loc, rng, f),
        "iban": iban,
        "ref_a": f.iban(),
        "card_number": _card(f, rng),
        "ip_address": ip,
        "homepage": rng.choice([f"https://www.{f.user_name()}.{rng.choice(['com', 'de', 'fr', 'es', 'co.uk'])}/",
                                f"https://profiles.example.net/{f.user_name()}{rng.randint(1, 999)}"]),
        "strasse": street,
        "passport_no": f.passport_number(),
        "kennzeichen": f.license_plate(),
        "geburtsdatum": dob.isoformat(),
        "plz": f.postcode(),
        "ciudad": f.city(),
        "age": (date(2025, 1, 1) - dob).days // 365,
        "gender": rng.choice(["F", "M", "D"]),
        "job_title": f.job(),
        "nationality": _NATIONALITY[loc],
        "sku": rng.choice(skus),
        "branch_code": rng.choice(branches),
        "transaction_ts": (datetime(2024, 1, 1) + timedelta(seconds=rng.randint(0, 365 * 86400))).isoformat(sep=" "),
        "amount": round(rng.uniform(1, 2500), 2),
        "quantity": rng.randint(1, 12),
        "currency": _CURRENCY[loc],
        "tracking_number": "".join(rng.choice("0123456789") for _ in range(16)),
        "product_name": rng.choice(_PRODUCTS),
        "notes": rng.choice(_NOTES_EN).format(**values),
        "comentario": rng.choice(note_pool).format(**values),
    }


def _card(f: Faker, rng: random.Random) -> str:
    number = f.credit_card_number(card_type=rng.choice(["visa16", "mastercard", "amex", "discover"]))
    if rng.random() < 0.3 and len(number) == 16:
        return " ".join(number[i:i + 4] for i in range(0, 16, 4))
    return number


def national_id(locale: str, rng: random.Random, f: Faker) -> str:
    """A checksum-valid national identifier of the row's country."""
    if locale == "en_US":
        return f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    if locale == "en_GB":
        return uk_nino(rng)
    if locale == "de_DE":
        return de_tax_id(rng)
    if locale == "fr_FR":
        return fr_nir(rng)
    return f.nif()


def uk_nino(rng: random.Random) -> str:
    while True:
        prefix = rng.choice("ABCEGHJKLMNOPRSTWXYZ") + rng.choice("ABCEGHJKLMNPRSTWXYZ")
        if prefix not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
            break
    digits = f"{rng.randint(0, 999999):06d}"
    return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {rng.choice('ABCD')}"


def de_tax_id(rng: random.Random) -> str:
    from synthrecords.pii.rules import de_tax_id_check_digit

    while True:
        first10 = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(9))
        if max(first10.count(d) for d in set(first10)) <= 3:
            return first10 + str(de_tax_id_check_digit(first10))


def fr_nir(rng: random.Random) -> str:
    body = f"{rng.randint(1, 2)}{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}" \
           f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    return f"{body}{97 - int(body) % 97:02d}"
