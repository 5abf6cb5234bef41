"""The engine and its command line run without Django."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_importing_the_engine_and_cli_imports_no_django_module() -> None:
    code = (
        "import sys\n"
        "import matching.engine.solver, matching.engine.replan, matching.engine.pareto\n"
        "import matching.engine.generate, matching.__main__\n"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
