"""Property-based tests: the DP encoders' round trip over generated domains, the CLI's argument
parsing, and a fuzz of random CSV bytes through `scan` and `fit` (success or one clean line)."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from synthrecords.cli import app
from synthrecords.domain import ColumnDomain, Domain
from synthrecords.errors import SynthRecordsError
from synthrecords.models.codec import TableCodec
from synthrecords.models.fast_sampler import decode
from synthrecords.sample import parse_conditions, parse_oversample

RUNNER = CliRunner()
SLOW_OK = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# -- encoders: any released domain, any rows inside it, come back unchanged -------------------
@st.composite
def domains_and_rows(draw):
    columns, values = {}, {}
    n = draw(st.integers(1, 12))
    for i in range(draw(st.integers(1, 4))):
        name = f"c{i}"
        nullable = draw(st.booleans())
        if draw(st.booleans()):
            cats = draw(st.lists(st.one_of(st.text(min_size=1, max_size=5), st.integers(-5, 5)), min_size=1,
                                 max_size=6, unique_by=str))
            columns[name] = ColumnDomain(name, "categorical", categories=cats, nullable=nullable, source="dp")
            pool = cats + ([None] if nullable else [])
            values[name] = pd.Series(draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n)), dtype=object)
        else:
            lower = draw(st.integers(-1000, 1000))
            upper = lower + draw(st.integers(1, 5000))
            cuts = sorted(draw(st.sets(st.integers(lower + 1, upper - 1), max_size=4))) if upper - lower > 1 else []
            edges = [float(lower), *map(float, cuts), float(upper)]
            columns[name] = ColumnDomain(name, "numerical", lower=float(lower), upper=float(upper), integer=True,
                                         nullable=nullable, source="dp",
                                         histogram={"edges": edges, "counts": [1] * (len(edges) - 1)})
            ints = st.integers(lower, upper)
            rows = draw(st.lists(st.one_of(ints, st.none()) if nullable else ints, min_size=n, max_size=n))
            values[name] = pd.Series([np.nan if v is None else float(v) for v in rows])
    return Domain(columns), pd.DataFrame(values)


def _as_logits(codec: TableCodec, encoded: torch.Tensor) -> torch.Tensor:
    """Generator outputs that say exactly what was encoded: a huge logit on the hot slot,
    atanh of the offset (decode applies tanh)."""
    raw = torch.zeros_like(encoded)
    for start, size, act in codec.spans():
        block = encoded[:, start:start + size]
        raw[:, start:start + size] = torch.atanh(block.clamp(-1 + 1e-7, 1 - 1e-7)) if act == "tanh" else (block * 2 - 1) * 1e4
    return raw.double()


@settings(max_examples=60, deadline=None)
@given(domains_and_rows())
def test_encoding_is_one_hot_and_decoding_gives_the_rows_back(case):
    domain, rows = case
    codec = TableCodec.from_domain(domain)
    encoded = codec.encode(rows)
    assert encoded.shape == (len(rows), codec.data_dim)
    for column in codec.columns:
        assert np.allclose(encoded[:, column.start:column.start + column.size].sum(axis=1), 1.0)
    out = decode(codec, _as_logits(codec, torch.from_numpy(encoded)), torch.Generator().manual_seed(0))
    for name, col in domain.columns.items():
        if col.kind == "categorical":
            assert out[name].tolist() == rows[name].tolist()
        else:
            got, want = out[name].to_numpy(dtype=float, na_value=np.nan), rows[name].to_numpy(dtype=float)
            assert np.array_equal(np.isnan(got), np.isnan(want))
            assert np.allclose(got[~np.isnan(want)], want[~np.isnan(want)], atol=0.51)


@settings(max_examples=40, deadline=None)
@given(domains_and_rows(), st.floats(-1e7, 1e7, allow_nan=False))
def test_numbers_outside_the_domain_decode_inside_it(case, wild):
    domain, rows = case
    numeric = [n for n, c in domain.columns.items() if c.kind == "numerical"]
    assume(numeric)
    rows[numeric[0]] = wild
    codec = TableCodec.from_domain(domain)
    out = decode(codec, _as_logits(codec, torch.from_numpy(codec.encode(rows))), torch.Generator().manual_seed(0))
    col = domain[numeric[0]]
    values = out[numeric[0]].dropna().astype(float)
    assert ((values >= col.lower) & (values <= col.upper)).all()


# -- CLI argument parsing ---------------------------------------------------------------------
names = st.text(st.characters(blacklist_characters="=", blacklist_categories=("Cs",)), min_size=1, max_size=12)
values_ = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@given(st.dictionaries(names, st.dictionaries(values_, st.floats(0.001, 0.999), min_size=1, max_size=3),
                       max_size=3))
def test_oversample_specs_round_trip(mix):
    specs = [f"{column}={value}:{share!r}" for column, shares in mix.items() for value, share in shares.items()]
    assert parse_oversample(specs) == mix


@given(st.dictionaries(names, values_, max_size=4))
def test_condition_specs_round_trip(conditions):
    assert parse_conditions([f"{c}={v}" for c, v in conditions.items()]) == conditions


@given(st.lists(st.text(max_size=15), max_size=4))
def test_any_spec_text_parses_or_fails_with_a_named_option(specs):
    for parse, option in ((parse_oversample, "--oversample"), (parse_conditions, "--condition")):
        try:
            parse(specs)
        except SynthRecordsError as exc:
            assert option in str(exc)


def _valid_epsilon(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and value > 0


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=8),
                 st.sampled_from(["0", "-0", "1e-300", "nan", "-inf", "1e309", "0x1", "1_0"])))
def test_any_epsilon_text_is_accepted_or_refused_in_one_line(tmp_path_factory, text):
    assume(not text.startswith("-") or _valid_epsilon(text) is False)  # "-x" would read as an option
    missing = tmp_path_factory.getbasetemp() / "no-such-input.csv"
    result = RUNNER.invoke(app, ["fit", str(missing), "--out", str(missing.with_suffix("")), f"--epsilon={text}"])
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(lines) == 1 and "Traceback" not in result.stderr
    # a usable epsilon gets as far as reading the (missing) file; any other is named
    assert ("not found" in lines[0]) == _valid_epsilon(text), (text, lines[0])


@settings(max_examples=30, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_delta_is_accepted_or_refused_in_one_line(tmp_path_factory, delta):
    missing = tmp_path_factory.getbasetemp() / "no-such-input.csv"
    result = RUNNER.invoke(app, ["fit", str(missing), "--out", str(missing.with_suffix("")), "--epsilon", "1",
                                 f"--delta={delta!r}"])
    assert result.exit_code == 2 and result.stderr.count("error:") == 1
    assert ("not found" in result.stderr) == (0 < delta < 1), (delta, result.stderr)


# -- fuzz: random CSV bytes end in success or one clean error ---------------------------------
csv_alphabet = st.sampled_from([b"a", b"b", b"1", b"0", b"-", b".", b"e", b",", b",", b"\n", b"\n", b"\r\n",
                                b'"', b" ", b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"\xff", b"inf", b"NaN", b"true"])
csv_bytes = st.one_of(st.binary(max_size=60), st.lists(csv_alphabet, max_size=80).map(b"".join),
                      st.lists(st.lists(st.integers(-99, 99).map(str), min_size=1, max_size=4).map(",".join),
                               min_size=1, max_size=30).map(lambda rows: ("a,b,c\n" + "\n".join(rows)).encode()),
                      # well-formed tables of awkward cells: these get as far as training
                      st.lists(st.lists(st.sampled_from(["1", "-2.5", "", "inf", "x", "é😀", "true", "2024-01-05",
                                                         '"q,uoted"', "007", "1e308"]), min_size=3, max_size=3)
                               .map(",".join), min_size=10, max_size=40)
                      .map(lambda rows: ("a,b,c\n" + "\n".join(rows) + "\n").encode()))


def _clean(result) -> None:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "Traceback" not in result.stderr
    assert result.exit_code == 0 or (result.exit_code == 2 and len(errors) == 1), \
        (result.exit_code, result.stderr[-800:], repr(result.exception))


@settings(SLOW_OK, max_examples=40)
@given(csv_bytes)
def test_fuzzed_csv_scan_succeeds_or_fails_cleanly(tmp_path, content):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(content)
    _clean(RUNNER.invoke(app, ["scan", str(path), "--nlp-model", "none"]))


@pytest.fixture
def patterns_only(tmp_path):
    path = tmp_path / "job.toml"
    path.write_text('[pii]\nnlp_model = "none"\n')
    return path


@settings(SLOW_OK, max_examples=20)
@given(csv_bytes)
def test_fuzzed_csv_fit_succeeds_or_fails_cleanly(tmp_path, patterns_only, content):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(content)
    _clean(RUNNER.invoke(app, ["fit", str(path), "--out", str(tmp_path / "m"), "--model", "gaussian_copula",
                               "--config", str(patterns_only), "--overwrite"]))
