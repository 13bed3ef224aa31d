"""What the services ask the policy, for every algorithm, mode and size they accept.

``python tests/rulebook.py`` activates fipscrypto (strict mode) in a fresh interpreter, so that no
verdict is cached yet, watches every evaluation of a policy (``Policy.check``, through which every
service's question passes), and calls each service with every candidate: the names of the service's
own tables (``_backend`` and the service modules, imported, not copied), the names of the matching
policy vocabulary category, and the sizes around each accepted range. It prints, as JSON:

- ``queries``: each distinct question a service asked (category, name, direction, bits, service);
- ``probes``: each candidate, whether it is in the service's own table, the vocabulary category it
  belongs to, and what the service did with it: ``ok``, ``policy`` (refused by the policy, which was
  asked), ``unavailable`` (AlgorithmUnavailable: documented as not offered), ``invalid`` (refused by
  the service's own code) or ``raw`` (another exception);
- ``tls``: per built-in profile and endpoint kind, what the policy allows and what the endpoint offers;
- ``tls_not_negotiable``: per TLS category, what this OpenSSL cannot negotiate, as measured, and why.

tests/test_rulebook.py judges the result against every built-in profile.
"""

from __future__ import annotations

import contextlib
import json
import sys
import typing
from collections.abc import Callable, Iterable
from typing import Any

import edgelib

import fipscrypto

HASH_PARAMS = ("digest", "hash")  # the parameter that names a hash (its name before and after rename)


class Recorder:
    def __init__(self) -> None:
        self.service = "(activation)"
        self.queries: dict[tuple[Any, ...], str] = {}
        self.probes: list[dict[str, Any]] = []

    def install(self) -> None:
        from fipscrypto.policy import model

        original = model.Policy.check
        recorder = self

        def check(policy: Any, category: str, name: str, **kwargs: Any) -> Any:
            direction = kwargs.get("direction") or model.Direction.APPLY
            key = (category, name, getattr(direction, "value", str(direction)), kwargs.get("bits"))
            recorder.queries.setdefault(key, recorder.service)
            return original(policy, category, name, **kwargs)

        model.Policy.check = check  # type: ignore[method-assign]

    def probe(
        self,
        service: str,
        param: str,
        candidate: object,
        call: Callable[[], object],
        *,
        table: Iterable[object] = (),
    ) -> None:
        from fipscrypto.errors import AlgorithmUnavailable, AuthenticationError, FipsError, PolicyViolation

        self.service = service
        try:
            call()
            outcome, detail = "ok", ""
        except AuthenticationError:
            outcome, detail = "ok", "ran (made-up tag or signature)"  # the policy let it through
        except PolicyViolation as exc:
            outcome, detail = "policy", str(exc)
        except AlgorithmUnavailable as exc:
            outcome, detail = "unavailable", str(exc)
        except FipsError as exc:
            outcome, detail = "invalid", f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            outcome, detail = "raw", f"{type(exc).__name__}: {exc}"
        self.probes.append(
            {
                "service": service,
                "param": param,
                "candidate": candidate if isinstance(candidate, str | int | None) else repr(candidate),
                "in_table": candidate in set(table),
                "category": category_of(candidate),
                "outcome": outcome,
                "detail": " ".join(detail.split())[:160],
            }
        )


def category_of(name: object) -> str | None:
    from fipscrypto.policy.vocabulary import categories

    for category in categories().values():
        if name in category.names:
            return category.name
    return None


def vocabulary(category: str) -> tuple[str, ...]:
    from fipscrypto.policy.vocabulary import categories

    return categories()[category].names


def _call(
    template: edgelib.Template, made: dict[str, Any] | None, replace: dict[str, object]
) -> Callable[[], object]:
    def call() -> object:
        env = edgelib.namespace(template.module, made)
        func = template.callable(env)
        args, kwargs = template.arguments(env)
        bound = __import__("inspect").signature(func).bind(*args, **kwargs)
        bound.apply_defaults()
        bound.arguments.update(replace)
        return func(*bound.args, **bound.kwargs)

    return call


def walk(rec: Recorder) -> None:
    import inspect

    from fipscrypto import aead, hashes, kdf, keys, mac, passwords, rand
    from fipscrypto._backend import hashes as backend_hashes
    from fipscrypto._backend import keys as backend_keys

    hash_table = tuple(backend_hashes.DIGESTS) + tuple(backend_hashes.XOFS)
    # The services built on HMAC (mac, KBKDF's hmac-* PRFs, HMAC_DRBG) take the backend's HMAC table.
    hmac_table = tuple(backend_hashes.HMAC_HASHES)
    hash_names = tuple(dict.fromkeys(hash_table + vocabulary("hash")))
    xofs = tuple(backend_hashes.XOFS)

    def xof_length(name: str) -> dict[str, object]:
        return {"length": 32} if name in xofs else {}

    # Hash names: every entry point with a hash parameter (hashes by its first parameter).
    templates = edgelib.templates()
    made = templates["SigningKey.sign"].module.prepare()
    for entry, template in templates.items():
        holder = made if "made[" in template.source else None
        func = template.callable(edgelib.namespace(template.module, holder))
        params = inspect.signature(func).parameters
        named = [p for p in HASH_PARAMS if p in params]
        if entry.startswith("hashes."):
            named = ["name"] if "name" in params else []
        if not named or entry.startswith(("SigningKey.", "VerifyingKey.")):
            continue
        for name in hash_names:
            extra = xof_length(name) if entry.startswith("hashes.") and "length" in params else {}
            # A KDF's protocol limits its hashes (RFC 8446 B.4, SP 800-135): the hash table is not its own.
            table = (
                ()
                if entry.startswith("kdf.")
                else hmac_table
                if entry.startswith(("mac.", "rand.HmacDrbg"))
                else hash_table
            )
            rec.probe(entry, named[0], name, _call(template, holder, {named[0]: name, **extra}), table=table)

    # HMAC key sizes (the mac category is sized by the key length in bits).
    for size in (1, 8, 10, 13, 14, 16, 20, 28, 32, 48, 64, 128, 129, 256):
        rec.probe("mac.hmac", "key bytes", size, lambda size=size: mac.hmac(bytes(size), b"x"))
        rec.probe(
            "mac.verify_hmac",
            "key bytes",
            size,
            lambda size=size: mac.verify_hmac(bytes(size), b"x", bytes(32)),
        )
    # AES key sizes: AEAD, CMAC, GMAC, key wrap, SRTP (the cipher name carries the key size).
    for size in range(0, 65):
        key = bytes(size)
        rec.probe("aead.AESGCM", "key bytes", size, lambda key=key: aead.AESGCM(key))
        rec.probe("aead.AESCCM", "key bytes", size, lambda key=key: aead.AESCCM(key))
        rec.probe("mac.cmac", "key bytes", size, lambda key=key: mac.cmac(key, b"x"))
        rec.probe("mac.gmac", "key bytes", size, lambda key=key: mac.gmac(key, bytes(12), b"x"))
        rec.probe("aead.wrap", "kek bytes", size, lambda key=key: aead.wrap(key, bytes(16)))
        rec.probe("aead.wrap_pad", "kek bytes", size, lambda key=key: aead.wrap_pad(key, b"x"))
        rec.probe(
            "kdf.srtp_session_keys",
            "master key bytes",
            size,
            lambda key=key: kdf.srtp_session_keys(key, bytes(14), index=0),
        )
    # KBKDF: every mode of its Literal type, every PRF (hmac-<hash> for the hash table, CMAC).
    kbkdf = inspect.signature(kdf.kbkdf).parameters
    modes = typing.get_args(typing.get_type_hints(kdf.kbkdf)["mode"]) if "mode" in kbkdf else ()
    prfs = tuple(dict.fromkeys([f"hmac-{h}" for h in hash_names] + list(vocabulary("mac"))))
    for mode in modes:
        for prf in prfs:
            key = bytes(16) if prf.startswith("cmac") else bytes(32)
            extra: dict[str, object] = {"iv": bytes(16)} if mode == "feedback" else {}
            rec.probe(
                "kdf.kbkdf",
                "mode, prf",
                f"{mode} {prf}",
                lambda m=mode, p=prf, k=key, e=extra: kdf.kbkdf(k, length=32, mode=m, prf=p, **e),
            )
            rec.probes[-1]["category"] = category_of(prf)
            rec.probes[-1]["candidate"] = prf
            rec.probes[-1]["in_table"] = prf.removeprefix("hmac-") in hmac_table

    # Signature schemes: generation (RSA at two sizes only: key generation costs seconds), then RSA
    # sizes through verifying keys made from a modulus (no key generation), then hashes per key.
    curves = tuple(backend_keys.CURVES)
    schemes = tuple(
        dict.fromkeys(
            [f"ecdsa-{c}" for c in curves] + list(backend_keys.MLDSA) + list(vocabulary("signature"))
        )
    )
    signature_table = (
        *(f"ecdsa-{c}" for c in curves),
        *backend_keys.MLDSA,
        "ed25519",
        "ed448",
        "rsa-pss",
        "rsa-pkcs1v15",
    )
    for scheme in schemes:
        bits = {"bits": 2048} if scheme.startswith("rsa-") else {}
        rec.probe(
            "keys.generate_signing_key",
            "scheme",
            scheme,
            lambda s=scheme, b=bits: keys.generate_signing_key(s, **b),
            table=signature_table,
        )
    for bits in (512, 1000, 1024, 2047, 2048, 3072):
        for scheme in ("rsa-pss", "rsa-pkcs1v15"):
            rec.probe(
                "keys.generate_signing_key",
                "scheme, bits",
                f"{scheme} {bits}",
                lambda s=scheme, b=bits: keys.generate_signing_key(s, bits=b),
            )
    for bits in range(1024, keys.RSA_MAX_BITS + 1, 512):
        n = (1 << (bits - 1)) + 1
        for scheme in ("rsa-pss", "rsa-pkcs1v15"):
            rec.probe(
                "keys.rsa_verifying_key",
                "bits",
                f"{scheme} {bits}",
                lambda n=n, s=scheme: keys.rsa_verifying_key(n, 65537, s),
            )
    signers = {
        "rsa-pss": keys.generate_signing_key("rsa-pss", bits=2048),
        "rsa-pkcs1v15": keys.generate_signing_key("rsa-pkcs1v15", bits=2048),
        **{f"ecdsa-{c}": keys.generate_signing_key(f"ecdsa-{c}") for c in curves if c != "secp256k1"},
    }
    sign_param = next(p for p in HASH_PARAMS if p in inspect.signature(keys.SigningKey.sign).parameters)
    verify_param = next(p for p in HASH_PARAMS if p in inspect.signature(keys.VerifyingKey.verify).parameters)
    for scheme, signer in signers.items():
        verifier = signer.verifying_key()
        for name in hash_names:
            rec.probe(
                "SigningKey.sign",
                f"{scheme} {sign_param}",
                name,
                lambda s=signer, h=name: s.sign(b"x", **{sign_param: h}),
                table=backend_keys.HASHES,
            )
            rec.probe(
                "VerifyingKey.verify",
                f"{scheme} {verify_param}",
                name,
                lambda v=verifier, h=name: _verify(v, verify_param, h),
                table=backend_keys.HASHES,
            )

    # Key agreement: every scheme, FFDH with every group (the module's and the vocabulary's).
    agreement_table = (*(f"ecdh-{c}" for c in curves), "ffdh")
    for scheme in dict.fromkeys([f"ecdh-{c}" for c in curves] + list(vocabulary("key-agreement"))):
        group = {"group": "modp2048"} if scheme == "ffdh" else {}
        rec.probe(
            "keys.generate_agreement_key",
            "scheme",
            scheme,
            lambda s=scheme, g=group: keys.generate_agreement_key(s, **g),
            table=agreement_table,
        )
    groups = tuple(
        dict.fromkeys([*keys.GROUPS, *(g for g in vocabulary("tls-group") if g.startswith("ffdhe"))])
    )
    for group in groups:
        rec.probe(
            "keys.generate_agreement_key",
            "group",
            group,
            lambda g=group: keys.generate_agreement_key("ffdh", group=g),
            table=keys.GROUPS,
        )

    # Password hashing schemes, the DRBG's hashes.
    for scheme in dict.fromkeys(["pbkdf2-sha512", "argon2id", *vocabulary("password-hash")]):
        rec.probe("passwords.hash", "scheme", scheme, lambda s=scheme: passwords.hash("pw", scheme=s))
    drbg_param = next(p for p in HASH_PARAMS if p in inspect.signature(rand.HmacDrbg).parameters)
    for name in hash_names:
        rec.probe(
            "rand.HmacDrbg",
            drbg_param,
            name,
            lambda h=name: rand.HmacDrbg(**{drbg_param: h}).generate(16),
            table=hmac_table,
        )
    del hashes


def _verify(verifier: Any, param: str, name: str) -> None:
    from fipscrypto.errors import InvalidSignature

    with contextlib.suppress(InvalidSignature):  # the policy was asked before the signature was checked
        verifier.verify(b"\x30\x00", b"x", **{param: name})


def tls_offers(rec: Recorder) -> list[dict[str, Any]]:
    """Per profile and endpoint kind: what the policy allows (acceptable, vocabulary order) and what
    the endpoint settings offer, per TLS category (policy names), given what this OpenSSL can
    negotiate as the contexts are (``tls.openssl.capability()``, the measurement the provider record
    keeps)."""
    from fipscrypto import policy, tls
    from fipscrypto.policy.vocabulary import categories
    from fipscrypto.tls import settings as tls_settings
    from fipscrypto.tls.openssl import capability

    vocab = categories()
    negotiable = capability()
    found = []
    for profile in policy.builtin_names():
        rules = policy.builtin(profile)
        for protocol in typing.get_args(tls_settings.Protocol):
            for post_quantum in (False, True):
                rec.service = f"tls.endpoint_settings({profile}, {protocol})"
                entry: dict[str, Any] = {
                    "profile": profile,
                    "protocol": protocol,
                    "post_quantum": post_quantum,
                }
                try:
                    made = tls.endpoint_settings(
                        tls.PolicyRef(profile),
                        service="tls.client_context",
                        protocol=protocol,
                        post_quantum=post_quantum,
                        negotiable=negotiable,
                    )
                except Exception as exc:
                    entry["error"] = f"{type(exc).__name__}: {exc}"
                    found.append(entry)
                    continue
                reverse = {
                    c: {vocab[c].openssl_name(n): n for n in vocab[c].names}
                    for c in ("tls12-suite", "tls-group", "tls-sigalg")
                }
                offered = {
                    "tls-version": list(made.versions),
                    "tls12-suite": [reverse["tls12-suite"].get(s, s) for s in made.tls12_suites],
                    "tls13-suite": list(made.tls13_suites) if protocol == "tls" else [],
                    "tls-group": [reverse["tls-group"].get(g, g) for g in made.groups],
                    "tls-sigalg": [reverse["tls-sigalg"].get(s, s) for s in made.sigalgs],
                }
                allowed = {}
                for category in offered:
                    names = vocab[category].names
                    if category == "tls-version":
                        names = tuple(n for n in names if n.startswith(protocol))
                    if category == "tls13-suite" and protocol != "tls":
                        names = ()
                    if not post_quantum:
                        names = tuple(n for n in names if n not in vocab[category].post_quantum)
                    allowed[category] = rules.allowed_names(category, names)
                entry |= {"offered": offered, "allowed": allowed}
                found.append(entry)
    return found


def tls_not_negotiable() -> dict[str, dict[str, str]]:
    """Per TLS category, each name this OpenSSL cannot negotiate, as measured, with its reason."""
    from fipscrypto.policy.vocabulary import categories
    from fipscrypto.tls.openssl import capability

    vocab = categories()
    refused = dict(capability().refused)  # suites in OpenSSL's spelling, versions in the policy's
    return {
        category: {
            name: refused[vocab[category].openssl_name(name)]
            for name in vocab[category].names
            if vocab[category].openssl_name(name) in refused
        }
        for category in ("tls-version", "tls12-suite", "tls13-suite")
    }


def main() -> None:
    fipscrypto.activate("strict")
    rec = Recorder()
    rec.install()
    walk(rec)
    tls = tls_offers(rec)
    from fipscrypto.tls import names

    peer_names = {
        "tls-sigalg": sorted(set(names.SIGNATURE_SCHEMES.values())),
    }
    queries = [[*key, service] for key, service in rec.queries.items()]
    print(
        json.dumps(
            {
                "queries": queries,
                "probes": rec.probes,
                "tls": tls,
                "tls_not_negotiable": tls_not_negotiable(),
                "peer_names": peer_names,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
