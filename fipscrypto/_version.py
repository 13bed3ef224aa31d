"""The fipscrypto version (one place: the package, the distribution metadata and caches read it)."""

__version__ = "0.1.0"
