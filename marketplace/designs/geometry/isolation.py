"""Parse and analyse untrusted uploads in a child process with memory and time limits.

A 1 MB 3MF bomb used 2.1 GB inside trimesh; the checks in validation.py catch the known
tricks, and this catches the rest. Each job runs in a fresh child forked from a warm parent
(pool.py, _worker.py) that has numpy, SciPy, trimesh and matplotlib loaded already, so a small
file is analysed in a fraction of a second instead of paying 2-3 s of imports. The child sets
its address-space and processor limits before it opens the file; the limits count what the
warm parent had mapped, as they counted the imports when each child loaded its own.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from collections.abc import Sequence

from . import errors, pool
from .errors import DesignFileError
from .limits import DEFAULT_LIMITS, Limits
from .manufacturability import REFERENCE_PROCESSES, ProcessCapability

MEMORY_MESSAGE = "The file needs more memory than allowed to read."
OUR_SIDE_MESSAGE = (
    "We could not analyse this file because of a problem on our side; we have been told."
)


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
    job = {
        "path": str(path),
        "unit": unit,
        "limits": dataclasses.asdict(limits),
        "processes": None if processes is None else [dataclasses.asdict(p) for p in processes],
        "material": material,
        "thumbnail_to": None if thumbnail_to is None else str(thumbnail_to),
        "preview_to": None if preview_to is None else str(preview_to),
    }
    return run_job(job, limits)


def run_job(job: dict, limits: Limits, *, kind: str = "mesh", what: str = "file") -> dict:
    """One job in a limited child of a warm parent of `kind`; its result or DesignFileError.

    `what` names the thing in the messages: an upload is a "file", a generated "part".
    """
    doing = "analyse" if what == "file" else "generate"
    outcome = _run_in_child(job, limits, kind)
    if outcome.timed_out:
        raise DesignFileError(
            errors.TIMEOUT,
            f"The {what} took too long to {doing} (more than {limits.max_seconds:g} s). "
            + (
                "Simplify the model or export it with fewer triangles."
                if what == "file"
                else "Choose fewer holes or a simpler shape."
            ),
        )
    reply = _reply(outcome.output)
    if reply is not None:
        if reply.get("ok"):
            return reply["result"]
        raise DesignFileError(reply["code"], reply["message"])
    if outcome.exit_code == -signal.SIGXCPU:
        raise DesignFileError(
            errors.TIMEOUT,
            f"The {what} took too long to {doing} (more than {limits.max_seconds:g} s of "
            "processor time).",
        )
    if b"MemoryError" in outcome.output or outcome.exit_code < 0:
        raise DesignFileError(errors.OUT_OF_MEMORY, MEMORY_MESSAGE)
    raise DesignFileError(errors.WORKER_FAILED, OUR_SIDE_MESSAGE)


def _run_in_child(job: dict, limits: Limits, kind: str = "mesh") -> pool.Outcome:
    """The job in a child of a warm parent; a parent that fails is replaced once."""
    cpu_seconds = max(1, int(limits.max_seconds) + 1)
    failure: Exception | None = None
    for _attempt in range(2):
        try:
            parent = pool.borrow(kind)
        except (pool.PoolUnavailable, OSError, TimeoutError) as exc:
            failure = exc
            continue
        try:
            outcome = parent.run(
                job,
                memory_bytes=limits.max_memory_bytes,
                cpu_seconds=cpu_seconds,
                seconds=limits.max_seconds,
            )
        except (pool.PoolUnavailable, OSError, TimeoutError, ValueError, KeyError) as exc:
            pool.discard(parent)
            failure = exc
            continue
        pool.give_back(parent)
        return outcome
    raise DesignFileError(errors.WORKER_FAILED, OUR_SIDE_MESSAGE) from failure


def _reply(stdout: bytes) -> dict | None:
    lines = stdout.strip().splitlines()
    if not lines:
        return None
    try:
        reply = json.loads(lines[-1])
    except ValueError:
        return None
    return reply if isinstance(reply, dict) else None
