"""Argument checks shared by the symmetric services: a wrong type is an InvalidParameter.

Byte strings may be ``bytes``, ``bytearray`` or ``memoryview`` (what cryptography takes); the
checks return ``bytes`` so that the services can concatenate and compare them. Integers are
``int`` (``bool`` is not a count or a length).
"""

from __future__ import annotations

from .errors import AlgorithmUnavailable, FipsError, InvalidParameter

__all__ = ["BYTES", "byte_string", "integer", "name", "not_offered", "optional_bytes"]

BYTES = (bytes, bytearray, memoryview)


def byte_string(name: str, value: object) -> bytes:
    """``value`` as bytes; InvalidParameter unless it is a byte string."""
    if type(value) is bytes:
        return value
    if isinstance(value, BYTES):
        return bytes(value)
    raise InvalidParameter(f"{name} must be bytes, not {type(value).__name__}")


def optional_bytes(name: str, value: object) -> bytes | None:
    """``value`` as bytes, or None."""
    return None if value is None else byte_string(name, value)


def integer(name: str, value: object, low: int, high: int) -> int:
    """``value`` when it is an int of ``low..high``; InvalidParameter otherwise."""
    if type(value) is not int or not low <= value <= high:
        raise InvalidParameter(f"{name} must be an int of {low}..{high}, got {value!r:.40}")
    return value


def name(what: str, value: object) -> str:
    """``value`` when it is a str (an algorithm name); InvalidParameter otherwise."""
    if type(value) is not str:
        raise InvalidParameter(f"{what} is a name (str), not {type(value).__name__}")
    return value


def not_offered(category: str, value: str, what: str, instead: str) -> FipsError:
    """The error for a name that no table of the service holds: AlgorithmUnavailable when the policy
    vocabulary names it in ``category`` (an algorithm fipscrypto does not offer for this use, listed
    in docs/core-services.md, "Not offered"), InvalidParameter for any other string. ``instead``
    says what to use."""
    from .policy.vocabulary import categories

    if value in categories()[category].names:
        return AlgorithmUnavailable(f"{what} {value} is not offered by fipscrypto: {instead}")
    return InvalidParameter(f"unknown {what} {value!r:.40}: {instead}")
