"""The benchmark must keep running: quick mode completes and prints every figure.

Figures are checked for being there, with numbers; the targets are reported by the benchmark,
never asserted here (a CI machine is too noisy for them).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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
        "6. The synchronous client against other Python Peblar clients",
        "7. Asyncio, GET /meter",
        "8. Importing the async client",
        "9. Web interface, GET /api/v1/config/user",
        "10. Importing the web client",
        "11. Live events: from a change in the simulator to the event in the program",
        "12. Modbus, meter()",
        "pypeblar --modbus --json meter",
    ):
        assert figure in out, figure
    number = r"\d+(\.\d+)?"
    for line in (
        rf"aiohttp session \+ validate \(floor\) +{number} us +{number} us +{number} us\n",
        rf"asyncio generated API class +{number} us +{number} us +{number} us\n",
        rf"AsyncPeblar client +{number} us +{number} us +{number} us\n",
        rf"AsyncPeblar client / floor: CPU {number}x, wall {number}x\n",
        rf"asyncio generated API class / floor: CPU {number}x, wall {number}x\n",
        # Without --others (as in CI) the comparison says it was skipped; with it, the ratio.
        rf"(the peblar package: skipped: .+"
        rf"|AsyncPeblar client / peblar [\d.]+: CPU {number}x .+)\n",
        rf"(the peblar package: skipped: .+"
        rf"|Peblar client \(synchronous\) / peblar [\d.]+: CPU {number}x .+)\n",
        rf"'import aiohttp, pydantic' \(floor\) +{number} ms +{number}x\n",
        rf"'from pyPeblar import AsyncPeblar; .+' +{number} ms +{number}x\n",
        rf"async client import / floor: {number}x \(target <= 1.2x: (met|NOT met)\)\n",
    ):
        assert re.search(line, out), line
    modbus = out[out.index("12. Modbus") :]
    for line in (
        rf"\n +pymodbus read \+ MeterResponse \(floor\) +{number} us +{number} us +{number} us\n",
        rf"\n +PeblarModbus client +{number} us +{number} us +{number} us\n",
        rf"\n +Peblar client, over HTTP +{number} us +{number} us +{number} us\n",
        rf"PeblarModbus client / floor: CPU {number}x \(per-round median {number}x\)",
        rf"PeblarModbus client / Peblar client, over HTTP: CPU {number}x\n",
        rf"\n +pymodbus asyncio read \+ model \(floor\) +{number} us +{number} us +{number} us\n",
        rf"\n +AsyncPeblarModbus client +{number} us +{number} us +{number} us\n",
        rf"AsyncPeblarModbus client / asyncio floor: CPU {number}x \(per-round median {number}x\)",
    ):
        assert re.search(line, modbus), line
    web = out[out.index("9. Web interface") :]
    timings = rf" +{number} us +{number} us +{number} us\n"  # CPU, wall median, wall p95
    for line in (
        rf"\n +urllib3 pool \+ cookie \+ validate \(floor\){timings}",
        rf"\n +PeblarWeb client{timings}",
        rf"\n +aiohttp session \+ cookie \+ validate \(floor\){timings}",
        rf"\n +AsyncPeblarWeb client{timings}",
        rf"PeblarWeb client / floor: CPU {number}x, wall {number}x\n",
        rf"AsyncPeblarWeb client / floor: CPU {number}x, wall {number}x\n",
        rf"(the peblar package: skipped: .+"
        rf"|AsyncPeblarWeb client / peblar [\d.]+: CPU {number}x \(no target\))\n",
    ):
        assert re.search(line, web), line
    web_import = out[out.index("10. Importing the web client") :]
    for line in (
        rf"'import pydantic, urllib3' \(floor\) +{number} ms +{number}x\n",
        rf"'from pyPeblar import PeblarWeb' +{number} ms +{number}x\n",
        rf"'from pyPeblar import PeblarWeb; import pyPeblar.webui.api_client, \.\.\.' "
        rf"+{number} ms +{number}x\n",
    ):
        assert re.search(line, web_import), line
    live = out[out.index("11. Live events") :]
    latencies = rf" +{number} us +{number} us +{number} us\n"  # median, p99, CPU per event
    memory = rf" +{number} MiB +{number} MiB  growth [+-]{number} MiB\n"
    for name in (
        r"aiohttp websocket \+ model \(floor\)",
        r"PeblarWeb\.events\(\)",
        r"AsyncPeblarWeb\.events\(\)",
    ):
        assert re.search(rf"\n +{name}{latencies}", live), name
        assert re.search(rf"\n +{name}{memory}", live), name
        assert re.search(rf"{name} / floor: latency {number}x\n", live) or "floor" in name, name
    # The peblar package is a development requirement: in CI it runs in this interpreter.
    assert re.search(
        rf"(the peblar package: skipped: .+|\n +peblar [\d.]+ \(PeblarWebsocket\){latencies})",
        live,
    )
    simulator = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "simulator_throughput.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert simulator.returncode == 0, simulator.stderr
    assert "sequential keep-alive GET /meter per second" in simulator.stdout


OTHERS = os.environ.get("PYPEBLAR_BENCH_OTHERS", "/tmp/others/bin/python")

#: Sections 6 and 7 alone (both read the same rounds), quick, with the other interpreter's clients
#: timed in lockstep.
SECTION_7 = """
import sys
sys.path.insert(0, sys.argv[1])
import run
from _simulator_process import SimulatorProcess
with SimulatorProcess() as simulator:
    rows, skipped = run.asyncio_per_call(run.QUICK, simulator.host, simulator.token, sys.argv[2])
run.print_synchronous_against_others(rows, skipped)
run.print_asyncio(run.QUICK, rows, skipped)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path(OTHERS).exists(), reason=f"no {OTHERS} (docs/performance.md)")
def test_async_comparison_with_the_peblar_package() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SECTION_7, str(ROOT / "bench"), OTHERS],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    number = r"\d+(\.\d+)?"
    for line in (
        rf"peblar [\d.]+ \(PeblarApi.meter\) +{number} us +{number} us +{number} us\n",
        rf"AsyncPeblar client / peblar [\d.]+: CPU {number}x \(target <= 1.0x: (met|NOT met)\)\n",
        rf"asyncio generated API class / peblar [\d.]+: CPU {number}x \(no target\)\n",
        rf"urllib3 pool \+ validate \(sync floor\) / peblar [\d.]+: CPU {number}x \(no target\)\n",
        rf"Peblar client \(synchronous\) / peblar [\d.]+: CPU {number}x "
        rf"\(target <= 0.9x: (met|NOT met)\)\n",
    ):
        assert re.search(line, result.stdout), line


#: Section 9 alone, quick, with the peblar package's web client timed in lockstep.
SECTION_9 = """
import sys
sys.path.insert(0, sys.argv[1])
import run
from _simulator_process import SimulatorProcess
with SimulatorProcess() as simulator:
    rows, skipped = run.web_per_call(run.QUICK, simulator.host, sys.argv[2])
run.print_web(run.QUICK, rows, skipped)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path(OTHERS).exists(), reason=f"no {OTHERS} (docs/performance.md)")
def test_web_comparison_with_the_peblar_package() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SECTION_9, str(ROOT / "bench"), OTHERS],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    number = r"\d+(\.\d+)?"
    for line in (
        rf"peblar [\d.]+ \(Peblar.user_configuration\) +{number} us +{number} us +{number} us\n",
        rf"PeblarWeb client / peblar [\d.]+: CPU {number}x \(no target\)\n",
        rf"AsyncPeblarWeb client / peblar [\d.]+: CPU {number}x \(no target\)\n",
    ):
        assert re.search(line, result.stdout), line
