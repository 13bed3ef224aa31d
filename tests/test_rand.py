"""The default generator (``rand.random_bytes``): the FIPS provider's CTR_DRBG, served in slices.

Vector origins: tests/vectors/SOURCES.md (cavp/ctr-drbg-aes256-df-pr-false.json).
"""

from __future__ import annotations

import json
import os
import threading

import pytest

from fipscrypto import keys, rand
from fipscrypto.errors import InvalidParameter
from fipscrypto.provider.state import StatePaths

from support import run_json
from vectorlib import VECTORS


def _generator() -> rand._Generator:
    rand.random_bytes(1)
    generator = rand._default
    assert generator is not None
    return generator


def test_the_provider_ctr_drbg_reproduces_the_cavp_case() -> None:
    data = json.loads((VECTORS / "cavp" / "ctr-drbg-aes256-df-pr-false.json").read_text())
    context = keys.inside.get()
    assert context is not None
    for case in data["cases"]:
        returned = bytes.fromhex(case["ReturnedBits"])
        got = context.ctr_drbg_known_answer(
            bytes.fromhex(case["EntropyInput"]),
            bytes.fromhex(case["Nonce"]),
            bytes.fromhex(case["PersonalizationString"]),
            bytes.fromhex(case["EntropyInputReseed"]),
            len(returned),
        )
        assert got == returned


def test_the_default_generator_is_the_providers_ctr_drbg() -> None:
    settings = _generator()._drbg.settings()
    assert settings["strength"] == 256
    assert settings["use_derivation_function"] == 1
    assert settings["reseed_requests"] == 256  # SP 800-90A Table 3 allows up to 2**48
    assert settings["max_request"] == rand.MAX_REQUEST


def test_slices_are_consecutive_and_never_repeat() -> None:
    generator = _generator()
    generator.block.read()  # exhaust the block: the next request generates one
    first = rand.random_bytes(12)
    rest = [rand.random_bytes(n) for n in (1, 32, 1024, 0, 7)]
    assert [len(r) for r in rest] == [1, 32, 1024, 0, 7]
    assert generator.block.tell() == 12 + 1 + 32 + 1024 + 7  # handed out in order, nothing skipped
    assert len(first + b"".join(rest)) == generator.block.tell()


def test_eight_threads_share_the_generator_without_repeats() -> None:
    outputs: list[bytes] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work() -> None:
        start.wait()
        mine = [rand.random_bytes(16) for _ in range(3000)]  # several blocks: refills race too
        with lock:
            outputs.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outputs) == 24_000
    assert all(len(o) == 16 for o in outputs)
    assert len(set(outputs)) == 24_000


def test_prediction_resistance_reseeds_and_bypasses_the_block() -> None:
    # The provider's reseed_counter counts the DRBG's (re)seedings.
    generator = _generator()
    drbg = generator._drbg
    before = drbg.settings()["reseed_counter"]
    position = generator.block.tell()
    out = rand.random_bytes(16, prediction_resistance=True)
    assert drbg.settings()["reseed_counter"] == before + 1  # reseeded for this request
    assert generator.block.tell() == position  # and not served from the block
    rand.random_bytes(16)
    assert drbg.settings()["reseed_counter"] == before + 1
    assert len(out) == 16
    assert len(rand.random_bytes(70_000, prediction_resistance=True)) == 70_000
    assert drbg.settings()["reseed_counter"] == before + 3  # one reseed per generate request


def test_the_reseed_interval_forces_a_reseed() -> None:
    drbg = _generator()._drbg
    before = drbg.settings()["reseed_counter"]
    for _ in range(255):
        drbg.generate(16)
    after = drbg.settings()["reseed_counter"]
    for _ in range(256):
        drbg.generate(16)
    assert after - before <= 1  # at most one reseed in 255 requests
    assert drbg.settings()["reseed_counter"] - after >= 1  # and one in any 256 after them


@pytest.mark.parametrize(
    ("length", "options"),
    [(-1, {}), (1.5, {}), ("8", {}), (rand.MAX_LENGTH + 1, {}), (8, {"prediction_resistance": "yes"})],
)
def test_bad_requests_are_refused_and_consume_nothing(length: object, options: dict[str, object]) -> None:
    generator = _generator()
    position = generator.block.tell()
    with pytest.raises(InvalidParameter):
        rand.random_bytes(length, **options)  # type: ignore[arg-type]
    assert generator.block.tell() == position


def test_a_forked_child_never_repeats_the_parents_output() -> None:
    generator = _generator()
    rand.random_bytes(32)
    assert generator.block.tell() < rand._BLOCK  # the parent holds unread output when it forks
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its output and leave
        os.close(read)
        os.write(write, b"".join(rand.random_bytes(64) for _ in range(4)) + generator._drbg.generate(64))
        os._exit(0)
    os.close(write)
    child = b""
    while chunk := os.read(read, 4096):
        child += chunk
    os.close(read)
    assert os.waitpid(pid, 0)[1] == 0
    # The parent's slices, then a request of its own to the provider's DRBG (which reseeds in the child)
    parent = b"".join(rand.random_bytes(64) for _ in range(4)) + generator._drbg.generate(64)
    assert len(child) == len(parent) == 320
    chunks = {child[i : i + 16] for i in range(0, 320, 16)}
    assert not chunks & {parent[i : i + 16] for i in range(0, 320, 16)}


def test_a_failing_drbg_enters_error_and_revokes_the_generator(state_paths: StatePaths) -> None:
    result = run_json(
        """
import json, fipscrypto
from fipscrypto import _faults, rand
fipscrypto.activate()
served = len(rand.random_bytes(16))
old = rand._default
_faults.inject("drbg-entropy-continuous")
try:
    rand.random_bytes(2048)  # its own generate request: the provider's DRBG reports the failure
except fipscrypto.SelfTestFailure as exc:
    caught = exc.test
refused = []
for call in (lambda: rand.random_bytes(8), lambda: old.slice(8), lambda: old.refill(8)):
    try:
        call()
    except fipscrypto.ModuleErrorState as exc:
        refused.append(str(exc))
print(json.dumps({
    "served": served, "caught": caught, "state": fipscrypto.info().state.value,
    "refused": len(refused), "revoked": old.revoked, "unread": len(old.block.read()),
}))
""",
        FIPSCRYPTO_STATE_DIR=str(state_paths.root),
    )
    assert result == {
        "served": 16,
        "caught": "drbg-entropy-continuous",
        "state": "error",
        "refused": 3,
        "revoked": True,
        "unread": 0,
    }
