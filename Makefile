# Tandem — two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.tandem-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test test-fast lint typecheck bench clean

setup: $(STAMP)

# torch is pinned and installed first so no CUDA build is pulled in; llama-cpp-python builds from
# source once (~10 min on 2 cores), pip caches the wheel afterwards.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/tandem run examples/docs --pipeline default

test: setup
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check flows stages specialists storage tests bench

typecheck: setup
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/pipeline_bench.py

clean:
	rm -rf $(VENV) tandem.db tandem.db-* .pytest_cache .mypy_cache
