"""``fipscheck scan config FILE...`` and ``fipscheck scan cert FILE...``: thin commands over
:func:`~.config.scan_config` and :func:`~.cert.scan_cert`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

import click

from . import Options, conclude, scan, verdict_options
from .cert import scan_cert
from .config import FORMATS, scan_config
from .model import Misuse, Skipped, Use

__all__ = ["cert", "config"]


def _conclude(items: Sequence[Use | Misuse | Skipped], options: Options, scanner: str) -> None:
    """A file counts as checked when something in it was judged; skipped parts make the run incomplete."""
    found = [item for item in items if not isinstance(item, Skipped)]
    skipped = [item for item in items if isinstance(item, Skipped)]
    checked = len({item.location.target for item in found})
    conclude(found, options, scanner=scanner, checked=checked, skipped=skipped)


@scan.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--type", "kind", type=click.Choice(list(FORMATS)), help="The files' format (default: detected)."
)
@verdict_options
def config(files: tuple[str, ...], kind: str | None, options: Options) -> None:
    """Scan configuration files for the cryptography they choose.

    openssl.cnf (CipherString, Ciphersuites, MinProtocol, Protocol, Groups,
    SignatureAlgorithms, default_properties, the legacy provider), nginx
    (ssl_protocols, ssl_ciphers, ssl_ecdh_curve, ssl_conf_command), sshd_config
    (Ciphers, MACs, KexAlgorithms, HostKeyAlgorithms, ...), strongSwan ipsec.conf
    and swanctl.conf proposals, and SDP a=crypto lines. The format is detected from
    the file name, else from the content.
    """
    _conclude(scan_config(list(files), kind), options, "config")


@scan.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--password-file",
    type=click.File("rb"),
    help="A file whose first line is the PKCS#12 password (default: no password).",
)
@verdict_options
def cert(files: tuple[str, ...], password_file: BinaryIO | None, options: Options) -> None:
    """Scan certificates, requests, bundles and keys for their algorithms.

    PEM, DER, PKCS#7/CMS, PKCS#12 (MAC and PBE algorithms), CSR and JWK: key types and
    sizes, signature algorithms (with RSASSA-PSS parameters), validity on --as-of
    (an expired certificate is an error), extended key usages as evidence.
    """
    password = password_file.readline().rstrip(b"\r\n") if password_file is not None else None
    _conclude(scan_cert(list(files), password, options.as_of), options, "cert")
