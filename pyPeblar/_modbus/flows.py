"""What ``PeblarModbus`` and ``AsyncPeblarModbus`` share: options, the register reads as flows, and
how a Modbus write goes (the hooks of ``_shared.control``, whose pause, resume and phase switching
the REST clients run too).

Reads are planned from the register map (``registers.plan``) and yield one ``Call("link",
"read", ...)`` per request; the sync client drives them with ``link``, the asyncio one with
``aio_link``. A read that the charger refuses with "illegal data address" because of a
register it may lack (phase 2 and 3 on a single-phase unit) is read again register by register:
what the charger has is returned, the rest is None, and the client remembers not to ask again.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from pyPeblar._errors import PeblarError, PeblarModbusError
from pyPeblar._modbus.registers import HOLDING, Read, decode, encode, plan, split
from pyPeblar._shared.control import ChargerControl
from pyPeblar._shared.flow import Call, Flow
from pyPeblar._shared.memory import ChargerMemory
from pyPeblar._shared.options import ChargerOptions
from pyPeblar._transport.address import parse_address
from pyPeblar._transport.shown import shown

if TYPE_CHECKING:
    from pyPeblar.models import EVInterfaceResponse, MeterResponse, SystemResponse

__all__ = ["DEFAULT_PORT", "DEFAULT_UNIT", "ModbusApis", "ModbusBase"]

#: Where a Peblar's Modbus server listens, and the unit id evcc uses (users also run with 1).
DEFAULT_PORT: Final = 502
DEFAULT_UNIT: Final = 255
#: Exception codes that refuse a write for good (the same request is refused every time):
#: illegal function (e.g. the server is read-only), illegal data address, illegal data value.
REFUSALS: Final = frozenset({1, 2, 3})
ILLEGAL_ADDRESS: Final = 2


class ModbusApis(NamedTuple):
    """What a Modbus client's flows call: ``link``, the engine with ``read`` and ``write``."""

    link: Any


class ModbusBase(ChargerOptions, ChargerControl):
    """Options, checks and flows of a Modbus client of a charger; the I/O is the subclass's."""

    def __init__(
        self,
        host: str,
        port: int | None = None,
        unit: int = DEFAULT_UNIT,
        *,
        timeout: float | tuple[float, float] = (5.0, 10.0),
        deadline: float = 30.0,
        retries: int = 2,
        backoff: float = 0.5,
        protect_relays: bool = True,
        phase_switch_timeout: float = 30.0,
        memory: ChargerMemory | None = None,
    ) -> None:
        super().__init__(
            host,
            timeout=timeout,
            deadline=deadline,
            retries=retries,
            backoff=backoff,
            rate_limit=False,  # no limit is documented for Modbus, and none was seen
            proxy=None,
            default_port=_port(host, port),
        )
        if isinstance(unit, bool) or not isinstance(unit, int) or not 0 <= unit <= 255:
            raise ValueError(f"unit must be a Modbus unit id from 0 to 255, not {shown(unit)}")
        self._unit = unit
        self._init_control(
            memory_key=f"modbus:{self._address.netloc}",
            protect_relays=protect_relays,
            phase_switch_timeout=phase_switch_timeout,
            memory=memory,
        )
        #: Addresses of optional registers this charger answered "illegal data address" for.
        self._absent: frozenset[int] = frozenset()
        self._lock = threading.Lock()  # guards the lazy creation of the synchronous connection

    @property
    def port(self) -> int:
        """The Modbus TCP port (502 unless given)."""
        return self._address.port

    @property
    def unit(self) -> int:
        """The Modbus unit (device) id requests are addressed to."""
        return self._unit

    # -- flows: reads -------------------------------------------------------------------------

    def _read_fields(self, model: str) -> Flow[dict[str, Any]]:
        """The fields of ``model`` the charger's registers carry, in the fewest reads."""
        fields: dict[str, Any] = {}
        for read in plan(model, self._absent):
            try:
                words = yield Call("link", "read", (read.table, read.address, read.length))
            except PeblarModbusError as error:
                if error.exception_code != ILLEGAL_ADDRESS or not _has_optional(read):
                    raise
                fields.update((yield from self._read_one_by_one(read)))
                continue
            fields.update(decode(read, words))
        return fields

    def _read_one_by_one(self, read: Read) -> Flow[dict[str, Any]]:
        """``read``'s registers one at a time, leaving out the optional ones the charger lacks."""
        fields: dict[str, Any] = {}
        for single in split(read):
            try:
                words = yield Call("link", "read", (single.table, single.address, single.length))
            except PeblarModbusError as error:
                if error.exception_code == ILLEGAL_ADDRESS and _has_optional(single):
                    self._absent = self._absent | {single.address}
                    continue
                raise
            fields.update(decode(single, words))
        return fields

    def _read_meter(self) -> Flow[MeterResponse]:
        from pyPeblar.models.meter_response import MeterResponse

        return MeterResponse.model_validate((yield from self._read_fields("meter")))

    def _fetch_system(self) -> Flow[SystemResponse]:
        from pyPeblar.models.system_response import SystemResponse

        return SystemResponse.model_validate((yield from self._read_fields("system")))

    def _read_ev_interface(self) -> Flow[EVInterfaceResponse]:
        from pyPeblar.models.ev_interface_response import EVInterfaceResponse

        fields = yield from self._read_fields("ev_interface")
        return EVInterfaceResponse.model_validate(fields)

    # -- how Modbus writes (the hooks of _shared.control) ---------------------------------------

    def _send_write(self, method: str, fields: dict[str, Any]) -> Flow[EVInterfaceResponse | None]:
        """Write each field's holding registers; the answer only echoes where, so the state is
        read after it (``_shared.control`` does) to confirm the write."""
        for field, value in fields.items():
            address, words = encode(field, value)
            yield Call("link", "write", (HOLDING, address, words))
        return None

    def _refused(self, error: PeblarError, method: str) -> Flow[None]:
        if isinstance(error, PeblarModbusError) and error.exception_code in REFUSALS:
            error.applied = False
            raise error
        return
        yield  # a flow that yields nothing

    def _write_target(self, method: str) -> str:
        return f"Modbus write to {self.host}"


def _has_optional(read: Read) -> bool:
    return any(row.optional for row in read.registers)


def _port(host: str, port: int | None) -> int:
    """The port: ``port``, or the one in ``host``, or 502; a ValueError if the two differ."""
    if port is not None and (
        isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536
    ):
        raise ValueError(f"port must be a TCP port from 1 to 65535, not {shown(port)}")
    in_host = parse_address(host, 0).port  # 0: the host names none
    if port is not None and in_host and in_host != port:
        raise ValueError(f"the host {shown(host)} names port {in_host}, but port={port} was given")
    return port or in_host or DEFAULT_PORT
