"""Getting the API token with the web interface password.

The charger's web interface has its own JSON API under ``/api/v1/``: not yet in a spec, so the
six calls are made here, through the same policy layer as every other request. With the owner's
password it can switch the local REST API on and read its token, so a user never has to copy 64
characters out of a browser. Neither the password nor the token is ever logged or put in an error
message: bodies of these calls are parsed here and never echoed.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from pyPeblar._address import Address
from pyPeblar._errors import PeblarAuthenticationError, PeblarError, PeblarSetupError
from pyPeblar._policy import Policy
from pyPeblar._rest import RESTClientObject

__all__ = ["fetch_token"]

logger = logging.getLogger("pyPeblar")

WEB: Final = "/api/v1"
ACCESS_MODES: Final = ("ReadOnly", "ReadWrite")
JSON_HEADERS: Final = {"Accept": "application/json", "Content-Type": "application/json"}


class WebSession:
    """A logged-in web-interface session; logs in again once if the charger forgets it."""

    def __init__(self, rest: RESTClientObject, address: Address, password: str) -> None:
        self.rest = rest
        self.base = f"http://{address.netloc}{WEB}"
        self.address = address
        self.password = password
        self.cookie = ""

    def login(self) -> None:
        body = json.dumps({"Password": self.password, "PersistentSession": False}).encode()
        try:
            response = self.rest.request(
                "POST", f"{self.base}/auth/login", headers=JSON_HEADERS, body=body
            )
        except PeblarAuthenticationError as error:
            raise PeblarAuthenticationError(
                "the charger's web interface refused the password",
                status=error.status,
                statusmsg=error.statusmsg,
            ) from None
        cookies = response.headers.getlist("Set-Cookie")
        self.cookie = "; ".join(c.split(";", 1)[0].strip() for c in cookies if "=" in c)
        if not self.cookie:
            raise PeblarSetupError("the web interface accepted the password but gave no session")
        logger.debug("logged in to the web interface of %s", self.address.netloc)

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """A JSON call in the session (None for an empty answer); on a 401, log in again once."""
        for attempt in (1, 2):
            headers = {**JSON_HEADERS, "Cookie": self.cookie}
            body = None if payload is None else json.dumps(payload).encode()
            try:
                response = self.rest.request(method, self.base + path, headers=headers, body=body)
            except PeblarAuthenticationError:
                if attempt == 2:
                    raise
                self.login()
                continue
            if not response.data.strip():
                return None
            try:
                return json.loads(response.data)
            except ValueError:
                raise PeblarSetupError(f"{method} {WEB}{path}: the answer is not JSON") from None
        raise AssertionError("unreachable")

    def logout(self) -> None:
        try:
            self.rest.request(
                "POST", f"{self.base}/auth/logout", headers={"Cookie": self.cookie}, retry=False
            )
        except PeblarError as error:
            logger.debug("logging out of the web interface failed: %s", error)


def fetch_token(address: Address, password: str, *, access_mode: str, policy: Policy) -> str:
    """Log in, enable the local REST API in ``access_mode`` if allowed, read the token, log out."""
    if not isinstance(password, str) or not password:
        raise ValueError("the web interface password must be a non-empty string")
    if access_mode not in ACCESS_MODES:
        raise ValueError(f"access_mode must be 'ReadOnly' or 'ReadWrite', not {access_mode!r}")
    rest = RESTClientObject.for_url(f"http://{address.netloc}{WEB}", policy=policy)
    session = WebSession(rest, address, password)
    try:
        session.login()
        try:
            return _enable_and_read_token(session, access_mode)
        finally:
            session.logout()
    finally:
        rest.close()


def _enable_and_read_token(session: WebSession, access_mode: str) -> str:
    settings = session.call("GET", "/config/user")
    if not isinstance(settings, dict):
        raise PeblarSetupError("the charger's user settings could not be read")
    if settings.get("LocalRestApiAllowed") is False:
        raise PeblarSetupError(
            "this charger does not allow the local REST API (LocalRestApiAllowed is off); "
            "the installer has to allow it"
        )
    if (
        settings.get("LocalRestApiEnable") is not True
        or settings.get("LocalRestApiAccessMode") != access_mode
    ):
        session.call(
            "PATCH",
            "/config/user",
            {"LocalRestApiEnable": True, "LocalRestApiAccessMode": access_mode},
        )
        logger.info("enabled the local REST API (%s) on %s", access_mode, session.address.netloc)
    answer = session.call("GET", "/config/api-token")
    token = answer.get("ApiToken") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token.strip():
        raise PeblarSetupError("the charger gave no API token")
    return token.strip()
