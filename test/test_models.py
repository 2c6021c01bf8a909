"""The generated models: forward compatible for responses, strict for request bodies."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from pyPeblar.models import (
    AccessMode,
    ApiError,
    AuthorizationMethod,
    ChargeCurrentLimitSource,
    ChargeSessionRequest,
    CpState,
    EVInterfacePatchRequest,
    EVInterfacePutRequest,
    EVInterfaceResponse,
    HealthResponse,
    MeterResponse,
    SystemResponse,
)
from test.conftest import fixture_json, fixture_text

Lenient = HealthResponse | SystemResponse | MeterResponse | EVInterfaceResponse | ApiError

RESPONSES: list[tuple[str, type[Lenient]]] = [
    ("health.json", HealthResponse),
    ("system.json", SystemResponse),
    ("system_single_phase.json", SystemResponse),
    ("system_errors.json", SystemResponse),
    ("meter.json", MeterResponse),
    ("meter_one_phase_drawing.json", MeterResponse),
    ("meter_single_phase.json", MeterResponse),
    ("evinterface.json", EVInterfaceResponse),
    ("evinterface_fixed_cable.json", EVInterfaceResponse),
    ("evinterface_paused.json", EVInterfaceResponse),
    ("evinterface_firmware_1_9.json", EVInterfaceResponse),
    ("evinterface_future.json", EVInterfaceResponse),
    ("error.json", ApiError),
]


@pytest.mark.parametrize(("fixture", "model"), RESPONSES)
def test_charger_output_round_trips_unchanged(fixture: str, model: type[Lenient]) -> None:
    parsed = model.from_json(fixture_text(fixture))
    assert json.loads(parsed.to_json()) == fixture_json(fixture)
    assert parsed.to_dict() == fixture_json(fixture)
    assert model.from_dict(parsed.to_dict()) == parsed


@pytest.mark.parametrize(("fixture", "model"), RESPONSES)
def test_bytes_and_dicts_parse_like_text(fixture: str, model: type[Lenient]) -> None:
    text = fixture_text(fixture)
    assert (
        model.from_json(text.encode()) == model.from_json(text) == model.from_dict(json.loads(text))
    )


def test_fields_are_typed_and_named_in_python_style() -> None:
    ev = EVInterfaceResponse.from_json(fixture_text("evinterface.json"))
    assert ev.cp_state is CpState.STATE_C
    assert ev.charge_current_limit_source is ChargeCurrentLimitSource.LOCAL_REST_API
    assert (ev.charge_current_limit, ev.charge_current_limit_actual) == (16000, 16000)
    assert ev.lock_state is True
    assert ev.force1_phase is False
    health = HealthResponse.from_json(fixture_text("health.json"))
    assert health.access_mode is AccessMode.READ_WRITE
    assert health.api_version == "1.0"


def test_values_seen_on_firmware_1_9_are_known_members() -> None:
    ev = EVInterfaceResponse.from_json(fixture_text("evinterface_firmware_1_9.json"))
    assert ev.cp_state is CpState.STATE_INVALID
    assert ev.charge_current_limit_source is ChargeCurrentLimitSource.INTERNAL_POWER_LIMIT
    assert ev.cp_state.is_known
    assert ChargeCurrentLimitSource("Reserved") is ChargeCurrentLimitSource.RESERVED
    assert CpState("unknown state") is CpState.UNKNOWN_STATE


class TestUnknownEnumValues:
    def test_are_accepted_and_keep_the_raw_string(self) -> None:
        ev = EVInterfaceResponse.from_json(fixture_text("evinterface_future.json"))
        assert ev.cp_state == "State C2"
        assert ev.cp_state.value == "State C2"
        assert ev.charge_current_limit_source == "Grid operator limit"
        assert isinstance(ev.cp_state, CpState)
        assert not ev.cp_state.is_known
        assert not ev.charge_current_limit_source.is_known

    def test_round_trip_through_to_json(self) -> None:
        ev = EVInterfaceResponse.from_json(fixture_text("evinterface_future.json"))
        again = json.loads(ev.to_json())
        assert again["CpState"] == "State C2"
        assert again["ChargeCurrentLimitSource"] == "Grid operator limit"

    def test_work_from_python_too(self) -> None:
        assert CpState("State X") == "State X"
        ev = EVInterfaceResponse(CpState="State X")
        assert ev.cp_state == "State X"
        assert str(ev.cp_state) == f"{ev.cp_state}" == "State X"

    def test_are_not_added_to_the_members(self) -> None:
        for i in range(50):
            CpState(f"flood {i}")
        assert len(CpState) == 8
        assert "flood 1" not in CpState._value2member_map_

    def test_only_strings_are_accepted(self) -> None:
        with pytest.raises(ValueError, match="is not a valid CpState"):
            CpState(5)
        with pytest.raises(ValidationError):
            EVInterfaceResponse.from_json('{"CpState": 5}')


def test_known_values_compare_and_hash_like_plain_strings() -> None:
    assert CpState.STATE_C == "State C"  # type: ignore[comparison-overlap]
    assert {"State C": "charging"}[CpState.STATE_C] == "charging"
    assert "Local REST API" in {ChargeCurrentLimitSource.LOCAL_REST_API}
    assert str(CpState.STATE_A) == "State A"
    assert f"{ChargeCurrentLimitSource.SOLAR_CHARGING}" == "Solar charging"
    assert CpState.from_json('"State B"') is CpState.STATE_B


class TestUnknownKeys:
    def test_are_kept(self) -> None:
        ev = EVInterfaceResponse.from_json(fixture_text("evinterface_future.json"))
        assert ev.model_extra == {"SessionId": "7f3a"}
        assert ev.to_dict()["SessionId"] == "7f3a"
        assert json.loads(ev.to_json())["SessionId"] == "7f3a"

    def test_may_hold_any_json(self) -> None:
        meter = MeterResponse.from_json('{"CurrentPhase1": 1, "Harmonics": {"h3": [1.5, null]}}')
        assert meter.model_extra == {"Harmonics": {"h3": [1.5, None]}}


class TestMissingKeys:
    def test_single_phase_meter_has_no_phase_2_or_3(self) -> None:
        meter = MeterResponse.from_json(fixture_text("meter_single_phase.json"))
        assert meter.current_phase1 == 31613
        for phase in (2, 3):
            for quantity in ("current", "voltage", "power"):
                assert getattr(meter, f"{quantity}_phase{phase}") is None
        assert "CurrentPhase2" not in meter.to_dict()

    def test_fixed_cable_has_no_lock_state(self) -> None:
        ev = EVInterfaceResponse.from_json(fixture_text("evinterface_fixed_cable.json"))
        assert ev.lock_state is None
        assert "LockState" not in ev.to_dict()

    def test_signal_strengths_may_be_absent(self) -> None:
        system = SystemResponse.from_json(fixture_text("system_single_phase.json"))
        assert system.wlan_signal_strength is None
        assert system.cellular_signal_strength is None

    def test_even_expected_keys_may_be_missing(self) -> None:
        # Future firmware may drop a key every charger sends today: reading must go on.
        assert EVInterfaceResponse.from_json("{}").cp_state is None
        assert MeterResponse.from_json('{"PowerTotal": 5}').energy_session is None


class TestNulls:
    def test_voltages_may_be_null(self) -> None:
        meter = MeterResponse.from_json(fixture_text("meter_one_phase_drawing.json"))
        assert meter.voltage_phase1 == 230
        assert meter.voltage_phase2 is None
        assert meter.to_dict()["VoltagePhase2"] is None  # null stays null, absent stays absent

    def test_signal_strengths_may_be_null(self) -> None:
        system = SystemResponse.from_json(fixture_text("system.json"))
        assert system.cellular_signal_strength is None
        assert system.wlan_signal_strength == -62


def test_wrong_types_in_a_response_are_an_error_not_a_guess() -> None:
    with pytest.raises(ValidationError):
        MeterResponse.from_json('{"CurrentPhase1": "16 A"}')
    with pytest.raises(ValidationError):
        EVInterfaceResponse.from_json('{"Force1Phase": "yes"}')


class TestRequestBodiesAreStrict:
    def test_patch_carries_only_what_was_set(self) -> None:
        assert EVInterfacePatchRequest(charge_current_limit=10000).to_dict() == {
            "ChargeCurrentLimit": 10000
        }
        assert json.loads(EVInterfacePatchRequest(force1_phase=True).to_json()) == {
            "Force1Phase": True
        }

    @pytest.mark.parametrize(
        "body",
        [
            {"ChargeCurrentLimit": 10000, "CpState": "State C"},  # a read-only key
            {"ChargeCurrent": 10000},  # a misspelling
            {"ChargeCurrentLimit": "10000"},
            {"ChargeCurrentLimit": 10000.5},
            {"ChargeCurrentLimit": True},
            {"ChargeCurrentLimit": -1},
            {"ChargeCurrentLimit": 32001},
            {"Force1Phase": "true"},
            {"Force1Phase": 1},
            {},
        ],
    )
    def test_patch_refuses(self, body: dict[str, object]) -> None:
        with pytest.raises(ValidationError):
            EVInterfacePatchRequest.from_dict(body)
        with pytest.raises(ValidationError):
            EVInterfacePatchRequest.from_json(json.dumps(body))

    def test_put_needs_both_keys(self) -> None:
        with pytest.raises(ValidationError, match="Force1Phase"):
            EVInterfacePutRequest(charge_current_limit=6000)  # type: ignore[call-arg]
        body = EVInterfacePutRequest(charge_current_limit=6000, force1_phase=False)
        assert body.to_dict() == {"ChargeCurrentLimit": 6000, "Force1Phase": False}

    def test_charge_session_body(self) -> None:
        body = ChargeSessionRequest(method=AuthorizationMethod.RFID, token="04A1B2C3")
        assert body.to_dict() == {"Method": "Rfid", "Token": "04A1B2C3"}
        with pytest.raises(ValidationError):
            ChargeSessionRequest(method=AuthorizationMethod.RFID, token="")
        with pytest.raises(ValidationError):
            ChargeSessionRequest.from_dict({"Method": "Rfid", "Token": "x", "Pin": "1234"})

    def test_an_enum_value_the_spec_does_not_list_is_never_sent(self) -> None:
        """Enums are open for reading; a request body still takes only listed values."""
        with pytest.raises(ValidationError, match="Rfid"):
            ChargeSessionRequest.from_dict({"Method": "Nfc", "Token": "04A1B2C3"})
        from pyPeblar.webui.models import UserConfiguration, UserConfigurationUpdate

        read = UserConfiguration.from_dict({"HmiBuzzerVolume": 9})
        assert read is not None and read.hmi_buzzer_volume == 9
        with pytest.raises(ValidationError, match="is not one of"):
            UserConfigurationUpdate(hmi_buzzer_volume=9)

    def test_assignment_is_validated(self) -> None:
        body = EVInterfacePatchRequest(charge_current_limit=10000)
        with pytest.raises(ValidationError):
            body.charge_current_limit = "11"  # type: ignore[assignment]
