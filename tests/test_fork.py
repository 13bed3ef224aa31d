"""os.fork(): no key object emits a nonce in two processes, random output and signature nonces differ
between parent and child, and a lock another thread held at the fork never deadlocks the child.

Each case runs in a fresh interpreter (activation once per process) that forks; the child reports
through a pipe and the parent prints both sides as one JSON line.
"""

from __future__ import annotations

import pytest

from fipscrypto.provider.state import StatePaths

from support import run_json

# Runs ``body`` in parent and child after a fork; ``body`` sets ``out`` (a dict) for its side.
FORKED = """
import json, os, sys, signal
import fipscrypto
from fipscrypto import aead, audit, hashes, keys, rand, seal
fipscrypto.activate()
{setup}
def side():
    out = {{}}
    try:
{body}
    except Exception as exc:
        out["raised"] = f"{{type(exc).__name__}}: {{exc}}"
    return out
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    signal.alarm(60)  # a deadlock in the child ends the test instead of hanging it
    os.write(write, json.dumps(side()).encode())
    os._exit(0)
os.close(write)
parent = side()
chunks = []
while chunk := os.read(read, 65536):
    chunks.append(chunk)
_, status = os.waitpid(pid, 0)
child = json.loads(b"".join(chunks) or b"null")
print(json.dumps({{"parent": parent, "child": child, "status": status}}))
"""


def forked(state: StatePaths, body: str, setup: str = "") -> tuple[dict[str, str], dict[str, str]]:
    indented = "\n".join(" " * 8 + line for line in body.strip().splitlines())
    result = run_json(FORKED.format(setup=setup, body=indented), FIPSCRYPTO_STATE_DIR=str(state.root))
    assert result["status"] == 0, result
    assert result["child"] is not None, "the child reported nothing (killed by the alarm: a deadlock)"
    return result["parent"], result["child"]


@pytest.mark.parametrize("nonces", ["counter", "random", "explicit"])
def test_a_gcm_key_never_encrypts_in_two_processes(state_paths: StatePaths, nonces: str) -> None:
    setup = f"""
gcm = aead.AESGCM(bytes(32), nonces={nonces!r})
sequence = iter(range(1, 100))  # explicit: the caller's sequence numbers, copied into the child too
def encrypt():
    if {nonces!r} != "explicit":
        return gcm.encrypt(b"m")
    nonce = next(sequence).to_bytes(12, "big")
    return nonce, gcm.encrypt_with_nonce(nonce, b"m")
first = encrypt()  # used once before the fork
"""
    body = """
nonce, sealed = encrypt()
out["nonce"] = nonce.hex()
out["opened"] = gcm.decrypt(*first).decode()
"""
    parent, child = forked(state_paths, body, setup)
    assert "raised" not in parent  # the parent keeps its key and nonce state
    assert "nonce" in parent
    assert child["raised"].startswith("ForkError: ")  # the child's copy refuses to encrypt
    # Decryption is no nonce use: the child still opens what the key sealed.
    child_decrypts = forked(state_paths, 'out["opened"] = gcm.decrypt(*first).decode()', setup)[1]
    assert child_decrypts == {"opened": "m"}


def test_a_new_gcm_key_in_the_child_encrypts(state_paths: StatePaths) -> None:
    body = """
gcm = aead.AESGCM(bytes(32), nonces="counter")
out["nonce"] = gcm.encrypt(b"m")[0].hex()
"""
    parent, child = forked(state_paths, body)
    # A new key object in each process: each draws its own random fixed field (SP 800-38D §8.2.1).
    assert parent["nonce"] != child["nonce"]


def test_a_batch_of_random_nonces_never_survives_a_fork(state_paths: StatePaths) -> None:
    # Random-nonce keys share batches of DRBG output; the parent's batch, copied into the child, would
    # give a new key there the same nonces as one in the parent. The child drops it.
    setup = """
aead.AESGCM(bytes(16)).encrypt(b"m")  # a batch is drawn, and mostly left, before the fork
"""
    body = """
gcm = aead.AESGCM(bytes(16))
out["nonces"] = [gcm.encrypt(b"m")[0].hex() for _ in range(3)]
"""
    parent, child = forked(state_paths, body, setup)
    assert len(parent["nonces"]) == len(child["nonces"]) == 3
    assert not set(parent["nonces"]) & set(child["nonces"]), (parent, child)


def test_random_output_differs_between_parent_and_child(state_paths: StatePaths) -> None:
    setup = """
rand.random_bytes(16)  # the default DRBG exists before the fork
own = rand.HmacDrbg()
"""
    body = """
out["default"] = rand.random_bytes(32).hex()
out["instance"] = own.generate(32).hex()
out["ccm_nonce"] = aead.AESCCM(bytes(16)).encrypt(b"m")[0].hex()
out["gcm_nonce"] = aead.AESGCM(bytes(16)).encrypt(b"m")[0].hex()
out["seal"] = seal.seal(b"m", key_id="k", kek=bytes(32)).hex()
"""
    parent, child = forked(state_paths, body, setup)
    assert set(parent) == set(child) == {"default", "instance", "ccm_nonce", "gcm_nonce", "seal"}
    assert all(parent[name] != child[name] for name in parent), (parent, child)


@pytest.mark.parametrize("scheme", ["ecdsa-p256", "ml-dsa-44"])
def test_signature_nonces_differ_between_parent_and_child(state_paths: StatePaths, scheme: str) -> None:
    # ECDSA's per-signature k and ML-DSA's hedged rnd come from the provider's DRBG: the same k in two
    # processes would give the private key away from two signatures.
    setup = f"""
key = keys.generate_signing_key({scheme!r})
key.sign(b"warm-up")
"""
    body = """
signature = key.sign(b"the same message")
key.verifying_key().verify(signature, b"the same message")
out["signature"] = signature.hex()
"""
    parent, child = forked(state_paths, body, setup)
    assert parent["signature"] != child["signature"]


def test_generated_keys_differ_between_parent_and_child(state_paths: StatePaths) -> None:
    setup = 'keys.generate_signing_key("ecdsa-p256")  # the private provider context is open'
    body = """
out["ec"] = keys.generate_agreement_key("ecdh-p256").public_bytes("raw").hex()
out["rsa"] = keys.generate_signing_key("rsa-pss", bits=2048).verifying_key().public_bytes().hex()
"""
    parent, child = forked(state_paths, body, setup)
    assert parent["ec"] != child["ec"]
    assert parent["rsa"] != child["rsa"]


HOLDER = """
import threading, time
from fipscrypto import _fork
rand.random_bytes(16)
keys.generate_signing_key("ecdsa-p256")
held = threading.Event()
release = threading.Event()
def hold_every_lock():
    taken = [lock for lock in list(_fork._locks) if lock.acquire(timeout=5)]
    held.set()
    release.wait()
    for lock in taken:
        lock.release()
threading.Thread(target=hold_every_lock, daemon=True).start()
held.wait()
"""


def test_a_fork_while_another_thread_holds_every_lock_does_not_deadlock_the_child(
    state_paths: StatePaths,
) -> None:
    # The parent's side would block on the held locks: it only releases them and reports.
    body = """
if os.getpid() != parent_pid:
    out["random"] = len(rand.random_bytes(32))
    out["digest"] = hashes.digest("sha256", b"x").hex()[:8]
    out["key"] = keys.generate_signing_key("ecdsa-p256").scheme
    out["gcm"] = len(aead.AESGCM(bytes(32)).encrypt(b"m")[1])
    audit.emit("fork-test")
    out["state"] = fipscrypto.info().state.value
else:
    release.set()
    out["parent"] = "released"
"""
    parent, child = forked(state_paths, body, HOLDER + "parent_pid = os.getpid()\n")
    assert parent == {"parent": "released"}
    assert child == {
        "random": 32,
        "digest": "2d711642",
        "key": "ecdsa-p256",
        "gcm": 17,
        "state": "operational",
    }
