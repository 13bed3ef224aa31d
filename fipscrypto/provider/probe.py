"""Check a provisioned provider from fresh interpreters, so the calling process stays untouched.

Two probes, each in its own subprocess because two libcrypto copies must not load one ``fips.so``:

- ``identity``: loads the provider into a private ``OSSL_LIB_CTX`` of the *system* libcrypto
  (through ctypes) and reads its ``name``, ``version``, ``buildinfo`` and ``status`` parameters, then
  runs ``OSSL_PROVIDER_self_test``. cryptography's bindings expose no provider parameters.
- ``load``: runs the real activation (``fipscrypto.activate("strict")``) against the state folder:
  cryptography's OpenSSL, the environment window, and the provider-proof self-tests; then asks that
  OpenSSL which TLS suites it can negotiate (:func:`fipscrypto.tls.openssl.capability`), which the
  activation of later processes needs before it loads that OpenSSL.

Run as ``python -m fipscrypto.provider.probe identity|load PATH``; each prints one JSON object.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .config import clean_environment

__all__ = ["probe_identity", "probe_load", "run_probe"]

_UTF8_PTR = 6  # OSSL_PARAM_UTF8_PTR (include/openssl/core.h)
_INTEGER = 1  # OSSL_PARAM_INTEGER


class _Param(ctypes.Structure):
    # struct ossl_param_st (include/openssl/core.h)
    _fields_ = (
        ("key", ctypes.c_char_p),
        ("data_type", ctypes.c_uint),
        ("data", ctypes.c_void_p),
        ("data_size", ctypes.c_size_t),
        ("return_size", ctypes.c_size_t),
    )


def _openssl_errors(lib: Any) -> str:
    messages = []
    buf = ctypes.create_string_buffer(256)
    while code := lib.ERR_get_error():
        lib.ERR_error_string_n(code, buf, len(buf))
        messages.append(buf.value.decode(errors="replace"))
    return "; ".join(messages) or "no OpenSSL error recorded"


def probe_identity(openssl_cnf: Path) -> dict[str, Any]:
    """Identity of the fips provider configured by ``openssl_cnf``, as the system libcrypto sees it."""
    name = ctypes.util.find_library("crypto") or "libcrypto.so.3"
    lib = ctypes.CDLL(name)
    lib.OpenSSL_version_num.restype = ctypes.c_ulong
    if lib.OpenSSL_version_num() < 0x30000000:
        return {"ok": False, "error": f"{name} is not OpenSSL 3"}
    lib.OpenSSL_version.restype = ctypes.c_char_p
    lib.OpenSSL_version.argtypes = (ctypes.c_int,)
    libcrypto = lib.OpenSSL_version(0).decode()
    lib.ERR_get_error.restype = ctypes.c_ulong
    lib.ERR_error_string_n.argtypes = (ctypes.c_ulong, ctypes.c_char_p, ctypes.c_size_t)
    lib.OSSL_LIB_CTX_new.restype = ctypes.c_void_p
    lib.OSSL_LIB_CTX_load_config.argtypes = (ctypes.c_void_p, ctypes.c_char_p)
    lib.OSSL_PROVIDER_load.restype = ctypes.c_void_p
    lib.OSSL_PROVIDER_load.argtypes = (ctypes.c_void_p, ctypes.c_char_p)
    lib.OSSL_PROVIDER_get_params.argtypes = (ctypes.c_void_p, ctypes.POINTER(_Param))
    lib.OSSL_PROVIDER_self_test.argtypes = (ctypes.c_void_p,)

    ctx = lib.OSSL_LIB_CTX_new()
    if not lib.OSSL_LIB_CTX_load_config(ctx, str(openssl_cnf).encode()):
        return {"ok": False, "libcrypto": libcrypto, "error": _openssl_errors(lib)}
    prov = lib.OSSL_PROVIDER_load(ctx, b"fips")
    if not prov:
        return {"ok": False, "libcrypto": libcrypto, "error": _openssl_errors(lib)}
    strings = {key: ctypes.c_char_p() for key in ("name", "version", "buildinfo")}
    status = ctypes.c_int(0)
    params = (_Param * 5)()
    for i, (key, ptr) in enumerate(strings.items()):
        params[i] = _Param(key.encode(), _UTF8_PTR, ctypes.addressof(ptr), 0, 0)
    params[3] = _Param(b"status", _INTEGER, ctypes.addressof(status), ctypes.sizeof(status), 0)
    if not lib.OSSL_PROVIDER_get_params(prov, params):
        return {"ok": False, "libcrypto": libcrypto, "error": _openssl_errors(lib)}
    found: dict[str, Any] = {k: (v.value or b"").decode() for k, v in strings.items()}
    found.update(ok=True, libcrypto=libcrypto, status=status.value)
    found["self_test"] = bool(lib.OSSL_PROVIDER_self_test(prov))
    if not found["self_test"] or status.value != 1:
        found.update(ok=False, error=_openssl_errors(lib))
    return found


def probe_load(state_dir: Path) -> dict[str, Any]:
    """Activate fipscrypto in strict mode against ``state_dir`` and report what cryptography sees."""
    import fipscrypto
    from fipscrypto.errors import FipsError

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
