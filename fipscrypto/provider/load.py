"""Load the FIPS provider into cryptography's OpenSSL: the one place the process environment is touched.

cryptography's statically linked OpenSSL reads ``OPENSSL_CONF`` / ``OPENSSL_MODULES`` once, when
``cryptography.hazmat.bindings._rust`` is first imported. Python's ``hashlib`` and ``ssl`` use the
*system* libcrypto, which reads the same variables when it initialises; two libcrypto copies loading
one ``fips.so`` break the second (OSSL_PROVIDER-FIPS(7), NOTES). So the variables are set only around
that first import and restored at once: the stdlib keeps the system configuration and stays outside
the FIPS boundary.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from .._fork import lock
from ..errors import ModuleMacMismatch, ModuleNotFound, ProviderUnavailable
from .config import module_mac, read_module_mac
from .state import ProviderRecord, StatePaths, read_record

__all__ = [
    "BINDINGS",
    "REINSTALL",
    "bindings_imported",
    "diagnose",
    "external_bindings",
    "load_bindings",
    "require_record",
]

BINDINGS = "cryptography.hazmat.bindings._rust"
_WINDOW_KEYS = ("OPENSSL_CONF", "OPENSSL_MODULES", "CRYPTOGRAPHY_OPENSSL_NO_LEGACY")
_lock = lock()

REINSTALL = "run 'fipscheck provider install' again to re-provision"
PREMATURE_REMEDY = (
    "import fipscrypto and call fipscrypto.activate() before anything imports cryptography "
    "(or pyOpenSSL), or start the program with 'fipscheck run -- python ...'"
)


def require_record(paths: StatePaths) -> ProviderRecord:
    """The provisioned provider's record, or ProviderUnavailable saying how to provision one."""
    record = read_record(paths)
    if record is None or not paths.fipsmodule_cnf.is_file():
        raise ProviderUnavailable(
            f"no FIPS provider is provisioned in {paths.root}",
            "run 'fipscheck provider install' (or 'make demo' in a checkout), or set "
            "FIPSCRYPTO_STATE_DIR to a provisioned state folder",
        )
    return record


def bindings_imported() -> bool:
    return BINDINGS in sys.modules


def _fips_enabled() -> bool:
    rust = importlib.import_module(BINDINGS)
    return bool(rust.openssl.is_fips_enabled())


def external_bindings() -> str:
    """Bindings someone else loaded: ``"external"`` when their ``default_properties`` have FIPS enabled
    (``OPENSSL_CONF`` set by the operator), else ProviderUnavailable (they cannot be configured now)."""
    if _fips_enabled():
        return "external"
    raise ProviderUnavailable(
        "cryptography was imported before fipscrypto was activated, without the FIPS "
        "provider; its OpenSSL reads its configuration only once",
        PREMATURE_REMEDY,
    )


def load_bindings(conf: Path, record: ProviderRecord) -> str:
    """Import cryptography's bindings with ``conf`` as their OpenSSL configuration; return who configured it.

    ``conf`` is the runtime configuration (provider plus the policy's TLS section) written by
    :func:`~fipscrypto.provider.config.write_runtime_config` for the provider ``record``.

    Returns ``"fipscrypto"`` when this call set the configuration, ``"external"`` when the bindings
    were loaded by someone else meanwhile (see :func:`external_bindings`). In both cases the caller
    must still prove the provider with known-answer tests: ``is_fips_enabled()`` only reflects
    ``default_properties`` and stays true when the provider failed to load.
    """
    with _lock:
        if bindings_imported():
            return external_bindings()
        window = {
            "OPENSSL_CONF": str(conf),
            "OPENSSL_MODULES": str(Path(record.module_path).parent),
            # cryptography loads the legacy provider unless told not to; in FIPS mode it has no use.
            "CRYPTOGRAPHY_OPENSSL_NO_LEGACY": "1",
        }
        saved = {key: os.environ.get(key) for key in _WINDOW_KEYS}
        os.environ.update(window)
        try:
            importlib.import_module(BINDINGS)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        return "fipscrypto"


def diagnose(paths: StatePaths) -> ProviderUnavailable | None:
    """Why a provisioned provider cannot serve, found without loading it; None if no cause is seen."""
    record = read_record(paths)
    if record is None or not paths.fipsmodule_cnf.is_file():
        return ProviderUnavailable(f"no FIPS provider is provisioned in {paths.root}", REINSTALL)
    module = Path(record.module_path)
    if not module.is_file():
        return ModuleNotFound(f"the provider module {module} is gone", REINSTALL)
    expected = read_module_mac(paths.fipsmodule_cnf)
    actual = module_mac(module)
    if actual != expected:
        return ModuleMacMismatch(
            f"{module} does not match its module-mac (expected {expected[:16]}..., "
            f"found {actual[:16]}...): the file was modified or replaced",
            "restore the original module; if it was upgraded on purpose, " + REINSTALL,
        )
    return None
