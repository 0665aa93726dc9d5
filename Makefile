# The two set-up commands of the README: `make demo` (install + main job) and `make test` (install + tests).
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
DATA ?= $(if $(TLBENCH_DATA),$(TLBENCH_DATA),../shared/data)

.PHONY: install install-dev demo test lint perf

install:
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e .

install-dev:
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e ".[train,dev]"

demo: install
	tlbench data status --data-dir $(DATA)

test: install-dev
	TLBENCH_DATA=$(DATA) $(PYTHON) -m pytest -q tests

lint:
	ruff check .
	ruff format --check .

perf:
	$(PYTHON) tests/perf/run_all.py
