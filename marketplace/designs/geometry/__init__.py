"""Design geometry for Cloud Factory: validation, loading, analysis, manufacturability.

Pure Python + numpy/scipy/trimesh, with no Django import, so it runs the same in the web
process, a Celery worker, an isolated child process and the benchmarks.
"""

from .analysis import Analysis, ThicknessSummary, analyze
from .api import analyze_path
from .errors import DesignFileError
from .findings import Issue
from .isolation import analyze_path_isolated
from .limits import DEFAULT_LIMITS, Limits
from .loading import Design, cascadio_available, load_design
from .manufacturability import (
    REFERENCE_PROCESSES,
    ManufacturabilityReport,
    ProcessAssessment,
    ProcessCapability,
)
from .mesh import Mesh, stl_bytes
from .render import preview_stl, thumbnail_png
from .units import UPLOAD_UNITS, suggest_unit
from .validation import Sniffed, sniff

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
    "cascadio_available",
    "load_design",
    "preview_stl",
    "sniff",
    "stl_bytes",
    "suggest_unit",
    "thumbnail_png",
]
