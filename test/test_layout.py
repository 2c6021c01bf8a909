"""The architecture holds: import-linter's contracts (pyproject.toml, ``[tool.importlinter]``).

The roads run one way (command line, simulator, clients, what they share, the transport), the
command line's modules run one way, and no package has an import cycle among its modules. Every
import counts, also one inside a function or under ``if TYPE_CHECKING:``. CI runs the same
``lint-imports``; docs/architecture.md draws what the contracts say.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_every_import_contract_is_kept() -> None:
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout, result.stdout
