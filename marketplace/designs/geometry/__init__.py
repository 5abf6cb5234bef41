"""Design geometry for Cloud Factory: validation, loading, analysis, manufacturability.

Pure Python + numpy/scipy/trimesh, with no Django import, so it runs the same in the web
process, a Celery worker, an isolated child process and the benchmarks.

The names below are loaded on first use (PEP 562): numpy and SciPy cost about a second, and
the web process and management commands that never touch a mesh should not pay it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analysis import Analysis, ThicknessSummary, analyze
    from .api import analyze_path
    from .errors import DesignFileError
    from .findings import Issue
    from .isolation import analyze_path_isolated
    from .limits import DEFAULT_LIMITS, Limits
    from .loading import Design, load_design
    from .manufacturability import (
        REFERENCE_PROCESSES,
        ManufacturabilityReport,
        ProcessAssessment,
        ProcessCapability,
        shape_for,
    )
    from .mesh import Mesh, stl_bytes
    from .render import preview_stl, thumbnail_png
    from .units import UPLOAD_UNITS, suggest_unit
    from .validation import Sniffed, sniff

_HOMES = {
    "analysis": ("Analysis", "ThicknessSummary", "analyze"),
    "api": ("analyze_path",),
    "errors": ("DesignFileError",),
    "findings": ("Issue",),
    "isolation": ("analyze_path_isolated",),
    "limits": ("DEFAULT_LIMITS", "Limits"),
    "loading": ("Design", "load_design"),
    "manufacturability": (
        "REFERENCE_PROCESSES",
        "ManufacturabilityReport",
        "ProcessAssessment",
        "ProcessCapability",
        "shape_for",
    ),
    "mesh": ("Mesh", "stl_bytes"),
    "render": ("preview_stl", "thumbnail_png"),
    "units": ("UPLOAD_UNITS", "suggest_unit"),
    "validation": ("Sniffed", "sniff"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "DEFAULT_LIMITS",
    "REFERENCE_PROCESSES",
    "UPLOAD_UNITS",
    "Analysis",
    "Design",
    "DesignFileError",
    "Issue",
    "Limits",
    "ManufacturabilityReport",
    "Mesh",
    "ProcessAssessment",
    "ProcessCapability",
    "Sniffed",
    "ThicknessSummary",
    "analyze",
    "analyze_path",
    "analyze_path_isolated",
    "load_design",
    "preview_stl",
    "shape_for",
    "sniff",
    "stl_bytes",
    "suggest_unit",
    "thumbnail_png",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
