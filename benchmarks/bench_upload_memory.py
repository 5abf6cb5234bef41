"""Benchmark: the production web server's memory under big uploads and junk bodies.

Run from the repository root: ``python benchmarks/bench_upload_memory.py [--uploads 20]
[--size-mb 99] [--junk 20] [--baseline-uploads 2]``. Needs PostgreSQL and Redis like
``bench_web.py`` (the same ``cf_bench`` database, demo data and environment).

1. One uvicorn process of the production layout (``config.asgi``: bodies bounded by
   ``HTTP_MAX_BODY_MB`` before they are read, the rest spooled to disk by Django); Celery is
   not eager and nobody consumes its queue, so only the web process is measured.
2. ``--uploads`` customers post a ``--size-mb`` binary STL through the API at the same time,
   while ``--junk`` anonymous clients post a body of ``HTTP_MAX_BODY_MB`` + 10 MB to a URL that
   does not exist; a sampler reads the server's resident memory (with any children) every 20 ms.
3. The same with daphne as the baseline, with ``--baseline-uploads`` uploads and as many junk
   bodies (daphne reads every body into memory before the application sees it: 20 concurrent
   uploads there would need about 24 GB, so the baseline is kept small and scaled in words).
Prints the answers by status, the wall time and the peak memory of each server.
"""

from __future__ import annotations

import argparse
import http.client
import os
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from bench_web import DATABASE, WORK, prepare, production_env

ROOT = Path(__file__).resolve().parent.parent
PORT = 8190
CHUNK = 1024 * 1024
BODY_LIMIT_MB = 256
TOKEN = """
import django; django.setup()
from django.contrib.auth import get_user_model
from accounts.tokens import token_create
_, key = token_create(user=get_user_model().objects.get(email="alice@demo.cloudfactory.example"))
print(key)
"""


def stl_file(size_mb: int) -> Path:
    """A binary STL of about `size_mb` MB: a strip of distinct, valid triangles."""
    path = WORK / f"upload-{size_mb}mb.stl"
    count = (size_mb * 1024 * 1024 - 84) // 50
    if path.exists() and path.stat().st_size == 84 + 50 * count:
        return path
    with path.open("wb") as out:
        out.write(b"cloud factory upload benchmark".ljust(80, b" ") + struct.pack("<I", count))
        batch = bytearray()
        for i in range(count):
            x = float(i % 1000)
            y = float(i // 1000)
            batch += struct.pack("<12fH", 0, 0, 1, x, y, 0, x + 1, y, 0, x, y + 1, 0, 0)
            if len(batch) >= CHUNK:
                out.write(batch)
                batch.clear()
        out.write(batch)
    return path


class PeakMemory(threading.Thread):
    """The highest resident memory of a process and its descendants, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, sum(_rss(p) for p in [self.pid, *_descendants(self.pid)]))
            time.sleep(0.02)


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def post_file(path: Path, token: str, answers: Counter) -> None:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="unit"\r\n\r\nmm\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="part.stl"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + path.stat().st_size + len(tail)
    _send(
        "/api/v1/designs/",
        {
            "Authorization": f"Token {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        },
        [head, path, tail],
        answers,
    )


def post_junk(size: int, answers: Counter) -> None:
    _send(
        "/no/such/place/",
        {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(size)},
        [b"--x\r\n" + os.urandom(1024) * (size // 1024)],
        answers,
    )


def _send(url: str, headers: dict, parts: list, answers: Counter) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
    try:
        connection.putrequest("POST", url)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        for part in parts:
            if isinstance(part, Path):
                with part.open("rb") as source:
                    while chunk := source.read(CHUNK):
                        connection.send(chunk)
            else:
                for start in range(0, len(part), CHUNK):
                    connection.send(part[start : start + CHUNK])
        answers[str(connection.getresponse().status)] += 1
    except (BrokenPipeError, ConnectionResetError):
        # The server answered early (413) and closed: read what it said if it is there.
        try:
            answers[str(connection.getresponse().status)] += 1
        except (OSError, http.client.HTTPException):
            answers["closed early"] += 1
    except (OSError, http.client.HTTPException) as error:
        answers[type(error).__name__] += 1
    finally:
        connection.close()


def start(server: str, env: dict[str, str]) -> subprocess.Popen:
    command = {
        "uvicorn": [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port",
                    str(PORT), "--no-access-log", "--log-level", "warning"],
        "daphne": [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(PORT),
                   "config.asgi:application"],
    }[server]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            probe.request("GET", "/healthz")
            probe.getresponse().read()
            return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{server} did not start") from None
            time.sleep(0.5)


def run(server: str, env: dict, uploads: int, junk: int, path: Path, token: str) -> None:
    process = start(server, env)
    idle = _rss(process.pid)
    answers: Counter = Counter()
    sampler = PeakMemory(process.pid)
    sampler.start()
    junk_size = (BODY_LIMIT_MB + 10) * 1024 * 1024
    clients = [
        threading.Thread(target=post_file, args=(path, token, answers)) for _ in range(uploads)
    ] + [threading.Thread(target=post_junk, args=(junk_size, answers)) for _ in range(junk)]
    began = time.monotonic()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    wall = time.monotonic() - began
    sampler.stop.set()
    sampler.join()
    process.terminate()
    process.wait(timeout=60)
    mb = 1024 * 1024
    print(
        f"{server:8} {uploads:3} uploads of {path.stat().st_size / mb:.0f} MB + {junk:3} junk "
        f"bodies of {junk_size / mb:.0f} MB: idle {idle / mb:5.0f} MB, "
        f"peak {sampler.peak / mb:6.0f} MB, {wall:5.1f} s, answers {dict(sorted(answers.items()))}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--size-mb", type=int, default=99)
    parser.add_argument("--junk", type=int, default=20)
    parser.add_argument("--baseline-uploads", type=int, default=2)
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    database_url = urlunparse(urlparse(server_url)._replace(path=f"/{DATABASE}"))
    WORK.mkdir(parents=True, exist_ok=True)
    env = {
        **production_env(database_url, redis_url),
        "CELERY_TASK_ALWAYS_EAGER": "false",  # the analysis waits in a queue nobody reads
        "CELERY_BROKER_URL": redis_url,
        "DESIGN_ANALYSIS_PREWARM": "false",
        "HTTP_MAX_BODY_MB": str(BODY_LIMIT_MB),
    }
    print("Preparing the database, the demo data and the static files...", flush=True)
    prepare(server_url, env)
    token = subprocess.run(
        [sys.executable, "-c", TOKEN], cwd=ROOT, env=env, check=True, capture_output=True,
        text=True,
    ).stdout.split()[-1]  # fmt: skip
    path = stl_file(args.size_mb)
    print(f"\n## Peak memory of one production web process (limit {BODY_LIMIT_MB} MB per body)")
    run("uvicorn", env, args.uploads, args.junk, path, token)
    print("baseline:", flush=True)
    run("daphne", env, args.baseline_uploads, args.baseline_uploads, path, token)
    subprocess.run(
        [sys.executable, "-c", f"import redis; redis.Redis.from_url({redis_url!r}).flushdb()"],
        check=False,
    )
    print("The uploaded files stay in benchmarks/.work/media (delete it to free the space).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
