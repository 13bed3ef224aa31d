"""The names a policy may use (``vocabulary.toml``), and their OpenSSL spellings."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

__all__ = ["Category", "categories"]


@dataclass(frozen=True)
class Category:
    name: str
    description: str
    names: tuple[str, ...]
    sized: bool
    openssl: dict[str, str]  # our name -> OpenSSL's, where they differ
    post_quantum: frozenset[str]

    def openssl_name(self, name: str) -> str:
        return self.openssl.get(name, name)


@functools.cache
def categories() -> dict[str, Category]:
    text = resources.files("fipscrypto.policy").joinpath("vocabulary.toml").read_text(encoding="utf-8")
    found = {}
    for key, table in tomllib.loads(text).items():
        openssl = dict(table.get("openssl", {}))
        names = tuple(table.get("names", ())) or tuple(openssl)
        found[key] = Category(
            key,
            table["description"],
            names,
            bool(table.get("sized", False)),
            openssl,
            frozenset(table.get("post_quantum", ())),
        )
    return found
