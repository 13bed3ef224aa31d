"""The record of one handshake: what was negotiated, with whom; never keys, secrets or payload."""

from __future__ import annotations

from dataclasses import dataclass

from .certs import CertificateSummary

__all__ = ["TLSParameters"]


@dataclass(frozen=True, slots=True)
class TLSParameters:
    """What one completed handshake negotiated (names as in the IANA registries and the policy).

    ``signature_algorithm`` is the scheme the peer signed the handshake with (its CertificateVerify, or
    a TLS 1.2 server's ServerKeyExchange); ``local_signature_algorithm`` is ours. Either is None when no
    signature was made (resumption, a client without certificate) or the stack cannot tell (stdlib).
    ``extended_master_secret`` is True for TLS 1.3, whose key schedule always binds the transcript
    (RFC 8446 Appendix D asks APIs to report it so), None when the stack cannot tell (stdlib).
    """

    role: str  # "client" or "server": this endpoint's
    version: str  # "TLSv1.3"
    suite: str  # "TLS_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    group: str | None  # "secp256r1", "SecP256r1MLKEM768"
    signature_algorithm: str | None  # the peer's, e.g. "ecdsa_secp256r1_sha256"
    local_signature_algorithm: str | None
    extended_master_secret: bool | None
    alpn: str | None
    resumed: bool
    peer_certificate: CertificateSummary | None
    peer_chain: tuple[CertificateSummary, ...]  # end entity first, as checked
    policy: str
    approved: bool  # every negotiated item approved (the service indicator's verdict)
    fips_boundary: bool  # False: a stdlib context, on the system OpenSSL outside the FIPS boundary

    def audit_fields(self) -> dict[str, object]:
        """The ``tls-handshake`` audit event's fields (docs/tls.md, "Audit")."""
        peer = self.peer_certificate
        return {
            "role": self.role,
            "version": self.version,
            "suite": self.suite,
            "group": self.group,
            "signature_algorithm": self.signature_algorithm,
            "extended_master_secret": self.extended_master_secret,
            "resumed": self.resumed,
            "peer_subject": peer.subject if peer else None,
            "peer_issuer": peer.issuer if peer else None,
            "peer_serial": peer.serial if peer else None,
            "peer_fingerprint_sha256": peer.fingerprint_sha256 if peer else None,
            "policy": self.policy,
            "approved": self.approved,
            "fips_boundary": self.fips_boundary,
        }
