# Two commands: `make demo` (set up, run the main job on the embedded default) and `make test` (set up the
# test extras and the Neo4j Cypher linter, then run the whole suite with lint and type checks).

SHELL := /bin/bash
# The first Python >= 3.12 on PATH (pyenv reads .python-version); override with `make PYTHON=...`.
PYTHON ?= $(shell for p in python3.12 python3.13 python3 python; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; \
	then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
LINTER := tools/cypher-lint

.PHONY: demo test test-fast fuzz docs install install-test linter lint typecheck bench mutation clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "itsms-graph needs Python >= 3.12 (see .python-version)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	@touch $@ $(VENV)/.installed

$(LINTER)/node_modules/.installed: $(LINTER)/package.json $(LINTER)/package-lock.json
	npm ci --prefix $(LINTER) --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

linter: $(LINTER)/node_modules/.installed

demo: install
	$(BIN)/itsms-graph demo --out out
	@echo "open out/report.html"

lint: install-test
	$(BIN)/ruff check itsms_graph tests benchmarks
	$(BIN)/ruff format --check itsms_graph tests benchmarks

typecheck: install-test
	$(BIN)/mypy itsms_graph

test: install-test linter lint typecheck
	$(BIN)/python -m pytest

# The loop while you work: the whole suite but the real-data tier (../shared/data; tests marked realdata).
test-fast: install-test linter
	$(BIN)/python -m pytest -q -m "not realdata"

# The generated pages: every command's --help, and the JSON Schema of a query file (tests/test_docs.py checks both).
docs: install
	$(BIN)/python -m itsms_graph.ontology
	$(BIN)/python -m itsms_graph.cli.reference > docs/cli.md.tmp && mv docs/cli.md.tmp docs/cli.md
	$(BIN)/python -m itsms_graph.queries.json_schema > docs/query-schema.json.tmp && mv docs/query-schema.json.tmp docs/query-schema.json

# The fuzz suite at a large budget (make test runs it small): some 10,000 generated export files and 300 damaged
# snapshots; the figures go to benchmarks/RESULTS-fuzz.md.
FUZZ_BATCHES ?= 600
fuzz: install-test
	ITSMS_FUZZ_BATCHES=$(FUZZ_BATCHES) ITSMS_FUZZ_FILES=32 ITSMS_FUZZ_SNAPSHOTS=300 \
	ITSMS_FUZZ_REPORT=benchmarks/RESULTS-fuzz.md $(BIN)/python -m pytest tests/test_fuzz.py -q -p no:randomly

bench: install-test
	$(BIN)/python benchmarks/run.py

# Mutation testing of itsms_graph/audit/ (about 20 minutes on 2 cores, one pytest at a time; not part of `make test`):
# writes benchmarks/RESULTS-mutation.md and fails when a mutant that is not known equivalent survives.
mutation: install-test
	$(BIN)/python benchmarks/mutation.py

clean:
	rm -rf $(VENV) out $(LINTER)/node_modules .pytest_cache .mypy_cache .ruff_cache
