"""Shared test helpers: charger-shaped fixtures and the spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_text(name: str) -> str:
    """A captured-style charger response, exactly as a charger formats it."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_text(name))
    return data


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """The checked-in OpenAPI spec, as the package ships it (pyPeblar/openapi.json)."""
    import yaml

    data: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "peblar.yaml").read_text())
    return data
