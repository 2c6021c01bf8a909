"""A small HTTP/1.1 client for one charger: keep-alive sockets, exact timeouts, nothing more.

Why not urllib3 here (the generated layer keeps using it)? A client polls one charger for years
over one connection, and urllib3 and ``http.client`` spend most of each call on generality it does
not need: URL parsing, pool lookups, header objects, and header parsing through the ``email``
package. Writing the request in one ``sendall`` and reading a charger's short answer with a
``recv`` or two costs a fraction of that (docs/performance.md has the figures), and ``from pyPeblar
import Peblar`` no longer imports urllib3. The subset of HTTP/1.1 a charger speaks is small and is
all here: Content-Length and chunked bodies, bodies read to the end of the connection, keep-alive
and ``Connection: close``, interim 1xx answers. Plain-HTTP proxies work too (absolute request
targets); chargers have no TLS.

Timeouts are strict: connecting may take ``connect_timeout``, and the whole answer must arrive
within ``read_timeout`` of the request being sent, so a server that drips bytes cannot hang a call.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Final

__all__ = [
    "ConnectFailedError",
    "ConnectTimeoutError",
    "ConnectionLostError",
    "Headers",
    "HttpError",
    "KeepAlivePool",
    "RawResponse",
    "ReadTimeoutError",
]

MAX_HEAD: Final = 64 * 1024
MAX_BODY: Final = 8 * 1024 * 1024
_PEEK: Final = getattr(socket, "MSG_PEEK", 0) | getattr(socket, "MSG_DONTWAIT", 0)


class HttpError(OSError):
    """No usable answer. ``sent`` says whether the request may have reached the server."""

    sent = True


class ConnectFailedError(HttpError):
    """The connection could not be made (refused, unreachable, unknown host)."""

    sent = False


class ConnectTimeoutError(HttpError):
    """Connecting took longer than the connect timeout."""

    sent = False


class ReadTimeoutError(HttpError):
    """The answer did not arrive (completely) within the read timeout."""


class ConnectionLostError(HttpError):
    """The connection closed, or the answer was cut off or was not HTTP."""


class Headers:
    """Response headers: case-insensitive, repeated ones kept (``Set-Cookie``)."""

    __slots__ = ("_items",)

    def __init__(self, items: dict[str, list[str]]) -> None:
        self._items = items

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._items.get(name.lower())
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self._items.get(name.lower(), ()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)


class RawResponse:
    """A complete answer: status, reason, headers and body."""

    __slots__ = ("data", "headers", "reason", "status")

    def __init__(self, status: int, reason: str, headers: Headers, data: bytes) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.data = data


class _Connection:
    """One socket plus whatever it has received beyond the last answer."""

    __slots__ = ("buffer", "sock", "used")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.used = False

    def alive(self) -> bool:
        """Whether an idle connection can be reused: not closed, nothing unexpected waiting."""
        if self.buffer:
            return False
        if not _PEEK:
            return True
        try:
            self.sock.settimeout(0)  # a peek must not wait
            self.sock.recv(1, _PEEK)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False  # b"": the server closed it; or bytes nobody asked for

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class KeepAlivePool:
    """Up to ``maxsize`` keep-alive connections to one server; threads wait for a free one."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        connect_timeout: float,
        read_timeout: float,
        maxsize: int = 4,
    ) -> None:
        self.address = (host, port)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.maxsize = maxsize
        self._slots = threading.BoundedSemaphore(maxsize)
        self._lock = threading.Lock()
        self._idle: list[_Connection] = []
        self._closed = False
        #: Connections made so far (the benchmark and the tests read it).
        self.connections_made = 0

    def close(self) -> None:
        """Close idle connections now and busy ones when their call ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def request(self, head: bytes, body: bytes | None) -> RawResponse:
        """Send ``head`` (request line and headers, ending in a blank line) and ``body``."""
        if not self._slots.acquire(timeout=self.connect_timeout + self.read_timeout):
            raise ConnectTimeoutError("every connection stayed busy for too long")
        connection: _Connection | None = None
        keep = False
        try:
            connection = self._checkout()
            response, keep = self._exchange(connection, head if body is None else head + body)
            return response
        finally:
            if connection is not None:
                self._checkin(connection, keep)
            self._slots.release()

    def _checkout(self) -> _Connection:
        while True:
            with self._lock:
                if self._closed:
                    raise ConnectionLostError("the connection pool is closed")
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect()
            if connection.alive():
                return connection
            connection.close()

    def _checkin(self, connection: _Connection, keep: bool) -> None:
        with self._lock:
            if keep and not self._closed:
                self._idle.append(connection)
                return
        connection.close()

    def _connect(self) -> _Connection:
        try:
            sock = socket.create_connection(self.address, timeout=self.connect_timeout)
        except TimeoutError as exc:
            raise ConnectTimeoutError(f"no connection within {self.connect_timeout:g} s") from exc
        except OSError as exc:
            raise ConnectFailedError(exc.strerror or str(exc)) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self.connections_made += 1
        return _Connection(sock)

    def _exchange(self, connection: _Connection, request: bytes) -> tuple[RawResponse, bool]:
        sock = connection.sock
        deadline = time.monotonic() + self.read_timeout
        try:
            sock.settimeout(self.read_timeout)
            sock.sendall(request)
        except TimeoutError as exc:
            raise ReadTimeoutError("the request could not be sent in time") from exc
        except OSError as exc:
            raise ConnectionLostError(exc.strerror or str(exc)) from exc
        connection.used = True
        reader = _Reader(connection, deadline, self.read_timeout)
        while True:
            status, reason, headers, keep = reader.head()
            if status >= 200:
                break  # 1xx answers are interim: the real one follows
        data = reader.body(status, headers)
        return RawResponse(status, reason, Headers(headers), data), keep and reader.complete


class _Reader:
    """Reads one answer from a connection, within a deadline."""

    __slots__ = ("complete", "connection", "deadline", "timeout")

    def __init__(self, connection: _Connection, deadline: float, timeout: float) -> None:
        self.connection = connection
        self.deadline = deadline
        self.timeout = timeout
        self.complete = True

    def _recv(self) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ReadTimeoutError(f"no complete answer within {self.timeout:g} s")
        sock = self.connection.sock
        try:
            sock.settimeout(remaining)
            return sock.recv(65536)
        except TimeoutError as exc:
            raise ReadTimeoutError(f"no complete answer within {self.timeout:g} s") from exc
        except OSError as exc:
            raise ConnectionLostError(exc.strerror or str(exc)) from exc

    def head(self) -> tuple[int, str, dict[str, list[str]], bool]:
        """Status, reason, headers (lower-case names) and whether the connection may be kept."""
        buffer = self.connection.buffer
        end = buffer.find(b"\r\n\r\n")
        while end < 0:
            if len(buffer) > MAX_HEAD:
                raise ConnectionLostError("the answer's headers are too large")
            chunk = self._recv()
            if not chunk:
                raise ConnectionLostError(
                    "the charger closed the connection without answering"
                    if not buffer
                    else "the answer was cut off"
                )
            buffer += chunk
            end = buffer.find(b"\r\n\r\n", max(0, len(buffer) - len(chunk) - 3))
        head, self.connection.buffer = buffer[:end], buffer[end + 4 :]
        lines = head.split(b"\r\n")
        parts = lines[0].split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise ConnectionLostError("the answer is not HTTP")
        status = int(parts[1])
        reason = parts[2].decode("latin-1").strip() if len(parts) > 2 else ""
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name.strip():
                raise ConnectionLostError("the answer has a malformed header")
            headers.setdefault(name.strip().lower().decode("latin-1"), []).append(
                value.strip().decode("latin-1")
            )
        connection_header = ",".join(headers.get("connection", ())).lower()
        keep = parts[0] == b"HTTP/1.1" and "close" not in connection_header
        if parts[0] == b"HTTP/1.0":
            keep = "keep-alive" in connection_header
        return status, reason, headers, keep

    def body(self, status: int, headers: dict[str, list[str]]) -> bytes:
        if status in (204, 304):
            return b""
        encoding = ",".join(headers.get("transfer-encoding", ())).lower()
        if "chunked" in encoding:
            return self._chunked()
        lengths = headers.get("content-length")
        if lengths:
            try:
                length = int(lengths[0])
            except ValueError:
                raise ConnectionLostError("the answer has a malformed Content-Length") from None
            if not 0 <= length <= MAX_BODY:
                raise ConnectionLostError("the answer's Content-Length is out of range")
            return self._exactly(length)
        self.complete = False  # the body ends with the connection
        return self._until_closed()

    def _exactly(self, length: int) -> bytes:
        buffer = self.connection.buffer
        while len(buffer) < length:
            chunk = self._recv()
            if not chunk:
                raise ConnectionLostError("the answer was cut off")
            buffer += chunk
        data, self.connection.buffer = buffer[:length], buffer[length:]
        return data

    def _line(self) -> bytes:
        buffer = self.connection.buffer
        end = buffer.find(b"\r\n")
        while end < 0:
            if len(buffer) > MAX_HEAD:
                raise ConnectionLostError("the answer has a malformed chunk")
            chunk = self._recv()
            if not chunk:
                raise ConnectionLostError("the answer was cut off")
            buffer += chunk
            end = buffer.find(b"\r\n")
        line, self.connection.buffer = buffer[:end], buffer[end + 2 :]
        return line

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size_text = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ConnectionLostError("the answer has a malformed chunk") from None
            if size == 0:
                while self._line():  # trailers, up to the blank line
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise ConnectionLostError("the answer is too large")
            parts.append(self._exactly(size))
            if self._line():
                raise ConnectionLostError("the answer has a malformed chunk")

    def _until_closed(self) -> bytes:
        buffer = self.connection.buffer
        while True:
            chunk = self._recv()
            if not chunk:
                self.connection.buffer = b""
                return buffer
            buffer += chunk
            if len(buffer) > MAX_BODY:
                raise ConnectionLostError("the answer is too large")
