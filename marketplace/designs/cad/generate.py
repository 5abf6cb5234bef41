"""A parametric part made and measured: build the solid, write STEP and STL, analyse it.

Runs wherever the kernel may run: in the analysis child (`generate_isolated`, what the web
process and `make_part` use) or in-process (tests, the warm parent's warm-up). The analysis
is the very one an upload gets, with the template's own findings added.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from marketplace.designs.geometry import errors as file_errors
from marketplace.designs.geometry.analysis import analyze
from marketplace.designs.geometry.errors import DesignFileError
from marketplace.designs.geometry.limits import DEFAULT_LIMITS, Limits
from marketplace.designs.geometry.loading import Design
from marketplace.designs.geometry.manufacturability import (
    REFERENCE_PROCESSES,
    ProcessCapability,
)
from marketplace.designs.geometry.mesh import mesh_from_triangles, stl_bytes

from .templates import (
    REFERENCE_PROCESS_LIMITS,
    ProcessLimits,
    Template,
    TemplateError,
    template_get,
)

GENERATED = "template"  # the analysis "format" of a generated part


def generate(
    template: Template,
    raw: Mapping[str, Any],
    *,
    processes: Sequence[ProcessCapability] | None = REFERENCE_PROCESSES,
    process_limits: Sequence[ProcessLimits] = REFERENCE_PROCESS_LIMITS,
    step_to: str | os.PathLike[str] | None = None,
    stl_to: str | os.PathLike[str] | None = None,
    thumbnail_to: str | os.PathLike[str] | None = None,
) -> dict:
    """The `analyze_design` JSON of the part, plus `template` (key, parameters, closed-form
    volume) and `template_findings` (the process rules). Raises TemplateError for bad values."""
    from . import brep, step

    started = time.perf_counter()
    values = template.validate(raw)
    shape = template.build(values)
    facts = brep.facts(shape)
    mesh = mesh_from_triangles(brep.tessellate(shape))
    if step_to is not None:
        step.write_step(shape, step_to)
    if stl_to is not None:
        with open(stl_to, "wb") as handle:
            handle.write(stl_bytes(mesh, header=f"Cloud Factory {template.key}, mm".encode()))
    if thumbnail_to is not None:
        from marketplace.designs.geometry.render import thumbnail_png

        with open(thumbnail_to, "wb") as handle:
            handle.write(thumbnail_png(mesh))
    cad = {
        **facts.to_dict(),
        "volume_mm3": facts.volume_mm3,
        "area_mm2": facts.area_mm2,
        "bbox_min_mm": list(facts.bbox_min_mm),
        "bbox_max_mm": list(facts.bbox_max_mm),
    }
    design = Design(mesh, GENERATED, "mm", "template", 0, cad)
    result = analyze(design, processes=processes).to_dict()
    result["template"] = {
        "key": template.key,
        "name": template.name,
        "parameters": values,
        "volume_closed_form_mm3": template.volume_mm3(values),
    }
    result["template_findings"] = [
        f.to_dict() for f in template.findings(values, list(process_limits))
    ]
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def generate_request(request: dict) -> dict:
    """The child's side of `generate_isolated`: one JSON request in, one result out."""
    processes = request.get("processes")
    if processes is not None:
        processes = [
            ProcessCapability(
                **{
                    **p,
                    "build_envelope_mm": tuple(p["build_envelope_mm"]),
                    "materials": tuple(p["materials"]),
                }
            )
            for p in processes
        ]
    limits = [
        ProcessLimits(**{**p, "envelope_mm": tuple(p["envelope_mm"])})
        for p in request["process_limits"]
    ]
    try:
        return generate(
            template_get(request["template"]),
            request["parameters"],
            processes=processes,
            process_limits=limits,
            step_to=request.get("step_to"),
            stl_to=request.get("stl_to"),
            thumbnail_to=request.get("thumbnail_to"),
        )
    except TemplateError as error:
        raise DesignFileError(file_errors.BAD_PARAMETERS, error.message) from error


def generate_isolated(
    template_key: str,
    parameters: Mapping[str, Any],
    *,
    limits: Limits = DEFAULT_LIMITS,
    processes: Sequence[ProcessCapability] | None = REFERENCE_PROCESSES,
    process_limits: Sequence[ProcessLimits] = REFERENCE_PROCESS_LIMITS,
    step_to: str | os.PathLike[str] | None = None,
    stl_to: str | os.PathLike[str] | None = None,
    thumbnail_to: str | os.PathLike[str] | None = None,
) -> dict:
    """`generate` in a child of a warm CAD parent, under the analysis memory and time limits.

    The parameters are validated here first, so a bad value costs no child and comes back
    as TemplateError; the child's failures come back as DesignFileError like an upload's.
    """
    from marketplace.designs.geometry.isolation import run_job

    template = template_get(template_key)
    values = template.validate(parameters)
    job = {
        "kind": "generate",
        "template": template.key,
        "parameters": values,
        "processes": None if processes is None else [dataclasses.asdict(p) for p in processes],
        "process_limits": [dataclasses.asdict(p) for p in process_limits],
        "step_to": None if step_to is None else str(step_to),
        "stl_to": None if stl_to is None else str(stl_to),
        "thumbnail_to": None if thumbnail_to is None else str(thumbnail_to),
    }
    return run_job(job, limits, kind="cad", what="part")
