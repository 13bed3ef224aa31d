"""``fipscheck audit verify LOG`` and ``fipscheck audit show LOG``: read an audit trail
(:mod:`fipscrypto.audit.trail`)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fipscrypto import module
from fipscrypto.errors import FipsError

from .exits import EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, EXIT_VIOLATION
from .options import mode_option, state_dir_option

if TYPE_CHECKING:
    from fipscrypto.audit.trail import Verdict

__all__ = ["audit"]


@click.group()
def audit() -> None:
    """Verify and read fipscrypto audit trails (JSON lines with a hash chain, docs/audit.md)."""


def _key_file(path: str | None) -> bytes | None:
    """A key file's bytes: hex on one line (whitespace around it ignored), else its raw bytes."""
    if path is None:
        return None
    data = Path(path).read_bytes()
    try:
        return bytes.fromhex(data.decode("ascii").strip())
    except ValueError:  # not hex text (UnicodeDecodeError is a ValueError): raw key bytes
        return data


def _verdict_lines(verdict: Verdict, log: str) -> list[str]:
    lines = []
    if verdict.ok:
        lines.append(
            f"{log}: OK, {verdict.records} records (last seq {verdict.last_seq}), chain {verdict.chain}"
        )
    else:
        where = f"line {verdict.line}" + (f" (seq {verdict.seq})" if verdict.seq is not None else "")
        lines.append(f"{log}: TAMPERED at {where}: {verdict.reason}")
        lines.append(f"  {verdict.records} records before it verified")
    if verdict.checkpoints:
        signed = (
            f"{verdict.signatures_verified} signatures verified"
            if verdict.signatures_verified
            else "signatures NOT checked (give --public-key)"
        )
        lines.append(f"checkpoints: {verdict.checkpoints}, last at seq {verdict.last_checkpoint}; {signed}")
    else:
        lines.append("checkpoints: none")
    if verdict.last_seq is not None and verdict.signatures_verified:
        after = verdict.last_seq - (verdict.last_checkpoint or 0)
        lines.append(f"records after the last verified checkpoint: {after} (covered by the chain only)")
    if verdict.gaps:
        lines.append(
            f"gaps: {verdict.gaps} audit-gap records, {verdict.lost} events lost while writing failed"
        )
    return lines


@audit.command()
@click.argument("log", type=click.Path(dir_okay=False))
@click.option(
    "--key",
    "key_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="File with the chain's HMAC key (hex on one line, or the raw bytes); needed for a keyed chain.",
)
@click.option(
    "--public-key",
    "public_key_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The checkpoint signer's public key (SubjectPublicKeyInfo, PEM or DER): checks every checkpoint.",
)
@click.option(
    "--expect-seq",
    type=click.IntRange(0),
    default=None,
    metavar="N",
    help="The log must reach sequence number N (detects records removed from its end).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@mode_option
@state_dir_option
def verify(
    log: str,
    key_path: str | None,
    public_key_path: str | None,
    expect_seq: int | None,
    as_json: bool,
    mode: str | None,
    state_dir: str | None,
) -> None:
    """Verify the audit trail LOG: every record's link to the one before it (SHA-256, or HMAC-SHA-256
    with --key), every sequence number, and with --public-key every signed checkpoint. Names the
    first bad record (line and sequence number) and why.

    A hash chain cannot show records removed from the end of the log (a cut at a line boundary is a
    shorter valid log): give --expect-seq N to detect it.

    Exits 0 when the log verifies, 1 when it was tampered with (or does not verify under the key
    given), 2 for a usage error (a keyed chain without --key, a key of the wrong kind), 3 when LOG
    cannot be read or the FIPS provider is unusable.
    """
    from fipscrypto.audit.trail import UNDETECTABLE
    from fipscrypto.audit.trail import verify as verify_trail

    try:
        module.activate(mode, state_dir=state_dir)
        key, public_key = (
            _key_file(key_path),
            None if public_key_path is None else Path(public_key_path).read_bytes(),
        )
    except (FipsError, OSError) as exc:
        click.echo(f"fipscheck audit verify: {exc}", err=True)
        raise SystemExit(EXIT_UNAVAILABLE) from None
    try:
        verdict = verify_trail(log, key=key, public_key=public_key, expect_seq=expect_seq)
    except OSError as exc:
        click.echo(f"fipscheck audit verify: cannot read {log}: {exc.strerror or exc}", err=True)
        raise SystemExit(EXIT_UNAVAILABLE) from None
    except FipsError as exc:  # a keyed chain without its key, a key that is not one
        click.echo(f"fipscheck audit verify: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    if as_json:
        click.echo(json.dumps({**verdict.as_dict(), "undetectable": UNDETECTABLE}, indent=2))
    else:
        click.echo("\n".join([*_verdict_lines(verdict, log), f"not detectable: {UNDETECTABLE}"]))
    raise SystemExit(EXIT_OK if verdict.ok else EXIT_VIOLATION)


def _instant(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _text(record: dict[str, Any]) -> str:
    kind = record.get("kind", record.get("record"))
    if record.get("record") == "event":
        detail = " ".join(f"{k}={json.dumps(v)}" for k, v in (record.get("fields") or {}).items())
    else:
        skip = {"seq", "time", "record", "prev", "mac", "signature"}
        detail = " ".join(f"{k}={json.dumps(v)}" for k, v in record.items() if k not in skip)
    return f"{record.get('seq')!s:>8}  {record.get('time')}  {kind}  {detail}".rstrip()


@audit.command()
@click.argument("log", type=click.Path(dir_okay=False))
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    metavar="K",
    help="Only events of kind K, or records of type K (genesis, checkpoint, audit-gap); repeatable.",
)
@click.option(
    "--since", callback=_instant, metavar="T", help="Only records at or after T (ISO 8601; UTC if no zone)."
)
@click.option(
    "--until", callback=_instant, metavar="T", help="Only records before T (ISO 8601; UTC if no zone)."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show(
    log: str, kinds: tuple[str, ...], since: dt.datetime | None, until: dt.datetime | None, fmt: str
) -> None:
    """Print the records of the audit trail LOG, filtered; json prints each record's line as it is.

    It does not verify the log (use 'fipscheck audit verify'); a line that is not a record is
    reported on stderr and skipped. Exits 0, 2 for a usage error, 3 when LOG cannot be read.
    """
    try:
        with open(log, "rb") as f:
            for number, raw in enumerate(f, 1):
                try:
                    record = json.loads(raw)
                    when = dt.datetime.fromisoformat(record["time"])
                except (ValueError, TypeError, KeyError):
                    click.echo(f"line {number}: not an audit trail record, skipped", err=True)
                    continue
                if (
                    kinds
                    and record.get("kind", record.get("record")) not in kinds
                    and record.get("record") not in kinds
                ):
                    continue
                if (since is not None and when < since) or (until is not None and when >= until):
                    continue
                click.echo(raw.decode().rstrip("\n") if fmt == "json" else _text(record))
    except OSError as exc:
        click.echo(f"fipscheck audit show: cannot read {log}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_UNAVAILABLE)
