"""The simulator's HTTP side: routes, the token, the rate limit, faults, and robust I/O.

Standard library only (``ThreadingHTTPServer``): one thread per connection, HTTP/1.1 keep-alive,
TCP_NODELAY, and every answer written in a single send so small responses never wait on Nagle's
algorithm. Whatever arrives on the socket (garbage, huge bodies, half a header line) gets a JSON
4xx or a closed connection, never a dead server; a per-connection timeout keeps slow clients to
their own thread.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from pyPeblar.simulator._events import WEBSOCKET_PATH
from pyPeblar.simulator._faults import Fault
from pyPeblar.simulator._reply import (
    MethodNotAllowedError,
    RefusedError,
    Reply,
    charger_json,
    parse_json,
)
from pyPeblar.simulator._state import State
from pyPeblar.simulator._webui import route_web, session_of

__all__ = ["BASE", "MAX_BODY", "Server", "drop_connections", "hold_port", "make_server"]

logger = logging.getLogger("pyPeblar.simulator")

BASE: Final = "/api/wlac/v1"
#: Bodies larger than this are refused (413) without being read.
MAX_BODY: Final = 16 * 1024
#: How long after answering 202 the charger acts on a charge-session call.
TOGGLE_DELAY: Final = 0.1


# -- the REST API's routes ---------------------------------------------------------------------


def rest_get(state: State, path: str) -> Reply:
    bodies = {
        "/health": state.charger.health,
        "/system": state.charger.system,
        "/meter": state.charger.meter,
        "/evinterface": state.charger.ev_interface,
    }
    return Reply(200, bodies[path]())


def rest_patch(state: State, path: str, body: Any) -> Reply:
    return Reply(200, state.charger.write_ev_interface(body, replace=False))


def rest_put(state: State, path: str, body: Any) -> Reply:
    return Reply(200, state.charger.write_ev_interface(body, replace=True))


def rest_charge_session(state: State, path: str, body: Any) -> Reply:
    uid = state.charger.check_charge_session(body)
    timer = threading.Timer(TOGGLE_DELAY, state.charger.toggle_session, (uid,))
    timer.daemon = True
    timer.start()
    return Reply(202, None)


#: path -> the methods it answers. GET handlers take no body.
REST_ROUTES: Final[dict[str, tuple[str, ...]]] = {
    "/health": ("GET",),
    "/system": ("GET",),
    "/meter": ("GET",),
    "/evinterface": ("GET", "PATCH", "PUT"),
    "/authorization/charge-session": ("POST",),
}
REST_WRITES: Final = {"PATCH": rest_patch, "PUT": rest_put, "POST": rest_charge_session}


def require_token(state: State, headers: Any) -> None:
    if headers.get("Authorization") != state.token:
        raise RefusedError(401, "Unauthorized")


def route_rest(state: State, method: str, path: str, headers: Any, body: Any) -> Reply:
    charger = state.charger
    if not charger.api_enabled:
        raise RefusedError(404, "Not found: the local REST API is disabled")
    extra = state.extra_routes.get((method, path))
    if extra is not None:
        require_token(state, headers)
        status, payload = extra(parse_json(body) if body else None)
        return Reply(status, payload)
    methods = REST_ROUTES.get(path)
    if methods is None:
        raise RefusedError(404, f"Not found: {BASE}{path}")
    missing = charger.profile.missing_operations.get((method, path))
    if method not in methods or missing == 405:
        allowed = ", ".join(
            m for m in methods if charger.profile.missing_operations.get((m, path)) != 405
        )
        raise MethodNotAllowedError(allowed, f"Method not allowed: {method} {BASE}{path}")
    if missing == 404:
        raise RefusedError(404, f"Not found: {BASE}{path}")
    if path != "/health":
        require_token(state, headers)
    if method == "GET":
        return rest_get(state, path)
    return REST_WRITES[method](state, path, parse_json(body))


# -- the handler ---------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    """One connection: requests are read and answered in turn (keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "Peblar"
    sys_version = ""
    disable_nagle_algorithm = True
    server: Server

    def setup(self) -> None:
        self.timeout = self.server.state.connection_timeout  # type: ignore[misc]
        super().setup()
        state = self.server.state
        state.counters.connection()
        with state.connections_lock:
            state.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.state.connections_lock:
            self.server.state.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Even the server's own errors (bad request line, huge headers) are JSON, never HTML."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self.close_connection = True
        self.send(Reply(code, {"statusmsg": message or phrase}))

    def __getattr__(self, name: str) -> Any:
        """``do_GET``, ``do_TRACE``...: every method is routed, so a known path answers 405."""
        method = name[3:]
        if name.startswith("do_") and method.isalpha() and method.isupper():
            return lambda: self.dispatch(method)
        raise AttributeError(name)

    def dispatch(self, method: str) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        rest_path = path[len(BASE) :] if path.startswith(BASE + "/") else None
        # Faults and counters see the path as the spec writes it: %3A is ':' (in an EVCC ID).
        seen = unquote(path)
        seen_rest = seen[len(BASE) :] if rest_path is not None else None
        state.counters.request(f"{method} {seen_rest if seen_rest is not None else seen}")
        body = self.read_body()
        if body is None:
            return
        fault = state.faults.take(method, seen, seen_rest)
        if (
            fault is not None
            and not fault.apply
            and fault.kind not in ("delay", "mutate", "ignore")
        ):
            self.perform(fault, None, body)
            return
        if path == WEBSOCKET_PATH:
            if fault is not None and fault.kind == "delay":
                state.stopping.wait(float(fault.options.get("seconds", 1.0)))
            self.websocket(method)
            return
        ignored = (
            fault is not None
            and method != "GET"
            and (fault.kind == "ignore" or (fault.kind == "mutate" and not fault.apply))
        )
        if ignored:
            # A charger that takes the write but keeps its old values: the local REST API answers
            # with its state as it was, the web interface with its empty success.
            reply = self.answer("GET", path, rest_path, b"") if rest_path else Reply(200, None)
        else:
            reply = self.answer(method, path, rest_path, body)
        if fault is None:
            self.send(reply)
        else:
            self.perform(fault, reply, body)
        if reply.after is not None:  # a reboot or an update: only once the answer is out
            threading.Thread(target=reply.after, name="peblar-simulator-after", daemon=True).start()

    def websocket(self, method: str) -> None:
        """The websocket (``/api/v1/ws``): upgrade a logged-in client's GET, then serve it."""
        state = self.server.state
        if method != "GET":
            self.send(Reply(405, {"statusmsg": f"Method not allowed: {method}"}, {"Allow": "GET"}))
            return
        if not state.sessions.valid(session_of(self.headers.get("Cookie"))):
            self.send(Reply(401, {"statusmsg": "Unauthorized: log in first"}))
            return
        try:
            from pyPeblar.simulator import _websocket
        except ImportError:
            logger.warning("a websocket was asked for: install pyPeblar[simulator] (wsproto)")
            message = "Not implemented: the simulator's websocket needs pyPeblar[simulator]"
            self.send(Reply(501, {"statusmsg": message}))
            return
        problem = _websocket.handshake_problem(self.headers)
        if problem is not None:
            status, message, headers = problem
            self.close_connection = True
            self.send(Reply(status, {"statusmsg": message}, headers))
            return
        self.close_connection = True  # the connection is the websocket's from now on
        try:
            self.wfile.write(_websocket.switching_protocols(self.headers))
        except OSError:
            return
        state.counters.status(101)
        self.connection.settimeout(None)  # a websocket waits for events; the socket is shut down
        _websocket.WebSocket(self.connection, self.rfile, state.events).serve()

    def read_body(self) -> bytes | None:
        """The request body; None when it was refused (and answered) instead."""
        if self.headers.get("Transfer-Encoding", "").lower() not in ("", "identity"):
            self.close_connection = True
            self.send(Reply(400, {"statusmsg": "Bad request: chunked bodies are not supported"}))
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self.send(Reply(400, {"statusmsg": "Bad request: invalid Content-Length"}))
            return None
        if length > MAX_BODY:
            self.close_connection = True
            self.send(Reply(413, {"statusmsg": f"Payload too large: at most {MAX_BODY} bytes"}))
            return None
        return self.rfile.read(length) if length else b""

    def answer(self, method: str, path: str, rest_path: str | None, body: bytes) -> Reply:
        state = self.server.state
        try:
            if rest_path is not None:
                if state.rate_limit and not state.limiter.try_acquire():
                    headers = (
                        {"Retry-After": str(state.retry_after)}
                        if state.retry_after is not None
                        else {}
                    )
                    return Reply(429, {"statusmsg": "Too many requests"}, headers)
                return route_rest(state, method, rest_path, self.headers, body)
            return route_web(state, method, self.path, self.headers, body)
        except MethodNotAllowedError as failure:
            return Reply(failure.status, {"statusmsg": failure.message}, {"Allow": failure.allowed})
        except RefusedError as failure:
            return Reply(failure.status, {"statusmsg": failure.message})

    # -- writing ------------------------------------------------------------------------------

    def encode(
        self,
        reply: Reply,
        body: bytes | None = None,
        content_type: str | None = None,
        phrase: str | None = None,
    ) -> tuple[bytes, bytes]:
        """(head, body) of an answer, head with a Content-Length for the whole body."""
        if body is None:
            body = b"" if reply.payload is None else charger_json(reply.payload)
        if phrase is None:
            try:
                phrase = HTTPStatus(reply.status).phrase
            except ValueError:
                phrase = "Unknown"
        lines = [f"HTTP/1.1 {reply.status} {phrase}", f"Content-Length: {len(body)}"]
        if body:
            lines.append(f"Content-Type: {content_type or 'application/json'}")
        lines.extend(f"{name}: {value}" for name, value in reply.headers.items())
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), body

    def send(
        self,
        reply: Reply,
        body: bytes | None = None,
        content_type: str | None = None,
        *,
        phrase: str | None = None,
    ) -> None:
        head, payload = self.encode(reply, body, content_type, phrase)
        self.server.state.counters.status(reply.status)
        if self.command == "HEAD":
            payload = b""  # HEAD answers carry the headers of the body, not the body
        try:
            self.wfile.write(head + payload)  # one send: no Nagle or delayed-ACK stall
        except OSError:
            self.close_connection = True

    def abort(self, *, reset: bool = False) -> None:
        """End the connection now, without (the rest of) an answer."""
        self.close_connection = True
        try:
            if reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def perform(self, fault: Fault, reply: Reply | None, request_body: bytes = b"") -> None:
        """Answer (or not) as the fault says; ``reply`` is the normal answer when it was applied."""
        options = fault.options
        kind = fault.kind
        if kind == "delay":
            self.server.state.stopping.wait(float(options.get("seconds", 1.0)))
            self.send(reply or Reply(200, {}))
        elif kind == "hang":
            self.server.state.stopping.wait(float(options.get("seconds", 30.0)))
            self.abort()
        elif kind in ("drop", "reset"):
            self.abort(reset=kind == "reset")
        elif kind == "partial":
            head, body = self.encode(reply or Reply(200, {"statusmsg": "partial"}))
            self.server.state.counters.status((reply or Reply(200)).status)
            with contextlib.suppress(OSError):
                self.wfile.write(head + body[: max(1, len(body) // 2)])
            self.abort()
        elif kind == "status":
            payload = options.get("body", None)
            status = int(options.get("status", 500))
            headers = dict(options.get("headers", {}))
            if payload is None:
                self.send(Reply(status, {"statusmsg": HTTPStatus(status).phrase}, headers))
            else:
                raw = (
                    payload
                    if isinstance(payload, bytes)
                    else (payload.encode() if isinstance(payload, str) else charger_json(payload))
                )
                self.send(Reply(status, None, headers), raw, options.get("content_type"))
        elif kind == "body":
            self.send(
                Reply(200, None), bytes(options.get("body", b"")), options.get("content_type")
            )
        elif kind == "mutate":
            self.send(mutated(reply or Reply(200, {}), options))
        elif kind == "ignore":
            self.send(reply or Reply(200, None))
        elif kind == "drip":
            self.drip(reply or Reply(200, {}), float(options.get("interval", 0.2)))
        elif kind == "echo":
            self.echo(int(options.get("status", 400)), options.get("content_type"), request_body)

    def echo(self, status: int, content_type: str | None, request_body: bytes) -> None:
        """An error answer that repeats the request's credentials and body everywhere it can."""
        said = "; ".join(
            f"{name}: {self.headers[name]}"
            for name in ("Authorization", "Cookie")
            if name in self.headers
        )
        text = f"refused {self.command} {self.path}: {said}; body: " + request_body.decode(
            "utf-8", "replace"
        )
        # A header and a status line take latin-1, one line.
        line = text.encode("latin-1", "replace").decode("latin-1").translate({13: 32, 10: 32})
        if content_type == "text/html":
            body = f"<html><body><h1>{status}</h1><p>{text}</p></body></html>".encode()
        elif content_type == "text/plain":
            body = text.encode()
        else:
            body = charger_json({"statusmsg": text})
        self.send(Reply(status, None, {"X-Echo": line}), body, content_type, phrase=line)

    def drip(self, reply: Reply, interval: float) -> None:
        """The answer one byte at a time, ``interval`` s apart: each byte beats a read timeout."""
        data = b"".join(self.encode(reply))
        self.server.state.counters.status(reply.status)
        stopping = self.server.state.stopping
        with contextlib.suppress(OSError):
            for index in range(len(data)):
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
                if stopping.wait(interval):
                    break
        self.abort()


def mutated(reply: Reply, options: dict[str, Any]) -> Reply:
    """The reply with keys added, removed or set, as newer (or odder) firmware would send it."""
    if not isinstance(reply.payload, dict):
        return reply
    payload = dict(reply.payload)
    for key in options.get("remove", ()):
        payload.pop(key, None)
    payload.update(options.get("add", {}))
    payload.update(options.get("set", {}))
    return Reply(reply.status, payload, reply.headers)


class Server(ThreadingHTTPServer):
    """A threaded HTTP server that knows its simulator state."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 64

    def __init__(
        self, address: tuple[str, int], state: State, held: socket.socket | None = None
    ) -> None:
        """Serve on ``address``, or start listening on ``held`` (a port kept through a reboot)."""
        self.state = state
        if held is None:
            super().__init__(address, Handler)
            return
        super().__init__(address, Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = held
        host, port = held.getsockname()[:2]
        self.server_address = (host, port)
        self.server_name, self.server_port = host, port
        self.server_activate()

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


def make_server(host: str, port: int, state: State) -> Server:
    return Server((host, port), state)


def hold_port(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that does not listen, for a reboot's downtime.

    Connections to the port are refused, as a rebooting charger's are, and no other socket can be
    given the port meanwhile: with the port released, another simulator's listener (or a client's
    own end of a connection) could take it, and the charger would never come back on it.
    """
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind((host, port))
    except OSError:
        held.close()
        raise
    return held


def drop_connections(state: State) -> None:
    """Cut every open connection (stop, reboot)."""
    with state.connections_lock:
        connections = list(state.connections)
    for connection in connections:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
