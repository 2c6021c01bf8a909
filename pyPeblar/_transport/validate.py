"""The argument validation of the generated API methods, without its cost on the polling path.

openapi-generator decorates every API method with pydantic's ``validate_call``. On a charger on
the local network, that validation costs about as much CPU as the whole HTTP exchange (about
50 us a call, measured in bench/run.py), and most calls pass no argument at all: ``get_meter()``
in a polling loop. Such a call has every parameter at its default, which is valid by definition,
so it skips validation; a call with any argument is validated by pydantic exactly as before.
The API template (``openapi/templates/api.mustache``) imports this decorator.

``listed_value`` and ``request_value`` are the strict request models' checks that pydantic's own
types do not make (imported by ``openapi/templates/model_object.mustache``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic

__all__ = ["listed_value", "request_value", "validate_call"]

F = TypeVar("F", bound=Callable[..., Any])


def validate_call(function: F) -> F:
    """pydantic's ``validate_call`` for ``function`` (a method), skipped when nothing is passed.

    pydantic's validator is built on the first call that passes an argument, not at import: a
    module of API classes has three methods an operation, and a program calls most of them never,
    or never with arguments. Deferring it takes about 10 ms off importing the web interface's
    settings API (12 methods: about 33 ms instead of 44) and 3 ms off a one-operation module such
    as the meter's. ``functools.cache`` keeps it; two threads that race to build it may both build
    one, and either is the same validator.
    """
    validated: Callable[[], Callable[..., Any]] = functools.cache(
        lambda: pydantic.validate_call(function)
    )

    call: Callable[..., Any]
    if inspect.iscoroutinefunction(function):  # the asyncio API classes' methods

        @functools.wraps(function)
        async def call(self: object, *args: Any, **kwargs: Any) -> Any:
            if args or kwargs:
                return await validated()(self, *args, **kwargs)
            return await function(self)

    else:

        @functools.wraps(function)
        def call(self: object, *args: Any, **kwargs: Any) -> Any:
            if args or kwargs:
                return validated()(self, *args, **kwargs)
            return function(self)

    call.raw_function = function  # type: ignore[attr-defined]  # as pydantic's wrapper has
    return call  # type: ignore[return-value]


def listed_value(value: Any) -> Any:
    """``value``, unless it is an open enum's value the spec does not list (then ValueError).

    The generated enums are open, so that reading keeps whatever a charger sends; a request body
    must still send only what the spec lists. Any other value passes unchanged.
    """
    if getattr(value, "is_known", True):
        return value
    listed = ", ".join(repr(member.value) for member in type(value))
    raise ValueError(f"{value.value!r} is not one of {listed}")


def request_value(
    value: Any, field: str | None, nullable: frozenset[str], boolean: frozenset[str]
) -> Any:
    """``value`` for the request field ``field``, unless the spec does not allow it there.

    A field the spec does not mark nullable is still ``Optional`` in the generated model (it may be
    left out), so pydantic would take an explicit ``None`` and send JSON ``null``; and Python's
    ``True`` is the int 1 to an integer enum such as the buzzer volume. Both are refused here,
    before anything is sent.
    """
    if value is None and field not in nullable:
        raise ValueError("must not be None (leave the key out instead)")
    if isinstance(value, bool) and field not in boolean:
        raise ValueError(f"must not be {value} (a bool is not a number or a text here)")
    return value
