"""``matching`` is a pure library: no Django, no marketplace, no Celery, no settings.

Each check runs in a fresh interpreter, so that nothing this test process imported hides an
import the library makes by itself.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("django", "marketplace", "config", "celery")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_importing_the_engine_and_cli_imports_no_django_module() -> None:
    code = (
        "import sys\n"
        "import matching.engine.solver, matching.engine.replan, matching.engine.pareto\n"
        "import matching.engine.generate, matching.__main__\n"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
        "assert not bad, bad\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr


def _module_names() -> list[str]:
    """Every module and package under matching/, by file."""
    names = []
    for path in sorted((ROOT / "matching").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_of_matching_loads_no_django_marketplace_or_celery_module() -> None:
    names = _module_names()
    assert {"matching.quote_answers", "matching.replanning", "matching.routes"} <= set(names)
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "assert not bad, bad\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
