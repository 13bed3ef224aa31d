"""``fipscheck scan env``: a thin command over :func:`~.libcrypto.scan_env`."""

from __future__ import annotations

from ..options import state_dir_option
from . import Options, conclude, scan, verdict_options
from .libcrypto import SCANNER, scan_env
from .model import Misuse, Skipped

__all__ = ["env"]


@scan.command()
@state_dir_option
@verdict_options
def env(state_dir: str | None, options: Options) -> None:
    """Find the OpenSSL copies the running Python environment carries.

    \b
    Every installed distribution with its own libcrypto (a bundled shared object
    or OpenSSL linked statically into an extension) and its OpenSSL version;
    whether it can load the FIPS provider (measured for cryptography's own
    OpenSSL, which fipscrypto loads the provider into; inferred from the version
    for the others); the standard library's ssl and hashlib, outside the boundary.
    A copy older than OpenSSL 3.0 fails; --fail-on deprecated fails on any other
    copy too. No provisioned provider makes the run incomplete (exit 3).
    """
    items, checked = scan_env(state_dir)
    found = [item for item in items if isinstance(item, Misuse)]
    skipped = [item for item in items if isinstance(item, Skipped)]
    conclude(found, options, scanner=SCANNER, checked=checked, skipped=skipped)
