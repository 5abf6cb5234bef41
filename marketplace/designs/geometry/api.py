"""Entry points the Django app calls: one path in, one JSON-ready dict out."""

from __future__ import annotations

import os
from collections.abc import Sequence

from .analysis import analyze
from .limits import DEFAULT_LIMITS, Limits
from .loading import load_design
from .manufacturability import REFERENCE_PROCESSES, ProcessCapability


def analyze_path(
    path: str | os.PathLike[str] | bytes,
    *,
    unit: str = "mm",
    limits: Limits = DEFAULT_LIMITS,
    processes: Sequence[ProcessCapability] | None = REFERENCE_PROCESSES,
    material: str | None = None,
) -> dict:
    """Validate, load, analyse: exactly what `manage.py analyze_design FILE` prints.

    Raises DesignFileError (code, message) for any file that cannot be read. Runs in this
    process; use `analyze_path_isolated` for untrusted uploads.
    """
    design = load_design(path, unit=unit, limits=limits)
    return analyze(design, processes=processes, material=material).to_dict()
