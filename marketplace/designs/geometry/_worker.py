"""Child side of isolation.py: a warm parent that forks one limited child per analysis.

The parent (`serve`) imports numpy, SciPy, trimesh and matplotlib once and analyses a small
built-in plate to warm their caches: 2-3 s that an analysis no longer pays. It never reads an
upload itself. For each request line on stdin it forks; the child sets its own memory and
processor limits before it opens the file, analyses it and writes one JSON reply line into a
pipe; the parent answers with the child's pid, then with its exit code and output. A file
that blows the limits kills only its child, and the parent stays warm for the next one.

The child imports nothing while handling a failure: under a tight memory limit even an
import can fail.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
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
MAX_OUTPUT_BYTES = 16 * 1024 * 1024  # a reply is a few kB; anything beyond is a runaway child


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


def handle(request: dict) -> dict:
    """One analysis request to one reply; every failure becomes a reply a customer can read."""
    try:
        return {"ok": True, "result": _run(request)}
    except MemoryError:
        return MEMORY
    except Exception as exc:
        code = getattr(exc, "code", None)
        message = getattr(exc, "message", None)
        text = str(exc).lower()
        if near_memory_limit() or "memory" in text or "map segment" in text:
            return MEMORY
        if isinstance(code, str) and isinstance(message, str):
            return {"ok": False, "code": code, "message": message}
        traceback.print_exc()
        return FAILED


def _run(request: dict) -> dict:
    if request.get("kind") == "generate":
        from marketplace.designs.cad.generate import generate_request

        return generate_request(request)
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


def warm_up(kind: str = "mesh") -> None:
    """Imports the libraries and runs one small analysis, so first calls are paid here once."""
    if kind == "cad":  # the kernel too, and one small part through it
        from marketplace.designs.cad.generate import generate
        from marketplace.designs.cad.templates import template_get

        generate(template_get("plate"), {})
    from marketplace.designs.geometry import samples
    from marketplace.designs.geometry.analysis import analyze
    from marketplace.designs.geometry.loading import load_design
    from marketplace.designs.geometry.mesh import stl_bytes
    from marketplace.designs.geometry.render import preview_stl, thumbnail_png

    design = load_design(stl_bytes(samples.plate_mesh(width_tiles=2, depth_tiles=2)))
    for _ in range(2):  # matplotlib's second figure still costs 0.1 s more than the third
        analyze(design)
        thumbnail_png(design.mesh)
        preview_stl(design.mesh)


def _child(request: dict, out: int) -> None:
    """In the forked child: limits first, then the file; never returns."""
    try:
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        memory, cpu = request["memory_bytes"], request["cpu_seconds"]
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        reply = handle(request["job"])
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    except BaseException:  # the child must never fall back into the parent's loop
        os._exit(1)
    os._exit(0)


def _answer(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _collect(read_end: int) -> bytes:
    """The child's output until it exits (its end of the pipe closes), keeping the tail."""
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
        size += len(chunk)
        while size > MAX_OUTPUT_BYTES and len(chunks) > 1:
            size -= len(chunks.pop(0))
    os.close(read_end)
    return b"".join(chunks)


def serve(kind: str = "mesh") -> int:
    """The warm parent's loop: one forked child per request line, until stdin closes."""
    warm_up(kind)
    if threading.active_count() != 1:  # a thread would not survive fork, with its locks
        _answer({"ready": False, "error": "threads left after warm-up"})
        return 1
    _answer({"ready": True, "pid": os.getpid()})
    for line in sys.stdin:
        request = json.loads(line)
        read_end, write_end = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _child(request, write_end)
        os.close(write_end)
        _answer({"pid": pid})
        output = _collect(read_end)
        _, status = os.waitpid(pid, 0)
        exit_code = os.waitstatus_to_exitcode(status)
        _answer({"exit": exit_code, "output": output.decode("utf-8", "replace")})
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[2] if len(sys.argv) > 2 else "mesh"))
