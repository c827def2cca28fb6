# Two commands for a newcomer: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-all bench lint clean

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

bench: $(VENV)/.installed-dev
	$(PY) -m bench

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check synthrecords dashboards tests bench

clean:
	rm -rf $(VENV) runs .pytest_cache
