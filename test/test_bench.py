"""The benchmark must keep running: quick mode completes and prints every figure.

Figures are checked for being there, with numbers; the targets are reported by the benchmark,
never asserted here (a CI machine is too noisy for them).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from test.conftest import ROOT

NUMBER = r"\d+(\.\d+)?"
#: A ratio as the benchmark prints it: the median of same-round ratios [the middle half].
RATIO = rf"{NUMBER}x \[{NUMBER}-{NUMBER}(; blocks {NUMBER}-{NUMBER})?\]"
TIMINGS = rf" +{NUMBER} us +{NUMBER} us +{NUMBER} us\n"  # CPU, wall median, wall p95
VERDICT = r"\(target <= [\d.]+x: (met|NOT met)\)"


def bench(*arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def section(out: str, title: str) -> str:
    """The text of one numbered section, up to the next one."""
    start = out.index(title)
    following = re.search(r"\n\d+\. ", out[start + len(title) :])
    return out[start : start + len(title) + following.start() if following else len(out)]


def assert_lines(text: str, *patterns: str) -> None:
    """Fail, naming the first one missing, unless ``text`` has every pattern (``re.search``)."""
    for pattern in patterns:
        assert re.search(pattern, text), pattern


@pytest.mark.slow
def test_quick_benchmark_prints_every_figure() -> None:
    out = bench(str(ROOT / "bench" / "run.py"), "--quick")
    per_call = section(out, "1. Per call")
    assert_lines(
        per_call,
        rf"GET /meter\n.*\n +urllib3 pool \+ validate \(floor\){TIMINGS}",
        rf" +generated API class{TIMINGS}",
        rf" +Peblar client{TIMINGS}",
        rf"Peblar client / floor: CPU {RATIO} {VERDICT}, wall {NUMBER}x\n",
        rf"generated API class / floor: CPU {RATIO} \(no target\), wall {NUMBER}x\n",
        r"GET /evinterface\n",
    )
    assert "model_validate_json (the ApiClient's path)" in section(out, "2. Decoding")
    cold = section(out, "3. Cold start")
    assert_lines(
        cold,
        rf"'import pydantic, urllib3' \(floor\) +{NUMBER} ms +{RATIO}\n",
        rf"pypeblar --help +{NUMBER} ms +{RATIO}\n",
        rf"pypeblar --json meter +{NUMBER} ms +{RATIO}\n",
        rf"first Peblar.meter\(\) from a cold start +{NUMBER} ms +{RATIO} {VERDICT}\n",
        rf"urllib3 GET \+ MeterResponse.model_validate_json, cold +{NUMBER} ms +{RATIO}\n",
        r"generated modules the first meter\(\) loads: pyPeblar.api.meter_api, "
        r"pyPeblar.models.meter_response \(target: the meter's alone: met\)\n",
    )
    usage = section(out, "4. Connections and memory")
    assert "connections the simulator saw for 1000 sequential calls: 1\n" in usage
    assert "resident memory growth over" in usage
    assert "16 threads" in section(out, "5. Threads sharing one client")
    # The peblar package is a development requirement: its rows are there, in its own process.
    peer = section(out, "6. The synchronous client against the peblar package")
    assert_lines(
        peer,
        rf"urllib3 pool \+ validate \(floor\) / peblar [\d.]+: CPU {RATIO} \(no target\)",
        rf"Peblar client / peblar [\d.]+: CPU {RATIO} {VERDICT}",
    )
    asyncio = section(out, "7. Asyncio, GET /meter")
    assert_lines(
        asyncio,
        rf"\n +aiohttp session \+ validate \(floor\){TIMINGS}",
        rf"\n +asyncio generated API class{TIMINGS}",
        rf"\n +AsyncPeblar client{TIMINGS}",
        rf"\n +peblar [\d.]+ \(PeblarApi.meter\){TIMINGS}",
        rf"AsyncPeblar client / floor: CPU {RATIO} {VERDICT}, wall {NUMBER}x\n",
        rf"AsyncPeblar client / peblar [\d.]+: CPU {RATIO} {VERDICT}, wall {NUMBER}x\n",
        rf"asyncio generated API class / peblar [\d.]+: CPU {RATIO} \(no target\)",
    )
    imports = section(out, "8. Importing the async client")
    assert_lines(
        imports,
        rf"'import aiohttp, pydantic' \(floor\) +{NUMBER} ms +{RATIO}\n",
        rf"'from pyPeblar import AsyncPeblar; .+' +{NUMBER} ms +{RATIO} {VERDICT}\n",
    )
    web = section(out, "9. Web interface, GET /api/v1/config/user")
    assert_lines(
        web,
        rf"\n +urllib3 pool \+ cookie \+ validate \(floor\){TIMINGS}",
        rf"\n +PeblarWeb client{TIMINGS}",
        rf"\n +aiohttp session \+ cookie \+ validate \(floor\){TIMINGS}",
        rf"\n +AsyncPeblarWeb client{TIMINGS}",
        rf"\n +peblar [\d.]+ \(Peblar.user_configuration\){TIMINGS}",
        rf"PeblarWeb client / floor: CPU {RATIO} \(no target\), wall {NUMBER}x\n",
        rf"AsyncPeblarWeb client / peblar [\d.]+: CPU {RATIO} \(no target\)",
    )
    web_import = section(out, "10. Importing the web client")
    assert_lines(
        web_import,
        rf"'import pydantic, urllib3' \(floor\) +{NUMBER} ms +{RATIO}\n",
        rf"'from pyPeblar import PeblarWeb' +{NUMBER} ms +{RATIO}\n",
        rf"'from pyPeblar import PeblarWeb; import pyPeblar.webui.api_client, \.\.\.' "
        rf"+{NUMBER} ms +{RATIO}\n",
    )
    live = section(out, "11. Live events: from a change in the simulator to the event")
    latencies = rf" +{NUMBER} us +{NUMBER} us +{NUMBER} us\n"  # median, p99, CPU per event
    memory = rf" +{NUMBER} MiB +{NUMBER} MiB  growth [+-]{NUMBER} MiB\n"
    for name in (
        r"aiohttp websocket \+ model \(floor\)",
        r"PeblarWeb\.events\(\)",
        r"AsyncPeblarWeb\.events\(\)",
    ):
        assert re.search(rf"\n +{name}{latencies}", live), name
        assert re.search(rf"\n +{name}{memory}", live), name
        assert re.search(rf"{name} / floor: latency {NUMBER}x\n", live) or "floor" in name, name
    # The peblar package is a development requirement: in CI it runs in this interpreter.
    assert re.search(
        rf"(the peblar package: skipped: .+|\n +peblar [\d.]+ \(PeblarWebsocket\){latencies})",
        live,
    )
    modbus = section(out, "12. Modbus, meter()")
    assert_lines(
        modbus,
        rf"\n +pymodbus read \+ MeterResponse \(floor\){TIMINGS}",
        rf"\n +PeblarModbus client{TIMINGS}",
        rf"\n +Peblar client, over HTTP{TIMINGS}",
        rf"PeblarModbus client / floor: CPU {RATIO} \(no target\)",
        rf"PeblarModbus client / Peblar client, over HTTP: CPU {RATIO} \(no target\)",
        rf"\n +pymodbus asyncio read \+ model \(floor\){TIMINGS}",
        rf"\n +AsyncPeblarModbus client{TIMINGS}",
        rf"AsyncPeblarModbus client / asyncio floor: CPU {RATIO} \(no target\)",
        rf"pypeblar --modbus --json meter +{NUMBER} ms +{RATIO}\n",
    )
    assert "skipped: not run in quick mode" in section(out, "13. The cross-check")
    simulator = bench(str(ROOT / "bench" / "simulator_throughput.py"), "--quick")
    assert "sequential keep-alive GET /meter per second" in simulator


@pytest.mark.slow
def test_the_cross_check_runs() -> None:
    """bench/crosscheck.py, the benchmark's independent check, gives every ratio it compares."""
    ratios = json.loads(bench(str(ROOT / "bench" / "crosscheck.py"), "--quick", "--json"))
    assert set(ratios) == {
        "Peblar.meter() / urllib3 floor",
        "Peblar.meter() / peblar",
        "AsyncPeblar.meter() / aiohttp floor",
        "AsyncPeblar.meter() / peblar",
    }
    assert all(value > 0 for value in ratios.values())


OTHERS = os.environ.get("PYPEBLAR_BENCH_OTHERS", "/tmp/others/bin/python")

#: Sections 1, 6 and 7 alone (one set of rounds), quick, with pyPeblar 0.3.2 from the other
#: interpreter in the same rounds.
PER_CALL = """
import sys
sys.path.insert(0, sys.argv[1])
import run
from _rounds import per_call
from _simulator_process import SimulatorProcess
settings = run.QUICK
with SimulatorProcess() as simulator:
    contenders, skipped = run.rest_contenders(sys.argv[2])
    rounds = per_call(
        contenders, simulator.host, simulator.token,
        blocks=settings.blocks, rounds=settings.rounds, calls=settings.calls,
    )
run.print_asyncio(rounds, skipped)
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path(OTHERS).exists(), reason=f"no {OTHERS} (docs/performance.md)")
def test_the_older_pypeblar_runs_in_its_own_interpreter() -> None:
    out = bench("-c", PER_CALL, str(ROOT / "bench"), OTHERS)
    assert re.search(rf"pypeblar [\d.]+ \(MeterApi.meter_get\){TIMINGS}", out), out
