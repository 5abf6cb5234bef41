"""The layout rules the architecture notes promise, checked on every run instead of by memory:
no application module over 600 lines (migrations and tests aside), and no test module that
imports another (shared helpers live in non-test modules: conftest, factories, *_story.py)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "billing", "config", "marketplace", "matching")
MAX_LINES = 600


def _modules(top: str):
    for path in sorted((ROOT / top).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def test_no_application_module_is_over_600_lines():
    too_long = {
        str(path.relative_to(ROOT)): n
        for top in APPS
        for path in _modules(top)
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"split these along their concerns: {too_long}"


def test_url_patterns_take_ids_the_database_can_hold():
    """``<int:>`` takes any number of digits (twenty overflowed a lookup: a 500); ``<id:>``
    (config.ids) takes at most eighteen."""
    unbounded = [
        str(path.relative_to(ROOT))
        for top in APPS
        for path in _modules(top)
        if path.name == "urls.py" and "<int:" in path.read_text(encoding="utf-8")
    ]
    assert unbounded == [], f"use <id:...> in {unbounded}"


def _imported_modules(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_test_module_imports_another():
    offenders = {}
    for path in _modules("tests"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        test_imports = sorted(
            name
            for name in _imported_modules(tree)
            if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")
        )
        if test_imports:
            offenders[str(path.relative_to(ROOT))] = test_imports
    assert offenders == {}, f"move what they share into a helper module: {offenders}"


def test_the_rules_see_the_code_they_guard():
    """A rule that finds nothing to check would pass for the wrong reason."""
    assert sum(1 for _ in _modules("marketplace")) > 50
    assert sum(1 for _ in _modules("tests")) > 100
    tree = ast.parse("from tests.marketplace import test_x\nimport tests.billing.test_y\n")
    assert {"tests.marketplace.test_x", "tests.billing.test_y"} <= _imported_modules(tree)
