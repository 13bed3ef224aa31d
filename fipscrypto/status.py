"""What ``fipscheck status`` reports: facts measured in this process.

Nothing here repeats what was recorded at install time as if it were true now:

- the module: the ``fips.so`` file mapped into this process (``/proc/self/maps``), its SHA-256, and
  whether it is the file the provider record names (same device and inode, same hash);
- the provider's switches as the section cryptography's OpenSSL loaded names them (the file is checked
  against the digest its name carries);
- the boundary proof: the power-on self-tests that passed in this process;
- the state folder's permissions.

``deep=True`` (``fipscheck status --deep``) measures two more things, at the cost of about a second
activation: the provider's own identity and switches (``OSSL_PROVIDER_get_params``), read from
fipscrypto's private library context, which loads the same module bytes and the same provider section
as cryptography's OpenSSL (cryptography's bindings expose no provider parameters, so this is a second
provider instance, with its own known-answer tests); and which TLS versions and suites cryptography's
OpenSSL negotiates. Without it the report says that these were not measured.

``problems`` lists what is wrong: the module mapped differs from the record, the provider's files are
writable by any user, or (strict mode) a switch of the provider is off. The command exits 3 when the
provider is not proven in this process or a problem is listed (``fipscrypto.cli.status``).
"""

from __future__ import annotations

# The standard library's OpenSSL version, from the module ``ssl`` takes it from (importing ``ssl``
# itself costs three times as much, for nothing status uses).
import _ssl
import os
from pathlib import Path
from typing import Any

from . import audit, cmvp, module
from .errors import FipsError, PolicyError, ProviderUnavailable
from .policy.runtime import active_spec, summary
from .provider.config import file_sha256, loaded_section, strict_switches
from .provider.state import ProviderRecord, StatePaths, read_record, read_selftest_run, writable_by_others

__all__ = ["KEY_GENERATION", "OUTSIDE_PROVIDER", "collect", "mapped_files"]

_BOUNDARY_NOTE = (
    "inside: cryptography (its bundled OpenSSL) with the FIPS provider; outside: the standard "
    "library's hashlib and ssl, which use the system libcrypto and do not load the FIPS provider"
)
#: fipscrypto services computed partly outside the provider, and where (docs/boundary.md has the
#: evidence): the provider's switches never see what these constructions do.
OUTSIDE_PROVIDER = {
    "mac.hmac, mac.cmac": "cryptography's OpenSSL (HMAC_CTX, CMAC_CTX) around the provider's SHA/AES",
    "kdf.hkdf, kdf.kbkdf (counter), aead.wrap/wrap_pad, seal's data-key wrap": (
        "cryptography's own code over HMAC and AES"
    ),
    "rand.HmacDrbg, kdf TLS/SRTP/IKEv2 compositions, KBKDF feedback/pipeline": "fipscrypto's Python",
    "TLS record and handshake protocol": "cryptography's libssl (the provider does its cryptography)",
}
#: Where each kind of key pair is generated (fipscrypto.keys), in the modes with a provider.
KEY_GENERATION = {
    "rsa, ecdsa, ecdh, ffdh": "FIPS provider, fipscrypto's private context (EVP_PKEY_keygen)",
    "ed25519, ed448, ml-dsa": "FIPS provider, through cryptography (EVP_PKEY_keygen)",
}


def mapped_files(pid: str = "self") -> dict[str, tuple[int, int]]:
    """Every file mapped into the process: path -> (device, inode), from /proc/<pid>/maps."""
    found: dict[str, tuple[int, int]] = {}
    try:
        lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5].startswith("/") and fields[4] != "0":
            major, minor = (int(part, 16) for part in fields[3].split(":"))
            found[fields[5]] = (os.makedev(major, minor), int(fields[4]))
    return found


def _module(path: Path, record_sha256: str, mapped: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """What is mapped at ``path``: whether it is mapped, whether the file there now is that mapping,
    and its SHA-256 compared with the record."""
    where = mapped.get(str(path))
    try:
        on_disk = path.stat()
        sha256: str | None = file_sha256(path)
    except (OSError, ProviderUnavailable):
        on_disk, sha256 = None, None
    same_file = where is not None and on_disk is not None and where == (on_disk.st_dev, on_disk.st_ino)
    return {
        "path": str(path),
        "mapped": where is not None,
        "file_is_the_mapping": same_file,
        "sha256": sha256 if same_file else None,
        "matches_record": same_file and sha256 == record_sha256,
    }


def _policy(paths: StatePaths, negotiable: dict[str, Any] | None) -> dict[str, Any]:
    """The active allowlist policy (its name, title, layers and whether it is a draft) and the suites
    it accepts that an OpenSSL able to negotiate ``negotiable`` does not offer; from the policy cache
    that activation keeps (``policy.runtime``), checked fresh against every layer's source."""
    try:
        return summary(active_spec(), paths.root / "runtime", negotiable)
    except PolicyError as exc:
        return {"error": str(exc)}


def _tls(paths: StatePaths, record: ProviderRecord | None) -> dict[str, Any] | None:
    """The suites the active policy accepts that this process's TLS endpoints do not offer, because
    cryptography's OpenSSL cannot negotiate them (with its reason); and whether the process-wide
    section was compiled from the same measurement (``fipscheck provider install`` records it)."""
    from .tls.openssl import capability

    measured = capability().as_dict()
    active = _policy(paths, measured)
    if "error" in active:
        return None
    return {
        "not_offered": [{"suite": name, "reason": why} for name, why in active["not_offered"]],
        "section_measured_alike": record is not None and record.tls_negotiable == measured,
    }


def _report_policy(paths: StatePaths, record: ProviderRecord | None) -> dict[str, Any]:
    """The policy as activation compiled it (for the recorded measurement): the cache entry it wrote."""
    active = _policy(paths, record.tls_negotiable if record is not None else None)
    return {key: value for key, value in active.items() if key != "not_offered"}


def _provider_facts(info: module.ModuleInfo, paths: StatePaths, deep: bool) -> dict[str, Any]:
    """The modules mapped into this process and the provider's switches: as its section names them,
    or (``deep``) the provider's own parameters from a second instance."""
    record = read_record(paths)
    if record is None:
        return {"error": "no provider record"}
    facts: dict[str, Any] = {}
    params: dict[str, Any] = {}
    if deep:
        from . import keys  # the private context: opened here if no key was generated yet

        try:
            context = keys.inside.get()
            params = context.provider_params() if context is not None else {}
        except FipsError as exc:
            facts["error"] = str(exc).splitlines()[0]
    mapped = mapped_files()  # after the context was opened: its module copy is mapped too
    facts["module"] = _module(Path(record.module_path), record.module_sha256, mapped)
    if deep:
        facts["context_module"] = _module(paths.context_module, record.module_sha256, mapped)
    if "error" in facts:
        return facts
    # The private context loads the section cryptography's OpenSSL loaded when fipscrypto wrote it;
    # with an operator's own OPENSSL_CONF ("external" bindings) the switches of cryptography's
    # instance are not known.
    section = loaded_section(Path(info.config)) if info.config else ""
    if not info.config:
        facts["switches_of"] = "not measured"
    elif deep:
        facts["switches_of"] = "the provider's own report, for cryptography's provider section"
    else:
        facts["switches_of"] = "cryptography's provider section, as written ('--deep': the provider's report)"
    if deep:
        facts["reported"] = {key: params.get(key) for key in ("name", "version", "buildinfo", "status")}
        facts["switches"] = {k: v for k, v in sorted(params.items()) if isinstance(v, int) and k != "status"}
    else:
        facts["switches"] = _section_switches(section, record.switches)
    # Not a provider parameter: read from the section cryptography's OpenSSL loaded.
    facts["conditional_errors"] = "conditional-errors = 1" in section.splitlines()
    wanted = [name for name in strict_switches(record) if name != "conditional-errors"]
    facts["switches_off"] = [name for name in wanted if facts["switches"].get(name) != 1]
    if not facts["conditional_errors"]:
        facts["switches_off"].append("conditional-errors")
    return facts


def _section_switches(section: str, names: tuple[str, ...]) -> dict[str, int | None]:
    """The value a ``[fips_sect]`` sets (``name = 0`` or ``1``) for each of the provider's switches
    ``names``; None where it sets none (the provider's own default, which only ``deep`` reads)."""
    found: dict[str, int | None] = dict.fromkeys(sorted(names))
    for line in section.splitlines():
        name, _, value = (part.strip() for part in line.partition("="))
        if name in found and value.isdigit():
            found[name] = int(value)
    return found


def collect(
    mode: str | None = None, state_dir: str | os.PathLike[str] | None = None, *, deep: bool = False
) -> dict[str, Any]:
    """Activate (if not yet active), measure and report; ``deep`` adds the provider's own parameters
    (a second provider instance) and what cryptography's OpenSSL negotiates for TLS."""
    error: dict[str, str] | None = None
    try:
        module.activate(mode, state_dir=state_dir)
    except FipsError as exc:
        error = {"type": type(exc).__name__, "message": str(exc).splitlines()[0]}
        if isinstance(exc, ProviderUnavailable):
            error["remedy"] = exc.remedy
    info = module.info()
    # Before a successful boot the module names the default folder, not the one asked for.
    paths = StatePaths.resolve(info.state_dir if info.bindings else state_dir)
    record = read_record(paths)
    last_run = read_selftest_run(paths)
    fips_enabled = False
    cryptography_openssl = None
    if info.bindings is not None:  # booted: the backend can be imported without side effects
        from . import _backend

        fips_enabled = _backend.fips_enabled()
        cryptography_openssl = _backend.openssl_version()
    operational = info.state is module.State.OPERATIONAL
    # The boundary proof of this process: the power-on tests ran real operations and MD5 was refused.
    proven = operational and fips_enabled and "provider-fips-properties" in info.selftests_ms
    problems: list[str] = []
    provider: dict[str, Any] | None = None
    if record is not None:
        provider = {
            "name": record.name,
            "version": record.version,
            "source": record.source,
            "installed_at": record.installed_at,
            "recorded_sha256": record.module_sha256,
            "module_mac_source": record.mac_source,
            "cmvp": cmvp.verdict(record.name, record.version).as_dict(),
        }
        if operational:
            provider.update(_provider_facts(info, paths, deep))
            problems += _problems(provider, info.mode)
    extra = [Path(info.config), Path(info.config).parent] if info.config else []
    unsafe = writable_by_others(paths, record, *extra) if record is not None else []
    problems += [f"writable by any user: {path}" for path in unsafe]
    report: dict[str, Any] = {
        "mode": info.mode.value if info.mode else (mode or os.environ.get(module.MODE_ENV, "strict")),
        "state": info.state.value,
        "operational": operational,
        "fips_enabled": fips_enabled,
        "provider_proven": proven,
        "provider_loaded_by": info.bindings,
        "provider_config": info.config,
        "error": error or ({"type": "ModuleErrorState", "message": info.error} if info.error else None),
        "state_dir": info.state_dir,
        "provider": provider,
        "problems": problems,
        "key_generation": KEY_GENERATION if info.mode is not module.Mode.OFF else None,
        "outside_provider": OUTSIDE_PROVIDER,
        "policy": _report_policy(paths, record),
        "selftests_ms": info.selftests_ms,
        "selftest_last_run": last_run.summary() if last_run else None,
        "audit_sinks": audit.sinks(),
        "openssl": {"cryptography": cryptography_openssl, "stdlib": _ssl.OPENSSL_VERSION},
        "deep": deep,
        "tls": _tls(paths, record) if proven and deep else None,
        "boundary": _BOUNDARY_NOTE,
    }
    return report


def _problems(provider: dict[str, Any], mode: module.Mode | None) -> list[str]:
    """What is wrong in the measured provider facts."""
    found = []
    mapped = provider["module"]
    if not mapped["mapped"]:
        found.append(f"{mapped['path']} is not the module mapped into this process")
    elif not mapped["matches_record"]:
        found.append(f"the module mapped into this process differs from the one recorded ({mapped['path']})")
    if "error" in provider:
        return [*found, f"the provider could not be measured: {provider['error']}"]
    reported = provider.get("reported")
    if reported is not None and (reported["version"] != provider["version"] or reported["status"] != 1):
        found.append(f"the provider reports {reported}, recorded version {provider['version']}")
    if mode is module.Mode.STRICT and provider["switches_of"] == "not measured":
        found.append("strict mode on an OpenSSL configuration fipscrypto did not write: switches unknown")
    elif mode is module.Mode.STRICT and provider["switches_off"]:
        found.append(f"strict mode with provider switches off: {', '.join(provider['switches_off'])}")
    return found
