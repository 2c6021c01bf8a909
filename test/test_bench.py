"""The benchmark must keep running: quick mode completes and prints every figure."""

from __future__ import annotations

import subprocess
import sys

import pytest

from test.conftest import ROOT


@pytest.mark.slow
def test_quick_benchmark_prints_every_figure() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for figure in (
        "1. Per call",
        "GET /meter",
        "GET /evinterface",
        "Peblar client / floor: CPU",
        "generated API class / floor: CPU",
        "2. Decoding one payload",
        "model_validate_json (the ApiClient's path)",
        "3. Cold start",
        "pypeblar --help",
        "pypeblar --json meter",
        "4. Connections and memory",
        "connections the simulator saw for 1000 sequential calls: 1\n",
        "resident memory growth over",
        "5. Threads sharing one client",
        "16 threads",
        "6. Other Python Peblar clients",
    ):
        assert figure in out, figure
    simulator = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "simulator_throughput.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert simulator.returncode == 0, simulator.stderr
    assert "sequential keep-alive GET /meter per second" in simulator.stdout
