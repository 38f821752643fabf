# minfu — the two commands: `make serve` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export RAGAS_DO_NOT_TRACK := true
export OPENBLAS_NUM_THREADS := 1
export OMP_WAIT_POLICY := PASSIVE

.PHONY: serve test install install-dev index lint typecheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

# Builds the bundled knowledge base's indexes when missing: the lexical index at once, the dense index in
# the background of `minfu serve` (search answers lexically, and says so, until it is full).
index: $(STAMP)
	$(BIN)/minfu ingest --if-missing --lexical-only

serve: index
	$(BIN)/minfu serve

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(BIN)/pytest -q

clean:
	rm -rf var build *.egg-info .pytest_cache .mypy_cache .ruff_cache
