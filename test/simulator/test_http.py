"""The simulator over plain HTTP: every status the spec names, with JSON error bodies."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pyPeblar.simulator import Simulator
from test.conftest import schema_errors, wait_until
from test.simulator.conftest import call


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(rate_limit=False) as simulator:
        yield simulator


def refused(answer: Any, status: int, words: str, spec: dict[str, Any]) -> None:
    assert answer.status == status, answer.raw
    assert answer.headers["Content-Type"] == "application/json"
    assert schema_errors(spec, "ApiError", answer.json) == []
    assert words.lower() in answer.json["statusmsg"].lower()


class TestAuthentication:
    @pytest.mark.parametrize("path", ["/system", "/meter", "/evinterface"])
    def test_no_token(self, sim: Simulator, path: str, spec: dict[str, Any]) -> None:
        refused(call(sim, "GET", path, token=None), 401, "unauthorized", spec)

    def test_wrong_token(self, sim: Simulator, spec: dict[str, Any]) -> None:
        refused(call(sim, "GET", "/meter", token="0" * 64), 401, "unauthorized", spec)

    def test_bearer_prefix_is_wrong(self, sim: Simulator, spec: dict[str, Any]) -> None:
        refused(call(sim, "GET", "/meter", token=f"Bearer {sim.token}"), 401, "unauthorized", spec)

    def test_health_needs_none(self, sim: Simulator) -> None:
        assert call(sim, "GET", "/health", token=None).status == 200

    def test_a_new_token_replaces_the_old(self, sim: Simulator) -> None:
        old = sim.token
        sim.token = "b" * 64
        assert call(sim, "GET", "/meter", token=old).status == 401
        assert call(sim, "GET", "/meter").status == 200

    def test_generated_token_is_64_hex_characters(self, sim: Simulator) -> None:
        assert len(sim.token) == 64
        int(sim.token, 16)


class TestWrites:
    @pytest.mark.parametrize(
        ("body", "words"),
        [
            ({"ChargeCurrent": 1}, "unknown key"),
            ({"ChargeCurrentLimit": "10000"}, "integer"),
            ({"ChargeCurrentLimit": True}, "integer"),
            ({"ChargeCurrentLimit": 10000.5}, "integer"),
            ({"ChargeCurrentLimit": -5}, "negative"),
            ({"ChargeCurrentLimit": 16001}, "maximum of 16000"),
            ({"Force1Phase": "true"}, "true or false"),
            ({}, "nothing to change"),
            ([1, 2], "object"),
        ],
    )
    def test_patch_400(
        self, sim: Simulator, body: object, words: str, spec: dict[str, Any]
    ) -> None:
        refused(call(sim, "PATCH", "/evinterface", body), 400, words, spec)
        assert sim.charge_current_limit == 16000  # nothing half-applied

    def test_malformed_json(self, sim: Simulator, spec: dict[str, Any]) -> None:
        refused(call(sim, "PATCH", "/evinterface", raw=b"{not json"), 400, "not valid json", spec)

    def test_put_needs_both_keys(self, sim: Simulator, spec: dict[str, Any]) -> None:
        refused(
            call(sim, "PUT", "/evinterface", {"ChargeCurrentLimit": 8000}), 400, "Force1Phase", spec
        )

    @pytest.mark.parametrize("key", ["CpState", "LockState", "ChargeCurrentLimitActual"])
    def test_read_only_keys_403(self, sim: Simulator, key: str, spec: dict[str, Any]) -> None:
        answer = call(sim, "PATCH", "/evinterface", {key: 1, "ChargeCurrentLimit": 8000})
        refused(answer, 403, "read-only", spec)
        assert sim.charge_current_limit == 16000

    def test_read_only_mode_403(self, spec: dict[str, Any]) -> None:
        with Simulator(access_mode="ReadOnly", rate_limit=False) as sim:
            refused(
                call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 8000}),
                403,
                "ReadOnly",
                spec,
            )
            refused(
                call(
                    sim,
                    "POST",
                    "/authorization/charge-session",
                    {"Method": "Rfid", "Token": "04A1B2C3"},
                ),
                403,
                "ReadOnly",
                spec,
            )
            sim.access_mode = "ReadWrite"
            assert call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 8000}).status == 200

    def test_force_1phase_where_not_allowed(self, spec: dict[str, Any]) -> None:
        with Simulator(profile="single-phase", rate_limit=False) as sim:
            refused(
                call(sim, "PATCH", "/evinterface", {"Force1Phase": True}),
                400,
                "Force1PhaseAllowed",
                spec,
            )
            assert call(sim, "PATCH", "/evinterface", {"Force1Phase": False}).status == 200


class TestRoutes:
    def test_unknown_path_404(self, sim: Simulator, spec: dict[str, Any]) -> None:
        refused(call(sim, "GET", "/nothing"), 404, "not found", spec)
        refused(call(sim, "GET", "/api/v2/meter"), 404, "not found", spec)

    def test_wrong_method_405_with_allow(self, sim: Simulator, spec: dict[str, Any]) -> None:
        answer = call(sim, "DELETE", "/evinterface")
        refused(answer, 405, "not allowed", spec)
        assert answer.headers["Allow"] == "GET, PATCH, PUT"
        refused(call(sim, "POST", "/meter", {}), 405, "not allowed", spec)

    def test_api_disabled_404(self, sim: Simulator, spec: dict[str, Any]) -> None:
        sim.api_enabled = False
        refused(call(sim, "GET", "/health"), 404, "disabled", spec)

    def test_old_firmware_lacks_the_newer_operations(self, spec: dict[str, Any]) -> None:
        with Simulator(profile="old-firmware", rate_limit=False) as sim:
            answer = call(
                sim, "PUT", "/evinterface", {"ChargeCurrentLimit": 8000, "Force1Phase": False}
            )
            refused(answer, 405, "not allowed", spec)
            assert answer.headers["Allow"] == "GET, PATCH"
            body = {"Method": "Rfid", "Token": "04A1B2C3"}
            refused(
                call(sim, "POST", "/authorization/charge-session", body), 404, "not found", spec
            )

    def test_oversized_body_413(self, sim: Simulator, spec: dict[str, Any]) -> None:
        refused(
            call(sim, "PATCH", "/evinterface", raw=b"{" + b" " * 20000 + b"}"),
            413,
            "too large",
            spec,
        )


class TestChargeSession:
    def test_toggles_a_moment_after_202(self, spec: dict[str, Any]) -> None:
        with Simulator(rate_limit=False, require_authorization=True) as sim:
            sim.plug_in()
            assert sim.cp_state == "State B"
            answer = call(
                sim,
                "POST",
                "/authorization/charge-session",
                {"Method": "Rfid", "Token": "04A1B2C3"},
            )
            assert (answer.status, answer.raw) == (202, b"")
            wait_until(lambda: sim.cp_state == "State C", 3.0)
            assert sim.authorized
            call(
                sim,
                "POST",
                "/authorization/charge-session",
                {"Method": "Rfid", "Name": "Garage card"},
            )
            wait_until(lambda: sim.cp_state == "State B", 3.0)
            assert not sim.authorized
            assert sim.stats().charge_session_posts == 2

    @pytest.mark.parametrize(
        ("body", "status"),
        [
            ({"Method": "Rfid", "Token": "DEADBEEF"}, 403),
            ({"Method": "Rfid", "Name": "Nobody"}, 403),
            ({"Method": "Rfid", "Token": "04A1B2C3", "Name": "Garage card"}, 400),
            ({"Method": "Rfid"}, 400),
            ({"Method": "Pin", "Token": "04A1B2C3"}, 400),
            ({"Method": "Rfid", "Token": ""}, 400),
        ],
    )
    def test_refusals(
        self, sim: Simulator, body: dict[str, str], status: int, spec: dict[str, Any]
    ) -> None:
        answer = call(sim, "POST", "/authorization/charge-session", body)
        assert answer.status == status
        assert schema_errors(spec, "ApiError", answer.json) == []

    def test_ocpp_managed_403(self, sim: Simulator, spec: dict[str, Any]) -> None:
        sim.ocpp_managed = True
        answer = call(
            sim, "POST", "/authorization/charge-session", {"Method": "Rfid", "Token": "04A1B2C3"}
        )
        refused(answer, 403, "OCPP", spec)


class TestRateLimit:
    def test_burst_of_ten_then_429(self, spec: dict[str, Any]) -> None:
        with Simulator() as sim:
            statuses = [call(sim, "GET", "/health").status for _ in range(14)]
            assert statuses[:10] == [200] * 10
            assert 429 in statuses[10:]
            refused(call(sim, "GET", "/health"), 429, "too many", spec)
            assert "Retry-After" not in call(sim, "GET", "/health").headers
            assert sim.stats().rate_limited >= 2
            time.sleep(0.5)  # about 2.5 tokens come back
            assert call(sim, "GET", "/health").status == 200

    def test_retry_after_when_asked(self) -> None:
        with Simulator(retry_after=2) as sim:
            answers = [call(sim, "GET", "/health") for _ in range(12)]
            assert answers[-1].status == 429
            assert answers[-1].headers["Retry-After"] == "2"

    def test_off_never_refuses(self, sim: Simulator) -> None:
        assert {call(sim, "GET", "/health").status for _ in range(30)} == {200}


def test_keep_alive_one_connection() -> None:
    with Simulator(rate_limit=False) as sim:
        connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
        for _ in range(50):
            connection.request("GET", "/api/wlac/v1/meter", headers={"Authorization": sim.token})
            response = connection.getresponse()
            assert response.status == 200
            response.read()
        connection.close()
        assert sim.stats().connections_opened == 1
        assert sim.stats().by_route["GET /meter"] == 50
