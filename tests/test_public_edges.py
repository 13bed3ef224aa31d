"""Only fipscrypto errors leave a public function, in bounded time, and a refused call changes nothing.

Every public entry point (the meta-test's list, tests/service_calls.py, and tests/edge_calls.py for
the policy and indicator functions and the key objects' other methods) is called with its valid
arguments, one argument at a time replaced, by parameter name (``inspect.signature``), with:

- wrong types: None, floats, lists, dicts, a bare object, ints and strings where bytes are expected;
- garbage bytes of edge lengths (0, 1, 7, 8, 11, 12, 13, 15, 16, 17, 31, 32, 33, 64, 65535, 65536,
  2**20), and bytearray/memoryview forms of a valid bytes argument (bytes-like input is accepted);
- edge integers (negative, zero, 2**31, 2**64, 2**1000) and odd strings (empty, NUL, long);
- for an algorithm-name argument, every name of its policy vocabulary category, also crossed with
  each integer argument (``generate_signing_key("rsa-pss", bits=1024)``);
- then random values from hypothesis (derandomized: the same cases on every run).

Each call must succeed or raise a subclass of ``fipscrypto.errors.FipsError``; a success with a value
its annotation does not allow (``str`` for ``bytes``) is reported too. A call is interrupted after one
second (or ten valid calls, if longer) and reported; memory is capped. After every refused call on a
key object, its valid call must still work and give the same answer.

The sweep runs in strict mode here, and in audit mode (which lets policy-refused requests through to
the backend) in a fresh interpreter for the entry points that make an algorithm choice. Findings are
aggregated per entry point: one failure lists every case, one line each.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import edge_calls
import edgelib
import pytest
import service_calls
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fipscrypto
from fipscrypto.policy.vocabulary import categories

from support import run_script_json

TESTS = Path(__file__).parent
TEMPLATES = edgelib.templates() | edgelib.templates(edge_calls)

SIZES = ("bits",)  # parameters that size the work of a valid call
# Random values after the catalogue: fewer for calls that cost most of a second.
EXAMPLES, SLOW_EXAMPLES = 12, 2
VOCABULARY = sorted({name for category in categories().values() for name in category.names})
VALUES = st.one_of(
    st.binary(max_size=96),
    st.integers(),
    st.text(max_size=24),
    st.none(),
    st.floats(),
    st.lists(st.integers(), max_size=3),
    st.sampled_from(VOCABULARY),
    st.builds(bytearray, st.binary(max_size=40)),
)

# In audit mode the policy refuses nothing: what strict mode stopped reaches the backend. The entry
# points that make an algorithm, size or parameter choice are swept there; TLS endpoints (whose
# refusals are TLS errors in both modes), password hashing (a second per call) and the seal format
# (one fixed algorithm) are not.
AUDIT_SKIPPED = ("tls.", "passwords.", "seal.", "rand.random_bytes", "policy.", "Policy.", "indicator.")
AUDIT = [name for name in TEMPLATES if not name.startswith(AUDIT_SKIPPED)]


@pytest.fixture(autouse=True)
def post_quantum_module_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweeps call fipscrypto.pqc's entry points too: the switch is on for each test, not for the
    rest of the session."""
    for name, value in service_calls.PQC_ON.items():
        monkeypatch.setenv(name, value)


def _sweep(name: str) -> edgelib.Sweep:
    template = TEMPLATES[name]
    made = template.module.prepare() if "made[" in template.source else None
    run = edgelib.Sweep(template, made)
    run.single()
    run.pairs()
    return run


def _random(run: edgelib.Sweep) -> None:
    """Hypothesis's values, into one or two arguments at a time (recorded, never raised: every case
    of the entry point is reported together)."""
    names = [p.name for p in run.parameters()]
    if not names:
        return
    # A key size sets the work of a valid call (RSA key generation grows with the fourth power of the
    # size): random sizes stay at most the valid one, or beyond any size a service accepts, so a
    # legitimately long generation is not taken for unbounded work. Bad sizes are in the catalogue.
    valid = run.valid_arguments()
    strategies = {
        name: st.one_of(VALUES, st.integers(max_value=valid[name]), st.integers(min_value=1 << 15)).filter(
            lambda v, top=valid[name]: not isinstance(v, int) or v <= top or v >= 1 << 15
        )
        for name in SIZES
        if type(valid.get(name)) is int
    }

    @settings(
        max_examples=SLOW_EXAMPLES if run.slow else EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,  # each call is bounded by the sweep itself (interrupted and reported)
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def random_values(data: st.DataObject) -> None:
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
        run.call({name: data.draw(strategies.get(name, VALUES), label=name) for name in chosen})

    random_values()


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_bad_input_gets_a_fipscrypto_error_strict(name: str) -> None:
    run = _sweep(name)
    _random(run)
    assert run.findings.calls > 0 or not run.parameters()
    state = fipscrypto.module.info().state
    if state is not fipscrypto.module.State.OPERATIONAL:
        run.findings.add("(sweep)", f"the bad input left the module in state {state.value}", "")
    if run.findings.cases:
        pytest.fail(run.findings.report(), pytrace=False)


@pytest.fixture(scope="module")
def audit_findings() -> dict[str, list[str]]:
    found: dict[str, list[str]] = run_script_json(
        TESTS / "edgelib.py", "audit", *AUDIT, timeout=300, **service_calls.PQC_ON
    )
    return found


@pytest.mark.parametrize("name", AUDIT)
def test_bad_input_gets_a_fipscrypto_error_audit(audit_findings: dict[str, list[str]], name: str) -> None:
    lines = audit_findings[name]
    if lines:
        pytest.fail(
            "\n".join([f"{name} (audit mode): {len(lines)} case(s)", *(f"  - {x}" for x in lines)]),
            pytrace=False,
        )


def test_every_public_method_of_the_key_objects_is_swept() -> None:
    """The two lists together call every public method of the objects service_calls.prepare() makes."""
    made = service_calls.prepare()
    listed = {name for name in TEMPLATES if "." in name and name.split(".")[0][:1].isupper()}
    missing = set()
    for value in made.values():
        cls = type(value)
        if not cls.__module__.startswith("fipscrypto."):
            continue
        for attr, member in vars(cls).items():
            if not attr.startswith("_") and inspect.isfunction(member):
                missing.add(f"{cls.__name__}.{attr}")
    missing -= listed
    assert not missing, f"add a valid call to tests/edge_calls.py for: {sorted(missing)}"


def test_the_templates_bind_to_their_signatures() -> None:
    """Every valid call is read from the source and binds to its function's parameters, so a renamed or
    keyword-only parameter is followed, not assumed (a template that no longer binds fails here)."""
    made = service_calls.prepare()
    unbound: dict[str, Any] = {}
    for name, template in TEMPLATES.items():
        env = edgelib.namespace(template.module, made)
        func = template.callable(env)
        args, kwargs = template.arguments(env)
        try:
            inspect.signature(func).bind(*args, **kwargs)
        except TypeError as exc:
            unbound[name] = str(exc)
    assert not unbound, unbound
