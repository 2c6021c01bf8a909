"""How a client joins a generated ``ApiClient`` to pyPeblar's road, and names itself on it.

Every client that calls through generated API classes (``Peblar``, ``AsyncPeblar``,
``PeblarWeb``, ``AsyncPeblarWeb``) hands its ``ApiClient`` the policy layer's REST client (one
pool, one policy, for the client's own calls and the generated classes') and pyPeblar's
``User-Agent``, which the event streams' websockets send too.
"""

from __future__ import annotations

from typing import Any, Final, Protocol, TypeVar

from pyPeblar._version import __version__

__all__ = ["USER_AGENT", "on_road"]

#: What every request and websocket of pyPeblar says it is.
USER_AGENT: Final = f"pyPeblar/{__version__}"


class GeneratedApiClient(Protocol):
    """What ``on_road`` sets on any of the four generated ``ApiClient`` classes."""

    rest_client: Any
    user_agent: str


A = TypeVar("A", bound=GeneratedApiClient)


def on_road(api_client: A, rest: Any) -> A:
    """``api_client``, calling through ``rest`` (the policy layer's REST client) as pyPeblar."""
    api_client.rest_client = rest  # one pool, one policy, for both
    api_client.user_agent = USER_AGENT
    return api_client
