"""Every example in README.md and the hand-written guides in docs/ runs, against the simulator.

The guides are the lowercase pages of docs/ (the CamelCase ones are generated, and
test/test_docs_generated.py runs theirs). Only what a reader would change is changed: the
example charger (``192.168.1.50``, ``peblar.local``) becomes the simulator's ``host:port`` (its
Modbus server's in a ``PeblarModbus(...)``, and PEBLAR_MODBUS_PORT names that port), a
``"..."`` or ``--token ...`` token its token, and the example port 8080 a free one; PEBLAR_HOST and
PEBLAR_TOKEN name the simulator, and its web interface password is the one the README uses.

Each Python block runs on its own, in a fresh namespace and against a fresh simulator: a reader
copies one block, not the page, so a block imports what it uses and makes the client it needs.
They run with pytest-examples, as the generated pages' do: it finds each block with its line
numbers, runs it as a module under pytest's assertion rewriting, and points a failure's traceback
at the Markdown line, with no harness code around the examples. It knows Python only. An error a
block prints beside a comment (``print(error)   # the message``) must print that comment: a quoted
message is the real one (``QuotedErrors``).

Shell blocks (``bash``, ``sh``, ``console``, and untagged transcripts whose lines start with
``$ ``) run line by line through bash with the virtual environment's bin first on PATH, in a
scratch copy of the project (so relative paths such as ``scripts/regenerate`` work and nothing is
written to the checkout), with the exports of earlier lines of the block. Each must exit 0, or with
the status the doc says (a transcript's ``$ echo $?``; a transcript whose shown output is an error
must fail). Commands that run until Ctrl-C (RUN_UNTIL_INTERRUPTED) are interrupted once they have
printed something, and must then exit 0. The few commands not run are in NOT_RUN, with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_examples import CodeExample, EvalExample, find_examples

from pyPeblar import AsyncPeblar, Peblar, PeblarModbus, PeblarWeb
from pyPeblar.models import EVInterfaceResponse
from pyPeblar.simulator import Simulator
from test.conftest import ROOT, client_for
from test.docs import generated_pages, where
from test.test_generation import generator_available, scratch_project

#: The web interface password the README's ``Peblar.from_password`` example uses.
PASSWORD = "web-password"

#: Documented commands that are not run, by the start of the command, with the reason.
NOT_RUN: dict[str, str] = {
    "pip install": "installs into the environment running the tests, from the package registry "
    "(test_isolation.py builds the package)",
    "python3 -m venv": "makes a virtual environment and installs into it from the package registry",
    "scripts/test": "runs this test suite",
    "python bench/": "the benchmark: a minute or more (test/test_bench.py runs its --quick mode)",
    "PYPEBLAR_SOAK_SECONDS=600": "a ten-minute soak; the suite runs the same test for 10 s",
}

#: Documented commands that run until Ctrl-C: interrupted after their first output, they exit 0.
RUN_UNTIL_INTERRUPTED: dict[str, Callable[[str], bool]] = {
    "pypeblar watch": lambda command: "--count" not in command,
    "pypeblar events": lambda command: True,
    "python -m pyPeblar.simulator": lambda command: True,
    "pypeblar simulate": lambda command: True,
}

#: A tool a command needs besides pyPeblar's own, and whether this machine has it.
NEEDS: dict[str, Callable[[], bool]] = {
    "jq": lambda: shutil.which("jq") is not None,
    "scripts/regenerate": generator_available,  # Java and the pinned openapi-generator-cli
}

SHELL_TAGS = {"bash", "sh", "shell", "console"}
TIMEOUT = 120  # seconds, per command: a busy 2-core machine is slow to start Python


def guides() -> list[Path]:
    generated = set(generated_pages())
    pages = sorted(page for page in (ROOT / "docs").glob("*.md") if page not in generated)
    return [ROOT / "README.md", *pages]


GUIDES = guides()


# -- Python blocks ------------------------------------------------------------------------------


def python_examples(page: Path) -> list[CodeExample]:
    return [example for example in find_examples(page) if example.prefix in ("py", "python")]


PYTHON_PAGES = [page for page in GUIDES if python_examples(page)]


def for_the_simulator(text: str, sim: Simulator) -> str:
    """The example as a reader would adapt it: the simulator's address and token."""
    text = re.sub(r"(PeblarModbus\()\"192\.168\.1\.50\"", rf'\1"{sim.modbus_host}"', text)
    text = text.replace("192.168.1.50", sim.host).replace("peblar.local", sim.host)
    return re.sub(r"([\"'])\.\.\.\1", lambda quoted: f'"{sim.token}"', text)


@contextlib.contextmanager
def logging_restored() -> Iterator[None]:
    """A block may configure logging (the README's does): undo it for the tests that follow."""
    root, package = logging.getLogger(), logging.getLogger("pyPeblar")
    saved = (root.level, list(root.handlers), package.level)
    try:
        yield
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        package.setLevel(saved[2])


def test_the_guides_are_found() -> None:
    names = {page.name for page in GUIDES}
    assert {"README.md", "cli.md", "simulator.md", "regenerating.md"} <= names
    assert not any(name[0].isupper() for name in names - {"README.md"})
    assert {page.name for page in PYTHON_PAGES} >= {"README.md", "simulator.md"}


#: Every Python block of the guides, each run on its own.
PYTHON_BLOCKS = [(page, example) for page in PYTHON_PAGES for example in python_examples(page)]


class QuotedErrors:
    """``print`` for the examples: an exception printed beside a comment must print the comment.

    ``print(error)   # this AsyncPeblar client is closed`` quotes a message; a reader takes it for
    what the error says, so it must be what the error says. Other prints (values that differ
    from charger to charger, with units in their comments) are printed, not compared.
    """

    def __init__(self, example: CodeExample) -> None:
        self.example = example
        self.lines = example.source.splitlines()
        self.wrong: list[str] = []

    def __call__(self, *values: object, **options: Any) -> None:
        print(*values, **options)
        if len(values) != 1 or not isinstance(values[0], BaseException):
            return
        number = sys._getframe(1).f_lineno  # the example's code calls print: its line
        quoted = re.search(r"\)\s*#\s*(.+?)\s*$", self.lines[number - 1])
        if quoted and quoted.group(1) != str(values[0]):
            where = f"{self.example.path.relative_to(ROOT)}:{self.example.start_line + number}"
            self.wrong.append(
                f"{where}: quotes {quoted.group(1)!r}, the error says {str(values[0])!r}"
            )


@pytest.mark.parametrize(
    ("page", "example"),
    PYTHON_BLOCKS,
    ids=[f"{page.name}:{example.start_line}" for page, example in PYTHON_BLOCKS],
)
def test_python_example_runs_on_its_own(
    page: Path, example: CodeExample, eval_example: EvalExample, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader copies one block, not the page: each runs in a fresh namespace, on a fresh
    charger, with only what the docs say to set (PEBLAR_HOST, PEBLAR_TOKEN, PEBLAR_PASSWORD)."""
    quoted = QuotedErrors(example)
    namespace: dict[str, object] = {}
    simulator = Simulator(password=PASSWORD, phase_switch_delay=0.2, modbus_port=0)
    with simulator as sim, logging_restored():
        sim.plug_in()  # a car charging, as in the README's comments
        monkeypatch.setenv("PEBLAR_HOST", sim.host)
        monkeypatch.setenv("PEBLAR_TOKEN", sim.token)
        monkeypatch.setenv("PEBLAR_PASSWORD", PASSWORD)
        source = for_the_simulator(example.source, sim)
        failure = None
        try:
            namespace = eval_example.run(
                dataclasses.replace(example, source=source), module_globals={"print": quoted}
            )
        except Exception as error:
            failure = f"{where(error, example)}: {type(error).__name__}: {error}"
        finally:  # clients an example left open (a reader's script would exit)
            for value in namespace.values():
                if isinstance(value, (Peblar, PeblarModbus, PeblarWeb)):
                    value.close()
        if failure:  # raised outside the except: no chained traceback to print
            pytest.fail(failure)
    assert not quoted.wrong, "\n".join(quoted.wrong)


def test_quoted_error_messages_are_compared() -> None:
    """The check above is not idle: the guides quote error messages it compares."""
    quoting = [
        (page, example)
        for page, example in PYTHON_BLOCKS
        if re.search(r"print\((error|exc)\)\s*#", example.source)
    ]
    assert quoting, "no guide quotes an error message any more: drop QuotedErrors"


# -- what the guides name ------------------------------------------------------------------------

#: The project's top-level folders: a backticked ``docs/...`` or ``pyPeblar/...`` names a file.
PROJECT_FOLDERS = {path.name for path in ROOT.iterdir() if path.is_dir() and path.name[0] != "."}


def named_paths(page: Path) -> Iterator[tuple[str, Path]]:
    """(as written, where it points) for each link target and backticked project path of a page."""
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if not re.match(r"[a-z]+:|#", target):
            yield target, page.parent / target.split("#")[0]
    for token in re.findall(r"`([^`\s]+/[^`\s]*)`", text):
        path = token.split("::")[0]
        first = path.split("/")[0]
        if re.search(r"[*{}<>$]", path) or (first != ".." and first not in PROJECT_FOLDERS):
            continue
        yield token, (page.parent if first == ".." else ROOT) / path


@pytest.mark.parametrize("page", GUIDES, ids=lambda page: page.name)
def test_every_path_a_guide_names_exists(page: Path) -> None:
    """A link or a named file that is not in the repository sends a reader nowhere."""
    missing = [written for written, path in named_paths(page) if not path.exists()]
    assert not missing, f"{page.name} names what the repository lacks: {missing}"


def layout_names(text: str) -> set[str]:
    """The module paths a table names: ``pyPeblar/x.py``, ``_x.py`` (in pyPeblar/), and
    ``pyPeblar/{a,b}.py`` expanded."""
    names = set()
    for token in re.findall(r"`([^`\s]+)`", text):
        braces = re.fullmatch(r"(.*)\{([^}]*)\}(.*)", token)
        for name in (
            [braces.group(1) + part + braces.group(3) for part in braces.group(2).split(",")]
            if braces
            else [token]
        ):
            names.add(name if name.startswith("pyPeblar/") else f"pyPeblar/{name}")
    return names


@pytest.mark.parametrize(
    ("page", "section"), [("README.md", "## Layout"), ("docs/architecture.md", "## Modules")]
)
def test_the_module_tables_name_every_module(page: str, section: str) -> None:
    """README's layout names every top-level module and every hand-written package;
    architecture.md's table names every module, those of the hand-written packages too."""
    text = (ROOT / page).read_text(encoding="utf-8")
    table = text[text.index(section) :].split("\n## ", 1)[0]
    package = ROOT / "pyPeblar"
    modules = {path.relative_to(ROOT).as_posix() for path in package.glob("*.py")}
    private = [path for path in package.glob("_*/") if (path / "__init__.py").exists()]
    if page == "README.md":
        modules |= {f"{path.relative_to(ROOT).as_posix()}/" for path in private}
    else:
        modules |= {
            module.relative_to(ROOT).as_posix()
            for path in private
            for module in path.glob("*.py")
            if module.name != "__init__.py"
        }
    missing = sorted(modules - layout_names(table))
    assert not missing, f"{page}, {section.strip('# ')}: no row names {missing}"


def test_every_write_but_authorize_returns_the_resulting_ev_interface() -> None:
    """What the README says after its quick start, checked on every write ``Peblar`` has."""
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "every write but `authorize_charge_session()` returns the charger's resulting" in readme
    with Simulator(phase_switch_delay=0.2) as sim, client_for(sim) as charger:
        sim.plug_in()
        results = [
            charger.set_charge_current_limit(amps=10),
            charger.pause(),
            charger.resume(),
            charger.force_single_phase(True),
            charger.replace_ev_interface(amps=16, force_single_phase=False),
        ]
        assert all(isinstance(result, EVInterfaceResponse) for result in results), results
        outcome: object = charger.authorize_charge_session(token="04A1B2C3")  # type: ignore[func-returns-value]
        assert outcome is None


@pytest.mark.parametrize("client_class", [Peblar, AsyncPeblar], ids=lambda kind: kind.__name__)
def test_raw_returns_bytes_as_the_guides_say(client_class: Any) -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "what GET /evinterface answered, as bytes" in readme
    assert "str or bytes" not in readme
    with Simulator() as sim:
        if client_class is Peblar:
            with Peblar(sim.host, sim.token) as charger:
                answer: object = charger.raw("GET", "/evinterface")
        else:

            async def raw() -> bytes:
                async with AsyncPeblar(sim.host, sim.token) as charger:
                    return await charger.raw("GET", "/evinterface")

            answer = asyncio.run(raw())
    assert type(answer) is bytes


# -- shell blocks -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Command:
    page: Path
    line: int
    text: str
    status: int | None = 0  # None: any status but 0 (the doc shows an error, but no number)

    def __str__(self) -> str:
        return f"{self.page.name}:{self.line}: {self.text}"


@dataclasses.dataclass(frozen=True)
class ShellBlock:
    page: Path
    line: int
    commands: tuple[Command, ...]


def fenced_blocks(page: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line of the first line inside, tag, lines) of each fenced block of a Markdown page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        fence = re.match(r"^(\s*)```\s*(\S*)", lines[index])
        if not fence:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith("```"):
            end += 1
        yield index + 2, fence.group(2).lower(), lines[index + 1 : end]
        index = end + 1


def script_commands(page: Path, first: int, lines: list[str]) -> Iterator[Command]:
    """A shell block: each line a command (a trailing backslash continues it)."""
    pending, start = "", first
    for number, line in enumerate(lines, first):
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        if text and not text.startswith("#"):
            yield Command(page, start, text)


def transcript_commands(page: Path, first: int, lines: list[str]) -> Iterator[Command]:
    """A transcript: ``$ command`` lines, each followed by its output. The status a command is
    expected to exit with is what a following ``$ echo $?`` shows, else 0, or "not 0" when the
    output shown is an error (``pypeblar: ...``)."""
    entries: list[tuple[int, str, list[str]]] = []
    for number, line in enumerate(lines, first):
        if line.startswith("$ "):
            entries.append((number, line[2:].strip(), []))
        elif entries:
            entries[-1][2].append(line)
    for position, (number, text, output) in enumerate(entries):
        if text == "echo $?":
            continue
        status: int | None = 0
        shown = [line for line in output if line.strip()]
        if shown and shown[0].startswith("pypeblar: "):
            status = None
        if position + 1 < len(entries) and entries[position + 1][1] == "echo $?":
            status = int(entries[position + 1][2][0])
        yield Command(page, number, text, status)


def shell_blocks() -> list[ShellBlock]:
    blocks = []
    for page in GUIDES:
        for first, tag, lines in fenced_blocks(page):
            if tag in SHELL_TAGS:
                commands = tuple(script_commands(page, first, lines))
            elif not tag and any(line.startswith("$ ") for line in lines[:1]):
                commands = tuple(transcript_commands(page, first, lines))
            else:
                continue
            if commands:
                blocks.append(ShellBlock(page, first - 1, commands))
    return blocks


SHELL_BLOCKS = shell_blocks()
ALL_COMMANDS = [command for block in SHELL_BLOCKS for command in block.commands]


def not_run(command: Command) -> str | None:
    for start, reason in NOT_RUN.items():
        if command.text.startswith(start):
            return reason
    return None


def runs_until_interrupted(command: Command) -> bool:
    return any(
        command.text.startswith(start) and applies(command.text)
        for start, applies in RUN_UNTIL_INTERRUPTED.items()
    )


def test_the_shell_examples_are_found() -> None:
    pages = {block.page.name for block in SHELL_BLOCKS}
    assert {"README.md", "cli.md", "regenerating.md", "simulator.md"} <= pages
    assert len(ALL_COMMANDS) >= 30
    # A documented exit status other than 0 is read from the transcript.
    assert any(command.status == 4 for command in ALL_COMMANDS)


def test_every_exception_is_still_in_the_docs() -> None:
    for start in NOT_RUN:
        assert any(command.text.startswith(start) for command in ALL_COMMANDS), start
    for start in RUN_UNTIL_INTERRUPTED:
        if start != "pypeblar simulate":  # the same program as python -m pyPeblar.simulator
            assert any(runs_until_interrupted(c) for c in ALL_COMMANDS if c.text.startswith(start))


def shell_text(command: Command, sim: Simulator) -> str:
    text = for_the_simulator(command.text, sim)
    text = re.sub(r"--token \.\.\.(?=\s|$)", f"--token {sim.token}", text)
    text = re.sub(r"PEBLAR_TOKEN=\.\.\.(?=\s|$)", f"PEBLAR_TOKEN={sim.token}", text)
    return re.sub(r"--port 8080\b", "--port 0", text)


WRAPPER = """\
set -o pipefail
[ -f "$DOCS_ENV" ] && . "$DOCS_ENV"
{command}
status=$?
export -p | grep -Ev '^declare -x (PWD|OLDPWD|SHLVL|_|DOCS_ENV)=' > "$DOCS_ENV"
exit $status
"""


def shell_environment(sim: Simulator, folder: Path) -> dict[str, str]:
    """What the shell gets on top of the test's environment (the isolated home included)."""
    bin_folder = str(Path(sys.executable).parent)
    return {
        "PATH": os.pathsep.join([bin_folder, os.environ.get("PATH", "")]),
        "PEBLAR_HOST": sim.host,
        "PEBLAR_TOKEN": sim.token,
        "PEBLAR_MODBUS_PORT": str(sim.modbus_port),
        "PEBLAR_PASSWORD": PASSWORD,  # what `pypeblar token` would ask for
        "PYPEBLAR_MDNS_INTERFACES": "127.0.0.1",  # `pypeblar scan` listens on loopback only
        "DOCS_ENV": str(folder / "exports.sh"),
    }


#: Who commits in a scratch copy (the isolated home has no git configuration).
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "docs",
    "GIT_AUTHOR_EMAIL": "docs@example.invalid",
    "GIT_COMMITTER_NAME": "docs",
    "GIT_COMMITTER_EMAIL": "docs@example.invalid",
}


def lacks(command: Command) -> list[str]:
    """The tools ``command`` needs that this machine does not have."""
    return [name for name, present in NEEDS.items() if name in command.text and not present()]


def redirect_target(text: str, cwd: Path) -> Path | None:
    match = re.search(r">>?\s*([^\s#]+)", text)
    return cwd / match.group(1) if match else None


def has_output(*files: Path | None) -> bool:
    return any(path is not None and path.exists() and path.stat().st_size > 0 for path in files)


def run_command(
    command: Command, sim: Simulator, cwd: Path, environment: dict[str, str], log: Path
) -> tuple[int, str]:
    text = shell_text(command, sim)
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", "-c", WRAPPER.format(command=text)],
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C and clean-up reach all of it
        )
        try:
            if runs_until_interrupted(command):
                deadline = time.monotonic() + TIMEOUT
                target = redirect_target(text, cwd)
                while not has_output(log, target) and process.poll() is None:
                    assert time.monotonic() < deadline, f"{command}: printed nothing"
                    time.sleep(0.05)
                os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
            status = process.wait(timeout=TIMEOUT)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return status, log.read_text(errors="replace")


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=lambda block: f"{block.page.name}:{block.line}")
def test_shell_example_runs(block: ShellBlock, tmp_path: Path) -> None:
    to_run = [command for command in block.commands if not not_run(command)]
    if not to_run:
        reasons = {not_run(command) for command in block.commands}
        pytest.skip(f"every command is in NOT_RUN: {'; '.join(sorted(map(str, reasons)))}")
    lacking = {name for command in to_run for name in lacks(command)}
    project = scratch_project(tmp_path)
    environment = {**os.environ, **GIT_IDENTITY}
    if any(command.text.startswith("git ") for command in to_run):
        for git in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "scratch copy"]):
            subprocess.run(["git", *git], cwd=project, env=environment, check=True, timeout=60)
    with Simulator(
        password=PASSWORD, rate_limit=False, phase_switch_delay=0.2, modbus_port=0
    ) as sim:
        sim.plug_in()
        environment |= shell_environment(sim, tmp_path)
        for number, command in enumerate(to_run):
            if lacks(command):
                continue
            log = tmp_path / f"command-{number}.log"
            status, output = run_command(command, sim, project, environment, log)
            if command.status is None:
                assert status != 0, f"{command}\nthe doc shows an error, but it exited 0\n{output}"
            else:
                assert status == command.status, f"{command}\nexit status {status}\n{output}"
    if lacking:
        pytest.skip(f"the rest ran; not run: what needs {', '.join(sorted(lacking))} (missing)")
