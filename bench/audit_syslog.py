"""The syslog sink's cost per event against the standard library's ``logging.handlers.SysLogHandler``.

Both get the same audit event (a ``key-generated`` event with five fields) and send it to a loopback
listener that a thread drains, over UDP, TCP and a Unix datagram socket: fipscrypto's
``SyslogHandler`` as an RFC 5424 message (header, one SD-ELEMENT with the fields escaped, the JSON
with its BOM; TCP octet-counted), the standard library's as its RFC 3164-style ``<PRI>`` and the
event's JSON (TCP with its NUL terminator). Time per event, median of ROUNDS rounds interleaved in
alternating slices (bench/services.py ``_round``).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import socket
import statistics
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from services import _round

from fipscrypto import audit
from fipscrypto.audit.syslog import RFC5424Formatter, SyslogHandler

ROUNDS = int(os.environ.get("SYSLOG_ROUNDS", "9"))
SECONDS = 0.5


@contextmanager
def _listener(transport: str, folder: str) -> Iterator[tuple[str, int] | str]:
    """A loopback listener drained by a thread: its address."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def drain(sock: socket.socket) -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                if not sock.recv(1 << 16):
                    return
            except TimeoutError:
                continue

    if transport == "tcp":
        server = socket.create_server(("127.0.0.1", 0))
        server.settimeout(0.1)

        def accept() -> None:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                reader = threading.Thread(target=drain, args=(conn,), daemon=True)
                threads.append(reader)
                reader.start()

        threads.append(threading.Thread(target=accept, daemon=True))
        address: tuple[str, int] | str = server.getsockname()
    else:
        family = socket.AF_INET if transport == "udp" else socket.AF_UNIX
        server = socket.socket(family, socket.SOCK_DGRAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        server.bind(("127.0.0.1", 0) if transport == "udp" else os.path.join(folder, "log"))
        address = server.getsockname()
        threads.append(threading.Thread(target=drain, args=(server,), daemon=True))
    threads[0].start()
    try:
        yield address
    finally:
        stop.set()
        for thread in list(threads):
            thread.join()
        server.close()


EVENT = audit.Event(
    "key-generated",
    1_796_000_000.0,
    {
        "algorithm": "ecdsa-p384",
        "bits": 384,
        "key_id": "ab" * 32,
        "approved": True,
        "generated_in": "fips provider",
    },
)
RECORD = logging.LogRecord("fipscrypto.audit", logging.INFO, "", 0, "%s", (EVENT,), None)


def _senders(
    transport: str, address: tuple[str, int] | str
) -> tuple[Callable[[], object], Callable[[], object], list[logging.Handler]]:
    event, record = EVENT, RECORD
    ours = SyslogHandler(address, transport)  # type: ignore[arg-type]
    kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
    theirs = logging.handlers.SysLogHandler(address, facility=13, socktype=kind)

    def stdlib() -> None:
        theirs.handle(record)  # formats record.getMessage(): the event's JSON

    return (lambda: ours(event)), stdlib, [ours, theirs]


def main() -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="fcbench") as folder:
        for transport in ("udp", "tcp", "unix"):
            with _listener(transport, folder) as address:
                ours, theirs, handlers = _senders(transport, address)
                ours_t, theirs_t, ratios = [], [], []
                for _ in range(ROUNDS):
                    a, b = _round(ours, theirs, SECONDS)
                    ours_t.append(a)
                    theirs_t.append(b)
                    ratios.append(a / b)
                failures = handlers[0].failures  # type: ignore[attr-defined]
                for handler in handlers:
                    handler.close()
            results[transport] = {
                "fipscrypto_us": statistics.median(ours_t) * 1e6,
                "stdlib_us": statistics.median(theirs_t) * 1e6,
                "ratio": statistics.median(ratios),
                "failures": failures,
            }
    # Where the time goes: the RFC 5424 formatting, against the event's JSON that both send.
    formatter = RFC5424Formatter()
    split = [_round(lambda: formatter.format(RECORD), EVENT.to_json, SECONDS) for _ in range(ROUNDS)]
    results["format"] = {
        "rfc5424_us": statistics.median(a for a, _ in split) * 1e6,
        "json_us": statistics.median(b for _, b in split) * 1e6,
    }
    print(
        f"Syslog sink per event, median of {ROUNDS} rounds"
        " (fipscrypto SyslogHandler vs logging SysLogHandler)"
    )
    for transport in ("udp", "tcp", "unix"):
        r = results[transport]
        print(
            f"  {transport:5} {r['fipscrypto_us']:8.2f} us  vs {r['stdlib_us']:8.2f} us"
            f"   ratio {r['ratio']:.3f}x   (failures: {r['failures']:.0f})"
        )
    r = results["format"]
    print(
        f"  formatting one message {r['rfc5424_us']:.2f} us, of which the event's JSON {r['json_us']:.2f} us"
    )
    return results


if __name__ == "__main__":
    main()
