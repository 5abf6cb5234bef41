"""One signed POST to a checked, pinned address, with a connect and a total time limit.

Standard library only (``http.client``): the connection is opened to the address that
``addresses.resolve`` checked while the Host header and TLS certificate name stay the URL's
host. Redirects are not followed (a 3xx is a failure like any other non-2xx answer).
"""

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from accounts.webhooks.addresses import AddressRefused, Target, resolve

RESPONSE_EXCERPT_BYTES = 2048  # kept for the delivery log


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt gave: a status code (None when no answer came) or an error."""

    status_code: int | None
    error: str
    duration_ms: int
    response_excerpt: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    raw_sock: socket.socket | None = None  # the TCP socket, for the deadline to cut

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = self.raw_sock = socket.create_connection(
            (self._address, self.port), self.timeout
        )


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    raw_sock: socket.socket | None = None

    def __init__(self, target: Target, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        self.raw_sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(self.raw_sock, server_hostname=self.host)


def post(
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
    connect_timeout: float,
    total_timeout: float,
) -> Outcome:
    """POST the body; never raises for network trouble, it is reported in the outcome."""
    started = time.monotonic()
    deadline = started + total_timeout

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = resolve(url, allow_private=allow_private)
    except AddressRefused as error:
        return Outcome(None, str(error), elapsed_ms())
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout=min(connect_timeout, total_timeout))
    # Socket timeouts bound each read, not the whole: a receiver sending a byte now and then
    # would hold the worker for ever. At the deadline the watchdog cuts the connection.
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        if connection.raw_sock is not None:
            with contextlib.suppress(OSError):
                connection.raw_sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(max(deadline - time.monotonic(), 0.0), cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.connect()
        sock = connection.sock  # kept: http.client lets go of it once the answer is read
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = b""
        while len(excerpt) < RESPONSE_EXCERPT_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            chunk = response.read1(RESPONSE_EXCERPT_BYTES - len(excerpt))
            if not chunk:
                break
            excerpt += chunk
        if expired.is_set():
            raise TimeoutError
        return Outcome(response.status, "", elapsed_ms(), excerpt.decode("utf-8", errors="replace"))
    except TimeoutError:
        return Outcome(None, f"No answer within {total_timeout:g} s.", elapsed_ms())
    except (OSError, http.client.HTTPException) as error:
        if expired.is_set():
            return Outcome(None, f"No answer within {total_timeout:g} s.", elapsed_ms())
        if isinstance(error, ssl.SSLError):
            return Outcome(None, f"TLS failed: {error.reason or error}.", elapsed_ms())
        return Outcome(
            None, f"Connection failed: {error.__class__.__name__} {error}".strip(), elapsed_ms()
        )
    finally:
        watchdog.cancel()
        connection.close()
