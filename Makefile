# Tandem — two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.tandem-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup ocr-engine demo test test-fast lint typecheck bench clean

setup: $(STAMP) ocr-engine

# Tesseract (scanned pages and images) comes from the system: installed here when running as root on Debian or
# Ubuntu (CI), otherwise the README says how; without it only documents that need OCR fail, with that advice.
ocr-engine:
	@command -v tesseract >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing tesseract-ocr (apt-get, once)"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      tesseract-ocr tesseract-ocr-eng >/dev/null; \
	  else echo "Tesseract not found: install tesseract-ocr (and tesseract-ocr-eng) for scanned documents"; fi; }

# llama-cpp-python builds from source once (~10 min on 2 cores) into a wheel folder of our own, for a
# portable x86-64 CPU (AVX2/FMA/F16C) rather than -march=native: a native build on a CPU that reports
# AMX uses tile instructions that virtual machines may forbid (the process dies with a general
# protection fault in libggml-cpu). pip's own cache could hold such a native wheel, so it is bypassed.
LLAMA_CPP_VERSION := 0.3.36
LLAMA_CMAKE_ARGS  := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
                     -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
WHEELHOUSE        ?= $(HOME)/.cache/tandem/wheels/avx2

# torch is pinned and installed first so no CUDA build is pulled in.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	@ls $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1 || { \
	  echo "building llama-cpp-python $(LLAMA_CPP_VERSION) for AVX2 CPUs (once, ~10 min)"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir \
	    -w $(WHEELHOUSE) llama-cpp-python==$(LLAMA_CPP_VERSION); }
	$(BIN)/pip install --quiet --force-reinstall --no-deps $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(BIN)/pip install --quiet --find-links $(WHEELHOUSE) -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/tandem run examples/docs --pipeline default

test: setup
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

# deptry: every package the code imports is declared in pyproject.toml and every declared one is used
# (its settings, and what it scans, are in pyproject.toml's [tool.deptry])
lint: setup
	$(BIN)/ruff check flows stages specialists storage tandem tests bench
	$(BIN)/deptry .

typecheck: setup
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/pipeline_bench.py

clean:
	rm -rf $(VENV) tandem.db tandem.db-* .pytest_cache .mypy_cache
