"""Every error pyPeblar raises about a charger, in one tree, over both roads.

    PeblarError                        anything that went wrong talking to a charger
    ├── PeblarConnectionError          no usable answer: refused, reset, unreachable, dropped
    │   └── PeblarConnectionTimeoutError   connecting, the answer or the call deadline ran out
    ├── PeblarResponseError            an error answer (.status, .statusmsg)  ══ ApiException
    │   ├── PeblarBadRequestError          400: content refused       ══ BadRequestException
    │   ├── PeblarAuthenticationError      401: wrong or missing token ══ UnauthorizedException
    │   ├── PeblarForbiddenError           403: not allowed            ══ ForbiddenException
    │   │   └── PeblarReadOnlyError            the local API is in ReadOnly mode
    │   ├── PeblarNotFoundError            404/405: not on this firmware ══ NotFoundException
    │   ├── PeblarRateLimitError           429: too many requests (.retry_after)
    │   ├── PeblarServerError              5xx: the charger failed      ══ ServiceException
    │   └── PeblarInvalidResponseError     not what the spec says: not JSON, wrong types, nested
    │                                      too deep, over the size cap, a redirect; over Modbus a
    │                                      short or malformed answer
    ├── PeblarModbusError              a Modbus exception answer (.exception_code, .exception_name)
    ├── PeblarUnsupportedError         the charger cannot do this (checked before sending)
    ├── PeblarRelayProtectionError     refused: too many pauses or phase switches lately
    ├── PeblarStateTimeoutError        a write went through, the new state never showed
    ├── PeblarSetupError               the web-interface token setup could not finish
    ├── PeblarSubscriptionError        the websocket refused a topic (.topic, .statusmsg)
    └── PeblarClosedError              the client was used after close()

The ``══`` marks the join with the generated layer: every status error is also the exception
openapi-generator users catch (``pyPeblar.exceptions``), so ``except ApiException`` and
``except UnauthorizedException`` keep working on the same objects, with ``status``, ``reason``,
``body`` and ``headers`` set as the generator's own exceptions set them. Both roads (``Peblar``
and a generated API class on any ``ApiClient``) raise only errors of this tree: the policy layer
under the generated REST client (``pyPeblar._transport``) maps every urllib3, aiohttp, socket,
JSON and pydantic failure.

The names and tiers match the async ``peblar`` package that Home Assistant uses, so code that maps
"re-authenticate" to ``PeblarAuthenticationError`` and "retry later" to ``PeblarConnectionError``
works unchanged. Bad arguments (a current of "ten" amps, both ``token=`` and ``name=``) are
programming errors, not charger errors: they raise plain ``ValueError`` before anything is sent.

Errors from a write carry ``applied``: ``False`` when the charger is known not to have applied it,
``None`` when that could not be found out (see docs/reliability.md). No message holds the token.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyPeblar.exceptions import (
    ApiException,
    BadRequestException,
    ForbiddenException,
    NotFoundException,
    ServiceException,
    UnauthorizedException,
)

__all__ = [
    "PeblarAuthenticationError",
    "PeblarBadRequestError",
    "PeblarClosedError",
    "PeblarConnectionError",
    "PeblarConnectionTimeoutError",
    "PeblarError",
    "PeblarForbiddenError",
    "PeblarInvalidResponseError",
    "PeblarModbusError",
    "PeblarNotFoundError",
    "PeblarRateLimitError",
    "PeblarReadOnlyError",
    "PeblarRelayProtectionError",
    "PeblarResponseError",
    "PeblarServerError",
    "PeblarSetupError",
    "PeblarStateTimeoutError",
    "PeblarSubscriptionError",
    "PeblarUnsupportedError",
]


class PeblarError(Exception):
    """Base of every charger error pyPeblar raises.

    ``hint`` is one sentence on what to do about it, in a Python program's words. The command
    line gives its own, in its words and fitting the API it used (``pyPeblar.cli._report``).
    """

    hint = ""
    #: How many attempts the call made before it ended in this error (set by the policy layer).
    attempts = 1

    def __init__(
        self, message: str, *, applied: bool | None = None, request_sent: bool | None = None
    ) -> None:
        # Exception's own __init__, not the next class in the MRO: for status errors that is
        # ApiException, whose first parameter is the status.
        Exception.__init__(self, message)
        self.message = message
        #: For a failed write: False if it is known not to have applied, None if unknown.
        self.applied = applied
        #: Whether the request may have reached the charger (None: nothing was sent or it
        #: does not apply). A connection refused is False; a timeout waiting for the answer True.
        self.request_sent = request_sent

    def __str__(self) -> str:
        if self.applied is False:
            return f"{self.message} (the change was not applied)"
        return self.message


class PeblarConnectionError(PeblarError):
    """No usable answer: connection refused or reset, host unreachable, answer cut off."""

    hint = (
        "Check the charger's address and that it is powered and on the network; for the local "
        "REST API, also that the API is enabled in the web interface."
    )


class PeblarConnectionTimeoutError(PeblarConnectionError):
    """Connecting to the charger, or waiting for its answer, took longer than the timeout."""

    hint = (
        "The charger did not answer in time; check the network, or allow more time (timeout=, "
        "deadline=)."
    )


class PeblarResponseError(PeblarError, ApiException):
    """The charger answered with an error status; ``statusmsg`` holds its own words.

    Also an ``ApiException``: ``status``, ``reason`` (the charger's words), ``body`` (the answer's
    text) and ``headers`` are set as openapi-generator's exceptions set them.
    """

    hint = ""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        statusmsg: str = "",
        applied: bool | None = None,
        body: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        PeblarError.__init__(self, message, applied=applied, request_sent=True)
        self.status = status
        self.statusmsg = statusmsg
        self.reason = statusmsg
        self.body = body
        self.data = None
        self.headers = headers

    def __str__(self) -> str:
        return PeblarError.__str__(self)


class PeblarBadRequestError(PeblarResponseError, BadRequestException):
    """400: the charger refused the request's content (a value out of range, an unknown key)."""

    hint = "The charger refused the values sent; its message says which."


class PeblarAuthenticationError(PeblarResponseError, UnauthorizedException):
    """401: the token is wrong or missing (for the web interface: the password is wrong)."""

    hint = (
        "Check the credentials: the API token for the local REST API (Peblar.from_password "
        "fetches it), the password for the web interface."
    )


class PeblarForbiddenError(PeblarResponseError, ForbiddenException):
    """403: not allowed, e.g. an OCPP back office manages the charger or the RFID is unknown."""

    hint = "The charger does not allow this; its message says why."


class PeblarReadOnlyError(PeblarForbiddenError):
    """The local REST API is in ReadOnly mode, so writes are refused."""

    hint = (
        "Set the local REST API to ReadWrite: PeblarWeb.set_local_rest_api(True), or in the web "
        "interface."
    )


class PeblarNotFoundError(PeblarResponseError, NotFoundException):
    """404/405: this charger's firmware lacks the operation, or the local REST API is disabled."""

    hint = (
        "This firmware lacks the operation, or the item asked for does not exist; for the local "
        "REST API, also check that the API is enabled in the web interface."
    )


class PeblarRateLimitError(PeblarResponseError):
    """429: more requests than the charger allows (about 5 per second, shared by all clients)."""

    hint = "Too many requests reach the charger; poll less often or stop other clients."

    def __init__(
        self,
        message: str,
        *,
        status: int = 429,
        statusmsg: str = "",
        retry_after: float | None = None,
        applied: bool | None = None,
        body: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            message,
            status=status,
            statusmsg=statusmsg,
            applied=applied,
            body=body,
            headers=headers,
        )
        #: Seconds the charger asked to wait (its Retry-After header), when it sent one.
        self.retry_after = retry_after


class PeblarServerError(PeblarResponseError, ServiceException):
    """5xx: the charger failed to handle the request."""

    hint = "The charger had an internal error; try again, or restart it if it persists."


class PeblarInvalidResponseError(PeblarResponseError):
    """An answer that is not what the spec says: not JSON, wrong types, nested too deep, larger
    than the response-size cap, or a redirect (never followed)."""

    hint = "The charger's answer was not understood; `pypeblar check` shows how it differs."


#: The Modbus exception codes (Modbus Application Protocol v1.1b3, section 7) by number.
MODBUS_EXCEPTIONS = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}


class PeblarModbusError(PeblarError):
    """The charger answered a Modbus request with an exception (``exception_code``, named).

    Code 2 (illegal data address) is what a charger answers for a register it lacks, such as phase
    2 and 3 on a single-phase unit; code 4 (server device failure) is what firmware 1.8.0 answered
    to writes for some users. ``request_sent`` is always True: the charger answered.
    """

    hint = (
        "The charger refused the Modbus request: check that its Modbus server is enabled, and "
        "read-write for changes (web interface, advanced settings)."
    )

    def __init__(self, message: str, *, exception_code: int, applied: bool | None = None) -> None:
        name = MODBUS_EXCEPTIONS.get(exception_code, "an exception code no standard lists")
        super().__init__(
            f"{message}: Modbus exception {exception_code} ({name})",
            applied=applied,
            request_sent=True,
        )
        #: The Modbus exception code the charger answered (1 to 255).
        self.exception_code = exception_code
        #: Its name in the Modbus specification (``"illegal data address"``).
        self.exception_name = name


class PeblarUnsupportedError(PeblarError):
    """This charger cannot do what was asked (checked before anything is sent)."""

    hint = "This charger's hardware or configuration does not support it."


class PeblarRelayProtectionError(PeblarError):
    """Refused: too many pauses or phase switches in a short time would wear the relays."""

    hint = "Wait before switching again, or construct Peblar(..., protect_relays=False)."


class PeblarStateTimeoutError(PeblarError):
    """A write was accepted but the charger never reported the new state in time."""

    hint = (
        "The charger accepted the change but did not carry it out; check it in the web interface."
    )


class PeblarSetupError(PeblarError):
    """Setting up the local REST API through the web interface could not finish."""

    hint = "Check the web interface's settings for the local REST API."


class PeblarSubscriptionError(PeblarError):
    """The charger refused to subscribe to a topic of its websocket (an unknown topic).

    ``topic`` is the topic refused and ``statusmsg`` the charger's words.
    """

    hint = "The charger does not offer this topic; docs/events.md lists the topics it has."

    def __init__(self, message: str, *, topic: str, statusmsg: str = "") -> None:
        super().__init__(message, request_sent=True)
        self.topic = topic
        self.statusmsg = statusmsg


class PeblarClosedError(PeblarError):
    """The client was used after ``close()`` or after its ``with`` block ended."""

    hint = "Create a new client."
