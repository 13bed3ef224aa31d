"""``fipscheck scan tls`` against sslyze with the equivalent checks, on one loopback server: wall time,
and whether both see the same versions, suites, curves, EMS and certificate key.

The server is the system ``openssl s_server`` (outside the FIPS boundary) at security level 0 with an
RSA-2048 certificate: TLS 1.0 to 1.3, every suite OpenSSL 3.0 has, X25519 and the NIST curves, so
there is something to find. sslyze runs with ``--sslv2 --sslv3 --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3
--elliptic_curves --certinfo --ems`` (its scans of the same scope; it has no signature-scheme scan,
which ours adds). Both are fresh processes writing JSON to a file, rounds interleaved (ours, then
sslyze), medians reported. sslyze pins cryptography below 47, so it lives in its own virtualenv
(``make bench`` makes it: SSLYZE in the Makefile), named by the SSLYZE environment variable.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROUNDS = 5
BIN = Path(sys.executable).parent
SSLYZE_CHECKS = ["--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3"]
SSLYZE_CHECKS += ["--elliptic_curves", "--certinfo", "--ems"]
_NOT_CURVES = ("ffdhe", "MLKEM", "SecP", "X25519MLKEM")  # groups sslyze's curve scan does not try
_SSLYZE_VERSIONS = {
    "ssl_2_0_cipher_suites": "ssl2",
    "ssl_3_0_cipher_suites": "ssl3",
    "tls_1_0_cipher_suites": "tls1.0",
    "tls_1_1_cipher_suites": "tls1.1",
    "tls_1_2_cipher_suites": "tls1.2",
    "tls_1_3_cipher_suites": "tls1.3",
}


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@contextmanager
def _server(folder: Path) -> Iterator[int]:
    key, cert = folder / "server.key", folder / "server.pem"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
             "-subj", "/CN=localhost", "-days", "30", "-addext", "extendedKeyUsage=serverAuth")  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert), "-key", str(key),
         "-cipher", "ALL:@SECLEVEL=0", "-quiet"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        proc.kill()
        proc.wait()


def _run(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def ours_seen(report: dict[str, object]) -> dict[str, set[str]]:
    """What our report says the server accepts, in the terms sslyze reports."""
    seen: dict[str, set[str]] = {"versions": set(), "suites": set(), "curves": set(), "ems": set()}
    for finding in report["findings"]:  # type: ignore[attr-defined]
        verdict, evidence = finding.get("verdict") or {}, finding["evidence"]
        if evidence.startswith("chain[0]") and verdict.get("category") == "signature":
            seen["ems"].add(f"key {verdict['bits']}")
        elif not evidence.startswith("accepted"):
            continue
        elif verdict.get("category") == "tls-version":
            seen["versions"].add(verdict["name"])
        elif verdict.get("category") in ("tls12-suite", "tls13-suite"):
            for part in evidence.split("; "):
                if part.startswith("accepted with "):
                    version = (
                        part.removeprefix("accepted with ").replace("TLS ", "tls").replace("SSL 3.0", "ssl3")
                    )
                    seen["suites"].add(f"{version} {verdict['name']}")
        elif verdict.get("category") == "tls-group" and not verdict["name"].startswith(_NOT_CURVES):
            seen["curves"].add(verdict["name"].lower())
    if not any(f["rule"] == "tls.no-ems" for f in report["findings"]) and "tls1.2" in seen["versions"]:  # type: ignore[attr-defined]
        seen["ems"].add("ems")
    return seen


def sslyze_seen(report: dict[str, object]) -> dict[str, set[str]]:
    result = report["server_scan_results"][0]["scan_result"]  # type: ignore[index]
    seen: dict[str, set[str]] = {"versions": set(), "suites": set(), "curves": set(), "ems": set()}
    for key, version in _SSLYZE_VERSIONS.items():
        accepted = result[key]["result"]["accepted_cipher_suites"]
        if accepted:
            seen["versions"].add(version)
        seen["suites"] |= {f"{version} {suite['cipher_suite']['name']}" for suite in accepted}
    seen["curves"] = {c["name"].lower() for c in result["elliptic_curves"]["result"]["supported_curves"]}
    if result["tls_extended_master_secret"]["result"]["supports_ems_extension"]:
        seen["ems"].add("ems")
    leaf = result["certificate_info"]["result"]["certificate_deployments"][0]["received_certificate_chain"][0]
    seen["ems"].add(f"key {leaf['public_key']['key_size']}")
    return seen


def main() -> dict[str, float]:
    sslyze = os.environ.get("SSLYZE") or shutil.which("sslyze")
    if not sslyze:
        raise SystemExit("sslyze is not installed: make bench makes it (SSLYZE=path/to/sslyze)")
    with tempfile.TemporaryDirectory() as name, _server(Path(name)) as port:
        folder = Path(name)
        target = f"127.0.0.1:{port}"
        ours_json, sslyze_json = folder / "ours.json", folder / "sslyze.json"
        ours_argv = [str(BIN / "fipscheck"), "scan", "tls", target, "--policy", "fips-140-3"]
        ours_argv += ["--format", "json", "-o", str(ours_json)]
        sslyze_argv = [sslyze, *SSLYZE_CHECKS, "--quiet", "--json_out", str(sslyze_json), target]
        samples: dict[str, list[float]] = {"fipscheck scan tls": [], "sslyze": []}
        for _ in range(ROUNDS):
            samples["fipscheck scan tls"].append(_run(ours_argv))
            samples["sslyze"].append(_run(sslyze_argv))
        ours, theirs = json.loads(ours_json.read_text()), json.loads(sslyze_json.read_text())
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratio = medians["fipscheck scan tls"] / medians["sslyze"]
    mine, other = ours_seen(ours), sslyze_seen(theirs)
    print(f"scan tls vs sslyze, one loopback s_server: median of {ROUNDS} interleaved fresh processes")
    for name, value in medians.items():
        print(f"  {name:20} {value:6.2f} s")
    print(f"  scan tls takes {ratio:.2f}x sslyze's wall time")
    differences = 0
    for aspect in mine:
        only_ours, only_sslyze = sorted(mine[aspect] - other[aspect]), sorted(other[aspect] - mine[aspect])
        differences += len(only_ours) + len(only_sslyze)
        print(f"  {aspect}: {len(mine[aspect] & other[aspect])} the same", end="")
        print(f"; only ours {only_ours}" if only_ours else "", end="")
        print(f"; only sslyze {only_sslyze}" if only_sslyze else "")
    summary = ours["summary"]
    print(f"  our findings: {summary['findings']} ({summary['failing']} failing under fips-140-3)")
    return {**medians, "ratio": ratio, "differences": float(differences)}


if __name__ == "__main__":
    main()
