"""``fipscheck demo``: a short demonstration of FIPS-mode cryptography, run by ``make demo``."""

from __future__ import annotations

import click

from fipscrypto import cmvp, indicator, module
from fipscrypto.errors import AlgorithmUnavailable, FipsError, PolicyViolation
from fipscrypto.provider.state import StatePaths, read_record

from .exits import EXIT_UNAVAILABLE

_MESSAGE = b"fipscrypto: secure video signalling"


@click.command()
def demo() -> None:
    """Hash and encrypt through the FIPS provider, and show a non-approved algorithm refused."""
    try:
        module.activate()
    except FipsError as exc:
        click.echo(f"fipscrypto did not activate: {exc}", err=True)
        raise SystemExit(EXIT_UNAVAILABLE) from exc
    # Service modules load the backend, which boots the module: import them only after activation.
    from fipscrypto import _backend, aead, hashes, rand

    info = module.info()
    record = read_record(StatePaths.resolve(info.state_dir))
    mode = info.mode.value if info.mode else "?"
    click.echo(f"fipscrypto is {info.state.value} in {mode} mode")
    if record is not None:
        verdict = cmvp.verdict(record.name, record.version)
        click.echo(f"  provider: {record.name} {record.version}; CMVP: {verdict.status}")
    click.echo(f"  cryptography's OpenSSL: {_backend.openssl_version()}")
    click.echo(f"  FIPS enabled: {_backend.fips_enabled()}")

    click.echo(f"\nSHA-256({_MESSAGE.decode()!r})\n  = {hashes.digest('sha256', _MESSAGE).hex()}")
    click.echo(f"SHA3-256 = {hashes.digest('sha3-256', _MESSAGE).hex()}")
    last = indicator.last()
    click.echo(
        f"  service indicator: {last.service} {last.algorithm} approved={last.approved}" if last else ""
    )

    key = rand.random_bytes(32)  # from the FIPS provider's SP 800-90A CTR_DRBG
    gcm = aead.AESGCM(key)
    nonce, sealed = gcm.encrypt(_MESSAGE, aad=b"header")
    click.echo("\nAES-256-GCM (key from the provider's CTR_DRBG, random 96-bit nonce)")
    click.echo(f"  nonce          = {nonce.hex()}")
    click.echo(f"  ciphertext+tag = {sealed.hex()}")
    click.echo(f"  decrypts back  = {gcm.decrypt(nonce, sealed, aad=b'header') == _MESSAGE}")

    click.echo("\nMD5 (not approved)")
    try:
        hashes.digest("md5", _MESSAGE)
    except PolicyViolation as exc:
        click.echo(f"  refused by the allowlist: {exc}")
    except AlgorithmUnavailable as exc:  # audit mode lets it through to the provider, which refuses it
        click.echo(f"  refused by the provider: {exc}")
    else:
        click.echo("  SERVED: the FIPS boundary is not in force", err=True)
        raise SystemExit(EXIT_UNAVAILABLE)
