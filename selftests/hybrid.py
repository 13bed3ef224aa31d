"""Known-answer self-tests of the hybrid KEM combiners (fipscrypto.pqc.hybrid), run before the first
hybrid operation.

Each test takes a private key and a ciphertext in the hybrid's layout, splits them with the hybrid's
own :class:`~fipscrypto.pqc.hybrid.Layout`, decapsulates the components with the primitives the
service uses (the FIPS provider through ``fipscrypto._backend``: the public services pass the gate,
closed while self-tests run), and combines them with the hybrid's combiner; the result must equal the
known answer. No official vectors exist for the TLS hybrids (draft-ietf-tls-ecdhe-mlkem gives none):
their known answers are the concatenation of the components' known answers, in the group's order,
each from a vector file. X25519 is not in the FIPS provider, so the X25519 component of
X25519MLKEM768 and X-Wing is the known X25519 output of the X-Wing draft's vector (computed once,
outside the provider, by tests/test_pqc_selftest.py); everything else is computed here: X-Wing's
SHAKE256 key expansion, the ML-KEM-768 decapsulation and the SHA3-256 combiner.

Every constant names its file and case; tests/test_pqc_selftest.py checks each one against the file.
"""

from __future__ import annotations

import importlib
from typing import Any

from .keys import _ECDH_DIUT, _ECDH_QCAVSX, _ECDH_QCAVSY, _ECDH_Z, _MLKEM_C, _MLKEM_DECAPS_SEED, _MLKEM_K
from .registry import expect, register

_SERVICES = ("pqc.hybrid",)

# cavp/ecdh/KAS_ECC_CDH_PrimitiveTest.txt, [P-384] COUNT = 0: QCAVSx, QCAVSy, dIUT, ZIUT.
_P384_QCAVSX = int(
    "a7c76b970c3b5fe8b05d2838ae04ab47697b9eaf52e764592efda27fe7513272734466b400091adbf2d68c58e0c50066", 16
)
_P384_QCAVSY = int(
    "ac68f19f2e1cb879aed43a9969b91a0839c4c38a49749b661efedf243451915ed0905a32b060992b468c64766fc8437a", 16
)
_P384_DIUT = int(
    "3cc3122a68f0d95027ad38c067916ba0eb8c38894d22e1b15618b6818a661774ad463b205da88cf699ab4d43c9cf98a1", 16
)
_P384_Z = bytes.fromhex(
    "5f9d29dc5e31a163060356213669c8ce132e22f57c9a04f40ba7fcead493b457e5621e766c40a2e3d4d6a04b25e533f1"
)

# hpke-pq/hpke-pq-test-vectors.json, the first case with kem_id 0x0042 (ML-KEM-1024): skRm (the seed
# d || z), enc (the ciphertext c) and shared_secret (K: HPKE uses ML-KEM's K as its shared secret).
_MLKEM1024_SEED = bytes.fromhex(
    "c58f733ea1245a7a54723c30dbf0837acdd7e93c188692523b53b132b993a25af933368a76bbcbf1212e1d34d7128e32"
    "c387dc9b04a7ceb0e2b40e1e5769c57d"
)
_MLKEM1024_C = bytes.fromhex(
    "f4a53a8db87e065bc2929f5d4e827ef6f6aed7c8f457e19dd8d0c1930e3e1bd2ae6183590d45a037d13f5fa7ff1d1d7e"
    "c9873d625fec2727c0a940a66fe5bd6501946f3bfb8f027da703e82ea1d86ac8089d7f6e359e9ac6ec95661be7958489"
    "d48e930e9eb9e77e842adc9774525dafbbb6675727cea9501aeb53a33fe08bdaa43418486d3391add4a6cb72bd6865f6"
    "16e3b9ae4339871e6662f03500e05c0ed883fc3ab9ed8940a7a48037f37b8701dc2daa42469b88086732bca4b7ecfe41"
    "2b5217defa3b0db1df8b7b003938535cfaf72e55ae08fb76687a5268dfc1e3b2d827bb66f2d09a689b69b5d06cc51aef"
    "fd76479fce38e952af5fc0ed1e0195929ba7d1172d509d26b133ec3f415273de4c8acc302435ea4afbfa0cb3e1b669d0"
    "e968f3326da174b10de6e29adcb4970036dd17567b376ad97e0a94d3fe7cbff0daaa3ea698ce12ba7fdede4c51f88502"
    "dddcc5a62a146253464c8f60ecffbf4c1469435c18c3380cb226931804497b9e73f8a0ced189770b626239531b709f9f"
    "c9b299b1f3dd403cdebda088104adac23ede52b4d225b5140f34e3f7da50b8a671807be7c0c408b1b7e665609bb2bf06"
    "80d942d33f99fa24d8f9c9d41ac6d056a5d59de974c0e16dd89e2c9794dc4f2a23f12d4d1dcdcd799ea56a185c045334"
    "8016a4bf05c5daeb71aa8a911eab43d787a81656a4f9a36fac5304ef8949077636b96536dfced3e005d8c30d053f06bc"
    "30bdf97251d842e1a4a1713521bdc43ae1d0af798c33d383e36e1049f7040ca35dcc25537b93411959103e0be8a3c16b"
    "68c499e8f7ed2f18372e6a7d605e5efdaa79d06a78e9e8c1fb47afe30eaf6f1fafad31cf88b39e502b3ac5b183ad3e5f"
    "df90306a8840bc45d44f3ef933482a2a3cb2ac5e5adba06585fe04b5f8260bc0139b7d9892acb3326748aef0d7337122"
    "830e39cee915149ce3e2da5281cd7917930274e74ca46a5078019411dcf662ea4c6fc1647b62653eecbe6114b2b8c7c6"
    "dc4b6f210ec380d093c2674da248029895e2ce8481094ae40a56eb0107e5213556b5af4d1f45fc1d1417d58844d7a116"
    "c308c1c794e3f76efafffc372719aca595f34a6a87eae2211e0d4ba6d6217528bbbd09675105c2358d48d71711bfd64f"
    "42f66179ba845266709e0dbeb2f8f71febc684bf1217e0176406b2eac9ec257c5ab4e1711ba866420da0874895eec278"
    "bbed2aa7546a798d13510bb49929455dcc27791a381d086ef37872d1ec7b3a621bf989667c6804be0dcf1f1d7806cb1e"
    "32db6bd6701089b119b745b7d15b8b4d0d421e1cfbd1adaee71586a2d2a6e289cec185b3ce1e139cb9272bfd145918a0"
    "e7768ece9169197106a3487cab68ebc99f49919d6906953dacfb7ab020045c36db21315004ae7b9632ef1310b657b35e"
    "6f6312329274eea7858c9aca3a3f93eea9e065e9d248b1b5476da95708ee65f1e8b3a7a03d95188f87c504626793b8a4"
    "b87e49bc1da085dac71342b351496e63e00650b1f9751cec64a60f6b7920b9f9eaec00b5788bc77e9a2861501c528be1"
    "1c5d98f6c4e1d8dd3f809456a8963e7511da4438bd0eb8621c210d522a60deb8e0d9c00b7d354e16d7af2969d6417449"
    "3f0205444cee5bfcf21ef34e09c93c7941506e77329723e203c4473c9ed861fdf4a20d96235f5615cdd9f5b6013bef71"
    "fd37b464677f1a802919115f5231602798710ef33495bbb16a0de68d3c0dfd2e1c4833789912ecd7cf41af474f76eb22"
    "ef670176ae9e5418eda91be4853de9c212a14636fc7f804612707981a4097f746d137ff7af79aaf73b9d79b5c1243ec5"
    "ca02fbfc00c12b02bd59d28217c1181f7388332a1362272182d23aa6059a7493586581a5df3452bd414bcc84599bf740"
    "de19a745f40953f87f156b568ba4039e4ecc15e11b9f21f6acc6cffb1da164c0a40323043fc126dec090ecb9054ca3ac"
    "1a245291925b531f6b08d8ea60becb8edbdd2d4ac4b3a6fd5282335737b5c7fea581e2842f7b3b56a694e0b2e9095076"
    "90f2c452d6ec020fb309d12ec0f75117c8cfb10c8a3c3614321beafcf0459d523ee0ceb7e730e3b5d2b1b509e7e5310c"
    "07f9dd4eb5250e550ae084613791b87c107c4c875c6ae44a30eece84d4ba8d45754c7b5c63ba3193bc0c013c1619c2b8"
    "2710fd958a92f99c549a3be20fdb7ce3c2f07dba9b917e81190589c8a0fe95a3"
)
_MLKEM1024_K = bytes.fromhex("a9f5e349635145bb8a06c0b50b027bef523c5868dd3477a8a92cb5deecc4113b")

# xwing/test-vectors.json, the first vector: sk (the seed), ct (ct_M || ct_X), the tail of pk (pk_X)
# and ss; and the components' outputs for that vector: ss_M = ML-KEM-768.Decaps of ct_M under the
# seed SHAKE256(sk, 96)[0:64], ss_X = X25519(sk_X, ct_X), sk_X = SHAKE256(sk, 96)[64:96].
_XWING_SK = bytes.fromhex("7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26")
_XWING_CT = bytes.fromhex(
    "b83aa828d4d62b9a83ceffe1d3d3bb1ef31264643c070c5798927e41fb07914a273f8f96e7826cd5375a283d7da88530"
    "4c5de0516a0f0654243dc5b97f8bfeb831f68251219aabdd723bc6512041acbaef8af44265524942b902e68ffd23221c"
    "da70b1b55d776a92d1143ea3a0c475f63ee6890157c7116dae3f62bf72f60acd2bb8cc31ce2ba0de364f52b8ed38c79d"
    "719715963a5dd3842d8e8b43ab704e4759b5327bf027c63c8fa857c4908d5a8a7b88ac7f2be394d93c3706ddd4e698cc"
    "6ce370101f4d0213254238b4a2e8821b6e414a1cf20f6c1244b699046f5a01caa0a1a55516300b40d2048c77cc73afba"
    "79afeea9d2c0118bdf2adb8870dc328c5516cc45b1a2058141039e2c90a110a9e16b318dfb53bd49a126d6b73f215787"
    "517b8917cc01cabd107d06859854ee8b4f9861c226d3764c87339ab16c3667d2f49384e55456dd40414b70a6af841585"
    "f4c90c68725d57704ee8ee7ce6e2f9be582dbee985e038ffc346ebfb4e22158b6c84374a9ab4a44e1f91de5aac5197f8"
    "9bc5e5442f51f9a5937b102ba3beaebf6e1c58380a4a5fedce4a4e5026f88f528f59ffd2db41752b3a3d90efabe46389"
    "9b7d40870c530c8841e8712b733668ed033adbfafb2d49d37a44d4064e5863eb0af0a08d47b3cc888373bc05f7a33b84"
    "1bc2587c57eb69554e8a3767b7506917b6b70498727f16eac1a36ec8d8cfaf751549f2277db277e8a55a9a5106b23a02"
    "06b4721fa9b3048552c5bd5b594d6e247f38c18c591aea7f56249c72ce7b117afcc3a8621582f9cf71787e183dee0936"
    "7976e98409ad9217a497df888042384d7707a6b78f5f7fb8409e3b535175373461b776002d799cbad62860be70573ecb"
    "e13b246e0da7e93a52168e0fb6a9756b895ef7f0147a0dc81bfa644b088a9228160c0f9acf1379a2941cd28c06ebc80e"
    "44e17aa2f8177010afd78a97ce0868d1629ebb294c5151812c583daeb88685220f4da9118112e07041fcc24d5564a99f"
    "dbde28869fe0722387d7a9a4d16e1cc8555917e09944aa5ebaaaec2cf62693afad42a3f518fce67d273cc6c9fb5472b3"
    "80e8573ec7de06a3ba2fd5f931d725b493026cb0acbd3fe62d00e4c790d965d7a03a3c0b4222ba8c2a9a16e2ac658f57"
    "2ae0e746eafc4feba023576f08942278a041fb82a70a595d5bacbf297ce2029898a71e5c3b0d1c6228b485b1ade509b3"
    "5fbca7eca97b2132e7cb6bc465375146b7dceac969308ac0c2ac89e7863eb8943015b24314cafb9c7c0e85fe543d5665"
    "8c213632599efabfc1ec49dd8c88547bb2cc40c9d38cbd3099b4547840560531d0188cd1e9c23a0ebee0a03d5577d66b"
    "1d2bcb4baaf21cc7fef1e03806ca96299df0dfbc56e1b2b43e4fc20c37f834c4af62127e7dae86c3c25a2f696ac8b589"
    "dec71d595bfbe94b5ed4bc07d800b330796fda89edb77be0294136139354eb8cd37591578f9c600dd9be8ec6219fdd50"
    "7adf3397ed4d68707b8d13b24ce4cd8fb22851bfe9d632407f31ed6f7cb1600de56f17576740ce2a32fc5145030145cf"
    "b97e63e0e41d354274a079d3e6fb2e15"
)
_XWING_PK_X = bytes.fromhex("859edb06eff389b27dce59844570216223593d4ba32d9abac8cd049040ef6534")
_XWING_SS = bytes.fromhex("d2df0522128f09dd8e2c92b1e905c793d8f57a54c3da25861f10bf4ca613e384")
_XWING_SS_M = bytes.fromhex("7631eaf24bcc7ba2d1656d8f53778f8caa5f1ce33180e8ab405b9247eab76dfc")
_XWING_SS_X = bytes.fromhex("1e53cb26910141b4a09b0664deb8ec55376bcdbdfe2bfc8277883939a76d6131")


def _hybrid() -> Any:
    """fipscrypto.pqc.hybrid, imported by name when a test runs (the family's tests run lazily; the
    self-tests depend on the core only, like the core on them)."""
    return importlib.import_module("fipscrypto.pqc.hybrid")


def _point(x: int, y: int, size: int) -> bytes:
    return b"\x04" + x.to_bytes(size, "big") + y.to_bytes(size, "big")


def _ecdh_mlkem(name: str, curve: str, private: bytes, ciphertext: bytes) -> bytes:
    """The secret of the hybrid ``name`` (ECDH first) from a private key d || seed and a ciphertext
    Q || c laid out as draft-ietf-tls-ecdhe-mlkem does: split by the hybrid's layout, each component
    computed by the provider, combined by the hybrid's combiner."""
    from fipscrypto._backend import kem as _kem
    from fipscrypto._backend import keys as _keys

    layout = _hybrid().HYBRIDS[name]
    ct_m, ct_c = layout.split(ciphertext, layout.mlkem_ciphertext_size)
    dk, sk_c = layout.split(private, 64)  # the ML-KEM seed d || z
    ss_m = _kem.decapsulate(_kem.from_seed(layout.mlkem.lower(), dk), ct_m)
    q = _keys.ec_from_encoded(curve, ct_c)
    ss_c = _keys.ec_exchange(_keys.ec_private(curve, int.from_bytes(sk_c, "big")), q)
    secret: bytes = layout.combine(ss_m, ss_c, ct_c, b"")
    return secret


@register("hybrid-secp256r1mlkem768", "Hybrid KEM", services=_SERVICES)
def hybrid_secp256r1mlkem768() -> None:
    name = "hybrid-secp256r1mlkem768"
    private = _ECDH_DIUT.to_bytes(32, "big") + _MLKEM_DECAPS_SEED
    ciphertext = _point(_ECDH_QCAVSX, _ECDH_QCAVSY, 32) + _MLKEM_C
    secret = _ecdh_mlkem("SecP256r1MLKEM768", "p256", private, ciphertext)
    expect(name, secret, _ECDH_Z + _MLKEM_K, "ECDH Z || ML-KEM K")


@register("hybrid-secp384r1mlkem1024", "Hybrid KEM", services=_SERVICES)
def hybrid_secp384r1mlkem1024() -> None:
    name = "hybrid-secp384r1mlkem1024"
    private = _P384_DIUT.to_bytes(48, "big") + _MLKEM1024_SEED
    ciphertext = _point(_P384_QCAVSX, _P384_QCAVSY, 48) + _MLKEM1024_C
    secret = _ecdh_mlkem("SecP384r1MLKEM1024", "p384", private, ciphertext)
    expect(name, secret, _P384_Z + _MLKEM1024_K, "ECDH Z || ML-KEM K")


def _xwing_components(name: str) -> tuple[Any, Any]:
    """(ss_M, ct_X) of the X-Wing vector: its seed expanded (SHAKE256), ct_M decapsulated."""
    from fipscrypto._backend import kem as _kem

    hybrid = _hybrid()
    layout = hybrid.HYBRIDS[name]
    ct_m, ct_x = layout.split(_XWING_CT, layout.mlkem_ciphertext_size)
    dk, _ = hybrid.xwing_expand(_XWING_SK)
    return _kem.decapsulate(_kem.from_seed("ml-kem-768", dk), ct_m), ct_x


@register("hybrid-x25519mlkem768", "Hybrid KEM", services=_SERVICES)
def hybrid_x25519mlkem768() -> None:
    ss_m, ct_x = _xwing_components("X25519MLKEM768")
    secret = _hybrid().HYBRIDS["X25519MLKEM768"].combine(ss_m, _XWING_SS_X, ct_x, _XWING_PK_X)
    expect("hybrid-x25519mlkem768", secret, _XWING_SS_M + _XWING_SS_X, "ML-KEM K || X25519 secret")


@register("hybrid-xwing", "Hybrid KEM", services=_SERVICES)
def hybrid_xwing() -> None:
    ss_m, ct_x = _xwing_components("X-Wing")
    secret = _hybrid().HYBRIDS["X-Wing"].combine(ss_m, _XWING_SS_X, ct_x, _XWING_PK_X)
    expect("hybrid-xwing", secret, _XWING_SS, "SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel)")
