"""The geometry core must run without Django (Celery workers, benchmarks, isolated children)."""

import importlib
from pathlib import Path

import pytest

import marketplace.designs.geometry
from tests.helpers import imported_django_modules

GEOMETRY_MODULES = {
    path.stem
    for path in Path(marketplace.designs.geometry.__file__).parent.glob("*.py")
    if path.stem != "__init__"
}


def test_geometry_package_imports_no_django_module():
    # The package loads its names lazily, so every module is named here.
    done = imported_django_modules(
        *(f"marketplace.designs.geometry.{name}" for name in sorted(GEOMETRY_MODULES))
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_public_name_of_the_package_loads_from_its_module():
    package = marketplace.designs.geometry
    for name in package.__all__:
        value = getattr(package, name)
        home = next(
            module
            for stem in sorted(GEOMETRY_MODULES)
            if hasattr(module := importlib.import_module(f"{package.__name__}.{stem}"), name)
            and getattr(module, name) is value
        )
        assert home is not None
    assert set(package.__all__) == set(package._MODULE_OF)
    assert {"analyze_path_isolated", "sniff", "Limits", "DesignFileError"} <= set(dir(package))


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        marketplace.designs.geometry.no_such_name  # noqa: B018
