"""Requests to one charger: retries, rate limiting and error mapping over a keep-alive pool.

A client talks to one charger for its whole life, so the request's fixed part (request line
prefix, Host, User-Agent, token) is built once and each call is one ``sendall`` on a kept-alive
socket (see ``_http``). Every failure leaves here as a ``PeblarError`` (socket errors are chained,
never raised raw), and nothing here ever logs or formats a header, so the token cannot leak
through it.
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Final, NamedTuple
from urllib.parse import urlsplit

from pyPeblar._errors import (
    PeblarAuthenticationError,
    PeblarBadRequestError,
    PeblarClosedError,
    PeblarConnectionError,
    PeblarConnectionTimeoutError,
    PeblarError,
    PeblarForbiddenError,
    PeblarNotFoundError,
    PeblarRateLimitError,
    PeblarReadOnlyError,
    PeblarResponseError,
    PeblarServerError,
)
from pyPeblar._http import (
    ConnectFailedError,
    ConnectTimeoutError,
    Headers,
    HttpError,
    KeepAlivePool,
    RawResponse,
    ReadTimeoutError,
)
from pyPeblar._ratelimit import TokenBucket
from pyPeblar._version import __version__

__all__ = ["Address", "Response", "RetryPolicy", "Transport", "parse_address", "proxy_address"]

logger = logging.getLogger("pyPeblar")
logger.addHandler(logging.NullHandler())

#: Statuses worth another attempt: the charger was busy or briefly broken.
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
#: How long to stay away after a 429 that names no Retry-After (the charger refills ~5/s).
DEFAULT_RATE_LIMIT_PAUSE: Final = 1.0
#: A Retry-After longer than this is not waited out: the call fails and says so.
MAX_RETRY_AFTER: Final = 30.0


class Address(NamedTuple):
    """Where a charger is: host (or IP) and port."""

    host: str
    port: int

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 80 else f"{host}:{self.port}"


def parse_address(value: str) -> Address:
    """Read ``"192.168.1.50"``, ``"peblar.local:8080"`` or ``"http://192.168.1.50/"``."""
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
    if not host.replace(".", "").replace("-", "").replace(":", "").replace("_", "").isalnum():
        raise ValueError(f"{value!r} is not a host name, IP address or host:port")
    return Address(host=host, port=port or 80)


#: A successful (2xx) answer: ``status``, ``data`` (the body) and ``headers``.
Response = RawResponse


class RetryPolicy(NamedTuple):
    """How hard to try: ``retries`` more attempts, ``backoff * 2**n`` s apart (jittered)."""

    retries: int = 2
    backoff: float = 0.5
    max_backoff: float = 8.0

    def delay(self, attempt: int) -> float:
        base: float = min(self.max_backoff, self.backoff * 2**attempt)
        return base * random.uniform(0.5, 1.0)


def error_text(data: bytes, reason: str) -> str:
    """The charger's own words from an error body, read leniently.

    Peblar sends ``{"statusmsg": ...}``, sometimes ``{"StatusMsg": ...}``, a bare JSON string, or a
    JSON string holding JSON again; anything else (HTML from a proxy, nothing) falls back to text.
    """
    text = data.decode("utf-8", "replace").strip()
    value: object = text
    for _ in range(3):
        if not isinstance(value, str):
            break
        try:
            value = json.loads(value)
        except ValueError:
            break
    if isinstance(value, dict):
        for key in ("statusmsg", "StatusMsg", "statusMsg", "message"):
            if isinstance(value.get(key), str):
                return str(value[key])[:300]
        return json.dumps(value)[:300]
    if isinstance(value, str) and value:
        if value.lstrip().startswith("<"):
            return reason  # an HTML error page says nothing a person needs
        return value[:300]
    return reason if not text else text[:300]


def status_error(
    method: str,
    path: str,
    *,
    status: int,
    reason: str,
    data: bytes,
    headers: Headers,
) -> PeblarResponseError:
    """The exception for an error status, with the charger's message and a readable summary."""
    statusmsg = error_text(data, reason)
    message = f"{method} {path}: {status} {statusmsg}".rstrip()
    if status == 400:
        return PeblarBadRequestError(message, status=status, statusmsg=statusmsg)
    if status == 401:
        return PeblarAuthenticationError(
            f"{message} (the charger rejected the token)", status=status, statusmsg=statusmsg
        )
    if status == 403:
        lowered = statusmsg.lower().replace("-", "").replace(" ", "")
        cls = PeblarReadOnlyError if "readonly" in lowered else PeblarForbiddenError
        return cls(message, status=status, statusmsg=statusmsg)
    if status in (404, 405):
        return PeblarNotFoundError(
            f"{message} (this firmware lacks it, or the local REST API is disabled)",
            status=status,
            statusmsg=statusmsg,
        )
    if status == 429:
        return PeblarRateLimitError(
            message, statusmsg=statusmsg, retry_after=retry_after(headers.get("Retry-After"))
        )
    if status >= 500:
        return PeblarServerError(message, status=status, statusmsg=statusmsg)
    return PeblarResponseError(message, status=status, statusmsg=statusmsg)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    import email.utils  # only for the rare HTTP-date form

    try:
        when: float = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - time.time())


class Transport:
    """Requests to one charger over a small keep-alive connection pool. Thread-safe."""

    def __init__(
        self,
        address: Address,
        *,
        token: str | None,
        timeout: tuple[float, float],
        policy: RetryPolicy,
        limiter: TokenBucket | None,
        proxy: str | None = None,
        maxsize: int = 4,
    ) -> None:
        self.address = address
        self.base = f"http://{address.netloc}"
        self.connect_timeout, self.read_timeout = timeout
        self.policy = policy
        self.limiter = limiter
        self._closed = False
        # Through a proxy the request names the charger in full; the socket goes to the proxy.
        target, server = ("", address)
        if proxy:
            target, server = self.base, proxy_address(proxy)
        self._target = target
        self.pool = KeepAlivePool(
            server.host,
            server.port,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            maxsize=maxsize,
        )
        common = (
            f"Host: {address.netloc}\r\nUser-Agent: pyPeblar/{__version__}\r\n"
            "Accept: application/json\r\n"
        )
        self._anonymous = common
        self._authorized = common if token is None else f"{common}Authorization: {token}\r\n"

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close every pooled connection; later requests raise ``PeblarClosedError``."""
        self._closed = True
        self.pool.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        retry: bool = True,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        rate_limited: bool = True,
    ) -> Response:
        """Send a request, retrying per the policy when ``retry``; return a 2xx ``Response``.

        ``path`` is the full path on the charger (``/api/wlac/v1/meter``); ``auth=False`` leaves
        the token out, and ``headers`` replaces it (the web interface's cookie). Raises a
        ``PeblarError`` for everything else; its ``__cause__`` is the socket error, if any, and its
        ``request_sent`` says whether any attempt may have reached the charger.
        """
        fixed = self._authorized if auth and headers is None else self._anonymous
        if headers:
            fixed += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        if body is not None:
            fixed += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        elif method not in ("GET", "HEAD"):
            fixed += "Content-Length: 0\r\n"
        head = f"{method} {self._target}{path} HTTP/1.1\r\n{fixed}\r\n".encode("latin-1")
        attempt = 0
        reached = False  # whether any attempt so far may have reached the charger
        while True:
            if self._closed:
                raise PeblarClosedError("this Peblar client is closed")
            if rate_limited and self.limiter is not None:
                self.limiter.acquire()
            outcome = self._attempt(method, path, head, body)
            if isinstance(outcome, Response):
                return outcome
            reached = reached or outcome.request_sent is not False
            delay = self._retry_delay(outcome, attempt) if retry else None
            if delay is None:
                # The last attempt may have failed to connect after an earlier one got through.
                outcome.request_sent = reached
                raise outcome
            logger.debug("%s %s: %s; retrying in %.2f s", method, path, outcome, delay)
            time.sleep(delay)
            attempt += 1

    def _attempt(
        self, method: str, path: str, head: bytes, body: bytes | None
    ) -> Response | PeblarError:
        """One try: the 2xx response, or the error it ended in (returned, not raised)."""
        started = time.perf_counter()
        try:
            raw = self.pool.request(head, body)
        except HttpError as exc:
            if self._closed:
                return chained(PeblarClosedError("this Peblar client is closed"), exc)
            return self._connection_error(method, path, exc)
        status = raw.status
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - started) * 1000
            logger.debug(
                "%s %s%s -> %d (%d bytes) in %.1f ms",
                method,
                self.base,
                path,
                status,
                len(raw.data),
                elapsed,
            )
        if 200 <= status < 300:
            return raw
        return status_error(
            method, path, status=status, reason=raw.reason, data=raw.data, headers=raw.headers
        )

    def _retry_delay(self, error: PeblarError, attempt: int) -> float | None:
        """Seconds to wait before trying again after ``error``; None: give up."""
        if attempt >= self.policy.retries or isinstance(error, PeblarClosedError):
            return None
        if isinstance(error, PeblarRateLimitError):
            wait = error.retry_after if error.retry_after is not None else DEFAULT_RATE_LIMIT_PAUSE
            if wait > MAX_RETRY_AFTER:
                return None
            if self.limiter is not None:
                self.limiter.drain(wait)  # every thread sharing the charger backs off
            return wait
        if isinstance(error, PeblarResponseError) and error.status not in RETRY_STATUSES:
            return None
        return self.policy.delay(attempt)

    def _connection_error(self, method: str, path: str, exc: HttpError) -> PeblarError:
        where = self.address.netloc
        if isinstance(exc, ConnectTimeoutError):
            message = f"could not connect to {where} within {self.connect_timeout:g} s"
            error: PeblarError = PeblarConnectionTimeoutError(
                f"{method} {path}: {message}", request_sent=False
            )
        elif isinstance(exc, ReadTimeoutError):
            error = PeblarConnectionTimeoutError(
                f"{method} {path}: {where} did not answer within {self.read_timeout:g} s",
                request_sent=True,
            )
        elif isinstance(exc, ConnectFailedError):
            error = PeblarConnectionError(
                f"{method} {path}: could not connect to {where}: {describe(exc)}",
                request_sent=False,
            )
        else:
            error = PeblarConnectionError(
                f"{method} {path}: lost the connection to {where}: {describe(exc)}",
                request_sent=True,
            )
        return chained(error, exc)


def chained(error: PeblarError, cause: BaseException) -> PeblarError:
    """``error`` with ``cause`` as its ``__cause__`` (as ``raise error from cause`` would set)."""
    error.__cause__ = cause
    return error


def proxy_address(proxy: str) -> Address:
    """Where an ``http://host:port`` proxy listens (chargers have no TLS, so no CONNECT)."""
    if not isinstance(proxy, str) or not proxy.lower().startswith("http://"):
        raise ValueError(f"proxy must be an http:// URL, not {proxy!r}")
    return parse_address(proxy.rstrip("/"))


def describe(reason: object) -> str:
    """A short, token-free description of a low-level failure."""
    text = str(reason)
    if "refused" in text.lower():
        return "connection refused (is the local REST API enabled, and the address right?)"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host name"
    if "reset by peer" in text:
        return "connection reset by the charger"
    return text[:200]
