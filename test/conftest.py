"""Shared test helpers: charger-shaped fixtures, the spec, and a simulator with a client.

Every client test talks HTTP to a real simulator on loopback; nothing of pyPeblar is mocked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyPeblar import ChargerMemory, Peblar
from pyPeblar.simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: Fast retries and short timeouts, so failure paths are exercised for real without slowing tests.
FAST: dict[str, Any] = {"timeout": (1.0, 2.0), "backoff": 0.01}


def fixture_text(name: str) -> str:
    """A captured-style charger response, exactly as a charger formats it."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_text(name))
    return data


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """The checked-in OpenAPI spec."""
    import yaml

    data: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "peblar.yaml").read_text())
    return data


def schema_errors(spec: dict[str, Any], name: str, instance: object) -> list[str]:
    """What is wrong with ``instance`` as a ``name`` of the spec (strict: what the spec says)."""
    from openapi_schema_validator import OAS30Validator

    validator = OAS30Validator(
        {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    )
    return sorted(error.message for error in validator.iter_errors(instance))


def client_for(simulator: Simulator, **options: Any) -> Peblar:
    """A client of ``simulator`` with fast test settings and its own relay memory."""
    settings: dict[str, Any] = {**FAST, "memory": ChargerMemory(), **options}
    return Peblar(simulator.host, simulator.token, **settings)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """The default simulator: three-phase socket charger, ReadWrite, rate limit on."""
    with Simulator(phase_switch_delay=0.2) as simulator:
        yield simulator


@pytest.fixture
def charger(sim: Simulator) -> Iterator[Peblar]:
    """A client of ``sim``."""
    with client_for(sim) as client:
        yield client
