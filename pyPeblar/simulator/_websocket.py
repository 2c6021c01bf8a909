"""The simulator's websocket connections: the upgrade's answer, and frames read and written.

The HTTP server (``_server``) has already read the upgrade request and checked the session; this
module answers it (101, or why not) and then speaks the websocket protocol on the socket. The
framing is wsproto's (a sans-I/O library, which fits the threaded standard-library server: it
turns bytes into events and events into bytes, the I/O stays here), never parsed by hand. What is
said is ``_events.EventHub``'s. Imported only when a websocket is opened, so ``import
pyPeblar.simulator`` never loads wsproto; wsproto comes with the ``simulator`` extra.

Each connection has two threads: the server's handler thread reads (a blocking read: the socket is
shut down to end it), and a writer sends what the hub pushed, in order, and the session status
every ``EventHub.interval`` seconds while a car charges. wsproto's state is guarded by a lock,
since both touch it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Final

from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    Ping,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError, generate_accept_token

if TYPE_CHECKING:
    from email.message import Message as Headers

    from pyPeblar.simulator._events import EventHub

__all__ = ["WebSocket", "handshake_problem", "switching_protocols"]

logger = logging.getLogger("pyPeblar.simulator")

#: The longest message a client may send: subscription requests are a few dozen characters.
MAX_MESSAGE: Final = 64 * 1024


def handshake_problem(headers: Headers[str, str]) -> tuple[int, str, dict[str, str]] | None:
    """Why the request is not a websocket upgrade this server takes (status, message, headers);
    None when it is (RFC 6455, section 4.2.1)."""
    if headers.get("Upgrade", "").strip().lower() != "websocket" or "upgrade" not in {
        token.strip().lower() for token in headers.get("Connection", "").split(",")
    }:
        return 400, "Bad request: this path takes a websocket upgrade", {}
    if headers.get("Sec-WebSocket-Version", "").strip() != "13":
        return 426, "Upgrade required: websocket version 13", {"Sec-WebSocket-Version": "13"}
    if not headers.get("Sec-WebSocket-Key", "").strip():
        return 400, "Bad request: no Sec-WebSocket-Key", {}
    return None


def switching_protocols(headers: Headers[str, str]) -> bytes:
    """The 101 answer to an upgrade ``handshake_problem`` found nothing wrong with."""
    accept = generate_accept_token(headers["Sec-WebSocket-Key"].strip().encode()).decode()
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
    ).encode("latin-1")


class WebSocket:
    """One open websocket: what the hub pushes goes out in order; what the client sends is read."""

    def __init__(self, sock: socket.socket, reader: io.BufferedIOBase, hub: EventHub) -> None:
        self._socket = sock
        self._reader = reader  # the server's buffered reader: it may hold bytes already
        self._hub = hub
        self._protocol = Connection(ConnectionType.SERVER)
        self._protocol_lock = threading.Lock()
        self._outbox: deque[Event] = deque()
        self._ready = threading.Condition()
        self._sending = False
        self._closing = False
        self._partial: list[str] = []  # a text message arriving in more than one frame

    def __repr__(self) -> str:
        return f"<WebSocket {self._socket.fileno()}>"

    # -- what the hub calls (never waits on the client) -----------------------------------------

    def push(self, message: dict[str, Any]) -> None:
        self._enqueue(TextMessage(data=json.dumps(message)))

    def push_raw(self, frame: str | bytes) -> None:
        self._enqueue(
            TextMessage(data=frame) if isinstance(frame, str) else BytesMessage(data=frame)
        )

    def drop(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)

    def flush(self, timeout: float) -> None:
        with self._ready:
            self._ready.wait_for(
                lambda: self._closing or not (self._outbox or self._sending), timeout
            )

    def _enqueue(self, item: Event) -> None:
        with self._ready:
            if not self._closing:
                self._outbox.append(item)
                self._ready.notify_all()

    # -- the connection's life ----------------------------------------------------------------

    def serve(self) -> None:
        """Read until the client closes or the connection breaks (the handler thread's work)."""
        self._hub.attach(self)
        writer = threading.Thread(target=self._write, name="peblar-simulator-ws", daemon=True)
        writer.start()
        try:
            self._read()
        finally:
            self._hub.detach(self)
            with self._ready:
                self._closing = True
                self._ready.notify_all()
            writer.join(timeout=5)
            self.drop()

    def _read(self) -> None:
        while True:
            try:
                data = self._reader.read1(65536)
            except OSError:
                return
            with self._protocol_lock:
                self._protocol.receive_data(data or None)
                try:
                    events = list(self._protocol.events())
                except RemoteProtocolError as error:
                    logger.debug("websocket: a broken frame (%s); closing", error)
                    hint = error.event_hint
                    close = hint if isinstance(hint, CloseConnection) else CloseConnection(1002)
                    self._enqueue(close)
                    return
            for received in events:
                if not self._handle(received):
                    return
            if not data:
                return

    def _handle(self, received: Event) -> bool:
        """Act on one event from the client; False when the connection is ending."""
        if isinstance(received, CloseConnection):
            if self._protocol.state is ConnectionState.REMOTE_CLOSING:
                self._enqueue(received.response())
            return False
        if isinstance(received, Ping):
            self._enqueue(received.response())
        elif isinstance(received, TextMessage):
            self._text(received)
        elif isinstance(received, BytesMessage):
            logger.debug("websocket: a binary frame from the client, ignored")
        return True

    def _text(self, message: Message[str]) -> None:
        self._partial.append(message.data)
        if sum(map(len, self._partial)) > MAX_MESSAGE:
            self._partial.clear()
            self._enqueue(CloseConnection(1009, "message too big"))
            return
        if not message.message_finished:
            return
        text = "".join(self._partial)
        self._partial.clear()
        try:
            request = json.loads(text)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            self._hub.request(self, None, None)  # answered with an error result
            return
        self._hub.request(self, request.get("action"), request.get("topic"))

    def _write(self) -> None:
        """Send what was pushed, in order; a session status every interval while charging."""
        due = time.monotonic() + self._hub.interval
        while True:
            with self._ready:
                self._ready.wait_for(
                    lambda: self._outbox or self._closing, max(0.0, due - time.monotonic())
                )
                items = list(self._outbox)
                self._outbox.clear()
                closing = self._closing
                self._sending = bool(items)
            if not items and not closing and time.monotonic() >= due:
                due = time.monotonic() + self._hub.interval
                periodic = self._hub.periodic(self)
                items = [TextMessage(data=json.dumps(periodic))] if periodic else []
            for item in items:
                if not self._send(item):
                    closing = True
                    break
            with self._ready:
                self._sending = False
                self._ready.notify_all()
            if closing:
                return

    def _send(self, item: Event) -> bool:
        try:
            with self._protocol_lock:
                data = self._protocol.send(item)
            self._socket.sendall(data)
        except LocalProtocolError:  # closing: nothing more may be sent
            return False
        except OSError:
            self.drop()  # wakes the reader, which ends the connection
            return False
        return not isinstance(item, CloseConnection)
