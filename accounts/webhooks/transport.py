"""One signed POST to a checked, pinned address, with a connect and a total time limit.

Standard library only (``http.client``): the connection is opened to the address that
``addresses.resolve`` checked while the Host header and TLS certificate name stay the URL's
host. Redirects are not followed (a 3xx is a failure like any other non-2xx answer).
"""

import http.client
import socket
import ssl
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
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


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
        return Outcome(response.status, "", elapsed_ms(), excerpt.decode("utf-8", errors="replace"))
    except TimeoutError:
        return Outcome(None, f"No answer within {total_timeout:g} s.", elapsed_ms())
    except ssl.SSLError as error:
        return Outcome(None, f"TLS failed: {error.reason or error}.", elapsed_ms())
    except (OSError, http.client.HTTPException) as error:
        return Outcome(
            None, f"Connection failed: {error.__class__.__name__} {error}".strip(), elapsed_ms()
        )
    finally:
        connection.close()
