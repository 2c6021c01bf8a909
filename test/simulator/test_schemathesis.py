"""Property-based: schemathesis generates requests from the spec; the simulator must conform.

No 5xx, and every answer's status, content type, headers and body as the spec says, for whatever
valid request hypothesis comes up with (including writes, and the toggling charge-session call).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pyPeblar.simulator import Simulator
from test.conftest import ROOT

schema = schemathesis.openapi.from_path(ROOT / "openapi" / "peblar.yaml")


@pytest.fixture(scope="module")
def live() -> Iterator[Simulator]:
    with Simulator(rate_limit=False, phase_switch_delay=0.05) as simulator:
        simulator.plug_in()
        yield simulator


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_simulator_conforms_to_the_spec(case: schemathesis.Case[Any], live: Simulator) -> None:
    case.call_and_validate(
        base_url=live.api_url,
        headers={"Authorization": live.token},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )
