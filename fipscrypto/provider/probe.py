"""Check a provisioned provider from fresh interpreters, so the calling process stays untouched.

Two probes, each in its own subprocess because two libcrypto copies must not load one ``fips.so``:

- ``identity``: loads the provider into a private ``OSSL_LIB_CTX`` of the *system* libcrypto
  (:mod:`.context`), reads its parameters (``name``, ``version``, ``buildinfo``, ``status`` and its
  switches) and runs ``OSSL_PROVIDER_self_test``. cryptography's bindings expose none of them.
- ``load``: runs the real activation (``fipscrypto.activate("strict")``) against the state folder:
  cryptography's OpenSSL, the environment window, and the provider-proof self-tests; then asks that
  OpenSSL which TLS suites it can negotiate (:func:`fipscrypto.tls.openssl.capability`), which the
  activation of later processes needs before it loads that OpenSSL.

Run as ``python -m fipscrypto.provider.probe identity|load PATH``; each prints one JSON object.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..errors import FipsError
from .config import clean_environment

__all__ = ["probe_identity", "probe_load", "run_probe"]


def probe_identity(openssl_cnf: Path) -> dict[str, Any]:
    """Identity of the fips provider configured by ``openssl_cnf``, as the system libcrypto sees it:
    name, version, buildinfo, status, and every switch it has (its integer parameters) with its value."""
    from .context import FipsContext, libcrypto_version

    try:
        libcrypto = libcrypto_version()
        provider = FipsContext(openssl_cnf)
        params = provider.provider_params()
        provider.self_test()
    except FipsError as exc:
        return {"ok": False, "error": str(exc).splitlines()[0]}
    found: dict[str, Any] = {key: str(params.get(key, "")) for key in ("name", "version", "buildinfo")}
    found["status"] = params.get("status")
    found["switches"] = {k: v for k, v in params.items() if isinstance(v, int) and k != "status"}
    found.update(ok=params.get("status") == 1, libcrypto=libcrypto, self_test=True)
    return found


def probe_load(state_dir: Path) -> dict[str, Any]:
    """Activate fipscrypto in strict mode against ``state_dir`` and report what cryptography sees."""
    import fipscrypto

    try:
        fipscrypto.activate("strict", state_dir=state_dir)
    except FipsError as exc:
        return {"ok": False, "error_type": type(exc).__name__, "error": str(exc)}
    from fipscrypto import _backend
    from fipscrypto.tls.openssl import capability

    return {
        "ok": True,
        "fips_enabled": _backend.fips_enabled(),
        "openssl": _backend.openssl_version(),
        "tls_negotiable": capability().as_dict(),
    }


def run_probe(kind: str, path: Path) -> dict[str, Any]:
    """Run one probe in a fresh interpreter with no OpenSSL variables in its environment."""
    done = subprocess.run(
        [sys.executable, "-m", "fipscrypto.provider.probe", kind, str(path)],
        capture_output=True,
        text=True,
        env=clean_environment(),
        check=False,
        timeout=300,
    )
    try:
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tail = " / ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        return {"ok": False, "error": f"probe exited {done.returncode}: {tail}"}
    return result


_PROBES = {"identity": probe_identity, "load": probe_load}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in _PROBES:
        sys.exit("usage: python -m fipscrypto.provider.probe identity|load PATH")
    print(json.dumps(_PROBES[sys.argv[1]](Path(sys.argv[2]))))
