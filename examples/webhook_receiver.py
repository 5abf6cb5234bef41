"""A Cloud Factory webhook receiver in the standard library: verify, then acknowledge.

Run it with the endpoint's secret:

    CLOUD_FACTORY_WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py --port 8000

Every request carries ``Cloud-Factory-Signature: t=<unix seconds>,v1=<hex>``, where the hex is
HMAC-SHA256 of ``f"{t}.{raw body}"`` under the secret (two ``v1`` values for a day after the
secret was rotated). Verify the raw bytes before parsing them, refuse a timestamp more than five
minutes away from your clock (a replayed request), answer 2xx quickly and do the work later.
The same event may arrive more than once: remember its ``id`` and ignore repeats.
"""

import argparse
import hashlib
import hmac
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 1_000_000


class InvalidSignature(ValueError):
    pass


def verify_signature(
    header: str, body: bytes, secret: str, *, tolerance: int = TOLERANCE_SECONDS, now=None
) -> int:
    """The signed timestamp if the header matches the body and is fresh; else InvalidSignature."""
    timestamp, signatures = None, []
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidSignature("missing timestamp or signature")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise InvalidSignature("timestamp outside the tolerance window")
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise InvalidSignature("signature does not match")
    return timestamp


def make_handler(secret: str, seen_event_ids: set[str] | None = None):
    """A request handler class that verifies each POST with `secret`."""
    seen = set() if seen_event_ids is None else seen_event_ids
    seen_lock = threading.Lock()  # requests run in threads: a repeat racing its first is one

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            declared = self.headers.get("Content-Length", "")
            if not declared.isascii() or not declared.isdigit():
                # Never trust it: "-1" would read until the sender stops, "abc" would crash.
                self.close_connection = True
                self._answer(400, "a Content-Length (a number of bytes) is required")
                return
            length = int(declared)
            if length > MAX_BODY_BYTES:
                self._answer(413, "too large")
                return
            body = self.rfile.read(length)
            try:
                verify_signature(self.headers.get("Cloud-Factory-Signature", ""), body, secret)
                event = json.loads(body)
            except (InvalidSignature, ValueError) as error:
                self._answer(400, str(error))
                return
            with seen_lock:
                repeat = event["id"] in seen
                seen.add(event["id"])
            if repeat:
                self._answer(200, "duplicate ignored")
                return
            print(f"{event['type']} {event['id']}: {json.dumps(event['data'])}", flush=True)
            self._answer(200, "ok")

        def _answer(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args()
    secret = os.environ["CLOUD_FACTORY_WEBHOOK_SECRET"]
    server = ThreadingHTTPServer((arguments.host, arguments.port), make_handler(secret))
    print(f"Listening on http://{arguments.host}:{arguments.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
