"""docs/cli.md documents the fipscheck command tree as the code defines it.

The tree is walked from ``fipscrypto.cli.main``, lazily loaded groups included (their subcommands are
imported as ``--help`` imports them), so a command added later is checked without being listed here.
The page documents a command by a heading that names it in a code span (`` `fipscheck scan code
PATH...` ``: the command path is the lower-case words after ``fipscheck``); its section runs to the
next heading of the same or a higher level. Each command must have a section (a group with no options
of its own may go without: its subcommands' sections document it), and each of its option names (the
long ones; the short one of an option that has no long name) must appear in it. Each documented
command must exist, and each ``--option`` a section names must be one of that command's (a group's
section may name its subcommands'); those in the page's opening, before the first command, must be
some command's. The failure lists every difference, one per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from fipscrypto.cli import main

PAGE = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
COMMAND_WORD = re.compile(r"^[a-z][a-z0-9-]*$")
LONG_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class Command:
    path: str  # "scan code"; "" for fipscheck itself
    group: bool
    required: frozenset[str]  # the option names the page must show
    accepted: frozenset[str]  # every name, help included, of it and of its subcommands


def _names(command: click.Command, ctx: click.Context) -> tuple[set[str], set[str]]:
    required: set[str] = set()
    accepted: set[str] = set()
    help_names = set(ctx.help_option_names)
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option):
            continue
        names = [*param.opts, *param.secondary_opts]
        accepted.update(names)
        if set(names) <= help_names:
            continue
        longs = [n for n in names if n.startswith("--")]
        required.update(longs or names)
    return required, accepted


def _walk(command: click.Command, ctx: click.Context, path: tuple[str, ...]) -> Iterator[Command]:
    required, accepted = _names(command, ctx)
    below: list[Command] = []
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"fipscheck {' '.join((*path, name))}: listed but not loadable"
            below.extend(_walk(sub, click.Context(sub, parent=ctx, info_name=name), (*path, name)))
    for child in below:
        accepted |= child.accepted
    yield Command(" ".join(path), isinstance(command, click.Group), frozenset(required), frozenset(accepted))
    yield from below


def commands() -> dict[str, Command]:
    ctx = click.Context(main, info_name="fipscheck", **main.context_settings)
    return {c.path: c for c in _walk(main, ctx, ())}


@dataclass(frozen=True)
class Section:
    path: str
    line: int
    text: str


def _heading_path(title: str) -> str | None:
    """The command a heading names in its code span: the lower-case words after ``fipscheck``, or
    None."""
    found = re.search(r"`fipscheck\b([^`]*)`", title)
    if found is None:
        return None
    words: list[str] = []
    for word in found.group(1).split():
        if not COMMAND_WORD.match(word):
            break
        words.append(word)
    return " ".join(words)


def sections(markdown: str) -> tuple[str, list[Section]]:
    """The page's opening (before the first command heading) and its command sections."""
    lines = markdown.splitlines()
    headings: list[tuple[int, int, str | None]] = []  # line index, level, command path
    fenced = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        found = None if fenced else HEADING.match(line)
        if found:
            headings.append((index, len(found.group(1)), _heading_path(found.group(2))))
    result: list[Section] = []
    first = None
    for position, (index, level, path) in enumerate(headings):
        if path is None or path == "":
            continue
        first = index if first is None else first
        end = next((i for i, lvl, _ in headings[position + 1 :] if lvl <= level), len(lines))
        result.append(Section(path, index + 1, "\n".join(lines[index:end])))
    opening = "\n".join(lines[: first if first is not None else len(lines)])
    return opening, result


def _label(path: str) -> str:
    return f"fipscheck {path}" if path else "fipscheck"


def _problems(tree: dict[str, Command], markdown: str) -> list[str]:
    opening, documented = sections(markdown)
    by_path: dict[str, list[Section]] = {}
    for section in documented:
        by_path.setdefault(section.path, []).append(section)
    problems: list[str] = []
    every_name = frozenset().union(*(c.accepted for c in tree.values()))
    for path, command in tree.items():
        if path == "":
            text = opening
        elif path not in by_path and command.group and not command.required:
            continue  # a group with no options of its own: its subcommands' sections document it
        elif path not in by_path:
            problems.append(f"fipscheck {path}: no section (a heading naming `fipscheck {path}`)")
            continue
        else:
            text = "\n".join(s.text for s in by_path[path])
        shown = set(re.findall(r"(?<![\w-])-{1,2}[A-Za-z][\w-]*", text))
        for name in sorted(command.required - shown):
            problems.append(f"{_label(path)}: option {name} is not documented")
    for path, found in by_path.items():
        known = tree.get(path)
        if known is None:
            problems.extend(f"cli.md:{s.line}: fipscheck {path}: no such command" for s in found)
            continue
        for section in found:
            for name in sorted(set(LONG_OPTION.findall(section.text)) - known.accepted):
                problems.append(f"cli.md:{section.line}: fipscheck {path}: no option {name}")
    for name in sorted(set(LONG_OPTION.findall(opening)) - every_name):
        problems.append(f"cli.md opening: no command has an option {name}")
    return problems


def test_every_command_and_option_is_documented_and_nothing_documented_is_gone() -> None:
    problems = _problems(commands(), PAGE.read_text(encoding="utf-8"))
    assert not problems, "docs/cli.md and the fipscheck commands disagree:\n" + "\n".join(problems)


def test_the_walk_reaches_the_lazily_loaded_commands() -> None:
    tree = commands()
    assert {"status", "provider install", "policy show", "check", "scan code", "scan tls"} <= set(tree)
    assert {"--max-bytes", "--waivers", "--output", "-o"} <= tree["scan code"].accepted
    assert "--max-bytes" in tree["scan code"].required
    assert "-o" not in tree["scan code"].required  # --output is its long name
    assert "--help" not in tree["status"].required


def test_the_check_names_what_is_missing_and_what_is_gone() -> None:
    """A page that drops a command and an option and documents a command and an option that do not
    exist fails with exactly those four lines."""
    tree = commands()
    page = PAGE.read_text(encoding="utf-8")
    _, documented = sections(page)
    status = next(s for s in documented if s.path == "status")
    demo = next(s for s in documented if s.path == "demo")
    edited = page.replace(status.text, status.text.replace("--deep", "--depth")).replace(
        demo.text, "## `fipscheck frobnicate`\n\nNot a command.\n"
    )
    assert sorted(_problems(tree, edited)) == sorted(
        [
            "fipscheck demo: no section (a heading naming `fipscheck demo`)",
            "fipscheck status: option --deep is not documented",
            f"cli.md:{status.line}: fipscheck status: no option --depth",
            f"cli.md:{demo.line}: fipscheck frobnicate: no such command",
        ]
    )
