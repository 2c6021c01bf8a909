"""The checked-in spec: valid OpenAPI 3.0, complete, and consistent with what chargers send."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from test.conftest import FIXTURES, ROOT, fixture_json, schema_errors

OPERATIONS = {
    ("get", "/health"),
    ("get", "/system"),
    ("get", "/meter"),
    ("get", "/evinterface"),
    ("patch", "/evinterface"),
    ("put", "/evinterface"),
    ("post", "/authorization/charge-session"),
}

# fixture -> the schema it must satisfy (all but the future-firmware one, which must not).
FIXTURE_SCHEMAS = {
    "health.json": "HealthResponse",
    "system.json": "SystemResponse",
    "system_single_phase.json": "SystemResponse",
    "system_errors.json": "SystemResponse",
    "meter.json": "MeterResponse",
    "meter_one_phase_drawing.json": "MeterResponse",
    "meter_single_phase.json": "MeterResponse",
    "evinterface.json": "EVInterfaceResponse",
    "evinterface_fixed_cable.json": "EVInterfaceResponse",
    "evinterface_paused.json": "EVInterfaceResponse",
    "evinterface_firmware_1_9.json": "EVInterfaceResponse",
    "error.json": "ApiError",
}


def test_spec_is_valid_openapi_3_0(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.0.")
    validate(spec)


def test_spec_covers_every_operation(spec: dict[str, Any]) -> None:
    found = {
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
    assert found == OPERATIONS


def test_server_has_host_variable_and_base_path(spec: dict[str, Any]) -> None:
    (server,) = spec["servers"]
    assert server["url"] == "http://{host}/api/wlac/v1"
    assert "host" in server["variables"]


def test_token_required_everywhere_but_health(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["ApiToken"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}
    assert spec["security"] == [{"ApiToken": []}]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            expected: list[object] | None = (
                [] if path == "/health" else None
            )  # None: the global requirement applies
            assert operation.get("security") == expected, (method, path)


def test_every_operation_documents_its_errors_with_api_error(spec: dict[str, Any]) -> None:
    responses = spec["components"]["responses"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert {"400", "429", "default"} <= statuses, (method, path)
            if path != "/health":
                assert "401" in statuses, (method, path)
            if method in {"patch", "put", "post"}:
                assert "403" in statuses, (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) or status == "default":
                    body = responses[response["$ref"].rsplit("/", 1)[1]]["content"]
                    schema = body["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ApiError"}


def test_schemas_have_clear_names_and_examples(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert {
        "EVInterfaceResponse",
        "HealthResponse",
        "SystemResponse",
        "MeterResponse",
        "EVInterfacePatchRequest",
        "EVInterfacePutRequest",
        "ChargeSessionRequest",
        "ApiError",
        "CpState",
        "ChargeCurrentLimitSource",
        "AccessMode",
        "AuthorizationMethod",
    } <= set(schemas)
    for name, schema in schemas.items():
        assert "Get200Response" not in name
        assert "example" in schema, name
        assert schema.get("description"), name
        assert not schema_errors(spec, name, schema["example"]), name
        for key, prop in schema.get("properties", {}).items():
            assert "$ref" in prop or prop.get("description"), (name, key)


def test_enums_list_what_real_chargers_send(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert {"State Invalid", "unknown state", "State A", "State C"} <= set(
        schemas["CpState"]["enum"]
    )
    assert {"Internal power limit", "Reserved", "Local scheduled charging"} <= set(
        schemas["ChargeCurrentLimitSource"]["enum"]
    )
    assert schemas["AccessMode"]["enum"] == ["ReadOnly", "ReadWrite"]
    for name in ("CpState", "ChargeCurrentLimitSource", "AccessMode", "AuthorizationMethod"):
        schema = schemas[name]
        assert (
            len(schema["x-enum-descriptions"])
            == len(schema["enum"])
            == len(schema["x-enum-varnames"])
        )


def test_units_are_in_the_descriptions(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    units = {"Current": "mA", "Voltage": "V", "Power": "W", "Energy": "Wh"}
    for key, prop in schemas["MeterResponse"]["properties"].items():
        unit = next(u for prefix, u in units.items() if key.startswith(prefix))
        assert f"in {unit}" in prop["description"], key
    assert "dBm" in schemas["SystemResponse"]["properties"]["WlanSignalStrength"]["description"]
    assert "Seconds" in schemas["SystemResponse"]["properties"]["Uptime"]["description"]


@pytest.mark.parametrize(("fixture", "schema"), sorted(FIXTURE_SCHEMAS.items()))
def test_real_charger_responses_satisfy_the_spec(
    spec: dict[str, Any], fixture: str, schema: str
) -> None:
    assert schema_errors(spec, schema, fixture_json(fixture)) == []


def test_future_firmware_fixture_breaks_the_strict_spec(spec: dict[str, Any]) -> None:
    errors = schema_errors(spec, "EVInterfaceResponse", fixture_json("evinterface_future.json"))
    assert any("Grid operator limit" in e for e in errors)
    assert any("State C2" in e for e in errors)


def test_every_fixture_is_checked() -> None:
    on_disk = {p.name for p in FIXTURES.glob("*.json")}
    assert on_disk == set(FIXTURE_SCHEMAS) | {"evinterface_future.json"}


def test_package_ships_the_spec_unchanged(spec: dict[str, Any]) -> None:
    shipped = json.loads((ROOT / "pyPeblar" / "openapi.json").read_text())
    assert shipped == spec
