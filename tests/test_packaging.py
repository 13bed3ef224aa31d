"""The distribution: what the wheel ships, its metadata, and a build without warnings."""

from __future__ import annotations

import re
import tomllib
import zipfile
from email.parser import Parser
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import fipscrypto
from fipscrypto import _version

if TYPE_CHECKING:
    from conftest import BuiltWheel

REPO = Path(__file__).resolve().parent.parent
POLICY = REPO / "fipscrypto" / "policy"


@pytest.mark.slow
def test_the_wheel_ships_the_profiles_the_vocabulary_and_the_license(built_wheel: BuiltWheel) -> None:
    with zipfile.ZipFile(built_wheel.wheel) as archive:
        names = set(archive.namelist())
        (meta,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        fields = Parser().parsestr(archive.read(meta).decode())
        license_text = archive.read(meta.replace("METADATA", "licenses/LICENSE")).decode()
    folder = POLICY / "profiles"
    profiles = {f"fipscrypto/policy/{p.relative_to(POLICY)}" for p in folder.glob("**/*.toml")}
    assert len(profiles) >= 4
    assert any("/history/" in name for name in profiles)  # earlier versions, for NAME@VERSION
    assert profiles | {"fipscrypto/policy/vocabulary.toml", "fipscrypto/_version.py"} <= names
    assert (fields["Version"], fields["License-Expression"]) == (_version.__version__, "Apache-2.0")
    assert license_text == (REPO / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0, January 2004" in license_text


@pytest.mark.slow
def test_the_build_is_free_of_warnings(built_wheel: BuiltWheel) -> None:
    # Python warnings of the build backend (BuildBackendWarning, SetuptoolsDeprecationWarning, ...):
    # an undeclared package folder was one, and its data would stop shipping in a later setuptools.
    assert re.findall(r"\w*Warning\b.*", built_wheel.log) == []


def test_one_version_everywhere() -> None:
    assert fipscrypto.__version__ == _version.__version__ == metadata.version("fipscrypto")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "fipscrypto._version.__version__"}


def test_every_package_folder_is_declared() -> None:
    # A folder that ships files but is not in `packages` is what setuptools warns about (and drops).
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set()
    for name, folder in project["package-dir"].items():
        root = REPO / folder
        for inner in [root, *(p for p in root.rglob("*") if p.is_dir() and "__pycache__" not in p.parts)]:
            if any(f.is_file() for f in inner.iterdir()):
                found.add(".".join((name, *inner.relative_to(root).parts)))
    assert found == set(project["packages"])


def test_the_dev_tools_are_pinned() -> None:
    pins = dict(
        line.split("#")[0].strip().split("==")
        for line in (REPO / "constraints.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    )
    assert {"ruff", "mypy", "types-cffi", "pytest", "hypothesis"} <= set(pins)
    assert {name: metadata.version(name) for name in pins} == pins
    assert "-c constraints.txt" in (REPO / "Makefile").read_text()
