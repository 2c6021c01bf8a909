"""Secrets never shown: the token and the password are redacted from every error and log line.

A charger, or a proxy in front of it, may repeat a request in its error answer: the
``Authorization`` header (the API token), the log-in body (the web password), the session cookie.
That text becomes an exception's message, ``statusmsg``, ``body`` and ``headers``, a DEBUG log
line and the command line's error output. So the REST client under every generated ``ApiClient``
(``sync_rest``, ``aio_rest``) knows each request's secrets and the policy's ``Attempts`` redacts
every error with them before it is logged or raised: one place, under every road.

Where a secret comes from:

- the request's ``Authorization`` header (``Peblar``, or a plain ``ApiClient`` with
  ``Configuration(api_key=...)``) and its ``Cookie`` header (the web session);
- a request body field the spec marks ``format: password`` (the web interface's ``Password``):
  the generated model lists such fields in ``peblar_secrets`` (and leaves them out of its repr),
  and the generated ``ApiClient`` hands their values to its REST client (``remember_secrets``)
  before the request is sent. Once sent, a secret stays known to that REST client.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "Secrets", "hide_secret_fields", "redact_error", "remember_secrets"]

#: What a secret becomes.
MASK: Final = "[redacted]"
#: A cookie value shorter than this is not taken for a secret (it would blank out common words).
MIN_COOKIE = 8


class Secrets:
    """The secrets one REST client has sent (passwords from request bodies); thread-safe."""

    __slots__ = ("_lock", "known")

    def __init__(self) -> None:
        #: The secrets known so far; replaced (never changed) when one is added, so that a kept
        #: request's secrets are still this client's while it is the same tuple.
        self.known: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def add(self, value: object) -> None:
        """Redact ``value`` (a non-empty string) from this client's errors from now on."""
        if isinstance(value, str) and value and value not in self.known:
            with self._lock:
                if value not in self.known:
                    self.known = (*self.known, value)

    def of_request(self, headers: Mapping[str, str]) -> tuple[str, ...]:
        """The secrets a request's error may repeat: the known ones and its credential headers."""
        found = list(self.known)
        for name, value in headers.items():
            lowered = name.lower()
            if lowered == "authorization" and value:
                found.append(value)
                credential = value.partition(" ")[2]
                if credential.strip():  # "Bearer ..." on some other API: the credential alone
                    found.append(credential.strip())
            elif lowered == "cookie":
                for pair in value.split(";"):
                    cookie = pair.partition("=")[2].strip()
                    if len(cookie) >= MIN_COOKIE:
                        found.append(cookie)
        return tuple(found)


def remember_secrets(rest_client: object, model: object, wire: object) -> None:
    """Hand ``rest_client`` the values of ``model``'s secret fields (``peblar_secrets``: their
    keys in ``wire``, the body as it will be sent). The generated ``ApiClient`` calls this."""
    keys = getattr(model, "peblar_secrets", ())
    secrets = getattr(rest_client, "secrets", None)
    if keys and isinstance(wire, dict) and isinstance(secrets, Secrets):
        for key in keys:
            secrets.add(wire.get(key))


def _forms(secret: str) -> Iterator[str]:
    """``secret`` as it may be repeated: raw, JSON-escaped, percent-encoded."""
    yield secret
    yield json.dumps(secret)[1:-1]
    yield json.dumps(secret, ensure_ascii=False)[1:-1]
    yield quote(secret, safe="")
    yield quote_plus(secret)


def _pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    forms = {form for secret in secrets if secret for form in _forms(secret)}
    if not forms:
        return None
    # Longest first, so a secret's escaped form is not left half-redacted by a shorter one.
    alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    return re.compile(alternatives, re.IGNORECASE)


def redact_error(error: BaseException, secrets: tuple[str, ...]) -> None:
    """Redact ``secrets`` from every text ``error`` carries, and from the errors it chains.

    The message and ``args`` (what ``str`` and ``repr`` show), and every string attribute:
    ``statusmsg``, ``reason``, ``body``, the answer's ``headers``. A chained low-level error
    (``__cause__``, ``__context__``) has its ``args`` redacted too: a traceback prints them.
    """
    pattern = _pattern(secrets)
    if pattern is None:
        return
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        _redact_one(current, pattern, seen)
        current = current.__cause__ or current.__context__


def _redact_one(error: BaseException, pattern: re.Pattern[str], seen: set[int]) -> None:
    error.args = tuple(_redact_value(arg, pattern, seen) for arg in error.args)
    for name, value in list(vars(error).items()) if hasattr(error, "__dict__") else ():
        redacted = _redact_value(value, pattern, seen)
        if redacted is not value:
            setattr(error, name, redacted)


def _redact_value(value: Any, pattern: re.Pattern[str], seen: set[int]) -> Any:
    if isinstance(value, str):
        redacted = pattern.sub(MASK, value)
        return value if redacted == value else redacted
    if isinstance(value, Mapping):
        items = {key: _redact_value(item, pattern, seen) for key, item in value.items()}
        changed = any(items[key] is not item for key, item in value.items())
        return items if changed else value
    if isinstance(value, BaseException) and id(value) not in seen:
        seen.add(id(value))
        _redact_one(value, pattern, seen)
    return value


def hide_secret_fields(model: Any, fields: Iterable[tuple[str | None, Any]]) -> Iterator[Any]:
    """A generated model's repr arguments with its secret fields' values hidden."""
    secret = set(getattr(model, "peblar_secrets", ()))
    infos = type(model).model_fields
    for name, value in fields:
        info = infos.get(name) if name is not None else None
        hidden = info is not None and (info.alias or name) in secret
        yield name, "**********" if hidden else value
