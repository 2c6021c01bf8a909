"""The Peblar client: construction, reads, connection reuse, rate limiting, the raw layer."""

from __future__ import annotations

import inspect
import json
import threading
import time

import pytest
from pydantic import ValidationError

from pyPeblar import (
    Peblar,
    PeblarAuthenticationError,
    PeblarClosedError,
    PeblarConnectionTimeoutError,
    PeblarServerError,
)
from pyPeblar.models import AccessMode, CpState, EVInterfaceResponse, MeterResponse
from pyPeblar.simulator import Simulator
from test.clients import generated, run
from test.conftest import client_for

#: Every test here runs with Peblar and with AsyncPeblar (test/conftest.py: each_client).
pytestmark = pytest.mark.usefixtures("each_client")


class TestConstruction:
    @pytest.mark.parametrize("form", ["{host}", "http://{host}", "http://{host}/", " {host} "])
    def test_host_forms(self, sim: Simulator, form: str) -> None:
        with client_for(sim) as plain, Peblar(form.format(host=sim.host), sim.token) as charger:
            assert charger.host == plain.host == sim.host
            assert charger.health().api_version == "1.0"

    @pytest.mark.parametrize(
        "host",
        ["", "   ", "https://192.168.1.50", "192.168.1.50/api", "http://u:p@192.168.1.50", "a b"],
    )
    def test_bad_hosts_are_refused_clearly(self, host: str) -> None:
        with pytest.raises(ValueError, match=r"host|http"):
            Peblar(host, "t" * 64)

    @pytest.mark.parametrize("token", ["", "two words", "line\nbreak", None, 42])
    def test_bad_tokens_are_refused_without_echoing_them(self, token: object) -> None:
        with pytest.raises(ValueError, match="token") as info:
            Peblar("192.168.1.50", token)  # type: ignore[arg-type]
        if isinstance(token, str) and token:
            assert token not in str(info.value)

    @pytest.mark.parametrize(
        "options",
        [
            {"timeout": 0},
            {"timeout": -1},
            {"timeout": (1, 2, 3)},
            {"timeout": "5"},
            {"retries": -1},
            {"retries": 1.5},
            {"retries": True},
            {"backoff": -0.1},
        ],
    )
    def test_bad_options_are_refused(self, options: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            Peblar("192.168.1.50", "t" * 64, **options)  # type: ignore[arg-type]

    def test_repr_names_the_charger_not_the_token(self, charger: Peblar, sim: Simulator) -> None:
        assert sim.host in repr(charger)
        assert sim.token not in repr(charger) + str(charger)
        charger.close()
        assert "closed" in repr(charger)


class TestReads:
    def test_every_endpoint_gives_its_model(self, charger: Peblar, sim: Simulator) -> None:
        sim.plug_in()
        health = charger.health()
        assert health.access_mode is AccessMode.READ_WRITE
        system = charger.system()
        assert (system.phase_count, system.force1_phase_allowed) == (3, True)
        ev = charger.ev_interface()
        assert isinstance(ev, EVInterfaceResponse)
        assert ev.cp_state is CpState.STATE_C
        assert ev.lock_state is True
        meter = charger.meter()
        assert isinstance(meter, MeterResponse)
        assert meter.current_phase1 is not None
        assert meter.current_phase1 > 15000

    def test_reads_match_what_the_charger_serves(self, charger: Peblar, sim: Simulator) -> None:
        snapshot = sim.snapshot()
        assert charger.health().to_dict() == snapshot["health"]
        assert charger.ev_interface().to_dict() == snapshot["evinterface"]

    def test_single_phase_charger(self) -> None:
        with Simulator(profile="single-phase") as sim, client_for(sim) as charger:
            sim.plug_in()
            meter = charger.meter()
            assert meter.current_phase2 is None
            assert "CurrentPhase2" not in meter.to_dict()
            assert charger.system().wlan_signal_strength is None

    def test_fixed_cable_charger_has_no_lock_state(self) -> None:
        with Simulator(profile="three-phase-cable") as sim, client_for(sim) as charger:
            assert charger.ev_interface().lock_state is None

    def test_future_firmware_is_read_without_error(self) -> None:
        with Simulator(profile="future-firmware") as sim, client_for(sim) as charger:
            sim.plug_in()
            ev = charger.ev_interface()
            assert ev.cp_state == "State C2"
            assert not ev.cp_state.is_known
            assert ev.model_extra is not None
            assert "SessionId" in ev.model_extra
            assert charger.meter().energy_session is None

    def test_health_needs_no_token(self, sim: Simulator) -> None:
        with client_for(sim) as good, Peblar(sim.host, "not-the-token") as wrong:
            assert wrong.health() == good.health()
            with pytest.raises(PeblarAuthenticationError):
                wrong.system()


class TestConnection:
    def test_one_keep_alive_connection_for_many_calls(self, sim: Simulator) -> None:
        with client_for(sim, rate_limit=False) as charger:
            for _ in range(8):
                charger.meter()
            assert sim.stats().connections_opened == 1

    def test_close_releases_and_refuses(self, sim: Simulator) -> None:
        charger = client_for(sim)
        charger.meter()
        charger.close()
        with pytest.raises(PeblarClosedError):
            charger.meter()

    def test_with_block_closes(self, sim: Simulator) -> None:
        with client_for(sim) as charger:
            charger.health()
        with pytest.raises(PeblarClosedError):
            charger.health()


class TestRateLimit:
    def test_a_tight_loop_never_meets_a_429(self, sim: Simulator) -> None:
        started = time.monotonic()
        with client_for(sim) as charger:
            for _ in range(14):
                charger.health()
        elapsed = time.monotonic() - started
        assert sim.stats().by_status.get(429, 0) == 0
        assert elapsed >= (14 - 9) / 4.5 * 0.9  # the client waited instead of being refused

    def test_clients_of_one_charger_share_the_limit(self, sim: Simulator) -> None:
        with client_for(sim) as first, client_for(sim) as second:
            for _ in range(7):
                first.health()
                second.health()
        assert sim.stats().by_status.get(429, 0) == 0

    def test_threads_share_one_client(self, sim: Simulator) -> None:
        errors: list[BaseException] = []
        with client_for(sim) as charger:

            def poll() -> None:
                try:
                    for _ in range(2):
                        charger.ev_interface()
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=poll) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
        assert errors == []
        assert sim.stats().by_status.get(429, 0) == 0
        assert sim.stats().connections_opened <= 4  # the pool is bounded

    def test_rate_limit_false_turns_the_limiter_off(self) -> None:
        with Simulator(rate_limit=False) as sim, client_for(sim, rate_limit=False) as charger:
            started = time.monotonic()
            for _ in range(30):
                charger.health()
            assert time.monotonic() - started < 2.0


def test_generated_layer_is_reachable_through_the_client(charger: Peblar, sim: Simulator) -> None:
    sim.plug_in()
    meter = generated(charger, "MeterApi").get_meter()
    assert isinstance(meter, MeterResponse)
    assert meter.power_total == sim.snapshot()["meter"]["PowerTotal"]
    assert generated(charger, "EVInterfaceApi").get_ev_interface().cp_state is CpState.STATE_C


def test_raw_gives_exactly_what_the_charger_sent(charger: Peblar, sim: Simulator) -> None:
    import json

    raw = charger.raw("GET", "/evinterface")
    assert raw.startswith(b'{\n\t"ChargeCurrentLimit" : ')
    assert json.loads(raw) == sim.snapshot()["evinterface"]
    assert json.loads(charger.raw("GET", "/health"))["ApiVersion"] == "1.0"
    with pytest.raises(ValueError, match="path"):
        charger.raw("GET", "meter")


class TestProxies:
    def test_proxy_variables_in_the_environment_are_ignored(
        self, sim: Simulator, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
        with client_for(sim) as charger:
            assert charger.health().api_version == "1.0"
            assert generated(charger, "MeterApi").get_meter() is not None

    def test_a_proxy_when_asked_for(self, sim: Simulator) -> None:
        import http.client
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlsplit

        seen: list[str] = []

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # a plain-HTTP proxy: absolute URI in the request line
                seen.append(self.path)
                target = urlsplit(self.path)
                upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=5)
                upstream.request("GET", target.path, headers=dict(self.headers))
                answer = upstream.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        proxy = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        thread = threading.Thread(target=proxy.serve_forever, daemon=True)
        thread.start()
        try:
            address = f"http://127.0.0.1:{proxy.server_address[1]}"
            with client_for(sim, proxy=address) as charger:
                assert charger.system().phase_count == 3
        finally:
            proxy.shutdown()
            proxy.server_close()
        assert seen == [f"http://{sim.host}/api/wlac/v1/system"]

    def test_only_http_proxies(self) -> None:
        with pytest.raises(ValueError, match="http://"):
            Peblar("192.168.1.50", "t" * 64, proxy="socks5://127.0.0.1:1080")


class TestGeneratedLayerOnTheRoad:
    """The generated classes' own ways of calling keep working, under the client's policy."""

    def test_the_client_policy_applies_to_its_api_client(self, sim: Simulator) -> None:
        sim.inject("status", path="/meter", status=503, times=None)
        with client_for(sim, timeout=2, retries=0) as charger:
            assert charger.api_client.rest_client.policy is charger.policy
            assert charger.policy.connect_timeout == charger.policy.read_timeout == 2
            with pytest.raises(PeblarServerError):
                generated(charger, "MeterApi").get_meter()
        assert sim.stats().by_route["GET /meter"] == 1  # retries=0: one attempt

    def test_with_http_info(self, charger: Peblar) -> None:
        answer = generated(charger, "MeterApi").get_meter_with_http_info()
        assert answer.status_code == 200
        assert answer.data is not None and answer.data.power_total is not None
        assert answer.raw_data.startswith(b"{")
        assert answer.headers is not None and answer.headers["Content-Type"] == "application/json"

    def test_a_wrong_argument_is_refused_before_anything_is_sent(
        self, sim: Simulator, charger: Peblar
    ) -> None:
        # pydantic's validator of a method is built on the method's first call with an argument
        # (pyPeblar._transport.validate), so the second call here uses the one the first call built.
        api = generated(charger, "MeterApi")
        before = sim.stats().by_route.get("GET /meter", 0)
        for _ in range(2):
            with pytest.raises(ValidationError, match="_request_timeout"):
                api.get_meter(_request_timeout="soon")
        assert sim.stats().by_route.get("GET /meter", 0) == before
        assert api.get_meter(_request_timeout=5.0).power_total is not None

    def test_without_preload_content(self, charger: Peblar) -> None:
        api = generated(charger, "EVInterfaceApi")
        response = api.get_ev_interface_without_preload_content()
        assert response.status == 200
        body = response.read()  # urllib3's read(); on the asyncio road, awaited as aiohttp's
        body = run(body) if inspect.iscoroutine(body) else body
        assert json.loads(body)["CpState"] == "State A"
        again = api.get_ev_interface_without_preload_content()
        assert json.loads(again.data)["CpState"] == "State A"  # as urllib3's .data

    def test_request_timeout_and_headers_per_call(self, sim: Simulator, charger: Peblar) -> None:
        api = generated(charger, "MeterApi")
        assert api.get_meter(_headers={"X-Trace": "1"}).power_total is not None
        sim.inject("hang", path="/meter", seconds=5, times=None)
        started = time.monotonic()
        with pytest.raises(PeblarConnectionTimeoutError):
            api.get_meter(_request_timeout=(1.0, 0.3))
        assert time.monotonic() - started < 2.0  # 3 attempts of 0.3 s and back-off, not 10 s
