"""What every confirmed write shares, on the local REST API and on the web interface.

A write returns only once the charger shows what was asked. When it fails, whether it applied is
decided one way everywhere: a refusal (400, 401, 403, 404, 405, 409, 413, 422: the same request gets
the same answer every time) of a call's only attempt did not apply, nor did a request that never
reached the charger; anything else (a 429 or 5xx after retries, a lost or unusable answer) may have,
so the state is read back and decides. The error says which in ``applied``: ``False`` when the
change is known not to have applied, ``None`` when that could not be found out. ``_local.flows``
(``Peblar``) and ``_web.flows`` (``PeblarWeb``) both decide with these functions, in their flows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, NoReturn, TypeVar

from pyPeblar._errors import PeblarError, PeblarResponseError, PeblarStateTimeoutError

if TYPE_CHECKING:
    from pyPeblar._shared.flow import Flow

__all__ = [
    "REFUSALS",
    "before_write",
    "may_have_applied",
    "not_shown",
    "read_quietly",
    "settle_failure",
]

R = TypeVar("R")
S = TypeVar("S")

logger = logging.getLogger("pyPeblar")

#: Statuses that refuse a write for good: the same request gets the same answer every time, so
#: none of the attempts applied it. (A 429 or 5xx after a retry proves nothing of the sort.)
REFUSALS: Final = frozenset({400, 401, 403, 404, 405, 409, 413, 422})


def may_have_applied(error: PeblarError) -> bool:
    """Whether the failed write may have applied; if it cannot have, ``error.applied`` is False.

    A refusal of the call's one attempt did not apply, nor did a request that reached no charger
    (``request_sent`` False). A refusal after a retry proves nothing: a DELETE whose first attempt
    removed the card but lost its answer gets 404 the second time. Anything else leaves
    ``applied`` as it is: the caller reads back to decide.
    """
    refused = (
        isinstance(error, PeblarResponseError) and error.status in REFUSALS and error.attempts == 1
    )
    if refused or error.request_sent is False:
        error.applied = False
        return False
    return True


def before_write(flow: Flow[R]) -> Flow[R]:
    """``flow`` (a log-in, a read the write needs) run before a write is sent: if it fails, the
    write was never sent, so its error says the change was not applied."""
    try:
        return (yield from flow)
    except PeblarError as error:
        error.applied = False
        raise


def read_quietly(flow: Flow[R]) -> Flow[R | None]:
    """``flow``'s result, or None if it fails: a read-back after a failed write, whose own
    failure only means the outcome stays unknown."""
    try:
        return (yield from flow)
    except PeblarError:
        return None


def settle_failure(error: PeblarError, state: S | None, shows: Callable[[S], bool], what: str) -> S:
    """After ``what`` failed in a way that may have applied: ``state`` (read back; None if it
    could not be) if it ``shows`` the write, as the write's result; otherwise ``error`` is raised,
    with ``applied`` False (the charger shows the old value) or None (nothing could be read)."""
    if state is None:
        error.applied = None
        raise error
    if shows(state):
        logger.warning("%s failed (%s) but the charger shows it applied", what, error)
        return state
    error.applied = False
    raise error


def not_shown(what: str, wanted: str, reported: str) -> NoReturn:
    """Raise for a write the charger answered but does not show: it says what it reports."""
    raise PeblarStateTimeoutError(
        f"{what}: the charger answered the write of {wanted} but reports {reported}",
        applied=False,
    )
