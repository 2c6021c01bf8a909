"""Tests leave the machine as they found it, the package builds cleanly, and the scripts find the
project's own environment.

- Every test runs with an empty home of its own (``isolated_home`` in conftest.py), and the run
  itself has one (``session_home``) for everything outside a test: the command line's state file
  lands in the test's, also from subprocesses, and nothing lands in the run's, which is checked
  empty when the run ends. The tests never look at the home of the user running them, so a user
  running ``pypeblar`` meanwhile changes nothing here.
- ``pip wheel`` builds the package without a deprecation warning (PEP 639 license metadata).
- ``scripts/regenerate`` and ``scripts/check-generated`` run as docs/regenerating.md says, from a
  shell whose ``python3`` is not the project's virtual environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pyPeblar.simulator import Simulator
from test.conftest import ROOT, USER_VARIABLES, escaped_into, footprint
from test.test_cli import ok, run
from test.test_generation import needs_generator, scratch_project, tree_digest

# -- tests touch nothing outside their temporary folders ---------------------------------------


def test_every_test_has_its_own_home(isolated_home: Path, session_home: Path) -> None:
    assert Path.home() == isolated_home
    assert os.path.expanduser("~") == str(isolated_home)
    assert not isolated_home.is_relative_to(session_home)
    for name in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        assert Path(os.environ[name]).is_relative_to(isolated_home), name
    for name in USER_VARIABLES:
        assert name not in os.environ, name
    from pyPeblar.cli._context import state_file

    assert state_file() == isolated_home / ".local" / "state" / "pypeblar" / "memory.json"


def test_subprocesses_get_the_same_home(isolated_home: Path) -> None:
    code = (
        "import os; from pyPeblar.cli._context import state_file; "
        "print(os.path.expanduser('~')); print(state_file())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    home, state = result.stdout.splitlines()
    assert home == str(isolated_home)
    assert Path(state).is_relative_to(isolated_home)


def test_a_command_line_write_keeps_its_state_in_the_test_home(
    isolated_home: Path, session_home: Path
) -> None:
    """pause/resume remember the paused limit in the state file: it lands in the test's home.

    ``run`` is test/test_cli.py's helper, which builds its own environment from ``os.environ``:
    this also proves that it inherits the isolated home.
    """
    memory = isolated_home / ".local" / "state" / "pypeblar" / "memory.json"
    with Simulator(rate_limit=False) as sim:
        sim.plug_in()
        ok(run("set-current", "9", sim=sim))
        ok(run("pause", sim=sim))
        assert sim.charge_current_limit == 0
        assert memory.is_file()
        ok(run("resume", sim=sim))
        assert sim.charge_current_limit == 9000  # read back from the file in the test's home
    assert footprint(session_home) == {}


def test_the_runs_own_home_is_empty_so_far(session_home: Path) -> None:
    """Nothing this worker has run so far wrote into the run's home (the rest is checked when
    the run ends, by ``session_home`` itself)."""
    assert escaped_into(session_home) is None


def test_hypothesis_keeps_what_it_stores_in_a_temporary_folder(hypothesis_folder: Path) -> None:
    """Its example database and caches, which it would write into ``.hypothesis`` of the current
    folder (the checkout): the property tests write nothing outside the run's temporary folders."""
    from hypothesis.configuration import storage_directory

    stored = storage_directory("examples", intent_to_write=False).path
    assert stored.is_relative_to(hypothesis_folder)
    assert not stored.is_relative_to(Path.cwd())


def test_what_escapes_is_found_and_said(tmp_path: Path) -> None:
    """The end-of-run check is not idle: a file written into a run's home is named."""
    home = tmp_path / "home"
    home.mkdir()
    assert escaped_into(home) is None
    (home / ".local" / "state" / "pypeblar").mkdir(parents=True)
    (home / ".local" / "state" / "pypeblar" / "memory.json").write_text("{}")
    said = escaped_into(home)
    assert said is not None and "memory.json" in said and str(home) in said


# -- the package builds without deprecation warnings -------------------------------------------


@pytest.mark.slow
def test_the_wheel_builds_without_deprecation_warnings(tmp_path: Path) -> None:
    """PEP 639 metadata: ``license = "MIT"`` (SPDX), no license classifier, setuptools >= 77.

    Built by pip with build isolation (which fetches setuptools from the package registry), from a
    copy of the project so the build leaves no ``build/`` or ``*.egg-info`` in the checkout.
    """
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "pyPeblar", source / "pyPeblar", ignore=shutil.ignore_patterns("__pycache__")
    )
    wheels = tmp_path / "wheels"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", wheels, source],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for word in ("SetuptoolsDeprecationWarning", "License classifiers are deprecated"):
        assert word not in output, output
    assert not re.search(r"deprecat|[A-Za-z]+Warning\b", output, re.IGNORECASE), output

    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(name).decode()
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "Classifier: License ::" not in metadata


# -- scripts/regenerate and scripts/check-generated find the project's environment ----------


def shell_without_the_virtual_environment(project: Path) -> dict[str, str]:
    """A shell's environment as docs/regenerating.md assumes: the virtual environment is not
    activated, and ``project/.venv`` is the project's own (a link to the one running the tests)."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("needs the tests to run in a virtual environment, to link as the project's")
    (project / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    venv = Path(sys.prefix).resolve()
    path = [
        folder
        for folder in os.environ.get("PATH", "").split(os.pathsep)
        if folder and not Path(folder).resolve().is_relative_to(venv)
    ]
    environment = {**os.environ, "PATH": os.pathsep.join(path)}
    for name in ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "PYPEBLAR_REGENERATE_FROM"):
        environment.pop(name, None)
    return environment


def lacks_the_generator(environment: dict[str, str]) -> bool:
    """Whether the ``python3`` a shell with ``environment`` finds lacks openapi-generator-cli."""
    probe = subprocess.run(
        ["python3", "-c", "import importlib.metadata as m; m.version('openapi-generator-cli')"],
        env=environment,
        capture_output=True,
        check=False,
        timeout=60,
    )
    return probe.returncode != 0


def run_script(
    script: str, project: Path, environment: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``script`` run as a user runs it: by its path, from the project, with its shebang."""
    return subprocess.run(
        [script],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.generator
@pytest.mark.slow
@needs_generator
def test_regenerate_runs_as_documented_without_activating_the_environment(
    tmp_path: Path,
) -> None:
    """Run as docs/regenerating.md says, it reproduces the checked-in tree byte for byte."""
    project = scratch_project(tmp_path)
    before = tree_digest(project)
    environment = shell_without_the_virtual_environment(project)

    result = run_script("scripts/regenerate", project, environment)  # docs/regenerating.md, 4

    assert result.returncode == 0, result.stdout + result.stderr
    assert "generated files up to date" in result.stdout
    assert tree_digest(project) == before
    if lacks_the_generator(environment):
        assert f"running with {project / '.venv' / 'bin' / 'python'}" in result.stderr


@pytest.mark.generator
@pytest.mark.slow
@needs_generator
def test_check_generated_runs_without_activating_the_environment(tmp_path: Path) -> None:
    project = scratch_project(tmp_path)
    environment = shell_without_the_virtual_environment(project)
    environment |= {
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }
    for command in (
        ["git", "-c", "init.defaultBranch=main", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "scratch copy"],
    ):
        subprocess.run(command, cwd=project, env=environment, check=True, timeout=60)

    result = run_script("scripts/check-generated", project, environment)

    assert result.returncode == 0, result.stdout + result.stderr
    pinned = re.search(
        r"openapi-generator-cli==(\S+)", (ROOT / "requirements" / "generator.txt").read_text()
    )
    assert pinned
    assert f"matches openapi/ (openapi-generator-cli {pinned.group(1)})" in result.stdout
