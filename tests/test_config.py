import pytest

from synthrecords.config import JobConfig, load_job
from synthrecords.errors import SynthRecordsError


def test_job_paths_are_relative_to_the_job_file(tmp_path):
    (tmp_path / "jobs").mkdir()
    job_file = tmp_path / "jobs" / "job.toml"
    job_file.write_text('[input]\npath = "data.csv"\n[output]\ndir = "out"\n[validate]\nsuites = ["s.json"]\n')
    job = load_job(job_file)
    assert job.input.path == tmp_path / "jobs" / "data.csv"
    assert job.output.dir == tmp_path / "jobs" / "out"
    assert job.validate_.suites == [tmp_path / "jobs" / "s.json"]


def test_unknown_keys_are_named_in_the_error(tmp_path):
    job_file = tmp_path / "job.toml"
    job_file.write_text("[privacy]\nepsilonn = 1.0\n")
    with pytest.raises(SynthRecordsError, match=r"privacy\.epsilonn"):
        load_job(job_file)


def test_bad_pii_action_lists_the_option(tmp_path):
    with pytest.raises(SynthRecordsError, match=r"pii\.direct"):
        JobConfig.from_dict({"pii": {"direct": "shred"}})


def test_oversample_shares_must_sum_below_one():
    with pytest.raises(SynthRecordsError, match="oversample"):
        JobConfig.from_dict({"sample": {"oversample": {"y": {"1": 0.7, "0": 0.4}}}})


def test_invalid_toml_is_reported_with_the_file(tmp_path):
    job_file = tmp_path / "bad.toml"
    job_file.write_text("[input\n")
    with pytest.raises(SynthRecordsError, match="bad.toml"):
        load_job(job_file)


def test_demo_job_is_valid():
    from pathlib import Path

    job = load_job(Path(__file__).parents[1] / "sample_data" / "demo.toml")
    assert job.input.path.name == "customers.csv" and job.model.target == "fraud_flag"
