"""Find, install, verify and load the OpenSSL 3 FIPS provider.

Submodules, imported where needed so that activation loads only what it uses:
``state`` (the state folder and the recorded identity), ``load`` (the environment window),
``provision`` (``install``, ``verify``, ``diagnose``), ``config`` (module MAC, OpenSSL configs),
``apt`` (fetching Debian's package), ``probe`` (checks in fresh interpreters).
"""
