"""``AsyncPeblarModbus``: ``PeblarModbus`` for asyncio programs.

The same constructor, options, methods, models, errors and guarantees, awaited: its logic is the
flows ``PeblarModbus`` runs (``_modbus.flows``, ``_shared.control``), driven with ``await`` over
``_modbus.aio_link``. Needs the ``modbus`` extra (pymodbus), and nothing of the ``async`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from pyPeblar._modbus.flows import ModbusApis, ModbusBase
from pyPeblar._shared.aio_flow import drive_async
from pyPeblar._shared.flow import Flow
from pyPeblar._shared.lifecycle import AsyncClosing
from pyPeblar._transport.policy import call_deadline

if TYPE_CHECKING:
    from pyPeblar._modbus.aio_link import AsyncModbusLink
    from pyPeblar.models import EVInterfaceResponse, MeterResponse, SystemResponse

__all__ = ["AsyncPeblarModbus"]

R = TypeVar("R")


class AsyncPeblarModbus(ModbusBase, AsyncClosing):
    """A Peblar charger's Modbus TCP API, from asyncio. Use it with ``async with``.

    >>> async with AsyncPeblarModbus("192.168.1.50") as charger:   # doctest: +SKIP
    ...     (await charger.meter()).power_total
    11085

    Options and methods as for ``PeblarModbus``, as coroutines. Its connection belongs to the event
    loop of its first call; use one client per event loop.
    """

    _link: AsyncModbusLink | None = None
    _apis: ModbusApis | None = None

    async def close(self) -> None:
        """Close the connection. Leaving an ``async with`` block does this."""
        self._closed = True
        if self._link is not None:
            await self._link.close()

    async def _run(self, flow: Flow[R], *, switches_phases: bool = False) -> R:
        """Run a flow with the asyncio engine, in one deadline."""
        apis = self._apis
        if apis is None:  # made on the first call, then kept
            from pyPeblar._modbus.aio_link import AsyncModbusLink

            self._link = AsyncModbusLink(
                self._address.host, self._address.port, self._unit, self._policy, self.host
            )
            self._link.closed = self._closed
            apis = self._apis = ModbusApis(self._link)
        with call_deadline(self._call_seconds(switches_phases=switches_phases)):
            return await drive_async(flow, apis)

    async def meter(self) -> MeterResponse:
        """``PeblarModbus.meter``: currents, voltages, powers and energy, from the registers."""
        return await self._run(self._read_meter())

    async def system(self) -> SystemResponse:
        """``PeblarModbus.system``: identity, firmware, signal, uptime, phases, active codes."""
        return await self._run(self._read_system())

    async def ev_interface(self) -> EVInterfaceResponse:
        """``PeblarModbus.ev_interface``: CP state, lock, limits and the limit's source."""
        return await self._run(self._read_ev_interface())

    async def set_charge_current_limit(
        self, *, amps: float | None = None, milliamps: int | None = None
    ) -> EVInterfaceResponse:
        """``PeblarModbus.set_charge_current_limit``: 6 to 32 A, confirmed by reading back."""
        return await self._run(self._set_charge_current_limit(amps, milliamps))

    async def pause(self) -> EVInterfaceResponse:
        """``PeblarModbus.pause``: Modbus limit 0, remembering the limit it replaced."""
        return await self._run(self._pause())

    async def resume(
        self, *, amps: float | None = None, milliamps: int | None = None
    ) -> EVInterfaceResponse:
        """``PeblarModbus.resume``: back to the limit ``pause()`` replaced (or the one given)."""
        return await self._run(self._resume(amps, milliamps))

    async def force_single_phase(self, enabled: bool) -> EVInterfaceResponse:
        """``PeblarModbus.force_single_phase``: checked, then awaited until the charger shows it."""
        return await self._run(self._force_single_phase(enabled), switches_phases=True)
