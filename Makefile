# The two commands of the quick start: `make demo` and `make test`. Both set everything up from a
# clean clone (virtualenv, dependencies, FIPS provider) and are quick when nothing changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STATE := $(VENV)/var/fipscrypto
INSTALLED := $(VENV)/.installed
PROVIDER := $(STATE)/provider.json
# liboqs for the post-quantum module's liboqs backend (tests and CI; users install their own): liboqs
# is in no package registry, so its static library is taken from a pinned wheel that carries liboqs
# 0.15.0 (only downloaded and unpacked, never installed) and linked into a shared library in the
# state folder, where fipscrypto.pqc finds it and points liboqs-python (the pqc extra) at it.
LIBOQS_DIR := $(STATE)/liboqs
LIBOQS := $(LIBOQS_DIR)/lib/liboqs.so
LIBOQS_WHEEL := qybersafe==0.1.0a4
LIBOQS_WHEEL_SHA256 := 054a8e5fd3f8361a82d84489fa4ec3264811fde46d0164a7d3fe391080c1527c
CC ?= cc
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
# sslyze, the peer of bench/scan_tls.py, pins cryptography below 47: it gets a virtualenv of its own
# in the state folder, with its dependencies pinned too. Rebuilt when the pins change.
SSLYZE_VENV := $(STATE)/sslyze
SSLYZE := $(SSLYZE_VENV)/bin/sslyze
SSLYZE_PINS := sslyze==6.3.1 nassl==5.4.0 cryptography==46.0.7 tls-parser==2.0.2 pydantic==2.14.4
# The integrity self-test's manifest (generated, not in git): every file of the four package roots,
# and the bytecode caches it seals (written into each folder's __pycache__).
MANIFEST := fipscrypto/integrity.json
PACKAGE_ROOTS := fipscrypto selftests pqc cli
# Files and folders: a folder's time changes when a file is added, removed or renamed in it.
PACKAGE_FILES := $(shell find $(PACKAGE_ROOTS) -name __pycache__ -prune -o \
	! -path $(MANIFEST) ! -name '.integrity.json.*' -print)

.PHONY: demo test lint typecheck pytest provider manifest liboqs browser bench clean

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

pytest: $(PROVIDER) $(MANIFEST) $(LIBOQS) browser
	$(BIN)/pytest

provider: $(PROVIDER)

liboqs: $(LIBOQS)

# Headless Chromium, Debian's package, renders `fipscheck report`'s page in the tests (a test-time
# tool, like the peers). Installed with apt when it is missing: as root, or through sudo.
browser:
	command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

manifest: $(MANIFEST)

bench: $(PROVIDER) $(MANIFEST) $(LIBOQS) $(SSLYZE)
	SSLYZE=$(SSLYZE) $(BIN)/python bench/run.py

# The venv is rebuilt only when the project metadata or the pinned tool versions change.
$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,dev,pqc,bench]'
	touch $@

# Rewritten when a package file changes, is added or is removed. Run by path (-P: the script's folder
# stays off sys.path), so the package is not imported and no provider is needed.
$(MANIFEST): $(INSTALLED) $(PACKAGE_FILES)
	$(BIN)/python -P selftests/integrity.py write

# Provisioning: find or fetch the FIPS provider, configure it in the state folder, verify it (the
# verification activates the module, so the manifest comes first; a newer one does not re-provision).
$(PROVIDER): $(INSTALLED) | $(MANIFEST)
	$(BIN)/fipscheck provider install --state-dir $(STATE)

# The wheel is fetched by its pinned SHA-256 (pip --require-hashes) for CPython 3.11 on x86_64
# whatever the venv's Python: only its C library is used. Rebuilt when the pins above change.
$(LIBOQS): Makefile | $(INSTALLED)
	rm -rf $(LIBOQS_DIR) && mkdir -p $(LIBOQS_DIR)/wheel $(LIBOQS_DIR)/lib
	echo '$(LIBOQS_WHEEL) --hash=sha256:$(LIBOQS_WHEEL_SHA256)' > $(LIBOQS_DIR)/wheel/requirements.txt
	$(BIN)/python -m pip download --quiet --no-deps --require-hashes --only-binary=:all: \
		--implementation cp --python-version 3.11 --abi cp311 --platform manylinux_2_28_x86_64 \
		-r $(LIBOQS_DIR)/wheel/requirements.txt -d $(LIBOQS_DIR)/wheel
	$(BIN)/python -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
		[z.extract(n, sys.argv[2]) for n in z.namelist() if n == "lib64/liboqs.a" or n.startswith("include/oqs/")]' \
		$(LIBOQS_DIR)/wheel/qybersafe-*.whl $(LIBOQS_DIR)
	$(CC) -shared -o $@.tmp -Wl,--whole-archive $(LIBOQS_DIR)/lib64/liboqs.a -Wl,--no-whole-archive
	mv $@.tmp $@

$(SSLYZE): Makefile | $(INSTALLED)
	rm -rf $(SSLYZE_VENV)
	$(BIN)/python -m venv $(SSLYZE_VENV)
	$(SSLYZE_VENV)/bin/python -m pip install --quiet $(SSLYZE_PINS)

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache $(MANIFEST)
