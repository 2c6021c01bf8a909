"""The charger's web-interface API (``/api/v1/``), as ``openapi/webui.yaml`` describes it.

An owner logs in with the web password and gets a session cookie; every other call needs it (401
otherwise), and a reboot forgets all sessions, as on a real charger. This module holds the
sessions, the routing, and the session and settings calls; ``_webui_routes`` the rest. The two
APIs share one ``Charger``: a setting changed here acts on the local REST API. Not rate limited
(pyPeblar's choice: nothing is known about the web interface's limits).
"""

from __future__ import annotations

import secrets
import zlib
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from pyPeblar.simulator._reply import MethodNotAllowedError, RefusedError, Reply, parse_json
from pyPeblar.simulator._settings import firmware_at_least
from pyPeblar.simulator._state import State
from pyPeblar.simulator._webui_routes import MOVED, ROUTES, WebHandler, WebRequest

__all__ = ["COOKIE", "WEB_ROUTES", "route_web", "session_of"]

COOKIE: Final = "peblar_session"


def session_of(cookie_header: str | None) -> str | None:
    for part in (cookie_header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


# -- session ---------------------------------------------------------------------------------------


def login(request: WebRequest) -> Reply:
    state, body = request.state, request.body
    if not isinstance(body, dict) or not isinstance(body.get("Password"), str):
        raise RefusedError(400, "Bad request: Password is required")
    if not isinstance(body.get("PersistentSession", False), bool):
        raise RefusedError(400, "Bad request: PersistentSession must be true or false")
    if body["Password"] != state.password:
        raise RefusedError(401, "Unauthorized: wrong password")
    session = state.sessions.open()
    return Reply(
        200, None, {"Set-Cookie": f"{COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict"}
    )


def version_hash(state: State) -> int:
    """Changes with the software (firmware or customisation); always above 2^31, as seen."""
    software = f"{state.charger.profile.firmware}/{state.web.customization}"
    return zlib.crc32(software.encode()) | 0x80000000


def status(request: WebRequest) -> Reply:
    active = request.state.sessions.valid(request.cookie)
    return Reply(200, {"Active": active, "VersionHash": version_hash(request.state)})


def logout(request: WebRequest) -> Reply:
    request.state.sessions.close(request.cookie)
    return Reply(200, None)


# -- settings --------------------------------------------------------------------------------------


def read_config(request: WebRequest) -> Reply:
    return Reply(200, request.state.charger.user_configuration())


def write_config(request: WebRequest) -> Reply:
    request.state.charger.write_settings(request.body)
    return Reply(200, None)


def read_token(request: WebRequest) -> Reply:
    return Reply(200, {"ApiToken": request.state.token})


def new_token(request: WebRequest) -> Reply:
    request.state.token = secrets.token_hex(32)
    return Reply(200, None)


#: path -> method -> (needs a session, handler). ``{}`` is a path parameter.
WEB_ROUTES: Final[dict[str, dict[str, tuple[bool, WebHandler]]]] = {
    "/api/v1/auth/login": {"POST": (False, login)},
    "/api/v1/auth/status": {"GET": (False, status)},
    "/api/v1/auth/logout": {"POST": (True, logout)},
    "/api/v1/config/user": {"GET": (True, read_config), "PATCH": (True, write_config)},
    "/api/v1/config/api-token": {"GET": (True, read_token), "POST": (True, new_token)},
    **{
        path: {method: (True, handler) for method, handler in methods.items()}
        for path, methods in ROUTES.items()
    },
}


def find_route(path: str) -> tuple[dict[str, tuple[bool, WebHandler]], str | None] | None:
    """The methods of ``path`` and its path parameter, if any."""
    methods = WEB_ROUTES.get(path)
    if methods is not None:
        return methods, None
    head, _, tail = path.rpartition("/")
    methods = WEB_ROUTES.get(head + "/{}")
    if methods is not None and tail:
        return methods, unquote(tail)
    return None


def route_web(state: State, method: str, target: str, headers: Any, body: bytes) -> Reply:
    """Answer a request for ``target`` (path and query) under ``/api/v1``."""
    parts = urlsplit(target)
    path = parts.path
    found = find_route(path)
    new_firmware = firmware_at_least(state.charger.profile.firmware, 1, 10)
    moved_away = path in MOVED.values() if new_firmware else path in MOVED
    if found is None or moved_away:
        raise RefusedError(404, f"Not found: {path}")
    methods, param = found
    if method not in methods:
        raise MethodNotAllowedError(", ".join(methods), f"Method not allowed: {method} {path}")
    needs_session, handler = methods[method]
    cookie = session_of(headers.get("Cookie"))
    if needs_session and not state.sessions.valid(cookie):
        raise RefusedError(401, "Unauthorized: log in first")
    payload = parse_json(body) if method != "GET" and body else None
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return handler(WebRequest(state, payload, cookie, query, param))
