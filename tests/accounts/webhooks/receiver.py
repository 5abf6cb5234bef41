"""A real HTTP receiver for webhook tests: http.server in a thread on an ephemeral port.

It answers with the statuses it is given (then 200), may sleep before answering, and keeps
every request (headers, raw body, arrival time) for the test to inspect.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.helpers import ROOT


def example_receiver_module():
    """The shipped `examples/webhook_receiver.py`, loaded as partners would run it."""
    path = ROOT / "examples" / "webhook_receiver.py"
    spec = importlib.util.spec_from_file_location("webhook_receiver_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/cloud-factory"


@contextmanager
def running_receiver(*, statuses: list[int] | None = None, delay: float = 0.0):
    """Serve on 127.0.0.1 until the block ends; yields the Receiver (its url and requests)."""
    receiver = Receiver(statuses=list(statuses or []), delay=delay)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                receiver.requests.append(
                    Received(self.path, dict(self.headers.items()), body, time.monotonic())
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            if receiver.delay:
                time.sleep(receiver.delay)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the client gave up (timeout)

        def log_message(self, format, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
