"""The Peblar client's error tree, retries and timeouts, against real failures on loopback."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import pytest

from pyPeblar import (
    Peblar,
    PeblarAuthenticationError,
    PeblarBadRequestError,
    PeblarConnectionError,
    PeblarConnectionTimeoutError,
    PeblarError,
    PeblarInvalidResponseError,
    PeblarNotFoundError,
    PeblarRateLimitError,
    PeblarReadOnlyError,
    PeblarResponseError,
    PeblarServerError,
)
from pyPeblar.simulator import Simulator
from test.conftest import Road, client_for, open_road

#: Every test here runs with Peblar and with AsyncPeblar (test/conftest.py: each_client).
pytestmark = pytest.mark.usefixtures("each_client")


def test_the_tree_matches_home_assistant_expectations() -> None:
    assert issubclass(PeblarConnectionTimeoutError, PeblarConnectionError)
    for cls in (PeblarAuthenticationError, PeblarBadRequestError, PeblarRateLimitError):
        assert issubclass(cls, PeblarResponseError)
    assert issubclass(PeblarResponseError, PeblarError)
    assert issubclass(PeblarReadOnlyError, PeblarResponseError)


class TestConnectionFailures:
    def test_connection_refused(self, closed_port: int) -> None:
        started = time.monotonic()
        with Peblar(f"127.0.0.1:{closed_port}", "t" * 64, backoff=0.01) as charger:
            with pytest.raises(PeblarConnectionError) as info:
                charger.meter()
        assert time.monotonic() - started < 2.0
        assert info.value.request_sent is False
        assert "connection refused" in str(info.value)
        assert info.value.__cause__ is not None  # the urllib3 error, chained

    def test_no_answer_times_out(self, sim: Simulator) -> None:
        sim.inject("hang", path="/meter", times=None, seconds=5)
        started = time.monotonic()
        with client_for(sim, timeout=(1.0, 0.3), retries=1) as charger:
            with pytest.raises(PeblarConnectionTimeoutError) as info:
                charger.meter()
        assert time.monotonic() - started < 2.0  # two attempts of 0.3 s, not a hang
        assert info.value.request_sent is True
        assert "did not answer within 0.3 s" in str(info.value)

    def test_dropped_connection_is_retried(self, sim: Simulator) -> None:
        sim.inject("drop", path="/meter", times=1)
        with client_for(sim) as charger:
            assert charger.meter().power_total == 0
        assert sim.stats().by_route["GET /meter"] == 2

    def test_cut_off_answer_is_a_connection_error(self, sim: Simulator) -> None:
        sim.inject("partial", path="/meter", times=None)
        with client_for(sim, retries=1) as charger, pytest.raises(PeblarConnectionError):
            charger.meter()


class TestErrorStatuses:
    def test_wrong_token(self, sim: Simulator) -> None:
        secret = "f" * 64
        with Peblar(sim.host, secret) as charger, pytest.raises(PeblarAuthenticationError) as info:
            charger.ev_interface()
        assert info.value.status == 401
        assert info.value.statusmsg
        assert secret not in str(info.value)
        assert sim.stats().by_route["GET /evinterface"] == 1  # a 401 is not retried

    @pytest.mark.parametrize("status", [500, 502, 503])
    def test_server_error_once_is_retried(self, sim: Simulator, status: int) -> None:
        sim.inject("status", path="/system", status=status, times=1)
        with client_for(sim) as charger:
            assert charger.system().phase_count == 3
        assert sim.stats().by_route["GET /system"] == 2

    @pytest.mark.parametrize(
        "body", [b'{"statusmsg": "Internal error"}', b"<html><body>Bad Gateway</body></html>", b""]
    )
    def test_server_error_for_ever(self, sim: Simulator, body: bytes) -> None:
        sim.inject("status", path="/system", status=502, body=body, times=None)
        with client_for(sim, retries=2) as charger, pytest.raises(PeblarServerError) as info:
            charger.system()
        assert info.value.status == 502
        assert "<html" not in str(info.value)
        assert sim.stats().by_route["GET /system"] == 3

    def test_429_once_then_success(self, sim: Simulator) -> None:
        sim.inject("status", path="/meter", status=429, headers={"Retry-After": "1"}, times=1)
        started = time.monotonic()
        with client_for(sim) as charger:
            charger.meter()
        assert time.monotonic() - started >= 0.9  # Retry-After was honoured

    def test_429_for_ever(self, sim: Simulator) -> None:
        sim.inject("status", path="/meter", status=429, headers={"Retry-After": "0"}, times=None)
        with client_for(sim, retries=2) as charger, pytest.raises(PeblarRateLimitError) as info:
            charger.meter()
        assert info.value.retry_after == 0

    def test_a_long_retry_after_is_not_waited_out(self, sim: Simulator) -> None:
        sim.inject("status", path="/meter", status=429, headers={"Retry-After": "3600"}, times=1)
        started = time.monotonic()
        with client_for(sim) as charger, pytest.raises(PeblarRateLimitError) as info:
            charger.meter()
        assert time.monotonic() - started < 10.0  # an hour's wait is not begun (slack: busy CPUs)
        assert info.value.retry_after == 3600

    @pytest.mark.parametrize(
        "body", [b"", b"not json", b'{"CurrentPhase1": "16 A"}', b"[1, 2]", b'"text"', b"\xff\xfe"]
    )
    def test_unusable_success_bodies(self, sim: Simulator, body: bytes) -> None:
        sim.inject("body", path="/meter", body=body, times=None)
        with client_for(sim) as charger, pytest.raises(PeblarInvalidResponseError) as info:
            charger.meter()
        assert "MeterResponse" in str(info.value)
        assert sim.stats().by_route["GET /meter"] == 1  # a bad body is not retried

    def test_error_bodies_are_read_leniently(self, sim: Simulator) -> None:
        for body, expected in [
            (b'"Bare string"', "Bare string"),
            (b'"{\\"statusmsg\\": \\"Twice\\"}"', "Twice"),
            (b'{"StatusMsg": "Capitalised"}', "Capitalised"),
        ]:
            sim.inject("status", path="/meter", status=400, body=body, times=1)
            with client_for(sim) as charger, pytest.raises(PeblarBadRequestError) as info:
                charger.meter()
            assert info.value.statusmsg == expected

    def test_api_disabled(self, sim: Simulator) -> None:
        sim.api_enabled = False
        with client_for(sim) as charger, pytest.raises(PeblarNotFoundError) as info:
            charger.health()
        assert "disabled" in str(info.value)


class TestDeadlines:
    """What hung, flooded or crashed the generated road before the policy layer, on both roads."""

    @pytest.fixture
    def quiet(self) -> Iterator[Simulator]:
        with Simulator(rate_limit=False) as simulator:
            yield simulator

    def test_a_dripping_answer_ends_at_the_read_timeout(
        self, road_name: str, quiet: Simulator
    ) -> None:
        quiet.inject("drip", path="/meter", interval=0.1, times=None)  # ~30 s for the answer
        with open_road(road_name, quiet, timeout=(1.0, 0.5), retries=0) as road:
            started = time.monotonic()
            with pytest.raises(PeblarConnectionTimeoutError) as info:
                road.meter()
        assert time.monotonic() - started < 0.5 + 2.0  # the answer's deadline, not ~30 s of drip
        assert info.value.request_sent is True

    def test_a_connection_never_accepted_ends_at_the_connect_timeout(self, road_name: str) -> None:
        """A listener whose queue is full drops new connections unanswered: the attempts end at
        the connect timeout (0.5 s), not the read timeout (5 s), and nothing was sent."""
        with contextlib.ExitStack() as stack:
            server = stack.enter_context(socket.socket())
            server.bind(("127.0.0.1", 0))
            server.listen(0)
            for _ in range(3):  # fill the accept queue: later connections get no answer
                filler = stack.enter_context(socket.socket())
                filler.setblocking(False)
                filler.connect_ex(server.getsockname())
            host = f"127.0.0.1:{server.getsockname()[1]}"
            options = {"timeout": (0.5, 5.0), "retries": 1, "backoff": 0.01}
            with Road(road_name, host, "t" * 64, **options) as road:
                started = time.monotonic()
                with pytest.raises(PeblarConnectionTimeoutError) as info:
                    road.meter()
        assert time.monotonic() - started < 2.5  # two attempts of 0.5 s
        assert info.value.request_sent is False
        assert "could not connect" in str(info.value)

    def test_a_silent_charger_ends_at_the_call_deadline(
        self, road_name: str, quiet: Simulator
    ) -> None:
        quiet.inject("hang", path="/meter", seconds=60, times=None)
        with open_road(road_name, quiet, timeout=(1.0, 10.0), deadline=1.5) as road:
            started = time.monotonic()
            with pytest.raises(PeblarConnectionTimeoutError) as info:
                road.meter()
        elapsed = time.monotonic() - started
        assert 1.3 < elapsed < 2.5  # the deadline, not the 10 s read timeout (or 3 x 10 s)
        assert "did not answer" in str(info.value) or "deadline" in str(info.value)

    def test_a_write_and_its_read_back_end_at_the_call_deadline(self, quiet: Simulator) -> None:
        quiet.inject("hang", path="/evinterface", seconds=60, times=None)
        with client_for(quiet, timeout=(1.0, 10.0), deadline=2.0) as charger:
            started = time.monotonic()
            with pytest.raises(PeblarConnectionTimeoutError) as info:
                charger.set_charge_current_limit(amps=10)
        assert time.monotonic() - started < 3.0
        assert info.value.applied is None  # neither the write nor the read-back could tell

    def test_a_long_retry_after_fails_at_once(self, road_name: str, quiet: Simulator) -> None:
        quiet.inject("status", path="/meter", status=429, headers={"Retry-After": "99999"})
        with open_road(road_name, quiet) as road:
            started = time.monotonic()
            with pytest.raises(PeblarRateLimitError) as info:
                road.meter()
        assert time.monotonic() - started < 10.0  # not a day's wait (slack: busy CPUs)
        assert info.value.retry_after == 99999

    @pytest.mark.parametrize(
        "body",
        [
            b'{"CurrentPhase1": "' + b"x" * 50_000_000 + b'"}',
            b"[" * 100_000 + b"]" * 100_000,
            b'{"PowerTotal": ' * 100_000,
        ],
        ids=["50 MB", "100,000 deep", "100,000 deep, cut off"],
    )
    def test_an_unusable_answer_is_refused_not_retried(
        self, road_name: str, quiet: Simulator, body: bytes
    ) -> None:
        quiet.inject("body", path="/meter", body=body, times=None)
        with open_road(road_name, quiet, timeout=(1.0, 5.0)) as road:
            with pytest.raises(PeblarInvalidResponseError) as info:
                road.meter()
        assert quiet.stats().by_route["GET /meter"] == 1
        assert len(str(info.value)) < 400

    def test_a_redirect_is_not_followed(self, road_name: str, quiet: Simulator) -> None:
        other = Simulator(rate_limit=False).start()
        try:
            location = f"http://{other.host}/api/wlac/v1/meter"
            quiet.inject("status", path="/meter", status=302, headers={"Location": location})
            with open_road(road_name, quiet) as road:
                with pytest.raises(PeblarInvalidResponseError, match="redirect"):
                    road.meter()
            assert other.stats().by_route == {}
        finally:
            other.stop()

    def test_quick_calls_wait_under_the_rate_limit(self, road_name: str) -> None:
        with Simulator() as limited, open_road(road_name, limited) as road:
            for _ in range(20):
                road.meter()
            assert limited.stats().by_status == {200: 20}


def test_a_timeout_after_retries_says_what_happened(sim: Simulator) -> None:
    """Not "did not answer within 0.3 s" after three attempts: the attempts and the time taken."""
    sim.inject("hang", path="/meter", seconds=5, times=None)
    with client_for(sim, timeout=(1.0, 0.3), retries=2) as charger:
        with pytest.raises(PeblarConnectionTimeoutError, match=r"\(3 attempts in \d+\.\d s\)"):
            charger.meter()
