"""Put on PYTHONPATH by ``fipscheck run``: activate fipscrypto before the program's own code runs.

Python imports ``sitecustomize`` at start-up, before the program can import cryptography. This one
runs any ``sitecustomize`` it shadows, then activates. "The program must never start unless
activation succeeded": any exception on the way, of any kind, stops the process with exit status 3
and the reason on stderr. A clean start prints nothing.
"""

import importlib.machinery
import importlib.util
import os
import sys

_SHADOWED = "fipscrypto_shadowed_sitecustomize"  # ``sitecustomize`` stays this module's name


def _chain() -> None:
    """Run the ``sitecustomize`` this one shadows, if any, under another module name.

    ``import sitecustomize`` is still in progress: the import system takes this module back out of
    sys.modules when it finishes, so that entry must stay. The shadowed one is found on the rest of
    sys.path and loaded aside.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    found = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    if found is None or found.origin is None:  # none, or an empty namespace package
        return
    spec = importlib.util.spec_from_file_location(
        _SHADOWED, found.origin, submodule_search_locations=found.submodule_search_locations
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {found.origin}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_SHADOWED] = module
    spec.loader.exec_module(module)


def _refuse(stage: str, exc: BaseException) -> None:
    # Raised from here, the exception would be printed by site and the program would run: leave.
    sys.stderr.write(f"fipscheck run: {stage}: {type(exc).__name__}: {exc}\n")
    sys.stderr.flush()
    os._exit(3)


# Any exception, SystemExit and KeyboardInterrupt included, stops the program.
try:
    _chain()
except BaseException as exc:
    _refuse("the sitecustomize that fipscrypto's hook shadows failed", exc)
try:
    import fipscrypto

    fipscrypto.activate()
except BaseException as exc:
    _refuse("fipscrypto did not activate", exc)
