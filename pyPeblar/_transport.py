"""HTTP to one charger: a keep-alive pool, timeouts, retries, rate limiting and error mapping.

The generated ``ApiClient`` goes through urllib3's ``PoolManager``, which parses the URL and looks
the pool up again on every call. A client talks to one charger for its whole life, so this module
holds that charger's ``HTTPConnectionPool`` directly and builds its headers once. Every failure
leaves here as a ``PeblarError`` (urllib3 and socket exceptions are chained, never raised raw), and
nothing here ever logs or formats a header, so the token cannot leak through it.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Final

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NewConnectionError,
    ReadTimeoutError,
)

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
from pyPeblar._ratelimit import TokenBucket
from pyPeblar._version import __version__

__all__ = ["Address", "Response", "RetryPolicy", "Transport", "parse_address"]

logger = logging.getLogger("pyPeblar")
logger.addHandler(logging.NullHandler())

#: Statuses worth another attempt: the charger was busy or briefly broken.
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
#: How long to stay away after a 429 that names no Retry-After (the charger refills ~5/s).
DEFAULT_RATE_LIMIT_PAUSE: Final = 1.0
#: A Retry-After longer than this is not waited out: the call fails and says so.
MAX_RETRY_AFTER: Final = 30.0


@dataclass(frozen=True, slots=True)
class Address:
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
        url = urllib3.util.parse_url(text if "://" in text else f"http://{text}")
    except LocationParseError as exc:
        raise ValueError(f"{value!r} is not a host name, IP address or host:port") from exc
    if not url.host or (url.path not in (None, "", "/")) or url.query or url.auth:
        raise ValueError(f"give only the charger's host (and port), not {value!r}")
    host = url.host.strip("[]")
    return Address(host=host, port=url.port or 80)


@dataclass(frozen=True, slots=True)
class Response:
    """A successful (2xx) answer."""

    status: int
    data: bytes
    headers: urllib3.HTTPHeaderDict


@dataclass(frozen=True, slots=True)
class RetryPolicy:
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
    headers: urllib3.HTTPHeaderDict,
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
    try:
        when: float = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - time.time())


class Transport:
    """Requests to one charger over one keep-alive connection pool. Thread-safe."""

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
        self.timeout = urllib3.Timeout(connect=self.connect_timeout, read=self.read_timeout)
        self.policy = policy
        self.limiter = limiter
        # A thread waits at most this long for a free connection before failing.
        self.pool_timeout = int(self.connect_timeout + self.read_timeout) + 1
        self._closed = False
        self._lock = threading.Lock()
        common = {"User-Agent": f"pyPeblar/{__version__}", "Accept": "application/json"}
        self._anonymous_headers = dict(common)
        if token is not None:
            common["Authorization"] = token
        self._headers = common
        self._json_headers = {**common, "Content-Type": "application/json"}
        self._proxy: urllib3.ProxyManager | None = None
        # block=True bounds the connections however many threads share the client.
        self._pool: urllib3.HTTPConnectionPool
        if proxy:
            self._proxy = urllib3.ProxyManager(proxy, maxsize=maxsize, block=True)
            self._pool = self._proxy.connection_from_host(address.host, address.port, "http")
        else:
            self._pool = urllib3.HTTPConnectionPool(
                address.host, address.port, maxsize=maxsize, block=True, timeout=self.timeout
            )

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close every pooled connection; later requests raise ``PeblarClosedError``."""
        with self._lock:
            self._closed = True
            self._pool.close()
            if self._proxy is not None:
                self._proxy.clear()

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
        ``PeblarError`` for everything else; its ``__cause__`` is the urllib3 or socket error, if
        any, and its ``request_sent`` says whether the request may have reached the charger.
        """
        if headers is not None:
            send_headers = {**self._anonymous_headers, **headers}
        elif not auth:
            send_headers = self._anonymous_headers
        else:
            send_headers = self._json_headers if body is not None else self._headers
        attempt = 0
        while True:
            if self._closed:
                raise PeblarClosedError("this Peblar client is closed")
            if rate_limited and self.limiter is not None:
                self.limiter.acquire()
            outcome = self._attempt(method, path, body, send_headers)
            if isinstance(outcome, Response):
                return outcome
            delay = self._retry_delay(outcome, attempt) if retry else None
            if delay is None:
                raise outcome
            logger.debug("%s %s: %s; retrying in %.2f s", method, path, outcome, delay)
            time.sleep(delay)
            attempt += 1

    def _attempt(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> Response | PeblarError:
        """One try: the 2xx response, or the error it ended in (returned, not raised)."""
        started = time.perf_counter()
        try:
            raw = self._send(method, path, body, headers)
        except NewConnectionError as exc:
            return self._connection_error(method, path, exc, sent=False)
        except ConnectTimeoutError as exc:
            return chained(
                PeblarConnectionTimeoutError(
                    f"{method} {path}: could not connect to {self.address.netloc} within "
                    f"{self.connect_timeout:g} s",
                    request_sent=False,
                ),
                exc,
            )
        except ReadTimeoutError as exc:
            return chained(
                PeblarConnectionTimeoutError(
                    f"{method} {path}: {self.address.netloc} did not answer within "
                    f"{self.read_timeout:g} s",
                    request_sent=True,
                ),
                exc,
            )
        except (HTTPError, OSError) as exc:
            if self._closed:
                return chained(PeblarClosedError("this Peblar client is closed"), exc)
            return self._connection_error(method, path, exc, sent=True)
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
            return Response(status, raw.data, raw.headers)
        return status_error(
            method, path, status=status, reason=raw.reason or "", data=raw.data, headers=raw.headers
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

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> urllib3.BaseHTTPResponse:
        if self._proxy is not None:
            return self._proxy.urlopen(
                method,
                self.base + path,
                body=body,
                headers=headers,
                retries=False,
                redirect=False,
                timeout=self.timeout,
            )
        return self._pool.urlopen(
            method,
            path,
            body=body,
            headers=headers,
            retries=False,
            redirect=False,
            assert_same_host=False,
            timeout=self.timeout,
            pool_timeout=self.pool_timeout,
            decode_content=False,
        )

    def _connection_error(
        self, method: str, path: str, exc: BaseException, *, sent: bool
    ) -> PeblarConnectionError:
        reason = getattr(exc, "reason", None) or exc
        what = "could not connect to" if not sent else "lost the connection to"
        error = PeblarConnectionError(
            f"{method} {path}: {what} {self.address.netloc}: {describe(reason)}",
            request_sent=sent,
        )
        error.__cause__ = exc
        return error


def chained(error: PeblarError, cause: BaseException) -> PeblarError:
    """``error`` with ``cause`` as its ``__cause__`` (as ``raise error from cause`` would set)."""
    error.__cause__ = cause
    return error


def describe(reason: object) -> str:
    """A short, token-free description of a low-level failure."""
    text = str(reason)
    if "Connection refused" in text:
        return "connection refused (is the local REST API enabled, and the address right?)"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host name"
    if "reset by peer" in text:
        return "connection reset by the charger"
    if "RemoteDisconnected" in text or "closed connection without response" in text:
        return "the charger closed the connection without answering"
    if "IncompleteRead" in text:
        return "the answer was cut off"
    # urllib3 prefixes its own object reprs ("<HTTPConnection object at 0x...>: ..."); drop them.
    return text.split(">: ", 1)[-1][:200]
