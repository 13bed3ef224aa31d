"""TLS for signalling with asyncio: a SIP-over-TLS style server and client through fipscrypto.tls.

Both ends run their handshakes and records in the FIPS provider (pyOpenSSL contexts on memory BIOs;
asyncio only moves bytes). Run it with certificates of your own:

    python docs/examples/tls_asyncio.py --cert server.pem --key server.key --ca ca.pem

or without arguments, with a throwaway ECDSA P-256 CA and server certificate for "localhost". It
prints what the client negotiated, as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import tempfile
from pathlib import Path

import fipscrypto

fipscrypto.activate()  # before anything imports cryptography or pyOpenSSL

from fipscrypto import tls  # noqa: E402
from fipscrypto.tls import aio  # noqa: E402


async def handle(stream: aio.TLSStream) -> None:
    """Answer one SIP OPTIONS request (RFC 3261 §11) over the TLS stream."""
    request = await stream.read()
    first = request.split(b"\r\n", 1)[0].decode("ascii", "replace")
    suite = stream.parameters.suite
    await stream.write(
        f"SIP/2.0 200 OK\r\nX-Request: {first}\r\nX-Suite: {suite}\r\nContent-Length: 0\r\n\r\n".encode()
    )


async def main(cert: Path, key: Path, ca: Path) -> dict[str, object]:
    server = await aio.start_server(handle, "127.0.0.1", 0, tls.server_context(cert, key))
    port = server.sockets[0].getsockname()[1]
    async with server:
        stream = await aio.connect("127.0.0.1", port, tls.client_context(ca=ca), server_hostname="localhost")
        await stream.write(b"OPTIONS sip:localhost SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        reply = await stream.read()
        await stream.close()
    result = dataclasses.asdict(stream.parameters)
    result["reply"] = reply.split(b"\r\n", 1)[0].decode()
    return result


def throwaway_pki(folder: Path) -> tuple[Path, Path, Path]:
    """A P-256 CA and a "localhost" server certificate (demonstration only)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    paths = folder / "server.pem", folder / "server.key", folder / "ca.pem"
    paths[0].write_bytes(leaf.public_bytes(pem))
    paths[1].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths[2].write_bytes(ca.public_bytes(pem))
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", type=Path)
    parser.add_argument("--key", type=Path)
    parser.add_argument("--ca", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        cert, key, ca = (args.cert, args.key, args.ca) if args.cert else throwaway_pki(Path(scratch))
        print(json.dumps(asyncio.run(main(cert, key, ca))))
