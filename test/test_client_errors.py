"""The Peblar client's error tree, retries and timeouts, against real failures on loopback."""

from __future__ import annotations

import socket
import time

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
from test.conftest import client_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_tree_matches_home_assistant_expectations() -> None:
    assert issubclass(PeblarConnectionTimeoutError, PeblarConnectionError)
    for cls in (PeblarAuthenticationError, PeblarBadRequestError, PeblarRateLimitError):
        assert issubclass(cls, PeblarResponseError)
    assert issubclass(PeblarResponseError, PeblarError)
    assert issubclass(PeblarReadOnlyError, PeblarResponseError)


class TestConnectionFailures:
    def test_connection_refused(self) -> None:
        started = time.monotonic()
        with Peblar(f"127.0.0.1:{free_port()}", "t" * 64, backoff=0.01) as charger:
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
        assert time.monotonic() - started < 1.0
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
