"""The policy every request to a charger follows, whichever road it takes.

Timeouts, the call deadline, which failures are worth another attempt and how long to wait, the
rate limiter a charger's clients share, the response-size cap, and how an error status becomes an
exception of the ``PeblarError`` tree. The REST client under the generated ``ApiClient``
(``sync_rest``, ``aio_rest``) applies it to every request; ``Peblar`` only chooses the numbers.
Keeping the decisions here, apart from the HTTP engine, is what lets one policy serve every
engine.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final, NoReturn

from pyPeblar._errors import (
    PeblarAuthenticationError,
    PeblarBadRequestError,
    PeblarConnectionTimeoutError,
    PeblarError,
    PeblarForbiddenError,
    PeblarInvalidResponseError,
    PeblarModbusError,
    PeblarNotFoundError,
    PeblarRateLimitError,
    PeblarReadOnlyError,
    PeblarResponseError,
    PeblarServerError,
)
from pyPeblar._transport.ratelimit import TokenBucket
from pyPeblar._transport.secrets import redact_error
from pyPeblar._transport.shown import check_bool, shown
from pyPeblar._transport.waits import REQUEST, RETRY, report

__all__ = [
    "CLIENT_BURST",
    "CLIENT_RATE",
    "Attempts",
    "Policy",
    "call_deadline",
    "current_deadline",
    "error_text",
    "invalid_answer",
    "retry_after",
    "shared_limiter",
    "status_error",
    "timeout_pair",
]

logger = logging.getLogger("pyPeblar")
# A library's records go where the application's logging sends them, and nowhere without it (not
# to stderr, where Python's last-resort handler would print a warning): on every road, since every
# request takes a policy.
logger.addHandler(logging.NullHandler())

#: Client-side rate limit: a little under the charger's 5/s with bursts of 10, so that timing
#: jitter between client and charger never turns into a 429.
CLIENT_RATE: Final = 4.5
CLIENT_BURST: Final = 9
#: Statuses worth another attempt: the charger was busy or briefly broken.
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
#: Modbus exception codes worth another attempt: the charger failed or was busy (4, 5, 6) or a
#: gateway found no path (10, 11). The others (1, 2, 3) refuse the request itself, every time.
RETRY_MODBUS_CODES: Final = frozenset({4, 5, 6, 10, 11})
#: Methods that are safe to send twice. Peblar's PATCH and PUT set absolute values, so repeating
#: one leaves the charger as one would; a POST (the charge-session toggle) is never repeated.
REPEATABLE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
#: How long to stay away after a 429 that names no Retry-After (the charger refills ~5/s).
DEFAULT_RATE_LIMIT_PAUSE: Final = 1.0
#: A Retry-After longer than this is not waited out: the call fails and says so.
MAX_RETRY_AFTER: Final = 30.0


def _seconds(name: str, value: object, *, low: float = 0.0, high: float = 3600.0) -> float:
    """``value`` as seconds in (low, high]; a ``ValueError`` naming ``name`` otherwise.

    Compared before it becomes a float: Python compares an int of any size with a float exactly
    (``10**400`` is simply too large), where ``float()`` or ``math.isfinite`` would overflow; NaN
    and the infinities fail the comparison too.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value <= high:
        raise ValueError(
            f"{name} must be a number of seconds above {low:g} and at most {high:g}, "
            f"not {shown(value)}"
        )
    return float(value)


def timeout_pair(name: str, value: object) -> tuple[float, float]:
    """``10`` (connect and answer) or ``(connect, answer)`` seconds, checked; errors name it."""
    pair = value if isinstance(value, tuple) else (value, value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be seconds or (connect, read) seconds, not {shown(value)}")
    return _seconds(name, pair[0]), _seconds(name, pair[1])


class Policy:
    """How hard to try, and for how long, for every request of one client. Immutable.

    - ``connect_timeout``, ``read_timeout``: seconds to connect, and for the whole answer of one
      attempt (a charger dripping bytes does not extend it);
    - ``deadline``: seconds for a whole call: every attempt, back-off, rate-limit wait and
      read-back together;
    - ``retries``: extra attempts after a failure that is safe to repeat; ``backoff``: the first
      delay, doubling, jittered, at most ``max_backoff``;
    - ``rate_limit``: wait on the limiter every client of the charger in this process shares;
    - ``max_response_bytes``: a larger answer is refused (a charger's are under 2 KB).

    A plain class rather than a dataclass: ``dataclasses`` imports ``inspect``, about 6 ms of
    every command-line start. ``replace(**changes)`` gives a changed copy.
    """

    __slots__ = (
        "backoff",
        "connect_timeout",
        "deadline",
        "max_backoff",
        "max_response_bytes",
        "rate_limit",
        "read_timeout",
        "retries",
    )
    connect_timeout: float
    read_timeout: float
    deadline: float
    retries: int
    backoff: float
    max_backoff: float
    rate_limit: bool
    max_response_bytes: int

    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        deadline: float = 30.0,
        retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        rate_limit: bool = True,
        max_response_bytes: int = 1 << 20,
    ) -> None:
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
            raise ValueError(f"retries must be a whole number from 0 to 10, not {shown(retries)}")
        check_bool("rate_limit", rate_limit)
        size = max_response_bytes
        if isinstance(size, bool) or not isinstance(size, int) or size < 1024:
            raise ValueError(
                f"max_response_bytes must be a whole number >= 1024, not {shown(size)}"
            )
        values = {
            "connect_timeout": _seconds("connect timeout", connect_timeout),
            "read_timeout": _seconds("read timeout", read_timeout),
            "deadline": _seconds("deadline", deadline),
            "retries": retries,
            "backoff": 0.0 if backoff == 0 else _seconds("backoff", backoff, high=60.0),
            "max_backoff": _seconds("max_backoff", max_backoff, high=600.0),
            "rate_limit": rate_limit,
            "max_response_bytes": size,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Policy cannot be changed; use policy.replace({name}=...)")

    def _values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(self.__slots__)}

    def replace(self, **changes: Any) -> Policy:
        """A copy with ``changes`` (checked as in the constructor)."""
        return Policy(**{**self._values(), **changes})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Policy) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(tuple(self._values().values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._values().items())
        return f"Policy({shown})"

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt + 1``: exponential, jittered."""
        base: float = min(self.max_backoff, self.backoff * 2**attempt)
        return base * random.uniform(0.5, 1.0)

    def repeatable(self, method: str) -> bool:
        """Whether a failed ``method`` request may be sent again."""
        return method in REPEATABLE_METHODS


# -- the call deadline ----------------------------------------------------------------------

#: The monotonic time by which the current call must end, set by ``call_deadline``. A context
#: variable, so each thread and each asyncio task has its own.
_deadline: ContextVar[float | None] = ContextVar("pyPeblar_deadline", default=None)


@contextmanager
def call_deadline(seconds: float) -> Iterator[float]:
    """Bound everything inside (requests, retries, waits, read-backs) by one deadline.

    Nested calls keep the earlier deadline: a read-back inside a write never gets more time than
    the write has left. Yields the deadline (a ``time.monotonic()`` value).
    """
    outer = _deadline.get()
    mine = time.monotonic() + seconds
    if outer is not None and outer <= mine:
        yield outer
        return
    token = _deadline.set(mine)
    try:
        yield mine
    finally:
        _deadline.reset(token)


def current_deadline() -> float | None:
    """The deadline of the call in progress, if one was set."""
    return _deadline.get()


# -- the shared rate limiter ----------------------------------------------------------------

_limiters: dict[str, TokenBucket] = {}
_limiters_lock = threading.Lock()


def shared_limiter(key: str) -> TokenBucket:
    """The one rate limiter of a charger (``host:port``), shared by every client in this process."""
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = TokenBucket(CLIENT_RATE, CLIENT_BURST)
        return limiter


# -- error statuses -------------------------------------------------------------------------


def error_text(data: bytes, reason: str) -> str:
    """The charger's own words from an error body, read leniently.

    Peblar sends ``{"statusmsg": ...}``, sometimes ``{"StatusMsg": ...}``, a bare JSON string, or a
    JSON string holding JSON again; anything else (HTML from a proxy, nothing) falls back to text.
    """
    text = data[:4096].decode("utf-8", "replace").strip()
    value: object = text
    for _ in range(3):
        if not isinstance(value, str):
            break
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
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
    headers: Mapping[str, str],
) -> PeblarResponseError:
    """The exception for an error status, with the charger's message and a readable summary."""
    statusmsg = error_text(data, reason)
    message = f"{method} {path}: {status} {statusmsg}".rstrip()
    cls: type[PeblarResponseError] = PeblarResponseError
    local_api = "/api/wlac/" in path or not path.startswith("/api/")
    if 300 <= status < 400:
        where = headers.get("Location", "elsewhere")[:100]
        cls, message = (
            PeblarInvalidResponseError,
            f"{message} (a redirect to {where}; not followed)",
        )
    elif status == 400:
        cls = PeblarBadRequestError
    elif status == 401:
        cls = PeblarAuthenticationError
        message += (
            " (the charger rejected the token)"
            if local_api
            else " (the web interface wants a session: log in with its password)"
        )
    elif status == 403:
        lowered = statusmsg.lower().replace("-", "").replace(" ", "")
        cls = PeblarReadOnlyError if "readonly" in lowered else PeblarForbiddenError
    elif status in (404, 405):
        cls = PeblarNotFoundError
        message += (
            " (this firmware lacks it, or the local REST API is disabled)"
            if local_api
            else " (this firmware lacks it)"
        )
    elif status >= 500:
        cls = PeblarServerError
    body = data[:4096].decode("utf-8", "replace")
    kept = {name: value for name, value in headers.items() if name.lower() != "set-cookie"}
    if status == 429:
        return PeblarRateLimitError(
            message,
            statusmsg=statusmsg,
            retry_after=retry_after(headers.get("Retry-After")),
            body=body,
            headers=kept,
        )
    return cls(message, status=status, statusmsg=statusmsg, body=body, headers=kept)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value) if len(value) < 10 else math.inf
    import email.utils  # only for the rare HTTP-date form

    try:
        when: float = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - time.time())


def retry_wait(error: PeblarError, policy: Policy, attempt: int) -> float | None:
    """Seconds to wait before trying again after ``error``; None: give up now."""
    if attempt >= policy.retries:
        return None
    if isinstance(error, PeblarRateLimitError):
        wait = error.retry_after if error.retry_after is not None else DEFAULT_RATE_LIMIT_PAUSE
        return None if wait > MAX_RETRY_AFTER else wait
    if isinstance(error, PeblarResponseError) and error.status not in RETRY_STATUSES:
        return None
    if isinstance(error, PeblarModbusError) and error.exception_code not in RETRY_MODBUS_CODES:
        return None
    return policy.delay(attempt)


def invalid_answer(
    response: object, expected: object, error: BaseException
) -> PeblarInvalidResponseError | None:
    """The error for a 2xx answer that is not what the spec says (``expected``: the type's name);
    None when the request was one that is never repeated (a POST).

    A POST's 2xx is its success, whatever its body (none, ``null``, an object the spec does not
    describe): the charger has acted (toggled the charge session, added the card, started the
    reboot), and an error would invite the retry that undoes it. Its body is then read as None
    and the mismatch logged at DEBUG. Names what was wrong (the first three fields pydantic
    complains about), never the input.
    """
    from pydantic import ValidationError

    method = getattr(response, "method", "")
    path = getattr(response, "path", "")
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
            for item in error.errors(include_url=False, include_input=False)[:3]
        )
    elif isinstance(error, RecursionError):
        problems = "JSON nested too deep"
    else:
        problems = type(error).__name__
    where = f"{method} {path}: " if method else ""
    message = f"{where}the charger's answer is not a valid {expected}: {problems}"
    if method and method not in REPEATABLE_METHODS:
        logger.debug("%s (a success all the same: the charger has acted)", message)
        return None
    return PeblarInvalidResponseError(
        message, status=int(getattr(response, "status", 0) or 0), statusmsg=""
    )


# -- one call's attempts --------------------------------------------------------------------


class Attempts:
    """The attempts of one call under a policy: every decision the sync and async engines share.

    An engine (``sync_rest`` over urllib3, ``aio_rest`` over aiohttp) runs the same loop, only its
    waiting and its I/O differ::

        attempts = Attempts(policy, limiter, method, path, retry=None, secrets=...)
        while True:
            wait for attempts.admit()            # the rate limiter; raises past the deadline
            outcome = one attempt within attempts.remaining()
            if it is an answer: return it
            wait for attempts.failed(outcome)    # back-off; raises the final error

    The deadline is the policy's, or the earlier one of the call in progress (``call_deadline``).
    """

    __slots__ = (
        "attempt",
        "deadline",
        "debug",
        "limiter",
        "method",
        "path",
        "policy",
        "reached",
        "retry",
        "secrets",
        "started",
    )

    def __init__(
        self,
        policy: Policy,
        limiter: TokenBucket,
        method: str,
        path: str,
        *,
        retry: bool | None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.policy = policy
        #: What the call's errors must not show (the token, the password: ``secrets``).
        self.secrets = secrets
        self.limiter = limiter
        self.method = method
        self.path = path
        #: Whether a failure may be tried again; None: ``policy.repeatable`` decides (asked only
        #: when an attempt fails, so that a call answered at once never asks).
        self.retry = retry
        self.started = started = time.monotonic()
        deadline = started + policy.deadline
        ambient = _deadline.get()
        self.deadline = deadline if ambient is None or ambient >= deadline else ambient
        self.attempt = 0
        #: Whether any attempt so far may have reached the charger.
        self.reached = False
        #: Whether the call's waits are logged (``waits``): asked once a call, not per record;
        #: the engine logs the answer only then (``waits.answered``).
        self.debug = logger.isEnabledFor(logging.DEBUG)  # the same logger as waits'

    def admit(self) -> float:
        """Seconds to wait for the rate limiter before the next attempt (0 without a wait).

        Reports the wait that begins: for the rate limiter, then for the answer (``waits``)."""
        wait = self.limiter.reserve() if self.policy.rate_limit else 0.0
        if wait > 0 and time.monotonic() + wait >= self.deadline:
            self.give_up(
                PeblarConnectionTimeoutError(
                    f"{self.method} {self.path}: the rate limiter's wait ({wait:.1f} s) would pass "
                    "the call's deadline",
                    request_sent=False,
                )
            )
        if self.debug:
            self._report_wait(wait)
        return wait

    def _report_wait(self, wait: float) -> None:
        """Log the wait that begins (``waits``): for the rate limiter, then for the answer."""
        kind, which = REQUEST, ""
        if self.attempt:
            kind, which = RETRY, f", attempt {self.attempt + 1} of {self.policy.retries + 1}"
        if wait > 0:
            report(
                kind,
                "%s %s: waiting %.1f s for the rate limit, then for the answer%s",
                self.method,
                self.path,
                wait,
                which,
            )
        else:
            report(kind, "%s %s: waiting for the answer%s", self.method, self.path, which)

    def remaining(self) -> float:
        """Seconds the next attempt may take; raises once the call's deadline has passed."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.give_up(
                PeblarConnectionTimeoutError(
                    f"{self.method} {self.path}: the call's deadline passed", request_sent=False
                )
            )
        return remaining

    def failed(self, error: PeblarError, *, closed: bool = False) -> float:
        """Seconds to wait before trying again after ``error``; raises it when that is all."""
        if self.secrets:  # before it is logged: the charger's words may repeat the request
            redact_error(error, self.secrets)
        self.reached = self.reached or error.request_sent is not False
        repeat = self.policy.repeatable(self.method) if self.retry is None else self.retry
        wait = None if not repeat or closed else retry_wait(error, self.policy, self.attempt)
        if wait is None or time.monotonic() + wait >= self.deadline:
            self.give_up(error)
        if isinstance(error, PeblarRateLimitError) and self.policy.rate_limit:
            self.limiter.drain(wait)  # every client sharing the charger backs off
        where = f"{self.method} {self.path}"
        said = error.message if error.message.startswith(where) else f"{where}: {error.message}"
        report(RETRY, "%s; retrying in %.2f s", said, wait)
        self.attempt += 1
        return wait

    def give_up(self, error: PeblarError) -> NoReturn:
        """Raise ``error`` as the call's outcome, saying how many attempts it took."""
        # The last attempt may have failed to connect after an earlier one got through.
        error.request_sent = self.reached or error.request_sent is not False
        error.attempts = self.attempt + 1
        if self.attempt:
            spent = time.monotonic() - self.started
            error.message += f" ({self.attempt + 1} attempts in {spent:.1f} s)"
            error.args = (error.message,)
        if self.secrets:
            redact_error(error, self.secrets)
        raise error
