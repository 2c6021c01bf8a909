"""The charger's web-interface API (``/api/v1/``), as far as getting the REST token needs it.

An owner who knows only the web password logs in, reads the user settings, switches the local REST
API on, and reads (or renews) its token; ``Peblar.from_password`` and ``pypeblar token`` do exactly
that. Sessions are cookies; a reboot forgets them, as on a real charger. Not rate limited
(pyPeblar's choice: nothing is known about the web interface's limits).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from pyPeblar.simulator._reply import RefusedError, Reply

if TYPE_CHECKING:
    from pyPeblar.simulator._server import State

__all__ = ["COOKIE", "WEB_ROUTES", "WebSessions"]

COOKIE: Final = "peblar_session"


class WebSessions:
    """Logged-in web sessions, by cookie value."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: set[str] = set()

    def open(self) -> str:
        session = secrets.token_hex(16)
        with self._lock:
            self._active.add(session)
        return session

    def close(self, session: str | None) -> None:
        with self._lock:
            self._active.discard(session or "")

    def valid(self, session: str | None) -> bool:
        with self._lock:
            return session in self._active

    def forget_all(self) -> None:
        with self._lock:
            self._active.clear()


def session_of(cookie_header: str | None) -> str | None:
    for part in (cookie_header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def login(state: State, body: Any, cookie: str | None) -> Reply:
    if not isinstance(body, dict) or not isinstance(body.get("Password"), str):
        raise RefusedError(400, "Bad request: Password is required")
    if body["Password"] != state.password:
        raise RefusedError(401, "Unauthorized: wrong password")
    session = state.sessions.open()
    return Reply(200, {}, {"Set-Cookie": f"{COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict"})


def status(state: State, body: Any, cookie: str | None) -> Reply:
    return Reply(200, {"Active": state.sessions.valid(cookie), "VersionHash": 20251102})


def logout(state: State, body: Any, cookie: str | None) -> Reply:
    state.sessions.close(cookie)
    return Reply(200, {})


def user_config(state: State) -> dict[str, Any]:
    charger = state.charger
    return {
        "LocalRestApiAccessMode": charger.access_mode,
        "LocalRestApiAllowed": charger.local_api_allowed,
        "LocalRestApiEnable": charger.api_enabled,
        "LocalModbusApiEnable": False,
        "SolarChargingEnable": False,
        "UserDefinedChargeLimitCurrent": charger.charge_current_limit,
        "UserKeepSocketLocked": False,
    }


def read_config(state: State, body: Any, cookie: str | None) -> Reply:
    return Reply(200, user_config(state))


def write_config(state: State, body: Any, cookie: str | None) -> Reply:
    if not isinstance(body, dict):
        raise RefusedError(400, "Bad request: the body must be a JSON object")
    charger = state.charger
    changes: dict[str, Any] = {}
    if "LocalRestApiEnable" in body or "LocalRestApiAccessMode" in body:
        if not charger.local_api_allowed:
            raise RefusedError(403, "Forbidden: the local REST API is not allowed on this charger")
        if "LocalRestApiEnable" in body:
            if not isinstance(body["LocalRestApiEnable"], bool):
                raise RefusedError(400, "Bad request: LocalRestApiEnable must be true or false")
            changes["api_enabled"] = body["LocalRestApiEnable"]
        if "LocalRestApiAccessMode" in body:
            if body["LocalRestApiAccessMode"] not in ("ReadOnly", "ReadWrite"):
                raise RefusedError(
                    400, "Bad request: LocalRestApiAccessMode must be ReadOnly or ReadWrite"
                )
            changes["access_mode"] = body["LocalRestApiAccessMode"]
    charger.change(**changes)
    return Reply(200, user_config(state))


def read_token(state: State, body: Any, cookie: str | None) -> Reply:
    return Reply(200, {"ApiToken": state.token})


def new_token(state: State, body: Any, cookie: str | None) -> Reply:
    state.token = secrets.token_hex(32)
    return Reply(200, {})


def versions(state: State, body: Any, cookie: str | None) -> Reply:
    return Reply(200, {"Customization": "Peblar-1.0", "Firmware": state.charger.profile.firmware})


WebHandler = Callable[["State", Any, "str | None"], "Reply"]

#: path -> method -> (needs a session, handler)
WEB_ROUTES: Final[dict[str, dict[str, tuple[bool, WebHandler]]]] = {
    "/api/v1/auth/login": {"POST": (False, login)},
    "/api/v1/auth/status": {"GET": (False, status)},
    "/api/v1/auth/logout": {"POST": (True, logout)},
    "/api/v1/config/user": {"GET": (True, read_config), "PATCH": (True, write_config)},
    "/api/v1/config/api-token": {"GET": (True, read_token), "POST": (True, new_token)},
    "/api/v1/system/software/automatic-update/current-versions": {"GET": (True, versions)},
}
