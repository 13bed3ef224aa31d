"""The IKEv2 key schedule (RFC 7296 §2.13-2.18, RFC 9370 §2.2.2 and §2.2.4) on fipscrypto.kdf's
SP 800-135 IKEv2 KDF.

An :class:`IkeSa` holds the keys of one IKE SA: made from the IKE_SA_INIT shared secret, updated by
each RFC 9370 additional key exchange, the parent of Child SA keying material and of the next IKE SA
(rekeying). It checks what the IKE layer must check before deriving (nonce and SPI sizes, the order
of the exchanges) and asks the policy for every transform (:mod:`._suites`). Its keys are dropped
when the module enters ERROR: every method then raises ModuleErrorState.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from .. import kdf, rand
from .._params import byte_string, integer
from .._service import REVOKED, hold, record
from ..errors import AlgorithmUnavailable, InvalidParameter
from ..kdf import IkeSaKeys
from ..kdf._common import digest_length
from ._suites import SERVICE, ChildSuite, IkeSuite, authorize_child, authorize_ike
from .esp import SecurityAssociation
from .iana import ENCRYPTION, INTEGRITY, KEY_EXCHANGE
from .transforms import ALGORITHMS

__all__ = ["ChildSaKeys", "DirectionKeys", "IkeSa", "Role", "nonce", "spi"]

Role = Literal["initiator", "responder"]
_MIN_NONCE, _MAX_NONCE = 16, 256  # RFC 7296 §3.9: "between 16 and 256 octets"


def nonce(length: int = 32) -> bytes:
    """A fresh Ni or Nr from the FIPS provider's DRBG (RFC 7296 §2.10: "randomly chosen, at least 128
    bits in size, and at least half the key size of the negotiated" PRF; 32 bytes suit every PRF)."""
    return rand.random_bytes(integer("length", length, _MIN_NONCE, _MAX_NONCE))


def spi() -> bytes:
    """A fresh 8-byte IKE SA SPI (RFC 7296 §3.1: "This value MUST NOT be zero")."""
    while True:
        value = rand.random_bytes(8)
        if any(value):
            return value


def _nonce(what: str, value: object, *digests: str) -> bytes:
    """RFC 7296 §2.10: a nonce of 16..256 bytes and "at least half the key size of the negotiated
    pseudorandom function (PRF)" (the PRF's preferred key size: its output length) of each PRF."""
    data = byte_string(what, value)
    half = max((digest_length(digest) + 1) // 2 for digest in digests)
    if not max(_MIN_NONCE, half) <= len(data) <= _MAX_NONCE:
        raise InvalidParameter(
            f"{what} must be {max(_MIN_NONCE, half)}..{_MAX_NONCE} bytes with this PRF (RFC 7296 §2.10), "
            f"not {len(data)}"
        )
    return data


def _spi(what: str, value: object) -> bytes:
    data = byte_string(what, value)
    if len(data) != 8 or not any(data):
        raise InvalidParameter(f"{what} is 8 bytes, not all zero (RFC 7296 §3.1)")
    return data


def _secrets(value: object, count: int, why: str) -> tuple[bytes, ...]:
    if not isinstance(value, list | tuple) or len(value) != count:
        raise InvalidParameter(f"shared_secrets: {count} expected ({why})")
    return tuple(byte_string("a shared secret", item) for item in value)


def _stirred(secrets: Sequence[bytes], ni: bytes, nr: bytes) -> bytes:
    """RFC 9370 §2.2.4: "SK(0) | Ni | Nr | SK(1) | ... SK(n)" (RFC 7296 §2.17/§2.18 with n = 0,
    "g^ir (new) | Ni | Nr"; with no key exchange, "Ni | Nr")."""
    return (secrets[0] if secrets else b"") + ni + nr + b"".join(secrets[1:])


@dataclass(frozen=True, slots=True, repr=False)
class DirectionKeys:
    """The ESP keys of one direction: ``encryption`` is the cipher key followed by its salt (RFC 4106
    §8.1: "the remaining four octets are used as the salt value"), ``integrity`` empty for AEAD."""

    encryption: bytes
    integrity: bytes

    def __repr__(self) -> str:
        return (
            f"DirectionKeys(<encryption {len(self.encryption)} bytes, integrity {len(self.integrity)} bytes>)"
        )

    @property
    def key(self) -> bytes:
        """The keying material an ESP SA takes: encryption key (and salt) then integrity key."""
        return self.encryption + self.integrity


@dataclass(frozen=True, slots=True, repr=False)
class ChildSaKeys:
    """A Child SA's KEYMAT split per RFC 7296 §2.17: "All keys for SAs carrying data from the initiator
    to the responder are taken before SAs going from the responder to the initiator", and within one
    direction "the encryption key(s) are taken from the first bits and the integrity key(s) are taken
    from the remaining bits"."""

    suite: ChildSuite
    initiator: DirectionKeys  # protects what the initiator sends
    responder: DirectionKeys  # protects what the responder sends

    def __repr__(self) -> str:
        return f"ChildSaKeys({self.suite.encryption}-{self.suite.key_bits}, <keys>)"

    def outbound(self, role: Role) -> DirectionKeys:
        """The keys ``role`` sends with."""
        return self.initiator if _role(role) == "initiator" else self.responder

    def inbound(self, role: Role) -> DirectionKeys:
        """The keys ``role`` receives with."""
        return self.responder if _role(role) == "initiator" else self.initiator

    @property
    def esp_algorithm(self) -> str:
        """The name :class:`~fipscrypto.ipsec.SecurityAssociation` gives this suite's transforms."""
        suite = self.suite
        wanted = (suite.encryption, suite.integrity or "AUTH_NONE", suite.key_bits)
        for name, algorithm in ALGORITHMS.items():
            if (algorithm.encryption, algorithm.integrity, algorithm.bits) == wanted:
                return name
        raise AlgorithmUnavailable(
            f"ESP offers no SA for {suite.encryption}-{suite.key_bits} with {wanted[1]}"
        )

    def security_associations(
        self, role: Role, *, outbound_spi: int, inbound_spi: int, **options: Any
    ) -> tuple[SecurityAssociation, SecurityAssociation]:
        """(the SA ``role`` encapsulates with, the SA it decapsulates with): ESP SAs under this Child
        SA's keys, the SPIs each side chose (RFC 7296 §3.3.1: the inbound SPI is the receiver's),
        ``options`` for both (mode, tunnel, replay_window...; ``esn`` is the suite's)."""
        algorithm, esn = self.esp_algorithm, self.suite.esn
        out = SecurityAssociation(
            outbound_spi, self.outbound(role).key, algorithm=algorithm, esn=esn, **options
        )
        into = SecurityAssociation(
            inbound_spi, self.inbound(role).key, algorithm=algorithm, esn=esn, **options
        )
        return out, into


def _role(value: object) -> Role:
    if value == "initiator":
        return "initiator"
    if value == "responder":
        return "responder"
    raise InvalidParameter(f"role is 'initiator' or 'responder', not {value!r:.20}")


def _sizes(suite: IkeSuite) -> tuple[int, int]:
    """(SK_e length including the salt, SK_a length): RFC 7296 §2.14 "the negotiated transforms' key
    lengths"; RFC 5282 §7.1 adds the AEAD salt to SK_ei/SK_er and uses no SK_ai/SK_ar."""
    info = ENCRYPTION[suite.encryption]
    integrity = INTEGRITY[suite.integrity].key_length if suite.integrity else 0
    return suite.key_bits // 8 + (info.ike_salt or 0), integrity


class IkeSa:
    """The keys of one IKE SA and the state of its key exchanges.

    ``IkeSa(suite, shared_secret, ni=, nr=, spi_i=, spi_r=)`` runs RFC 7296 §2.14 on the IKE_SA_INIT
    key exchange's shared secret g^ir: SKEYSEED = prf(Ni | Nr, g^ir), then {SK_d | SK_ai | SK_ar |
    SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). When the suite has RFC 9370
    additional key exchanges, :meth:`add_key_exchange` takes each one's secret in ADDKE order; Child
    SAs and AUTH wait until all are done (:attr:`pending`).
    """

    __slots__ = ("__weakref__", "_keys", "_pending", "ni", "nr", "spi_i", "spi_r", "suite")

    def __init__(
        self, suite: IkeSuite, shared_secret: bytes, *, ni: bytes, nr: bytes, spi_i: bytes, spi_r: bytes
    ) -> None:
        if type(suite) is not IkeSuite:
            raise InvalidParameter(f"suite is an IkeSuite, not {type(suite).__name__}")
        digest = suite.digest
        ni, nr = _nonce("ni", ni, digest), _nonce("nr", nr, digest)
        spi_i, spi_r = _spi("spi_i", spi_i), _spi("spi_r", spi_r)
        secret = byte_string("shared_secret", shared_secret)
        approved = authorize_ike(suite)
        skeyseed = kdf.ikev2_skeyseed(ni, nr, secret, digest=digest)
        self._set(suite, ni, nr, spi_i, spi_r)
        self._keys: Any = self._derive(skeyseed)
        self._pending = suite.additional
        record(SERVICE, f"ikev2-{suite.prf}", approved)
        hold(self)

    def _set(self, suite: IkeSuite, ni: bytes, nr: bytes, spi_i: bytes, spi_r: bytes) -> None:
        self.suite, self.ni, self.nr, self.spi_i, self.spi_r = suite, ni, nr, spi_i, spi_r

    def _derive(self, skeyseed: bytes) -> IkeSaKeys:
        e_len, a_len = _sizes(self.suite)
        return kdf.ikev2_derive_sk(
            skeyseed,
            self.ni,
            self.nr,
            self.spi_i,
            self.spi_r,
            encryption_key_length=e_len,
            integrity_key_length=a_len,
            digest=self.suite.digest,
        )

    def _revoke(self) -> None:
        self._keys = REVOKED

    def __repr__(self) -> str:
        return (
            f"IkeSa({self.suite.encryption}-{self.suite.key_bits}, {self.suite.prf}, pending={self.pending})"
        )

    @property
    def keys(self) -> IkeSaKeys:
        """SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr (ModuleErrorState once revoked)."""
        keys = self._keys
        if keys is REVOKED:
            REVOKED._refuse()
        return cast(IkeSaKeys, keys)

    @property
    def pending(self) -> tuple[int, ...]:
        """The additional key exchange methods still to run, in order (RFC 9370 §2.2.1)."""
        return self._pending

    def ready(self) -> IkeSaKeys:
        """The keys, once every additional key exchange is done (RFC 9370 §2.2.2: the IKE_AUTH
        exchange follows the last IKE_INTERMEDIATE one)."""
        keys = self.keys
        if self._pending:
            names = ", ".join(KEY_EXCHANGE[m].name for m in self._pending)
            raise InvalidParameter(f"the additional key exchanges ({names}) are not done (RFC 9370 §2.2.2)")
        return keys

    def add_key_exchange(self, shared_secret: bytes) -> None:
        """Mix the next additional key exchange's secret SK(n) in (RFC 9370 §2.2.2):

            SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr)
            {SK_d(n) | SK_ai(n) | SK_ar(n) | SK_ei(n) | SK_er(n) | SK_pi(n) | SK_pr(n)}
                = prf+ (SKEYSEED(n), Ni | Nr | SPIi | SPIr)

        "Ni and Nr are nonces from the IKE_SA_INIT exchange"; all seven keys are replaced."""
        keys = self.keys
        secret = byte_string("shared_secret", shared_secret)
        if not self._pending:
            raise InvalidParameter("no additional key exchange is pending (RFC 9370 §2.2.1)")
        approved = authorize_ike(self.suite)
        skeyseed = kdf.ikev2_prf(keys.sk_d, _stirred((secret,), self.ni, self.nr), digest=self.suite.digest)
        self._keys = self._derive(skeyseed)
        self._pending = self._pending[1:]
        record(SERVICE, f"ikev2-{self.suite.prf}", approved)

    def child_sa(
        self,
        suite: ChildSuite,
        *,
        ni: bytes | None = None,
        nr: bytes | None = None,
        shared_secrets: Sequence[bytes] = (),
    ) -> ChildSaKeys:
        """A Child SA's keying material (RFC 7296 §2.17; RFC 9370 §2.2.4):

            KEYMAT = prf+(SK_d, Ni | Nr)                                   no KE (and IKE_AUTH)
            KEYMAT = prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n))     with KE: PFS

        ``ni``/``nr``: the CREATE_CHILD_SA nonces; left out, the IKE_SA_INIT ones (the first Child SA,
        made in IKE_AUTH). ``shared_secrets``: with a KE method in the suite, SK(0) of its KE payloads
        then one per additional key exchange (IKE_FOLLOWUP_KE), in order; without one, none.
        """
        keys = self.ready()
        if type(suite) is not ChildSuite:
            raise InvalidParameter(f"suite is a ChildSuite, not {type(suite).__name__}")
        if (ni is None) != (nr is None):
            raise InvalidParameter("give both CREATE_CHILD_SA nonces, or neither (IKE_AUTH's Child SA)")
        digest = self.suite.digest
        n_i = self.ni if ni is None else _nonce("ni", ni, digest)
        n_r = self.nr if nr is None else _nonce("nr", nr, digest)
        count = 0 if suite.ke is None else 1 + len(suite.additional)
        if count and ni is None:
            raise InvalidParameter("a Child SA with a KE method is made in CREATE_CHILD_SA: give its nonces")
        secrets = _secrets(shared_secrets, count, "one per key exchange of the Child SA suite")
        approved = authorize_child(suite)
        info = ENCRYPTION[suite.encryption]
        e_len = suite.key_bits // 8 + info.esp_salt
        a_len = INTEGRITY[suite.integrity].key_length if suite.integrity else 0
        keymat = kdf.ikev2_prf_plus(
            keys.sk_d, _stirred(secrets, n_i, n_r), length=2 * (e_len + a_len), digest=digest
        )
        half = e_len + a_len
        initiator = DirectionKeys(keymat[:e_len], keymat[e_len:half])
        responder = DirectionKeys(keymat[half : half + e_len], keymat[half + e_len :])
        record(SERVICE, f"ikev2-child-{suite.encryption}", approved)
        return ChildSaKeys(suite, initiator, responder)

    def rekey(
        self,
        suite: IkeSuite,
        shared_secrets: Sequence[bytes],
        *,
        ni: bytes,
        nr: bytes,
        spi_i: bytes,
        spi_r: bytes,
    ) -> IkeSa:
        """The new IKE SA of a CREATE_CHILD_SA rekey (RFC 7296 §2.18; RFC 9370 §2.2.4):

            SKEYSEED = prf(SK_d (old), SK(0) | Ni | Nr | SK(1) | ... | SK(n))

        then the new SA's seven keys as in §2.14 with the new nonces and SPIs. "Because the rekeying
        exchange belongs to the old IKE SA, it is the old IKE SA's PRF that is used to generate
        SKEYSEED"; prf+ is the new SA's. ``shared_secrets``: SK(0), then one per additional key
        exchange of ``suite`` (IKE_FOLLOWUP_KE)."""
        keys = self.ready()
        if type(suite) is not IkeSuite:
            raise InvalidParameter(f"suite is an IkeSuite, not {type(suite).__name__}")
        n_i = _nonce("ni", ni, self.suite.digest, suite.digest)
        n_r = _nonce("nr", nr, self.suite.digest, suite.digest)
        spis = _spi("spi_i", spi_i), _spi("spi_r", spi_r)
        secrets = _secrets(shared_secrets, 1 + len(suite.additional), "SK(0) and one per ADDKE")
        approved = authorize_ike(suite)
        skeyseed = kdf.ikev2_prf(keys.sk_d, _stirred(secrets, n_i, n_r), digest=self.suite.digest)
        new = IkeSa.__new__(IkeSa)
        new._set(suite, n_i, n_r, *spis)
        new._keys = new._derive(skeyseed)
        new._pending = ()  # the additional exchanges of a rekey ran before it (IKE_FOLLOWUP_KE)
        hold(new)
        record(SERVICE, f"ikev2-{suite.prf}", approved)
        return new
