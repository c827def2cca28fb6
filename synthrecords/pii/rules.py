"""Knowledge the scan relies on: checksums, column-name hints, entity catalogue.

Pure functions and tables, no Presidio and no pandas, so each rule can be tested (and
property-tested) on its own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# ---------------------------------------------------------------- entity catalogue

NATIONAL_IDS = ("US_SSN", "UK_NINO", "DE_TAX_ID", "FR_NIR", "ES_NIF", "ES_NIE")
# Entities whose presence in a column makes it a direct identifier.
DIRECT_ENTITIES = (
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", *NATIONAL_IDS, "CREDIT_CARD", "IBAN_CODE",
    "IP_ADDRESS", "STREET_ADDRESS", "URL", "PASSPORT", "LICENSE_PLATE", "ACCOUNT_ID",
)
# Values of these carry their own proof (checksum or strict syntax): a column full of
# them is direct even without a helpful column name.
STRONG_ENTITIES = ("EMAIL_ADDRESS", *NATIONAL_IDS, "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS")
QUASI_ENTITIES = ("DATE_OF_BIRTH", "POSTCODE", "LOCATION", "AGE", "GENDER", "OCCUPATION", "NRP")
# What free-text redaction removes, and the tag each one leaves behind.
REDACT_TAGS = {
    "PERSON": "<PERSON>", "EMAIL_ADDRESS": "<EMAIL>", "PHONE_NUMBER": "<PHONE>",
    "STREET_ADDRESS": "<ADDRESS>", "CREDIT_CARD": "<CREDIT_CARD>", "IBAN_CODE": "<IBAN>",
    "IP_ADDRESS": "<IP_ADDRESS>", "URL": "<URL>", "PASSPORT": "<PASSPORT>",
    "LICENSE_PLATE": "<LICENSE_PLATE>", "ACCOUNT_ID": "<ID>",
    **{entity: "<NATIONAL_ID>" for entity in NATIONAL_IDS},
}

# ---------------------------------------------------------------- checksums


def digits_of(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def luhn_valid(value: str) -> bool:
    """Payment card check digit (ISO/IEC 7812); separators are ignored."""
    if re.search(r"[^\d \-]", value):
        return False
    digits = digits_of(value)
    if not 12 <= len(digits) <= 19:
        return False
    return luhn_check_digit(digits[:-1]) == int(digits[-1])


def luhn_check_digit(payload: str) -> int:
    """The Luhn digit that completes ``payload`` (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return (10 - total % 10) % 10


IBAN_LENGTHS = {"DE": 22, "GB": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "BE": 16, "AT": 20,
                "CH": 21, "IE": 22, "PT": 25, "LU": 20, "PL": 28, "SE": 24, "DK": 18, "NO": 15}


def iban_valid(value: str) -> bool:
    """ISO 13616: country length where known, then mod 97 == 1."""
    iban = re.sub(r"[\s-]", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    if IBAN_LENGTHS.get(iban[:2], len(iban)) != len(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def us_ssn_valid(value: str) -> bool:
    """SSA rules: no area 000, 666 or 9xx, no group 00, no serial 0000."""
    m = re.fullmatch(r"(\d{3})[- ]?(\d{2})[- ]?(\d{4})", value.strip())
    if not m:
        return False
    area, group, serial = m.groups()
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def uk_nino_valid(value: str) -> bool:
    """HMRC format: two allowed prefix letters, six digits, suffix A-D."""
    nino = re.sub(r"\s", "", value.upper())
    m = re.fullmatch(r"([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\d{6}[A-D]", nino)
    return bool(m) and m.group(1) not in _NINO_BAD_PREFIXES


_NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_nif_valid(value: str) -> bool:
    """Spanish DNI/NIE: the letter is the number mod 23 (NIE's X/Y/Z stand for 0/1/2)."""
    v = re.sub(r"[\s-]", "", value.upper())
    m = re.fullmatch(r"([XYZ]\d{7}|\d{8})([A-Z])", v)
    if not m:
        return False
    number = m.group(1).translate(str.maketrans("XYZ", "012"))
    return _NIF_LETTERS[int(number) % 23] == m.group(2)


def fr_nir_valid(value: str) -> bool:
    """French social security number: key = 97 - (first 13 digits mod 97); Corsica 2A/2B."""
    v = re.sub(r"\s", "", value.upper())
    if not re.fullmatch(r"[12]\d{4}(\d{2}|2A|2B)\d{8}", v):
        return False
    body = v[:13].replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97 == int(v[13:])


def de_tax_id_valid(value: str) -> bool:
    """German Steuer-ID: 11 digits, no digit more than 3 times in the first 10, ISO 7064 mod 11,10."""
    v = re.sub(r"\s", "", value)
    if not re.fullmatch(r"[1-9]\d{10}", v):
        return False
    if max(v[:10].count(d) for d in set(v[:10])) > 3:
        return False
    return de_tax_id_check_digit(v[:10]) == int(v[10])


def de_tax_id_check_digit(first10: str) -> int:
    product = 10
    for ch in first10:
        total = (int(ch) + product) % 10 or 10
        product = (total * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


VALIDATORS = {
    "CREDIT_CARD": luhn_valid, "IBAN_CODE": iban_valid, "US_SSN": us_ssn_valid,
    "UK_NINO": uk_nino_valid, "ES_NIF": es_nif_valid, "ES_NIE": es_nif_valid,
    "FR_NIR": fr_nir_valid, "DE_TAX_ID": de_tax_id_valid,
}
CHECK_NAMES = {
    "CREDIT_CARD": "Luhn check", "IBAN_CODE": "IBAN mod-97 check", "US_SSN": "SSA area/group rules",
    "UK_NINO": "HMRC prefix rules", "ES_NIF": "DNI/NIE check letter", "ES_NIE": "DNI/NIE check letter",
    "FR_NIR": "NIR key", "DE_TAX_ID": "Steuer-ID check digit",
}

# ---------------------------------------------------------------- column-name hints


@dataclass(frozen=True)
class NameHint:
    entity: str
    category: str  # direct | quasi | free_text
    word: str      # the word of the column name that triggered it


# Short words must equal a whole token of the column name ("tel" must not fire on
# "hotel"); longer ones may sit inside a compound ("telefonnummer", "kundenvorname").
# Order matters: more specific entities first, and the first direct entity found wins.
_HINTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("IP_ADDRESS", "direct", ("ip", "ipv4", "ipv6", "ipaddress", "ipaddr")),
    ("EMAIL_ADDRESS", "direct", ("email", "mail", "correo", "courriel", "emailadresse")),
    ("ACCOUNT_ID", "direct", ("username", "userid", "login", "handle", "customerid", "clientid",
                               "kundennummer", "kundennr", "kundenid", "memberid", "accountid",
                               "patientid", "employeeid", "personalnummer", "idcliente",
                               "numerocliente", "numclient", "nocliente", "idclient")),
    ("URL", "direct", ("url", "website", "homepage", "webpage", "web", "sitioweb", "siteweb", "profil", "profile")),
    ("PASSPORT", "direct", ("passport", "pasaporte", "reisepass", "passeport", "passnummer")),
    ("LICENSE_PLATE", "direct", ("plate", "kennzeichen", "matricula", "immatriculation",
                                  "nummernschild", "kfz", "numberplate")),
    ("NATIONAL_ID", "direct", ("ssn", "socialsecurity", "nino", "ninumber", "nationalid", "nationalidentifier",
                           "dni", "nif", "nie", "nir", "insee", "steuerid", "steueridnr", "idnr",
                           "taxid", "steuernummer", "personalausweis", "ausweisnummer", "idcard",
                           "securitesociale", "seguridadsocial", "numerosecu", "cedula")),
    ("IBAN_CODE", "direct", ("iban", "konto", "kontonummer", "bankaccount", "cuenta", "rib", "accountnumber")),
    ("CREDIT_CARD", "direct", ("card", "creditcard", "cardnumber", "kreditkarte", "karte", "tarjeta",
                                "carte", "cc", "ccnumber", "pan")),
    ("PHONE_NUMBER", "direct", ("phone", "telephone", "telefon", "telefono", "tel", "mobile", "mobil",
                                 "handy", "cell", "cellphone", "movil", "celular", "portable", "fax",
                                 "rufnummer", "telefonnummer")),
    ("STREET_ADDRESS", "direct", ("address", "addr", "street", "strasse", "adresse", "anschrift",
                                   "direccion", "domicilio", "calle", "rue", "via", "wohnadresse")),
    ("PERSON", "direct", ("name", "fullname", "firstname", "lastname", "surname", "forename",
                           "givenname", "familyname", "nombre", "apellido", "apellidos", "vorname",
                           "nachname", "prenom", "nom", "cardholder", "titular", "contactname")),
    ("DATE_OF_BIRTH", "quasi", ("dob", "birth", "birthday", "birthdate", "geburt", "geburtsdatum",
                                 "geburtstag", "nacimiento", "naissance", "fechanac")),
    ("POSTCODE", "quasi", ("zip", "zipcode", "postcode", "postal", "plz", "postleitzahl", "cp",
                            "codigopostal", "codepostal")),
    ("LOCATION", "quasi", ("city", "town", "ort", "stadt", "wohnort", "ciudad", "ville", "localidad",
                            "municipio", "poblacion", "region", "state", "bundesland", "provincia",
                            "country", "land", "pais", "pays")),
    ("AGE", "quasi", ("age", "alter", "edad", "ageyears")),
    ("GENDER", "quasi", ("gender", "sex", "geschlecht", "sexo", "sexe", "genero", "genre")),
    ("OCCUPATION", "quasi", ("job", "jobtitle", "occupation", "profession", "beruf", "ocupacion",
                              "profesion", "puesto", "metier", "employer", "arbeitgeber")),
    ("NRP", "quasi", ("nationality", "nationalitaet", "staatsangehoerigkeit", "nacionalidad",
                       "nationalite", "citizenship", "ethnicity", "religion", "marital", "familienstand",
                       "estadocivil")),
    ("FREE_TEXT", "free_text", ("note", "notes", "comment", "comments", "comentario", "comentarios",
                                 "kommentar", "bemerkung", "remarks", "description", "beschreibung",
                                 "descripcion", "message", "nachricht", "mensaje", "feedback",
                                 "observaciones", "freitext", "text", "body", "commentaire")),
)
# Words that name a person's name only when they are the whole column name: "first" and "last"
# beside a full "name" column (COMPAS), but "first_visit", "last_login", "first_city" are not names.
_PERSON_ALONE = ("first", "last", "fname", "lname", "given", "middle", "forenames")
# "<x>_address" columns that are not street addresses
_NOT_STREET = {"mac", "ip", "email", "mail", "web", "url", "wallet", "btc", "bitcoin", "eth", "server", "host"}
# Subjects that make an "id"/"number" column a per-person identifier.
_PERSON_SUBJECTS = ("customer", "client", "cliente", "kunde", "kunden", "user", "usuario", "member",
                    "mitglied", "socio", "patient", "paciente", "employee", "mitarbeiter", "empleado",
                    "subscriber", "abonne", "passenger", "student", "person", "persona", "buyer",
                    "guest", "account", "citizen")
_ID_WORDS = ("id", "nr", "no", "number", "num", "nummer", "numero", "code", "key", "ref", "uid")
# Words that say a column is about things or events, not people.
NON_PERSONAL_WORDS = (
    "order", "bestellung", "pedido", "commande", "sku", "product", "produkt", "producto", "produit",
    "item", "articulo", "artikel", "article", "branch", "filiale", "sucursal", "agence", "store",
    "shop", "tienda", "magasin", "merchant", "vendor", "supplier", "company", "firma", "empresa",
    "transaction", "txn", "trx", "invoice", "rechnung", "factura", "facture", "amount", "betrag",
    "importe", "montant", "price", "preis", "precio", "prix", "total", "qty", "quantity", "menge",
    "cantidad", "quantite", "timestamp", "created", "updated", "currency", "waehrung", "moneda",
    "status", "category", "kategorie", "tracking", "shipment", "sendung", "envio", "batch", "lot",
    "serial", "device", "session", "event", "file", "hotel", "brand", "model", "host", "domain",
)
# Words that only count as a whole token even though they are longer than four letters
# ("alter" must not fire on "alternative", "land" on "holland").
_WHOLE_TOKEN = {"alter", "state", "carte", "karte", "handy", "mobil", "konto", "genre", "model", "total",
                "event", "batch", "serial", "brand", "cuenta"}


def name_tokens(column: str) -> list[str]:
    """Lower-case ASCII tokens of a column name: camelCase, snake_case, accents, ß folded."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(column)).replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [t for t in re.split(r"[^a-z0-9]+", text) if t]


def _has_word(tokens: list[str], word: str) -> bool:
    if len(word) <= 4 or word in _WHOLE_TOKEN:
        return word in tokens
    return word in "".join(tokens) or any(word in t for t in tokens)


def name_hints(column: str) -> list[NameHint]:
    """Entity hints carried by a column name, most specific first."""
    tokens = name_tokens(column)
    hints: list[NameHint] = []
    if any(s in tokens or any(t.startswith(s) for t in tokens) for s in _PERSON_SUBJECTS) and (
        any(w in tokens for w in _ID_WORDS) or any(t.endswith(("id", "nr", "nummer")) for t in tokens)
    ):
        hints.append(NameHint("ACCOUNT_ID", "direct", "+".join(tokens)))
    for entity, category, words in _HINTS:
        word = next((w for w in words if _has_word(tokens, w)), None)
        if word is not None and all(h.entity != entity for h in hints):
            hints.append(NameHint(entity, category, word))
    if "".join(tokens) in _PERSON_ALONE and all(h.entity != "PERSON" for h in hints):
        hints.append(NameHint("PERSON", "direct", "".join(tokens)))
    entities = {h.entity for h in hints}
    # "email_address"/"ip_address" are not street addresses; "username"/"customer_name"
    # as an ID wins over a person name only when the name part is an ID word.
    if entities & {"EMAIL_ADDRESS", "IP_ADDRESS"} or set(tokens) & _NOT_STREET:
        hints = [h for h in hints if h.entity != "STREET_ADDRESS"]
    if "ACCOUNT_ID" in entities and "PERSON" in entities and any(w in tokens for w in ("username", "user")):
        hints = [h for h in hints if h.entity != "PERSON"]
    return hints


def non_personal_word(column: str) -> str | None:
    """The word that marks a column as about things or events, if any.

    A person subject wins: "order_customer_name" is about a customer, not an order.
    """
    tokens = name_tokens(column)
    if any(s in tokens for s in _PERSON_SUBJECTS):
        return None
    return next((w for w in NON_PERSONAL_WORDS if _has_word(tokens, w)), None)


# ---------------------------------------------------------------- value shapes

GENDER_VALUES = {"m", "f", "d", "w", "x", "male", "female", "man", "woman", "other", "diverse", "divers",
                 "mann", "frau", "maennlich", "weiblich", "hombre", "mujer", "masculino", "femenino",
                 "homme", "femme", "masculin", "feminin", "h", "non-binary", "nonbinary", "unknown"}


def case_counts(s: pd.Series) -> tuple[int, dict[str, int]]:
    """How many values hold letters, and how many of those are written all in "lower" / "upper" case."""
    cased = s[s.str.lower() != s.str.upper()]
    same = {"lower": int((cased == cased.str.lower()).sum()), "upper": int((cased == cased.str.upper()).sum())}
    return len(cased), same


def single_case(s: pd.Series) -> str | None:
    """"lower" or "upper" where (nearly) every value with letters is written in that one case."""
    cased, same = case_counts(s)
    return next((case for case, n in same.items() if cased and n >= 0.98 * cased), None)


def shape_mask(value: str) -> str:
    """Format of a value with the content removed: digits -> 9, letters -> A/a."""
    out = []
    for ch in value:
        if ch.isdigit():
            out.append("9")
        elif ch.isalpha():
            out.append("A" if ch.isupper() else "a")
        else:
            out.append(ch)
    return "".join(out)


_LOCALE_BY_PHONE_PREFIX = (("+44", "en_GB"), ("+49", "de_DE"), ("+33", "fr_FR"), ("+34", "es_ES"), ("+1", "en_US"),
                           ("0044", "en_GB"), ("0049", "de_DE"), ("0033", "fr_FR"), ("0034", "es_ES"))
_LOCALE_BY_IBAN = {"GB": "en_GB", "DE": "de_DE", "FR": "fr_FR", "ES": "es_ES"}
_LOCALE_WORDS = (
    ("de_DE", re.compile(r"(stra(ss|ß)e|str\.|weg|gasse|allee|platz|ring)\b|[äöüß]", re.IGNORECASE)),
    ("fr_FR", re.compile(r"\b(rue|avenue|chemin|impasse|allée|boulevard|quai)\b|[çèêëàâîôû]", re.IGNORECASE)),
    ("es_ES", re.compile(r"\b(calle|avenida|paseo|plaza|camino|cañada|ronda|acceso|c/)\b|[ñ¿¡]", re.IGNORECASE)),
    ("en_GB", re.compile(r"\b(flat|studio)\b|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b")),
)


def guess_locale(value: str, entity: str) -> str | None:
    """Best-effort locale of one value, used only to pick Faker's locale for surrogates."""
    v = value.strip()
    if entity == "PHONE_NUMBER":
        return next((loc for prefix, loc in _LOCALE_BY_PHONE_PREFIX if v.startswith(prefix)), None)
    if entity == "IBAN_CODE":
        return _LOCALE_BY_IBAN.get(v[:2].upper())
    if entity in NATIONAL_IDS:
        return {"US_SSN": "en_US", "UK_NINO": "en_GB", "DE_TAX_ID": "de_DE", "FR_NIR": "fr_FR"}.get(entity, "es_ES")
    return next((loc for loc, pattern in _LOCALE_WORDS if pattern.search(v)), None)
