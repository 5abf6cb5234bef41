"""The geometry core must run without Django (Celery workers, benchmarks, isolated children)."""

from tests.helpers import imported_django_modules


def test_geometry_package_imports_no_django_module():
    done = imported_django_modules(
        "marketplace.designs.geometry", "marketplace.designs.geometry.samples"
    )
    assert done.returncode == 0, done.stdout + done.stderr
