"""Known-answer tests of the key derivations: HKDF, PBKDF2, SP 800-108 KBKDF and the SP 800-135 KDFs.

HKDF, PBKDF2 and KBKDF counter mode run in the provider (:mod:`fipscrypto._backend.kdf`); the
protocol KDFs are compositions in :mod:`fipscrypto.kdf`, tested through their unchecked cores in
:mod:`fipscrypto.kdf._core` (``master_secret``, ``key_block``, ``key_schedule``, ``srtp_prf``,
``prf_plus``, ``kbkdf_composed``), which the public services call after their checks, so each
test runs exactly the code its service runs. Every expected
value is copied from a vector file under tests/vectors (named at each constant);
tests/test_selftest_kats.py checks each constant against its file.
"""

from __future__ import annotations

from .registry import expect, register

# The TLS key schedules run in the provider during handshakes: these families run before them.
_TLS_SERVICES = ("tls.server_context", "tls.client_context", "tls.handshake")

# pyca/KDF/rfc-5869-HKDF-SHA256.txt, COUNT = 1 (RFC 5869 A.1, Test Case 1).
_HKDF_IKM = bytes.fromhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b")
_HKDF_SALT = bytes.fromhex("000102030405060708090a0b0c")
_HKDF_INFO = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
_HKDF_PRK = bytes.fromhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
_HKDF_OKM = bytes.fromhex(
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
)

# wycheproof/pbkdf2-hmacsha256-tcid6.json = Wycheproof pbkdf2_hmacsha256_test.json, tcId 6: 4096
# iterations, a 128-bit salt and a 128-bit key (the FIPS provider refuses fewer than 1000 iterations,
# salts under 128 bits and keys under 112 bits; the ACVP PBKDF-1.0 file has HMAC-SHA2-224 cases only).
_PBKDF2_PASSWORD = bytes.fromhex("6b6f67583748447a")
_PBKDF2_SALT = bytes.fromhex("0a8fbd0232a3a7f6e60d6564c92ea35f")
_PBKDF2_ITERATIONS = 4096
_PBKDF2_KEY = bytes.fromhex("c81676dbeb95582c66c3fc2636f1cb7f")

# acvp/KDF-1.0/internalProjection.json, tgId 645 (counter mode, HMAC-SHA2-256, 32-bit counter before
# the fixed data, 512-bit output), tcId 1289.
_KBKDF_KEY = bytes.fromhex("8251dbbca12618ae7cc811b6170358e78189f5eab5574dbae92143602284641a")
_KBKDF_FIXED = bytes.fromhex("f09ca00772e03cf23c0d714ef7b2d5fb")
_KBKDF_OUT = bytes.fromhex(
    "8d46bb2a9faf2056c40ae6d63f28dfad742c97f6a337c91c15c0fda62017ca54"
    "ca4794436f616b2a0531a3f6389b975de6529d13218de597fbcd405c8099f165"
)

# acvp/TLS-v1.2-KDF-RFC7627/internalProjection.json, tgId 1 (SHA2-256, 512-bit key block), tcId 1.
_EMS_PMS = bytes.fromhex(
    "75bf0f2b5c2058813c4bf66eae416c57cc05b7f7d631bc2400fe4372b2271c8d94947b0e380387d3b4dac40f269deb9d"
)
_EMS_SESSION_HASH = bytes.fromhex("15d4a2221a31ebd09626e539a1e136811bbd039353019dec59948b3c1865bcd8")
_EMS_CLIENT_RANDOM = bytes.fromhex("4a36795a5147ce96f33b1d2ef5db049b7ea8f8f5d0c2e7d8cb8fec513afebbfd")
_EMS_SERVER_RANDOM = bytes.fromhex("5e703da483a30b7fe0e7dec61e7fb242d8a1552352c915a794ca8204d855ebc9")
_EMS_MASTER = bytes.fromhex(
    "4ec38663d2cefe30eda0f30957649953a5437d37cdbc409408da44f30bd8d9f280e07ee55233afa69e1c90d8a24239e3"
)
_EMS_KEY_BLOCK = bytes.fromhex(
    "b75c260ab116592109aa4d11593ad9ffe9845d6b3cb2441fd5d932c649cd89da"
    "ca41b39e487c6b2ba0ba9de993fe56b9acff6e9bfbfe16d9fd076204d6fba2e4"
)

# acvp/TLS-v1.3-KDF-RFC8446/internalProjection.json, tgId 3 (SHA2-256, PSK-DHE), tcId 51. The four
# transcript pieces are helloClientRandom, helloServerRandom, finishedServerRandom and
# finishedClientRandom, in the order tls13_key_schedule takes them.
_TLS13_PSK = bytes.fromhex("56288b726c73829f7a3e47b103837c8139acf552e7530c7a710b35ed41191698")
_TLS13_DHE = bytes.fromhex("effe9ec26aa29fd750dfa6a10b944d74071595b27ee88887d5e11c84590b5cc3")
_TLS13_FLIGHTS = (
    bytes.fromhex("e9137679e582ba7c1db41cf725f86c6d09c8c05f297bad9a65b552eaf524fde4"),
    bytes.fromhex("23eccfd030790748c8f8d8a656fd98d717f1b62af3712f97211d2070b499f98a"),
    bytes.fromhex("c750eda6696cd101b142bd79e00e6ac8c5f2c0abc78dd64f4d991326659e9299"),
    bytes.fromhex("62a62fa75563ed4fdcaa0bc16567b314871c304acf06b0ffc3f08c1797594d43"),
)
_TLS13_SECRETS = {  # Tls13Secrets attribute -> the file's value
    "client_early_traffic_secret": bytes.fromhex(
        "3272189698c3594d18f58efa3f12b638a249515099be7a2fa9836babe74f0111"
    ),
    "early_exporter_master_secret": bytes.fromhex(
        "88e078f562cdc930219f6a5e98a1ce8c6e5f3dac5ac516459a96f2ef8f114c66"
    ),
    "client_handshake_traffic_secret": bytes.fromhex(
        "b32306c3ce9932c460a1fe6c0f060593974842036b96fa45049b7352e71c2ad2"
    ),
    "server_handshake_traffic_secret": bytes.fromhex(
        "22787f8ca269d34bc549ac8ba19f2040938a3aa370d7cc9d60f720882b88d01b"
    ),
    "client_application_traffic_secret_0": bytes.fromhex(
        "47d7ea08397b5871154b0fe85584bcc30a87c69e84d69b56007c5b21f76493ba"
    ),
    "server_application_traffic_secret_0": bytes.fromhex(
        "efbdb0c873c0480da57307083839a8984be25b9a8545e4fca029940fe2800565"
    ),
    "exporter_master_secret": bytes.fromhex(
        "8a43d787ee3804ead4a2a5b32972f9896b696295645d7222e1fd081ddd939834"
    ),
    "resumption_master_secret": bytes.fromhex(
        "5f4c961329c91044011acbecb0b289282e0e3fed045cb3ea924dffe5fe654b3d"
    ),
}

# acvp/kdf-components-srtp-1.0/internalProjection.json, tgId 4 (AES-128, kdr 0x02), tcId 31: the six
# session keys of labels 0-5 (srtpKe, srtpKa, srtpKs with the SRTP index; srtcpKe, srtcpKa, srtcpKs
# with the SRTCP index).
_SRTP_KEY = bytes.fromhex("127a535f66d5d43135e5db87f04af2db")
_SRTP_SALT = bytes.fromhex("82d0d04dc693e29e0fe7fecbf041")
_SRTP_KDR = 0x02
_SRTP_INDEX = 0x3D6FECDCE1BE
_SRTCP_INDEX = 0x00001C7B571C
_SRTP_LABELS = tuple(range(6))  # RFC 3711 labels 0-5: RTP and RTCP encryption, authentication, salt
_SRTP_KEYS = (
    bytes.fromhex("a2f4d858ccdf585d9c5ca787c5a3031f"),
    bytes.fromhex("c140c97cac05b2ed338ad353014a90012f37b45c"),
    bytes.fromhex("aa6de94b3bcb5108efd350ad6936"),
    bytes.fromhex("5d3837389eb358b2958c691246dbe03e"),
    bytes.fromhex("5585bccf190691fa3eacc7434c1f7cfa395e67be"),
    bytes.fromhex("ff510b403d64a9d46854055e9871"),
)

# acvp/kdf-components-ikev2-1.0/internalProjection.subset-byte-aligned.json, tgId 11 (SHA2-384), tcId
# 1001: the first three prf outputs (144 bytes) of derivedKeyingMaterial = prf+(SKEYSEED,
# Ni | Nr | SPIi | SPIr) and of derivedKeyingMaterialChild = prf+(SK_d, Ni | Nr), SK_d being the first
# 48 bytes of the former. prf+ (RFC 7296 §2.13) is T1 | T2 | ...: a shorter request gives a prefix.
_IKE_SKEYSEED = bytes.fromhex(
    "dfe21bf46f4d0ae4504793f8083d3533ba3f4143648426a28c9643addb651c5a5b8a111f4ecdc80e9e0a77e1afb7e8f1"
)
_IKE_NI = bytes.fromhex("679deaedaa82b131")
_IKE_NR = bytes.fromhex("af252f289da9e64f")
_IKE_SPI_I = bytes.fromhex("b31b171f17ce75a5")
_IKE_SPI_R = bytes.fromhex("fb98dcffb6182d60")
_IKE_DKM = bytes.fromhex(
    "2b7cb6d439c58aa426e37a20282a077ed696eebb380c0840b9c99fb0138a6472c260301ce6de8b84b13789781924ce70"
    "9cd0a8df6713f4edc88f2da6135ef7c42f75c951b281454f10962e3c85f840f91535d8cd9056c41481833678e2d362e2"
    "668c5b28cfe908917f5b53b6038c062aaade3823f4ecdee42c1d910a16f38b92a0dd1791737d4fea3a243b3f822af7da"
)
_IKE_CHILD = bytes.fromhex(
    "7daeaab6346e8feba2276812694bda2774c28c5ec7b5856203d5cb3fc94e0052da4cf9a082705c76851ff377f8b67a0a"
    "287f1c59baa6fe3d4ed144f151de8490b6e274ba102fc290408b94f9e2d2db4aa653fa6ab544bbe609bb909f575850ec"
    "3c3a3c6fc457212209812fcaeab3be57dc23d5cb56089216ff04393c6b9c45d72b8927b588f70761c9838d757359f72d"
)


@register("hkdf-sha256", "HKDF", services=("kdf.hkdf", "kdf.hkdf_extract", "kdf.hkdf_expand"))
def hkdf_sha256() -> None:
    from fipscrypto._backend import kdf as _kdf  # here, not at import: the family's tests run lazily

    okm = _kdf.hkdf("sha256", _HKDF_IKM, _HKDF_SALT, _HKDF_INFO, len(_HKDF_OKM))
    expect("hkdf-sha256", okm, _HKDF_OKM, "HKDF output keying material")
    expect("hkdf-sha256", _kdf.hkdf_extract("sha256", _HKDF_SALT, _HKDF_IKM), _HKDF_PRK, "HKDF-Extract PRK")
    okm = _kdf.hkdf_expand("sha256", _HKDF_PRK, _HKDF_INFO, len(_HKDF_OKM))
    expect("hkdf-sha256", okm, _HKDF_OKM, "HKDF-Expand output keying material")


@register("pbkdf2-sha256", "PBKDF2", services=("kdf.pbkdf2", "passwords.hash", "passwords.verify"))
def pbkdf2_sha256() -> None:
    from fipscrypto._backend import kdf as _kdf  # here, not at import: the family's tests run lazily

    key = _kdf.pbkdf2("sha256", _PBKDF2_PASSWORD, _PBKDF2_SALT, _PBKDF2_ITERATIONS, len(_PBKDF2_KEY))
    expect("pbkdf2-sha256", key, _PBKDF2_KEY, "PBKDF2-HMAC-SHA-256 derived key")


@register("kbkdf-counter-hmac-sha256", "KBKDF", services=("kdf.kbkdf",))
def kbkdf_counter_hmac_sha256() -> None:
    from fipscrypto._backend import kdf as _kdf  # here, not at import: the family's tests run lazily
    from fipscrypto.kdf import _core

    length = len(_KBKDF_OUT)
    out = _kdf.kbkdf_counter("sha256", _KBKDF_KEY, length, 4, True, _KBKDF_FIXED)
    expect("kbkdf-counter-hmac-sha256", out, _KBKDF_OUT, "KBKDF counter mode (provider)")
    # The composed SP 800-108 loop (feedback, double pipeline, counter inside the fixed data) on the
    # same case: the counter spliced in at bit 0 of the fixed data is the counter before it.
    mac = _kdf.hmac_keyed("sha256", _KBKDF_KEY)
    blocks = -(-length // _kdf.digest_size("sha256"))
    out = _core.kbkdf_composed(mac, blocks, "counter", _KBKDF_FIXED, 32, "middle_fixed", 0, b"")[:length]
    expect("kbkdf-counter-hmac-sha256", out, _KBKDF_OUT, "KBKDF counter mode (composed loop)")


@register(
    "tls12-prf-ems",
    "KDF-TLS",
    services=("kdf.tls12_prf", "kdf.tls12_master_secret", "kdf.tls12_key_block", *_TLS_SERVICES),
)
def tls12_prf_ems() -> None:
    from fipscrypto.kdf import _core  # here, not at import: the family's tests run lazily

    master = _core.master_secret("sha256", _EMS_PMS, _core.EMS_LABEL, _EMS_SESSION_HASH)
    expect("tls12-prf-ems", master, _EMS_MASTER, "TLS 1.2 extended master secret")
    block = _core.key_block(
        "sha256", _EMS_MASTER, _EMS_SERVER_RANDOM, _EMS_CLIENT_RANDOM, len(_EMS_KEY_BLOCK)
    )
    expect("tls12-prf-ems", block, _EMS_KEY_BLOCK, "TLS 1.2 key block")


@register(
    "tls13-kdf",
    "KDF-TLS13",
    services=("kdf.tls13_key_schedule", "kdf.hkdf_expand_label", "kdf.derive_secret", *_TLS_SERVICES),
)
def tls13_kdf() -> None:
    from fipscrypto.kdf import _core  # here, not at import: the family's tests run lazily

    secrets = _core.key_schedule("sha256", _TLS13_PSK, _TLS13_DHE, _TLS13_FLIGHTS)
    computed = b"".join(getattr(secrets, attribute) for attribute in _TLS13_SECRETS)
    expect("tls13-kdf", computed, b"".join(_TLS13_SECRETS.values()), "TLS 1.3 key schedule secrets")


@register("srtp-kdf", "KDF-SRTP", services=("kdf.srtp",))
def srtp_kdf() -> None:
    from fipscrypto.kdf import _core  # here, not at import: the family's tests run lazily

    keys = []
    for label in _SRTP_LABELS:
        index = _SRTCP_INDEX if label in _core.RTCP_LABELS else _SRTP_INDEX
        length = _core.srtp_default_length(label, _SRTP_KEY)
        keys.append(_core.srtp_prf(_SRTP_KEY, _SRTP_SALT, label, index, _SRTP_KDR, length))
    expect("srtp-kdf", b"".join(keys), b"".join(_SRTP_KEYS), "SRTP and SRTCP session keys")


@register("ikev2-prf-plus", "KDF-IKEv2", services=("kdf.ikev2", "ipsec.ikev2"))
def ikev2_prf_plus() -> None:
    from fipscrypto.kdf import _core  # here, not at import: the family's tests run lazily

    seed = _IKE_NI + _IKE_NR + _IKE_SPI_I + _IKE_SPI_R
    dkm = _core.prf_plus("sha384", _IKE_SKEYSEED, seed, len(_IKE_DKM))
    expect("ikev2-prf-plus", dkm, _IKE_DKM, "IKEv2 prf+ keying material (SK_d | SK_ai | ...)")
    child = _core.prf_plus("sha384", _IKE_DKM[:48], _IKE_NI + _IKE_NR, len(_IKE_CHILD))
    expect("ikev2-prf-plus", child, _IKE_CHILD, "IKEv2 prf+ Child SA keying material")
