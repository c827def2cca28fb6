"""What a compliance team shares is covered by epsilon (issue 19): the share/ part of a run folder.

Each one-record test adds one extreme or unique record to the input and checks that the files
under share/ do not change beyond what the ledger's mechanisms explain: the fixed parts are
byte-identical, the random parts (synthetic rows, their expectation counts) are drawn fresh,
and no exact statistic of the added record appears; owner/ does show it (the test can fail).
The pipeline runs hold the released row count equal: what follows it is post-processing of it
(the domain noise is sized from it), so only with it equal can the rest be compared byte for byte.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from synthrecords.config import JobConfig
from synthrecords.pii.protect import protect
from synthrecords.pii.scan import ColumnFinding, PiiReport
from synthrecords.pipeline import run_job
from synthrecords.privacy.ledger import PrivacyLedger
from synthrecords.release.share import share_pii, share_report

try:
    from tests.run_folder import REPORT
except ImportError:
    from run_folder import REPORT

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "customers.csv"


# ---------------------------------------------------------------- redaction (item 3)


def _notes_table() -> tuple[pd.DataFrame, PiiReport]:
    df = pd.DataFrame({
        "customer_id": ["QX4471", "QX4472", "QX4473"],
        "notes": ["account QX4471 closed", "asked about QX4479 twice", "no contact"],
    })
    report = PiiReport([ColumnFinding("customer_id", "direct", ["ACCOUNT_ID"], 0.9, "fake", []),
                        ColumnFinding("notes", "free_text", [], 0.8, "redact", [])], None)
    return df, report


def test_under_dp_a_rows_text_is_redacted_with_its_own_identifiers():
    df, report = _notes_table()
    out = protect(df, report, own_row=True).data["notes"]
    assert "QX4471" not in out[0]


def test_under_dp_an_added_record_does_not_change_other_rows_redacted_text():
    df, report = _notes_table()
    before = protect(df, report, own_row=True).data["notes"]
    added = pd.concat([df, pd.DataFrame({"customer_id": ["QX4479"], "notes": ["hello"]})], ignore_index=True)
    after = protect(added, report, own_row=True).data["notes"]
    assert after[:3].tolist() == before.tolist()
    # Without own_row the whole table's values are used: the same added record rewrites row 1.
    assert protect(added, report).data["notes"][1] != protect(df, report).data["notes"][1]


# ---------------------------------------------------------------- shared report and PII (items 1, 4, 8)


def test_shared_pii_states_categories_entities_and_actions_without_statistics():
    shared = share_pii(REPORT["pii"])
    assert [set(c) for c in shared["columns"]] == [{"column", "category", "entities", "action"}] * 4
    assert "5000" not in json.dumps(shared)  # "identifier column with 5000 distinct values"


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    return {k for v in value for k in _keys(v)} if isinstance(value, list) else set()


REAL_SIDE = {"fidelity", "utility", "dcr", "membership_inference", "attacks", "leakage", "reference", "sha256",
             "input", "class_fidelity", "evidence", "confidence", "examples", "example", "observed", "training_rows",
             "dataset_budget", "distributions"}


def test_shared_report_holds_no_real_side_figure_and_no_input_hash():
    assert REAL_SIDE <= _keys(REPORT) | {"sha256", "training_rows", "dataset_budget", "example", "evidence"}
    shared = share_report(REPORT)
    assert not REAL_SIDE & _keys(shared), REAL_SIDE & _keys(shared)
    assert shared["part"] == "share"


def test_the_ledger_states_its_neighbouring_relation():
    assert "add or remove one record" in PrivacyLedger(1.0, 1e-5).to_dict()["neighbouring"]


# ---------------------------------------------------------------- one record, whole pipeline


@pytest.fixture(scope="module")
def base_rows() -> pd.DataFrame:
    return pd.read_csv(SAMPLE, dtype=str).head(240)


def _outlier(rows: pd.DataFrame) -> pd.DataFrame:
    """One unique record: an income, tenure and name no other row comes near."""
    extra = rows.iloc[[0]].copy()
    extra["customer_id"], extra["full_name"] = "C987654", "Quorinda Vexley"
    extra["annual_income"], extra["tenure_months"], extra["birth_date"] = "98765432", "977", "1901-02-03"
    return pd.concat([rows, extra], ignore_index=True)


def _run(rows: pd.DataFrame, out: Path) -> Path:
    source = out.with_suffix(".csv")  # read from a file, as a user's job does: numbers are numbers
    rows.to_csv(source, index=False)
    job = JobConfig.from_dict({
        "input": {"path": str(source)},
        "output": {"dir": str(out), "rows": 80},
        "privacy": {"epsilon": 2.0, "delta": 1e-4},  # a delta of its own: the default is 1/(10 n)
        # dpctgan: its ledger's structure is fixed; marginals' names the marginals its rounds drew
        # (exponential-mechanism outputs, under epsilon), which differ from run to run by design
        "model": {"name": "dpctgan", "seed": 5, "epochs": 1}, "pii": {"columns": {"notes": "drop"}},
        "validate": {"holdout": 0.0},
    })
    run_job(job)
    return out


RELEASED = 247  # the n both runs' row count is drawn around, with one fixed draw (see two_runs)


def _released_around(n: int):
    """``release_row_count`` drawing around ``n`` with a fixed noise draw, whatever the data's n:
    the entry it charges is the real one (same noise std, same ledger line)."""
    from synthrecords.privacy.rowcount import release_row_count

    return lambda n_rows, ledger, **kw: release_row_count(n, ledger, **kw, noise_seed=11)


@pytest.fixture(scope="module")
def two_runs(base_rows, tmp_path_factory) -> tuple[Path, Path]:
    """The two runs with their released row count held equal. Everything after the count reads
    it, not n (privacy.rowcount): the domain release's noise is sized from it, DP-SGD's rate and
    steps follow it, so at other sizes those entries move with the count, as post-processing of
    it. Holding it equal is what lets the tests below say the rest of share/ does not depend on
    the added record at all; tests/test_rowcount.py shows the count itself is drawn fresh."""
    tmp = tmp_path_factory.mktemp("share")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("synthrecords.synthesizer.release_row_count", _released_around(RELEASED))
        return _run(base_rows, tmp / "base"), _run(_outlier(base_rows), tmp / "plus-one")


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_a_run_folder_has_a_share_part_and_an_owner_part(two_runs):
    base = two_runs[0]
    assert {p.name for p in (base / "share").iterdir()} == {"synthetic.csv", "ledger.json", "pii.json", "report.json",
                                                           "report.html", "manifest.json"}
    assert "NOT FOR SHARING" in (base / "owner" / "NOT_FOR_SHARING.txt").read_text()
    assert _json(base / "owner" / "report.json")["part"] == "owner"
    assert "NOT FOR SHARING" in (base / "owner" / "report.html").read_text()
    assert "NOT FOR SHARING" not in (base / "share" / "report.html").read_text()
    owner_manifest = _json(base / "owner" / "manifest.json")
    assert "share/synthetic.csv" in owner_manifest["files"] and owner_manifest["input"]["sha256"]


def test_one_added_record_leaves_shared_pii_byte_identical(two_runs):
    base, plus = two_runs
    assert (base / "share" / "pii.json").read_bytes() == (plus / "share" / "pii.json").read_bytes()


def test_at_an_equal_released_count_one_added_record_leaves_the_shared_ledger_identical(two_runs):
    base, plus = (_json(d / "share" / "ledger.json") for d in two_runs)
    assert base == plus  # the count included: both runs hold it equal
    assert base["entries"][0]["stage"] == "rows" and "released as a noisy count" in base["neighbouring"]
    assert base["rows"] == plus["rows"] and abs(base["rows"] - RELEASED) < 6 * base["entries"][0]["noise_multiplier"]
    assert not any(re.search(r"\d+ rows", e["detail"]) for e in base["entries"])  # no count in any detail


def test_one_added_record_leaves_the_shared_manifest_and_report_fixed_parts_identical(two_runs):
    drop_run = ("id", "created")
    mb, mp = (_json(d / "share" / "manifest.json") for d in two_runs)
    for m in (mb, mp):
        m.pop("created"), m.pop("run"), m["config"]["output"].pop("dir"), m.pop("files")
    assert mb == mp
    rb, rp = (_json(d / "share" / "report.json") for d in two_runs)
    for key in ("pii", "absent", "note", "part"):
        assert rb[key] == rp[key], key
    assert rb["privacy"] == rp["privacy"]
    assert {k: v for k, v in rb["run"].items() if k not in drop_run} == \
           {k: v for k, v in rp["run"].items() if k not in drop_run}
    fixed = ("rows", "columns", "model", "epsilon_target", "epsilon_spent", "delta", "guarantee", "pii_columns")
    assert {k: rb["summary"][k] for k in fixed} == {k: rp["summary"][k] for k in fixed}


def test_no_exact_statistic_of_the_added_record_reaches_share_but_owner_has_them(two_runs):
    plus = two_runs[1]
    shared = "\n".join(p.read_text() for p in (plus / "share").iterdir() if p.suffix in (".json", ".html"))
    input_hash = _json(plus / "owner" / "manifest.json")["input"]["sha256"]
    for secret in ("98765432", "977", "1901", "Quorinda", "C987654", input_hash, "plus-one.csv"):
        assert not re.search(rf"(?<![\w.]){secret}(?![\w.])", shared), secret  # as a value, not inside a float
    owner = (plus / "owner" / "report.json").read_text() + (plus / "owner" / "manifest.json").read_text()
    owner += (plus / "owner" / "pii.json").read_text()
    assert input_hash in owner and "spanning 1901-" in owner  # the evidence is kept, for the owner


def test_the_scope_names_the_columns_whose_type_was_inferred_from_values(two_runs):
    scope = " ".join(_json(two_runs[0] / "share" / "ledger.json")["scope"])
    assert "annual_income" in scope and "whether every value is an integer" in scope and "the date format" in scope


def test_the_scope_reads_nothing_of_a_column_whose_type_and_format_are_declared():
    from synthrecords.domain import ColumnDomain, Domain
    from synthrecords.job import privacy_scope
    from synthrecords.synthesizer import Synthesizer

    synth = Synthesizer(epsilon=1.0, column_types={"age": "numerical", "joined": "datetime"},
                        public_domain={"age": {"integer": True}, "joined": {"datetime_format": "%Y-%m-%d"}})
    synth.ledger_ = PrivacyLedger(1.0, 1e-5, rows=100)
    synth.domain_ = Domain({"age": ColumnDomain("age", "numerical", integer=True, source="dp"),
                            "joined": ColumnDomain("joined", "datetime", datetime_format="%Y-%m-%d", source="dp"),
                            "income": ColumnDomain("income", "numerical", source="dp")})
    covered, read = privacy_scope(synth)[:2]
    assert "of income: the type" in read and "income: whether every value is an integer" in read
    assert "age" not in read and "joined" not in read
    assert "row count" in covered and "row count" not in read  # released under DP: the ledger's rows


# ---------------------------------------------------------------- model folders are shared too (items 1, 4)


def test_a_saved_model_keeps_pii_decisions_without_statistics_or_the_dataset_hash(base_rows, tmp_path):
    from synthrecords.synthesizer import Synthesizer

    synth = Synthesizer(model="gaussian_copula", seed=1, dataset_budget=10.0, budget_file=tmp_path / "budget.json",
                        allow_over_budget=True)  # no epsilon: the budget only records the fit
    synth.fit(base_rows.head(120))
    assert synth.pii_.columns[0].evidence  # the owner's copy in memory has them
    state = json.loads((synth.save(tmp_path / "m") / "synthesizer.json").read_text())
    assert not REAL_SIDE & _keys(state["pii"]) and "dataset_budget" not in state
    loaded = Synthesizer.load(tmp_path / "m")
    assert [c.category for c in loaded.pii_.columns] == [c.category for c in synth.pii_.columns]
    assert len(loaded.sample(5, seed=0)) == 5
