"""The token is a secret: no log record, exception, repr or traceback may show it."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

import pytest

from pyPeblar import Peblar, PeblarAuthenticationError, PeblarError
from pyPeblar.exceptions import UnauthorizedException
from pyPeblar.simulator import Simulator
from test.conftest import ROADS, Road, client_for, open_road

#: Every test here runs with Peblar and with AsyncPeblar (test/conftest.py: each_client).
pytestmark = pytest.mark.usefixtures("each_client")

TOKEN = "0123456789abcdef" * 4


def everything_a_client_can_do(charger: Peblar) -> list[Callable[[], object]]:
    return [
        charger.health,
        charger.system,
        charger.meter,
        charger.ev_interface,
        lambda: charger.set_charge_current_limit(amps=10),
        lambda: charger.set_charge_current_limit(amps=20),  # refused by a 16 A charger
        charger.pause,
        charger.resume,
        lambda: charger.force_single_phase(True),
        lambda: charger.force_single_phase(False),
        lambda: charger.replace_ev_interface(amps=12, force_single_phase=False),
        lambda: charger.authorize_charge_session(token="04A1B2C3"),
        lambda: charger.authorize_charge_session(name="nobody"),
        lambda: repr(charger),
        lambda: charger.api_client,
    ]


def run_all(charger: Peblar) -> list[str]:
    """Run every operation; return every text an error produced (message and traceback)."""
    texts = []
    for operation in everything_a_client_can_do(charger):
        try:
            texts.append(repr(operation()))
        except (PeblarError, ValueError) as error:
            texts.append(str(error))
            texts.append(repr(error))
            texts.append("".join(traceback.format_exception(error)))
    return texts


@pytest.mark.parametrize(
    "fault",
    [
        None,
        {"kind": "status", "status": 500},
        {"kind": "status", "status": 401},
        {"kind": "status", "status": 403},
        {"kind": "drop"},
        {"kind": "body", "body": b"{not json"},
        {"kind": "hang", "seconds": 1},
    ],
)
def test_token_never_appears(
    caplog: pytest.LogCaptureFixture, fault: dict[str, object] | None
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's included
    with Simulator(token=TOKEN, phase_switch_delay=0.05) as sim:
        if fault is not None:
            sim.inject(times=None, **fault)  # type: ignore[arg-type]
        with client_for(sim, timeout=(1.0, 0.3), retries=1, protect_relays=False) as charger:
            texts = run_all(charger)
    assert caplog.records, "DEBUG logging produced nothing: the test would prove nothing"
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
    for text in texts:
        assert TOKEN not in text


def test_wrong_token_is_not_echoed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "f" * 64
    with Simulator() as sim, Peblar(sim.host, wrong) as charger:
        with pytest.raises(PeblarError) as info:
            charger.meter()
    assert wrong not in str(info.value) + "".join(traceback.format_exception(info.value))
    assert all(wrong not in record.getMessage() for record in caplog.records)


def test_debug_logs_say_what_happened(caplog: pytest.LogCaptureFixture, charger: Peblar) -> None:
    caplog.set_level(logging.DEBUG, logger="pyPeblar")
    charger.meter()
    assert any(
        "GET" in r.getMessage() and "/meter -> 200" in r.getMessage() for r in caplog.records
    )


def test_library_is_silent_by_default() -> None:
    logger = logging.getLogger("pyPeblar")
    assert any(isinstance(handler, logging.NullHandler) for handler in logger.handlers)


@pytest.mark.parametrize("road_name", ROADS)
def test_debug_mode_prints_no_header(
    road_name: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """``configuration.debug = True`` turns on http.client's header dump; not on our road."""
    caplog.set_level(logging.DEBUG)
    with Simulator(token=TOKEN) as sim, open_road(road_name, sim) as road:
        road.api_client.configuration.debug = True
        try:
            road.meter()
            road.set_charge_current_limit(amps=10)
        finally:
            road.api_client.configuration.debug = False
    printed = capfd.readouterr()
    assert TOKEN not in printed.out + printed.err
    assert "Authorization" not in printed.out + printed.err
    assert any("/meter -> 200" in r.getMessage() for r in caplog.records)
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("road_name", ROADS)
def test_wrong_token_errors_on_either_road_show_no_token(road_name: str) -> None:
    with Simulator(token=TOKEN) as sim, Road(road_name, sim.host, "f" * 64) as road:
        with pytest.raises(PeblarAuthenticationError) as info:
            road.meter()
    error = info.value
    assert isinstance(error, UnauthorizedException)
    text = str(error) + repr(error) + "".join(traceback.format_exception(error))
    assert "f" * 64 not in text and TOKEN not in text
