"""Signatures in the style of Stripe: `t=<unix>,v1=<hex hmac_sha256(secret, f"{t}.{body}")>`.

Pure standard library, so the example receiver and the tests can reason about the same rule.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Cloud-Factory-Signature"
TOLERANCE_SECONDS = 5 * 60  # a receiver refuses signatures older or newer than this


class SignatureError(ValueError):
    """The header is missing, malformed, outside the time window or does not match."""


def compute(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_value(*, secrets: list[str], timestamp: int, body: bytes) -> str:
    """One `v1` per secret: while a rotated secret is still honoured, both verify."""
    parts = [f"t={timestamp}"]
    parts += [f"v1={compute(secret=s, timestamp=timestamp, body=body)}" for s in secrets]
    return ",".join(parts)


def verify(
    *,
    header: str,
    body: bytes,
    secret: str,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """The signed timestamp if some `v1` matches and it lies within the window; else raises."""
    timestamp, candidates = None, []
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("The signature header has no timestamp or no v1 signature.")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("The signature's timestamp is outside the tolerance window.")
    expected = compute(secret=secret, timestamp=timestamp, body=body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError("No signature matches the body.")
    return timestamp
