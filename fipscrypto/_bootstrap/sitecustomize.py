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

try:
    import fipscrypto
except ImportError as exc:
    sys.stderr.write(f"fipscheck run: this interpreter cannot import fipscrypto ({exc})\n")
    raise SystemExit(3) from None
try:
    fipscrypto.activate()
except fipscrypto.FipsError as exc:
    sys.stderr.write(f"fipscheck run: fipscrypto did not activate: {exc}\n")
    raise SystemExit(3) from None
