"""A Celery worker of the analysis queue starts its warm analysis parent as each pool process
starts, so the first file after a (re)start skips the imports; other queues' workers do not
spend the memory. Real workers, a real broker, real processes."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
WARM_PARENT_MARK = b"marketplace.designs.geometry._worker"


def _descendants(pid: int) -> list[int]:
    children_of: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children_of.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children_of.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _warm_parents_under(pid: int) -> int:
    count = 0
    for child in _descendants(pid):
        try:
            if WARM_PARENT_MARK in Path(f"/proc/{child}/cmdline").read_bytes():
                count += 1
        except OSError:
            continue
    return count


def _worker(broker: str, queue: str, tmp_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DESIGN_ANALYSIS_WORKER_PREWARM": "true",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "-c",
            "1",
            "-P",
            "prefork",
            "-n",
            f"{queue}-{uuid.uuid4().hex[:8]}@%h",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / f"{queue}.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_only_analysis_workers_start_warm_parents(redis_url, tmp_path):
    # A database of its own on the broker: these workers must not take anyone's tasks.
    broker = redis_url.rsplit("/", 1)[0] + "/13"
    analysis, default = _worker(broker, "analysis", tmp_path), _worker(broker, "default", tmp_path)
    try:
        deadline = time.monotonic() + 180
        while _warm_parents_under(analysis.pid) == 0:
            assert analysis.poll() is None, (tmp_path / "analysis.log").read_text()
            assert time.monotonic() < deadline, "no warm parent under the analysis worker"
            time.sleep(1)
        assert default.poll() is None, (tmp_path / "default.log").read_text()
        # Both workers were started together and the default one is as far along by now.
        assert _warm_parents_under(default.pid) == 0
    finally:
        _stop(analysis)
        _stop(default)
    assert _warm_parents_under(analysis.pid) == 0  # and nothing is left behind
