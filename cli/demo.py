"""``fipscheck demo``: a short demonstration of FIPS-mode cryptography, run by ``make demo``."""

from __future__ import annotations

import click

from fipscrypto import cmvp, module
from fipscrypto.errors import AlgorithmUnavailable, FipsError
from fipscrypto.provider.state import StatePaths, read_record
from fipscrypto.status import EXIT_UNAVAILABLE

# Fixed, public demonstration inputs: never use a constant key for real data.
_DEMO_KEY = bytes(range(32))
_DEMO_NONCE = bytes(12)
_MESSAGE = b"fipscrypto: secure video signalling"


@click.command()
def demo() -> None:
    """Hash and encrypt through the FIPS provider, and show a non-approved algorithm refused."""
    try:
        module.activate()
    except FipsError as exc:
        click.echo(f"fipscrypto did not activate: {exc}", err=True)
        raise SystemExit(EXIT_UNAVAILABLE) from exc
    from fipscrypto import _backend  # imported after activation by design

    info = module.info()
    record = read_record(StatePaths.resolve(info.state_dir))
    mode = info.mode.value if info.mode else "?"
    click.echo(f"fipscrypto is {info.state.value} in {mode} mode")
    if record is not None:
        verdict = cmvp.verdict(record.name, record.version)
        click.echo(f"  provider: {record.name} {record.version}; CMVP: {verdict.status}")
    click.echo(f"  cryptography's OpenSSL: {_backend.openssl_version()}")
    click.echo(f"  FIPS enabled: {_backend.fips_enabled()}")

    module.gate()
    click.echo(f"\nSHA-256({_MESSAGE.decode()!r})\n  = {_backend.digest('sha256', _MESSAGE).hex()}")
    click.echo(f"SHA3-256 = {_backend.digest('sha3-256', _MESSAGE).hex()}")

    sealed = _backend.aes_gcm_seal(_DEMO_KEY, _DEMO_NONCE, _MESSAGE, b"header")
    opened = _backend.aes_gcm_open(_DEMO_KEY, _DEMO_NONCE, sealed, b"header")
    click.echo("\nAES-256-GCM (fixed demonstration key and nonce)")
    click.echo(f"  ciphertext+tag = {sealed.hex()}")
    click.echo(f"  decrypts back  = {opened == _MESSAGE}")

    click.echo("\nMD5 (not approved)")
    try:
        _backend.digest("md5", _MESSAGE)
    except AlgorithmUnavailable as exc:
        click.echo(f"  refused: {str(exc).splitlines()[0][:100]}")
    else:
        click.echo("  SERVED: the FIPS boundary is not in force", err=True)
        raise SystemExit(EXIT_UNAVAILABLE)
