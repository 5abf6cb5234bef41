"""Commands and the web process start fast: the heavy libraries load only where they are used.

OR-Tools (with pandas), SciPy, trimesh, matplotlib, numpy, stripe, reportlab and Twisted cost
about 3 s together; none is needed to load the settings, the apps, the models and the URLs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAVY = (
    "ortools",
    "pandas",
    "scipy",
    "trimesh",
    "matplotlib",
    "numpy",
    "stripe",
    "reportlab",
    "OCP",
    "build123d",
)


def _loaded_after(code: str, *argv: str) -> dict:
    """Runs `code` after loading Django as `manage.py check` does, in a fresh interpreter."""
    program = (
        "import json, os, sys\n"
        f"sys.argv = ['manage.py', *{list(argv)!r}]\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'\n"
        "import django\n"
        "django.setup()\n"
        f"{code}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env={**os.environ, "DESIGN_ANALYSIS_PREWARM": "false"},  # no warm parent to start
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_loading_the_apps_and_urls_imports_no_heavy_library():
    loaded = _loaded_after(
        "import config.urls, config.asgi\n"
        "from django.core.management import call_command\n"
        "call_command('check', verbosity=0)\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))"
    )
    assert loaded == []


def test_daphne_serves_runserver_and_is_not_loaded_by_other_commands():
    code = (
        "from django.core.management import get_commands\n"
        "reactor = 'twisted.internet.reactor' in sys.modules\n"
        "print(json.dumps([get_commands()['runserver'], reactor]))"
    )
    assert _loaded_after(code, "runserver") == ["daphne", True]
    assert _loaded_after(code, "check") == ["django.contrib.staticfiles", False]
