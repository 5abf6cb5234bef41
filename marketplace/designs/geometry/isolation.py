"""Parse and analyse untrusted uploads in a child process with memory and time limits.

A 1 MB 3MF bomb used 2.1 GB inside trimesh; the checks in validation.py catch the known
tricks, and this catches the rest. A plain subprocess (not multiprocessing) so it also works
inside daemonic Celery workers, and the limits are set before numpy is even imported.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from . import errors
from .errors import DesignFileError
from .limits import DEFAULT_LIMITS, Limits
from .manufacturability import REFERENCE_PROCESSES, ProcessCapability

_ROOT = Path(__file__).resolve().parents[2]  # the directory holding the marketplace package
_BOOT = (
    "import resource, runpy, sys\n"
    "mem, cpu = int(sys.argv[1]), int(sys.argv[2])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (mem, mem))\n"
    "resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))\n"
    "sys.path.insert(0, sys.argv[3])\n"
    "runpy.run_module('marketplace.designs.geometry._worker', run_name='__main__')\n"
)
MEMORY_MESSAGE = "The file needs more memory than allowed to read."


def analyze_path_isolated(
    path: str | os.PathLike[str],
    *,
    unit: str = "mm",
    limits: Limits = DEFAULT_LIMITS,
    processes: Sequence[ProcessCapability] | None = REFERENCE_PROCESSES,
    material: str | None = None,
    thumbnail_to: str | os.PathLike[str] | None = None,
    preview_to: str | os.PathLike[str] | None = None,
) -> dict:
    """`analyze_path` in a child process; optionally also writes the thumbnail and preview.

    Raises DesignFileError: the file's own error, or `out_of_memory` / `timeout` when the
    child hits `limits.max_memory_bytes` / `limits.max_seconds`.
    """
    request = {
        "path": str(path),
        "unit": unit,
        "limits": dataclasses.asdict(limits),
        "processes": None if processes is None else [dataclasses.asdict(p) for p in processes],
        "material": material,
        "thumbnail_to": None if thumbnail_to is None else str(thumbnail_to),
        "preview_to": None if preview_to is None else str(preview_to),
    }
    env = dict(os.environ)
    # One BLAS thread each: thread pools reserve address space that RLIMIT_AS counts.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env["MPLBACKEND"] = "Agg"
    cpu_seconds = max(1, int(limits.max_seconds) + 1)
    command = [
        sys.executable,
        "-c",
        _BOOT,
        str(limits.max_memory_bytes),
        str(cpu_seconds),
        str(_ROOT),
    ]
    try:
        done = subprocess.run(
            command,
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=limits.max_seconds,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DesignFileError(
            errors.TIMEOUT,
            f"The file took too long to analyse (more than {limits.max_seconds:g} s). "
            "Simplify the model or export it with fewer triangles.",
        ) from exc
    reply = _reply(done.stdout)
    if reply is not None:
        if reply.get("ok"):
            return reply["result"]
        raise DesignFileError(reply["code"], reply["message"])
    if done.returncode == -signal.SIGXCPU:
        raise DesignFileError(
            errors.TIMEOUT,
            f"The file took too long to analyse (more than {limits.max_seconds:g} s of "
            "processor time).",
        )
    if b"MemoryError" in done.stderr or done.returncode < 0:
        raise DesignFileError(errors.OUT_OF_MEMORY, MEMORY_MESSAGE)
    raise DesignFileError(
        errors.WORKER_FAILED,
        "We could not analyse this file because of a problem on our side; we have been told.",
    )


def _reply(stdout: bytes) -> dict | None:
    lines = stdout.strip().splitlines()
    if not lines:
        return None
    try:
        reply = json.loads(lines[-1])
    except ValueError:
        return None
    return reply if isinstance(reply, dict) else None
