"""Every P-curve case of NIST's ECC CDH primitive vectors through the public fipscrypto.keys service.

tests/vectors/cavp/ecdh/KAS_ECC_CDH_PrimitiveTest.txt (CAVS 14.1, SP 800-56A §5.7.1.2; SOURCES.md):
each case gives the peer's public key QCAVS, the IUT's private key dIUT with its public key QIUT, and
the shared secret ZIUT. The private key is imported from its scalar, the peer key from its point
(full public-key validation), and Z is agreed: the public key must equal QIUT and Z must equal ZIUT.
Curves fipscrypto does not offer (P-192; the binary K- and B- curves of the NIST set) are counted
per curve instead, so the totals account for every case of the file.
"""

from __future__ import annotations

from collections import Counter

from fipscrypto import indicator, keys

from vectorlib import VECTORS, blocks

FILE = VECTORS / "cavp" / "ecdh" / "KAS_ECC_CDH_PrimitiveTest.txt"
OFFERED = {"P-224": "ecdh-p224", "P-256": "ecdh-p256", "P-384": "ecdh-p384", "P-521": "ecdh-p521"}
SIZES = {"P-224": 28, "P-256": 32, "P-384": 48, "P-521": 66}  # field element octets (SEC 1 §2.3.5)


def _point(case: dict[str, str], prefix: str, size: int) -> bytes:
    """The uncompressed point (SEC 1 §2.3.3) of the case's ``<prefix>x`` and ``<prefix>y``."""
    x, y = (int(case[prefix + axis], 16) for axis in ("x", "y"))
    return b"\x04" + x.to_bytes(size, "big") + y.to_bytes(size, "big")


def test_every_p_curve_case_agrees_through_the_public_service() -> None:
    ran: Counter[str] = Counter()
    not_offered: Counter[str] = Counter()
    for case in blocks(FILE):
        if "COUNT" not in case:
            continue  # the header comment block has no case
        curve = case["section"]
        if curve not in OFFERED:
            not_offered[curve] += 1
            continue
        scheme, size = OFFERED[curve], SIZES[curve]
        mine = keys.agreement_key_from_private_value(scheme, int(case["dIUT"], 16))
        assert mine.public_bytes("raw") == _point(case, "QIUT", size), (curve, case["COUNT"])
        peer = keys.load_agreement_public_key(_point(case, "QCAVS", size), scheme, encoding="raw")
        z = mine.exchange(peer)
        assert z.hex() == case["ZIUT"], (curve, case["COUNT"])
        assert indicator.last() == indicator.Operation("keys.agree", scheme, True)
        ran[curve] += 1
    assert ran == {"P-224": 25, "P-256": 25, "P-384": 25, "P-521": 25}
    # This copy of the NIST file holds its P-curve sections only (SOURCES.md): no K-/B- case to count.
    assert not_offered == {"P-192": 25}
    assert sum(ran.values()) + sum(not_offered.values()) == FILE.read_text().count("COUNT = ")
