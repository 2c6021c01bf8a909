"""What the two documentation tests share: the generated pages, and where an example failed."""

from __future__ import annotations

from pathlib import Path

from pytest_examples import CodeExample

from test.conftest import ROOT

__all__ = ["generated_pages", "where"]


def generated_pages() -> list[Path]:
    record = (ROOT / "openapi" / "generated-files.txt").read_text().splitlines()
    return [ROOT / line for line in record if line.startswith("docs/") and line.endswith(".md")]


def where(error: BaseException, example: CodeExample) -> str:
    """The Markdown line an example failed on.

    pytest-examples points the traceback at the Markdown file, with frames pytest 9 cannot
    print (an INTERNALERROR that ends the run), so the failure is reported as one line instead,
    with the original exception left out of the chain.
    """
    line = example.start_line
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == str(example.path):
            line = trace.tb_lineno
        trace = trace.tb_next
    return f"{example.path.relative_to(ROOT)}:{line}"
