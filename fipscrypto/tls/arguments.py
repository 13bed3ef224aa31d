"""The TLS entry points' arguments: a wrong type or an unusable value is an InvalidParameter, raised
before anything is built or any file is read.

Each check is a few ``isinstance`` tests: the connection builders call them once per connection, never
per record. Independent of pyOpenSSL, like :mod:`fipscrypto.tls.settings`, which uses them.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

from .._params import BYTES, optional_bytes
from ..errors import InvalidParameter

__all__ = ["alpn_protocols", "connection_socket", "flag", "host_name", "key_password"]

# RFC 7301 §3.1: "opaque ProtocolName<1..2^8-1>;" and "ProtocolName protocol_name_list<2..2^16-1>":
# each name 1..255 bytes, the list (each name with its one-byte length) at most 2^16-1 bytes.
_ALPN_NAME_MAX = 2**8 - 1
_ALPN_LIST_MAX = 2**16 - 1
# RFC 1035 §2.3.4: a name is at most 255 octets on the wire, so at most 253 characters as text.
_HOST_NAME_MAX = 253


def flag(name: str, value: object) -> bool:
    """A yes/no argument: True or False, nothing else (a list or a string is a mistake, not a truth
    value)."""
    if value is True or value is False:
        return value
    raise InvalidParameter(f"{name} is True or False, not {type(value).__name__}")


def key_password(value: object) -> bytes | None:
    """The password of an encrypted private key: bytes, or None."""
    return optional_bytes("a private key's password", value)


def alpn_protocols(value: object, *, text: bool = False) -> tuple[bytes, ...]:
    """ALPN protocol names, preferred first, as RFC 7301 bounds them; () for None or an empty list.
    ``text``: the names are ASCII str (the stdlib's ``set_alpn_protocols``), else bytes."""
    if value is None:
        return ()
    if isinstance(value, (str, *BYTES)) or not isinstance(value, Sequence):
        kind = "str" if text else "bytes"
        raise InvalidParameter(f"alpn is a list of protocol names ({kind}), not {type(value).__name__}")
    if len(value) > _ALPN_LIST_MAX // 2:  # each name takes two bytes at least: checked before iterating
        raise InvalidParameter(f"alpn names {len(value)} protocols: more than an ALPN list can carry")
    names = []
    total = 0
    for item in value:
        if text:
            if not isinstance(item, str) or not item.isascii():
                raise InvalidParameter(f"an ALPN protocol name here is ASCII text, not {item!r:.40}")
            name = item.encode("ascii")
        elif isinstance(item, BYTES):
            name = bytes(item)
        else:
            raise InvalidParameter(f"an ALPN protocol name is bytes, not {type(item).__name__}")
        if not 1 <= len(name) <= _ALPN_NAME_MAX:
            raise InvalidParameter(
                f"an ALPN protocol name is 1 to {_ALPN_NAME_MAX} bytes (RFC 7301 §3.1), not {len(name)}"
            )
        total += 1 + len(name)
        if total > _ALPN_LIST_MAX:
            raise InvalidParameter(f"the ALPN list is longer than {_ALPN_LIST_MAX} bytes (RFC 7301 §3.1)")
        names.append(name)
    return tuple(names)


def host_name(value: object) -> str | None:
    """A server's host name (DNS name or IP address literal), or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"a host name is a str, not {type(value).__name__}")
    if not 0 < len(value) <= _HOST_NAME_MAX or "\x00" in value:
        raise InvalidParameter(
            f"a host name is 1 to {_HOST_NAME_MAX} characters without NUL (RFC 1035 §2.3.4): {value!r:.60}"
        )
    return value


def connection_socket(value: object) -> socket.socket | None:
    """A connection's socket, or None for memory BIOs. A bare int is refused: it would be taken as a
    file descriptor, whichever file that is."""
    if value is None or isinstance(value, socket.socket):
        return value
    raise InvalidParameter(f"sock is a socket.socket or None, not {type(value).__name__}")
