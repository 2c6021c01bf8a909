"""A failed command as one line on stderr: what went wrong, what to do, and the exit status.

The hint is in command-line words (options and commands, never Python), and fits the API the
command was talking to when it failed: a 401 from the local REST API is about the token, one from
the web interface about the password; a refused connection to the local REST API may mean it is
switched off, which the web interface never is. Every hint the command line gives is in ``HINTS``
below, chosen in ``hint_for`` from the error's class and ``Context.api``; an error the table does
not know keeps the SDK's own ``hint``.

Imported only when a command fails.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Final

from pyPeblar.cli._context import (
    EXIT_AUTHENTICATION,
    EXIT_CHARGER,
    EXIT_CONNECTION,
    EXIT_REFUSED,
    EXIT_USAGE,
    LOCAL_API,
    MODBUS_API,
    WEB_INTERFACE,
    Context,
    RefusedError,
)

if TYPE_CHECKING:
    from pyPeblar._errors import PeblarError

__all__ = ["HINTS", "RELAY_HINT", "hint_for", "report"]

#: The command line's advice where the SDK's is Python (``Peblar(..., protect_relays=False)``).
RELAY_HINT: Final = (
    "Wait that long, then run the command again: pypeblar counts pauses and phase switches "
    "across calls, to spare the charger's relays."
)

TIMEOUT_HINT: Final = (
    "The charger did not answer in time: check the network, or allow more time with --timeout "
    "(each attempt) or --deadline (each call)."
)


def both(hint: str) -> dict[str, str]:
    """The same hint whichever API the command used."""
    return {LOCAL_API: hint, WEB_INTERFACE: hint, MODBUS_API: hint}


#: Each error class's hint (by class name), for each API: ``LOCAL_API`` is the local REST API
#: (the token), ``WEB_INTERFACE`` the web interface (the password), ``MODBUS_API`` the Modbus TCP
#: API (no credentials; a server the owner switches on). Where an API is missing, the local
#: REST API's hint is given.
HINTS: Final[dict[str, dict[str, str]]] = {
    "PeblarError": both("Run the command again with -v to see more."),
    "PeblarConnectionError": {
        LOCAL_API: "Check the address (--host or PEBLAR_HOST), that the charger is on the "
        "network, and that its local REST API is enabled (web interface, advanced settings).",
        WEB_INTERFACE: "Check the address (--host or PEBLAR_HOST) and that the charger is "
        "powered and on the network.",
        MODBUS_API: "Check the address (--host or PEBLAR_HOST), --modbus-port, that the charger "
        "is on the network, and that its Modbus server is enabled (`pypeblar config`: "
        "ModbusServerEnable).",
    },
    "PeblarConnectionTimeoutError": both(TIMEOUT_HINT),
    "PeblarResponseError": both("The charger's message says what went wrong."),
    "PeblarBadRequestError": both("The charger refused the values sent; its message says which."),
    "PeblarAuthenticationError": {
        LOCAL_API: "Check the token (PEBLAR_TOKEN or --token-file PATH), or fetch it with "
        "`pypeblar token --host HOST`.",
        WEB_INTERFACE: "Check the web interface password (PEBLAR_PASSWORD, --password-file PATH "
        "or --password -).",
    },
    "PeblarForbiddenError": both("The charger does not allow this; its message says why."),
    "PeblarReadOnlyError": both(
        "Set the local REST API to ReadWrite in the web interface, or run `pypeblar token` "
        "(it sets ReadWrite)."
    ),
    "PeblarNotFoundError": {
        LOCAL_API: "Enable the local REST API in the web interface (advanced settings); if it "
        "is enabled, this firmware lacks the operation: `pypeblar versions` shows any update.",
        WEB_INTERFACE: "The charger has no such item, or its firmware lacks the operation: "
        "`pypeblar versions` shows any update.",
    },
    "PeblarRateLimitError": both(
        "Too many requests reach the charger; poll less often, or stop other clients."
    ),
    "PeblarServerError": both(
        "The charger had an internal error; try again, or reboot it (`pypeblar reboot`) if it "
        "persists."
    ),
    "PeblarInvalidResponseError": both(
        "The charger's answer was not understood; `pypeblar check` shows how it differs from "
        "the spec."
    ),
    "PeblarUnsupportedError": both("This charger's hardware or settings do not allow it."),
    "PeblarRelayProtectionError": both(RELAY_HINT),
    "PeblarStateTimeoutError": both(
        "The charger accepted the change but did not carry it out; `pypeblar status` shows "
        "what it reports."
    ),
    "PeblarSetupError": both(
        "Check the local REST API's settings in the web interface (`pypeblar config`: "
        "LocalRestApiAllowed, LocalRestApiEnable)."
    ),
    "PeblarClosedError": both("Run the command again."),
    "PeblarSubscriptionError": both(
        "The charger does not offer this topic: `pypeblar events` with no topic follows the "
        "charging session; docs/events.md lists the topics."
    ),
    "PeblarModbusError": both(
        "The charger refused the Modbus request: check that its Modbus server is enabled, and "
        "read-write for changes (`pypeblar config`: ModbusServerEnable, ModbusServerAccessMode)."
    ),
}


def hint_for(error: PeblarError, api: str) -> str:
    """The hint for ``error`` met on ``api``: its class's, or the nearest base class's."""
    for cls in type(error).__mro__:
        hints = HINTS.get(cls.__name__)
        if hints is not None:
            return hints.get(api) or hints[LOCAL_API]
    return error.hint  # not a PeblarError class of pyPeblar's


def message_for(error: PeblarError) -> str:
    """``error``'s message in command-line words."""
    from pyPeblar._errors import PeblarRelayProtectionError

    if isinstance(error, PeblarRelayProtectionError):
        # The message ends with how to turn the check off in Python: not a command-line answer.
        return str(error).partition(" (Peblar(")[0]
    return str(error)


def report(error: Exception, context: Context) -> int:
    """One readable line on stderr (with a hint) and the exit status for ``error``; the
    traceback too with -v."""
    from pyPeblar._errors import (
        PeblarAuthenticationError,
        PeblarConnectionError,
        PeblarError,
        PeblarResponseError,
        PeblarServerError,
    )

    context.quiet()
    verbose = bool(context.args.verbose)
    if verbose:
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    if isinstance(error, RefusedError):
        context.warn(f"pypeblar: {error}. Hint: {error.hint}")
        return EXIT_REFUSED
    if not isinstance(error, PeblarError):
        return report_other(error, context, verbose=verbose)
    hint = hint_for(error, context.api)
    context.warn(f"pypeblar: {message_for(error)}.{f' Hint: {hint}' if hint else ''}")
    if isinstance(error, PeblarConnectionError):
        return EXIT_CONNECTION
    if isinstance(error, PeblarAuthenticationError):
        return EXIT_AUTHENTICATION
    if isinstance(error, PeblarServerError) or (
        isinstance(error, PeblarResponseError) and error.status in (200, 429)
    ):
        return EXIT_CHARGER
    return EXIT_REFUSED


def report_other(error: Exception, context: Context, *, verbose: bool) -> int:
    """An error that is not the charger's: a file that cannot be used (status 2), or a fault
    of pypeblar itself (status 6), said in one line."""
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        context.warn(f"pypeblar: cannot use {where}{error.strerror or error}")
        return EXIT_USAGE
    # Only the type: the text of an error nobody expected could hold anything.
    more = "" if verbose else "; run the command again with -v to see where"
    context.warn(f"pypeblar: internal error ({type(error).__name__}){more}: please report it")
    return EXIT_CHARGER
