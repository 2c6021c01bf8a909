"""``pypeblar scan``: find Peblar chargers on the local network by mDNS.

Firmware 1.8 and later announce ``_pblr._tcp``; older firmware only ``_http._tcp`` with an instance
name starting ``PBLR-``. The TXT record carries ``sn`` (serial) and ``version`` (firmware). It needs
the optional ``zeroconf`` package (``pip install 'pyPeblar[discovery]'``); without it the command
says so in one line. Listening is bounded by ``--timeout``. ``PYPEBLAR_MDNS_INTERFACES`` (addresses,
comma-separated) limits where it listens, for hosts with several networks.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyPeblar.cli._context import Context

__all__ = ["Found", "from_service", "run"]

SERVICES = ("_pblr._tcp.local.", "_http._tcp.local.")
INSTALL_HINT = "pypeblar scan needs zeroconf: pip install 'pyPeblar[discovery]'"


@dataclass(frozen=True)
class Found:
    """A charger found on the network."""

    host: str
    serial: str | None
    firmware: str | None
    name: str


def text(properties: dict[bytes, bytes | None], key: bytes) -> str | None:
    value = properties.get(key)
    return value.decode("utf-8", "replace") if value else None


def from_service(
    service_type: str,
    name: str,
    addresses: list[str],
    port: int,
    properties: dict[bytes, bytes | None],
) -> Found | None:
    """A ``Found`` for an announced service, or None if it is not a Peblar."""
    instance = name.removesuffix("." + service_type)
    if service_type.startswith("_http.") and not instance.upper().startswith("PBLR-"):
        return None
    if not addresses:
        return None
    host = addresses[0] if port == 80 else f"{addresses[0]}:{port}"
    return Found(
        host=host,
        serial=text(properties, b"sn"),
        firmware=text(properties, b"version"),
        name=instance,
    )


def browse(seconds: float) -> list[Found]:
    from zeroconf import InterfaceChoice, ServiceBrowser, ServiceStateChange, Zeroconf

    found: dict[str, Found] = {}
    chosen = os.environ.get("PYPEBLAR_MDNS_INTERFACES", "")
    interfaces = [part.strip() for part in chosen.split(",") if part.strip()]
    zeroconf = Zeroconf(interfaces=interfaces or InterfaceChoice.All)

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is not ServiceStateChange.Added:
            return
        info = zeroconf.get_service_info(service_type, name, timeout=1000)
        if info is None:
            return
        charger = from_service(
            service_type, name, info.parsed_addresses(), info.port or 80, dict(info.properties)
        )
        if charger is not None:
            found[charger.serial or charger.host] = charger

    try:
        ServiceBrowser(zeroconf, list(SERVICES), handlers=[on_change])
        time.sleep(seconds)
    finally:
        zeroconf.close()
    return sorted(found.values(), key=lambda charger: charger.host)


def run(context: Context) -> int:
    from pyPeblar.cli._context import UsageError

    seconds = context.args.scan_timeout
    if not 0 < seconds <= 60:
        raise UsageError("scan --timeout must be more than 0 and at most 60 seconds")
    try:
        import zeroconf  # noqa: F401
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    context.say(f"Listening for chargers for {seconds:g} s ...")
    chargers = browse(seconds)
    document: list[dict[str, Any]] = [asdict(charger) for charger in chargers]
    lines = [
        f"{c.host:<22} serial {c.serial or '-':<16} firmware {c.firmware or '-'}" for c in chargers
    ]
    context.emit(document, "\n".join(lines) if lines else "No chargers found.")
    return 0
