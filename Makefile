# The two commands of the quick start: `make demo` and `make test`. Both set everything up from a
# clean clone (virtualenv, dependencies, FIPS provider) and are quick when nothing changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STATE := $(VENV)/var/fipscrypto
INSTALLED := $(VENV)/.installed
PROVIDER := $(STATE)/provider.json
# The integrity self-test's manifest (generated, not in git): every file of the four package roots,
# and the bytecode caches it seals (written into each folder's __pycache__).
MANIFEST := fipscrypto/integrity.json
PACKAGE_ROOTS := fipscrypto selftests pqc cli
# Files and folders: a folder's time changes when a file is added, removed or renamed in it.
PACKAGE_FILES := $(shell find $(PACKAGE_ROOTS) -name __pycache__ -prune -o \
	! -path $(MANIFEST) ! -name '.integrity.json.*' -print)

.PHONY: demo test lint typecheck pytest provider manifest bench clean

demo: $(PROVIDER) $(MANIFEST)
	$(BIN)/fipscheck status
	@echo
	$(BIN)/fipscheck demo

test: lint typecheck pytest

lint: $(INSTALLED)
	$(BIN)/ruff check fipscrypto selftests pqc cli tests bench setup.py
	$(BIN)/ruff format --check fipscrypto selftests pqc cli tests bench setup.py

typecheck: $(INSTALLED)
	$(BIN)/mypy

pytest: $(PROVIDER) $(MANIFEST)
	$(BIN)/pytest

provider: $(PROVIDER)

manifest: $(MANIFEST)

bench: $(PROVIDER) $(MANIFEST)
	$(BIN)/python bench/run.py

# The venv is rebuilt only when the project metadata or the pinned tool versions change.
$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,dev]'
	touch $@

# Rewritten when a package file changes, is added or is removed. Run by path (-P: the script's folder
# stays off sys.path), so the package is not imported and no provider is needed.
$(MANIFEST): $(INSTALLED) $(PACKAGE_FILES)
	$(BIN)/python -P selftests/integrity.py write

# Provisioning: find or fetch the FIPS provider, configure it in the state folder, verify it (the
# verification activates the module, so the manifest comes first; a newer one does not re-provision).
$(PROVIDER): $(INSTALLED) | $(MANIFEST)
	$(BIN)/fipscheck provider install --state-dir $(STATE)

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache $(MANIFEST)
