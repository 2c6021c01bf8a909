"""Live events: ``PeblarWeb.events()`` and ``AsyncPeblarWeb.events()`` against the simulator.

One set of test functions, both clients: each test takes ``web_class``, ``PeblarWeb`` or
``AsyncPeblarWeb`` with a plain iterator's face (test/clients.py: every event awaited on a
background loop, the real aiohttp websocket underneath). The simulator serves the websocket on its
web-interface port (docs/simulator.md); nothing of pyPeblar is replaced. What only an asyncio
program can get wrong (the event loop's lag) is at the end, for ``AsyncPeblarWeb`` alone.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pyPeblar import (
    AsyncPeblarWeb,
    ChargerEvent,
    EventTopic,
    PeblarAuthenticationError,
    PeblarClosedError,
    PeblarConnectionError,
    PeblarConnectionTimeoutError,
    PeblarSubscriptionError,
    PeblarWeb,
)
from pyPeblar.simulator import Simulator
from pyPeblar.webui.models import FirmwareUpdateStatus, SessionState, SessionStatus, TokenFound
from test.conftest import FAST, wait_until
from test.test_async import LagProbe, assert_loop_kept_running

PASSWORD = "events-password-5d1c"
SESSION = EventTopic.SESSION_STATUS
#: Reconnections in tests wait a hundredth of a second, not a second (the documented option).
QUICK = {"reconnect_backoff": 0.01, "max_reconnect_backoff": 0.05}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(password=PASSWORD, require_authorization=True) as simulator:
        simulator.reboot_duration = 0.3
        yield simulator


def states(events: list[ChargerEvent]) -> list[str]:
    """The session states the events carry (each a ``SessionStatus``)."""
    assert all(isinstance(event.data, SessionStatus) for event in events)
    return [str(getattr(event.data, "state", None)) for event in events]


class TestFollowing:
    def test_the_first_event_is_the_current_state(self, web: Any, sim: Simulator) -> None:
        with web.events() as stream:
            first = next(stream)
            assert first.topic == SESSION == "/session/status/connector/1"
            assert isinstance(first.data, SessionStatus)
            assert first.data.state is SessionState.AVAILABLE
            assert first.data.meter_data is None  # no car, no meter data
            assert first.resumed is False
            assert stream.connected is True
            assert stream.interruptions == 0
        assert sim.stats().by_route.get("POST /api/v1/auth/login") == 1
        # Opening needs the log-in and the websocket, nothing else.
        assert set(sim.stats().by_route) == {"POST /api/v1/auth/login", "GET /api/v1/ws"}

    def test_changes_arrive_in_order(self, web: Any, sim: Simulator) -> None:
        with web.events() as stream:
            assert states([next(stream)]) == ["available"]
            sim.plug_in()  # waits for a card
            sim.authorize("04A1B2C3")  # charging
            sim.authorize("04A1B2C3")  # stopped, still plugged in
            sim.unplug()
            changes = [next(stream) for _ in range(4)]
        assert states(changes) == ["preparingPluggedIn", "charging", "finishing", "available"]
        plugged, charging, finishing, available = (event.data for event in changes)
        assert plugged.meter_data.session_energy == 0
        assert charging.meter_data.instantaneous_power == [3691, 3675, 3707]
        assert finishing.meter_data.instantaneous_power == [0, 0, 0]
        assert available.meter_data is None

    def test_while_charging_the_meter_is_sent_every_interval(
        self, web: Any, sim: Simulator
    ) -> None:
        sim.event_interval = 0.05
        sim.plug_in()
        sim.authorize()
        with web.events() as stream:
            readings: list[int] = []
            for seen, event in enumerate(stream):
                assert seen < 200, readings  # 10 s of events, and the energy never grew
                assert event.data.state is SessionState.CHARGING
                energy = event.data.meter_data.total_energy
                assert not readings or energy >= readings[-1]  # never backwards
                # An event sent before the last advance() shows the same energy: wait it out.
                if not readings or energy > readings[-1]:
                    readings.append(energy)
                    sim.advance(60)  # a minute of charging at 11 kW: 185 Wh
                if len(readings) == 3:
                    break
        assert readings[0] < readings[1] < readings[2]

    def test_several_topics_and_an_unknown_payload(self, web: Any, sim: Simulator) -> None:
        topics = (SESSION, EventTopic.DIAGNOSTICS_STATUS_CHANGED, EventTopic.RFID_TOKEN_FOUND)
        with web.events(*topics, SESSION) as stream:  # a topic twice is followed once
            assert stream.topics == tuple(topics)
            assert states([next(stream)]) == ["available"]
            wait_until(lambda: sim.subscribers(EventTopic.RFID_TOKEN_FOUND) == 1)
            sim.set_error_codes([12])
            faulted, diagnostics = next(stream), next(stream)
            assert sim.present_card("0A1B2C3D") is True  # reported: a card is being added
            found = next(stream)
        assert faulted.data.state is SessionState.FAULTED
        # The diagnostics payload is unpublished: a plain dict, as the charger sent it.
        assert diagnostics.topic == "/system/diagnostics/statuschanged"
        assert diagnostics.data == {"ActiveErrorCodes": [12], "ActiveWarningCodes": []}
        assert found.topic == EventTopic.RFID_TOKEN_FOUND
        assert isinstance(found.data, TokenFound)
        assert found.data.token_id == "0A1B2C3D"
        assert sim.authorized is False  # an enrolled card starts nothing

    def test_firmware_update_and_its_result_after_the_reboot(
        self, web: Any, web_class: Any, sim: Simulator
    ) -> None:
        old, new = sim.profile.firmware, sim.available_firmware
        firmware = EventTopic.FIRMWARE_UPDATE_STATUS
        with web_class(sim.host, PASSWORD, **FAST) as other:
            with web.events(SESSION, firmware, **QUICK) as stream:
                next(stream)  # the session's state: every topic is acknowledged by then
                other.start_update("Firmware")
                running = next(stream)
                # The update reboots the charger, which forgets the session: the stream logs in
                # again, subscribes again, and gets the current state and the update's result.
                after = {event.topic: event for event in (next(stream), next(stream))}
        result = after[firmware]
        assert isinstance(running.data, FirmwareUpdateStatus)
        assert (running.data.status, running.data.fw_ident_old) == ("EFwUpdateInProgress", old)
        assert result.data.to_dict() == {
            "status": "EFwUpdateSuccess",
            "fwIdentOld": old,
            "fwIdentNew": new,
        }
        assert result.resumed is True
        assert stream.interruptions == 1
        assert sim.stats().by_route["POST /api/v1/auth/login"] >= 2  # ours, then again


class TestReconnecting:
    def test_a_dropped_connection_loses_nothing_sent_after_resubscribing(
        self, web: Any, sim: Simulator, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="pyPeblar")
        with web.events(**QUICK) as stream:
            assert states([next(stream)]) == ["available"]
            sim.plug_in()
            assert states([next(stream)]) == ["preparingPluggedIn"]
            assert sim.drop_websockets() == 1
            again = next(stream)  # the current state, pushed after the new subscription
            assert (str(again.data.state), again.resumed) == ("preparingPluggedIn", True)
            assert stream.interruptions == 1
            sim.authorize("04A1B2C3")
            sim.unplug()
            after = [next(stream) for _ in range(2)]
        assert states(after) == ["charging", "available"]
        assert [event.resumed for event in after] == [False, False]
        assert "closed (code 1006); reconnecting in" in caplog.text
        assert "reconnected; following /session/status/connector/1 again" in caplog.text

    def test_by_default_the_first_retry_comes_within_a_second(
        self, web: Any, sim: Simulator
    ) -> None:
        with web.events() as stream:  # the default backoff: 1 s, jittered to 0.5 to 1 s
            next(stream)
            lost = time.monotonic()
            sim.drop_websockets()
            assert next(stream).resumed
        assert time.monotonic() - lost < 1.0 + 1.5  # the busy machine's slack

    def test_the_waits_double_up_to_the_cap_jittered(
        self, web: Any, sim: Simulator, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.WARNING, logger="pyPeblar")
        stream = web.events(reconnect_backoff=0.1, max_reconnect_backoff=0.4)
        next(stream)
        sim.stop()  # gone for good: every attempt is refused

        def waits() -> list[float]:
            return [float(wait) for wait in re.findall(r"reconnecting in ([\d.]+) s", caplog.text)]

        def close_after_five_attempts() -> None:
            try:
                wait_until(lambda: len(waits()) >= 5)
            finally:
                stream.close()

        closer = threading.Thread(target=close_after_five_attempts)
        closer.start()
        assert list(stream) == []  # tried until closed, never raised
        closer.join()
        first, second, *later = waits()
        assert 0.05 <= first <= 0.1
        assert 0.1 <= second <= 0.2
        assert all(0.2 <= wait <= 0.4 for wait in later), later
        assert stream.interruptions == 1
        assert "could not connect" in caplog.text

    def test_a_401_at_the_upgrade_logs_in_again_once(self, web: Any, sim: Simulator) -> None:
        web.login()
        sim.inject("status", path="/api/v1/ws", status=401)
        with web.events() as stream:
            assert states([next(stream)]) == ["available"]
        assert sim.stats().by_route["POST /api/v1/auth/login"] == 2
        assert sim.stats().by_route["GET /api/v1/ws"] == 2

    def test_a_reboot_forgets_the_session_and_the_stream_comes_back(
        self, web: Any, sim: Simulator
    ) -> None:
        with web.events(**QUICK) as stream:
            next(stream)
            sim.reboot(downtime=0.3)  # connections refused meanwhile: retried with backoff
            again = next(stream)
            assert again.resumed is True
            sim.plug_in()
            assert states([next(stream)]) == ["preparingPluggedIn"]
        assert sim.stats().by_status[401] >= 1  # the old session, refused at the upgrade

    def test_frames_that_are_not_the_protocol_are_skipped(
        self, web: Any, sim: Simulator, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="pyPeblar")
        malformed: list[str | bytes] = [
            b"\x00\x01 binary",
            "not JSON",
            "[1, 2]",
            '{"type": "event", "data": {}}',
            f'{{"topic": "{SESSION}", "type": "surprise", "data": {{}}}}',
            f'{{"topic": "{SESSION}", "type": "event", "data": null}}',
            f'{{"topic": "{SESSION}", "type": "event", "data": {{"state": 5}}}}',
            "{" * 100_000,
        ]
        with web.events(**QUICK) as stream:
            next(stream)
            for frame in malformed:
                assert sim.send_websocket_frame(frame) == 1
            sim.plug_in()
            assert states([next(stream)]) == ["preparingPluggedIn"]
            assert stream.interruptions == 0  # never ended the connection
        assert caplog.text.count("websocket: skipped a frame") == len(malformed)

    def test_leaving_the_loop_closes_the_websocket(self, web: Any, sim: Simulator) -> None:
        for event in web.events():
            assert event.topic == SESSION
            break
        wait_until(lambda: sim.websockets == 0)
        assert web.auth_status().active is True  # the client goes on

    def test_closing_the_client_closes_its_streams(self, web: Any, sim: Simulator) -> None:
        stream = web.events()
        next(stream)
        assert sim.websockets == 1
        web.close()
        wait_until(lambda: sim.websockets == 0)
        with pytest.raises(StopIteration):
            next(stream)
        with pytest.raises(PeblarClosedError):
            web.events()


class TestFailures:
    def test_a_wrong_password_is_said_and_never_shown(
        self, web_class: Any, sim: Simulator, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        wrong = "not-the-password-93b1"
        with web_class(sim.host, wrong, **FAST) as client:
            stream = client.events()
            with pytest.raises(PeblarAuthenticationError, match="refused the password") as info:
                next(stream)
            shown = [repr(client), repr(stream), str(info.value), repr(info.value)]
        assert all(wrong not in text for text in shown)
        assert wrong not in caplog.text
        assert sim.stats().by_route["POST /api/v1/auth/login"] == 1  # a POST: sent once
        assert "GET /api/v1/ws" not in sim.stats().by_route

    def test_no_secret_in_any_output(
        self, web: Any, sim: Simulator, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)  # every logger: websockets', aiohttp's, pyPeblar's
        with web.events(**QUICK) as stream:
            shown = [repr(stream), repr(next(stream))]
            sim.drop_websockets()
            shown.append(repr(next(stream)))
            sim.send_websocket_frame("not JSON")
            sim.plug_in()
            shown.append(repr(next(stream)))
        assert caplog.text and all(PASSWORD not in text for text in [*shown, caplog.text])
        assert "peblar_session=" not in caplog.text  # nor the session's cookie

    def test_a_refused_topic_names_it(self, web: Any, sim: Simulator) -> None:
        stream = web.events(SESSION, "/no/such/topic")
        with pytest.raises(PeblarSubscriptionError, match="/no/such/topic") as info:
            next(stream)
        assert info.value.topic == "/no/such/topic"
        assert info.value.statusmsg == "Unknown topic"

    def test_an_acknowledgement_that_never_comes_is_a_timeout_within_the_deadline(
        self, web_class: Any, sim: Simulator
    ) -> None:
        sim.answer_subscriptions = False
        with web_class(sim.host, PASSWORD, timeout=(1.0, 1.0), deadline=2.0) as client:
            started = time.monotonic()
            with pytest.raises(PeblarConnectionTimeoutError, match="did not acknowledge") as info:
                next(client.events())
            elapsed = time.monotonic() - started
        assert SESSION in str(info.value)
        assert elapsed < 2.0 + 1.5  # the deadline, and the busy machine's slack

    def test_an_unreachable_charger_fails_within_the_deadline(self, web_class: Any) -> None:
        with Simulator() as gone:
            host = gone.host
        with web_class(host, PASSWORD, **{**FAST, "deadline": 3.0}) as client:
            started = time.monotonic()
            with pytest.raises(PeblarConnectionError):
                next(client.events())
        assert time.monotonic() - started < 3.0 + 1.5

    @pytest.mark.parametrize(
        "case",
        [
            ((5,), {}, ValueError, "topics"),
            ((None,), {}, ValueError, "topics"),
            ((b"/session/status/connector/1",), {}, ValueError, "topics"),
            (("session",), {}, ValueError, "topics"),
            (("/a topic",), {}, ValueError, "topics"),
            (("/\r\n",), {}, ValueError, "topics"),
            (("/" + "x" * 300,), {}, ValueError, "topics"),
            ((), {"reconnect_backoff": 0}, ValueError, "reconnect_backoff"),
            ((), {"reconnect_backoff": math.nan}, ValueError, "reconnect_backoff"),
            ((), {"reconnect_backoff": 10**400}, ValueError, "reconnect_backoff"),
            ((), {"reconnect_backoff": True}, ValueError, "reconnect_backoff"),
            ((), {"max_reconnect_backoff": math.inf}, ValueError, "max_reconnect_backoff"),
            ((), {"reconnect_backoff": 5, "max_reconnect_backoff": 1}, ValueError, "below"),
            ((), {"no_such_option": 1}, TypeError, "no_such_option"),
        ],
    )
    def test_arguments_are_checked_before_anything_is_sent(
        self, web: Any, sim: Simulator, case: tuple[Any, ...]
    ) -> None:
        topics, options, error, words = case
        with pytest.raises(error, match=words):
            web.events(*topics, **options)
        assert sim.stats().requests_total == 0


def test_until_ends_a_plain_iteration(sim: Simulator) -> None:
    """``PeblarWeb.events(until=...)``: the way to stop it from a signal handler's flag."""
    stop = threading.Event()
    with PeblarWeb(sim.host, PASSWORD, **FAST) as web:
        got = []
        for event in web.events(until=stop.is_set):
            got.append(event)
            stop.set()  # nothing more will come: the stream must notice the flag by itself
        assert len(got) == 1
        wait_until(lambda: sim.websockets == 0)
        with pytest.raises(ValueError, match="until"):
            web.events(until=True)  # type: ignore[arg-type]


def test_close_from_another_thread_ends_a_waiting_iteration(sim: Simulator) -> None:
    with PeblarWeb(sim.host, PASSWORD, **FAST) as web:
        stream = web.events()
        next(stream)
        threading.Timer(0.2, stream.close).start()
        assert list(stream) == []  # waited, then ended
        wait_until(lambda: sim.websockets == 0)


class TestTheLoopIsNeverBlocked:
    """Loop lag stays under 50 ms while ``AsyncPeblarWeb``'s events stream and reconnect."""

    def test_while_events_stream(self, sim: Simulator) -> None:
        sim.event_interval = 0.01

        async def main() -> float:
            async with AsyncPeblarWeb(sim.host, PASSWORD, **FAST) as web:
                sim.plug_in()
                sim.authorize()
                async with web.events() as stream:
                    await stream.__anext__()
                    async with LagProbe() as probe:
                        for _ in range(100):
                            await stream.__anext__()
                    return probe.worst

        assert_loop_kept_running(main)

    def test_while_reconnecting(self, sim: Simulator) -> None:
        async def main() -> float:
            async with AsyncPeblarWeb(sim.host, PASSWORD, **FAST) as web:
                async with web.events(reconnect_backoff=0.2) as stream:
                    await stream.__anext__()
                    async with LagProbe() as probe:
                        # The simulator is driven from a thread: its calls block (a reboot
                        # waits for its server to stop), and the probe measures pyPeblar alone.
                        for _ in range(3):
                            await asyncio.to_thread(sim.drop_websockets)
                            assert (await stream.__anext__()).resumed
                        await asyncio.to_thread(sim.reboot, 0.5)  # refused, then a new log-in
                        assert (await stream.__anext__()).resumed
                    assert stream.interruptions == 4
                    return probe.worst

        assert_loop_kept_running(main)
