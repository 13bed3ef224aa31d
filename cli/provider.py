"""``fipscheck provider install|verify|env``."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import click

from fipscrypto import cmvp
from fipscrypto.errors import PolicyError, ProviderUnavailable
from fipscrypto.module import Mode, _runtime_config
from fipscrypto.provider.load import require_record
from fipscrypto.provider.provision import install as install_provider
from fipscrypto.provider.provision import verify as verify_provider
from fipscrypto.provider.state import ProviderRecord, StatePaths

from .exits import EXIT_INCOMPLETE, EXIT_UNAVAILABLE
from .options import state_dir_option


def _fail(exc: ProviderUnavailable) -> None:
    click.echo(f"error ({type(exc).__name__}): {exc.message}", err=True)
    click.echo(f"what to do: {exc.remedy}", err=True)
    raise SystemExit(EXIT_UNAVAILABLE)


def _summary(record: ProviderRecord, state_dir: str | None) -> str:
    verdict = cmvp.verdict(record.name, record.version)
    paths = StatePaths.resolve(state_dir)
    return "\n".join(
        [
            f"provider   {record.name} {record.version} (build info: {record.buildinfo})",
            f"module     {record.module_path}",
            f"sha256     {record.module_sha256}",
            f"module-mac {record.module_mac} ({record.mac_source})",
            f"source     {record.source}",
            f"validated  {verdict.status.upper()}: {verdict.note}",
            f"config     {paths.openssl_cnf}",
        ]
    )


@click.group()
def provider() -> None:
    """Provision and check the OpenSSL 3 FIPS provider; print the environment other programs need."""


@provider.command()
@click.option(
    "--module",
    type=click.Path(dir_okay=True),
    default=None,
    help="Use this fips.so (or a folder holding one) instead of searching.",
)
@state_dir_option
@click.option("--force", is_flag=True, help="Provision again even if the state folder verifies.")
def install(module: str | None, state_dir: str | None, force: bool) -> None:
    """Find or fetch a FIPS provider, write its configuration, and verify it.

    \b
    Search order: --module, $OPENSSL_MODULES/fips.so, the system locations
    (/usr/lib/<triplet>/ossl-modules, /usr/lib64/ossl-modules), a module fetched
    earlier; else, on Debian, the trixie package openssl-provider-fips is fetched
    with apt from the mirror this machine is configured with, and unpacked into the
    state folder without being installed. The module MAC is computed as
    'openssl fipsinstall' does (and cross-checked with it when openssl is present),
    then the provider is loaded in fresh interpreters to prove it.
    """
    try:
        record = install_provider(module, state_dir, force=force)
    except ProviderUnavailable as exc:
        _fail(exc)
        return
    click.echo(_summary(record, state_dir))


@provider.command()
@state_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the verified record as JSON.")
def verify(state_dir: str | None, as_json: bool) -> None:
    """Re-check the provisioned provider: module MAC, self-test on load, identity.

    Exits 0 when the provider verifies, 3 otherwise (module missing, MAC mismatch, load failure).
    """
    try:
        record = verify_provider(state_dir)
    except ProviderUnavailable as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps(record.as_dict(), indent=2))
    else:
        click.echo(_summary(record, state_dir) + "\nverified   module MAC, provider self-test, load")


def _fish_quote(value: str) -> str:
    """A fish single-quoted string: only backslash and the quote are escaped inside (fish(1), Quotes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


_SHELLS = {
    "sh": lambda name, value: f"export {name}={shlex.quote(value)}",
    "fish": lambda name, value: f"set -gx {name} {_fish_quote(value)}",
}


@provider.command()
@state_dir_option
@click.option("--shell", type=click.Choice(["sh", "fish", "json"]), default="sh", show_default=True)
def env(state_dir: str | None, shell: str) -> None:
    """Print the environment that runs another OpenSSL program on this provider and policy.

    \b
    OPENSSL_CONF names the configuration fipscrypto's strict mode loads: the
    fips and base providers only, fips=yes, and the TLS section compiled from
    the active policy ($FIPSCRYPTO_POLICY, else the default) for today;
    OPENSSL_MODULES the provider's folder. For nginx, the openssl command or a
    C service linked against OpenSSL 3:  eval "$(fipscheck provider env)".
    Run it again after the policy or a dated transition changes. Exits 3 when
    no provider is provisioned or the policy is invalid.
    """
    paths = StatePaths.resolve(state_dir)
    try:
        record = require_record(paths)
        config = _runtime_config(paths, Mode.STRICT, record)
    except ProviderUnavailable as exc:
        _fail(exc)
        return
    except PolicyError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_INCOMPLETE) from exc
    variables = {"OPENSSL_CONF": str(config), "OPENSSL_MODULES": str(Path(record.module_path).parent)}
    if shell == "json":
        click.echo(json.dumps(variables, indent=2))
    else:
        click.echo("\n".join(_SHELLS[shell](name, value) for name, value in variables.items()))
