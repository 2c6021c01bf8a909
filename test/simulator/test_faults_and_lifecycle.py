"""Injected faults, reboots, robustness against bad clients, the web interface, the CLI."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from pyPeblar.simulator import FAULT_KINDS, Simulator
from test.conftest import wait_until_back
from test.simulator.conftest import call
from test.simulator.web import WebClient


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(rate_limit=False) as simulator:
        yield simulator


def raw_exchange(sim: Simulator, data: bytes, *, read: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as connection:
        connection.sendall(data)
        if not read:
            return b""
        chunks = []
        while True:
            try:
                chunk = connection.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


class TestFaults:
    def test_every_kind_is_known(self, sim: Simulator) -> None:
        assert set(FAULT_KINDS) == {
            "delay",
            "hang",
            "drop",
            "reset",
            "partial",
            "status",
            "body",
            "mutate",
            "drip",
            "echo",
            "ignore",
        }
        with pytest.raises(ValueError, match="unknown fault kind"):
            sim.inject("explode")

    def test_delay(self, sim: Simulator) -> None:
        sim.inject("delay", path="/meter", seconds=0.3)
        started = time.monotonic()
        assert call(sim, "GET", "/meter").status == 200
        assert time.monotonic() - started >= 0.3

    @pytest.mark.parametrize("kind", ["drop", "reset", "hang"])
    def test_no_answer(self, sim: Simulator, kind: str) -> None:
        sim.inject(kind, path="/meter", seconds=0.2)
        with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
            call(sim, "GET", "/meter")
        assert call(sim, "GET", "/meter").status == 200  # times=1: the next one is fine

    def test_drip_sends_the_whole_answer_a_byte_at_a_time(self, sim: Simulator) -> None:
        sim.inject("drip", path="/health", interval=0.005)
        started = time.monotonic()
        answer = call(sim, "GET", "/health")
        assert answer.status == 200 and answer.json["AccessMode"] == "ReadWrite"
        assert time.monotonic() - started >= 0.005 * 100  # headers and body, byte by byte

    def test_partial(self, sim: Simulator) -> None:
        sim.inject("partial", path="/meter")
        with pytest.raises(http.client.IncompleteRead):
            call(sim, "GET", "/meter")

    def test_status_with_any_body(self, sim: Simulator) -> None:
        sim.inject(
            "status", path="/meter", status=503, body=b"<html>busy</html>", content_type="text/html"
        )
        answer = call(sim, "GET", "/meter")
        assert (answer.status, answer.raw, answer.headers["Content-Type"]) == (
            503,
            b"<html>busy</html>",
            "text/html",
        )
        sim.inject("status", path="/meter", status=500)
        assert call(sim, "GET", "/meter").json == {"statusmsg": "Internal Server Error"}

    @pytest.mark.parametrize("content_type", [None, "text/plain", "text/html"])
    def test_echo_repeats_the_credentials_and_the_body(
        self, sim: Simulator, content_type: str | None
    ) -> None:
        sim.inject("echo", path="/evinterface", status=403, content_type=content_type)
        answer = call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 6000})
        assert answer.status == 403
        for text in (answer.raw.decode(), answer.headers["X-Echo"]):
            assert f"Authorization: {sim.token}" in text
            assert "ChargeCurrentLimit" in text and "6000" in text  # the body
        assert sim.charge_current_limit == 16000  # not applied, as a refusal
        if content_type is None:
            assert sim.token in answer.json["statusmsg"]

    def test_body(self, sim: Simulator) -> None:
        sim.inject("body", path="/meter", body=b"not json", times=2)
        assert call(sim, "GET", "/meter").raw == b"not json"
        assert call(sim, "GET", "/meter").raw == b"not json"
        assert call(sim, "GET", "/meter").json["PowerTotal"] == 0

    def test_mutate(self, sim: Simulator) -> None:
        sim.inject(
            "mutate",
            path="/evinterface",
            add={"NewKey": 1},
            remove=["LockState"],
            set={"CpState": "State Z"},
        )
        body = call(sim, "GET", "/evinterface").json
        assert body["NewKey"] == 1
        assert "LockState" not in body
        assert body["CpState"] == "State Z"

    def test_ignore_answers_a_write_and_keeps_the_old_values(self, sim: Simulator) -> None:
        fault = sim.inject("ignore", path="/evinterface", times=None)
        assert call(sim, "GET", "/evinterface").status == 200  # a read: nothing to ignore
        answer = call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 8000})
        assert answer.status == 200 and answer.json["ChargeCurrentLimit"] == 16000
        assert sim.charge_current_limit == 16000
        assert fault.hits == 2
        fault.cancel()
        sim.inject("ignore", path="/api/v1/config/user", method="PATCH")
        web = WebClient(sim)
        assert web.login() == 200
        status, body, _ = web.request("PATCH", "/config/user", {"HmiBuzzerVolume": 4})
        assert (status, body) == (200, None)
        assert sim.user_configuration["HmiBuzzerVolume"] != 4
        web.ok("PATCH", "/config/user", {"HmiBuzzerVolume": 4})  # times=1: the next one lands
        assert sim.user_configuration["HmiBuzzerVolume"] == 4
        web.close()

    def test_matching_by_path_method_and_times(self, sim: Simulator) -> None:
        fault = sim.inject("status", path="/evinterface", method="PATCH", status=500, times=None)
        assert call(sim, "GET", "/evinterface").status == 200
        for _ in range(3):
            assert call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 8000}).status == 500
        assert fault.hits == 3
        fault.cancel()
        assert call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 8000}).status == 200

    def test_apply_decides_whether_a_write_lands(self, sim: Simulator) -> None:
        sim.inject("drop", path="/evinterface", method="PATCH", apply=False)
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 8000})
        assert sim.charge_current_limit == 16000
        sim.inject("drop", path="/evinterface", method="PATCH", apply=True)
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 8000})
        assert sim.charge_current_limit == 8000

    def test_clear(self, sim: Simulator) -> None:
        sim.inject("status", status=500, times=None)
        sim.clear_faults()
        assert call(sim, "GET", "/meter").status == 200


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class TestLifecycle:
    def test_reboot_refuses_then_comes_back_on_the_same_port(self, sim: Simulator) -> None:
        port = sim.port
        sim.reboot(downtime=0.5)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        wait_until_back(port)
        assert sim.port == port
        assert call(sim, "GET", "/system").json["Uptime"] < 60

    def test_no_other_socket_can_take_the_port_while_it_reboots(self, sim: Simulator) -> None:
        # Found under load: with the port released, another simulator's listener took it during
        # the downtime, and the rebooting charger never came back.
        port = sim.port
        sim.reboot(downtime=60)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        assert not port_is_free(port)
        sim.stop()  # during the downtime: the port is let go, and the charger stays down
        assert port_is_free(port)

    def test_a_reboot_stopped_during_its_downtime_stays_down(self) -> None:
        sim = Simulator().start()
        port = sim.port
        sim.reboot(downtime=0.1)
        sim.stop()
        time.sleep(0.5)  # well past the downtime: nothing may come back
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()

    def test_reboot_with_a_new_token(self, sim: Simulator) -> None:
        old = sim.token
        sim.reboot(downtime=0.1, new_token=True)
        wait_until_back(sim.port)
        assert call(sim, "GET", "/meter", token=old).status == 401
        assert call(sim, "GET", "/meter").status == 200

    def test_stop_frees_the_port(self) -> None:
        sim = Simulator().start()
        port = sim.port
        sim.stop()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sim.stop()  # twice is fine

    def test_command_line(self) -> None:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pyPeblar.simulator",
                "--port",
                "0",
                "--profile",
                "three-phase-cable",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            url_line, token_line = process.stdout.readline(), process.stdout.readline()
            port = int(re.findall(r":(\d+)", url_line)[-1])
            token = token_line.split()[-1]
            assert len(token) == 64
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/wlac/v1/system", headers={"Authorization": token})
            assert b"6004-2300-8103" in connection.getresponse().read()
            connection.close()
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=10)
        assert process.returncode == 0


class TestRobustness:
    def test_garbage(self, sim: Simulator) -> None:
        answer = raw_exchange(sim, b"\x00\xff\xfegarbage\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400")
        assert b'"statusmsg"' in answer
        assert call(sim, "GET", "/health").status == 200

    def test_bad_request_line(self, sim: Simulator) -> None:
        assert raw_exchange(sim, b"GET\r\n\r\n").startswith(b"HTTP/1.1 400")

    def test_any_other_method_is_405(self, sim: Simulator) -> None:
        answer = raw_exchange(sim, b"BREW /api/wlac/v1/meter HTTP/1.1\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 405")
        assert b"application/json" in answer
        head = raw_exchange(sim, b"HEAD /api/wlac/v1/meter HTTP/1.1\r\nConnection: close\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 405")
        assert head.endswith(b"\r\n\r\n")  # headers only

    def test_huge_header(self, sim: Simulator) -> None:
        answer = raw_exchange(
            sim, b"GET /api/wlac/v1/health HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n"
        )
        assert answer.startswith((b"HTTP/1.1 431", b"HTTP/1.1 400"))

    def test_slow_client_does_not_block_others(self) -> None:
        with Simulator(rate_limit=False, connection_timeout=4.0) as sim:
            slow = socket.create_connection(("127.0.0.1", sim.port), timeout=5)
            slow.sendall(b"GET /api/wlac/v1/health HTTP/1.1\r\nHost: x\r\n")  # never finishes
            started = time.monotonic()
            assert call(sim, "GET", "/health").status == 200
            assert time.monotonic() - started < 2.0  # not after the slow one's 4 s timeout
            slow.settimeout(10)
            assert slow.recv(100) == b""  # the server hung up on it after its timeout
            slow.close()

    def test_many_clients_at_once(self, sim: Simulator) -> None:
        results: list[int] = []

        def poll() -> None:
            for _ in range(10):
                results.append(call(sim, "GET", "/meter").status)

        threads = [threading.Thread(target=poll) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [200] * 80


class TestWebInterface:
    def login(self, sim: Simulator, password: str = "peblar") -> str | None:
        answer = call(
            sim,
            "POST",
            "/api/v1/auth/login",
            {"Password": password, "PersistentSession": False},
            token=None,
        )
        cookie = answer.headers.get("Set-Cookie")
        return cookie.split(";")[0] if answer.status == 200 and cookie else None

    def test_login_and_token(self, sim: Simulator) -> None:
        assert self.login(sim, "wrong") is None
        cookie = self.login(sim)
        assert cookie
        headers = {"Cookie": cookie}
        assert (
            call(sim, "GET", "/api/v1/auth/status", token=None, headers=headers).json["Active"]
            is True
        )
        assert call(sim, "GET", "/api/v1/config/api-token", token=None, headers=headers).json == {
            "ApiToken": sim.token
        }
        old = sim.token
        assert (
            call(sim, "POST", "/api/v1/config/api-token", token=None, headers=headers).status == 200
        )
        assert sim.token != old
        firmware = call(
            sim,
            "GET",
            "/api/v1/system/software/automatic-update/current-versions",
            token=None,
            headers=headers,
        )
        assert firmware.json["Firmware"] == sim.profile.firmware
        call(sim, "POST", "/api/v1/auth/logout", token=None, headers=headers)
        assert call(sim, "GET", "/api/v1/config/user", token=None, headers=headers).status == 401

    def test_needs_a_session(self, sim: Simulator) -> None:
        assert call(sim, "GET", "/api/v1/config/api-token", token=None).status == 401

    def test_enabling_the_api(self, sim: Simulator) -> None:
        sim.api_enabled = False
        headers = {"Cookie": self.login(sim) or ""}
        settings = call(sim, "GET", "/api/v1/config/user", token=None, headers=headers).json
        assert (settings["LocalRestApiEnable"], settings["LocalRestApiAllowed"]) == (False, True)
        change = {"LocalRestApiEnable": True, "LocalRestApiAccessMode": "ReadOnly"}
        assert (
            call(sim, "PATCH", "/api/v1/config/user", change, token=None, headers=headers).status
            == 200
        )
        assert sim.api_enabled
        assert sim.access_mode == "ReadOnly"

    def test_not_allowed(self, sim: Simulator) -> None:
        sim.local_api_allowed = False
        headers = {"Cookie": self.login(sim) or ""}
        answer = call(
            sim,
            "PATCH",
            "/api/v1/config/user",
            {"LocalRestApiEnable": True},
            token=None,
            headers=headers,
        )
        assert answer.status == 403

    def test_reboot_forgets_sessions(self, sim: Simulator) -> None:
        headers = {"Cookie": self.login(sim) or ""}
        sim.reboot(downtime=0.1)
        wait_until_back(sim.port)
        assert call(sim, "GET", "/api/v1/config/user", token=None, headers=headers).status == 401
