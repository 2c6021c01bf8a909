"""The REST client under the generated asyncio ``ApiClient``: the same policy, over aiohttp.

The async twin of ``sync_rest``. The generated ``pyPeblar/aio/rest.py`` (from
``openapi/templates/asyncio/rest.mustache``) re-exports this module's classes, so every async
generated client gets them: ``AsyncPeblar``'s and a plain
``pyPeblar.aio.ApiClient(Configuration(...))`` alike. Every decision (deadline, rate limiter,
which failures to retry and how long to wait, error statuses) is ``policy.Attempts``, shared with
the urllib3 engine; only the waiting (``asyncio.sleep``) and the I/O differ. The rate limiter is
the process-wide one of the charger, so sync and async clients of one charger share it.

aiohttp (the ``async`` extra) is imported with this module, never by the sync client. One
``aiohttp.ClientSession`` per client and event loop, made on the first request (aiohttp sessions
belong to a running loop), with at most ``POOL_SIZE`` keep-alive connections to the charger,
redirects and cookies off (the web session sets its cookie itself), proxies from the environment
ignored, and aiohttp's own silent second try on a dropped keep-alive connection off (the policy
alone decides what is tried again, and counts it). Timeouts as on the synchronous road: the
connect timeout to get a connection, then the read timeout for the whole answer from the moment
it has one, so a dripping answer cannot outlive it; ``aio_deadlines`` keeps them, with one timer
per client instead of aiohttp's timeouts (which are off).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

try:
    import aiohttp
except ImportError:  # pragma: no cover - tested in a fresh environment by test_isolation
    raise ImportError(
        "pyPeblar's asyncio clients need aiohttp: pip install 'pyPeblar[async]'"
    ) from None

from pyPeblar._errors import (
    PeblarClosedError,
    PeblarError,
)
from pyPeblar._transport.aio_deadlines import (
    NO_TIMEOUTS,
    DeadlineConnector,
    Deadlines,
    current_clock,
)
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
from pyPeblar._transport.policy import Attempts, Policy, shared_limiter, status_error
from pyPeblar._transport.secrets import Secrets
from pyPeblar._transport.waits import answered

__all__ = ["RESTClientObject", "RESTResponse", "RESTResponseType"]


class RESTResponse(Answer):
    """A 2xx answer, read whole; ``await read()`` as the generated asyncio ``ApiClient`` expects.

    It is also what ``*_without_preload_content`` methods return: ``status``, ``reason``,
    ``headers``, ``data`` and ``await read()``, as aiohttp's response offers them.
    """

    __slots__ = ()

    async def read(self) -> bytes:  # type: ignore[override]  # the asyncio interface
        return self.data

    @property
    def response(self) -> RESTResponse:  # the asyncio interface: the answer itself
        return self


#: What ``*_without_preload_content`` methods return on the asyncio road.
RESTResponseType = RESTResponse


class RESTClientObject:
    """Requests to one charger (``configuration.host``) under the policy, from asyncio.

    ``policy`` may be replaced at any time; each request reads it once when it starts. Close it
    with ``await close()`` (the generated ``ApiClient``'s ``async with`` does).
    """

    def __init__(self, configuration: Any, *, policy: Policy | None = None) -> None:
        self.policy = policy if policy is not None else policy_for(configuration)
        #: Secrets its requests have sent (the web password): redacted from every error.
        self.secrets = Secrets()
        self._endpoint = Endpoint.of(configuration)
        self._requests = Requests(self._endpoint, self.secrets)
        self.netloc = self._endpoint.netloc
        self.closed = False
        self._limiter = shared_limiter(self.netloc)
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._deadlines: Deadlines | None = None

    @classmethod
    def for_url(cls, url: str, *, policy: Policy, proxy: str | None = None) -> RESTClientObject:
        """A client for ``url`` without a generated ``Configuration``; only ``proxy`` is used."""
        return cls(Target(url, proxy), policy=policy)

    async def close(self) -> None:
        """Close the connections; later requests raise ``PeblarClosedError``."""
        self.closed = True
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _session_now(self) -> tuple[aiohttp.ClientSession, Deadlines]:
        """This client's session on the running loop, and its attempts' deadlines (a new loop,
        as after ``asyncio.run`` again, gets a new session; the old one died with its loop)."""
        loop = asyncio.get_running_loop()
        session = self._session
        deadlines = self._deadlines
        if session is None or deadlines is None or session.closed or self._session_loop is not loop:
            session = self._session = aiohttp.ClientSession(
                connector=DeadlineConnector(limit=POOL_SIZE),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                auto_decompress=True,
                timeout=NO_TIMEOUTS,
            )
            deadlines = self._deadlines = Deadlines(loop)
            # aiohttp sends an idempotent request again, unseen, when a reused connection turns
            # out closed; the policy decides retries (and counts them), so that is off. There is
            # no public switch: the attribute is set only where this aiohttp has it.
            if hasattr(session, "_retry_connection"):
                session._retry_connection = False
            self._session_loop = loop
        return session, deadlines

    async def request(
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
        """Send a request under the policy; return the 2xx answer or raise a ``PeblarError``."""
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
                await asyncio.sleep(wait)
            outcome = await self._attempt(*request, attempts)
            if isinstance(outcome, RESTResponse):
                return outcome
            await asyncio.sleep(attempts.failed(outcome, closed=self.closed))

    async def _attempt(  # noqa: PLR0917 - the request's parts, resolved once per call
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
        session, deadlines = self._session_now()
        started = time.perf_counter()
        clock = deadlines.start(connect, read, remaining)
        current = current_clock.set(clock)
        try:
            async with session.request(
                method,
                self._endpoint.origin + path,
                data=body,
                headers=headers,
                allow_redirects=False,
                proxy=self._endpoint.proxy,
            ) as response:
                data = await self._read(response, method, path)
        except PeblarError as error:
            if clock.expired:
                clock.ended_it()  # the error came first; the clock's cancellation is void
            return error
        except asyncio.CancelledError as exc:
            if not clock.expired or not clock.ended_it():
                raise  # cancelled by someone else: the caller's to handle
            timeout = TimeoutError("the attempt's time limit passed")
            timeout.__cause__ = exc
            connecting = clock.answer_by is None
            return self._connection_error(
                method, path, timeout, connect, read, connecting=connecting
            )
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            if clock.expired:
                clock.ended_it()  # the error came first; the clock's cancellation is void
            if self.closed:
                return PeblarClosedError("this client is closed")
            connecting = clock.answer_by is None
            return self._connection_error(method, path, exc, connect, read, connecting=connecting)
        finally:
            deadlines.stop(clock)
            current_clock.reset(current)
        status = response.status
        if attempts.debug:
            answered(method, path, status, len(data), started)
        answer_headers = response.headers  # aiohttp's CIMultiDictProxy, case-insensitive
        if 200 <= status < 300:
            return RESTResponse(status, response.reason or "", answer_headers, data, method, path)
        return status_error(
            method,
            path,
            status=status,
            reason=response.reason or "",
            data=data,
            headers=answer_headers,
        )

    async def _read(self, response: aiohttp.ClientResponse, method: str, path: str) -> bytes:
        """The whole body, up to the size cap."""
        cap = self.policy.max_response_bytes
        length = response.content_length
        if length is not None and length > cap:
            response.close()
            raise too_large(method, path, response.status, f"{length} bytes announced", cap)
        if length is not None and "Content-Encoding" not in response.headers:
            return await response.read()
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > cap:
                response.close()
                raise too_large(method, path, response.status, f"more than {cap} bytes", cap)
            chunks.append(chunk)
        return b"".join(chunks)

    def _connection_error(
        self,
        method: str,
        path: str,
        exc: BaseException,
        connect: float,
        read: float,
        *,
        connecting: bool,
    ) -> PeblarError:
        """The error an attempt ended in; ``connecting``: before it had its connection."""
        timed_out = isinstance(exc, asyncio.TimeoutError | TimeoutError)
        reason: object = None
        if isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
            failure = PROXY_FAILED
        elif isinstance(exc, aiohttp.ClientConnectorError):
            failure, reason = CONNECT_FAILED, exc.os_error
        elif isinstance(exc, aiohttp.ConnectionTimeoutError) or (timed_out and connecting):
            failure = CONNECT_TIMEOUT
        elif isinstance(exc, aiohttp.ServerTimeoutError) or timed_out:
            failure = NO_ANSWER
        elif isinstance(exc, aiohttp.InvalidURL):
            failure = BAD_ADDRESS
        else:
            failure = CONNECTION_LOST
        return connection_error(failure, method, path, self.netloc, exc, connect, read, reason)
