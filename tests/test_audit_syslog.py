"""The syslog sink: RFC 5424 messages to real UDP, TCP and Unix-socket listeners on this machine.

Every message is parsed back by a strict parser written from RFC 5424's ABNF (§6), TCP frames by
RFC 6587's octet counting (§3.4.1). An unreachable, refusing or stalled server must never reach the
emitter: failures are counted, one warning is logged, and the TCP sink reconnects.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fipscrypto import audit
from fipscrypto.audit.syslog import SD_ID, Facility, RFC5424Formatter, Severity, SyslogHandler
from fipscrypto.errors import InvalidParameter
from fipscrypto.provider.state import StatePaths

from support import run_python, run_script_json

# RFC 5424 §6: HEADER = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID, with
# PRI = "<" PRIVAL ">" (1*3DIGIT, 0..191), VERSION = NONZERO-DIGIT 0*2DIGIT, TIMESTAMP = NILVALUE /
# FULL-DATE "T" FULL-TIME (TIME-SECFRAC "." 1*6DIGIT, TIME-OFFSET "Z" / ("+" / "-") hh ":" mm),
# HOSTNAME 1*255, APP-NAME 1*48, PROCID 1*128, MSGID 1*32 PRINTUSASCII (%d33-126), or NILVALUE "-".
_HEADER = re.compile(
    rb"<(?P<pri>0|[1-9][0-9]{0,2})>(?P<version>[1-9][0-9]{0,2}) "
    rb"(?P<timestamp>-|[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:"
    rb"([0-5][0-9]|60)(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])) "
    rb"(?P<hostname>[\x21-\x7e]{1,255}) (?P<app>[\x21-\x7e]{1,48}) (?P<procid>[\x21-\x7e]{1,128}) "
    rb"(?P<msgid>[\x21-\x7e]{1,32}) "
)
# SD-NAME = 1*32PRINTUSASCII except '=', SP, ']', %d34 (").
_SD_NAME = re.compile(rb"[\x21-\x7e]{1,32}")
_NOT_IN_SD_NAME = set(b'= ]"')
_BOM = b"\xef\xbb\xbf"


class Message:
    def __init__(self, header: dict[str, str], data: list[tuple[str, list[tuple[str, str]]]], msg: bytes):
        self.header, self.data, self.msg = header, data, msg

    @property
    def params(self) -> dict[str, str]:
        ((sd_id, params),) = self.data
        assert sd_id == SD_ID
        return dict(params)

    @property
    def event(self) -> dict[str, object]:
        assert self.msg.startswith(_BOM), "RFC 5424 §6.4: a UTF-8 MSG starts with the BOM"
        parsed: dict[str, object] = json.loads(self.msg[len(_BOM) :].decode("utf-8"))
        return parsed


def _sd_name(raw: bytes, at: int) -> tuple[str, int]:
    found = _SD_NAME.match(raw, at)
    assert found, f"SD-NAME expected at {at}: {raw[at : at + 40]!r}"
    end = at
    while end < found.end() and raw[end] not in _NOT_IN_SD_NAME:
        end += 1
    assert end > at, f"empty SD-NAME at {at}"
    return raw[at:end].decode("ascii"), end


def parse(raw: bytes) -> Message:
    """SYSLOG-MSG = HEADER SP STRUCTURED-DATA [SP MSG], strictly (RFC 5424 §6)."""
    raw.decode("utf-8")  # the whole message is valid UTF-8 (PARAM-VALUE and MSG-UTF8 are UTF-8-STRING)
    head = _HEADER.match(raw)
    assert head, f"not an RFC 5424 header: {raw[:120]!r}"
    assert int(head["pri"]) <= 191
    header = {k: v.decode("ascii") for k, v in head.groupdict().items()}
    at = head.end()
    data: list[tuple[str, list[tuple[str, str]]]] = []
    if raw[at : at + 1] == b"-":
        at += 1
    else:
        while raw[at : at + 1] == b"[":  # SD-ELEMENT = "[" SD-ID *(SP SD-PARAM) "]"
            sd_id, at = _sd_name(raw, at + 1)
            params: list[tuple[str, str]] = []
            while raw[at : at + 1] == b" ":  # SD-PARAM = PARAM-NAME "=" %d34 PARAM-VALUE %d34
                name, at = _sd_name(raw, at + 1)
                assert raw[at : at + 2] == b'="', f"'=\"' expected after {name}"
                at += 2
                value = bytearray()
                while raw[at : at + 1] != b'"':
                    char = raw[at : at + 1]
                    assert char, "unterminated PARAM-VALUE"
                    # §6.3.3: '"', '\' and ']' MUST be escaped as '\"', '\\' and '\]'.
                    assert char != b"]", f"unescaped ']' in the value of {name}"
                    if char == b"\\":
                        escaped = raw[at + 1 : at + 2]
                        assert escaped in (b'"', b"\\", b"]"), (
                            f"'\\' not escaping '\"', '\\' or ']' in {name}"
                        )
                        value += escaped
                        at += 2
                    else:
                        value += char
                        at += 1
                params.append((name, value.decode("utf-8")))
                at += 1
            assert raw[at : at + 1] == b"]", f"']' expected at {at}: {raw[at : at + 20]!r}"
            data.append((sd_id, params))
            at += 1
        assert data, "STRUCTURED-DATA is NILVALUE or 1*SD-ELEMENT"
    msg = b""
    if at < len(raw):
        assert raw[at : at + 1] == b" ", "SP expected before MSG"
        msg = raw[at + 1 :]
    return Message(header, data, msg)


def test_the_parser_refuses_what_the_abnf_refuses() -> None:
    good = b'<110>1 2026-12-03T21:00:00.000001Z h app 1 kind [x@32473 a="1\\]2"] ' + _BOM + b"{}"
    assert parse(good).data == [("x@32473", [("a", "1]2")])]
    for bad in (
        good.replace(b"\\]", b"]"),  # unescaped ']'
        good.replace(b"\\]", b"\\x"),  # a backslash escaping nothing of the three
        good.replace(b"<110>", b"<192>"),  # PRIVAL above 191
        good.replace(b"T21", b" 21"),  # not an RFC 3339 timestamp
        good.replace(b"[x@32473", b"[x@3 2473"),  # SP inside an SD-ID
        good.replace(b"kind", b"k" * 33),  # MSGID longer than 32
        good + b"\xff",  # not UTF-8
    ):
        with pytest.raises((AssertionError, UnicodeDecodeError)):
            parse(bad)


# --- listeners (loopback only) ---------------------------------------------------------------------


class TcpListener:
    """Accepts connections and reads RFC 6587 octet-counted frames: (connection number, message)."""

    def __init__(self, port: int = 0) -> None:
        self.server = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.frames: list[tuple[int, bytes]] = []
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)
            reader = threading.Thread(target=self._read, args=(len(self.connections) - 1, conn), daemon=True)
            self._threads.append(reader)
            reader.start()

    def _read(self, number: int, conn: socket.socket) -> None:
        stream = conn.makefile("rb")
        while True:
            length = bytearray()
            while (char := stream.read(1)) not in (b" ", b""):
                length += char
            if not length:
                return
            # RFC 6587 §3.4.1: MSG-LEN = NONZERO-DIGIT *DIGIT, the octet count of the SYSLOG-MSG.
            assert re.fullmatch(rb"[1-9][0-9]*", length), f"bad MSG-LEN {bytes(length)!r}"
            frame = stream.read(int(length))
            assert len(frame) == int(length)
            self.frames.append((number, frame))

    def wait(self, count: int, seconds: float = 10.0) -> list[tuple[int, bytes]]:
        deadline = time.monotonic() + seconds
        while len(self.frames) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.frames)

    def close(self) -> None:
        self._stop.set()
        for conn in self.connections:
            conn.shutdown(socket.SHUT_RDWR)  # (its reader's file object keeps the descriptor open)
            conn.close()
        self.server.close()
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture
def tcp() -> Iterator[TcpListener]:
    listener = TcpListener()
    yield listener
    listener.close()


@pytest.fixture
def udp() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(10)
        yield sock


@pytest.fixture
def unix_path() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fcsl") as folder:  # sun_path holds 108 bytes: keep it short
        yield Path(folder) / "log"


@pytest.fixture
def sink() -> Iterator[list[SyslogHandler]]:
    """Handlers subscribed to the audit events for one test (unsubscribed and closed after it)."""
    handlers: list[SyslogHandler] = []
    yield handlers
    for handler in handlers:
        audit.unsubscribe(handler)
        handler.close()


def subscribed(sink: list[SyslogHandler], handler: SyslogHandler) -> SyslogHandler:
    audit.subscribe(handler)
    sink.append(handler)
    return handler


TRICKY = 'a]b"c\\d] \\" \\\\'  # every character RFC 5424 §6.3.3 makes a value escape, in every order
NON_ASCII = "Zürich, 東京, 😀 \u00a0ß"


def check_event(message: Message, event: audit.Event, severity: Severity, facility: Facility) -> None:
    header = message.header
    assert header["version"] == "1"
    assert int(header["pri"]) == facility * 8 + severity
    assert header["msgid"] == event.kind
    assert header["procid"] == str(os.getpid())
    assert header["app"] == "fipscrypto"
    assert header["timestamp"] == event.time
    expected = {k: v if isinstance(v, str) else json.dumps(v) for k, v in event.fields.items()}
    assert message.params == expected
    assert message.event == json.loads(event.to_json())


def test_udp_listener_receives_rfc5424_messages(udp: socket.socket, sink: list[SyslogHandler]) -> None:
    handler = subscribed(sink, SyslogHandler(udp.getsockname(), "udp"))
    event = audit.emit("policy-violation", algorithm=TRICKY, where=NON_ASCII, bits=1024, approved=False)
    raw = udp.recv(65536)
    assert b'algorithm="a\\]b\\"c\\\\d\\] \\\\\\" \\\\\\\\"' in raw  # escaped on the wire, as §6.3.3 says
    assert NON_ASCII.encode() in raw  # UTF-8 in the value, unescaped
    check_event(parse(raw), event, Severity.ERROR, Facility.AUDIT)
    assert (handler.sent, handler.failures, handler.last_failure) == (1, 0, None)


def test_tcp_listener_receives_octet_counted_frames(tcp: TcpListener, sink: list[SyslogHandler]) -> None:
    handler = subscribed(sink, SyslogHandler(("127.0.0.1", tcp.port), "tcp"))
    sent = [
        audit.emit("selftest-failure", test="aes-gcm", detail=TRICKY),
        audit.emit("key-generated", algorithm="ecdsa-p384", key_id="ab" * 32, note=NON_ASCII),
        audit.emit("exemption-begin", reason=TRICKY + NON_ASCII),
    ]
    frames = tcp.wait(3)
    assert [number for number, _ in frames] == [0, 0, 0]  # one connection
    severities = [Severity.CRITICAL, Severity.INFORMATIONAL, Severity.NOTICE]
    for (_, raw), event, severity in zip(frames, sent, severities, strict=True):
        check_event(parse(raw), event, severity, Facility.AUDIT)
    assert (handler.sent, handler.failures) == (3, 0)


def test_unix_socket_listener_receives_rfc5424_messages(unix_path: Path, sink: list[SyslogHandler]) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(unix_path))
        listener.settimeout(10)
        formatter = RFC5424Formatter(facility=Facility.LOCAL4, severities={"tls-handshake": Severity.DEBUG})
        handler = subscribed(sink, SyslogHandler(unix_path, "unix", formatter=formatter))
        event = audit.emit("tls-handshake", version="TLSv1.3", group="secp384r1", peer=NON_ASCII)
        check_event(parse(listener.recv(65536)), event, Severity.DEBUG, Facility.LOCAL4)
        assert handler.sent == 1


def test_through_a_logger(udp: socket.socket) -> None:
    """On the audit module's logger the handler formats the events; on any other, plain records."""
    handler = SyslogHandler(udp.getsockname(), "udp")
    events_logger = logging.getLogger("fipscrypto.audit")
    other = logging.getLogger("fipscrypto.test-syslog")
    events_logger.addHandler(handler)
    other.addHandler(handler)
    level = events_logger.level
    events_logger.setLevel(logging.INFO)
    try:
        event = audit.emit("exemption-end", reason=TRICKY)
        check_event(parse(udp.recv(65536)), event, Severity.NOTICE, Facility.AUDIT)
        other.error("disk %s is full", "/var")
        plain = parse(udp.recv(65536))
    finally:
        events_logger.removeHandler(handler)
        other.removeHandler(handler)
        events_logger.setLevel(level)
        handler.close()
    assert int(plain.header["pri"]) == Facility.AUDIT * 8 + Severity.ERROR
    assert (plain.header["msgid"], plain.data, plain.msg) == ("-", [], _BOM + b"disk /var is full")


def _closed_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("transport", ["udp", "tcp", "unix"])
def test_an_unreachable_server_is_counted_and_warned_once(
    transport: str, unix_path: Path, sink: list[SyslogHandler], caplog: pytest.LogCaptureFixture
) -> None:
    address: tuple[str, int] | Path = unix_path  # no socket there
    if transport != "unix":
        address = ("127.0.0.1", _closed_port(socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM))
    handler = subscribed(sink, SyslogHandler(address, transport, timeout=0.5))  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="fipscrypto"):
        for n in range(5):
            audit.emit("key-generated", algorithm="ml-dsa-65", n=n)  # no exception reaches the emitter
    # UDP: the first datagram leaves; the ICMP port-unreachable it provokes fails the next send.
    assert handler.failures >= 4
    assert handler.sent + handler.failures == 5
    assert isinstance(handler.last_failure, OSError)
    (facts,) = [f for f in audit.sinks() if f["sink"] == "SyslogHandler"]  # what a service reads
    where = str(address) if transport == "unix" else f"127.0.0.1:{address[1]}"  # type: ignore[index]
    assert facts == {
        "sink": "SyslogHandler",
        "address": where,
        "transport": transport,
        "sent": handler.sent,
        "failures": handler.failures,
        "last_failure": f"{type(handler.last_failure).__name__}: {handler.last_failure}",
    }
    warnings = [r for r in caplog.records if r.name == "fipscrypto" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "syslog" in warnings[0].getMessage()


def test_a_stalled_server_does_not_hold_the_emitter(sink: list[SyslogHandler]) -> None:
    """A server that accepts and never reads: a send waits at most the timeout, then events are dropped."""
    with socket.create_server(("127.0.0.1", 0), backlog=1) as server:  # never accept()ed, never read
        handler = subscribed(sink, SyslogHandler(server.getsockname(), "tcp", timeout=0.2, max_backoff=60))
        bulk = "x" * 60_000
        slowest = 0.0
        for _ in range(400):  # more than the kernel's buffers hold
            started = time.monotonic()
            audit.emit("scan-run", detail=bulk)
            slowest = max(slowest, time.monotonic() - started)
        assert handler.failures > 0
        assert isinstance(handler.last_failure, TimeoutError)
        assert slowest < 5  # one send's timeout (0.2 s), with room for a loaded machine


def test_tcp_reconnects_after_the_server_restarts(sink: list[SyslogHandler]) -> None:
    first = TcpListener()
    port = first.port
    handler = subscribed(sink, SyslogHandler(("127.0.0.1", port), "tcp", timeout=0.5, max_backoff=0.2))
    audit.emit("activation", n=1)
    assert len(first.wait(1)) == 1
    first.close()
    # Restarted at once: the closed connection is noticed before the next send, nothing is lost.
    second = TcpListener(port)
    try:
        audit.emit("activation", n=2)
        assert [parse(raw).params["n"] for _, raw in second.wait(1)] == ["2"]
        assert handler.failures == 0
    finally:
        second.close()
    # Down for a while: events fail and are counted; once it is back the sink reconnects by itself
    # (the backoff is bounded by max_backoff).
    audit.emit("activation", n=3)
    assert handler.failures >= 1
    third = TcpListener(port)
    try:
        for n in range(4, 400):
            audit.emit("activation", n=n)
            if third.frames:
                break
            time.sleep(0.02)
        assert third.wait(1), "the sink did not reconnect"
        assert handler.sent >= 3
    finally:
        third.close()


def test_threads_lose_nothing_and_interleave_no_frame(tcp: TcpListener, sink: list[SyslogHandler]) -> None:
    handler = subscribed(sink, SyslogHandler(("127.0.0.1", tcp.port), "tcp"))

    def worker(thread: int) -> None:
        for n in range(250):
            audit.emit("tls-handshake", thread=thread, n=n, peer=NON_ASCII)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    frames = tcp.wait(2000)
    assert len(frames) == 2000
    assert (handler.sent, handler.failures) == (2000, 0)
    seen = {(int(m.params["thread"]), int(m.params["n"])) for m in (parse(raw) for _, raw in frames)}
    assert seen == {(t, n) for t in range(8) for n in range(250)}


def test_a_forked_child_opens_its_own_connection(tcp: TcpListener, sink: list[SyslogHandler]) -> None:
    handler = subscribed(sink, SyslogHandler(("127.0.0.1", tcp.port), "tcp"))
    audit.emit("activation", side="parent before fork")
    tcp.wait(1)
    pid = os.fork()
    if pid == 0:  # the child: one event, then leave without running the parent's clean-up
        try:
            audit.emit("activation", side="child")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    audit.emit("activation", side="parent after fork")
    frames = {parse(raw).params["side"]: (number, parse(raw).header["procid"]) for number, raw in tcp.wait(3)}
    assert frames["parent before fork"] == frames["parent after fork"] == (0, str(os.getpid()))
    assert frames["child"] == (1, str(pid))  # a connection of its own, not the parent's socket
    assert handler.failures == 0


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((("127.0.0.1", 514), "sctp"), {}),
        ((("127.0.0.1", 0), "udp"), {}),
        ((("127.0.0.1", "514"), "tcp"), {}),
        (("/dev/log", "udp"), {}),
        ((("127.0.0.1", 514),), {"timeout": 0}),
        ((("127.0.0.1", 514),), {"max_backoff": float("nan")}),
        ((("127.0.0.1", 514),), {"formatter": logging.Formatter()}),
        ((514, "unix"), {}),
    ],
)
def test_bad_handler_arguments(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidParameter):
        SyslogHandler(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"facility": 24},
        {"facility": True},
        {"facility": "local0"},
        {"sd_id": "fipscrypto"},  # one's own SD-ID carries "@<enterprise number>" (§7.2.2)
        {"sd_id": "fips crypto@32473"},
        {"sd_id": "fipscrypto@" + "1" * 30},
        {"severities": {"activation": 8}},
    ],
)
def test_bad_formatter_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidParameter):
        RFC5424Formatter(**kwargs)  # type: ignore[arg-type]


def test_header_fields_keep_to_their_abnf(udp: socket.socket) -> None:
    """Names outside PRINTUSASCII and over-long fields are made to fit rather than break the message."""
    formatter = RFC5424Formatter(app_name="my app " + "x" * 60, hostname="höst name")
    handler = SyslogHandler(udp.getsockname(), "udp", formatter=formatter)
    try:
        handler(audit.Event("kind with spaces " + "k" * 40, time.time(), {"a b=c]": 1, "x" * 40: 2}))
        message = parse(udp.recv(65536))
    finally:
        handler.close()
    assert message.header["app"] == ("my_app_" + "x" * 60)[:48]
    assert message.header["hostname"] == "h_st_name"
    assert message.header["msgid"] == ("kind_with_spaces_" + "k" * 40)[:32]
    assert message.params == {"a_b_c_": "1", "x" * 32: "2"}


DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_documented_example_receives_the_events(state_paths: StatePaths) -> None:
    """docs/examples/audit_syslog.py: self-tests, activation, the policy and a key pair, over UDP."""
    result = run_script_json(
        DOCS / "examples" / "audit_syslog.py", timeout=120, FIPSCRYPTO_STATE_DIR=str(state_paths.root)
    )
    kinds = result["kinds"]
    assert kinds[0] == "selftest-start"
    assert {"selftest-pass", "activation", "policy-loaded"} <= set(kinds)
    assert kinds[-1] == "key-generated"
    assert (result["sent"], result["failures"]) == (len(kinds), 0)
    message = parse(result["key_generated"].encode("utf-8"))
    assert int(message.header["pri"]) == Facility.LOCAL4 * 8 + Severity.INFORMATIONAL
    assert message.params["algorithm"] == "ecdsa-p384"


PAGE_CODE = re.findall(r"```python\n(.*?)```", (DOCS / "audit-syslog.md").read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("code", PAGE_CODE, ids=[f"block{n}" for n in range(len(PAGE_CODE))])
def test_the_page_s_code_runs(code: str, state_paths: StatePaths) -> None:
    """Each Python block of docs/audit-syslog.md runs as it is, then an event is emitted through it."""
    done = run_python(
        code + "\nfrom fipscrypto import audit\naudit.emit('activation', note='docs')\nprint('ok')\n",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert (done.returncode, done.stdout.splitlines()[-1:]) == (0, ["ok"]), done.stderr
