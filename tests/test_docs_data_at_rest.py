"""docs/data-at-rest.md: every python example runs as written, each in a fresh interpreter on the
FIPS provider in strict mode (the default), with nothing of the test process's environment but the
state folder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from fipscrypto.provider.state import StatePaths

from support import clean_env

PAGE = Path(__file__).parent.parent / "docs" / "data-at-rest.md"
EXAMPLES = re.findall(r"^```python\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), re.S | re.M)


def test_the_page_has_its_examples() -> None:
    assert len(EXAMPLES) >= 2
    assert all("fipscrypto.activate()" in example for example in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example-{i + 1}" for i in range(len(EXAMPLES))])
def test_the_example_runs(example: str, state_paths: StatePaths, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", example],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=clean_env(FIPSCRYPTO_STATE_DIR=str(state_paths.root)),
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "the example prints what it did"
