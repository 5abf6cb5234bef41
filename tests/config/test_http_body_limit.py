"""Request bodies over the bound are refused with 413 before the application reads them, by
declared length or as they stream in; bodies under it reach Django whole."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from config.http_limit import BoundedBody

ROOT = Path(__file__).resolve().parents[2]


class ReadingApp:
    """Reads the whole body, as Django does first, and answers 200 with its length."""

    def __init__(self) -> None:
        self.called = False
        self.body = b""

    async def __call__(self, scope, receive, send) -> None:
        self.called = True
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(self.body)).encode()})


def _run(app, chunks: list[bytes], headers: list[tuple[bytes, bytes]]):
    pending = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks or [b""])
    ]
    reads, sent = [], []

    async def receive():
        reads.append(1)
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]), len(reads)


def test_a_declared_length_over_the_bound_is_refused_unread():
    inner = ReadingApp()
    status, body, reads = _run(
        BoundedBody(inner, 1000), [b"x" * 10], [(b"content-length", b"5000")]
    )
    assert status == 413
    assert json.loads(body)["code"] == "request_too_large"
    assert reads == 0
    assert not inner.called


def test_a_length_that_is_not_a_number_is_refused():
    for value in (b"-1", b"1e9", b"12 34", b"9" * 40):
        inner = ReadingApp()
        status, _, reads = _run(BoundedBody(inner, 1000), [b"x"], [(b"Content-Length", value)])
        assert (status, reads, inner.called) == (413, 0, False)


def test_other_protocols_pass_untouched():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(BoundedBody(app, 1)({"type": "websocket"}, None, None))
    assert seen == ["websocket"]


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
    limit=st.integers(min_value=1, max_value=2000),
    declare=st.booleans(),
)
def test_a_body_reaches_the_app_whole_exactly_when_it_fits(sizes, limit, declare):
    chunks = [bytes([i % 251]) * n for i, n in enumerate(sizes)]
    whole = b"".join(chunks)
    headers = [(b"content-length", str(len(whole)).encode())] if declare else []
    inner = ReadingApp()
    status, body, _ = _run(BoundedBody(inner, limit), chunks, headers)
    if len(whole) <= limit:
        assert (status, inner.body, body) == (200, whole, str(len(whole)).encode())
    else:
        assert status == 413
        assert len(inner.body) <= limit + max(sizes)  # cut at the chunk that crossed it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_production_server_refuses_a_huge_body_before_it_arrives(tmp_path):
    """uvicorn with the project's application: a 2 GB declaration gets 413 while only the
    headers were sent, and the server stays up for the next request."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DESIGN_ANALYSIS_PREWARM": "false",
        "HTTP_MAX_BODY_MB": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.3)
        with conn:
            conn.sendall(
                b"POST /nowhere/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/"
                b"octet-stream\r\nContent-Length: 2147483648\r\n\r\n"
            )
            answer = b""
            while chunk := conn.recv(4096):  # the server closes after its answer
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"request_too_large" in answer
        with socket.create_connection(("127.0.0.1", port), timeout=30) as again:
            again.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert again.recv(64).split(b" ")[1] in (b"200", b"503")
    finally:
        server.terminate()
        server.wait(timeout=30)
