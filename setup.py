"""Build hook: seal the wheel's package files, and their bytecode, in ``fipscrypto/integrity.json``.

The project is configured in pyproject.toml; this file only replaces ``build_py``. After the packages
are copied into ``build_lib`` (the wheel's layout: ``fipscrypto/``, ``fipscrypto/selftests/``, ...),
the manifest writer of the integrity self-test, loaded by path from the copy about to ship (it needs
nothing but the stdlib), records the HMAC-SHA-256 of every file there, compiles each source into a
checked-hash bytecode cache beside it (the wheel ships these) and records theirs. Editable installs
copy nothing (``editable_mode``): a checkout's manifest is written by ``make`` (see the Makefile).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithManifest(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(self.build_lib)
        writer = root / "fipscrypto" / "selftests" / "integrity.py"
        spec = importlib.util.spec_from_file_location("_fipscrypto_integrity_writer", writer)
        if spec is None or spec.loader is None:
            raise RuntimeError(f"cannot load the manifest writer {writer}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.announce(f"wrote {module.write_manifest(root)}", level=2)


setup(cmdclass={"build_py": BuildPyWithManifest})
