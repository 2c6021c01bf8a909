"""Plain-HTTP helpers for the simulator's tests: what any client on the network would see."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pyPeblar.simulator import Simulator
from test.simulator.web import WebClient, client_of

BASE = "/api/wlac/v1"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


def call(
    sim: Simulator,
    method: str,
    path: str,
    body: object = None,
    *,
    token: str | None = "",
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> Answer:
    """One request on a new connection. ``token=""`` sends the simulator's token, None none."""
    connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
    try:
        send = dict(headers or {})
        if token is not None:
            send["Authorization"] = token or sim.token
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            send.setdefault("Content-Type", "application/json")
        full = path if path.startswith("/api/") else BASE + path
        connection.request(method, full, body=data, headers=send)
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


@pytest.fixture
def web(sim: Simulator) -> Iterator[WebClient]:
    """A plain ``WebClient`` of ``sim``, logged in (closed after the test)."""
    client = client_of(sim)
    yield client
    client.close()
