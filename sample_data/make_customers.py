"""Generate the fictional customer table sample_data/customers.csv.

    python sample_data/make_customers.py [--rows N] [--seed S] [--out PATH]

Every person is invented by Faker; numeric columns come from a numpy Generator.
Both are seeded, and the reference date is fixed, so the same seed, Faker and
numpy versions give a byte-identical file (versions pinned in constraints.txt).
"""

import argparse
import csv
import datetime as dt
from pathlib import Path

import numpy as np
from faker import Faker

AS_OF = dt.date(2025, 12, 31)  # fixed "today": ages and tenure must not drift with the clock
FIRST_SIGNUP = dt.date(2010, 1, 1)
EDUCATION = ["less_than_high_school", "high_school", "some_college", "bachelor", "master",
             "doctorate"]
EDUCATION_SHARE = [0.09, 0.27, 0.26, 0.23, 0.11, 0.04]
EDUCATION_LOG_INCOME = [-0.35, -0.10, 0.05, 0.35, 0.55, 0.75]  # log-income premium per level
PRODUCTS = ["basic", "plus", "premium", "platinum"]
PRODUCT_CUTS = [0.45, 0.75, 0.93]  # cumulative shares of the tiers above
EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com"]
REGION_STATES = {  # US Census regions
    "Northeast": "CT ME MA NH RI VT NJ NY PA",
    "Midwest": "IL IN MI OH WI IA KS MN MO NE ND SD",
    "South": "DE DC FL GA MD NC SC VA WV AL KY MS TN AR LA OK TX",
    "West": "AZ CO ID MT NV NM UT WY AK CA HI OR WA",
}
STATE_REGION = {s: r for r, states in REGION_STATES.items() for s in states.split()}
STATE_POP_M = {  # rough 2020s populations in millions, so big states get more customers
    "CA": 39, "TX": 30, "FL": 22, "NY": 20, "PA": 13, "IL": 13, "OH": 12, "GA": 11, "NC": 11,
    "MI": 10, "NJ": 9, "VA": 9, "WA": 8, "AZ": 7, "TN": 7, "MA": 7, "IN": 7, "MO": 6, "MD": 6,
    "WI": 6, "CO": 6, "MN": 6, "SC": 5, "AL": 5, "LA": 5, "KY": 5, "OR": 4, "OK": 4, "CT": 4,
    "UT": 3, "IA": 3, "NV": 3, "AR": 3, "MS": 3, "KS": 3, "NM": 2, "NE": 2, "ID": 2, "WV": 2,
    "HI": 1, "NH": 1, "ME": 1, "MT": 1, "RI": 1, "DE": 1, "SD": 1, "ND": 1, "AK": 1, "DC": 1,
    "VT": 1, "WY": 1,
}
TOPICS = ["a late fee", "the monthly statement", "card replacement", "a direct deposit",
          "overdraft protection", "the mobile app login", "a wire transfer", "interest rates",
          "paperless billing", "a disputed charge", "the rewards balance", "an address change"]
OUTCOMES = ["explained the policy", "fee waived as a courtesy", "issue resolved on the call",
            "escalated to tier 2", "ticket opened with the card team", "no action needed",
            "sent a follow-up letter", "customer will call back"]
PLAIN_NOTES = ["Customer asked about {topic}; {outcome}.",
               "Inquiry regarding {topic} on the {product} plan. {Outcome}.",
               "Complaint about {topic}. {Outcome}.",
               "Chat session: question on {topic}, {outcome}.",
               "Branch visit about {topic}; {outcome}."]
PII_NOTES = ["Called back on {phone}, spoke with {name}. {Outcome}.",
             "{name} asked to send statements to {email} from now on.",
             "Left voicemail for {first} at {phone} about {topic}.",
             "Emailed {email} regarding {topic}; {outcome}.",
             "Spoke with {name} about {topic}, confirmed callback number {phone}."]


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, day=28)


def make_people(fake: Faker, rng: np.random.Generator, n: int) -> list[dict]:
    """Direct identifiers; email is derived from the name so the three agree."""
    genders = rng.choice(["F", "M", "X"], size=n, p=[0.49, 0.49, 0.02])
    first_by_gender = {"F": fake.first_name_female, "M": fake.first_name_male,
                       "X": fake.first_name_nonbinary}
    ids = np.sort(rng.choice(np.arange(1, 1_000_000), size=n, replace=False))
    people, taken_emails = [], set()
    for i in range(n):
        first, last = first_by_gender[genders[i]](), fake.last_name()
        fn, ln = ("".join(c for c in part.lower() if c.isalpha()) for part in (first, last))
        styles = [f"{fn}.{ln}", f"{fn}{ln}", f"{fn[0]}{ln}", f"{fn}.{ln}{rng.integers(1, 100)}"]
        local = styles[rng.integers(len(styles))]
        email = f"{local}@{EMAIL_DOMAINS[rng.integers(len(EMAIL_DOMAINS))]}"
        while email in taken_emails:  # a shared inbox would be unrealistic
            email = email.replace("@", f"{rng.integers(10)}@")
        taken_emails.add(email)
        people.append({"customer_id": f"C{ids[i]:06d}", "full_name": f"{first} {last}",
                       "first": first, "email": email, "phone": fake.basic_phone_number(),
                       "ssn": fake.unique.ssn(), "street_address": fake.street_address(),
                       "gender": str(genders[i])})
    return people


def make_city_pool(fake: Faker, rng: np.random.Generator, n_cities: int) -> list[tuple[str, str, list[str]]]:
    """(city, state, its postcodes) for ``n_cities`` cities, states drawn by population."""
    states = list(STATE_POP_M)
    weights = np.array(list(STATE_POP_M.values()), dtype=float)
    city_states = rng.choice(states, size=n_cities, p=weights / weights.sum())
    return [(fake.unique.city(), s, [fake.zipcode_in_state(s) for _ in range(rng.integers(1, 7))])
            for s in city_states]


def city_weights(n_cities: int) -> np.ndarray:
    """Each city's share of the customers, by its place in the pool: Zipf-like, a few big metros.
    Public like a census population: make_geography_lookup.py writes it into the lookup."""
    weight = 1.0 / np.arange(1, n_cities + 1) ** 0.8
    return weight / weight.sum()


def make_places(fake: Faker, rng: np.random.Generator, n: int, n_cities: int = 300) -> list[tuple]:
    """(postcode, city, state, region) per row, drawn from a skewed pool of cities so that
    city and ZIP behave like real quasi identifiers (shared by many, rare for some)."""
    cities = make_city_pool(fake, rng, n_cities)
    picks = rng.choice(n_cities, size=n, p=city_weights(n_cities))
    return [(zips[rng.integers(len(zips))], city, state, STATE_REGION[state])
            for city, state, zips in (cities[k] for k in picks)]


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def make_table(rows: int, seed: int) -> list[dict]:
    Faker.seed(seed)
    fake = Faker("en_US")
    rng = np.random.default_rng(seed)
    people = make_people(fake, rng, rows)
    places = make_places(fake, rng, rows)

    # Ages 18-90 on AS_OF, bounded in calendar days so leap years cannot yield a 17-year-old.
    youngest, oldest = ((AS_OF - add_years(AS_OF, -y)).days for y in (18, 91))
    # A skewed beta (mode late 30s) rather than a clipped normal, which would pile people on age 18.
    age_days = youngest + (rng.beta(1.3, 1.8, rows) * (oldest - 1 - youngest)).astype(int)
    birth = [AS_OF - dt.timedelta(days=int(d)) for d in age_days]
    age = age_days / 365.25
    # Younger cohorts hold more degrees: shift the education draw by age.
    edu_latent = rng.normal(0, 1, rows) - 0.01 * (age - 46)
    edu = np.searchsorted(np.quantile(edu_latent, np.cumsum(EDUCATION_SHARE)[:-1]), edu_latent)
    # Income: lognormal, peaks in mid-career, premium by education.
    log_income = (np.log(42_000) + np.take(EDUCATION_LOG_INCOME, edu)
                  + 0.04 * (age - 18) - 0.0006 * (age - 18) ** 2 + rng.normal(0, 0.45, rows))
    income = np.round(np.exp(log_income), -1)
    z_income = (log_income - log_income.mean()) / log_income.std()
    credit = np.round(690 + 45 * z_income + 1.2 * (age - 46) + rng.normal(0, 55, rows))
    credit = np.clip(credit, 300, 850)
    z_credit = (credit - credit.mean()) / credit.std()
    tier_latent = 0.8 * z_income + 0.6 * z_credit + rng.normal(0, 0.7, rows)
    product = np.searchsorted(np.quantile(tier_latent, PRODUCT_CUTS), tier_latent)

    # Signup: after the 18th birthday and within 2010-2025, skewed toward recent years (growth).
    earliest_signup = [max(FIRST_SIGNUP, add_years(b, 18)) for b in birth]
    window = np.array([(AS_OF - d).days for d in earliest_signup])
    offset = (window * rng.beta(1.6, 1.0, rows)).astype(int)
    signup = [d + dt.timedelta(days=int(o)) for d, o in zip(earliest_signup, offset, strict=True)]
    tenure = np.array([(AS_OF.year - s.year) * 12 + AS_OF.month - s.month for s in signup])
    num_products = np.clip(1 + rng.poisson(0.3 + 0.4 * product + tenure / 60), 1, 6)
    # Balance scales with income and tier; a few accounts are overdrawn.
    balance = income * 0.08 * (1 + 0.5 * product) * rng.lognormal(0, 0.9, rows)
    overdrawn = rng.random(rows) < 0.015
    balance[overdrawn] = -rng.uniform(5, 900, overdrawn.sum())

    # Fraud: new accounts holding unusually large (or negative) balances for their income, many
    # products opened fast, young holders; latent noise keeps it learnable but not separable.
    balance_to_income = np.log1p(np.abs(balance)) - np.log(income)
    risk = (-0.9 * np.log1p(tenure) + 0.9 * balance_to_income + 1.5 * overdrawn
            + 0.35 * num_products * (tenure < 12) - 0.02 * (age - 18) + rng.normal(0, 0.8, rows))
    lo, hi = -30.0, 30.0  # bisect the intercept so the expected positive share is 3 %
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if logistic(risk + mid).mean() < 0.03 else (lo, mid)
    fraud = (rng.random(rows) < logistic(risk + lo)).astype(int)

    # Realistic gaps in two non-identifier columns (after every draw that depends on them).
    income_missing = rng.random(rows) < 0.015
    edu_missing = rng.random(rows) < 0.012
    note_kind = rng.choice(["plain", "pii", "empty"], size=rows, p=[0.77, 0.15, 0.08])

    table = []
    for i, (p, (postcode, city, state, region)) in enumerate(zip(people, places, strict=True)):
        outcome = OUTCOMES[rng.integers(len(OUTCOMES))]
        fields = {"topic": TOPICS[rng.integers(len(TOPICS))], "outcome": outcome,
                  "Outcome": outcome[0].upper() + outcome[1:], "product": PRODUCTS[product[i]],
                  "name": p["full_name"], "first": p["first"], "phone": p["phone"],
                  "email": p["email"]}
        templates = {"plain": PLAIN_NOTES, "pii": PII_NOTES, "empty": [""]}[note_kind[i]]
        table.append({
            "customer_id": p["customer_id"], "full_name": p["full_name"], "email": p["email"],
            "phone": p["phone"], "ssn": p["ssn"], "street_address": p["street_address"],
            "birth_date": birth[i].isoformat(), "gender": p["gender"], "postcode": postcode,
            "city": city, "state": state, "region": region,
            "education": "" if edu_missing[i] else EDUCATION[edu[i]],
            "annual_income": "" if income_missing[i] else f"{income[i]:.0f}",
            "credit_score": int(credit[i]), "product": PRODUCTS[product[i]],
            "account_balance": f"{balance[i]:.2f}", "tenure_months": int(tenure[i]),
            "num_products": int(num_products[i]), "signup_date": signup[i].isoformat(),
            "notes": templates[rng.integers(len(templates))].format(**fields),
            "fraud_flag": int(fraud[i]),
        })
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("customers.csv"))
    args = parser.parse_args()
    table = make_table(args.rows, args.seed)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(table[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    print(f"wrote {len(table)} rows to {args.out}")


if __name__ == "__main__":
    main()
