"""Firmware drift: `pypeblar check` and `dump`, and absorbing new firmware in one regeneration."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

from pyPeblar import Peblar
from pyPeblar.cli._drift import (
    MISSING_KEY,
    UNKNOWN_KEY,
    UNKNOWN_VALUE,
    WRONG_TYPE,
    anonymize,
    load_spec,
    probe_status,
    response_schema,
    validate,
)
from pyPeblar.simulator import PROFILES, Simulator
from test.conftest import FIXTURES, fixture_json
from test.test_cli import one_json_document, run
from test.test_generation import needs_generator, regenerate, scratch_project

SPEC = load_spec()


def drifts_of(path: str, body: Any) -> list[tuple[str, str]]:
    return sorted(
        (d.kind, d.where) for d in validate(SPEC, path, body, response_schema(SPEC, path))
    )


class TestEachKindOfDrift:
    def test_unknown_key(self) -> None:
        body = fixture_json("evinterface.json") | {"Temperature": 41}
        assert drifts_of("/evinterface", body) == [(UNKNOWN_KEY, "Temperature")]

    def test_missing_required_key(self) -> None:
        body = fixture_json("meter.json")
        del body["PowerTotal"]
        assert drifts_of("/meter", body) == [(MISSING_KEY, "PowerTotal")]

    def test_optional_keys_may_be_missing(self) -> None:
        assert drifts_of("/meter", fixture_json("meter_single_phase.json")) == []

    def test_value_outside_an_enum(self) -> None:
        body = fixture_json("health.json") | {"AccessMode": "ReadMostly"}
        assert drifts_of("/health", body) == [(UNKNOWN_VALUE, "AccessMode")]

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("ChargeCurrentLimit", "16000"),
            ("ChargeCurrentLimit", True),  # a bool is not an integer
            ("ChargeCurrentLimit", 16000.5),
            ("Force1Phase", 1),
            ("CpState", 3),
            ("ChargeCurrentLimit", None),  # null where the spec does not allow it
        ],
    )
    def test_wrong_type(self, key: str, value: Any) -> None:
        body = fixture_json("evinterface.json") | {key: value}
        assert drifts_of("/evinterface", body) == [(WRONG_TYPE, key)]

    def test_null_where_allowed(self) -> None:
        assert drifts_of("/meter", fixture_json("meter_one_phase_drawing.json")) == []

    def test_list_items(self) -> None:
        body = fixture_json("system.json") | {"ActiveErrorCodes": [12, "E7"]}
        assert drifts_of("/system", body) == [(WRONG_TYPE, "ActiveErrorCodes[1]")]

    def test_not_an_object(self) -> None:
        assert drifts_of("/meter", [1, 2]) == [(WRONG_TYPE, "")]

    def test_operation_probes(self) -> None:
        assert probe_status("PUT", "/evinterface", 400).present is True
        assert probe_status("PUT", "/evinterface", 403).present is True
        assert probe_status("PUT", "/evinterface", 405).present is False
        assert probe_status("POST", "/authorization/charge-session", 404).present is False
        assert probe_status("PUT", "/evinterface", 500).present is None


@pytest.mark.parametrize(
    "fixture",
    sorted(
        p.name
        for p in FIXTURES.glob("*.json")
        if p.name not in ("evinterface_future.json", "error.json")
    ),
)
def test_captured_answers_show_no_drift(fixture: str) -> None:
    path = "/" + fixture.split("_", maxsplit=1)[0].removesuffix(".json")
    assert drifts_of(path, fixture_json(fixture)) == []


def test_the_future_fixture_shows_its_drift() -> None:
    assert drifts_of("/evinterface", fixture_json("evinterface_future.json")) == [
        (UNKNOWN_KEY, "SessionId"),
        (UNKNOWN_VALUE, "ChargeCurrentLimitSource"),
        (UNKNOWN_VALUE, "CpState"),
    ]


FUTURE_DRIFTS = [
    ("/evinterface", UNKNOWN_KEY, "SessionId"),
    ("/evinterface", UNKNOWN_VALUE, "ChargeCurrentLimitSource"),
    ("/evinterface", UNKNOWN_VALUE, "CpState"),
    ("/meter", MISSING_KEY, "EnergySession"),
]


def reported(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted(
        (endpoint, drift["kind"], drift["where"])
        for endpoint, drifts in document["endpoints"].items()
        for drift in drifts
    )


class TestCheckCommand:
    @pytest.mark.parametrize(
        "profile", sorted(name for name, p in PROFILES.items() if not p.future)
    )
    def test_chargers_that_match_the_spec(self, profile: str) -> None:
        # Two CLI processes in a row may meet the charger's rate limit; a probe's 429 and its
        # retry would count as two posts here, and rate limiting is not what this test is about.
        with Simulator(profile=profile, rate_limit=False) as sim:
            sim.plug_in()
            result = run("check", sim=sim)
            assert result.returncode == 0, result.stdout + result.stderr
            assert "The charger matches the spec." in result.stdout
            document = one_json_document(run("--json", "check", sim=sim))
            assert document["matches_spec"] is True
            present = {probe["operation"]: probe["present"] for probe in document["operations"]}
            older = profile == "old-firmware"
            assert present == {
                "PUT /evinterface": not older,
                "POST /authorization/charge-session": not older,
            }
            assert sim.charge_current_limit == sim.profile.max_current_ma  # nothing changed
            assert sim.stats().charge_session_posts == 2  # the probes, which cannot toggle
            assert sim.authorized  # the session was not stopped

    def test_future_firmware_shows_exactly_the_four_drifts(self) -> None:
        with Simulator(profile="future-firmware") as sim:
            sim.plug_in()
            human = run("check", sim=sim)
            assert human.returncode == 1
            for _, kind, where in FUTURE_DRIFTS:
                assert f"{kind}: {where}" in human.stdout
            assert "4 differences from the spec" in human.stdout
            machine = run("--json", "check", sim=sim)
            assert machine.returncode == 1
            document = json.loads(machine.stdout)
            assert document["matches_spec"] is False
            assert document["firmware"] == "2.0.0+1+WL-1"
            assert document["api_version"] == "1.0"
            assert reported(document) == sorted(FUTURE_DRIFTS)


def without_uptime(answer: bytes) -> bytes:
    """``answer`` with the seconds of its ``Uptime`` key (if any) replaced by a placeholder."""
    return re.sub(rb'("Uptime" : )\d+', rb"\1<seconds>", answer)


class TestDump:
    def test_answers_are_saved_byte_for_byte(self, tmp_path: Path) -> None:
        with (
            Simulator(rate_limit=False) as sim,
            Peblar(sim.host, sim.token, rate_limit=False) as charger,
        ):
            result = run("dump", "--output", str(tmp_path), sim=sim)
            assert result.returncode == 0, result.stderr
            for name in ("health", "system", "evinterface"):
                saved = (tmp_path / f"{name}.json").read_bytes()
                # Byte for byte, but for the uptime: a busy machine can let a second pass between
                # the dump and this read.
                assert without_uptime(saved) == without_uptime(charger.raw("GET", f"/{name}"))
            manifest = json.loads((tmp_path / "manifest.json").read_text())
            assert manifest["firmware"] == sim.profile.firmware
            assert manifest["anonymized"] is False

    def test_anonymized_files_keep_no_serial_part_number_or_token(self, tmp_path: Path) -> None:
        with Simulator(rate_limit=False) as sim:
            result = run("dump", "--anonymize", "--output", str(tmp_path), sim=sim)
            assert result.returncode == 0, result.stderr
            secrets = [sim.profile.product_sn, sim.profile.product_pn, sim.token, sim.host]
            for path in tmp_path.iterdir():
                text = path.read_text()
                for secret in secrets:
                    assert secret not in text, (path.name, secret)
                json.loads(text)
            system = (tmp_path / "system.json").read_text()
            assert '\t"ProductSn" : "00-00-X0X-XXX"' in system  # the charger's formatting, masked
            assert json.loads(system)["PhaseCount"] == 3  # everything else as it was

    def test_anonymize_masks_tokens_anywhere(self) -> None:
        token = "ab" * 32
        raw = (
            b'{\n\t"ApiToken" : "'
            + token.encode()
            + b'",\n\t"Note" : "token='
            + token.encode()
            + b'"\n}'
        )
        masked = anonymize(raw, tokens=(token,))
        assert token.encode() not in masked
        assert len(masked) == len(raw)
        json.loads(masked)


# -- the end-to-end story: drift detected, spec updated, regenerated, drift gone --------------


def add_future_firmware_to(spec_file: Path) -> None:
    """What a user does after `pypeblar check` on the future firmware: describe it in the spec."""
    spec = yaml.safe_load(spec_file.read_text())
    schemas = spec["components"]["schemas"]
    schemas["EVInterfaceResponse"]["properties"]["SessionId"] = {
        "type": "string",
        "description": "Identifies the current charge session (firmware 2.0).",
        "example": "7f3a9c2e",
    }
    for name, value, varname in (
        ("CpState", "State C2", "STATE_C2"),
        ("ChargeCurrentLimitSource", "Grid operator limit", "GRID_OPERATOR_LIMIT"),
    ):
        schemas[name]["enum"].append(value)
        schemas[name]["x-enum-varnames"].append(varname)
        schemas[name]["x-enum-descriptions"].append(f"{value} (firmware 2.0).")
    schemas["MeterResponse"]["required"].remove("EnergySession")
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))


@pytest.mark.generator
@pytest.mark.slow
@needs_generator
def test_future_firmware_is_absorbed_by_one_regeneration(tmp_path: Path) -> None:
    with Simulator(profile="future-firmware") as sim:
        sim.plug_in()
        # 1. check sees exactly the four drifts ...
        before = run("--json", "check", sim=sim)
        assert before.returncode == 1
        assert reported(json.loads(before.stdout)) == sorted(FUTURE_DRIFTS)
        # ... while the SDK still reads everything, raw values kept.
        with Peblar(sim.host, sim.token) as charger:
            ev = charger.ev_interface()
            assert (ev.cp_state, ev.charge_current_limit_source) == (
                "State C2",
                "Grid operator limit",
            )
            assert ev.model_extra == {"SessionId": "7f3a9c2e"}
            assert charger.meter().energy_session is None
            charger.system()
            charger.health()

        # 2. the spec is updated and regenerated, in a scratch copy of the project.
        project = scratch_project(tmp_path)
        add_future_firmware_to(project / "openapi" / "peblar.yaml")
        result = regenerate(project)
        assert result.returncode == 0, result.stderr

        # 3. the regenerated SDK has a typed field, and check finds no drift.
        # Run in the scratch copy, without site (-S) so the development install's import hook
        # cannot pick the real pyPeblar; the installed dependencies come after the copy.
        packages = sysconfig.get_paths()["purelib"]
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(project), packages]),
            "PEBLAR_HOST": sim.host,
            "PEBLAR_TOKEN": sim.token,
        }
        probe = (
            "import sys, pyPeblar; from pyPeblar import Peblar; "
            "from pyPeblar.models import CpState, EVInterfaceResponse; "
            "assert pyPeblar.__file__.startswith(sys.argv[1]), pyPeblar.__file__; "
            "ev = Peblar.from_env().ev_interface(); "
            "field = EVInterfaceResponse.model_fields['session_id']; "
            "print(field.alias, ev.session_id, type(ev.session_id).__name__, "
            "ev.cp_state is CpState.STATE_C2, ev.model_extra)"
        )
        typed = subprocess.run(
            [sys.executable, "-S", "-c", probe, str(project)],
            capture_output=True,
            text=True,
            env=environment,
            cwd=project,
            check=False,
        )
        assert typed.returncode == 0, typed.stderr
        assert typed.stdout.split() == ["SessionId", "7f3a9c2e", "str", "True", "{}"]
        after = subprocess.run(
            [sys.executable, "-S", "-m", "pyPeblar", "--json", "check"],
            capture_output=True,
            text=True,
            env=environment,
            cwd=project,
            check=False,
        )
        assert after.returncode == 0, after.stdout + after.stderr
        assert json.loads(after.stdout)["matches_spec"] is True


# -- the web interface's spec ---------------------------------------------------------------------

WEB_SPEC = load_spec("pyPeblar.webui")

#: The real captures (test/fixtures/webui) of each web-interface answer `pypeblar check` reads.
WEB_CAPTURES = {
    "/config/user": (
        "ha/user_configuration.json",
        "python-peblar/user_configuration.json",
        "python-peblar/user_configuration_scheduled.json",
    ),
    "/system/info": (
        "ha/system_information.json",
        "ha/system_information_no_buzzer.json",
        "ha/system_information_no_led.json",
        "python-peblar/system_information.json",
        "python-peblar/system_information_whitelabel.json",
    ),
    "/system/software/automatic-update/current-versions": (
        "ha/current_versions.json",
        "python-peblar/versions_current.json",
    ),
    "/config/auth/standalonelist": ("python-peblar/standalonelist.json",),
}


def web_drifts_of(path: str, body: Any) -> list[tuple[str, str]]:
    schema = response_schema(WEB_SPEC, path)
    return sorted((d.kind, d.where) for d in validate(WEB_SPEC, path, body, schema))


def test_check_reads_each_web_answer_with_a_capture() -> None:
    from pyPeblar.cli._drift import WEB_ENDPOINTS

    assert set(WEB_ENDPOINTS) == set(WEB_CAPTURES)


@pytest.mark.parametrize(
    ("path", "capture"), [(path, name) for path, names in WEB_CAPTURES.items() for name in names]
)
def test_real_web_captures_show_no_drift(path: str, capture: str) -> None:
    body = json.loads((FIXTURES / "webui" / capture).read_text(encoding="utf-8"))
    assert web_drifts_of(path, body) == []


def test_web_drift_is_seen() -> None:
    body = json.loads((FIXTURES / "webui" / "ha" / "user_configuration.json").read_text())
    body |= {"SomeNewKey": 1, "SolarChargingMode": "MoonCharging"}
    del body["TimeZone"]
    assert web_drifts_of("/config/user", body) == [
        (MISSING_KEY, "TimeZone"),
        (UNKNOWN_KEY, "SomeNewKey"),
        (UNKNOWN_VALUE, "SolarChargingMode"),
    ]
    tokens = {"Tokens": [{"RfidTokenUid": "04A1B2C3", "RfidTokenDescription": 7}]}
    assert web_drifts_of("/config/auth/standalonelist", tokens) == [
        (WRONG_TYPE, "Tokens[0].RfidTokenDescription")
    ]
