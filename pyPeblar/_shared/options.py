"""What every client of a charger takes and shows: its address, the policy and a proxy.

``Peblar``/``AsyncPeblar`` (``_local.flows``), ``PeblarWeb``/``AsyncPeblarWeb`` (``_web.flows``)
and the Modbus clients build on this: the same option names, the same checks and messages, the
same repr (address only: never the token or the password) and the same ``from_env`` shape.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from pyPeblar._transport.address import Address, parse_address
from pyPeblar._transport.policy import Policy, timeout_pair

T = TypeVar("T")

__all__ = ["ChargerOptions", "check_token", "from_environment", "web_options"]


class ChargerOptions:
    """A charger's address and the policy and proxy its client's every call follows."""

    def __init__(
        self,
        host: str,
        *,
        timeout: float | tuple[float, float],
        deadline: float,
        retries: int,
        backoff: float,
        rate_limit: bool,
        proxy: str | None,
        default_port: int = 80,
    ) -> None:
        self._address: Address = parse_address(host, default_port)
        connect, read = timeout_pair("timeout", timeout)
        self._policy = Policy(
            connect_timeout=connect,
            read_timeout=read,
            deadline=deadline,
            retries=retries,
            backoff=backoff,
            rate_limit=rate_limit,
        )
        if proxy is not None:
            from pyPeblar._transport.exchange import check_proxy

            check_proxy(proxy)
        self._proxy = proxy
        self._closed = False

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<{type(self).__name__} {self._address.netloc}{state}>"

    @property
    def host(self) -> str:
        """The charger's address as ``host`` or ``host:port``."""
        return self._address.netloc

    @property
    def policy(self) -> Policy:
        """Timeouts, deadline, retries and rate limiting in force for every call of this client."""
        return self._policy


def from_environment(cls: Callable[..., T], secret: str, what: str, options: dict[str, Any]) -> T:
    """``cls(PEBLAR_HOST, <the secret variable>, **options)``; a ValueError names what is unset."""
    host = os.environ.get("PEBLAR_HOST", "").strip()
    value = os.environ.get(secret, "")
    value = value.strip() if secret == "PEBLAR_TOKEN" else value
    missing = [name for name, given in (("PEBLAR_HOST", host), (secret, value)) if not given]
    if missing:
        raise ValueError(f"set {' and '.join(missing)} (the charger's address and {what})")
    return cls(host, value, **options)


def web_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options of a local-API client that its token setup's web client takes too."""
    return {name: options[name] for name in ("timeout", "proxy") if name in options}


def check_token(token: object) -> str:
    if not isinstance(token, str) or not token:
        raise ValueError(
            "the token must be a non-empty string (the charger's 64-character API token)"
        )
    if not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token):
        raise ValueError("the token must be printable ASCII without spaces")
    return token
