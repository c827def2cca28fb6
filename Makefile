# Two commands for a newcomer: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-all test-spark java bench bench-spark lint clean

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

test: $(VENV)/.installed-dev
	$(PY) -m pytest -q

test-all: $(VENV)/.installed-dev
	$(PY) -m pytest -q -m ''

# --engine spark: pyspark (the spark extra) and a Debian JRE; never part of plain `make test`.
$(VENV)/.installed-spark: $(VENV)/.installed-dev
	$(PIP) install -q -c constraints.txt -e '.[dev,spark]'
	touch $@

java:
	command -v java >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

test-spark: $(VENV)/.installed-spark java
	$(PY) -m pytest -q -m '' tests/test_spark.py

bench-spark: $(VENV)/.installed-spark java
	$(PY) -m bench bench_spark

bench: $(VENV)/.installed-dev
	$(PY) -m bench

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check synthrecords dashboards tests bench

clean:
	rm -rf $(VENV) runs .pytest_cache
