"""A request kept between calls follows the client's settings (ApiClient.prepared).

An operation called without arguments sends the same request every time, so the generated
``ApiClient`` builds it once and sends it again while the settings it was built from are
unchanged (docs/performance.md). A setting changed in place must still take effect on the very
next call, on both generated roads, as it did when every call built its request anew.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from pyPeblar import MeterResponse, PeblarAuthenticationError, PeblarConnectionTimeoutError
from pyPeblar.simulator import Simulator
from test.conftest import Road

GENERATED_ROADS = ["generated", "generated-asyncio"]


@pytest.fixture(params=GENERATED_ROADS)
def generated_road(request: pytest.FixtureRequest, sim: Simulator) -> Any:
    """A generated API class on a plain ``ApiClient`` (synchronous or asyncio), rate limit off."""
    with Road(request.param, sim.host, "f" * 64, rate_limit=False) as road:
        yield road


def test_a_token_changed_in_place_is_sent_on_the_next_call(
    generated_road: Road, sim: Simulator
) -> None:
    api_key = generated_road.api_client.configuration.api_key
    with pytest.raises(PeblarAuthenticationError):
        generated_road.meter()
    api_key["ApiToken"] = sim.token  # the same dict, changed: no new Configuration
    assert isinstance(generated_road.meter(), MeterResponse)
    assert isinstance(generated_road.meter(), MeterResponse)
    api_key["ApiToken"] = "e" * 64
    with pytest.raises(PeblarAuthenticationError):
        generated_road.meter()
    assert sim.stats().by_status == {401: 2, 200: 2}


def test_a_default_header_is_sent_from_the_next_call(generated_road: Road, sim: Simulator) -> None:
    """The token as a default header: upstream applies the credentials over default headers, so
    with no API key configured, the header is what authenticates."""
    generated_road.api_client.configuration.api_key.clear()
    with pytest.raises(PeblarAuthenticationError):
        generated_road.meter()
    generated_road.api_client.set_default_header("Authorization", sim.token)
    assert isinstance(generated_road.meter(), MeterResponse)


def test_a_refresh_hook_is_asked_on_every_call(generated_road: Road, sim: Simulator) -> None:
    asked: list[int] = []

    def refresh(configuration: Any) -> None:
        asked.append(1)
        configuration.api_key["ApiToken"] = sim.token

    generated_road.api_client.configuration.refresh_api_key_hook = refresh
    for _ in range(3):
        assert isinstance(generated_road.meter(), MeterResponse)
    assert len(asked) == 3


@pytest.mark.parametrize("name", GENERATED_ROADS)
def test_a_policy_replaced_between_calls_times_the_next_one(name: str, sim: Simulator) -> None:
    """The REST client keeps a poll's request with the policy's timeouts
    (``_transport.exchange.Requests``); a policy set in its place applies from the next call."""
    with Road(name, sim.host, sim.token, rate_limit=False) as road:
        assert isinstance(road.meter(), MeterResponse)  # kept, with a read timeout of 10 s
        rest_client = road.api_client.rest_client
        rest_client.policy = rest_client.policy.replace(read_timeout=0.3, retries=0)
        sim.inject("hang", path="/meter", seconds=5)
        started = time.monotonic()
        with pytest.raises(PeblarConnectionTimeoutError):
            road.meter()
        assert time.monotonic() - started < 2.5
