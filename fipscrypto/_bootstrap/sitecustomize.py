"""Put on PYTHONPATH by ``fipscheck run``: activate fipscrypto before the program's own code runs.

Python imports ``sitecustomize`` at start-up, before the program can import cryptography. This one
hands over to any ``sitecustomize`` it shadows, then activates; a failure stops the program (exit 3)
rather than letting it run without the FIPS provider.
"""

import contextlib
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
del sys.modules["sitecustomize"]
with contextlib.suppress(ImportError):
    import sitecustomize  # type: ignore[import-not-found]  # noqa: F401  # the one this shadows, if any


def _refuse(message: str) -> None:
    # SystemExit raised during start-up becomes exit status 1 with a traceback: leave directly.
    sys.stderr.write(f"fipscheck run: {message}\n")
    sys.stderr.flush()
    os._exit(3)


try:
    import fipscrypto
except ImportError as exc:
    _refuse(f"this interpreter cannot import fipscrypto ({exc})")
try:
    fipscrypto.activate()
except fipscrypto.FipsError as exc:
    _refuse(f"fipscrypto did not activate: {exc}")
