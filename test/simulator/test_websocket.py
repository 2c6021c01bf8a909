"""The simulator's websocket (``/api/v1/ws``), as any program on the network sees it.

No pyPeblar client: the ``websockets`` library's threading client, logged in with a plain urllib3
client (test/simulator/web.py). Every message the simulator sends is checked against
``openapi/webui.yaml``: the envelope against ``WebSocketMessage``, a result's data against
``SubscriptionResult``, an event's against its topic's schema, so the spec and the simulator
cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from pyPeblar.simulator import Simulator
from test.conftest import wait_until
from test.simulator.web import WebClient, schema_problems
from test.test_generation import run_python

SESSION = "/session/status/connector/1"
FIRMWARE = "/system/fwupdate/status"
RFID = "/rfid/tokenfound"
VEHICLE = "/vehicle/tokenfound"
#: Each topic's event schema in the spec (the diagnostics payload is unpublished).
SCHEMAS = {SESSION: "SessionStatus", FIRMWARE: "FirmwareUpdateStatus"}
SCHEMAS |= {RFID: "TokenFound", VEHICLE: "TokenFound"}


def check(message: dict[str, Any]) -> None:
    """Fail when ``message`` is not what the spec says the websocket sends."""

    def problems(name: str, instance: object) -> list[str]:
        return schema_problems({"$ref": f"#/components/schemas/{name}"}, instance)

    assert problems("WebSocketMessage", message) == [], message
    data = message["data"]
    if message["type"] == "result":
        assert problems("SubscriptionResult", data) == [], message
    elif message["topic"] in SCHEMAS:
        assert problems(SCHEMAS[message["topic"]], data) == [], message


class Socket:
    """One websocket to the simulator, with the session of ``web``."""

    def __init__(self, sim: Simulator, web: WebClient) -> None:
        self.socket: ClientConnection = connect(
            f"ws://{sim.host}/api/v1/ws",
            additional_headers={"Cookie": web.cookie},
            proxy=None,
            compression=None,
            open_timeout=10,
            legacy=True,
        )

    def send(self, action: str, topic: str) -> None:
        self.socket.send(json.dumps({"action": action, "topic": topic}))

    def receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.socket.recv(timeout=10))
        check(message)
        return message

    def subscribe(self, topic: str) -> dict[str, Any]:
        """Subscribe; the acknowledgement (checked to be one)."""
        self.send("subscribe", topic)
        ack = self.receive()
        assert ack == {
            "topic": topic,
            "type": "result",
            "data": {"action": "subscribe", "status": "ok"},
        }
        return ack

    def events(self, count: int) -> list[dict[str, Any]]:
        found = [self.receive() for _ in range(count)]
        assert all(message["type"] == "event" for message in found), found
        return found


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(require_authorization=True, rate_limit=False) as simulator:
        simulator.reboot_duration = 0.3
        yield simulator


@pytest.fixture
def socket(sim: Simulator, web: WebClient) -> Iterator[Socket]:
    opened = Socket(sim, web)
    yield opened
    opened.socket.close()


def states(messages: list[dict[str, Any]]) -> list[str]:
    return [message["data"]["state"] for message in messages]


class TestUpgrade:
    def test_a_session_is_needed(self, sim: Simulator, web: WebClient) -> None:
        stranger = WebClient(sim)
        with pytest.raises(InvalidStatus) as refused:
            Socket(sim, stranger)
        answer = refused.value.response
        assert answer.status_code == 401
        assert (
            schema_problems(
                {"$ref": "#/components/schemas/WebError"}, json.loads(answer.body or b"")
            )
            == []
        )
        web.ok("POST", "/auth/logout")
        with pytest.raises(InvalidStatus, match="401"):
            Socket(sim, web)

    @pytest.mark.parametrize(
        ("method", "headers", "status"),
        [
            ("GET", {}, 400),
            ("GET", {"Upgrade": "websocket", "Connection": "Upgrade"}, 426),
            (
                "GET",
                {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"},
                400,
            ),
            ("POST", {}, 405),
        ],
    )
    def test_what_is_not_an_upgrade(
        self, sim: Simulator, web: WebClient, method: str, headers: dict[str, str], status: int
    ) -> None:
        answer = urllib3.request(
            method, f"{sim.url}/api/v1/ws", headers={"Cookie": web.cookie, **headers}, retries=False
        )
        assert answer.status == status
        assert "statusmsg" in answer.json()
        if status == 426:
            assert answer.headers["Sec-WebSocket-Version"] == "13"
        if status == 405:
            assert answer.headers["Allow"] == "GET"

    def test_the_upgrade_is_counted_and_the_socket_closes_cleanly(
        self, sim: Simulator, socket: Socket
    ) -> None:
        assert sim.stats().by_status[101] == 1
        assert sim.websockets == 1
        socket.socket.ping().wait(10)  # answered
        socket.socket.close()
        assert socket.socket.close_code == 1000  # the simulator's half of the closing handshake
        wait_until(lambda: sim.websockets == 0)


class TestSubscriptions:
    def test_the_current_state_follows_the_acknowledgement(self, socket: Socket) -> None:
        socket.subscribe(SESSION)
        assert socket.events(1) == [
            {"topic": SESSION, "type": "event", "data": {"state": "available"}}
        ]

    def test_unknown_topics_and_bad_requests_get_an_error_result(self, socket: Socket) -> None:
        socket.send("subscribe", "/session/status/connector/2")
        assert socket.receive() == {
            "topic": "/session/status/connector/2",
            "type": "result",
            "data": {"action": "subscribe", "status": "error", "message": "Unknown topic"},
        }
        for request in ("not JSON", "[]", json.dumps({"action": "listen", "topic": SESSION})):
            socket.socket.send(request)
            answer = socket.receive()
            assert answer["data"]["status"] == "error", request

    def test_unsubscribed_no_events_come(self, sim: Simulator, socket: Socket) -> None:
        socket.subscribe(SESSION)
        socket.events(1)
        socket.send("unsubscribe", SESSION)
        assert socket.receive()["data"] == {"action": "unsubscribe", "status": "ok"}
        sim.plug_in()
        socket.subscribe(RFID)  # the next message is this acknowledgement: no session event
        assert sim.subscribers(SESSION) == 0

    def test_an_unanswered_subscription(self, sim: Simulator, socket: Socket) -> None:
        sim.answer_subscriptions = False
        socket.send("subscribe", SESSION)
        assert socket.socket.ping().wait(10)  # the pong comes once the request was read
        sim.answer_subscriptions = True
        socket.subscribe(RFID)  # answered: the first request never was
        assert sim.subscribers(SESSION) == 0


class TestSessionStatus:
    def test_events_on_each_change_with_the_meter(self, sim: Simulator, socket: Socket) -> None:
        socket.subscribe(SESSION)
        socket.events(1)
        sim.plug_in()
        sim.authorize("04A1B2C3")
        sim.set_car_full()  # the session goes on: no event
        sim.authorize("04A1B2C3")
        sim.unplug()
        found = socket.events(4)
        assert states(found) == ["preparingPluggedIn", "charging", "finishing", "available"]
        meter = found[1]["data"]["meterData"]
        assert meter["instantaneousPower"] == [3691, 3675, 3707]
        assert meter["totalEnergy"] == sim.energy_total_wh
        assert "meterData" not in found[3]["data"]

    def test_every_interval_while_charging(self, sim: Simulator, socket: Socket) -> None:
        sim.event_interval = 0.05
        sim.plug_in()
        sim.authorize()
        socket.subscribe(SESSION)
        socket.events(1)
        sim.advance(3600)
        periodic = socket.events(2)
        assert states(periodic) == ["charging", "charging"]
        assert periodic[0]["data"]["meterData"]["sessionEnergy"] > 10_000
        with pytest.raises(ValueError, match="event_interval"):
            sim.event_interval = 0

    def test_a_fault_is_faulted_and_a_diagnostics_event(
        self, sim: Simulator, socket: Socket
    ) -> None:
        socket.subscribe(SESSION)
        socket.events(1)
        socket.subscribe("/system/diagnostics/statuschanged")
        sim.set_warning_codes([3])
        assert socket.events(1)[0]["data"] == {"ActiveErrorCodes": [], "ActiveWarningCodes": [3]}
        sim.set_error_codes([12])
        faulted, diagnostics = socket.events(2)
        assert faulted["data"]["state"] == "faulted"
        assert diagnostics["data"]["ActiveErrorCodes"] == [12]


class TestTokens:
    def test_a_card_is_reported_only_while_one_is_being_added(
        self, sim: Simulator, socket: Socket
    ) -> None:
        socket.subscribe(SESSION)
        socket.events(1)
        sim.plug_in()
        socket.events(1)
        assert sim.present_card("UNKNOWN-CARD") is False  # refused: nothing happens
        assert sim.present_card("04A1B2C3") is False  # a badge-in: the session starts
        assert states(socket.events(1)) == ["charging"]
        socket.subscribe(RFID)  # the web interface's "add a card" dialog
        assert sim.present_card("NEW-CARD") is True
        assert socket.events(1) == [
            {"topic": RFID, "type": "event", "data": {"tokenId": "NEW-CARD"}}
        ]
        assert sim.authorized is True  # still charging: the enrolled card did nothing else

    def test_a_vehicle_is_reported_while_one_is_being_added(
        self, sim: Simulator, socket: Socket
    ) -> None:
        assert sim.present_vehicle("EVCC-01") is False
        socket.subscribe(VEHICLE)
        assert sim.present_vehicle("EVCC-01") is True
        assert socket.events(1)[0]["data"] == {"tokenId": "EVCC-01"}


class TestFirmwareUpdate:
    def test_progress_then_the_result_on_every_subscription(
        self, sim: Simulator, web: WebClient, socket: Socket
    ) -> None:
        old, new = sim.profile.firmware, sim.available_firmware
        socket.subscribe(FIRMWARE)  # no update yet: nothing follows the acknowledgement
        web.ok("POST", "/system/software/automatic-update/update", {"Package-Type": "Firmware"})
        assert socket.events(1)[0]["data"] == {
            "status": "EFwUpdateInProgress",
            "fwIdentOld": old,
            "fwIdentNew": new,
        }
        with pytest.raises(ConnectionClosed):  # the reboot
            socket.receive()
        web.wait_until_rebooted()
        assert web.login() == 200
        again = Socket(sim, web)
        again.subscribe(FIRMWARE)
        assert again.events(1)[0]["data"] == {
            "status": "EFwUpdateSuccess",
            "fwIdentOld": old,
            "fwIdentNew": new,
        }
        again.socket.close()


class TestFaultsAndReboots:
    def test_a_reboot_cuts_the_websocket_and_forgets_its_session(
        self, sim: Simulator, web: WebClient, socket: Socket
    ) -> None:
        socket.subscribe(SESSION)
        sim.reboot(downtime=0.2)
        with pytest.raises(ConnectionClosed):
            while True:
                socket.receive()
        web.wait_until_rebooted()
        with pytest.raises(InvalidStatus, match="401"):
            Socket(sim, web)

    def test_drop_and_raw_frames(self, sim: Simulator, socket: Socket) -> None:
        assert sim.send_websocket_frame("not JSON") == 1
        assert sim.send_websocket_frame(b"\x00\x01") == 1
        assert socket.socket.recv(timeout=10) == "not JSON"
        assert socket.socket.recv(timeout=10) == b"\x00\x01"
        with pytest.raises(ValueError, match="frame"):
            sim.send_websocket_frame(5)  # type: ignore[arg-type]
        assert sim.drop_websockets() == 1
        with pytest.raises(ConnectionClosed) as closed:
            socket.socket.recv(timeout=10)
        assert closed.value.rcvd is None  # no closing handshake: cut
        wait_until(lambda: sim.websockets == 0)

    def test_an_injected_401_refuses_one_upgrade(self, sim: Simulator, web: WebClient) -> None:
        sim.inject("status", path="/api/v1/ws", status=401)
        with pytest.raises(InvalidStatus, match="401"):
            Socket(sim, web)
        Socket(sim, web).socket.close()


NO_WSPROTO_UNTIL_A_WEBSOCKET = """
import sys
from pyPeblar.simulator import Simulator
from test.simulator.web import WebClient

with Simulator() as sim:
    web = WebClient(sim)
    web.login()
    web.get("/config/user")
    print("wsproto" in sys.modules)
    from websockets.sync.client import connect
    with connect(f"ws://{sim.host}/api/v1/ws", additional_headers={"Cookie": web.cookie},
                 proxy=None) as socket:
        socket.send('{"action": "subscribe", "topic": "/rfid/tokenfound"}')
        socket.recv(timeout=10)
    print("wsproto" in sys.modules)
"""

WITHOUT_WSPROTO = """
import json, sys
sys.modules["wsproto"] = None
from pyPeblar.simulator import Simulator
from test.simulator.web import WebClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

with Simulator() as sim:
    web = WebClient(sim)
    web.login()
    try:
        connect(f"ws://{sim.host}/api/v1/ws", additional_headers={"Cookie": web.cookie},
                proxy=None, legacy=True)
    except InvalidStatus as refused:
        print(refused.response.status_code, json.loads(refused.response.body)["statusmsg"])
    print(web.get("/config/user")["LocalRestApiEnable"])
"""


def test_the_simulator_loads_wsproto_only_for_a_websocket() -> None:
    assert run_python(NO_WSPROTO_UNTIL_A_WEBSOCKET).splitlines() == ["False", "True"]


def test_without_wsproto_only_the_websocket_is_missing() -> None:
    refused, works = run_python(WITHOUT_WSPROTO).splitlines()
    assert refused.startswith("501 Not implemented")
    assert "pyPeblar[simulator]" in refused
    assert works == "True"
