"""docs/migrating.md holds: a pyPeblar 0.3.x program moves over, and every 0.3.x name is listed.

The real old package is used: ``pypeblar==0.3.2`` is installed from the package registry into a
virtual environment of its own (pip's cache helps a second run), the page's 0.3.x program runs
there against a simulator in this process, and the page's two migrated programs (``pyPeblar.aio``
and ``AsyncPeblar``) run with this interpreter against the same simulator. All three must print
the same lines, and the page must show those lines. The programs are taken from the page itself,
so page and test cannot drift. Only writes of an absolute value happen (10 A), so the simulator's
state is the same for each program. The old package also lists its public names, which the page
must all mention, and its models' fields, which must be the new models' fields.

Slow (the install takes about 10 to 20 s); skipped, with the reason, only when the package
registry cannot be reached.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pyPeblar import models
from pyPeblar.simulator import Simulator
from test.conftest import ROOT, home_variables

PAGE = ROOT / "docs" / "migrating.md"

#: The first line of each program on the page, after ``# report.py, ``.
OLD, AIO, ASYNC_PEBLAR = "for pyPeblar 0.3.x", "moved to pyPeblar.aio", "on AsyncPeblar"
MARK = "# report.py, "

#: Each 0.3.x model and its replacement, as the page's model table gives them.
RENAMED_MODELS = {
    "HealthGet200Response": "HealthResponse",
    "SystemGet200Response": "SystemResponse",
    "MeterGet200Response": "MeterResponse",
    "EVInterfaceResponse": "EVInterfaceResponse",
    "EvinterfacePatchRequest": "EVInterfacePatchRequest",
    "ApiError": "ApiError",
}

#: What pip says when it cannot reach the registry (as opposed to a package it cannot install).
UNREACHABLE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name "
    r"resolution|Name or service not known|nodename nor servname|Network is unreachable|"
    r"ConnectTimeoutError|ProxyError|Connection refused|getaddrinfo failed|Read timed out"
)

#: Run in the old package's interpreter: its public names, and its models' fields (name: key).
SURVEY = """
import inspect, json
import pypeblar, pypeblar.exceptions, pypeblar.models
apis = {
    name: sorted(m for m in vars(cls) if not m.startswith("_"))
    for name, cls in vars(pypeblar).items() if name.endswith("Api") and inspect.isclass(cls)
}
fields = {
    name: {field: info.alias for field, info in cls.__fields__.items()}
    for name, cls in vars(pypeblar.models).items() if inspect.isclass(cls)
}
print(json.dumps({
    "top": sorted(n for n in dir(pypeblar) if not n.startswith("_")),
    "api_client": sorted(n for n in dir(pypeblar.ApiClient) if not n.startswith("_")),
    "exceptions": sorted(n for n in dir(pypeblar.exceptions) if not n.startswith("_")),
    "apis": apis,
    "fields": fields,
}))
"""


def fenced_blocks(page: Path) -> list[tuple[str, list[str]]]:
    """(tag, lines) of each fenced block of a Markdown page."""
    blocks: list[tuple[str, list[str]]] = []
    tag: str | None = None
    lines: list[str] = []
    for line in page.read_text(encoding="utf-8").splitlines():
        fence = re.match(r"^```\s*(\S*)", line)
        if fence and tag is None:
            tag, lines = fence.group(1).lower(), []
        elif line.startswith("```") and tag is not None:
            blocks.append((tag, lines))
            tag = None
        elif tag is not None:
            lines.append(line)
    return blocks


def programs() -> dict[str, tuple[str, str]]:
    """The page's programs by their first line: (fence tag, source)."""
    found = {}
    for tag, lines in fenced_blocks(PAGE):
        if lines and lines[0].startswith(MARK):
            found[lines[0].removeprefix(MARK)] = (tag, "\n".join(lines) + "\n")
    return found


def shown_output() -> list[str]:
    """The output the page shows for the 0.3.x program: the block after it."""
    blocks = fenced_blocks(PAGE)
    index = next(i for i, (_, lines) in enumerate(blocks) if lines and lines[0] == MARK + OLD)
    return blocks[index + 1][1]


def test_the_page_has_the_programs_where_the_docs_test_runs_the_new_ones_only() -> None:
    found = programs()
    assert set(found) == {OLD, AIO, ASYNC_PEBLAR}
    # test_docs_examples.py runs python blocks: not the old one, which needs pypeblar 0.3.x.
    assert found[OLD][0] == "text"
    assert found[AIO][0] == found[ASYNC_PEBLAR][0] == "python"
    assert "import pypeblar" in found[OLD][1]
    assert "pypeblar" not in found[AIO][1] + found[ASYNC_PEBLAR][1]


@pytest.fixture(scope="module")
def old_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An interpreter with pyPeblar 0.3.2 (and pydantic 1), in a virtual environment of its own.

    Module-scoped, so made before any test's own home: pip (its cache, and the build tools it
    runs, which write into the home) gets a home of its own beside the environment.
    """
    folder = tmp_path_factory.mktemp("pypeblar-0.3.2")
    venv = folder / "venv"
    environment = {**os.environ, **home_variables(folder / "home")}
    subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], check=True, timeout=300, env=environment
    )
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    result = subprocess.run(
        [*install, "--retries", "2", "--timeout", "20", "pypeblar==0.3.2"],
        env=environment,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        output = result.stdout + result.stderr
        unreachable = UNREACHABLE.search(output)
        if unreachable:
            pytest.skip(f"the package registry is unreachable (pip: {unreachable.group(0)})")
        pytest.fail(f"pip install pypeblar==0.3.2 failed:\n{output}")
    return python


def run(python: Path | str, source: str, folder: Path, name: str, env: dict[str, str]) -> str:
    script = folder / f"{name}.py"
    script.write_text(source, encoding="utf-8")
    result = subprocess.run(
        [str(python), str(script)],
        check=False,
        cwd=folder,  # not the checkout: `import pypeblar` must find the old package only
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
def test_the_migrated_programs_print_what_the_old_one_printed(
    old_python: Path, tmp_path: Path
) -> None:
    found = programs()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    # No rate limit on the simulator: 0.3.x has no limiter and no retries, and three programs
    # in a row may come closer than a second apart. (The new clients pace themselves anyway.)
    with Simulator(rate_limit=False) as sim:
        sim.plug_in()  # a car charging
        env |= {"PEBLAR_HOST": sim.host, "PEBLAR_TOKEN": sim.token}
        old = run(old_python, found[OLD][1], tmp_path, "old", env)
        migrated = {
            name: run(sys.executable, found[name][1], tmp_path, slug, env)
            for name, slug in ((AIO, "aio"), (ASYNC_PEBLAR, "async_peblar"))
        }
    lines = old.splitlines()
    assert lines == shown_output(), "the page shows other output than the 0.3.x program prints"
    assert lines[-1] == "refused: 401"
    assert "limit set to 10000 mA" in lines
    for name, output in migrated.items():
        assert output.splitlines() == lines, name


@pytest.mark.slow
def test_every_old_name_is_on_the_page_and_every_field_kept(old_python: Path) -> None:
    survey = json.loads(
        subprocess.run(
            [str(old_python), "-c", SURVEY],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    )
    page = PAGE.read_text(encoding="utf-8")
    names = [*survey["top"], *survey["api_client"], *survey["exceptions"]]
    names += [method for methods in survey["apis"].values() for method in methods]
    missing = sorted({name for name in names if not re.search(rf"\b{name}\b", page)})
    assert not missing, f"0.3.x names docs/migrating.md does not mention: {missing}"
    assert set(survey["fields"]) == set(RENAMED_MODELS)
    for old_name, fields in survey["fields"].items():
        new = getattr(models, RENAMED_MODELS[old_name])
        assert old_name in page and RENAMED_MODELS[old_name] in page
        kept = {field: info.alias or field for field, info in new.model_fields.items()}
        assert kept == {field: alias or field for field, alias in fields.items()}, old_name
