"""Warm analysis parents (see _worker.py), kept per process and lent to one job at a time.

Each parent is a plain subprocess talking JSON lines on its stdin and stdout, so the pool also
works inside daemonic Celery workers, where multiprocessing may not start children. A caller
borrows an idle parent (or starts one), sends one request and gets it back after the answer;
a parent that dies or stops answering is dropped and the next job starts a fresh one.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[3]  # the directory holding the marketplace package
_BOOT = (
    "import runpy, sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "runpy.run_module('marketplace.designs.geometry._worker', run_name='__main__')\n"
)
# What a parent has loaded before it forks: "mesh" (numpy, SciPy, trimesh, matplotlib) for
# uploads, "cad" (the same plus OpenCASCADE, about 500 MB more address space) for generating
# parametric parts. Upload children do not pay for a kernel they rarely need.
KINDS = ("mesh", "cad")
START_SECONDS = 120.0  # importing and warming up, on a busy machine
REAP_SECONDS = 10.0  # from killing a child to its parent reporting it
MAX_IDLE = 2  # warm parents kept per process, each about 150 MB resident


class PoolUnavailable(Exception):
    """A warm parent could not be started or stopped answering."""


@dataclass(frozen=True)
class Outcome:
    """What became of one child: its exit code (minus a signal), its output, a timeout."""

    exit_code: int
    output: bytes
    timed_out: bool


class WarmParent:
    """One warm parent process; used by one thread at a time."""

    def __init__(self, kind: str = "mesh") -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown parent kind {kind!r}")
        self.kind = kind
        env = dict(os.environ)
        # One BLAS thread each: thread pools reserve address space that RLIMIT_AS counts, and
        # a thread in the parent would not survive its fork.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"
        env["MPLBACKEND"] = "Agg"
        self.owner = os.getpid()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(_ROOT), kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._buffer = b""
        ready = self._message(time.monotonic() + START_SECONDS)
        if not ready.get("ready"):
            self.close()
            raise PoolUnavailable(ready.get("error", "the analysis parent did not start"))

    @property
    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def run(self, job: dict, *, memory_bytes: int, cpu_seconds: int, seconds: float) -> Outcome:
        """One job in a fresh child of this parent, killed after `seconds` of wall time."""
        request = {"job": job, "memory_bytes": memory_bytes, "cpu_seconds": cpu_seconds}
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except OSError as exc:
            raise PoolUnavailable("the analysis parent is gone") from exc
        started = self._message(time.monotonic() + START_SECONDS)
        child = started["pid"]
        timed_out = False
        try:
            done = self._message(time.monotonic() + seconds)
        except TimeoutError:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):  # it ended on its own just now
                os.kill(child, signal.SIGKILL)
            done = self._message(time.monotonic() + REAP_SECONDS)
        return Outcome(done["exit"], done["output"].encode(), timed_out)

    def close(self) -> None:
        """Ends the parent: stdin closed ends its loop; a kill ends a stuck one."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            self.process.stdout.close()

    def kill(self) -> None:
        """Ends a parent that misbehaved; a child it left runs out of its own limits."""
        self.process.kill()
        self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()

    def _message(self, deadline: float) -> dict:
        """The parent's next JSON line; TimeoutError after `deadline`, PoolUnavailable on EOF."""
        descriptor = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            readable, _, _ = select.select([descriptor], [], [], left)
            if not readable:
                continue
            chunk = os.read(descriptor, 1 << 16)
            if not chunk:
                raise PoolUnavailable("the analysis parent is gone")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)


_idle: list[WarmParent] = []
_lock = threading.Lock()


def borrow(kind: str = "mesh") -> WarmParent:
    """An idle warm parent of this process, or a new one (which takes seconds to start)."""
    with _lock:
        for parent in reversed(_idle):
            if parent.kind == kind:
                _idle.remove(parent)
                if parent.alive:
                    return parent
    return WarmParent(kind)


def give_back(parent: WarmParent) -> None:
    """Keeps a healthy parent for the next job, up to MAX_IDLE of its kind; ends the others."""
    with _lock:
        same = sum(1 for idle in _idle if idle.kind == parent.kind)
        if parent.alive and same < MAX_IDLE:
            _idle.append(parent)
            return
    if parent.owner == os.getpid():
        parent.close()


def discard(parent: WarmParent) -> None:
    """Ends a parent that misbehaved, so that no later job meets it."""
    if parent.owner == os.getpid():
        parent.kill()


def idle_parents(kind: str = "mesh") -> list[int]:
    """The process ids of this process's idle warm parents (for tests and the benchmark)."""
    with _lock:
        return [parent.process.pid for parent in _idle if parent.alive and parent.kind == kind]


def prewarm() -> threading.Thread | None:
    """Starts a warm parent in the background unless one is idle, so the first upload is fast."""
    with _lock:
        if any(parent.alive and parent.kind == "mesh" for parent in _idle):
            return None

    def start() -> None:
        # On failure the first job starts a parent itself and reports what goes wrong.
        with contextlib.suppress(PoolUnavailable, OSError, TimeoutError):
            give_back(WarmParent())

    thread = threading.Thread(target=start, name="analysis-prewarm", daemon=True)
    thread.start()
    return thread


def shutdown() -> None:
    """Ends the idle parents of this process (at exit, and in tests)."""
    with _lock:
        parents, _idle[:] = list(_idle), []
    for parent in parents:
        if parent.owner == os.getpid():
            parent.close()


atexit.register(shutdown)
