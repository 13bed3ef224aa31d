"""The package's modules import each other in one direction: no import cycle, however indirect.

Edges are read from the source (every ``import`` and ``from ... import``, at module level, inside
functions and under ``TYPE_CHECKING``), so an import that runs late still counts: a cycle that only
closes at call time still ties the modules together. ``from . import x`` depends on the package's
``__init__`` as well as on ``x``, as Python runs it; a package and one of its own submodules that
import each other are the normal shape of a package and are not counted. The one deliberate late
binding is importing the self-tests by name (``importlib.import_module("fipscrypto.selftests")`` in
``fipscrypto.module`` and in ``fipscheck selftest``; ARCHITECTURE: selftests -> core), which the
test names and checks are still the only ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Source folder -> the package it installs as (pyproject's package-dir mapping).
FOLDERS = {"fipscrypto": "fipscrypto", "selftests": "fipscrypto.selftests", "pqc": "fipscrypto.pqc"}
FOLDERS["cli"] = "fipscrypto.cli"
LATE = {
    ("fipscrypto.module", "fipscrypto.selftests"),
    ("fipscrypto.cli.selftest", "fipscrypto.selftests"),
    ("fipscrypto.cli.bundle", "fipscrypto.selftests"),
    ("fipscrypto.selftests.hybrid", "fipscrypto.pqc.hybrid"),
}


def modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for folder, package in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = [p for p in path.relative_to(ROOT / folder).with_suffix("").parts if p != "__init__"]
            found[".".join([package, *parts])] = (path, path.name == "__init__.py")
    return found


def _known(name: str, known: dict[str, tuple[Path, bool]]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(name: str, path: Path, is_package: bool, known: dict[str, tuple[Path, bool]]) -> set[str]:
    """The package modules that ``name`` imports, anywhere in its source."""
    base = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                parts = parts[: len(parts) - node.level + 1]
                module = ".".join([*parts, node.module] if node.module else parts)
            else:
                module = node.module or ""
            candidates = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for candidate in candidates:
            target = _known(candidate, known)
            if target is not None and target != name:
                targets.add(target)
    return targets


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, is_package, known) for name, (path, is_package) in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _own_submodule(component: list[str]) -> bool:
    """A package and one of its own submodules (``from . import x`` in a submodule the package's
    ``__init__`` imports): the normal shape of a package, not a cycle between modules."""
    return len(component) == 2 and component[1].startswith(component[0] + ".")


def test_no_import_cycle() -> None:
    edges = graph()
    found = [c for c in cycles(edges) if not _own_submodule(c)]
    detail = [
        " <-> ".join(c) + "\n  " + "\n  ".join(f"{m} -> {sorted(edges[m] & set(c))}" for m in c)
        for c in found
    ]
    assert not found, "import cycles:\n" + "\n".join(detail)


def test_the_cycle_check_sees_late_and_type_checking_imports(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("def f():\n    from . import b\n")
    (tmp_path / "pkg" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n"
    )
    known = {f"pkg.{n}": (tmp_path / "pkg" / f"{n}.py", False) for n in ("a", "b")}
    known["pkg"] = (tmp_path / "pkg" / "__init__.py", True)
    edges = {name: imports(name, path, pkg, known) for name, (path, pkg) in known.items()}
    assert cycles(edges) == [["pkg.a", "pkg.b"]]


def test_the_late_self_test_import_is_the_only_one() -> None:
    late = set()
    for name, (path, _pkg) in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "import_module"
                and node.args
            ):
                argument = node.args[0]
                if isinstance(argument, ast.Constant) and str(argument.value).startswith("fipscrypto"):
                    late.add((name, argument.value))
    assert late == LATE


# The one module outside the backend layer that imports cryptography: the integrity manifest's
# writer, which the build hook loads by path without fipscrypto (its HMAC is computed with either).
CRYPTOGRAPHY_OUTSIDE_BACKEND = {"fipscrypto.selftests.integrity"}


def test_only_the_backend_layer_imports_cryptography() -> None:
    """Every cryptography call goes through fipscrypto._backend (pyca's one-backend-layer rule): a
    service, the post-quantum module, a self-test or the CLI importing it directly fails here."""
    found = set()
    for name, (path, _pkg) in modules().items():
        if name.startswith("fipscrypto._backend"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(n == "cryptography" or n.startswith("cryptography.") for n in names):
                found.add(name)
    assert found == CRYPTOGRAPHY_OUTSIDE_BACKEND
