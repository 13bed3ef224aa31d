"""The module MAC and the two OpenSSL configuration files.

``fipsmodule.cnf`` carries ``module-mac``: HMAC-SHA-256 over the bytes of ``fips.so`` under OpenSSL's
default FIPS key (``openssl-fipsinstall(1)``, ``-macopt hexkey:`` default). The provider recomputes it
on every load and refuses to start when it differs. We write the OpenSSL 3.1+ form (no
``install-status``/``install-mac``), so the provider runs all of its known-answer tests on every load,
as FIPS 140-3 requires, instead of trusting a record of an earlier run.

``openssl.cnf`` includes it, activates ``fips`` and ``base`` and sets ``default_properties =
fips=yes`` (fips_module(7)), with ``config_diagnostics = 1`` so that a broken configuration is an
error rather than a silent fallback (fips_config(5)).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import ProviderLoadFailed
from .state import StatePaths

__all__ = [
    "DEFAULT_FIPS_KEY",
    "clean_environment",
    "file_sha256",
    "fipsinstall_mac",
    "module_mac",
    "read_module_mac",
    "write_configs",
    "write_runtime_config",
]

# OpenSSL's default FIPS module MAC key (apps/fipsinstall.c, FIPS_KEY_STRING).
DEFAULT_FIPS_KEY = bytes.fromhex("f4556650ac31d35461610bac4ed81b1a181b2d8a43ea2854cbae22ca74560813")

_MAC_LINE = re.compile(r"^\s*module-mac\s*=\s*([0-9A-Fa-f:]+)\s*$", re.MULTILINE)


def _digest_file(path: Path, h: hashlib._Hash | hmac.HMAC) -> str:
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def module_mac(module: Path) -> str:
    """HMAC-SHA-256 of the module file under the default FIPS key, as uppercase hex without colons."""
    return _digest_file(module, hmac.new(DEFAULT_FIPS_KEY, digestmod=hashlib.sha256)).upper()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file: the module's fingerprint in records and reports (identification only)."""
    return _digest_file(path, hashlib.sha256())


def clean_environment() -> dict[str, str]:
    """This process's environment without any OpenSSL configuration, for helper subprocesses."""
    env = dict(os.environ)
    for key in ("OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_CONF_INCLUDE"):
        env.pop(key, None)
    return env


def fipsinstall_mac(module: Path) -> tuple[str, str] | None:
    """Run the system ``openssl fipsinstall`` on the module and return (module-mac, openssl version).

    fipsinstall also loads the module and runs its known-answer tests under the system libcrypto, so a
    module that fails them is reported here. Returns None when there is no ``openssl`` binary.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    env = clean_environment()
    with tempfile.TemporaryDirectory(prefix="fipscrypto-fipsinstall-") as tmp:
        out = Path(tmp) / "fipsmodule.cnf"
        run = subprocess.run(
            [
                openssl,
                "fipsinstall",
                "-module",
                str(module),
                "-out",
                str(out),
                "-provider_name",
                "fips",
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )
        if run.returncode != 0 or not out.exists():
            tail = (run.stderr or run.stdout).strip().splitlines()[-3:]
            raise ProviderLoadFailed(
                f"openssl fipsinstall rejected {module}: {' / '.join(tail)}",
                "the module failed its own self-test or integrity check; install an intact "
                "openssl-provider-fips package, or run 'fipscheck provider install' without --module",
            )
        mac = read_module_mac(out)
    version = subprocess.run(
        [openssl, "version"], capture_output=True, text=True, env=env, check=False, timeout=30
    ).stdout.strip()
    return mac, version


def read_module_mac(fipsmodule_cnf: Path) -> str:
    """The ``module-mac`` of a fipsmodule.cnf, as uppercase hex without colons."""
    found = _MAC_LINE.search(fipsmodule_cnf.read_text(encoding="utf-8"))
    if found is None:
        raise ValueError(f"{fipsmodule_cnf}: no module-mac line")
    return found.group(1).replace(":", "").upper()


def _colon_hex(mac: str) -> str:
    return ":".join(mac[i : i + 2] for i in range(0, len(mac), 2))


def write_configs(paths: StatePaths, module: Path, mac: str) -> None:
    """Write fipsmodule.cnf and openssl.cnf for the module into the state folder."""
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.fipsmodule_cnf.write_text(
        "# Written by 'fipscheck provider install'. module-mac = HMAC-SHA-256(fips.so) under the\n"
        "# default FIPS key; no install-status, so the provider runs its self-tests on every load.\n"
        "[fips_sect]\n"
        "activate = 1\n"
        f"module = {module}\n"
        "install-version = 1\n"
        "conditional-errors = 1\n"
        "security-checks = 1\n"
        "# FIPS 140-3 IG D.Q: the TLS 1.2 key derivation only with the extended master secret (RFC 7627):\n"
        "# the provider refuses a TLS 1.2 handshake without it (providers before 3.1 ignore the key).\n"
        "tls1-prf-ems-check = 1\n"
        f"module-mac = {_colon_hex(mac)}\n",
        encoding="utf-8",
    )
    paths.openssl_cnf.write_text(_openssl_cnf(paths), encoding="utf-8")


def _openssl_cnf(paths: StatePaths, tls_section: str = "") -> str:
    ssl_conf = "ssl_conf = ssl_module\n" if tls_section else ""
    return (
        "# Written by fipscrypto. Read by cryptography's OpenSSL only: fipscrypto sets OPENSSL_CONF\n"
        "# to this file around the first import of cryptography's bindings.\n"
        "config_diagnostics = 1\n"
        "openssl_conf = openssl_init\n"
        "\n"
        f".include {paths.fipsmodule_cnf}\n"
        "\n"
        "[openssl_init]\n"
        "providers = provider_sect\n"
        "alg_section = algorithm_sect\n"
        f"{ssl_conf}"
        "\n"
        "[provider_sect]\n"
        "fips = fips_sect\n"
        "base = base_sect\n"
        "\n"
        "[base_sect]\n"
        "activate = 1\n"
        "\n"
        "[algorithm_sect]\n"
        "default_properties = fips=yes\n"
        f"{chr(10) + tls_section if tls_section else ''}"
    )


def write_runtime_config(paths: StatePaths, tls_section: str) -> Path:
    """The configuration activation loads: the provider plus the policy's compiled TLS section.

    Content-addressed, so processes with different policies never overwrite each other's file. When
    the state folder is read-only (provisioned by root, run by a service user), a private folder
    under the system temporary directory is used instead.
    """
    text = _openssl_cnf(paths, tls_section)
    name = f"openssl-{hashlib.sha256(text.encode()).hexdigest()[:16]}.cnf"
    for folder in (paths.root / "runtime", Path(tempfile.gettempdir()) / f"fipscrypto-{os.getuid()}"):
        target = folder / name
        try:
            if not (target.is_file() and target.read_text(encoding="utf-8") == text):
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                tmp = target.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(target)
        except OSError:
            continue
        return target
    raise ProviderLoadFailed(
        f"cannot write the runtime OpenSSL configuration under {paths.root} or the temporary directory",
        "make the state folder or the temporary directory writable for this user",
    )
