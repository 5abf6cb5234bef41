"""Child side of isolation.py: read one request on stdin, print one JSON reply line.

Imports nothing from the package before the request is read, and nothing at all while
handling a failure: under a tight memory limit even an import can fail.
"""

from __future__ import annotations

import json
import resource
import sys
import traceback

MEMORY = {
    "ok": False,
    "code": "out_of_memory",
    "message": "The file needs more memory than allowed to read.",
}
FAILED = {
    "ok": False,
    "code": "worker_failed",
    "message": "We could not analyse this file because of a problem on our side.",
}


def near_memory_limit() -> bool:
    """Parsers report a failed allocation as anything ('unknown error' from lxml), so a
    failure after the address space came within 10 % of the limit counts as memory."""
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit in (resource.RLIM_INFINITY, -1):
        return False
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024 >= 0.9 * limit
    except OSError:
        return False
    return False


def main() -> int:
    request = json.loads(sys.stdin.read())
    try:
        reply = {"ok": True, "result": _run(request)}
    except MemoryError:
        reply = MEMORY
    except Exception as exc:
        code = getattr(exc, "code", None)
        message = getattr(exc, "message", None)
        text = str(exc).lower()
        if near_memory_limit() or "memory" in text or "map segment" in text:
            reply = MEMORY
        elif isinstance(code, str) and isinstance(message, str):
            reply = {"ok": False, "code": code, "message": message}
        else:
            traceback.print_exc()
            reply = FAILED
    sys.stdout.write(json.dumps(reply) + "\n")
    return 0


def _run(request: dict) -> dict:
    from marketplace.designs.geometry.analysis import analyze
    from marketplace.designs.geometry.limits import Limits
    from marketplace.designs.geometry.loading import load_design
    from marketplace.designs.geometry.manufacturability import ProcessCapability
    from marketplace.designs.geometry.render import preview_stl, thumbnail_png

    limits = Limits(**request["limits"])
    processes = request["processes"]
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
    design = load_design(request["path"], unit=request["unit"], limits=limits)
    result = analyze(design, processes=processes, material=request["material"]).to_dict()
    if request.get("thumbnail_to"):
        with open(request["thumbnail_to"], "wb") as handle:
            handle.write(thumbnail_png(design.mesh))
    if request.get("preview_to"):
        with open(request["preview_to"], "wb") as handle:
            handle.write(preview_stl(design.mesh))
    return result


if __name__ == "__main__":
    sys.exit(main())
