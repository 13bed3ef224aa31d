"""What one Python module uses of cryptography, read from its syntax tree (never imported or run).

Names are resolved through the module's imports (``import hashlib as h``, ``from Crypto.Cipher import
DES``, pycryptodomex's ``Cryptodome`` as ``Crypto``), arguments through literals, keyword arguments
and module-level constants (``KEY = b"..."``), and objects through the call that built them
(``c = Cipher(...)``; ``c.decryptor()`` makes it a decryption). The tree is walked iteratively and
constants are resolved to a small depth, so deep nesting costs neither recursion nor time.
"""

from __future__ import annotations

import ast
import re

from fipscrypto.policy import Direction

from .model import Location, Misuse, Use

__all__ = ["analyse"]

SCANNER = "code"
_DEPTH = 4  # how many names deep a constant is followed
_MAX_CONSTANT = 1 << 16  # a constant built by repetition (b"\0" * n) is followed up to this size

_CRYPTOGRAPHY = "cryptography.hazmat.primitives."
_CIPHERS = _CRYPTOGRAPHY + "ciphers."
_ASYM = _CRYPTOGRAPHY + "asymmetric."

# Python spellings of hashes -> policy vocabulary (hashlib names, cryptography and pycryptodome classes)
_HASHES = {
    "md4": "md4", "md5": "md5", "sha": "sha1", "sha1": "sha1", "sha224": "sha224", "sha256": "sha256",
    "sha384": "sha384", "sha512": "sha512", "sha512_224": "sha512-224", "sha512_256": "sha512-256",
    "sha3_224": "sha3-224", "sha3_256": "sha3-256", "sha3_384": "sha3-384", "sha3_512": "sha3-512",
    "shake_128": "shake128", "shake_256": "shake256", "shake128": "shake128", "shake256": "shake256",
    "blake2b": "blake2b", "blake2s": "blake2s", "md2": "md2", "ripemd160": "ripemd160", "sm3": "sm3",
}  # fmt: skip
_CIPHER_NAMES = {  # cryptography algorithms and pycryptodome modules -> vocabulary stem
    "TripleDES": "3des", "DES3": "3des", "DES": "des", "ARC4": "rc4", "ARC2": "rc2", "RC2": "rc2",
    "Blowfish": "blowfish", "IDEA": "idea", "CAST5": "cast5", "CAST": "cast5", "SEED": "seed",
    "SM4": "sm4", "ChaCha20": "chacha20", "Salsa20": "salsa20", "ChaCha20_Poly1305": "chacha20-poly1305",
    "AES": "aes", "Camellia": "camellia",
}  # fmt: skip
_STREAM = {"rc4", "chacha20", "salsa20", "chacha20-poly1305"}
_MODELESS = {"rc4", "rc2", "blowfish", "idea", "cast5", "seed", "chacha20", "salsa20", "chacha20-poly1305"}
_MODES = {"CBC": "cbc", "ECB": "ecb", "CTR": "ctr", "GCM": "gcm", "CFB": "cfb", "CFB8": "cfb",
          "OFB": "ofb", "XTS": "xts", "CCM": "ccm", "EAX": "eax", "SIV": "siv", "OCB": "ocb",
          "OPENPGP": "openpgp"}  # fmt: skip
_AEAD = {"AESGCM": "gcm", "AESCCM": "ccm", "AESOCB3": "ocb", "AESSIV": "siv", "AESGCMSIV": "gcm-siv",
         "ChaCha20Poly1305": "chacha20-poly1305"}  # fmt: skip
_CURVES = {
    "SECP192R1": "p192", "SECP224R1": "p224", "SECP256R1": "p256", "SECP384R1": "p384",
    "SECP521R1": "p521", "SECP256K1": "secp256k1", "BrainpoolP256R1": "brainpoolp256r1",
    "BrainpoolP384R1": "brainpoolp384r1", "BrainpoolP512R1": "brainpoolp512r1",
    "P-192": "p192", "P-224": "p224", "P-256": "p256", "P-384": "p384", "P-521": "p521",
    "secp256r1": "p256", "prime256v1": "p256", "secp384r1": "p384", "secp521r1": "p521",
}  # fmt: skip
_CURVE_BITS = {"p192": 192, "p224": 224, "p256": 256, "p384": 384, "p521": 521, "secp256k1": 256,
               "brainpoolp256r1": 256, "brainpoolp384r1": 384, "brainpoolp512r1": 512}  # fmt: skip
_MONTGOMERY = {"X25519PrivateKey": ("key-agreement", "x25519"),
               "X448PrivateKey": ("key-agreement", "x448"),
               "Ed25519PrivateKey": ("signature", "ed25519"),
               "Ed448PrivateKey": ("signature", "ed448")}  # fmt: skip
_ECC_MONTGOMERY = {"curve25519": ("key-agreement", "x25519"), "x25519": ("key-agreement", "x25519"),
                   "curve448": ("key-agreement", "x448"), "x448": ("key-agreement", "x448"),
                   "ed25519": ("signature", "ed25519"), "ed448": ("signature", "ed448")}  # fmt: skip
_TLS_VERSIONS = {
    "ssl.PROTOCOL_SSLv2": "ssl2", "ssl.PROTOCOL_SSLv3": "ssl3", "ssl.PROTOCOL_TLSv1": "tls1.0",
    "ssl.PROTOCOL_TLSv1_1": "tls1.1", "ssl.PROTOCOL_TLSv1_2": "tls1.2",
    "ssl.TLSVersion.SSLv3": "ssl3", "ssl.TLSVersion.TLSv1": "tls1.0", "ssl.TLSVersion.TLSv1_1": "tls1.1",
    "ssl.TLSVersion.TLSv1_2": "tls1.2", "ssl.TLSVersion.TLSv1_3": "tls1.3",
    "OpenSSL.SSL.SSLv2_METHOD": "ssl2", "OpenSSL.SSL.SSLv3_METHOD": "ssl3",
    "OpenSSL.SSL.TLSv1_METHOD": "tls1.0", "OpenSSL.SSL.TLSv1_1_METHOD": "tls1.1",
    "OpenSSL.SSL.TLSv1_2_METHOD": "tls1.2",
    "OpenSSL.SSL.TLS1_VERSION": "tls1.0", "OpenSSL.SSL.TLS1_1_VERSION": "tls1.1",
}  # fmt: skip
_NO_CERT_CHECK = {"ssl.CERT_NONE", "ssl._create_unverified_context", "OpenSSL.SSL.VERIFY_NONE"}
_RANDOM = {"random", "randint", "randrange", "choice", "choices", "sample", "getrandbits", "randbytes",
           "uniform", "shuffle"}  # fmt: skip
_RANDOM_BYTES = {"getrandbits", "randbytes"}  # key material whatever it is assigned to
_SECRET_NAME = re.compile(r"key|secret|token|passw|nonce|salt|otp|(?:^|_)iv(?:$|_)", re.IGNORECASE)
_RBG = {"os.urandom", "secrets.token_bytes", "Crypto.Random.get_random_bytes"}  # fresh bytes of length arg 0

# rule id -> citation
CITATIONS = {
    "code.constant-key": "NIST SP 800-133 Rev. 2, Section 4 (keys are generated from an approved RBG)",
    "code.constant-iv": "NIST SP 800-38A, Appendix C (CBC and CFB IVs are unpredictable; OFB IVs unique)",
    "code.constant-nonce": "NIST SP 800-38D, Section 8 (an IV never repeats under one key); "
    "SP 800-38A, Appendix B (CTR counter blocks are unique)",
    "code.constant-salt": "NIST SP 800-132, Section 5.1 (the salt is generated by an approved RBG)",
    "code.random-secret": "NIST SP 800-133 Rev. 2, Section 4 (key material from an approved RBG, "
    "SP 800-90A); the random module is not one: use secrets or os.urandom",
    "code.cert-not-verified": "NIST SP 800-52 Rev. 2, Section 3.5 (TLS clients validate the server "
    "certificate path, RFC 5280 Section 6)",
    "code.hostname-not-checked": "NIST SP 800-52 Rev. 2, Section 3.5 (the server identity is checked "
    "against the certificate, RFC 6125 Section 6)",
    "code.hash-not-for-security": "Python hashlib usedforsecurity=False: a declared non-security use, "
    "outside the scope of the FIPS 140-3 approved-algorithm requirements",
}
_MESSAGES = {
    "code.constant-key": "the key is a constant in the source",
    "code.constant-iv": "the IV is a constant in the source",
    "code.constant-nonce": "the nonce is a constant in the source",
    "code.constant-salt": "the salt is a constant in the source",
    "code.random-secret": "the random module generates a secret (predictable: Mersenne Twister)",
    "code.cert-not-verified": "the peer certificate is not verified",
    "code.hostname-not-checked": "the server host name is not checked",
}


def analyse(tree: ast.Module, target: str) -> list[Use | Misuse]:
    """The uses and misuses of cryptography in one parsed module."""
    return _Module(tree, target).found


def _args(call: ast.Call, *names: str) -> list[ast.expr | None]:
    """Each parameter of ``names`` (in the callee's positional order) as passed: by position or keyword."""
    keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
    return [
        keywords.get(name, call.args[i] if i < len(call.args) and not _starred(call, i) else None)
        for i, name in enumerate(names)
    ]


def _starred(call: ast.Call, index: int) -> bool:
    return any(isinstance(a, ast.Starred) for a in call.args[: index + 1])


def _hash_name(name: str) -> str:
    """A hash name as hashlib.new or OpenSSL spells it, in the policy vocabulary ("SHA-256" -> sha256)."""
    key = name.lower().replace("-", "_")
    key = re.sub(r"^sha_(\d)", r"sha\1", key)
    return _HASHES.get(key, key.replace("_", "-"))


class _Module:
    def __init__(self, tree: ast.Module, target: str) -> None:
        self.target = target
        self.found: list[Use | Misuse] = []
        self.aliases: dict[str, str] = {}
        self.constants: dict[str, ast.expr] = {}  # module-level NAME = expression
        self.built: dict[str, ast.Call] = {}  # name -> the call that built the object (last assignment)
        self.methods: dict[str, set[str]] = {}  # name -> methods called on it
        self.consumed: set[int] = set()  # ids of nodes already reported as part of a larger call
        for statement in tree.body:
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
            ):
                self.constants[statement.targets[0].id] = statement.value
        nodes = list(ast.walk(tree))  # breadth first: a call is met before the calls in its arguments
        for node in nodes:
            self._index(node)
        for node in nodes:
            if isinstance(node, ast.Call) and id(node) not in self.consumed:
                self._call(node)
            elif isinstance(node, ast.Attribute | ast.Name) and isinstance(node.ctx, ast.Load):
                self._reference(node)
            elif isinstance(node, ast.Assign):
                self._assignment(node)

    # ------------------------------------------------------------------ resolution

    def _index(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                self.aliases[alias.asname or top] = self._canonical(alias.name if alias.asname else top)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = self._canonical(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.built[target.id] = node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        ):
            self.methods.setdefault(node.func.value.id, set()).add(node.func.attr)

    @staticmethod
    def _canonical(name: str) -> str:
        if name == "Cryptodome" or name.startswith("Cryptodome."):
            name = "Crypto" + name[len("Cryptodome") :]
        return name.replace("cryptography.hazmat.decrepit.", "cryptography.hazmat.primitives.")

    def _qualname(self, node: ast.AST | None) -> str | None:
        """The dotted name an expression refers to, through the module's imports (None if not a name)."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.aliases.get(node.id, node.id))
        return ".".join(reversed(parts))

    def _call_of(self, node: ast.expr | None) -> ast.Call | None:
        """The call an argument is, or that built the object a name holds."""
        if isinstance(node, ast.Name) and node.id in self.built:
            node = self.built[node.id]
        return node if isinstance(node, ast.Call) else None

    def _value(self, node: ast.expr | None, depth: int = 0) -> bytes | str | int | None:
        """The value of a constant expression: literals, module-level names, b"\\0" * n, bytes(n),
        bytes.fromhex("..."), "...".encode(); None when it is not a constant."""
        if node is None or depth > _DEPTH:
            return None
        if isinstance(node, ast.Constant):
            value = node.value
            return value if isinstance(value, bytes | str | int) and not isinstance(value, bool) else None
        if isinstance(node, ast.Name):
            return self._value(self.constants.get(node.id), depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Add):
            left, right = self._value(node.left, depth + 1), self._value(node.right, depth + 1)
            if isinstance(node.op, ast.Add) and type(left) is type(right) and left is not None:
                return left + right  # type: ignore[operator]
            if isinstance(node.op, ast.Mult):
                if isinstance(left, int) and isinstance(right, bytes | str):
                    left, right = right, left
                if (
                    isinstance(left, bytes | str)
                    and isinstance(right, int)
                    and len(left) * right <= _MAX_CONSTANT
                ):
                    return left * right
                if isinstance(left, int) and isinstance(right, int) and left * right <= _MAX_CONSTANT:
                    return left * right
            return None
        if isinstance(node, ast.Call) and len(node.args) == 1:
            name = self._qualname(node.func)
            arg = self._value(node.args[0], depth + 1)
            if name in ("bytes", "bytearray") and isinstance(arg, int) and 0 <= arg <= _MAX_CONSTANT:
                return bytes(arg)
            if name == "bytes.fromhex" and isinstance(arg, str):
                try:
                    return bytes.fromhex(arg)
                except ValueError:
                    return None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "encode":
            text = self._value(node.func.value, depth + 1)
            return text.encode() if isinstance(text, str) else None
        return None

    def _bits(self, node: ast.expr | None) -> int | None:
        """The length in bits of a key, salt or size argument: a constant's, or n * 8 for os.urandom(n),
        secrets.token_bytes(n) and get_random_bytes(n)."""
        value = self._value(node)
        if isinstance(value, bytes | str):
            return len(value) * 8
        call = self._call_of(node)
        if call is not None and self._qualname(call.func) in _RBG and call.args:
            size = self._value(call.args[0])
            return size * 8 if isinstance(size, int) else None
        return None

    def _int(self, node: ast.expr | None) -> int | None:
        value = self._value(node)
        return value if isinstance(value, int) else None

    # ------------------------------------------------------------------ reporting

    def _where(self, node: ast.AST) -> Location:
        line, column = getattr(node, "lineno", None), getattr(node, "col_offset", None)
        return Location(self.target, line, None if column is None else column + 1)

    def _evidence(self, node: ast.AST) -> str:
        name = self._qualname(node.func if isinstance(node, ast.Call) else node)
        return name or type(node).__name__

    def _use(
        self,
        node: ast.AST,
        category: str,
        name: str,
        *,
        bits: int | None = None,
        direction: Direction = Direction.APPLY,
        params: dict[str, int] | None = None,
    ) -> None:
        self.found.append(
            Use(
                self._where(node),
                category,
                name,
                SCANNER,
                bits,
                direction,
                params or {},
                self._evidence(node),
            )
        )

    def _misuse(self, node: ast.AST, rule: str, message: str | None = None, severity: str = "error") -> None:
        text = message or _MESSAGES[rule]
        self.found.append(
            Misuse(self._where(node), rule, text, CITATIONS[rule], SCANNER, severity, self._evidence(node))  # type: ignore[arg-type]
        )

    def _constant(self, node: ast.expr | None, rule: str) -> None:
        if node is not None and self._value(node) is not None:
            self._misuse(node, rule)

    def _direction(self, call: ast.Call, decrypting: str = "decrypt") -> Direction:
        """PROCESS when the object the call builds is only ever used to decrypt, else APPLY."""
        holders = [name for name, built in self.built.items() if built is call]
        used = set().union(*(self.methods.get(name, set()) for name in holders))
        return Direction.PROCESS if used and all(m.startswith(decrypting) for m in used) else Direction.APPLY

    # ------------------------------------------------------------------ what is looked at

    def _reference(self, node: ast.Attribute | ast.Name) -> None:
        name = self._qualname(node)
        if name in _TLS_VERSIONS:
            self._use(node, "tls-version", _TLS_VERSIONS[name])
        elif name in _NO_CERT_CHECK:
            self._misuse(node, "code.cert-not-verified")

    def _assignment(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Constant) and node.value.value is False:
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "check_hostname":
                    self._misuse(target, "code.hostname-not-checked")
        names = [
            t.id if isinstance(t, ast.Name) else t.attr
            for t in node.targets
            if isinstance(t, ast.Name | ast.Attribute)
        ]
        if not any(_SECRET_NAME.search(name) for name in names):
            return
        for inner in ast.walk(node.value):
            if isinstance(inner, ast.Call):
                name = self._qualname(inner.func) or ""
                if name.startswith("random.") and name[7:] in _RANDOM - _RANDOM_BYTES:
                    self._misuse(inner, "code.random-secret")

    def _call(self, call: ast.Call) -> None:
        name = self._qualname(call.func)
        for keyword in call.keywords:
            if (
                keyword.arg == "verify"
                and isinstance(keyword.value, ast.Constant)
                and keyword.value.value is False
            ):
                self._misuse(
                    keyword.value,
                    "code.cert-not-verified",
                    "verify=False: the peer certificate is not verified",
                )
        if isinstance(call.func, ast.Attribute) and call.func.attr in ("encrypt", "decrypt"):
            self._encrypt_call(call)
        if name is None:
            return
        head, _, last = name.rpartition(".")
        for handler in _HANDLERS:
            if handler(self, call, name, head, last):
                return

    def _encrypt_call(self, call: ast.Call) -> None:
        """``key.encrypt(m, padding.PKCS1v15())`` and ``aead.encrypt(nonce, ...)`` with a constant nonce."""
        direction = Direction.APPLY if call.func.attr == "encrypt" else Direction.PROCESS  # type: ignore[attr-defined]
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Call) and self._qualname(arg.func) == _ASYM + "padding.PKCS1v15":
                self.consumed.add(id(arg))
                self._use(call, "key-agreement", "rsa-pkcs1v15-transport", direction=direction)
        receiver = call.func.value  # type: ignore[attr-defined]
        built = self._call_of(receiver)
        if built is not None and direction is Direction.APPLY and call.args:
            builder = self._qualname(built.func) or ""
            if builder.startswith(_CIPHERS + "aead.") or builder.startswith("Crypto.Cipher."):
                self._constant(call.args[0], "code.constant-nonce")

    # each handler: (self, call, qualified name, its module, its last part) -> handled?

    def _hashlib(self, call: ast.Call, name: str, head: str, last: str) -> bool:
        if head not in ("hashlib", "_hashlib") and not (head.startswith("Crypto.Hash.") and last == "new"):
            return False
        if head.startswith("Crypto.Hash."):
            stem = head.rpartition(".")[2]
            if stem == "HMAC":
                return self._pycryptodome_hmac(call)
            algorithm: str | None = _hash_name(stem)
        elif last == "pbkdf2_hmac":
            digest, _, salt, iterations = _args(call, "hash_name", "password", "salt", "iterations")
            named = self._value(digest)
            self._pbkdf2(call, _hash_name(named) if isinstance(named, str) else None, salt, iterations)
            return True
        elif last == "new":
            named = self._value(_args(call, "name")[0])
            algorithm = _hash_name(named) if isinstance(named, str) else None
        elif last.startswith("openssl_"):
            algorithm = _hash_name(last[len("openssl_") :])
        else:
            algorithm = _HASHES.get(last)
        if algorithm is None:
            return last == "new"
        for keyword in call.keywords:
            if (
                keyword.arg == "usedforsecurity"
                and isinstance(keyword.value, ast.Constant)
                and not keyword.value.value
            ):
                text = f"hash {algorithm} declared usedforsecurity=False: not judged as a security use"
                self._misuse(call, "code.hash-not-for-security", text, "note")
                return True
        self._use(call, "hash", algorithm)
        return True

    def _hash_of(self, node: ast.expr | None) -> str | None:
        """The hash a digestmod / algorithm argument names: "sha1", hashlib.sha1, hashes.SHA1(), SHA1."""
        value = self._value(node)
        if isinstance(value, str):
            return _hash_name(value)
        call = self._call_of(node)
        if call is not None:
            self.consumed.add(id(call))
            node = call.func
        name = self._qualname(node)
        if name is None:
            return None
        head, _, last = name.rpartition(".")
        if head.startswith("Crypto.Hash"):
            last = head.rpartition(".")[2] if last == "new" else last
        return (
            _hash_name(last)
            if head in ("hashlib", _CRYPTOGRAPHY + "hashes") or head.startswith("Crypto.Hash")
            else None
        )

    def _hmac(self, call: ast.Call, name: str, head: str, last: str) -> bool:
        if head != "hmac" or last not in ("new", "HMAC", "digest"):
            return False
        key, _, digest = _args(call, "key", "msg", "digestmod" if last != "digest" else "digest")
        algorithm = self._hash_of(digest)
        self._constant(key, "code.constant-key")
        if algorithm is not None:
            self._use(call, "mac", f"hmac-{algorithm}", bits=self._bits(key))
        return True

    def _pycryptodome_hmac(self, call: ast.Call) -> bool:
        key, _, digest = _args(call, "key", "msg", "digestmod")
        self._constant(key, "code.constant-key")
        algorithm = "md5" if digest is None else self._hash_of(digest)  # pycryptodome's default: MD5
        if algorithm is not None:
            self._use(call, "mac", f"hmac-{algorithm}", bits=self._bits(key))
        return True

    def _cryptography_hash(self, call: ast.Call, name: str, head: str, last: str) -> bool:
        if head == _CRYPTOGRAPHY + "hashes" and last.upper() == last:
            self._use(call, "hash", _hash_name(last))
            return True
        if head == _CRYPTOGRAPHY + "hmac" and last == "HMAC":
            key, algorithm = _args(call, "key", "algorithm")
            self._constant(key, "code.constant-key")
            digest = self._hash_of(algorithm)
            if digest is not None:
                self._use(call, "mac", f"hmac-{digest}", bits=self._bits(key))
            return True
        return False

    def _pbkdf2(
        self, call: ast.Call, digest: str | None, salt: ast.expr | None, iterations: ast.expr | None
    ) -> None:
        self._constant(salt, "code.constant-salt")
        params = {"iterations": self._int(iterations), "salt_bits": self._bits(salt)}
        known = {key: value for key, value in params.items() if value is not None}
        self._use(call, "password-hash", f"pbkdf2-hmac-{digest or 'unknown'}", params=known)

    def _kdf(self, call: ast.Call, name: str, head: str, last: str) -> bool:
        if name == _CRYPTOGRAPHY + "kdf.pbkdf2.PBKDF2HMAC":
            algorithm, _, salt, iterations = _args(call, "algorithm", "length", "salt", "iterations")
            self._pbkdf2(call, self._hash_of(algorithm), salt, iterations)
            return True
        if name == "Crypto.Protocol.KDF.PBKDF2":
            _, salt, _, count, _, hmac_hash = _args(
                call, "password", "salt", "dkLen", "count", "prf", "hmac_hash_module"
            )
            digest = "sha1" if hmac_hash is None else self._hash_of(hmac_hash)  # defaults: SHA-1, 1000
            self._pbkdf2(call, digest, salt, count or ast.Constant(1000))
            return True
        return False

    def _cipher_name(self, stem: str, mode: str | None, key_bits: int | None) -> str:
        if stem in _MODELESS:
            return stem
        if stem in ("aes", "camellia"):
            size = key_bits if key_bits in (128, 192, 256) else 128  # not a constant: judged as the smallest
            return f"{stem}-{size}-{mode or 'cbc'}"
        return f"{stem}-{mode or 'cbc'}"

    def _cryptography_cipher(self, call: ast.Call, name: str, head: str, last: str) -> bool:
        if name == _CIPHERS + "Cipher" or name == _CIPHERS + "base.Cipher":
            algorithm_arg, mode_arg = _args(call, "algorithm", "mode")
            algorithm, mode = self._call_of(algorithm_arg), self._call_of(mode_arg)
            if algorithm is None:
                return True
            stem = self._algorithm(algorithm)
            if stem is None:
                return True
            mode_name = None
            if mode is not None:
                self.consumed.add(id(mode))
                mode_name = _MODES.get((self._qualname(mode.func) or "").rpartition(".")[2])
                self._mode_constants(mode, mode_name)
            cipher = self._cipher_name(stem, mode_name, self._bits(_args(algorithm, "key")[0]))
            self._use(call, "cipher", cipher, direction=self._direction(call, "decryptor"))
            return True
        if head == _CIPHERS + "algorithms" and last in _CIPHER_NAMES:
            stem = self._algorithm(call)
            if stem is not None and stem not in ("aes", "camellia"):  # no mode seen: judged as CBC
                self._use(call, "cipher", self._cipher_name(stem, None, None))
            return True
        if head == _CIPHERS + "modes" and last == "ECB":
            self._use(call, "cipher", "aes-128-ecb")  # the cipher is not known here: judged as AES
            return True
        if head == _CIPHERS + "aead" and last in _AEAD:
            key = _args(call, "key")[0]
            self._constant(key, "code.constant-key")
            aead = _AEAD[last]
            cipher = aead if aead in _STREAM else self._cipher_name("aes", aead, self._bits(key))
            self._use(call, "cipher", cipher, direction=self._direction(call))
            return True
        return False

    def _algorithm(self, algorithm: ast.Call) -> str | None:
        """The vocabulary stem of a cryptography algorithm object, its key checked for being constant."""
        self.consumed.add(id(algorithm))
        qualified = self._qualname(algorithm.func) or ""
        head, _, last = qualified.rpartition(".")
        if head != _CIPHERS + "algorithms" or last not in _CIPHER_NAMES:
            return None
        key, nonce = _args(algorithm, "key", "nonce")
        self._constant(key, "code.constant-key")
        if last == "ChaCha20":
            self._constant(nonce, "code.constant-nonce")
        return _CIPHER_NAMES[last]

    def _mode_constants(self, mode: ast.Call, mode_name: str | None) -> None:
        first = _args(mode, "iv")[0]
        if mode_name in ("cbc", "cfb", "ofb"):
            self._constant(first, "code.constant-iv")
        elif mode_name in ("gcm", "ctr"):
            self._constant(first, "code.constant-nonce")

    def _pycryptodome_cipher(self, call: ast.Call, name: str, head: str, last: str) -> bool:
        if not head.startswith("Crypto.Cipher.") or last != "new":
            return False
        module = head.rpartition(".")[2]
        if module == "PKCS1_v1_5":
            self._use(call, "key-agreement", "rsa-pkcs1v15-transport", direction=self._direction(call))
            return True
        stem = _CIPHER_NAMES.get(module)
        if stem is None:
            return True
        key, mode_arg = _args(call, "key", "mode")
        self._constant(key, "code.constant-key")
        mode_name = None
        if stem not in _MODELESS:
            mode_ref = self._qualname(mode_arg) or ""
            mode_name = _MODES.get(mode_ref.rpartition(".")[2].removeprefix("MODE_"))
            iv = _args(call, "key", "mode", "iv")[2]
            self._constant(
                iv,
                "code.constant-nonce"
                if mode_name in ("ctr", "gcm", "ccm", "eax", "siv", "ocb")
                else "code.constant-iv",
            )
        for keyword in call.keywords:
            if keyword.arg == "nonce":
                self._constant(keyword.value, "code.constant-nonce")
        cipher = self._cipher_name(stem, mode_name, self._bits(key))
        self._use(call, "cipher", cipher, direction=self._direction(call))
        return True

    def _keys(self, call: ast.Call, name: str, head: str, last: str) -> bool:
        if name == _ASYM + "rsa.generate_private_key":
            size = self._int(_args(call, "public_exponent", "key_size")[1])
            self._use(call, "signature", "rsa-pss", bits=size)
        elif name in (_ASYM + "dsa.generate_private_key", _ASYM + "dsa.generate_parameters"):
            self._use(call, "signature", "dsa", bits=self._int(_args(call, "key_size")[0]))
        elif name == _ASYM + "dh.generate_parameters":
            self._use(call, "key-agreement", "ffdh", bits=self._int(_args(call, "generator", "key_size")[1]))
        elif name in (_ASYM + "ec.generate_private_key", _ASYM + "ec.derive_private_key"):
            curve_arg = (
                _args(call, "curve")[0]
                if last == "generate_private_key"
                else _args(call, "private_value", "curve")[1]
            )
            curve_call = self._call_of(curve_arg)
            curve = self._qualname(curve_call.func if curve_call is not None else curve_arg)
            if curve is not None:
                last_part = curve.rpartition(".")[2]
                short = _CURVES.get(last_part, last_part.lower())
                self._use(call, "signature", f"ecdsa-{short}", bits=_CURVE_BITS.get(short))
        elif (
            head.rpartition(".")[2] in _MONTGOMERY
            and head.startswith(_ASYM)
            and last in ("generate", "from_private_bytes")
        ):
            category, algorithm = _MONTGOMERY[head.rpartition(".")[2]]
            self._use(call, category, algorithm)
        elif name in ("Crypto.PublicKey.RSA.generate", "Crypto.PublicKey.DSA.generate"):
            bits = self._int(_args(call, "bits")[0])
            self._use(call, "signature", "rsa-pss" if ".RSA." in name else "dsa", bits=bits)
        elif name == "Crypto.PublicKey.ECC.generate":
            named = self._value(_args(call, "curve")[0])
            if isinstance(named, str):
                if named.lower() in _ECC_MONTGOMERY:
                    self._use(call, *_ECC_MONTGOMERY[named.lower()])
                else:
                    short = _CURVES.get(named, named.lower())
                    self._use(call, "signature", f"ecdsa-{short}", bits=_CURVE_BITS.get(short))
        else:
            return False
        return True

    def _random(self, call: ast.Call, name: str, head: str, last: str) -> bool:
        if head == "random" and last in _RANDOM_BYTES:
            self._misuse(call, "code.random-secret")
            return True
        return False


_HANDLERS = (
    _Module._hashlib,
    _Module._hmac,
    _Module._cryptography_hash,
    _Module._kdf,
    _Module._cryptography_cipher,
    _Module._pycryptodome_cipher,
    _Module._keys,
    _Module._random,
)
