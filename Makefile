# The two commands of the quick start: `make demo` and `make test`. Both set everything up from a
# clean clone (virtualenv, dependencies, FIPS provider) and are quick when nothing changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STATE := $(VENV)/var/fipscrypto
INSTALLED := $(VENV)/.installed
PROVIDER := $(STATE)/provider.json

.PHONY: demo test lint typecheck pytest provider bench clean

demo: $(PROVIDER)
	$(BIN)/fipscheck status
	@echo
	$(BIN)/fipscheck demo

test: lint typecheck pytest

lint: $(INSTALLED)
	$(BIN)/ruff check fipscrypto selftests pqc cli tests bench
	$(BIN)/ruff format --check fipscrypto selftests pqc cli tests bench

typecheck: $(INSTALLED)
	$(BIN)/mypy

pytest: $(PROVIDER)
	$(BIN)/pytest

provider: $(PROVIDER)

bench: $(PROVIDER)
	$(BIN)/python bench/run.py

# The venv is rebuilt only when the project metadata changes.
$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

# Provisioning: find or fetch the FIPS provider, configure it in the state folder, verify it.
$(PROVIDER): $(INSTALLED)
	$(BIN)/fipscheck provider install --state-dir $(STATE)

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
