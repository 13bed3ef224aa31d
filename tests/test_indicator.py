"""The sticky indicator: ``indicator.scope()`` answers for a whole composite operation."""

from __future__ import annotations

import asyncio
import threading

from fipscrypto import aead, hashes, indicator, mac, seal

KEK = bytes(range(32))
REASON = "test: an old 64-bit MAC key"


def _legacy_tag() -> bytes:
    with indicator.exempt(reason=REASON):
        return mac.hmac(b"k" * 8, b"data")  # 64-bit key: non-approved, allowed by the exemption


def test_a_composite_operation_of_approved_services_is_approved() -> None:
    with indicator.scope() as done:
        envelope = seal.seal(b"record", key_id="k1", kek=KEK)
        assert seal.unseal(envelope, {"k1": KEK}) == b"record"
    assert done.approved is True
    last = indicator.last()
    assert last is not None
    assert last.approved is True  # last() still names only the last inner operation


def test_one_non_approved_step_marks_the_whole_scope() -> None:
    with indicator.scope() as done:
        hashes.digest("sha256", b"x")
        _legacy_tag()
        hashes.digest("sha256", b"y")  # approved again: last() forgets, the scope does not
        assert indicator.last().approved is True  # type: ignore[union-attr]
    assert done.approved is False


def test_a_non_approved_operation_repeated_from_before_the_scope_is_seen() -> None:
    _legacy_tag()
    before = indicator.last()
    assert before is not None
    assert before.approved is False
    with indicator.scope() as done:
        assert indicator.last() is None  # the scope starts from nothing
        _legacy_tag()  # the same interned operation as the last one before the scope
    assert done.approved is False


def test_a_key_object_hot_path_marks_the_scope() -> None:
    gcm = aead.AESGCM(KEK)
    gcm.encrypt(b"warm")  # the key's operation is now the last one
    with indicator.scope() as done:
        gcm.encrypt(b"again")
    assert done.approved is True
    last = indicator.last()
    assert last is not None
    assert last.algorithm == "aes-256-gcm"


def test_scopes_nest_and_an_empty_scope_keeps_the_last_operation() -> None:
    hashes.digest("sha256", b"x")
    before = indicator.last()
    with indicator.scope() as outer:
        with indicator.scope() as inner:
            _legacy_tag()
        with indicator.scope() as clean:
            pass
    assert (outer.approved, inner.approved, clean.approved) == (False, False, True)
    with indicator.scope():
        pass
    assert indicator.last() is not before  # the nested scopes' last operation stays
    hashes.digest("sha256", b"x")
    with indicator.scope():
        pass
    assert indicator.last() is before  # a scope that did nothing leaves last() as it was


def test_a_plain_thread_is_not_seen() -> None:
    with indicator.scope() as done:
        worker = threading.Thread(target=_legacy_tag)  # a new thread starts from an empty context
        worker.start()
        worker.join()
    assert done.approved is True


def test_tasks_and_to_thread_work_started_in_the_scope_count() -> None:
    async def legacy() -> None:
        _legacy_tag()

    async def main() -> tuple[bool, bool]:
        with indicator.scope() as in_task:
            await asyncio.create_task(legacy())
        with indicator.scope() as in_thread:
            await asyncio.to_thread(_legacy_tag)  # runs in a copy of this context
        return in_task.approved, in_thread.approved

    assert asyncio.run(main()) == (False, False)
