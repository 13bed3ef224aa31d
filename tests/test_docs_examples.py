"""Every code example in the docs runs.

The ```python blocks of docs/*.md and README.md are found at collection, so a page added later is
run without being listed here. Each page's blocks run in order, in one fresh interpreter (so a block
may use what an earlier block of its page defined), as a user runs them: the clean environment with
only the provisioned state folder named, no mode and no post-quantum switch set (an example that
needs them sets them itself), a temporary folder as the working directory, the page's line numbers in
tracebacks. A block may use top-level ``await`` (as in ``python -m asyncio``); all blocks of a page
share one event loop.

A block that is not meant to run (the steps of a longer program that the suite runs elsewhere) says so
on the line before its fence, ``<!-- not run: reason -->``, or in its info string, ```` ```python
fragment reason ````. Such blocks are counted and reported.

The ```sh and ```console blocks' lines that start with ``fipscheck`` (after ``VAR=value`` words) and a
read-only command (``READ_ONLY``) run too, in the same environment with those variables added, from
the checkout, and must exit as a ``# exit N`` comment on the line says, else 0.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from fipscrypto.provider.state import StatePaths

from support import VENV_BIN, clean_env

REPO = Path(__file__).resolve().parent.parent
PAGES = [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md"]
FENCE = re.compile(r"^\s*```(\w*)\s*(.*)$")  # also indented, in a list item
PYTHON_TAGS = ("python", "py", "python3")
SHELL_TAGS = ("sh", "bash", "shell", "console")  # in console blocks, the lines after a "$ " prompt
NOT_RUN = re.compile(r"^<!--\s*not run:\s*(\S.*?)\s*-->$")
# fipscheck commands that only read: their lines in sh/console blocks run. Not these: ``selftest``
# records its run in the state folder, ``provider install``/``verify`` write the provider record,
# ``run`` starts any program, ``scan tls`` needs the network, and ``-o`` writes a file (not run).
READ_ONLY = (
    ("status",),
    ("policy", "list"),
    ("policy", "show"),
    ("policy", "validate"),
    ("policy", "diff"),
    ("policy", "export"),
    ("check",),
    ("scan", "code"),
    ("scan", "config"),
    ("scan", "cert"),
)


@dataclass(frozen=True)
class Block:
    page: str  # "docs/tls.md"
    line: int  # the first line of code (1-based)
    language: str
    code: str
    not_run: str | None  # the reason, for a block marked not to run


def blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].lstrip().startswith("```"))
        marker = NOT_RUN.match(lines[index - 1].strip()) if index else None
        info = fence.group(2).split(maxsplit=1)  # "fragment" and its reason, if any
        reason = None
        if marker:
            reason = marker.group(1)
        elif info[:1] == ["fragment"]:
            reason = info[-1]
        name = page.relative_to(REPO).as_posix() if page.is_relative_to(REPO) else page.name
        code = textwrap.dedent("\n".join(lines[index + 1 : end]) + "\n")
        found.append(Block(name, index + 2, fence.group(1), code, reason))
        index = end + 1
    return found


ALL = [b for page in PAGES for b in blocks(page)]
PYTHON = [b for b in ALL if b.language in PYTHON_TAGS]
RUN_PAGES = sorted({b.page for b in PYTHON if b.not_run is None})

# Runs the blocks given as JSON on stdin: each compiled with its page's name and line numbers, top-level
# await allowed, in one namespace and one event loop.
RUNNER = """
import ast, asyncio, inspect, json, sys
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
namespace = {"__name__": "__main__"}
for page, line, code in json.load(sys.stdin):
    compiled = compile("\\n" * (line - 1) + code, page, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, namespace)
    if inspect.iscoroutine(result):
        loop.run_until_complete(result)
"""


def _env(state_paths: StatePaths) -> dict[str, str]:
    return clean_env(FIPSCRYPTO_STATE_DIR=str(state_paths.root))


@pytest.mark.parametrize("page", RUN_PAGES)
def test_the_page_examples_run(page: str, state_paths: StatePaths, tmp_path: Path) -> None:
    runnable = [b for b in PYTHON if b.page == page and b.not_run is None]
    done = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps([[str(REPO / b.page), b.line, b.code] for b in runnable]),
        capture_output=True,
        text=True,
        env=_env(state_paths),
        cwd=tmp_path,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, (
        f"{page}: its examples failed (exit {done.returncode}):\n{done.stderr[-4000:]}"
    )


def test_blocks_not_run_are_few_and_say_why() -> None:
    """The blocks marked not to run, reported with their reasons, and the fipscheck lines that are not
    read-only; at most a quarter of the python examples are not run."""
    skipped = [b for b in ALL if b.not_run is not None]
    report = "\n".join(f"{b.page}:{b.line - 1}: {b.language}: not run: {b.not_run}" for b in skipped)
    python = [b for b in skipped if b.language in PYTHON_TAGS]
    print(f"\n{len(python)} of {len(PYTHON)} python blocks not run; blocks not run:\n{report}")
    shell = [(b, t) for b in ALL if b.language in SHELL_TAGS for t in _shell_lines(b)]
    writes = [
        f"{b.page}:{b.line}: {t}" for b, t in shell if "fipscheck " in t and not _read_only(_split(t)[1])
    ]
    print("fipscheck lines not run (not read-only, see READ_ONLY):\n" + "\n".join(writes))
    assert PYTHON, "no python example found in the docs"
    assert 4 * len(python) <= len(PYTHON), report


def _shell_lines(block: Block) -> list[str]:
    lines = block.code.splitlines()
    if block.language == "console":
        return [t.removeprefix("$ ") for t in lines if t.startswith("$ ")]
    return lines


def _split(text: str) -> tuple[dict[str, str], list[str]]:
    """A shell line's leading ``VAR=value`` words and the command after them (none if the line is not
    one simple command shlex can read)."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        return {}, []
    count = next((i for i, w in enumerate(words) if not re.match(r"^[A-Z_][A-Z0-9_]*=", w)), len(words))
    return dict(w.split("=", 1) for w in words[:count]), words[count:]


def _read_only(words: list[str]) -> bool:
    writes = any(w in ("-o", "--output") or w.startswith(("-o", "--output=")) for w in words)
    return not writes and any(tuple(words[1 : 1 + len(c)]) == c for c in READ_ONLY)


@dataclass(frozen=True)
class Line:
    block: Block
    env: dict[str, str]  # the VAR=value words before fipscheck
    words: list[str]  # fipscheck and its arguments
    exit: int  # "# exit N" at the end of the line, else 0


def _command_lines() -> list[Line]:
    found = []
    for block in ALL:
        if block.language not in SHELL_TAGS or block.not_run is not None:
            continue
        for text in _shell_lines(block):
            env, words = _split(text)
            if words[:1] == ["fipscheck"] and _read_only(words):
                expected = re.search(r"#\s*exit (\d+)", text)
                found.append(Line(block, env, words, int(expected.group(1)) if expected else 0))
    return found


@pytest.mark.parametrize("line", _command_lines(), ids=lambda v: f"{v.block.page}:{shlex.join(v.words)}")
def test_documented_read_only_commands_run(line: Line, state_paths: StatePaths) -> None:
    """Run from the checkout, as the page shows them (with the paths of its files)."""
    done = subprocess.run(
        [str(VENV_BIN / "fipscheck"), *line.words[1:]],
        capture_output=True,
        text=True,
        env=_env(state_paths) | line.env,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    shown = f"{line.block.page}:{line.block.line}: {shlex.join(line.words)}"
    assert done.returncode == line.exit, f"{shown}: exit {done.returncode}, not {line.exit}\n{done.stderr}"


def test_blocks_markers_and_command_lines_are_read_as_documented(tmp_path: Path) -> None:
    """The parser this suite relies on: languages, first lines, the not-run marker with its reason,
    and which fipscheck lines run with what environment and expected exit."""
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n```python\nx = 1\n```\n\n<!-- not run: a signature -->\n```python\ndef f(): ...\n```\n"
        "```python fragment\nclass C: ...\n```\n```python fragment an illustration\n...\n```\n"
        "```sh\nFIPSCRYPTO_MODE=audit fipscheck check m.toml  # exit 1: why\nfipscheck selftest\n"
        "fipscheck check m.toml -o report.json\n```\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [(b.line, b.language, b.not_run) for b in found] == [
        (4, "python", None),
        (9, "python", "a signature"),
        (12, "python", "fragment"),
        (15, "python", "an illustration"),
        (18, "sh", None),
    ]
    assert found[0].code == "x = 1\n"
    env, words = _split(found[4].code.splitlines()[0])
    assert (env, words) == ({"FIPSCRYPTO_MODE": "audit"}, ["fipscheck", "check", "m.toml"])
    assert _read_only(words)
    assert not _read_only(_split("fipscheck selftest")[1])
    assert not _read_only(_split("fipscheck check m.toml -o report.json")[1])
