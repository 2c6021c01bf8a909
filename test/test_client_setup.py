"""Getting a client: from the environment, and from the web interface password."""

from __future__ import annotations

import math

import pytest

from pyPeblar import (
    Peblar,
    PeblarAuthenticationError,
    PeblarReadOnlyError,
    PeblarSetupError,
)
from pyPeblar.models import AccessMode
from pyPeblar.simulator import Simulator
from test.conftest import FAST

#: Every test here runs with Peblar and with AsyncPeblar (test/conftest.py: each_client).
pytestmark = pytest.mark.usefixtures("each_client")


class TestFromEnv:
    def test_reads_host_and_token(self, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PEBLAR_HOST", sim.host)
        monkeypatch.setenv("PEBLAR_TOKEN", sim.token)
        with Peblar.from_env(timeout=2) as charger:
            assert charger.system().phase_count == 3

    @pytest.mark.parametrize("missing", ["PEBLAR_HOST", "PEBLAR_TOKEN"])
    def test_says_what_is_missing(self, monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
        monkeypatch.setenv("PEBLAR_HOST", "192.168.1.50")
        monkeypatch.setenv("PEBLAR_TOKEN", "t" * 64)
        monkeypatch.delenv(missing)
        with pytest.raises(ValueError, match=missing):
            Peblar.from_env()


class TestFromPassword:
    def test_enables_the_api_and_fetches_the_token(self) -> None:
        with Simulator(password="secret") as sim:
            sim.api_enabled = False
            with Peblar.from_password(sim.host, "secret", **FAST) as charger:
                assert charger.token == sim.token
                assert sim.api_enabled
                assert charger.health().access_mode is AccessMode.READ_WRITE
                assert charger.set_charge_current_limit(amps=7).charge_current_limit == 7000

    def test_read_only_access(self) -> None:
        with Simulator(password="secret") as sim:
            with Peblar.from_password(
                sim.host, "secret", access_mode="ReadOnly", **FAST
            ) as charger:
                assert charger.health().access_mode is AccessMode.READ_ONLY
                with pytest.raises(PeblarReadOnlyError):
                    charger.set_charge_current_limit(amps=7)

    def test_wrong_password(self) -> None:
        with Simulator(password="secret") as sim:
            with pytest.raises(PeblarAuthenticationError, match="refused the password") as info:
                Peblar.from_password(sim.host, "guess", **FAST)
            assert "guess" not in str(info.value)

    def test_api_not_allowed(self) -> None:
        with Simulator(password="secret", local_api_allowed=False) as sim:
            with pytest.raises(PeblarSetupError, match="does not allow the local REST API"):
                Peblar.from_password(sim.host, "secret", **FAST)

    def test_no_token(self) -> None:
        with Simulator(password="secret") as sim:
            sim.inject(
                "body", path="/api/v1/config/api-token", body=b'{"ApiToken": ""}', times=None
            )
            with pytest.raises(PeblarSetupError, match="no API token"):
                Peblar.from_password(sim.host, "secret", **FAST)

    def test_logs_in_again_when_the_session_is_forgotten(self) -> None:
        with Simulator(password="secret") as sim:
            sim.inject("status", path="/api/v1/config/api-token", status=401, times=1)
            with Peblar.from_password(sim.host, "secret", **FAST) as charger:
                assert charger.token == sim.token
            assert sim.stats().by_route.get("POST /api/v1/auth/login") == 2

    @pytest.mark.parametrize(
        ("password", "mode"), [("", "ReadWrite"), ("secret", "readwrite"), ("secret", "Full")]
    )
    def test_bad_arguments(self, password: str, mode: str) -> None:
        with pytest.raises(ValueError, match=r"password|access_mode"):
            Peblar.from_password("192.168.1.50", password, access_mode=mode)


class TestConstructorRefusals:
    """Found by the fuzz: values that were accepted and then hung, crashed or misbehaved later."""

    @pytest.mark.parametrize(
        ("option", "value"),
        [
            ("phase_switch_timeout", math.nan),
            ("phase_switch_timeout", math.inf),
            ("backoff", math.nan),
            ("backoff", math.inf),
            ("timeout", math.nan),
            ("timeout", (1.0, math.inf)),
            ("deadline", math.nan),
            ("deadline", math.inf),
            ("memory", "a dict"),
            ("proxy", "socks5://127.0.0.1:1080"),
        ],
    )
    def test_unusable_options_are_refused_by_name(self, option: str, value: object) -> None:
        with pytest.raises(ValueError, match=option):
            Peblar("127.0.0.1", "t" * 64, **{option: value})  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "host",
        [
            "é" * 70 + ".jp",
            "例え!.jp",
            "127.0.0.1:0",
            "http://127.0.0.1/api",
            "user@127.0.0.1",
            "https://127.0.0.1",
        ],
    )
    def test_unusable_hosts_are_refused_once_in_the_constructor(self, host: str) -> None:
        with pytest.raises(ValueError, match=r"host|port|http"):
            Peblar(host, "t" * 64)

    def test_an_internationalised_host_name_is_idna_encoded(self) -> None:
        charger = Peblar("例え.jp:8080", "t" * 64)
        assert "xn--r8jz45g.jp:8080" in repr(charger)
        assert charger.api_client.configuration.host == "http://xn--r8jz45g.jp:8080/api/wlac/v1"
