"""The REST client under the generated ``ApiClient``: where the policy meets urllib3.

openapi-generator's ``ApiClient`` hands every request to ``rest.RESTClientObject.request``. The
generated ``pyPeblar/rest.py`` (from ``openapi/templates/rest.mustache``) re-exports the classes of
this module, so every generated client gets them: ``Peblar``'s, ``charger.api_client``, and a plain
``ApiClient(Configuration(host=..., api_key=...))``. A new operation added to the spec rides the
same road without a hand-written line.

Per call: the call deadline (``Policy.deadline``, or the one ``Peblar`` set for a whole write),
the shared rate limiter, then attempts over one keep-alive ``urllib3.HTTPConnectionPool`` per
charger with urllib3's own retries and redirects off; a failure that is safe to repeat is retried
with back-off (``Retry-After`` honoured); a 2xx answer is read whole, up to the size cap; anything
else leaves as a ``PeblarError`` (urllib3 and socket errors chained, never raised raw). It logs
method, path, status and time at DEBUG, never a header, and every error is redacted with the
request's secrets (its ``Authorization`` and ``Cookie``, the passwords it has sent: ``secrets``)
before it is logged or raised, whatever the charger repeated of the request.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3 import exceptions as u3

from pyPeblar._errors import (
    PeblarClosedError,
    PeblarError,
)
from pyPeblar._transport.connection import DeadlineConnection
from pyPeblar._transport.exchange import (
    BAD_ADDRESS,
    CONNECT_FAILED,
    CONNECT_TIMEOUT,
    CONNECTION_LOST,
    NO_ANSWER,
    POOL_SIZE,
    PROXY_FAILED,
    Answer,
    Endpoint,
    Requests,
    Target,
    connection_error,
    policy_for,
    too_large,
)
from pyPeblar._transport.policy import (
    Attempts,
    Policy,
    shared_limiter,
    status_error,
)
from pyPeblar._transport.secrets import Secrets
from pyPeblar._transport.waits import answered

__all__ = ["RESTClientObject", "RESTResponse", "RESTResponseType"]


#: urllib3's own retries and redirects off (the policy decides), as urllib3 makes them of
#: ``retries=False``: made once, not on every request (``Retry.from_int`` and a DEBUG record).
NO_RETRIES = urllib3.Retry(total=False, redirect=False)

#: What ``*_without_preload_content`` methods return: urllib3's response, body already read.
RESTResponseType = urllib3.HTTPResponse


class RESTResponse(Answer):
    """A 2xx answer, read whole; ``response`` is urllib3's, which ``*_without_preload_content``
    methods return."""

    __slots__ = ("_response",)

    @property
    def response(self) -> urllib3.HTTPResponse:
        """urllib3's response object (for ``*_without_preload_content``), made on first use."""
        try:
            return self._response
        except AttributeError:  # the slot is set here, never in the per-call constructor
            import io

            self._response: urllib3.HTTPResponse = urllib3.HTTPResponse(
                body=io.BytesIO(self.data),
                headers=self.headers,
                status=self.status,
                reason=self.reason,
                preload_content=False,
                decode_content=False,
            )
            return self._response


class RESTClientObject:
    """Requests to one charger (``configuration.host``) under the policy. Thread-safe.

    ``policy`` may be replaced at any time (``api_client.rest_client.policy = Policy(...)``);
    each request reads it once when it starts.
    """

    def __init__(self, configuration: Any, *, policy: Policy | None = None) -> None:
        self.policy = policy if policy is not None else policy_for(configuration)
        #: Secrets its requests have sent (the web password): redacted from every error.
        self.secrets = Secrets()
        self._endpoint = target = Endpoint.of(configuration)
        self._requests = Requests(target, self.secrets)
        self.netloc = target.netloc
        self._timeouts_made: dict[tuple[float, float], urllib3.Timeout] = {}
        self.closed = False
        self._limiter = shared_limiter(target.netloc)
        # Through a proxy the request names the charger in full; the connection goes to the proxy.
        self._prefix = target.origin if target.proxy else ""
        server = urlsplit(target.proxy or target.origin)
        self.pool = urllib3.HTTPConnectionPool(
            server.hostname or "",
            server.port or 80,
            maxsize=POOL_SIZE,
            block=True,
            retries=False,
            socket_options=DeadlineConnection.default_socket_options,
        )
        self.pool.ConnectionCls = DeadlineConnection

    @classmethod
    def for_url(cls, url: str, *, policy: Policy, proxy: str | None = None) -> RESTClientObject:
        """A client for ``url`` without a generated ``Configuration`` (which imports much more).

        Proxy variables in the environment are not consulted: only ``proxy`` is used.
        """
        return cls(Target(url, proxy), policy=policy)

    def close(self) -> None:
        """Close every pooled connection; later requests raise ``PeblarClosedError``."""
        self.closed = True
        self.pool.close()

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
        *,
        retry: bool | None = None,
    ) -> RESTResponse:
        """Send a request under the policy; return the 2xx answer or raise a ``PeblarError``.

        ``retry`` (not part of the generated interface) forces retries on or off; by default a
        request is retried when its method is safe to repeat.
        """
        policy = self.policy
        request, secrets = self._requests.resolve(
            policy, method, url, headers, body, post_params, _request_timeout
        )
        attempts = Attempts(
            policy, self._limiter, request.method, request.path, retry=retry, secrets=secrets
        )
        while True:
            wait = attempts.admit()
            if wait > 0:
                time.sleep(wait)
            outcome = self._attempt(*request, attempts)
            if isinstance(outcome, RESTResponse):
                return outcome
            time.sleep(attempts.failed(outcome, closed=self.closed))

    # -- one attempt ----------------------------------------------------------------------------

    def _attempt(  # noqa: PLR0917 - the request's parts, resolved once per call
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None,
        connect: float,
        read: float,
        attempts: Attempts,
    ) -> RESTResponse | PeblarError:
        """One try, after the rate limiter: the 2xx answer, or the error it ended in (returned)."""
        if self.closed:
            return PeblarClosedError("this client is closed")
        remaining = attempts.remaining()
        timeout = self._timeouts_made.get((connect, read))
        if timeout is None or remaining < connect or remaining < read:
            timeout = self._timeout(connect, read, remaining)
        started = time.perf_counter()
        try:
            response = self.pool.urlopen(
                method,
                self._prefix + path,
                body=body,
                headers=headers,
                retries=NO_RETRIES,
                redirect=False,
                assert_same_host=False,
                timeout=timeout,
                pool_timeout=remaining,  # type: ignore[arg-type]  # urllib3 takes any seconds
                preload_content=False,
                release_conn=False,
            )
            data = self._read(response, method, path)
        except PeblarError as error:
            return error
        except (u3.HTTPError, OSError) as exc:
            # The whole-answer deadline (``connection``) ends a dripping answer as a read timeout.
            return self._connection_error(method, path, exc, connect, read)
        status = response.status
        if attempts.debug:
            answered(method, path, status, len(data), started)
        if 200 <= status < 300:
            return RESTResponse(status, response.reason or "", response.headers, data, method, path)
        return status_error(
            method,
            path,
            status=status,
            reason=response.reason or "",
            data=data,
            headers=response.headers,
        )

    def _timeout(self, connect: float, read: float, remaining: float) -> urllib3.Timeout:
        """urllib3's timeout for an attempt, within the call's remaining time (kept, unless it
        must be shorter)."""
        if remaining < connect or remaining < read:
            return urllib3.Timeout(connect=min(connect, remaining), read=min(read, remaining))
        timeout = self._timeouts_made.get((connect, read))
        if timeout is None:
            timeout = self._timeouts_made[(connect, read)] = urllib3.Timeout(
                connect=connect, read=read
            )
        return timeout

    def _read(self, response: urllib3.BaseHTTPResponse, method: str, path: str) -> bytes:
        """The whole body, up to the size cap; the connection goes back to the pool."""
        cap = self.policy.max_response_bytes
        length = response.length_remaining
        try:
            if length is not None and length > cap:
                raise too_large(method, path, response.status, f"{length} bytes announced", cap)
            if length is not None and "content-encoding" not in response.headers:
                data: bytes = response.read()
            else:
                data = response.read(cap + 1)
                if len(data) > cap:
                    raise too_large(method, path, response.status, f"more than {cap} bytes", cap)
        except BaseException:
            response.close()
            response.release_conn()
            raise
        response.release_conn()
        return data

    def _connection_error(
        self, method: str, path: str, exc: BaseException, connect: float, read: float
    ) -> PeblarError:
        """The error an attempt ended in, from urllib3's (or the socket's) exception."""
        if self.closed or isinstance(exc, u3.ClosedPoolError):
            closed = PeblarClosedError("this client is closed")
            closed.__cause__ = exc
            return closed
        if isinstance(exc, u3.NewConnectionError):
            failure = CONNECT_FAILED
        elif isinstance(exc, (u3.ConnectTimeoutError, u3.EmptyPoolError)):
            failure = CONNECT_TIMEOUT
        elif isinstance(exc, (u3.ReadTimeoutError, TimeoutError)):
            failure = NO_ANSWER
        elif isinstance(exc, (u3.LocationValueError, u3.LocationParseError)):
            failure = BAD_ADDRESS
        elif isinstance(exc, u3.ProxyError):
            failure = PROXY_FAILED
        else:
            failure = CONNECTION_LOST
        return connection_error(failure, method, path, self.netloc, exc, connect, read)
