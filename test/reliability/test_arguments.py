"""Property-based: every public constructor option and method argument of all six clients.

``Peblar``, ``AsyncPeblar``, ``PeblarWeb``, ``AsyncPeblarWeb``, ``PeblarModbus`` and
``AsyncPeblarModbus`` (the asyncio ones awaited for the test, test/clients.py): each parameter,
found with ``inspect.signature``, gets either a value the client documents or a hostile one (huge
integers, NaN, infinities, a bool where a number is expected, None, bytes, control characters,
very long strings, the wrong type). The only outcomes allowed:

- the documented result, or a ``PeblarError`` in which the charger refuses for a reason of its
  state (a card already listed, nothing to update, a 403, a 404): never a 400, which would mean
  the client sent what no charger takes (``raw()`` alone sends what it is given), and never an
  answer the client did not understand;
- a ``ValueError`` or ``TypeError`` that names a parameter it was given, raised before anything
  was sent: the simulator's request counter (which counts its Modbus requests too) proves it.

``test_every_parameter_has_values`` fails for a new method or parameter until ``VALID`` knows it,
so nothing public escapes the fuzz. Each test item has a simulator of its own (the 32 A cable
charger, so every current the spec allows is one the hardware takes), serving Modbus too.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Iterator
from datetime import timezone
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyPeblar import (
    AsyncPeblar,
    AsyncPeblarModbus,
    AsyncPeblarWeb,
    ChargerMemory,
    Peblar,
    PeblarBadRequestError,
    PeblarError,
    PeblarInvalidResponseError,
    PeblarModbus,
    PeblarWeb,
)
from pyPeblar._transport.shown import shown
from pyPeblar.simulator import Simulator
from test.clients import BlockingAsyncPeblar, BlockingAsyncPeblarModbus, BlockingAsyncPeblarWeb

SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PASSWORD = "hunter2-web-password"
CAR = "00:1A:2B:3C:4D:5E"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Kind(NamedTuple):
    """A client: the class whose signatures are fuzzed, and its synchronous face for the test."""

    cls: Any
    face: Any
    api: str  # "token" (the local REST API), "password" (the web interface) or "modbus"


KINDS: dict[str, Kind] = {
    "Peblar": Kind(Peblar, Peblar, "token"),
    "AsyncPeblar": Kind(AsyncPeblar, BlockingAsyncPeblar, "token"),
    "PeblarWeb": Kind(PeblarWeb, PeblarWeb, "password"),
    "AsyncPeblarWeb": Kind(AsyncPeblarWeb, BlockingAsyncPeblarWeb, "password"),
    "PeblarModbus": Kind(PeblarModbus, PeblarModbus, "modbus"),
    "AsyncPeblarModbus": Kind(AsyncPeblarModbus, BlockingAsyncPeblarModbus, "modbus"),
}

#: Methods not fuzzed here, and why.
EXEMPT = {
    "from_env": "its options are the constructor's, fuzzed there; it reads only the environment",
}

HOSTILE = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            False,
            10**400,
            -(10**400),
            2**63,
            math.nan,
            math.inf,
            -math.inf,
            1e308,
            -1,
            0,
            1.5,
            b"bytes",
            "",
            " ",
            "\r\n",
            "x\x00y",
            "é",
            "x" * 100_000,
            [],
            {},
            (1, 2),
            object(),
        ]
    ),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.binary(max_size=8),
)

#: Hosts no client takes: hostile for a host without a name resolver's help (any other text may be
#: a real name, which from_password would look up).
HOSTILE_HOSTS = st.sampled_from(
    [
        None,
        10**400,
        b"host",
        "",
        " ",
        "\r\n",
        "x\x00y",
        "a" * 64 + ".local",
        "x" * 100_000,
        "http://[::1",
        "https://peblar.local",
        "peblar.local/path",
        "user@peblar.local",
        "h:0",
    ]
)

#: A value the client documents for each parameter, by (method, parameter) or by parameter name;
#: a function of the simulator, for what only it knows (its address, token, password).
Values = Callable[[Simulator], st.SearchStrategy[Any]]
SLOT = st.fixed_dictionaries(
    {
        "CurrentLimit": st.integers(0, 32) | HOSTILE,
        "StartTime": st.integers(0, 1439) | HOSTILE,
    }
)
SETTING_VALUES = st.sampled_from(
    [True, False, 0, 1, 3, 6, 16, 22, -500, 1400, "Auto", "Fixed", "ReadWrite", "PureSolar"]
)
SETTING_NAMES = st.sampled_from(
    [
        "HmiBuzzerVolume",
        "hmi_led_intensity_manual",
        "HmiLedIntensityMode",
        "UserKeepSocketLocked",
        "user_defined_charge_limit_current",
        "SolarChargingCustomPowerTarget",
        "local_rest_api_access_mode",
    ]
)
OPTION_NAMES = st.sampled_from(
    ["timeout", "deadline", "retries", "backoff", "rate_limit", "protect_relays", "proxy", "memory"]
)
VALID: dict[str, Values] = {
    # constructors (and from_password)
    "host": lambda sim: st.just(sim.host),
    "__init__.token": lambda sim: st.just(sim.token),
    "password": lambda sim: st.just(PASSWORD),
    "timeout": lambda sim: st.sampled_from([1.0, (1.0, 0.5)]),
    "deadline": lambda sim: st.just(5.0),
    "retries": lambda sim: st.integers(0, 2),
    "backoff": lambda sim: st.sampled_from([0, 0.02]),
    "rate_limit": lambda sim: st.booleans(),
    "protect_relays": lambda sim: st.booleans(),
    "phase_switch_timeout": lambda sim: st.just(0.3),
    "proxy": lambda sim: st.none(),
    "memory": lambda sim: st.builds(ChargerMemory),
    "options": lambda sim: st.dictionaries(OPTION_NAMES, st.just(1.0) | HOSTILE, max_size=2),
    # Peblar, AsyncPeblar
    "method": lambda sim: st.sampled_from(["GET", "PATCH", "POST"]),
    "path": lambda sim: st.sampled_from(["/meter", "/evinterface", "/nope"]),
    "body": lambda sim: st.sampled_from([None, b"{}", b'{"ChargeCurrentLimit": 10000}']),
    "retry": lambda sim: st.sampled_from([None, True, False]),
    "amps": lambda sim: st.sampled_from([6, 10, 16.5, 32]),
    "milliamps": lambda sim: st.sampled_from([6000, 16000, 32000]),
    "enabled": lambda sim: st.booleans(),
    "force_single_phase": lambda sim: st.booleans(),
    "authorize_charge_session.token": lambda sim: st.just("04A1B2C3"),
    "name": lambda sim: st.just("Garage card"),
    # PeblarWeb, AsyncPeblarWeb
    "changes": lambda sim: st.dictionaries(
        SETTING_NAMES | st.text(max_size=8), SETTING_VALUES | HOSTILE, max_size=3
    ),
    "mode": lambda sim: st.sampled_from(["default", "scheduled", "pure_solar", "custom_solar"]),
    "always_charge": lambda sim: st.booleans(),
    "power_target": lambda sim: st.integers(-5000, 5000),
    "power_threshold": lambda sim: st.integers(0, 5000),
    "automatic": lambda sim: st.booleans(),
    "percent": lambda sim: st.integers(0, 100),
    "volume": lambda sim: st.integers(0, 4),
    "locked": lambda sim: st.booleans(),
    "access_mode": lambda sim: st.sampled_from(["ReadWrite", "ReadOnly"]),
    "use_cache": lambda sim: st.booleans(),
    "package": lambda sim: st.sampled_from(["Firmware", "Customization"]),
    "uid": lambda sim: st.sampled_from(["04A1B2C3", "0A0B0C0D", "04a1b2c3d4e5f6"]),
    "description": lambda sim: st.sampled_from(["", "Guest card", "Käthe's"]),
    "evcc_id": lambda sim: st.sampled_from([CAR, "001A2B3C4D5E"]),
    "alias": lambda sim: st.sampled_from(["", "Family car"]),
    "authorize": lambda sim: st.booleans(),
    "start": lambda sim: st.datetimes(timezones=st.none() | st.just(timezone.utc)),
    "stop": lambda sim: st.datetimes(timezones=st.none() | st.just(timezone.utc)),
    "schedules": lambda sim: st.fixed_dictionaries(
        {day: st.lists(SLOT, max_size=2) | HOSTILE for day in DAYS}
    ),
    # The session status always: its current state is pushed at once (the firmware status only
    # after an update), so the stream's first event comes without waiting.
    "topics": lambda sim: st.sampled_from(
        [
            [],
            ["/session/status/connector/1"],
            ["/system/fwupdate/status", "/session/status/connector/1"],
        ]
    ),
    "reconnect_backoff": lambda sim: st.sampled_from([0.01, 1.0]),
    "max_reconnect_backoff": lambda sim: st.sampled_from([1.0, 300.0]),
    "until": lambda sim: st.sampled_from([None, bool]),
}

#: The Modbus clients' own: where the simulator's Modbus server is, and the unit ids (it answers
#: every one).
MODBUS_VALID: dict[str, Values] = {
    "host": lambda sim: st.sampled_from([sim.modbus_host, f"127.0.0.1:{sim.modbus_port}"]),
    "port": lambda sim: st.just(sim.modbus_port),
    "unit": lambda sim: st.sampled_from([0, 1, 255]),
}

#: A value longer than this (its repr) is named cut short in a refusal
#: (``pyPeblar._transport.shown``), never repeated whole: not a 100,000-character string, not a
#: 400-digit number.
LONG_VALUE = 100

#: What a charger may refuse with 400 for a reason of its state, not of what was sent.
STATE_CONFLICT = re.compile(r"already in the list|up to date")


def public_methods(cls: Any) -> dict[str, inspect.Signature]:
    """Every public method of ``cls`` (the constructor as ``__init__``) and its parameters."""
    found = {"__init__": inspect.signature(cls.__init__)}
    for name, member in inspect.getmembers(cls):
        if not name.startswith("_") and callable(member):
            found[name] = inspect.signature(member)
    return found


def parameters(signature: inspect.Signature) -> list[inspect.Parameter]:
    return [p for p in signature.parameters.values() if p.name not in ("self", "cls")]


def values_for(kind: str, method: str, parameter: str) -> Values | None:
    """The documented values of ``kind``'s ``parameter`` of ``method`` (None: VALID lacks it)."""
    found = MODBUS_VALID.get(parameter) if KINDS[kind].api == "modbus" else None
    return found or VALID.get(f"{method}.{parameter}") or VALID.get(parameter)


#: (kind, method) for every public method with a parameter to fuzz.
CASES = [
    (kind, method)
    for kind, spec in KINDS.items()
    for method, signature in public_methods(spec.cls).items()
    if parameters(signature) and method not in EXEMPT
]


def test_every_parameter_has_values() -> None:
    """A new public method or parameter is fuzzed as soon as VALID says what it takes."""
    missing = [
        f"{kind}.{method}({parameter.name})"
        for kind, spec in KINDS.items()
        for method, signature in public_methods(spec.cls).items()
        if method not in EXEMPT
        for parameter in parameters(signature)
        if values_for(kind, method, parameter.name) is None
    ]
    assert missing == []
    assert len(CASES) >= 48  # every method with arguments, of six clients


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(
        profile="three-phase-cable",
        rate_limit=False,
        password=PASSWORD,
        phase_switch_delay=0.01,
        modbus_port=0,
    ) as simulator:
        simulator.reboot_duration = 0.05
        simulator.plug_in()
        yield simulator


def client_of(kind: str, sim: Simulator) -> Any:
    options: dict[str, Any] = {"timeout": (1.0, 1.0), "backoff": 0.02}
    spec = KINDS[kind]
    if spec.api == "password":
        return spec.face(sim.host, PASSWORD, rate_limit=False, **options)
    options.update(protect_relays=False, phase_switch_timeout=0.3, memory=ChargerMemory())
    if spec.api == "modbus":
        return spec.face(sim.modbus_host, **options)
    return spec.face(sim.host, sim.token, rate_limit=False, **options)


class Drawn(NamedTuple):
    """The arguments of one call, and the names an error about them may use."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    names: set[str]


def draw_arguments(data: st.DataObject, sim: Simulator, kind: str, method: str) -> Drawn:
    """For each parameter: left out (if it has a default), a documented value or a hostile one.

    Half the examples focus on one parameter: it alone is hostile, so the others' documented
    values take the call as deep as it goes (a custom-solar mode with a hostile power target).
    An error may name any parameter of the method ("give exactly one of amps= or milliamps=").
    """
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}
    signature = public_methods(KINDS[kind].cls)[method]
    names = {parameter.name for parameter in parameters(signature)}
    focus = data.draw(st.none() | st.sampled_from(sorted(names)), label="focus")
    for parameter in parameters(signature):
        known = values_for(kind, method, parameter.name)
        assert known is not None, f"VALID lacks {method}({parameter.name})"
        values = known(sim)
        hostile = HOSTILE_HOSTS if parameter.name == "host" else HOSTILE
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            extra = data.draw(values | st.dictionaries(st.text(max_size=8), hostile, max_size=2))
            kwargs.update(extra)
            names |= set(extra) | {"setting", "option"}
            continue
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            hostile_list = st.lists(hostile, min_size=1, max_size=2)
            chosen = hostile_list if focus == parameter.name else values
            args = tuple(data.draw(chosen if focus is not None else values | hostile_list))
            names |= {parameter.name, parameter.name.rstrip("s")}
            continue
        if focus is None:
            choices = values | hostile
        else:
            choices = hostile if parameter.name == focus else values
        if parameter.default is not inspect.Parameter.empty and parameter.name != focus:
            choices = st.just(inspect.Parameter.empty) | choices
        value = data.draw(choices, label=parameter.name)
        if value is not inspect.Parameter.empty:
            kwargs[parameter.name] = value
    return Drawn(args, kwargs, names)


def repeated_whole(error: BaseException, drawn: Drawn) -> list[str]:
    """The long values ``error``'s message repeats whole (as their repr or their text)."""
    text = str(error)
    values = [*drawn.args, *drawn.kwargs.values()]
    return [
        shown(value)
        for value in values
        if len(repr(value)) > LONG_VALUE and (repr(value) in text or str(value) in text)
    ]


def call(kind: str, method: str, client: Any, drawn: Drawn) -> Any:
    face = KINDS[kind].face
    if method == "__init__":
        face(*drawn.args, **drawn.kwargs).close()
        return None
    if method == "from_password":
        face.from_password(*drawn.args, **drawn.kwargs).close()
        return None
    result = getattr(client, method)(*drawn.args, **drawn.kwargs)
    if method == "events":  # a stream: opening it is the call; its first event, the result
        with result as stream:
            return next(stream)
    return result


@pytest.mark.parametrize(("kind", "method"), CASES)
@SETTINGS
@given(data=st.data())
def test_any_argument(kind: str, method: str, sim: Simulator, data: st.DataObject) -> None:
    drawn = draw_arguments(data, sim, kind, method)
    with client_of(kind, sim) as client:
        sent = sim.stats().requests_total
        try:
            call(kind, method, client, drawn)
            return
        except Exception as raised:  # classified below; anything unexpected is raised again
            error = raised
    assert PASSWORD not in str(error) and sim.token not in str(error), "a secret in an error"
    if isinstance(error, PeblarBadRequestError):
        assert method == "raw" or STATE_CONFLICT.search(error.statusmsg), error
    elif isinstance(error, PeblarInvalidResponseError):
        raise error
    elif isinstance(error, PeblarError):
        pass  # the charger's state: a card not listed, a setting not allowed, rebooting
    elif isinstance(error, (ValueError, TypeError)):
        assert sim.stats().requests_total == sent, f"{error!r} after a request"
        assert any(name in str(error) for name in drawn.names), (drawn.names, str(error))
        assert not repeated_whole(error, drawn), f"a value repeated whole: {error!s:.200}"
    else:
        raise error
