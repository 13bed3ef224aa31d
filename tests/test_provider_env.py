"""``fipscheck provider env``: the system ``openssl`` command, run in a shell that evaluated the
printed environment, uses the FIPS provider (fips and base only, MD5 refused) and the policy's
compiled TLS section (exactly the policy's suites); the three shell formats agree."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tlslib import OPENSSL

from fipscrypto.provider.state import StatePaths, read_record

from support import clean_env, fipscheck

# the environment is evaluated in a POSIX shell, then only the openssl command runs there
SCRIPT = f'eval "$(fipscheck provider env --shell sh)" && {OPENSSL} list -providers && {OPENSSL} ciphers -s'


def _shell(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(OPENSSL).parent)
    venv_bin = str(Path(sys.executable).parent)
    return subprocess.run(
        ["sh", "-c", script],
        capture_output=True,
        text=True,
        env=clean_env(PATH=f"{venv_bin}:{bin_dir}:/usr/bin:/bin", **env),
        timeout=60,
        check=False,
    )


def _printed() -> dict[str, str]:
    done = fipscheck("provider", "env", "--shell", "json")
    assert done.returncode == 0, done.stderr
    variables: dict[str, str] = json.loads(done.stdout)
    return variables


def test_openssl_runs_on_the_provider_and_the_policy() -> None:
    done = _shell(SCRIPT)
    assert done.returncode == 0, done.stderr
    providers = re.findall(r"^  (\S+)$", done.stdout, re.MULTILINE)
    assert providers == ["base", "fips"], done.stdout
    assert "OpenSSL FIPS Provider" in done.stdout
    # the suites openssl offers are exactly the compiled section's, in its order
    config = Path(_printed()["OPENSSL_CONF"]).read_text()
    section = dict(re.findall(r"^(Ciphersuites|CipherString) = (.*)$", config, re.MULTILINE))
    offered = done.stdout.strip().splitlines()[-1]
    assert offered == f"{section['Ciphersuites']}:{section['CipherString']}"
    assert "CHACHA20" not in offered
    md5 = _shell(f'eval "$(fipscheck provider env)" && echo x | {OPENSSL} md5')
    assert md5.returncode != 0
    assert "unsupported" in md5.stderr
    sha256 = _shell(f'eval "$(fipscheck provider env)" && echo x | {OPENSSL} sha256')
    assert sha256.returncode == 0, sha256.stderr


def test_without_the_environment_openssl_uses_its_own_configuration() -> None:
    """The contrast that makes the test above mean something: the system default provider, MD5 works."""
    done = _shell(f"{OPENSSL} list -providers && echo x | {OPENSSL} md5")
    assert done.returncode == 0, done.stderr
    assert "fips" not in re.findall(r"^  (\S+)$", done.stdout, re.MULTILINE)


def test_the_shells_agree() -> None:
    """sh and fish set the same values as the JSON; the module folder holds the recorded module and
    the configuration loads it."""
    variables = _printed()
    sh = fipscheck("provider", "env").stdout.splitlines()
    fish = fipscheck("provider", "env", "--shell", "fish").stdout.splitlines()
    assert [shlex.split(line) for line in sh] == [["export", f"{k}={v}"] for k, v in variables.items()]
    assert [shlex.split(line) for line in fish] == [["set", "-gx", k, v] for k, v in variables.items()]
    record = read_record(StatePaths.resolve())
    assert record is not None
    assert Path(variables["OPENSSL_MODULES"]) == Path(record.module_path).parent
    assert f"module = {record.module_path}\n" in Path(variables["OPENSSL_CONF"]).read_text()


def test_another_policy_compiles_another_section() -> None:
    """The active policy ($FIPSCRYPTO_POLICY) is the one compiled, as for a Python process."""
    default = _printed()["OPENSSL_CONF"]
    done = fipscheck("provider", "env", "--shell", "json", FIPSCRYPTO_POLICY="fips-140-3")
    other = json.loads(done.stdout)["OPENSSL_CONF"]
    assert other != default
    assert "Compiled from policy 'fips-140-3' " in Path(other).read_text()


def test_no_provider_exits_3(tmp_path: Path) -> None:
    done = fipscheck("provider", "env", "--state-dir", str(tmp_path))
    assert done.returncode == 3
    assert done.stdout == ""
    assert "no FIPS provider is provisioned" in done.stderr
