import pandas as pd
import pytest

from synthrecords.atomic import atomic_dir, write_table
from synthrecords.errors import SynthRecordsError
from synthrecords.read import load_table


def test_csv_keeps_leading_zero_codes_as_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("zip,amount\n02134,1.5\n10001,2\n")
    df = load_table(path)
    assert df["zip"].tolist() == ["02134", "10001"]
    assert df["amount"].dtype.kind == "f"


def test_parquet_is_read(tmp_path):
    pd.DataFrame({"a": [1, 2]}).to_parquet(tmp_path / "t.parquet")
    assert load_table(tmp_path / "t.parquet")["a"].tolist() == [1, 2]


def test_missing_file_is_named(tmp_path):
    with pytest.raises(SynthRecordsError, match="nothere.csv"):
        load_table(tmp_path / "nothere.csv")


def test_unknown_suffix_says_what_to_use(tmp_path):
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(SynthRecordsError, match=r"\.csv or \.parquet"):
        load_table(tmp_path / "t.xlsx")


def test_empty_table_is_refused(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n")
    with pytest.raises(SynthRecordsError, match="empty"):
        load_table(tmp_path / "t.csv")


def test_duplicate_columns_are_renamed_with_a_note():
    df = load_table(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    assert df.columns.tolist() == ["a", "a_2"]
    assert "'a' -> 'a_2'" in df.attrs["notes"][0]


def test_a_repeated_first_header_after_a_byte_order_mark_is_renamed_with_a_note(tmp_path):
    # the header was read with the mark ("\ufeffa" != "a"), so pandas' silent "a.1" stood
    (tmp_path / "t.csv").write_text("\ufeffa,a,b\n1,2,x\n", encoding="utf-8")
    df = load_table(tmp_path / "t.csv")
    assert df.columns.tolist() == ["a", "a_2", "b"] and "'a' -> 'a_2'" in df.attrs["notes"][0]


def test_failed_atomic_dir_leaves_the_old_folder_untouched(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "keep.txt").write_text("old")
    (target / "manifest.json").write_text('{"files": {}}')  # a folder this tool wrote
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "half.txt").write_text("new")
        raise RuntimeError("crash mid-write")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert (target / "keep.txt").read_text() == "old"


def test_atomic_dir_replaces_the_folder_on_success(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "manifest.json").write_text('{"files": {}}')  # a folder this tool wrote
    with atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_write_table_by_suffix(tmp_path):
    df = pd.DataFrame({"a": [1, 2]})
    write_table(tmp_path / "x.parquet", df)
    write_table(tmp_path / "x.csv", df)
    assert pd.read_parquet(tmp_path / "x.parquet").equals(df)
    assert pd.read_csv(tmp_path / "x.csv").equals(df)
