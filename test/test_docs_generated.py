"""Every example in the generated docs pages (``docs/*Api.md``, the model pages) runs as written.

The pages come from openapi-generator with pyPeblar's doc templates; each ``python`` block is run
against the simulator, with only the charger's address put in for ``peblar.local`` and the token
in ``PEBLAR_TOKEN``, as a user would. pytest-examples finds and runs the blocks.
"""

from __future__ import annotations

import dataclasses

import pytest
from pytest_examples import CodeExample, EvalExample, find_examples

from pyPeblar.simulator import Simulator
from test.docs import generated_pages, where

PAGES = generated_pages()

#: The web interface password the spec's examples use (the log-in example sends it).
WEB_PASSWORD = "web-password"


def prepare(sim: Simulator, example: CodeExample) -> None:
    """What a charger must hold for an example that acts on something that must exist: a
    vehicle to read or remove needs ISO 15118 on and a vehicle listed."""
    if "vehicle_token" in example.source:
        sim.configure(Iso15118CommunicationEnable=True)
        if "delete_vehicle_token" in example.source:
            from pyPeblar import PeblarWeb

            with PeblarWeb(sim.host, WEB_PASSWORD) as web:
                web.add_vehicle_token("00:1A:2B:3C:4D:5E", "Family car")


EXAMPLES = [
    example for page in PAGES for example in find_examples(page) if example.prefix == "python"
]


def test_every_generated_page_with_an_operation_or_object_has_an_example() -> None:
    api_pages = [page for page in PAGES if page.stem.endswith("Api")]
    assert api_pages, "no generated API pages found"
    with_examples = {example.path for example in EXAMPLES}
    assert set(api_pages) <= with_examples
    assert len(EXAMPLES) >= 15  # 7 operations and 8 object models today


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.path.name}:{e.start_line}")
def test_generated_example_runs(
    example: CodeExample,
    eval_example: EvalExample,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The connector operations' new paths are firmware 1.10's: a newer charger for their pages.
    newer = "ConnectorApi" in example.source
    profile = (
        "future-firmware" if newer and "_legacy" not in example.source else "three-phase-socket"
    )
    with Simulator(rate_limit=False, password=WEB_PASSWORD, profile=profile) as sim:
        sim.plug_in()
        monkeypatch.setenv("PEBLAR_TOKEN", sim.token)
        monkeypatch.setenv("PEBLAR_HOST", sim.host)
        monkeypatch.setenv("PEBLAR_PASSWORD", WEB_PASSWORD)
        prepare(sim, example)
        source = example.source.replace("http://peblar.local", f"http://{sim.host}")
        failure = None
        try:
            eval_example.run(dataclasses.replace(example, source=source))
        except Exception as error:
            failure = f"{where(error, example)}: {type(error).__name__}: {error}"
        if failure:  # outside the except: pytest 9 cannot print pytest-examples' frames
            pytest.fail(failure)
    printed = capsys.readouterr().out
    if example.path.stem.endswith("Api"):
        assert "The response of" in printed or "done" in printed, printed
    else:
        assert printed.strip(), "the model example printed nothing"
