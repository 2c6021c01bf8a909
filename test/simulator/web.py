"""A plain urllib3 client of the simulator's web interface, checking every answer against the spec.

No pyPeblar client class: what any program on the network would see. Every answer of a path the
spec knows is validated against ``openapi/webui.yaml`` (the 2xx schema of that operation, or
``WebError`` for an error), so the spec and the simulator cannot drift apart.
"""

from __future__ import annotations

import json
import re
import time
from functools import cache
from typing import Any

import urllib3
import yaml

from pyPeblar.simulator import Simulator
from test.conftest import ROOT

WEB = "/api/v1"


@cache
def web_spec() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "webui.yaml").read_text())
    return data


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    found = []
    for template, item in web_spec()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        for method, operation in item.items():
            if method != "parameters":
                found.append((pattern, method.upper(), operation))
    return found


def operation_for(method: str, path: str) -> dict[str, Any] | None:
    for pattern, verb, operation in _operations():
        if verb == method and pattern.match(path):
            return operation
    return None


def schema_problems(schema: dict[str, Any], instance: object) -> list[str]:
    from openapi_schema_validator import OAS30Validator

    validator = OAS30Validator({**schema, "components": web_spec()["components"]})
    return sorted(error.message for error in validator.iter_errors(instance))


def check_against_spec(method: str, path: str, status: int, body: bytes) -> None:
    """Fail when an answer is not what the spec says this operation answers."""
    operation = operation_for(method, path)
    if operation is None:
        return  # an unknown path: the simulator's 404 is checked as an error body below
    responses = operation["responses"]
    answer = responses.get(str(status))
    if answer is None:
        assert status >= 400, f"{method} {path}: {status} is not in the spec"
        answer = responses["default"]
    if "$ref" in answer:
        answer = web_spec()["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    content = answer.get("content")
    if content is None:
        assert body == b"", f"{method} {path}: the spec says no body, got {body[:80]!r}"
        return
    schema = content["application/json"]["schema"]
    problems = schema_problems(schema, json.loads(body))
    assert problems == [], f"{method} {path} {status}: {problems}"


class WebClient:
    """A browser without a browser: one cookie, JSON in and out."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(5.0))
        self.cookie = ""

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        base: str = WEB,
    ) -> tuple[int, Any, urllib3.BaseHTTPResponse]:
        """(status, JSON body or None when empty, response); checked against the spec."""
        send = {"Content-Type": "application/json", **(headers or {})}
        if self.cookie and base == WEB:
            send["Cookie"] = self.cookie
        url = f"{self.sim.url}{base}{path}"
        response = self.pool.request(
            method,
            url,
            fields=query,
            body=None if body is None else json.dumps(body).encode(),
            headers=send,
        )
        if base == WEB:
            check_against_spec(method, path, response.status, response.data)
        data = json.loads(response.data) if response.data else None
        return response.status, data, response

    def get(self, path: str, **options: Any) -> Any:
        status, data, _ = self.request("GET", path, **options)
        assert status == 200, (path, status, data)
        return data

    def ok(self, method: str, path: str, body: object = None) -> None:
        status, data, _ = self.request(method, path, body)
        assert status == 200, (method, path, status, data)

    def status(self, method: str, path: str, body: object = None) -> int:
        return self.request(method, path, body)[0]

    def login(self, password: str = "peblar") -> int:
        status, _, response = self.request(
            "POST", "/auth/login", {"Password": password, "PersistentSession": False}
        )
        if status == 200:
            self.cookie = response.headers["Set-Cookie"].split(";")[0]
        return status

    def local(self, method: str, path: str, body: object = None, token: str | None = None) -> Any:
        """A local REST API call with the simulator's token (or ``token``): (status, JSON)."""
        status, data, _ = self.request(
            method,
            path,
            body,
            headers={"Authorization": token or self.sim.token},
            base="/api/wlac/v1",
        )
        return status, data

    def wait_until_rebooted(self, deadline: float = 30.0) -> None:
        """Poll until the charger is back and has forgotten our session (never a fixed sleep)."""
        ends = time.monotonic() + deadline
        while time.monotonic() < ends:
            try:
                if self.status("GET", "/config/user") == 401:
                    return
            except (urllib3.exceptions.HTTPError, OSError):
                pass  # down: connection refused or cut
            time.sleep(0.02)
        raise AssertionError(f"the simulator did not come back within {deadline} s")

    def close(self) -> None:
        self.pool.clear()


def client_of(sim: Simulator) -> WebClient:
    """A ``WebClient`` of ``sim``, logged in."""
    client = WebClient(sim)
    assert client.login() == 200
    return client
