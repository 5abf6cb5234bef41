#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import gc
import os
import sys


def set_up_django() -> None:
    """Loads the settings, apps, models and admin with the garbage collector paused.

    Start-up makes a few hundred thousand objects that live as long as the process (modules,
    classes, models, the admin) and almost no garbage, yet the collector walks them again and
    again as they grow: a quarter to a third of `manage.py check`'s time. They are frozen once
    made (never walked again), then the collector runs as usual for the command itself.
    Broken settings are left to Django's command line, which reports them in its own words;
    `runserver` sets Django up itself, so that it keeps reloading after an error.
    """
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if sys.argv[1:2] == ["runserver"]:
        return
    try:
        settings.INSTALLED_APPS  # noqa: B018 (loads the settings)
    except (ImproperlyConfigured, ImportError):
        return
    django.setup()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    gc.disable()
    try:
        set_up_django()
    finally:
        gc.freeze()
        gc.enable()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
