"""Audit events as RFC 5424 syslog messages, over UDP, TCP or a Unix socket, through :mod:`logging`.

:class:`SyslogHandler` is a :class:`logging.Handler` and an audit subscriber::

    from fipscrypto import audit
    from fipscrypto.audit.syslog import SyslogHandler

    audit.subscribe(SyslogHandler(("192.0.2.10", 601), "tcp"))

Each event becomes one message (RFC 5424 §6)::

    <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [fipscrypto@32473 name="value" ...] BOM{json}

with the event kind as MSGID, its fields as the parameters of one SD-ELEMENT, and the whole event as
JSON in MSG. The severity comes from the kind (:data:`SEVERITIES`), the facility is the formatter's.
:class:`RFC5424Formatter` also formats plain log records, so the handler can serve a logger too.

A syslog server that is unreachable, refuses, or stalls never reaches the emitter: each send has a
bounded timeout, a failure is counted (``failures``, ``last_failure``) and logged once as a warning
on the ``fipscrypto`` logger, and the socket is opened again after a backoff that doubles up to
``max_backoff`` seconds; events that come meanwhile are dropped and counted. After ``os.fork()`` the
child opens its own socket: it never writes into the parent's.
"""

from __future__ import annotations

import enum
import functools
import json
import logging
import os
import re
import select
import socket
import sys
import time
from collections.abc import Mapping
from typing import Any, Literal

from .._fork import rlock, watch
from .._log import INFO, WARNING, log
from ..errors import InvalidParameter
from . import Event

__all__ = ["SD_ID", "SEVERITIES", "Facility", "RFC5424Formatter", "Severity", "SyslogHandler"]

Transport = Literal["udp", "tcp", "unix"]


class Facility(enum.IntEnum):
    """RFC 5424 §6.2.1, Table 1 (the numerical codes of the facilities)."""

    KERN = 0
    USER = 1
    MAIL = 2
    DAEMON = 3
    AUTH = 4  # security/authorization messages
    SYSLOG = 5
    LPR = 6
    NEWS = 7
    UUCP = 8
    CRON = 9
    AUTHPRIV = 10  # security/authorization messages
    FTP = 11
    NTP = 12
    AUDIT = 13  # log audit
    ALERT = 14  # log alert
    CLOCK = 15
    LOCAL0 = 16
    LOCAL1 = 17
    LOCAL2 = 18
    LOCAL3 = 19
    LOCAL4 = 20
    LOCAL5 = 21
    LOCAL6 = 22
    LOCAL7 = 23


class Severity(enum.IntEnum):
    """RFC 5424 §6.2.1, Table 2 (the numerical codes of the severities)."""

    EMERGENCY = 0  # system is unusable
    ALERT = 1  # action must be taken immediately
    CRITICAL = 2
    ERROR = 3
    WARNING = 4
    NOTICE = 5  # normal but significant condition
    INFORMATIONAL = 6
    DEBUG = 7


#: The severity of each event kind; a kind not named here is INFORMATIONAL.
SEVERITIES: Mapping[str, Severity] = {
    "selftest-fail": Severity.CRITICAL,  # the module enters the ERROR state
    "selftest-failure": Severity.CRITICAL,
    "policy-violation": Severity.ERROR,  # a refused request
    "non-approved-use": Severity.WARNING,  # allowed (audit mode, an exemption), not approved
    "exemption-begin": Severity.NOTICE,
    "exemption-end": Severity.NOTICE,
    "activation": Severity.NOTICE,
    "module-recovered": Severity.NOTICE,
    "policy-loaded": Severity.NOTICE,
    "selftest-start": Severity.DEBUG,
}

#: RFC 5424 §7.2.2: an SD-ID of one's own is "name@<private enterprise number>"; 32473 is the
#: enterprise number IANA reserves for documentation (RFC 5612 §2).
SD_ID = "fipscrypto@32473"

# The logging level of a record made from an event (what handler levels and filters see), by severity.
_LEVELS = (50, 50, 50, 40, 30, 20, 20, 10)
# The severity of a plain record, by its level (logging.CRITICAL, ERROR, WARNING, INFO; else DEBUG).
_SEVERITY_OF_LEVEL = (
    (50, Severity.CRITICAL),
    (40, Severity.ERROR),
    (30, Severity.WARNING),
    (20, Severity.INFORMATIONAL),
)

# RFC 5424 §6: PRINTUSASCII = %d33-126; an SD-NAME is 1*32 PRINTUSASCII "except '=', SP, ']', %d34 (")".
_NOT_PRINTUSASCII = re.compile(r"[^\x21-\x7e]")
_NOT_SD_NAME = re.compile(r'[^\x21-\x7e]|[= \]"]')
# RFC 5424 §6.3.3: "Inside PARAM-VALUE, the characters '"' (ABNF %d34), '\' (ABNF %d92), and ']'
# (ABNF %d93) MUST be escaped. [...] Each of these three characters MUST be escaped as '\"', '\\',
# and '\]' respectively."
_SD_ESCAPES = str.maketrans({'"': '\\"', "\\": "\\\\", "]": "\\]"})
# RFC 5424 §6.4: "If a syslog application encodes MSG in UTF-8, the string MUST start with the
# Unicode byte order mask (BOM), which for UTF-8 is ABNF %xEF.BB.BF."
_BOM = "\ufeff"
_NIL = "-"  # NILVALUE


def _field(value: str, length: int, pattern: re.Pattern[str] = _NOT_PRINTUSASCII) -> str:
    """A header field or SD-NAME of at most ``length`` allowed characters (others become '_')."""
    return pattern.sub("_", value)[:length] or _NIL


@functools.lru_cache(maxsize=512)  # event kinds and field names are few: each is checked once
def _name(value: str, sd_name: bool) -> str:
    """An SD-NAME (a PARAM-NAME) or else a MSGID: each is 1*32 of its characters (§6)."""
    return _field(value, 32, _NOT_SD_NAME if sd_name else _NOT_PRINTUSASCII)


def _param_value(value: object) -> str:
    """A PARAM-VALUE: a str as it is, anything else as JSON; escaped (§6.3.3)."""
    if type(value) is str:
        text = value
    elif value is True or value is False or value is None:
        text = "true" if value else "false" if value is False else "null"
    elif type(value) is int:
        text = str(value)
    else:
        text = json.dumps(value, sort_keys=True, default=str)
    return text.translate(_SD_ESCAPES) if '"' in text or "\\" in text or "]" in text else text


def _event(record: logging.LogRecord) -> Event | None:
    """The event a record carries: its one argument (the audit logger logs ``"%s", event``)."""
    args = record.args
    return args[0] if isinstance(args, tuple) and len(args) == 1 and isinstance(args[0], Event) else None


class RFC5424Formatter(logging.Formatter):
    """Formats a log record as an RFC 5424 message (text; the handler sends it as UTF-8).

    A record whose one argument is an :class:`~fipscrypto.audit.Event` (what the audit module's
    logger and :class:`SyslogHandler` make) becomes the event's message: MSGID its kind, its fields
    the parameters of the SD-ELEMENT ``sd_id``, MSG its JSON, the severity ``severities[kind]``
    (:data:`SEVERITIES` updated by ``severities``; INFORMATIONAL for a kind named nowhere). Any other
    record: MSGID and STRUCTURED-DATA ``-``, MSG the record's message, the severity from its level.
    """

    def __init__(
        self,
        *,
        facility: Facility | int = Facility.AUDIT,
        app_name: str = "fipscrypto",
        hostname: str | None = None,
        sd_id: str = SD_ID,
        severities: Mapping[str, Severity | int] | None = None,
    ) -> None:
        super().__init__()
        if type(facility) not in (int, Facility) or facility not in range(24):
            raise InvalidParameter(f"facility is one of RFC 5424's codes 0..23, not {facility!r}")
        # RFC 5424 §6.3.2: SD-ID = SD-NAME; §7.2.2: one of one's own is name@<enterprise number>.
        if (
            not isinstance(sd_id, str)
            or not re.fullmatch(r"[^@=\]\" ]+@[0-9]+(\.[0-9]+)*", sd_id)
            or (len(sd_id) > 32 or _NOT_SD_NAME.search(sd_id))
        ):
            raise InvalidParameter(f"sd_id is an RFC 5424 SD-ID name@<enterprise number>, not {sd_id!r}")
        table = dict(SEVERITIES)
        for kind, severity in (severities or {}).items():
            if type(severity) not in (int, Severity) or severity not in range(8):
                raise InvalidParameter(
                    f"the severity of {kind!r} is one of RFC 5424's codes 0..7, not {severity!r}"
                )
            table[kind] = Severity(severity)
        self.facility = Facility(facility)
        self.severities: Mapping[str, Severity] = table
        self.sd_id = sd_id
        # RFC 5424 §6.2.5: APP-NAME = NILVALUE / 1*48PRINTUSASCII.
        self.app_name = _field(app_name, 48)
        # RFC 5424 §6.2.4: HOSTNAME = NILVALUE / 1*255PRINTUSASCII, the FQDN, an IP address or the host
        # name, in that order of preference (socket.getfqdn() may wait on DNS: the host name is taken).
        self.hostname = _field(socket.gethostname() if hostname is None else hostname, 255)

    def event_severity(self, event: Event) -> Severity:
        return self.severities.get(event.kind, Severity.INFORMATIONAL)

    def format(self, record: logging.LogRecord) -> str:
        event = _event(record)
        if event is not None:
            severity, stamp, msgid, msg = (
                self.event_severity(event),
                event.time,
                _name(event.kind, False),
                event.to_json(),
            )
            # RFC 5424 §6.3.1: SD-ELEMENT = "[" SD-ID *(SP SD-PARAM) "]";
            # §6.3.3: SD-PARAM = PARAM-NAME "=" %d34 PARAM-VALUE %d34, PARAM-NAME = SD-NAME.
            params = "".join(
                f' {_name(name, True)}="{_param_value(value)}"'
                for name, value in sorted(event.fields.items())
            )
            data = f"[{self.sd_id}{params}]"
        else:
            severity = next((s for level, s in _SEVERITY_OF_LEVEL if record.levelno >= level), Severity.DEBUG)
            stamp = Event("", record.created).time  # (an event's RFC 3339 form of the same instant)
            msgid, msg, data = _NIL, record.getMessage(), _NIL
        # RFC 5424 §6.2.1: "The Priority value is calculated by first multiplying the Facility
        # number by 8 and then adding the numerical value of the Severity."
        pri = self.facility * 8 + severity
        # RFC 5424 §6: SYSLOG-MSG = HEADER SP STRUCTURED-DATA [SP MSG], HEADER = PRI VERSION SP
        # TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID; VERSION is 1. TIMESTAMP (§6.2.3): an
        # RFC 3339 date-time, here in UTC with microseconds; PROCID (§6.2.6): the process id.
        return f"<{pri}>1 {stamp} {self.hostname} {self.app_name} {os.getpid()} {msgid} {data} {_BOM}{msg}"


class SyslogHandler(logging.Handler):
    """Sends RFC 5424 messages to a syslog server; also an audit subscriber (call it with an event).

    ``address`` is ``(host, port)`` for ``"udp"`` (RFC 5426: one message per datagram) and ``"tcp"``
    (RFC 6587 §3.4.1 octet counting), a socket path for ``"unix"`` (datagrams, as ``/dev/log``).
    Each connect and send waits at most ``timeout`` seconds (resolving a host name is not bounded:
    name the server by address). ``formatter`` (facility, app name,
    severities) is an :class:`RFC5424Formatter`, by default with its defaults.

    ``sent`` counts the messages handed to the socket, ``failures`` the events and records that were
    not (failed, or dropped while the socket waits to be opened again), and ``last_failure`` is the
    error of the last failed attempt (None before any).
    """

    def __init__(
        self,
        address: tuple[str, int] | str | os.PathLike[str],
        transport: Transport = "udp",
        *,
        formatter: RFC5424Formatter | None = None,
        timeout: float = 1.0,
        max_backoff: float = 30.0,
    ) -> None:
        super().__init__()
        self._path: str | None = None  # unix
        self._inet = ("", 0)  # udp, tcp
        if transport == "unix":
            if not isinstance(address, (str, os.PathLike)):
                raise InvalidParameter(f"a unix syslog address is a socket path, not {address!r}")
            self._path = os.fspath(address)
        elif transport in ("udp", "tcp"):
            if not (
                isinstance(address, tuple) and len(address) == 2 and isinstance(address[0], str)
                and type(address[1]) is int and 0 < address[1] < 65536
            ):  # fmt: skip
                raise InvalidParameter(f"a {transport} syslog address is (host, port), not {address!r}")
            self._inet = address
        else:
            raise InvalidParameter(f"transport is 'udp', 'tcp' or 'unix', not {transport!r}")
        for name, value in (("timeout", timeout), ("max_backoff", max_backoff)):
            if type(value) not in (int, float) or not 0 < value <= 3600:
                raise InvalidParameter(f"{name} is a number of seconds in (0, 3600], not {value!r}")
        if formatter is not None and not isinstance(formatter, RFC5424Formatter):
            raise InvalidParameter(f"formatter is an RFC5424Formatter, not {type(formatter).__name__}")
        self.address, self.transport = address, transport
        self.timeout, self.max_backoff = timeout, max_backoff
        self.rfc5424 = formatter or RFC5424Formatter()
        self.setFormatter(self.rfc5424)
        self.sent = self.failures = 0
        self.last_failure: Exception | None = None
        self._failing = False  # between a failure and the next message sent (one warning each time)
        self._sock: socket.socket | None = None
        self._backoff = 0.0  # the last wait before opening the socket again; doubled up to max_backoff
        self._retry_at = 0.0  # time.monotonic() before which no socket is opened
        watch(self)

    def createLock(self) -> None:
        self.lock = rlock()  # released in the child of a fork, whoever held it in the parent

    def __call__(self, event: Event) -> None:
        """Send ``event`` (as an audit subscriber); never raises for the server's faults."""
        level = _LEVELS[self.rfc5424.event_severity(event)]
        record = logging.LogRecord("fipscrypto.audit", level, "", 0, "%s", (event,), None)
        self.handle(record)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = self.format(record).encode("utf-8", "replace")  # (a lone surrogate is not UTF-8)
            if self._sock is None and time.monotonic() < self._retry_at:
                self.failures += 1  # dropped: the socket is opened again after the backoff
                return
            self._send(data)
        except Exception:  # logging's contract: a handler reports its failure through handleError
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """Count the failure, close the socket, back off, warn once per outage; never raise or print."""
        error = sys.exc_info()[1]
        self.failures += 1
        if isinstance(error, Exception):
            self.last_failure = error
        self._close()
        self._backoff = min(self.max_backoff, max(0.1, 2 * self._backoff))
        self._retry_at = time.monotonic() + self._backoff
        if not self._failing:
            self._failing = True  # before logging: this handler may serve the logger it warns on
            log("fipscrypto", WARNING, "syslog %s over %s failed (%r): audit events to it are counted as "
                "failures until it answers again", self.address, self.transport, error)  # fmt: skip

    def _send(self, data: bytes) -> None:
        if self._sock is not None and self.transport == "tcp" and _closed_by_peer(self._sock):
            self._close()  # a restarted server: a message sent into the old connection would be lost
        if self._sock is None:
            self._sock = self._open()
        if self.transport == "tcp":
            # RFC 6587 §3.4.1: SYSLOG-FRAME = MSG-LEN SP SYSLOG-MSG, MSG-LEN being "the octet count of
            # the SYSLOG-MSG in the SYSLOG-FRAME".
            self._sock.sendall(b"%d %s" % (len(data), data))
        else:
            # RFC 5426 §3.1: "Each syslog UDP datagram MUST contain only one syslog message"
            self._sock.send(data)
        self.sent += 1
        if self._failing:
            self._failing, self._backoff = False, 0.0
            log("fipscrypto", INFO, "syslog %s over %s answers again (%d failure(s) so far)",
                self.address, self.transport, self.failures)  # fmt: skip

    def _open(self) -> socket.socket:
        candidates: list[tuple[socket.AddressFamily, socket.SocketKind, int, Any]]
        if self._path is not None:
            candidates = [(socket.AF_UNIX, socket.SOCK_DGRAM, 0, self._path)]
        else:
            host, port = self._inet
            kind = socket.SOCK_STREAM if self.transport == "tcp" else socket.SOCK_DGRAM
            candidates = [(f, t, p, a) for f, t, p, _, a in socket.getaddrinfo(host, port, type=kind)]
        error: OSError = OSError(f"no address for {self.address!r}")
        for family, kind, proto, address in candidates:
            sock = socket.socket(family, kind, proto)
            sock.settimeout(self.timeout)
            try:
                # A connected UDP socket reports the ICMP "port unreachable" of an earlier datagram
                # as ECONNREFUSED on a later send: a server that is not there is noticed and counted.
                sock.connect(address)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            return sock
        raise error

    def _close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _forked(self) -> None:
        # In the child: close only its copy of the descriptor (no shutdown(), the parent's connection
        # stays as it is); its next event opens a socket of its own.
        self._close()

    def close(self) -> None:
        self.acquire()
        try:
            self._close()
        finally:
            self.release()
        super().close()


def _closed_by_peer(sock: socket.socket) -> bool:
    """Whether the TCP peer closed the connection (a syslog server sends nothing: readable = closed)."""
    poller = select.poll()  # (the socket's own timeout would make a recv wait)
    poller.register(sock, select.POLLIN)
    if not poller.poll(0):
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True
