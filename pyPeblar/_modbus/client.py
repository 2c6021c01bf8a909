"""``PeblarModbus``: a charger's Modbus TCP API, with ``Peblar``'s methods, models and guarantees.

A script moves between the REST and Modbus roads by changing one line: ``meter()``,
``ev_interface()`` and ``system()`` return the same generated models (what the registers do not
carry is None), and ``set_charge_current_limit()``, ``pause()``, ``resume()`` and
``force_single_phase()`` run the very flows ``Peblar`` runs (``_shared.control``), with the same
checks, pause memory, relay guard (shared with ``Peblar`` for the same charger) and confirmed
writes. Needs the ``modbus`` extra (pymodbus); importing ``pyPeblar`` never imports it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, TypeVar

from pyPeblar._modbus.flows import ModbusApis, ModbusBase
from pyPeblar._shared.flow import Flow, drive
from pyPeblar._shared.lifecycle import Closing
from pyPeblar._transport.policy import call_deadline

if TYPE_CHECKING:
    from pyPeblar._modbus.link import ModbusLink
    from pyPeblar.models import EVInterfaceResponse, MeterResponse, SystemResponse

__all__ = ["PeblarModbus"]

R = TypeVar("R")


class PeblarModbus(ModbusBase, Closing):
    """A Peblar charger's Modbus TCP API (firmware 1.6+, enabled in the web interface).

    >>> with PeblarModbus("192.168.1.50") as charger:   # doctest: +SKIP
    ...     charger.meter().power_total
    11085

    ``host`` may carry the port (``"192.168.1.50:5020"``); otherwise ``port`` (default 502).
    ``unit`` is the Modbus unit id (default 255, as evcc uses; some chargers answer 1). Options, as
    for ``Peblar``: ``timeout`` (connect and whole answer, or a pair; default 5 and 10),
    ``deadline`` (a whole call, default 30), ``retries`` and ``backoff`` (after a failure: every
    read, and every write, which sets an absolute value), ``protect_relays``,
    ``phase_switch_timeout`` and ``memory``. No token: Modbus has no authentication.

    Thread-safe: threads may share one client (its requests take turns on one connection).
    """

    _link: ModbusLink | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection. Leaving a ``with`` block does this."""
        with self._lock:
            self._closed = True
            if self._link is not None:
                self._link.close()

    @functools.cached_property
    def _apis(self) -> ModbusApis:
        from pyPeblar._modbus.link import ModbusLink

        with self._lock:
            self._link = ModbusLink(
                self._address.host, self._address.port, self._unit, self._policy, self.host
            )
            if self._closed:
                self._link.close()
            return ModbusApis(self._link)

    def _run(self, flow: Flow[R], *, switches_phases: bool = False) -> R:
        """Run a flow with the synchronous engine, in one deadline."""
        with call_deadline(self._call_seconds(switches_phases=switches_phases)):
            return drive(flow, self._apis)

    # -- reads ------------------------------------------------------------------------------

    def meter(self) -> MeterResponse:
        """Currents (mA), voltages (V), powers (W) and energy counters (Wh), from the registers.

        A single-phase charger's phase 2 and 3 are None (it has no such registers).

        >>> charger.meter().power_total           # doctest: +SKIP
        11085
        """
        return self._run(self._read_meter())

    def system(self) -> SystemResponse:
        """Serial and part number, firmware, signal strengths, uptime, phases, active codes.

        >>> charger.system().firmware_version     # doctest: +SKIP
        '1.9.2+1+WL-1'
        """
        return self._run(self._read_system())

    def ev_interface(self) -> EVInterfaceResponse:
        """Control-pilot state, lock, the Modbus limit, the limit in force and its source.

        ``charge_current_limit`` is the limit set over Modbus (its own register, apart from the
        REST API's); ``charge_current_limit_actual`` the lowest of all the charger's limits.

        >>> charger.ev_interface().charge_current_limit_actual   # doctest: +SKIP
        16000
        """
        return self._run(self._read_ev_interface())

    # -- writes -----------------------------------------------------------------------------

    def set_charge_current_limit(
        self, *, amps: float | None = None, milliamps: int | None = None
    ) -> EVInterfaceResponse:
        """Set the Modbus current limit to 6 to 32 A (exactly one of ``amps`` or ``milliamps``).

        Confirmed by reading the register back; returns the charger's resulting state.

        >>> charger.set_charge_current_limit(amps=10).charge_current_limit   # doctest: +SKIP
        10000
        """
        return self._run(self._set_charge_current_limit(amps, milliamps))

    def pause(self) -> EVInterfaceResponse:
        """Pause charging (Modbus limit 0); ``resume()`` restores the limit it replaced.

        >>> charger.pause().charge_current_limit   # doctest: +SKIP
        0
        """
        return self._run(self._pause())

    def resume(
        self, *, amps: float | None = None, milliamps: int | None = None
    ) -> EVInterfaceResponse:
        """Resume charging at the limit ``pause()`` replaced (or at ``amps``/``milliamps``).

        >>> charger.resume().charge_current_limit   # doctest: +SKIP
        16000
        """
        return self._run(self._resume(amps, milliamps))

    def force_single_phase(self, enabled: bool) -> EVInterfaceResponse:
        """Charge on one phase (``True``) or all phases (``False``), and wait until it shows.

        Refused before sending (``PeblarUnsupportedError``) when the charger reports no
        independent relays or one phase.

        >>> charger.force_single_phase(True).force1_phase   # doctest: +SKIP
        True
        """
        return self._run(self._force_single_phase(enabled), switches_phases=True)
