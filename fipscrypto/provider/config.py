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

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .._fingerprint import sha256_hex
from ..errors import ProviderLoadFailed, ProviderUnavailable
from .state import ProviderRecord, StatePaths

if TYPE_CHECKING:
    import hashlib
    import hmac

__all__ = [
    "BASE_SWITCHES",
    "DEFAULT_FIPS_KEY",
    "clean_environment",
    "file_sha256",
    "fips_section",
    "fipsinstall_mac",
    "loaded_section",
    "module_mac",
    "read_fips_section",
    "read_module_mac",
    "strict_switches",
    "with_module",
    "write_configs",
    "write_context_config",
    "write_runtime_config",
]

# OpenSSL's default FIPS module MAC key (apps/fipsinstall.c, FIPS_KEY_STRING).
DEFAULT_FIPS_KEY = bytes.fromhex("f4556650ac31d35461610bac4ed81b1a181b2d8a43ea2854cbae22ca74560813")

_MAC_LINE = re.compile(r"^\s*module-mac\s*=\s*([0-9A-Fa-f:]+)\s*$", re.MULTILINE)


_REWRITE = "run 'fipscheck provider install --force' to write the provider configuration again"


def _read_text(path: Path) -> str:
    """The text of a configuration file; ProviderLoadFailed when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProviderLoadFailed(f"cannot read {path}: {_reason(exc)}", _REWRITE) from None


def _reason(exc: Exception) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _digest_file(path: Path, h: hashlib._Hash | hmac.HMAC) -> str:
    try:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise ProviderLoadFailed(
            f"cannot read {path}: {_reason(exc)}", "restore the module, or run 'fipscheck provider install'"
        ) from None
    return h.hexdigest()


def module_mac(module: Path) -> str:
    """HMAC-SHA-256 of the module file under the default FIPS key, as uppercase hex without colons;
    ProviderLoadFailed when the file cannot be read."""
    import hashlib  # (diagnosis, status and install only: activation does not load _hashlib)
    import hmac

    return _digest_file(module, hmac.new(DEFAULT_FIPS_KEY, digestmod=hashlib.sha256)).upper()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file: the module's fingerprint in records and reports (identification only);
    ProviderLoadFailed when the file cannot be read."""
    import hashlib

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
    import shutil  # (install time only: activation does not pay for these imports)
    import subprocess
    import tempfile

    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    env = clean_environment()
    with tempfile.TemporaryDirectory(prefix="fipscrypto-fipsinstall-") as tmp:
        out = Path(tmp) / "fipsmodule.cnf"
        try:
            run = subprocess.run(
                [openssl, "fipsinstall", "-module", str(module), "-out", str(out), "-provider_name", "fips"],
                capture_output=True,
                text=True,
                env=env,
                check=False,
                timeout=120,
            )
            version = subprocess.run(
                [openssl, "version"], capture_output=True, text=True, env=env, check=False, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError) as exc:
            raise ProviderLoadFailed(
                f"openssl fipsinstall did not run on {module}: {exc}",
                "check the system openssl, or remove it from PATH to use fipscrypto's own MAC",
            ) from None
        if run.returncode != 0 or not out.exists():
            tail = (run.stderr or run.stdout).strip().splitlines()[-3:]
            raise ProviderLoadFailed(
                f"openssl fipsinstall rejected {module}: {' / '.join(tail)}",
                "the module failed its own self-test or integrity check; install an intact "
                "openssl-provider-fips package, or run 'fipscheck provider install' without --module",
            )
        mac = read_module_mac(out)
    return mac, version


def read_module_mac(fipsmodule_cnf: Path) -> str:
    """The ``module-mac`` of a fipsmodule.cnf, as uppercase hex without colons; ProviderLoadFailed when
    the file cannot be read or has no ``module-mac`` line."""
    found = _MAC_LINE.search(_read_text(fipsmodule_cnf))
    if found is None:
        raise ProviderLoadFailed(f"{fipsmodule_cnf}: no module-mac line", _REWRITE)
    return found.group(1).replace(":", "").upper()


def _colon_hex(mac: str) -> str:
    return ":".join(mac[i : i + 2] for i in range(0, len(mac), 2))


# Set by every configuration fipscrypto writes, in every mode: a failed conditional self-test of the
# provider latches its error state, its security checks run, and (FIPS 140-3 IG D.Q, RFC 7627) the
# TLS 1.2 key derivation only with the extended master secret (providers before 3.1 ignore the key).
BASE_SWITCHES = ("conditional-errors", "security-checks", "tls1-prf-ems-check")


def write_configs(paths: StatePaths, module: Path, mac: str) -> None:
    """Write fipsmodule.cnf and openssl.cnf for the module into the state folder; ProviderUnavailable
    when the folder cannot be written."""
    try:
        _write_configs(paths, module, mac)
    except OSError as exc:
        raise ProviderUnavailable(
            f"cannot write the provider configuration into {paths.root}: {_reason(exc)}",
            "make the state folder writable for this user, or name another with --state-dir",
        ) from None


def _write_configs(paths: StatePaths, module: Path, mac: str) -> None:
    paths.root.mkdir(parents=True, exist_ok=True)
    switches = "".join(f"{name} = 1\n" for name in BASE_SWITCHES)
    paths.fipsmodule_cnf.write_text(
        "# Written by 'fipscheck provider install'. module-mac = HMAC-SHA-256(fips.so) under the\n"
        "# default FIPS key; no install-status, so the provider runs its self-tests on every load.\n"
        "# fipscrypto processes in strict mode turn on every other switch the provider has as well.\n"
        "[fips_sect]\n"
        "activate = 1\n"
        f"module = {module}\n"
        "install-version = 1\n"
        f"{switches}"
        f"module-mac = {_colon_hex(mac)}\n",
        encoding="utf-8",
    )
    paths.openssl_cnf.write_text(_openssl_cnf(f".include {paths.fipsmodule_cnf}\n"), encoding="utf-8")


def read_fips_section(fipsmodule_cnf: Path) -> dict[str, str]:
    """The ``[fips_sect]`` of a provisioned fipsmodule.cnf as key -> value, in file order."""
    entries: dict[str, str] = {}
    section = None
    for number, raw in enumerate(_read_text(fipsmodule_cnf).splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        key, sep, value = (part.strip() for part in line.partition("="))
        if section != "fips_sect" or not sep or not key:
            raise ProviderLoadFailed(
                f"{fipsmodule_cnf}:{number}: not a key = value line of [fips_sect]", _REWRITE
            )
        entries[key] = value
    if "module" not in entries or "module-mac" not in entries:
        raise ProviderLoadFailed(f"{fipsmodule_cnf}: [fips_sect] names no module or module-mac", _REWRITE)
    return entries


def fips_section(paths: StatePaths, record: ProviderRecord, *, strict: bool) -> str:
    """The provider section a fipscrypto configuration loads: the provisioned ``[fips_sect]``. Strict
    mode sets every switch the provider reported when it was provisioned to 1; audit mode runs with
    the provisioned section as it is (fipscrypto records what a strict provider would have refused)."""
    entries = read_fips_section(paths.fipsmodule_cnf)
    mac = entries.pop("module-mac")
    if strict:
        if not record.switches:
            raise ProviderUnavailable(
                f"the provider record in {paths.root} lists no provider switches",
                "run 'fipscheck provider install' again to record them",
            )
        entries.update(dict.fromkeys(strict_switches(record), "1"))
    return (
        "[fips_sect]\n"
        + "".join(f"{key} = {value}\n" for key, value in entries.items())
        + (f"module-mac = {mac}\n")
    )


def strict_switches(record: ProviderRecord) -> tuple[str, ...]:
    """Every switch strict mode turns on: :data:`BASE_SWITCHES` and those the provider reported."""
    return tuple(dict.fromkeys((*BASE_SWITCHES, *record.switches)))


def _openssl_cnf(fips: str, tls_section: str = "") -> str:
    """An OpenSSL configuration with the ``fips`` and ``base`` providers only and ``fips=yes``.

    ``fips`` is the provider section itself or an ``.include`` of a file that holds it."""
    ssl_conf = "ssl_conf = ssl_module\n" if tls_section else ""
    return (
        "# Written by fipscrypto for one OpenSSL library context: cryptography's (through\n"
        "# OPENSSL_CONF, around the first import of its bindings) or fipscrypto's private one.\n"
        "config_diagnostics = 1\n"
        "openssl_conf = openssl_init\n"
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
        "\n"
        f"{fips}"
        f"{chr(10) + tls_section if tls_section else ''}"
    )


def write_runtime_config(paths: StatePaths, fips: str, tls_section: str) -> Path:
    """The configuration activation loads into cryptography's OpenSSL: the provider section ``fips``
    (see :func:`fips_section`) plus the policy's compiled TLS section."""
    return _write_addressed(paths, "openssl", _openssl_cnf(fips, tls_section))


def loaded_section(config: Path) -> str:
    """The ``[fips_sect]`` of a configuration written by :func:`write_runtime_config`, after checking
    that the file still holds what was written (its name carries the SHA-256 of its content)."""
    try:
        text = config.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProviderLoadFailed(f"cannot read {config}: {exc}", "run 'fipscheck status'") from exc
    if not config.name.endswith(f"-{sha256_hex(text.encode())[:16]}.cnf"):
        raise ProviderLoadFailed(
            f"{config} was changed after it was written (its content no longer matches its name)",
            "restart the process; find out who writes into the state folder",
        )
    start = text.find("\n[fips_sect]\n")
    end = text.find("\n[", start + 1)
    return text[start + 1 : end + 1 if end != -1 else len(text)]


def with_module(section: str, module: Path) -> str:
    """``section`` (a ``[fips_sect]``) loading ``module`` instead of the module it names."""
    return re.sub(r"(?m)^module = .*$", lambda _: f"module = {module}", section, count=1)


def write_context_config(paths: StatePaths, fips: str) -> Path:
    """The configuration of fipscrypto's private library context (``_backend.fipsctx``)."""
    return _write_addressed(paths, "context", _openssl_cnf(fips))


def _write_addressed(paths: StatePaths, stem: str, text: str) -> Path:
    """Write ``text`` under a name made of its SHA-256, so processes with other policies or modes
    never overwrite each other's file. When the state folder is read-only (provisioned by root, run
    by a service user), a private folder under the system temporary directory is used instead."""
    name = f"{stem}-{sha256_hex(text.encode())[:16]}.cnf"
    for folder in (paths.root / "runtime", None):
        if folder is None:  # the fallback: tempfile is imported only when it is needed
            import tempfile

            folder = Path(tempfile.gettempdir()) / f"fipscrypto-{os.getuid()}"
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
