"""The exceptions fipscrypto raises.

Every error derives from :class:`FipsError`. Errors about the provider carry a ``remedy``: the next
thing the operator should do, in words. Catch the narrow class when the caller can act on it (e.g.
:class:`ModuleMacMismatch` means "re-run ``fipscheck provider install``"), the wide one otherwise.
"""

from __future__ import annotations

__all__ = [
    "AlgorithmUnavailable",
    "AptUnavailable",
    "AuditError",
    "AuditTrailError",
    "AuthenticationError",
    "BackendUnavailable",
    "CertificateExpired",
    "CertificateKeyRejected",
    "CertificateNotCA",
    "CertificateRejected",
    "CertificateSignatureRejected",
    "CertificateUntrusted",
    "CertificateUsageRejected",
    "EvidenceError",
    "FeatureDisabled",
    "FingerprintMismatch",
    "FingerprintRejected",
    "FipsError",
    "ForkError",
    "HandshakeFailed",
    "HandshakeRejected",
    "HostnameMismatch",
    "InvalidKey",
    "InvalidParameter",
    "InvalidSignature",
    "KeyLimitError",
    "ModeOffWarning",
    "ModuleErrorState",
    "ModuleMacMismatch",
    "ModuleNotFound",
    "NoApplicationProtocol",
    "NoSrtpProfile",
    "NonceReuse",
    "ParseError",
    "PolicyError",
    "PolicyViolation",
    "ProviderLoadFailed",
    "ProviderUnavailable",
    "ReplayError",
    "SelfTestFailure",
    "SequenceExhausted",
    "TLSError",
]


class FipsError(Exception):
    """Base class of every fipscrypto error."""


class ProviderUnavailable(FipsError):
    """The OpenSSL FIPS provider is missing, unusable, or cannot be loaded into this process."""

    def __init__(self, message: str, remedy: str) -> None:
        super().__init__(message, remedy)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        return f"{self.message}\n  what to do: {self.remedy}"


class ModuleNotFound(ProviderUnavailable):
    """No ``fips.so`` was found where it was named or in any known location."""


class ModuleMacMismatch(ProviderUnavailable):
    """The module's HMAC-SHA-256 does not match the ``module-mac`` recorded in ``fipsmodule.cnf``."""


class ProviderLoadFailed(ProviderUnavailable):
    """The provider was found but failed to load: its own power-on self-test or integrity check failed,
    or OpenSSL refused it."""


class AptUnavailable(ProviderUnavailable):
    """The provider package could not be fetched: no apt, no Debian source configured, or apt failed."""


class ModuleErrorState(FipsError):
    """The module is in the ERROR state; no service is available until a self-test run succeeds."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return f"fipscrypto is in the ERROR state ({self.reason}); no service is available"


class AlgorithmUnavailable(FipsError):
    """The loaded provider refused the algorithm (in FIPS mode: it is not an approved service)."""


class PolicyViolation(FipsError):
    """A request for a non-approved algorithm or parameter in strict mode.

    ``verdict`` is the :class:`fipscrypto.policy.Verdict` that refused it (rule, citation, date).
    """

    def __init__(self, message: str, verdict: object | None = None) -> None:
        super().__init__(message)
        self.verdict = verdict


class AuditError(FipsError):
    """An audit sink (a subscriber of :mod:`fipscrypto.audit`) raised; the event still reached every
    other sink. The operation that emitted the event did not run on.

    When the event reports a decision that was already taken (a refusal, a self-test failure), the
    error of that decision is raised instead, with this one as its ``__context__``.
    """


class PolicyError(FipsError):
    """A policy file is invalid: names the file, the line and the key. Nothing was loaded."""

    def __init__(self, path: str, line: int, key: str, message: str) -> None:
        super().__init__(path, line, key, message)
        self.path, self.line, self.key, self.message = path, line, key, message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class SelfTestFailure(FipsError):
    """A known-answer, integrity or conditional self-test failed."""

    def __init__(self, test: str, detail: str) -> None:
        super().__init__(test, detail)
        self.test = test
        self.detail = detail

    def __str__(self) -> str:
        return f"self-test {self.test} failed: {self.detail}"


class ModeOffWarning(UserWarning):
    """Issued when fipscrypto starts with FIPS mode off (development use only)."""


class InvalidParameter(FipsError, ValueError):
    """A service was given a value it cannot accept: a wrong type (``str`` or ``None`` where bytes are
    expected), length, size, range or encoding."""


class AuthenticationError(FipsError):
    """Authentication failed: an AEAD tag, a MAC or a key-unwrap check did not verify.

    Raised without detail on purpose: which byte or field was wrong is not revealed. No output is
    released for data that failed authentication.
    """


class InvalidSignature(AuthenticationError):
    """A signature did not verify."""


class KeyLimitError(FipsError):
    """A key reached its usage limit (e.g. AES-GCM invocations with random nonces, SP 800-38D §8.3)."""


class NonceReuse(FipsError):
    """A nonce was about to be used twice under one key; the operation was refused."""


class ForkError(NonceReuse):
    """A key object that makes its own nonces was used for encryption in the child of ``os.fork()``.

    Parent and child hold copies of the same nonce state, so both would emit the same nonces under one
    key. The child's copy refuses to encrypt (it still decrypts): make a new key object in the child.
    """


class TLSError(FipsError):
    """A TLS endpoint, certificate or handshake broke the policy (``fipscrypto.tls``)."""


class HandshakeRejected(TLSError, PolicyViolation):
    """The peer's handshake broke the policy, whether or not OpenSSL could complete it: TLS 1.2 without
    the extended master secret, or a version, suite, group or signature scheme the policy does not
    allow. ``reason`` names the rule (see docs/tls.md); ``verdict`` is the policy's, when one decided.
    """

    def __init__(self, message: str, reason: str, verdict: object | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.verdict = verdict


class CertificateRejected(TLSError):
    """A certificate chain, the local one or the peer's, failed a check; raised from the handshake itself
    when the peer's chain fails (OpenSSL then sends the alert), or after it.

    ``reason`` is one of ``expired``, ``not-yet-valid``, ``key-not-allowed``, ``key-too-small``,
    ``signature-not-allowed``, ``key-usage``, ``extended-key-usage``, ``not-ca``, ``path-length``,
    ``hostname-mismatch``, ``untrusted``; ``subject`` and ``depth`` (0: the end-entity certificate) name
    the certificate; ``verdict`` is the policy's, when the policy decided.
    """

    def __init__(
        self,
        message: str,
        reason: str,
        *,
        subject: str | None = None,
        depth: int | None = None,
        verdict: object | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.subject = subject
        self.depth = depth
        self.verdict = verdict


class CertificateExpired(CertificateRejected):
    """A certificate is outside its validity period (``expired`` or ``not-yet-valid``; RFC 5280 §4.1.2.5)."""


class CertificateKeyRejected(CertificateRejected, PolicyViolation):
    """A certificate's public key is of a type or size the policy does not allow (``key-too-small``,
    ``key-not-allowed``), e.g. RSA-1024 under SP 800-131A Rev. 2."""


class CertificateSignatureRejected(CertificateRejected, PolicyViolation):
    """A certificate is signed with an algorithm the policy does not allow (``signature-not-allowed``),
    e.g. SHA-1 under SP 800-131A Rev. 2."""


class CertificateUsageRejected(CertificateRejected):
    """The end-entity certificate does not allow the use: ``key-usage`` (no digitalSignature, RFC 8446
    §4.4.2.2) or ``extended-key-usage`` (no serverAuth/clientAuth, RFC 5280 §4.2.1.12)."""


class CertificateNotCA(CertificateRejected):
    """An issuing certificate may not issue: ``not-ca`` (no cA in basicConstraints or no keyCertSign,
    RFC 5280 §4.2.1.9 and §4.2.1.3) or ``path-length`` (pathLenConstraint exceeded)."""


class HostnameMismatch(CertificateRejected):
    """The server certificate does not name the host the client asked for (RFC 6125 §6), or hostname
    verification was on and no host name was given (``hostname-mismatch``)."""


class CertificateUntrusted(CertificateRejected):
    """The chain does not lead to a trusted certificate, or a signature in it does not verify
    (``untrusted``); the message carries OpenSSL's verification error."""


class NoApplicationProtocol(TLSError):
    """The client offered no application protocol (ALPN) the server speaks; RFC 7301 §3.2 has the server
    end the handshake with a no_application_protocol alert."""


class ParseError(InvalidParameter):
    """A packet or attribute is malformed or truncated: an RTP or RTCP header that RFC 3550 §5.1 /
    §6.4 does not allow, an SRTP or SRTCP packet too short for its header, trailer and tag (RFC 3711
    §3.1, §3.4), an SDES ``a=crypto`` attribute outside RFC 4568 §9.1 (the message names the field).
    A kind of :class:`InvalidParameter` (bad input from the caller or the network); the
    stream state is as it was."""


class ReplayError(FipsError):
    """An authentic SRTP or SRTCP packet was already received, or is older than the replay window
    (RFC 3711 §3.3.2); or ``protect`` was asked for a packet index already used; or an ESP packet's
    sequence number was already received or is older than the window (RFC 4303 §3.4.3). Drop the
    packet; the stream or SA state is as it was."""


class HandshakeFailed(TLSError):
    """A DTLS handshake did not complete: the peer ended it with an alert or broke the protocol
    (``reason`` ``protocol``), or it sent no answer through every retransmission (``timeout``, RFC 6347
    §4.2.4). The message carries OpenSSL's reason."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class FingerprintMismatch(CertificateRejected):
    """The certificate the DTLS peer presented does not have the fingerprint its SDP announced (RFC 8122
    §5, RFC 5763 §5; ``reason`` ``fingerprint-mismatch``): the handshake ends with an alert."""


class FingerprintRejected(TLSError, InvalidParameter):
    """An SDP certificate fingerprint by a hash function DTLS-SRTP endpoints here do not pin with
    (sha-1, sha-224, md5, md2; RFC 8122 §5): use sha-256 (RFC 8827 §6.5), sha-384 or sha-512."""


class NoSrtpProfile(HandshakeRejected):
    """The DTLS handshake negotiated no SRTP protection profile (RFC 5764 §4.1.1): the peer offered none
    that the policy allows, or did not offer use_srtp (``reason`` ``no-srtp-profile``)."""


class FeatureDisabled(FipsError):
    """An optional part of fipscrypto was called while it is off: the post-quantum module
    (``fipscrypto.pqc``) is off by default. The message says how to turn it on."""


class BackendUnavailable(FipsError):
    """An implementation a service was asked to use cannot run here (e.g. the ``liboqs`` backend of
    ``fipscrypto.pqc`` when liboqs or liboqs-python is not installed). ``backend`` names it and
    ``remedy`` says how to install it; nothing was downloaded or built."""

    def __init__(self, backend: str, message: str, remedy: str) -> None:
        super().__init__(backend, message, remedy)
        self.backend, self.message, self.remedy = backend, message, remedy

    def __str__(self) -> str:
        return f"{self.message}\n  what to do: {self.remedy}"


class InvalidKey(InvalidParameter):
    """A key failed the check its standard requires before use, e.g. the ML-KEM encapsulation-key
    check (FIPS 203 §7.2: length and modulus) or decapsulation-key check (§7.3: length and hash)."""


class SequenceExhausted(KeyLimitError):
    """An ESP security association sent its last sequence number (2^32 - 1, or 2^64 - 1 with extended
    sequence numbers): RFC 4303 §3.3.3 forbids the counter to cycle, so the SA encapsulates nothing
    more (it still decapsulates). Establish a new SA (rekey)."""


class EvidenceError(FipsError):
    """A file given to ``fipscheck evidence`` or ``fipscheck report`` cannot be used: not a ``--format
    json`` report of a scan or check, not an evidence bundle, not a key of a signing scheme the bundle
    uses, or a value without a canonical JSON form. ``path`` names the file; ``unreadable`` is True
    when it could not be read or parsed at all (exit 3 for ``evidence verify``)."""

    def __init__(self, path: str, message: str, *, unreadable: bool = False) -> None:
        super().__init__(path, message)
        self.path, self.message, self.unreadable = path, message, unreadable

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class AuditTrailError(AuditError):
    """An audit trail file cannot be continued by this writer: it was started with other chain
    parameters (hash or HMAC, key id, checkpoint signer), or its last line is torn or not a trail
    record. ``AuditTrail`` raises it when it is made; later the writer counts it as a failure."""
