"""The third-party ``peblar`` package's web client (2.1.0, what Home Assistant uses) drives the
simulator without noticing it is not a charger.

The package has no port option (its URL is ``http://<host>/api/v1/``): the test points its ``url``
at the simulator's port, as a user with a charger behind a port forward would. Its session needs a
cookie jar that accepts cookies from an IP address (``unsafe=True``), as the one it makes itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import peblar
import pytest

from pyPeblar.simulator import Simulator


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(rate_limit=False, password="secret") as simulator:
        yield simulator


def test_the_peblar_package_drives_the_simulator(sim: Simulator) -> None:
    from peblar.const import SmartChargingMode
    from yarl import URL

    sim.plug_in()
    sim.advance(3600)
    sim.unplug()

    async def scenario() -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            client = peblar.Peblar(host="127.0.0.1", session=session)
            client.url = URL.build(scheme="http", host="127.0.0.1", port=sim.port, path="/api/v1/")
            await client.login(password="secret")

            user = await client.user_configuration()
            assert user.local_rest_api_enabled is True
            assert user.time_zone == "Europe/Amsterdam"
            assert user.smart_charging == SmartChargingMode.DEFAULT

            info = await client.system_information()
            assert (info.product_number, info.product_serial_number) == (
                sim.profile.product_pn,
                sim.profile.product_sn,
            )
            assert info.firmware_version == sim.profile.firmware

            current = await client.current_versions()
            assert current.firmware == sim.profile.firmware
            assert str(current.customization_version) == "1.9"
            available = await client.available_versions(use_cache=False)
            assert str(available.firmware_version) == "1.10.0"

            mode: Any = SmartChargingMode.SMART_SOLAR  # peblar types its members as str
            await client.smart_charging(mode)
            assert (await client.user_configuration()).smart_charging == (
                SmartChargingMode.SMART_SOLAR
            )
            assert sim.user_configuration["SolarChargingMode"] == "OptimizedSolar"
            assert sim.snapshot()["evinterface"]["ChargeCurrentLimitSource"] == "Solar charging"

            await client.identify()
            assert sim.identify_count == 1

            tokens = await client.rfid_tokens()
            assert [token.rfid_token_uid for token in tokens] == list(sim.rfid_tokens)
            await client.add_rfid_token(rfid_token_uid="0A0B0C0D", rfid_token_description="Guest")
            assert sim.rfid_tokens["0A0B0C0D"] == "Guest"
            assert (await client.rfid_token(uid="0A0B0C0D")).rfid_token_description == "Guest"
            await client.delete_rfid_token(uid="0A0B0C0D")
            assert "0A0B0C0D" not in sim.rfid_tokens

            history = await client.meter_history()
            (session_entry,) = history.session
            assert session_entry.session_end_time is not None
            assert session_entry.session_end_time - session_entry.session_start_time >= 3600
            assert session_entry.auth_token is None
            assert history.meta_data is not None
            assert history.meta_data.product_sn == sim.profile.product_sn

            assert (await client.connector()).plugged_in_ev is False  # old path on 1.9
            assert await client.vehicle_tokens() == []  # a bare null: ISO 15118 off
            assert (await client.auth_status()).active is True
            assert len(await client.api_token()) == 64
            await client.logout()

    asyncio.run(scenario())
