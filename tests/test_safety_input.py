"""Input is read as what it is, or refused naming what it is; a release that copies rows is refused."""

from __future__ import annotations

import gzip
import zipfile

import numpy as np
import pandas as pd
import pytest

from synthrecords.config import JobConfig
from synthrecords.errors import SynthRecordsError
from synthrecords.pipeline import run_job
from synthrecords.read import load_table

ROWS = [["Ann", "Paris", "12.5"], ["Bob", "Lyon", "7"], ["Cy", "Nice", "3.25"], ["Di", "Metz", "40"]]


def write_delimited(path, sep):
    path.write_text("\n".join(sep.join(r) for r in [["name", "city", "amount"], *ROWS]) + "\n")
    return path


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_the_delimiter_is_detected_and_noted(tmp_path, sep):
    df = load_table(write_delimited(tmp_path / "t.csv", sep))
    assert df.columns.tolist() == ["name", "city", "amount"] and df["amount"].tolist() == [12.5, 7, 3.25, 40]
    assert "detected from the first rows" in df.attrs["notes"][0]


def test_commas_inside_quoted_semicolon_fields_do_not_fool_the_detection(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id;label\n1;"a, b"\n2;"c, d"\n3;e\n')
    assert load_table(path)["label"].tolist() == ["a, b", "c, d", "e"]


def test_a_comma_file_with_semicolons_in_values_stays_comma(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,label\n1,a;b\n2,c;d\n")
    assert load_table(path).columns.tolist() == ["id", "label"]


def test_an_inconsistent_semicolon_file_is_refused_naming_the_option(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("name;city;amount\nAnn;Paris;12\nBob;Lyon\nCy;Nice;3;extra\n")
    with pytest.raises(SynthRecordsError, match=r"one column named 'name;city;amount'.*delimiter=';'.*\[input\] delimiter"):
        load_table(path)


def test_the_delimiter_option_is_a_job_key(tmp_path):
    job = JobConfig.from_dict({"input": {"path": str(tmp_path / "t.csv"), "delimiter": ";"}})
    assert job.input.delimiter == ";"
    with pytest.raises(SynthRecordsError, match="delimiter"):
        JobConfig.from_dict({"input": {"delimiter": "x"}})


def test_csv_gz_is_read(tmp_path):
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("a;b\n1;x\n2;y\n")
    assert load_table(path).to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


def _xlsx(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")


@pytest.mark.parametrize(("make", "expected"), [
    (lambda p: p.write_bytes(gzip.compress(b"a,b\n1,2\n")), r"holds gzip-compressed data.*name it \.csv\.gz"),
    (_xlsx, r"holds an Excel workbook \(xlsx\).*save the sheet as CSV"),
    (lambda p: pd.DataFrame({"a": [1]}).to_parquet(p), r"holds Parquet.*name it \.parquet"),
    (lambda p: p.write_bytes("a,b\n1,2\n".encode("utf-16")), r"holds UTF-16 text.*UTF-8"),
])
def test_a_file_named_csv_that_is_something_else_names_its_real_format(tmp_path, make, expected):
    path = tmp_path / "data.csv"
    make(path)
    with pytest.raises(SynthRecordsError, match=expected):
        load_table(path)


def test_text_named_parquet_is_refused_naming_it(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(SynthRecordsError, match=r"read as Parquet but holds text"):
        load_table(path)


def test_a_release_whose_rows_copy_training_rows_is_refused_and_nothing_is_written(tmp_path):
    # One column of unique whole records (what a misread semicolon file looks like): the
    # model can only emit training values, far above the chance a fresh row repeats one.
    rng = np.random.default_rng(0)
    records = [f"r{i};{rng.choice(['blue', 'red'])};{rng.integers(1, 99)}" for i in range(200)]
    job = JobConfig.from_dict({"output": {"dir": str(tmp_path / "out")}, "model": {"name": "gaussian_copula", "seed": 1},
                               "pii": {"nlp_model": None}})
    with pytest.raises(SynthRecordsError, match=r"exact copies of a training row, against 0\.0% by chance"):
        run_job(job, pd.DataFrame({"record": records}))
    assert not (tmp_path / "out").exists()


def test_a_faithful_model_of_a_low_cardinality_table_is_not_refused(tmp_path):
    # Every synthetic row equals some training row here, and so does every holdout row: chance.
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"colour": rng.choice(["blue", "red", "green"], 300), "size": rng.choice(["S", "M"], 300)})
    job = JobConfig.from_dict({"output": {"dir": str(tmp_path / "out")}, "model": {"name": "gaussian_copula", "seed": 1},
                               "pii": {"nlp_model": None}})
    result = run_job(job, df)
    assert result.report["privacy"]["exact_match_share"] > 0.9 and (tmp_path / "out").exists()
