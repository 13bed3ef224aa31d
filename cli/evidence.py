"""``fipscheck evidence``, ``fipscheck evidence verify`` and ``fipscheck evidence keygen``."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from fipscrypto import module
from fipscrypto._pqc_switch import require_enabled
from fipscrypto.errors import EvidenceError, FeatureDisabled, FipsError, InvalidSignature

from .exits import EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, EXIT_VIOLATION
from .options import mode_option, state_dir_option

__all__ = ["activate_or_exit", "evidence", "fail", "write_or_exit"]


def fail(message: str, code: int) -> SystemExit:
    click.echo(f"error: {message}", err=True)
    return SystemExit(code)


def write_or_exit(path: str | None, text: str, *, private: bool = False) -> None:
    """``text`` to ``path`` (stdout when None), or exit 2; a private key file is made mode 0600."""
    if path is None:
        click.echo(text, nl=False)
        return
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (os.O_EXCL if private else 0)
        with os.fdopen(os.open(path, flags, 0o600 if private else 0o666), "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}", EXIT_USAGE) from exc


def activate_or_exit(mode: str | None = None, state_dir: str | None = None) -> None:
    """Activate fipscrypto, or exit 3. Importing :mod:`.bundle` or the services boots the module: each
    command calls this first."""
    try:
        module.activate(mode, state_dir=state_dir)
    except FipsError as exc:
        raise fail(f"the module did not activate: {str(exc).splitlines()[0]}", EXIT_UNAVAILABLE) from exc


@click.group(invoke_without_command=True)
@click.option(
    "--sign-key",
    type=click.Path(dir_okay=False),
    help="PKCS#8 private key (PEM or DER): ECDSA P-384, or ML-DSA-87 with the post-quantum switch on. "
    "Without it the bundle is written unsigned.",
)
@click.option(
    "--scan",
    "scans",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="REPORT.json",
    help="A --format json report of 'fipscheck scan ...' or 'fipscheck check' to include (repeatable).",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write the bundle here [default: stdout]."
)
@mode_option
@state_dir_option
@click.pass_context
def evidence(
    ctx: click.Context,
    sign_key: str | None,
    scans: tuple[str, ...],
    output: str | None,
    mode: str | None,
    state_dir: str | None,
) -> None:
    """Write a signed JSON evidence bundle for auditors (docs/evidence.md): tool and provider versions,
    the CMVP verdict, the self-tests (run now, every one), the active policy with the SHA-256 of each
    layer, this process's indicator counters, and the scan and check reports given with --scan.

    \b
    Exit codes: 0 written; 2 usage: a --scan file that is not such a
    report, an unusable --sign-key, the output cannot be written; 3 the
    module is not operational with the FIPS provider (or a self-test failed).
    """
    if ctx.invoked_subcommand is not None:
        return
    activate_or_exit(
        mode, state_dir
    )  # first: reading the reports and the key would activate with the defaults
    from . import bundle

    try:
        reports = [bundle.read_scan_report(path) for path in scans]
        signer = bundle.load_signing_key(sign_key) if sign_key else None
    except EvidenceError as exc:
        raise fail(str(exc), EXIT_USAGE) from exc
    except FeatureDisabled as exc:
        raise fail(str(exc), EXIT_USAGE) from exc
    except FipsError as exc:  # the module could not load the key: not activated or in ERROR
        raise fail(f"{sign_key}: {str(exc).splitlines()[0]}", EXIT_UNAVAILABLE) from exc
    facts = bundle.collect(reports, mode=mode, state_dir=state_dir)
    measured = facts["module"]
    if not measured["provider_proven"] or not facts["selftests"]["passed"]:
        failed = ", ".join(facts["selftests"]["failed"]) or "none"
        raise fail(
            f"the module is {measured['state']} (provider proven: {measured['provider_proven']}, failed "
            f"self-tests: {failed}); 'fipscheck status' says why",
            EXIT_UNAVAILABLE,
        )
    envelope: dict[str, Any] = {"bundle": facts, "signature": None}
    if signer is not None:
        envelope = bundle.sign(facts, *signer)
    write_or_exit(output, json.dumps(envelope, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


@evidence.command()
@click.argument("bundle_file", metavar="BUNDLE", type=click.Path(dir_okay=False))
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False),
    help="The signer's public key (PEM or DER): the bundle must be signed by it. Without it the bundle's "
    "own key is used, which proves integrity but not who signed.",
)
def verify(bundle_file: str, public_key: str | None) -> None:
    """Verify an evidence bundle's signature over its canonical bytes.

    \b
    Exit codes: 0 the signature verifies; 1 tampered: unsigned, a bad
    signature, or signed by another key than --public-key; 2 usage, or an
    unusable --public-key; 3 BUNDLE cannot be read or is not a bundle, or
    the module did not activate.
    """
    activate_or_exit()
    from . import bundle

    try:
        envelope = bundle.read_envelope(bundle_file)
        done = bundle.verify(envelope, public_key)
    except EvidenceError as exc:
        raise fail(str(exc), EXIT_UNAVAILABLE if exc.unreadable else EXIT_USAGE) from exc
    except InvalidSignature as exc:
        raise fail(f"{bundle_file}: {exc}", EXIT_VIOLATION) from exc
    except FipsError as exc:  # the module could not verify: not activated or in ERROR
        raise fail(str(exc).splitlines()[0], EXIT_UNAVAILABLE) from exc
    pinned = (
        "the public key given" if done.pinned else "its embedded public key (not pinned: use --public-key)"
    )
    click.echo(
        f"{bundle_file}: good {done.algorithm} signature by {done.key_fingerprint}, checked with {pinned}"
    )
    raise SystemExit(EXIT_OK)


@evidence.command()
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False), help="The private key (PKCS#8 PEM)."
)
@click.option("--public-out", type=click.Path(dir_okay=False), help="The public key (PEM) [default: stdout].")
@click.option("--ml-dsa-87", "ml_dsa", is_flag=True, help="ML-DSA-87 (needs the post-quantum switch on).")
def keygen(output: str, public_out: str | None, ml_dsa: bool) -> None:
    """Make a signing key for evidence bundles inside the FIPS provider: ECDSA P-384 (default) or
    ML-DSA-87. The private key file is created with mode 0600 and never overwritten.

    \b
    Exit codes: 0 written; 2 the file exists or cannot be written, or
    ML-DSA-87 with the post-quantum switch off; 3 the module is not
    operational.
    """
    activate_or_exit()
    from fipscrypto import keys

    from . import bundle

    try:
        if ml_dsa:
            require_enabled("fipscheck evidence keygen --ml-dsa-87")
        key = keys.generate_signing_key("ml-dsa-87" if ml_dsa else "ecdsa-p384")
    except FeatureDisabled as exc:
        raise fail(str(exc), EXIT_USAGE) from exc
    except FipsError as exc:
        raise fail(str(exc).splitlines()[0], EXIT_UNAVAILABLE) from exc
    write_or_exit(output, key.private_bytes("pem").decode("ascii"), private=True)
    write_or_exit(public_out, key.public_bytes("pem").decode("ascii"))
    if public_out:
        click.echo(f"{key.scheme} key {bundle.fingerprint(key.public_bytes('der'))}")
