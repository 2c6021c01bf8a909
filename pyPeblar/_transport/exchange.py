"""What both engines share about a request and its answer, with no engine imported.

The synchronous REST client (``sync_rest``, over urllib3) and the asyncio one (``aio_rest``, over
aiohttp) send the same requests to the same charger and hand the generated ``ApiClient`` the same
kind of answer. What they share lives here: where a request goes (``Endpoint``), how its body is
encoded, the 2xx answer (``Answer``) and the type its body is read as (``answer_type``), and how
a low-level failure is described. It imports neither engine, so each road loads only its own:
urllib3 costs the asyncio client's import about 30 ms, a tenth of it (docs/performance.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, NamedTuple
from urllib.parse import urlencode, urlsplit

from pyPeblar._errors import (
    PeblarConnectionError,
    PeblarConnectionTimeoutError,
    PeblarError,
    PeblarInvalidResponseError,
)
from pyPeblar._transport.address import parse_address
from pyPeblar._transport.policy import Policy, timeout_pair
from pyPeblar._transport.secrets import Secrets
from pyPeblar._transport.shown import shown
from pyPeblar.exceptions import ApiException, ApiValueError

__all__ = [
    "BAD_ADDRESS",
    "CONNECTION_LOST",
    "CONNECT_FAILED",
    "CONNECT_TIMEOUT",
    "KEPT_REQUESTS",
    "NO_ANSWER",
    "POOL_SIZE",
    "PROXY_FAILED",
    "Answer",
    "Endpoint",
    "Failure",
    "Request",
    "Requests",
    "Target",
    "answer_type",
    "check_proxy",
    "connection_error",
    "describe",
    "encode_body",
    "policy_for",
    "request_of",
    "should_bypass_proxies",
    "too_large",
]

#: Connections kept per charger: a charger serves ~5 requests/s, more would only queue there.
POOL_SIZE: Final = 4


def policy_for(configuration: Any) -> Policy:
    """The default policy, with ``configuration.retries`` (a count) if it is set."""
    retries = getattr(configuration, "retries", None)
    if isinstance(retries, int) and not isinstance(retries, bool):
        return Policy(retries=retries)
    return Policy()


class Target(NamedTuple):
    """The part of a generated ``Configuration`` the REST client reads."""

    host: str
    proxy: str | None
    no_proxy: str = ""
    retries: None = None


class Endpoint(NamedTuple):
    """Where a client's requests go: the charger (``host:port``), its origin, and any proxy."""

    netloc: str
    origin: str
    proxy: str | None

    @classmethod
    def of(cls, configuration: Any) -> Endpoint:
        """The endpoint of a generated ``Configuration`` (or a ``Target``), checked."""
        url = urlsplit(str(configuration.host))
        if url.scheme != "http" or not url.hostname:
            raise ValueError(
                f"the charger's URL must be http://HOST[:PORT]/..., not "
                f"{shown(configuration.host)} (chargers serve their local API over plain http)"
            )
        parse_address(url.netloc)  # the host checked as every client checks it
        return cls(url.netloc, f"http://{url.netloc}", _proxy_for(configuration))

    def path_of(self, url: str) -> str:
        """The path and query of ``url``, which the generated ``ApiClient`` gives in full."""
        if url.startswith(self.origin + "/"):
            return url[len(self.origin) :]
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


class Answer:
    """A 2xx answer, read whole: ``status``, ``reason``, ``headers``, ``data`` (bytes).

    ``headers`` is the engine's own case-insensitive mapping: urllib3's ``HTTPHeaderDict`` on the
    synchronous road, aiohttp's ``CIMultiDictProxy`` on the asyncio road.
    """

    __slots__ = ("data", "headers", "method", "path", "reason", "status")

    def __init__(  # noqa: PLR0917 - made in one place, positionally, for speed
        self, status: int, reason: str, headers: Any, data: bytes, method: str, path: str
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.data = data
        self.method = method
        self.path = path

    def read(self) -> bytes:
        return self.data

    def getheaders(self) -> Any:
        return self.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        value: str | None = self.headers.get(name, default)
        return value


class Request(NamedTuple):
    """What one call sends, and the timeouts of each of its attempts (connect, read)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    connect: float
    read: float


def request_of(  # noqa: PLR0917 - the request as the generated ApiClient hands it over
    endpoint: Endpoint,
    policy: Policy,
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: Any,
    post_params: Any,
    request_timeout: Any,
) -> Request:
    """A generated ``ApiClient``'s request, resolved once per call for either engine: the path
    on the charger, a copy of the headers, the body encoded, the policy's timeouts (or the
    call's ``_request_timeout``, checked)."""
    headers = dict(headers) if headers else {}
    payload = None if body is None and not post_params else encode_body(body, post_params, headers)
    if request_timeout is None:
        connect, read = policy.connect_timeout, policy.read_timeout
    else:
        connect, read = timeout_pair("_request_timeout", request_timeout)
    return Request(method.upper(), endpoint.path_of(url), headers, payload, connect, read)


#: How many requests a client keeps resolved (``Requests``): more than the operations a program
#: polls; when full, it starts again.
KEPT_REQUESTS: Final = 32


class Requests:
    """A REST client's requests, resolved for its engine (``request_of``) with their secrets.

    A request without a body or a timeout of its own (every poll: ``get_meter()``) is kept and
    sent again while the call hands over equal headers, the client's policy is the same object
    and its known secrets (``Secrets.known``) are the same tuple; anything else is resolved
    afresh. The generated ``ApiClient`` hands such a call the same request every time
    (``ApiClient.prepared``), so a poll resolves nothing: no copy of the headers, no path split
    off the URL, no search of the headers for credentials (docs/performance.md). A kept
    request's headers are never changed: both engines copy what they are given.
    """

    __slots__ = ("_endpoint", "_kept", "_secrets")

    def __init__(self, endpoint: Endpoint, secrets: Secrets) -> None:
        self._endpoint = endpoint
        self._secrets = secrets
        #: URL -> (method as given, policy, known secrets, the request, its secrets).
        self._kept: dict[str, tuple[str, Policy, tuple[str, ...], Request, tuple[str, ...]]] = {}

    def resolve(  # noqa: PLR0917 - the request as the generated ApiClient hands it over
        self,
        policy: Policy,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        body: Any,
        post_params: Any,
        request_timeout: Any,
    ) -> tuple[Request, tuple[str, ...]]:
        """The request to send and the secrets its errors must not show."""
        known = self._secrets.known
        plain = body is None and not post_params and request_timeout is None
        if plain:
            kept = self._kept.get(url)
            if (
                kept is not None
                and kept[0] == method
                and kept[1] is policy
                and kept[2] is known
                and kept[3].headers == headers
            ):
                return kept[3], kept[4]
        request = request_of(
            self._endpoint, policy, method, url, headers, body, post_params, request_timeout
        )
        secrets = self._secrets.of_request(request.headers)
        if plain:
            if len(self._kept) >= KEPT_REQUESTS:
                self._kept.clear()
            self._kept[url] = (method, policy, known, request, secrets)
        return request, secrets


def answer_type(types: Mapping[str, str | None], status: int) -> str | None:
    """The type an answer's body is read as, from an operation's ``_response_types_map``.

    A 2xx takes its own status's type, else its class's (``2XX``), else the first success the
    operation declares (a 200 where the spec says 202 is the same success). Never ``default``:
    in pyPeblar's specs that is the error response, so a 2xx read as it came back as an
    ``ApiError`` model as if that were the result. Other statuses (which the REST client has
    raised for already) keep openapi-generator's order: the status, its class, ``default``.
    """
    if str(status) in types:
        return types[str(status)]
    family = f"{str(status)[:1]}XX"
    if family in types:
        return types[family]
    if 200 <= status <= 299:
        return next((kind for code, kind in types.items() if code.startswith("2")), None)
    return types.get("default")


def encode_body(body: Any, post_params: Any, headers: dict[str, str]) -> bytes | None:
    """The request body as bytes, as the generated ``rest`` module would have sent it."""
    if post_params and body is not None:
        raise ApiValueError("body parameter cannot be used with post_params parameter.")
    content_type = headers.get("Content-Type", "")
    if post_params:
        if content_type.startswith("multipart/form-data"):
            import urllib3  # only for this: the asyncio road does not load urllib3 otherwise

            encoded, headers["Content-Type"] = urllib3.encode_multipart_formdata(post_params)
            return encoded
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return urlencode(post_params).encode()
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if content_type and "json" not in content_type and "yaml" not in content_type:
        if isinstance(body, bool) and content_type.startswith("text/"):
            return b"true" if body else b"false"
        raise ApiException(
            status=0, reason="Cannot prepare a request message for the given content type."
        )
    return json.dumps(body).encode()


def _proxy_for(configuration: Any) -> str | None:
    """The configuration's proxy, unless ``no_proxy`` bypasses it."""
    proxy = getattr(configuration, "proxy", None)
    if not proxy:
        return None
    if should_bypass_proxies(str(configuration.host), getattr(configuration, "no_proxy", "") or ""):
        return None
    return check_proxy(proxy)


def should_bypass_proxies(url: str, no_proxy: str) -> bool:
    """Whether ``url``'s host is one that the comma-separated ``no_proxy`` sends directly: ``*``,
    a name or any name under a domain (``peblar.lan``, ``.lan``), a ``host:port``, or an IP
    network (``192.168.0.0/16``).

    openapi-generator's ``no_proxy`` rules, kept here (the generated ``rest`` modules re-export
    this function under its upstream name) so that the engines never import a generated module:
    the generated layer sits on the transport, not the other way round.
    """
    import ipaddress

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return True
    names = (host, parts.netloc.lower())
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for rule in filter(None, (entry.strip().lower() for entry in no_proxy.split(","))):
        if rule == "*":
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(rule, strict=False):
                    return True
            except ValueError:
                pass  # not a network: a name
        domain = rule.lstrip(".")
        if any(name == domain or name.endswith("." + domain) for name in names):
            return True
    return False


def check_proxy(proxy: object) -> str:
    """``proxy`` if it is an ``http://host[:port]`` URL: a charger has no TLS, so no tunnels."""
    parts = urlsplit(proxy) if isinstance(proxy, str) else None
    try:
        port = parts.port if parts else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme != "http" or not parts.hostname or port == 0:
        raise ValueError(f"proxy must be an http://host[:port] URL, not {shown(proxy)}")
    return str(proxy)


class Failure(NamedTuple):
    """How an attempt failed before it had an answer, as either engine classifies its errors:
    what the message says after ``METHOD PATH: `` (``{where}``: the charger's ``host:port``,
    ``{reason}``: ``describe`` of the cause, ``{connect}``/``{read}``: the attempt's timeouts),
    whether the request may have reached the charger, and whether it was a timeout."""

    text: str
    sent: bool
    timeout: bool = False


CONNECT_FAILED: Final = Failure("could not connect to {where}: {reason}", sent=False)
CONNECT_TIMEOUT: Final = Failure(
    "could not connect to {where} within {connect:g} s", sent=False, timeout=True
)
NO_ANSWER: Final = Failure("{where} did not answer within {read:g} s", sent=True, timeout=True)
BAD_ADDRESS: Final = Failure("not a usable address ({error})", sent=False)
PROXY_FAILED: Final = Failure("the proxy failed: {reason}", sent=False)
CONNECTION_LOST: Final = Failure("lost the connection to {where}: {reason}", sent=True)


def connection_error(  # noqa: PLR0917 - an attempt's parts, as both engines have them
    failure: Failure,
    method: str,
    path: str,
    where: str,
    exc: BaseException,
    connect: float,
    read: float,
    reason: object = None,
) -> PeblarError:
    """The ``PeblarError`` an attempt's ``exc`` leaves as, chained to it; ``reason`` is what
    ``describe`` reads if not ``exc`` itself (aiohttp's connector error carries an ``os_error``)."""
    text = failure.text.format(
        where=where,
        reason=describe(exc if reason is None else reason),
        error=exc,
        connect=connect,
        read=read,
    )
    kind = PeblarConnectionTimeoutError if failure.timeout else PeblarConnectionError
    error = kind(f"{method} {path}: {text}", request_sent=failure.sent)
    error.__cause__ = exc
    return error


def too_large(method: str, path: str, status: int, size: str, cap: int) -> PeblarError:
    """The error of an answer over the size cap (``size`` says by how much, as known)."""
    return PeblarInvalidResponseError(
        f"{method} {path}: the answer is too large ({size}; the limit is {cap} bytes)",
        status=status,
        statusmsg="answer too large",
    )


def describe(reason: object) -> str:
    """A short, token-free description of a low-level failure of a connection."""
    text = str(reason)
    if isinstance(reason, ConnectionRefusedError) or "refused" in text.lower():
        # Which API was refused decides what to check (the local REST API may be switched off;
        # the web interface never is): the error's hint says it, not this text.
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host name"
    if "reset by peer" in text:
        return "connection reset by the charger"
    return text[:200]
