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
    with Simulator(rate_limit=False) as sim:
        sim.plug_in()
        monkeypatch.setenv("PEBLAR_TOKEN", sim.token)
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
