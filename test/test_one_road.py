"""Proof by regeneration: a new operation in the spec is safe without a hand-written line.

A scratch copy of the project gains ``GET /sessions`` and ``POST /sessions`` with a new schema and
is regenerated for real. The new ``SessionsApi``, used on a plain ``ApiClient`` against the
scratch project's simulator (with the route added), must time out within the call deadline on a
hanging answer, retry a 503 GET but never a POST, take any 2xx of the POST as its success (a
GET's empty 204 is no answer), raise ``PeblarAuthenticationError`` (also an
``UnauthorizedException``) on a wrong token, wait under the shared rate limiter, and log no header
with ``configuration.debug = True``. ``test/probe_new_operation.py`` does the using.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

from test.conftest import ROOT
from test.test_generation import needs_generator, regenerate, scratch_project


def add_sessions_to(spec_file: Path) -> None:
    """What a user does when firmware gains an operation: describe it in the spec."""
    spec = yaml.safe_load(spec_file.read_text())
    schemas = spec["components"]["schemas"]
    schemas["Session"] = {
        "type": "object",
        "x-peblar-lenient": True,
        "description": "One charge session (a future firmware's operation).",
        "properties": {
            "SessionId": {"type": "string", "description": "The session."},
            "EnergyWh": {"type": "integer", "description": "Energy charged, in Wh."},
        },
        "example": {"SessionId": "7f3a9c2e", "EnergyWh": 12304},
    }
    schemas["SessionList"] = {
        "type": "object",
        "x-peblar-lenient": True,
        "description": "Charge sessions.",
        "properties": {
            "Sessions": {"type": "array", "items": {"$ref": "#/components/schemas/Session"}}
        },
        "example": {"Sessions": [{"SessionId": "7f3a9c2e", "EnergyWh": 12304}]},
    }
    answer = {
        "200": {
            "description": "The sessions.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SessionList"}}
            },
        }
    }
    spec["paths"]["/sessions"] = {
        "get": {
            "operationId": "get_sessions",
            "tags": ["Sessions"],
            "summary": "List charge sessions",
            "responses": answer,
        },
        "post": {
            "operationId": "start_session",
            "tags": ["Sessions"],
            "summary": "Start a charge session (not safe to repeat)",
            # As the spec's other operations do: `default` is the error response.
            "responses": {**answer, "default": {"$ref": "#/components/responses/Error"}},
        },
    }
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp_path = tmp_path_factory.mktemp("one-road")
    project = scratch_project(tmp_path)
    add_sessions_to(project / "openapi" / "peblar.yaml")
    result = regenerate(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "pyPeblar" / "api" / "sessions_api.py").exists()
    assert not (ROOT / "pyPeblar" / "api" / "sessions_api.py").exists()
    shutil.copy(ROOT / "test" / "probe_new_operation.py", project / "probe.py")
    # Without site (-S), so the development install cannot put the real pyPeblar first.
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(project), sysconfig.get_paths()["purelib"]]),
    }
    run = subprocess.run(
        [sys.executable, "-S", "probe.py"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=project,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    seen: dict[str, Any] = json.loads(run.stdout)
    assert seen["file"].startswith(str(project))
    return seen


pytestmark = [pytest.mark.generator, pytest.mark.slow, needs_generator]


def test_the_new_class_reads_typed_data(probe: dict[str, Any]) -> None:
    assert "SessionsApi" in probe["api_classes"]
    assert probe["read"] == ["SessionList", "7f3a9c2e"]


def test_a_hanging_answer_ends_within_the_call_deadline(probe: dict[str, Any]) -> None:
    outcome, seconds = probe["hang"]
    assert outcome == "PeblarConnectionTimeoutError"
    assert seconds < 3.0  # the 2 s deadline, not 3 x the 10 s read timeout


def test_a_503_get_is_retried(probe: dict[str, Any]) -> None:
    outcome, routes = probe["503 GET"]
    assert outcome == "SessionList"
    assert routes == {"GET /sessions": 2}


def test_a_post_is_never_repeated(probe: dict[str, Any]) -> None:
    error, routes, request_sent = probe["503 POST"]
    assert error == "PeblarServerError"
    assert routes == {"POST /sessions": 1}
    assert request_sent is True


def test_a_post_answered_with_any_2xx_succeeds(probe: dict[str, Any]) -> None:
    # No body, null, the error model's shape: the charger acted; never an error or an ApiError.
    assert probe["2xx POST"] == ["NoneType", "NoneType", "SessionList"]
    assert probe["204 GET"] == "PeblarInvalidResponseError"  # a read that returns nothing


def test_a_wrong_token_is_both_error_trees(probe: dict[str, Any]) -> None:
    assert probe["wrong token"] == ["PeblarAuthenticationError", True, True]


def test_the_shared_rate_limiter_keeps_it_under_the_charger_limit(probe: dict[str, Any]) -> None:
    statuses, seconds = probe["rate limit"]
    assert statuses == {"200": 15}  # no 429
    assert seconds >= 1.0  # 15 calls at 4.5/s after a burst of 9 must have waited


def test_debug_mode_logs_without_headers(probe: dict[str, Any]) -> None:
    debug = probe["debug"]
    assert debug["token shown"] is False
    assert debug["authorization shown"] is False
    assert debug["logged"] and "GET /api/wlac/v1/sessions -> 200" in debug["logged"][0]
