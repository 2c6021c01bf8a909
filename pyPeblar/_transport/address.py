"""Where a charger is: the host (and port) a user gives, checked once.

Chargers serve their local API over plain http on port 80; a user may write ``192.168.1.50``,
``peblar.local:8080``, ``[fe80::1]`` or ``http://192.168.1.50/``. An internationalised name
(``例え.jp``) is IDNA-encoded here (``xn--r8jz45g.jp``): the Host header and DNS carry ASCII
only. Anything else (another scheme, a path, credentials, a port out of range, a name IDNA cannot
encode, a name longer than DNS allows) is refused here with a message naming the value, before
any request is made.
"""

from __future__ import annotations

from typing import Final, NamedTuple
from urllib.parse import urlsplit

from pyPeblar._transport.shown import shown

__all__ = ["Address", "parse_address"]

#: DNS's limits (RFC 1035): a label (the part between dots) and a whole name, in characters.
MAX_LABEL: Final = 63
MAX_NAME: Final = 253


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
        raise ValueError(f"the charger's host must be a non-empty string, not {shown(value)}")
    text = value.strip()
    if "://" in text and not text.lower().startswith("http://"):
        raise ValueError(
            f"the charger's host {shown(value)} names another scheme: chargers serve their "
            "local API over plain http"
        )
    try:
        url = urlsplit(text if "://" in text else f"http://{text}")
        host, port = url.hostname, url.port
    except ValueError as exc:
        raise ValueError(
            f"the charger's host {shown(value)} is not a host name, IP address or host:port"
        ) from exc
    if not host or url.path not in ("", "/") or url.query or url.fragment or "@" in url.netloc:
        raise ValueError(f"give only the charger's host (and port), not {shown(value)}")
    if not host.isascii():
        host = _idna(host, value)
    if not (host.replace(".", "").replace("-", "").replace(":", "").replace("_", "").isalnum()):
        raise ValueError(
            f"the charger's host {shown(value)} is not a host name, IP address or host:port"
        )
    if ":" not in host:  # a name or an IPv4 address: DNS's limits (RFC 1035), which IDNA enforces
        _check_labels(host, value)
    if port == 0:
        raise ValueError(
            f"the charger's host {shown(value)} names port 0, where no charger listens"
        )
    return Address(host=host, port=port or default_port)


def _check_labels(host: str, value: str) -> None:
    """Refuse a name DNS cannot carry: a label over 63 characters, an empty label, or over 253
    characters in all. Checked here for every client: aiohttp (IDNA-encoding the host) would
    otherwise raise a raw ``UnicodeError`` on the asyncio roads, while urllib3 sends it on."""
    name = host[:-1] if host.endswith(".") else host
    if len(name) > MAX_NAME:
        raise ValueError(
            f"the charger's host {shown(value)} is {len(name)} characters long; a host name has at "
            f"most {MAX_NAME}"
        )
    for label in name.split("."):
        if not 1 <= len(label) <= MAX_LABEL:
            raise ValueError(
                f"the charger's host {shown(value)} has a part of {len(label)} characters between "
                f"dots; each part of a host name has 1 to {MAX_LABEL}"
            )


def _idna(host: str, value: str) -> str:
    """The ASCII (IDNA) form of an internationalised host name, or a ValueError naming it."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(
            f"the charger's host {shown(value)} is not a name IDNA can write in ASCII ({exc}), so "
            "no charger can be reached by it"
        ) from exc
