"""Run by test_one_road.py in a scratch project whose spec gained ``/sessions`` and was regenerated.

It uses only what regeneration made (``pyPeblar.SessionsApi``, ``pyPeblar.SessionList``) the way an
openapi-generator user would, on a plain ``ApiClient``, against the scratch project's simulator
with the new route added, and prints what it saw as one JSON document. Nothing hand-written knows
the new operation.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
import time
from typing import Any

import pyPeblar
from pyPeblar.simulator import Simulator

SESSIONS = {"Sessions": [{"SessionId": "7f3a9c2e", "EnergyWh": 12304}]}


def timed(call: Any) -> tuple[str, float]:
    """The call's outcome (a result's class or the error's) and the seconds it took."""
    started = time.monotonic()
    try:
        outcome = type(call()).__name__
    except Exception as error:
        outcome = type(error).__name__
    return outcome, round(time.monotonic() - started, 2)


def main() -> None:
    seen: dict[str, Any] = {"file": pyPeblar.__file__}
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("pyPeblar").addHandler(handler)
    logging.getLogger("pyPeblar").setLevel(logging.DEBUG)

    with Simulator(rate_limit=False) as sim:
        sim.add_route("GET", "/sessions", lambda body: (200, SESSIONS))
        sim.add_route("POST", "/sessions", lambda body: (200, SESSIONS))
        configuration = pyPeblar.Configuration(
            host=f"http://{sim.host}/api/wlac/v1", api_key={"ApiToken": sim.token}
        )
        api_client = pyPeblar.ApiClient(configuration)
        api_client.rest_client.policy = pyPeblar.Policy(deadline=2.0, backoff=0.05)
        sessions_api = pyPeblar.SessionsApi(api_client)
        seen["api_classes"] = pyPeblar.api.__all__

        read = sessions_api.get_sessions()
        seen["read"] = [type(read).__name__, read.sessions[0].session_id]

        sim.inject("hang", path="/sessions", method="GET", seconds=30, times=None)
        seen["hang"] = timed(sessions_api.get_sessions)
        sim.clear_faults()

        sim.reset_stats()
        sim.inject("status", path="/sessions", method="GET", status=503, times=1)
        seen["503 GET"] = [timed(sessions_api.get_sessions)[0], sim.stats().by_route]

        sim.reset_stats()
        sim.inject("status", path="/sessions", method="POST", status=503, times=None)
        error: Any = None
        try:
            sessions_api.start_session()
        except pyPeblar.PeblarError as caught:
            error = caught
        seen["503 POST"] = [type(error).__name__, sim.stats().by_route, error.request_sent]
        sim.clear_faults()

        answers = []
        for status, body in ((204, b""), (200, b"null"), (200, b'{"statusmsg": "Forbidden"}')):
            sim.inject("status", path="/sessions", method="POST", status=status, body=body)
            answers.append(type(sessions_api.start_session()).__name__)
        seen["2xx POST"] = answers
        sim.inject("status", path="/sessions", method="GET", status=204, body=b"")
        seen["204 GET"] = timed(sessions_api.get_sessions)[0]

        wrong = pyPeblar.ApiClient(
            pyPeblar.Configuration(
                host=f"http://{sim.host}/api/wlac/v1", api_key={"ApiToken": "f" * 64}
            )
        )
        try:
            pyPeblar.SessionsApi(wrong).get_sessions()
        except pyPeblar.ApiException as caught:
            seen["wrong token"] = [
                type(caught).__name__,
                isinstance(caught, pyPeblar.PeblarAuthenticationError),
                isinstance(caught, pyPeblar.exceptions.UnauthorizedException),
            ]

        sim.rate_limit = True
        sim.reset_stats()
        started = time.monotonic()
        for _ in range(15):
            sessions_api.get_sessions()
        seen["rate limit"] = [sim.stats().by_status, round(time.monotonic() - started, 2)]

        configuration.debug = True
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            sessions_api.get_sessions()
        configuration.debug = False
        output = printed.getvalue() + "\n".join(records)
        seen["debug"] = {
            "token shown": sim.token in output,
            "authorization shown": "Authorization" in output,
            "logged": [r for r in records if "/sessions ->" in r][-1:],
        }
    json.dump(seen, sys.stdout)


if __name__ == "__main__":
    main()
