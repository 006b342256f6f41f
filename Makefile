# Quick start: `make report` then `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test test-fast lint lock data-dictionary bench validation clean r-reference

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	@# WeasyPrint (the PDF) needs pango from the system; install it where we may (Debian/Ubuntu)
	@$(PYTHON) -c 'import ctypes.util as u, sys; sys.exit(0 if u.find_library("pango-1.0") and u.find_library("pangoft2-1.0") else 1)' || { \
	  pkgs="libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation2"; echo "Installing $$pkgs (needed for the PDF report)"; \
	  if [ "$$(id -u)" -eq 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$pkgs; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$pkgs; \
	  else echo "Please install pango: apt-get install $$pkgs (or your system's pango package)"; exit 1; fi; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

## Build the demo report into reports/demo/ from freshly generated demo data.
report: $(STAMP)
	$(BIN)/evaluation report --out reports/demo

## The whole test suite (CI runs this through .ci/run): lint and format check, then pytest.
test: $(STAMP) lint
	$(BIN)/python -m pytest

## ruff: lint rules and formatting; mypy: type checks (both configured in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check evaluation tests benchmarks examples
	$(BIN)/ruff format --check evaluation tests benchmarks examples
	$(BIN)/mypy

## MatchIt 4.7.2, the matching conformance tests' reference, from the source packages in tests/reference/ into
## its own R library (.venv/R-matchit-4.7.2). Needs R with r-base-dev and Debian's r-cran-{rcpp,rcppprogress,
## backports,lifecycle,cli,glue}; no network. About 2 minutes on 2 cores. Without it those tests skip (CI: fail).
MATCHIT_LIB := $(VENV)/R-matchit-4.7.2
r-reference: $(MATCHIT_LIB)/MatchIt/DESCRIPTION
$(MATCHIT_LIB)/MatchIt/DESCRIPTION: tests/reference/matchit-4.7.2/install.sh tests/reference/matchit-4.7.2/SHA256SUMS
	cd tests/reference/matchit-4.7.2 && sha256sum --check --quiet SHA256SUMS
	bash tests/reference/matchit-4.7.2/install.sh $(MATCHIT_LIB)

## Everything except tests marked slow.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

## Regenerate the human data dictionary from data_schema/*.json.
data-dictionary: $(STAMP)
	$(BIN)/evaluation data-dictionary > data_schema/DATA_DICTIONARY.md

## The design's full simulation study (about an hour on 2 cores): rewrites docs/validation.md and docs/validation/*.csv.
validation: $(STAMP)
	$(BIN)/python -m tests.simulation.study --replications 500 --stress-replications 200

## Benchmarks (not tests): print ratios against a floor measured in the same run.
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

## Re-resolve and pin dependency versions.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -e '.[test,spark]'
	{ echo "# Pinned runtime and test dependencies (Python 3.11). Regenerate with: make lock"; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^evaluation'; } > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) reports/demo
