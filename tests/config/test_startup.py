"""Commands and the web process start fast: the heavy libraries load only where they are used.

OR-Tools (with pandas), SciPy, trimesh, matplotlib, numpy, stripe, reportlab and Twisted cost
about 3 s together; none is needed to load the settings, the apps, the models and the URLs.
Nor are the health checks' libraries (redis, dnspython, through django-health-check), loaded
on the first probe, nor schwifty and sepaxml (bank details and files) or Pillow (quality
pictures, watermarks), loaded on first use. `manage.py` loads Django with the garbage
collector paused and gives the command a running one.
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
    "health_check",
    "redis",
    "dns",
    "schwifty",
    "sepaxml",
)
# Django's own check of image fields imports Pillow, so only the web process goes without it.
WEB_PROCESS_SKIPS = ("PIL",)


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


def test_the_web_process_loads_its_urls_without_pillow():
    skipped = set(WEB_PROCESS_SKIPS)
    loaded = _loaded_after(
        "import config.urls, config.asgi\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {skipped!r})))"
    )
    assert loaded == []


def _manage(*argv: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env={**os.environ, "DESIGN_ANALYSIS_PREWARM": "false", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_command_runs_with_the_collector_on_and_the_start_up_objects_frozen():
    done = _manage("shell", "-c", "import gc; print(gc.isenabled(), gc.get_freeze_count() > 0)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "True True"


def test_broken_settings_are_still_reported_by_djangos_command_line():
    done = _manage("help", DJANGO_SETTINGS_MODULE="no_such_settings_module")
    assert done.returncode == 0, done.stderr
    assert "settings are not properly configured" in done.stdout
    assert "No module named 'no_such_settings_module'" in done.stdout
