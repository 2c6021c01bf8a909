"""Where a charger is: the host (and port) a user gives, checked once.

Chargers serve their local API over plain http on port 80; a user may write ``192.168.1.50``,
``peblar.local:8080``, ``[fe80::1]`` or ``http://192.168.1.50/``. An internationalised name
(``例え.jp``) is IDNA-encoded here (``xn--r8jz45g.jp``): the Host header and DNS carry ASCII
only. Anything else (another scheme, a path, credentials, a port out of range, a name IDNA cannot
encode) is refused here with a message naming the value, before any request is made.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = ["Address", "parse_address"]


class Address(NamedTuple):
    """Where a charger is: host (or IP) and port."""

    host: str
    port: int

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 80 else f"{host}:{self.port}"


def parse_address(value: str, default_port: int = 80) -> Address:
    """Read ``"192.168.1.50"``, ``"peblar.local:8080"`` or ``"http://192.168.1.50/"``.

    Without a port, ``default_port`` (the REST API's 80; the Modbus clients give 502).
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"the charger's host must be a non-empty string, not {value!r}")
    text = value.strip()
    if "://" in text and not text.lower().startswith("http://"):
        raise ValueError(
            f"chargers serve their local API over plain http, so {value!r} cannot be used"
        )
    try:
        url = urlsplit(text if "://" in text else f"http://{text}")
        host, port = url.hostname, url.port
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a host name, IP address or host:port") from exc
    if not host or url.path not in ("", "/") or url.query or url.fragment or "@" in url.netloc:
        raise ValueError(f"give only the charger's host (and port), not {value!r}")
    if not host.isascii():
        host = _idna(host, value)
    if not (host.replace(".", "").replace("-", "").replace(":", "").replace("_", "").isalnum()):
        raise ValueError(f"{value!r} is not a host name, IP address or host:port")
    if port == 0:
        raise ValueError(f"{value!r} names port 0, which no charger listens on")
    return Address(host=host, port=port or default_port)


def _idna(host: str, value: str) -> str:
    """The ASCII (IDNA) form of an internationalised host name, or a ValueError naming it."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(
            f"{value!r} is not a host name IDNA can write in ASCII ({exc}), so no charger can be "
            "reached by it"
        ) from exc
