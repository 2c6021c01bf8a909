"""Every answer the simulator gives satisfies the spec and parses with the generated models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pyPeblar import ApiClient, Configuration
from pyPeblar.api import EVInterfaceApi, HealthApi, MeterApi, SystemApi
from pyPeblar.models import (
    EVInterfacePatchRequest,
    EVInterfacePutRequest,
    EVInterfaceResponse,
    HealthResponse,
    MeterResponse,
    SystemResponse,
)
from pyPeblar.simulator import PROFILES, Simulator
from test.conftest import schema_errors
from test.simulator.conftest import call

GETS: list[tuple[str, str, type[Any]]] = [
    ("/health", "HealthResponse", HealthResponse),
    ("/system", "SystemResponse", SystemResponse),
    ("/meter", "MeterResponse", MeterResponse),
    ("/evinterface", "EVInterfaceResponse", EVInterfaceResponse),
]


def idle(sim: Simulator) -> None:
    """Nothing plugged in."""


def charging(sim: Simulator) -> None:
    sim.plug_in()


def paused(sim: Simulator) -> None:
    sim.plug_in()
    call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 0})


def one_phase(sim: Simulator) -> None:
    sim.plug_in()
    if sim.profile.force_1phase_allowed:
        call(sim, "PATCH", "/evinterface", {"Force1Phase": True})
        sim.advance(5)


STATES: dict[str, Callable[[Simulator], None]] = {
    "idle": idle,
    "charging": charging,
    "paused": paused,
    "one-phase": one_phase,
}
SPEC_PROFILES = [name for name, profile in PROFILES.items() if not profile.future]


@pytest.fixture(params=SPEC_PROFILES)
def any_sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    with Simulator(profile=request.param, rate_limit=False, phase_switch_delay=1.0) as sim:
        yield sim


@pytest.mark.parametrize("state", STATES)
def test_gets_satisfy_the_spec(any_sim: Simulator, state: str, spec: dict[str, Any]) -> None:
    STATES[state](any_sim)
    for path, schema, model in GETS:
        answer = call(any_sim, "GET", path)
        assert answer.status == 200, (path, answer.raw)
        assert answer.headers["Content-Type"] == "application/json"
        assert schema_errors(spec, schema, answer.json) == [], (path, answer.json)
        parsed = model.from_json(answer.raw)
        assert parsed.to_dict() == answer.json
        assert not parsed.model_extra


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("PATCH", {"ChargeCurrentLimit": 8000}),
        ("PATCH", {"Force1Phase": False}),
        ("PUT", {"ChargeCurrentLimit": 6000, "Force1Phase": False}),
    ],
)
def test_writes_answer_with_the_resulting_state(
    any_sim: Simulator, method: str, body: dict[str, Any], spec: dict[str, Any]
) -> None:
    request_model = EVInterfacePutRequest if method == "PUT" else EVInterfacePatchRequest
    assert request_model.from_dict(body) is not None  # the bodies are valid requests
    answer = call(any_sim, method, "/evinterface", body)
    if any_sim.profile.missing_operations.get((method, "/evinterface")):
        assert answer.status == any_sim.profile.missing_operations[(method, "/evinterface")]
        assert schema_errors(spec, "ApiError", answer.json) == []
        return
    assert answer.status == 200
    assert schema_errors(spec, "EVInterfaceResponse", answer.json) == []
    for key, value in body.items():
        assert answer.json[key] == value


def test_future_firmware_breaks_the_spec_in_exactly_four_ways(spec: dict[str, Any]) -> None:
    with Simulator(profile="future-firmware", rate_limit=False) as sim:
        sim.plug_in()
        ev = call(sim, "GET", "/evinterface").json
        meter = call(sim, "GET", "/meter").json
        ev_errors = schema_errors(spec, "EVInterfaceResponse", ev)
        meter_errors = schema_errors(spec, "MeterResponse", meter)
        assert len(ev_errors) == 2  # the new CpState and the new limit source
        assert any("State C2" in e for e in ev_errors)
        assert any("Grid operator limit" in e for e in ev_errors)
        assert "SessionId" in ev  # a new key: allowed by the schema, so not an error
        assert "SessionId" not in spec["components"]["schemas"]["EVInterfaceResponse"]["properties"]
        assert meter_errors == ["'EnergySession' is a required property"]
        # ... and the lenient models still read every endpoint.
        for path, _, model in GETS:
            model.from_json(call(sim, "GET", path).raw)


def test_generated_api_classes_work_against_it() -> None:
    with Simulator(rate_limit=False) as sim:
        sim.plug_in()
        client = ApiClient(Configuration(host=sim.api_url, api_key={"ApiToken": sim.token}))
        assert HealthApi(client).get_health().api_version == "1.0"
        assert SystemApi(client).get_system().phase_count == 3
        meter = MeterApi(client).get_meter()
        assert meter.current_phase1 is not None
        assert meter.current_phase1 > 15000
        ev_api = EVInterfaceApi(client)
        result = ev_api.patch_ev_interface(EVInterfacePatchRequest(charge_current_limit=7000))
        assert result.charge_current_limit == 7000
        assert ev_api.get_ev_interface().charge_current_limit_actual == 7000
        replaced = ev_api.put_ev_interface(
            EVInterfacePutRequest(charge_current_limit=9000, force1_phase=False)
        )
        assert replaced.charge_current_limit == 9000


def test_answers_are_formatted_like_a_real_charger() -> None:
    with Simulator(rate_limit=False) as sim:
        raw = call(sim, "GET", "/evinterface").raw.decode()
    lines = raw.strip().splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    keys = [line.split('"')[1] for line in lines[1:-1]]
    assert keys == sorted(keys)
    assert all(line.startswith('\t"') and '" : ' in line for line in lines[1:-1])
