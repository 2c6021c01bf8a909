"""A POST answered with a 2xx is a success, whatever its body, on every road.

A POST is never repeated by the policy layer (the charge-session call toggles: a second one stops
the session the first started). If its 2xx answer raised because the body was empty, ``null`` or
not what the spec describes, a script that retries on the error would undo what the charger did.
So every POST of both APIs, on every road, returns normally after any 2xx, and on the generated
road the body of a 2xx is never read as the spec's error model (``ApiError``/``WebError``).

The simulator really acts (``apply=True``) and then answers with the body under test; each test
checks that the call returned as a success and that the charger did what was asked, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pyPeblar.simulator import Simulator
from test.clients import WEB_CLIENTS, generated, web_client_class
from test.conftest import FAST, ROADS, open_road, wait_until

#: Every shape of 2xx answer a POST may get: (status, body).
SUCCESSES = {
    "empty 200": (200, b""),
    "204": (204, b""),
    "null": (200, b"null"),
    "an object": (200, b'{"Result": "done", "Count": 1}'),
    "error-shaped": (200, b'{"statusmsg": "Forbidden"}'),
    "error-shaped 201": (201, b'{"statusmsg": "Unauthorized"}'),
}

CARD = "04A1B2C3"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@pytest.mark.parametrize("success", SUCCESSES)
@pytest.mark.parametrize("road_name", ROADS)
def test_the_charge_session_post_succeeds_on_any_2xx(road_name: str, success: str) -> None:
    status, body = SUCCESSES[success]
    with Simulator(require_authorization=True, rfid_tokens={CARD: "Alice"}) as sim:
        sim.plug_in()
        sim.inject(
            "status",
            path="/authorization/charge-session",
            method="POST",
            apply=True,
            status=status,
            body=body,
        )
        with open_road(road_name, sim, **FAST) as road:
            assert road.authorize_charge_session(token=CARD) is None
        wait_until(lambda: sim.authorized, 5.0)
        assert sim.stats().charge_session_posts == 1


#: Every POST of the web clients (and the PUT and DELETEs beside them), the route it takes, and
#: how to see the charger did it (None: the route was taken once). Reboot and update come last:
#: they take the charger away.
WEB_WRITES: list[tuple[str, Callable[[Any], object], str, Callable[[Simulator], bool] | None]] = [
    (
        "add a card",
        lambda web: web.add_rfid_token("0A0B0C0D", "Guest"),
        "POST /api/v1/config/auth/standalonelist",
        lambda sim: "0A0B0C0D" in sim.rfid_tokens,
    ),
    (
        "remove a card",
        lambda web: web.remove_rfid_token("0A0B0C0D"),
        "DELETE /api/v1/config/auth/standalonelist/0A0B0C0D",
        lambda sim: "0A0B0C0D" not in sim.rfid_tokens,
    ),
    (
        "add a vehicle",
        lambda web: web.add_vehicle_token("00:1A:2B:3C:4D:5E", "Family car"),
        "POST /api/v1/config/auth/vehicle-standalonelist",
        None,
    ),
    (
        "set the schedules",
        lambda web: web.set_charging_schedules({day: [] for day in DAYS}),
        "POST /api/v1/config/scheduledcharging/schedules",
        None,
    ),
    (
        "identify",
        lambda web: web.identify(),
        "PUT /api/v1/system/identify",
        lambda sim: sim.identify_count == 1,
    ),
    (
        "unlock the socket",
        lambda web: web.unlock_socket(),
        "POST /api/v1/system/socket-unlock",
        None,
    ),
    (
        "renew the token",
        lambda web: web.renew_api_token(),
        "POST /api/v1/config/api-token",
        None,
    ),
    (
        "log out",
        lambda web: web.logout(),
        "POST /api/v1/auth/logout",
        None,
    ),
    (
        "reboot",
        lambda web: web.reboot(),
        "POST /api/v1/system/reboot",
        None,
    ),
]


@pytest.mark.parametrize("success", SUCCESSES)
@pytest.mark.parametrize("web_name", WEB_CLIENTS)
def test_every_web_post_succeeds_on_any_2xx(web_name: str, success: str) -> None:
    status, body = SUCCESSES[success]
    with Simulator() as sim:
        sim.reboot_duration = 0.05
        sim.configure(Iso15118CommunicationEnable=True)
        with web_client_class(web_name)(sim.host, "peblar", **FAST) as web:
            for name, call, route, done in WEB_WRITES:
                method, path = route.split(" ")
                sim.inject("status", path=path, method=method, apply=True, status=status, body=body)
                call(web)
                wait_until(
                    lambda: done(sim) if done else sim.stats().by_route[route] == 1,  # noqa: B023
                    5.0,
                    f"{name}: the charger did not act",
                )


@pytest.mark.parametrize("success", SUCCESSES)
@pytest.mark.parametrize("web_name", WEB_CLIENTS)
def test_a_generated_web_post_returns_no_error_model(web_name: str, success: str) -> None:
    """The generated road (sync and asyncio) returns None, not ``WebError``, after any 2xx."""
    status, body = SUCCESSES[success]
    with Simulator() as sim, web_client_class(web_name)(sim.host, "peblar", **FAST) as web:
        web.login()
        sim.inject("status", path="/api/v1/system/identify", method="PUT", status=status, body=body)
        assert generated(web, "DeviceApi", package="pyPeblar.webui").identify() is None
        sim.inject("status", path="/api/v1/system/reboot", method="POST", status=status, body=body)
        from pyPeblar.webui.models import RebootRequest, RebootType

        request = RebootRequest(reboot_type=RebootType.HARD_REBOOT)
        assert generated(web, "DeviceApi", package="pyPeblar.webui").reboot(request) is None
