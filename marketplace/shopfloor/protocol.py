"""The shop-floor MQTT protocol: topics, the signed envelope and the event bodies (no Django).

A message on ``cf/<workshop-slug>/machines/<machine-id>/<kind>`` is a JSON envelope
``{"key": "<device key id>", "sig": "<hex HMAC-SHA256>", "body": "<event JSON, as a string>"}``.
The signature covers ``topic + "\\n" + body`` so a signed event cannot be replayed on another
machine's or workshop's topic; the body travels as a string so both sides sign the same bytes
whatever their JSON encoder does. The broker is not trusted: authenticity rests on the HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

TOPIC_ROOT = "cf"
KINDS = ("status", "progress", "counters")
STATUSES = ("available", "down", "maintenance")
SUBSCRIPTION = f"{TOPIC_ROOT}/+/machines/#"
SHARED_GROUP = "cf-bridge"
MAX_BODY_BYTES = 16 * 1024  # bytes: a status or a progress report is a few hundred
MAX_CLOCK_AHEAD = timedelta(minutes=10)  # a machine clock further ahead would pin its state
MAX_NOTE = 255  # characters, as the status and progress notes of the REST API
MAX_COUNTERS = 32
MAX_ID_DIGITS = 18  # a machine id fits a 64-bit database integer


class Rejected(Exception):
    """An event the platform refuses; ``code`` for programs, the message for people."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Topic:
    workshop_slug: str
    machine_id: int
    kind: str


@dataclass(frozen=True)
class Envelope:
    key_id: str
    signature: str
    body: bytes


@dataclass(frozen=True)
class ShopfloorEvent:
    """One authenticated-or-not event body: what every kind shares, plus its own fields."""

    event_id: uuid.UUID
    machine_time: datetime
    kind: str
    status: str = ""
    note: str = ""
    until: datetime | None = None
    job: int | None = None
    percent: int | None = None
    done: bool = False
    expected_end: datetime | None = None
    reason: str = ""
    counters: dict[str, float] = field(default_factory=dict)

    @property
    def order_key(self) -> tuple[datetime, str]:
        """Newest wins: machine time, then the event id, so equal timestamps still order."""
        return (self.machine_time, str(self.event_id))


def topic_for(workshop_slug: str, machine_id: int, kind: str) -> str:
    return f"{TOPIC_ROOT}/{workshop_slug}/machines/{machine_id}/{kind}"


def errors_topic(workshop_slug: str) -> str:
    return f"{TOPIC_ROOT}/{workshop_slug}/errors"


def parse_topic(topic: str) -> Topic:
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != TOPIC_ROOT or parts[2] != "machines" or not parts[1]:
        raise Rejected(
            f"Topic {topic!r} is not cf/<workshop>/machines/<machine-id>/<kind>.", code="bad_topic"
        )
    # isdigit() alone lets through '²' and other scripts' digits, which int() refuses.
    if not (parts[3].isascii() and parts[3].isdigit()) or len(parts[3]) > MAX_ID_DIGITS:
        raise Rejected(
            f"Machine id {parts[3][:40]!r} is not a machine id (digits 0-9, at most "
            f"{MAX_ID_DIGITS}).",
            code="bad_topic",
        )
    if parts[4] not in KINDS:
        raise Rejected(
            f"Unknown kind {parts[4]!r}: use one of {', '.join(KINDS)}.", code="bad_topic"
        )
    return Topic(workshop_slug=parts[1], machine_id=int(parts[3]), kind=parts[4])


def sign(secret: str, topic: str, body: bytes) -> str:
    return hmac.new(secret.encode(), topic.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, topic: str, envelope: Envelope) -> bool:
    return hmac.compare_digest(sign(secret, topic, envelope.body), envelope.signature)


def envelope_encode(*, key_id: str, secret: str, topic: str, body: dict) -> bytes:
    """What a device publishes: the body serialised once, signed, wrapped."""
    text = json.dumps(body, separators=(",", ":"), sort_keys=True)
    signature = sign(secret, topic, text.encode())
    return json.dumps({"key": key_id, "sig": signature, "body": text}).encode()


def _json(raw: bytes | str, what: str) -> dict:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise Rejected(f"The {what} is not valid JSON: {error}.", code="bad_json") from error
    except RecursionError as error:  # a few KiB of nested brackets
        raise Rejected(f"The {what} is nested too deeply.", code="bad_json") from error
    if not isinstance(value, dict):
        raise Rejected(f"The {what} must be a JSON object.", code="bad_json")
    return value


def envelope_decode(payload: bytes) -> Envelope:
    if len(payload) > MAX_BODY_BYTES:
        raise Rejected(f"The message is larger than {MAX_BODY_BYTES} bytes.", code="too_large")
    data = _json(payload, "message")
    key_id, signature, body = data.get("key"), data.get("sig"), data.get("body")
    if not isinstance(key_id, str) or not key_id:
        raise Rejected("The message names no device key ('key').", code="bad_envelope")
    if not isinstance(signature, str) or not signature:
        raise Rejected("The message carries no signature ('sig').", code="bad_envelope")
    if not isinstance(body, str):
        raise Rejected("The event ('body') must be a JSON text in a string.", code="bad_envelope")
    return Envelope(key_id=key_id, signature=signature.lower(), body=body.encode())


def _time(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise Rejected(f"'{name}' must be an ISO 8601 time with its offset.", code="bad_field")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise Rejected(f"'{name}' is not an ISO 8601 time: {value!r}.", code="bad_field") from error
    if parsed.tzinfo is None:
        raise Rejected(f"'{name}' needs its time zone offset (e.g. Z).", code="bad_field")
    try:  # year 1 at +05:00 or year 9999 at -05:00 has no UTC time, and the database keeps UTC
        parsed.astimezone(UTC)
    except OverflowError as error:
        raise Rejected(f"'{name}' is out of range: {value!r}.", code="bad_field") from error
    return parsed


def _text(data: dict, name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise Rejected(f"'{name}' must be a string.", code="bad_field")
    if "\x00" in value:  # PostgreSQL cannot store it; the REST API refuses it too
        raise Rejected(f"'{name}' contains a NUL character.", code="bad_field")
    return value.strip()[:MAX_NOTE]


def _status(data: dict) -> dict:
    status = data.get("status")
    if status not in STATUSES:
        raise Rejected(
            f"'status' must be one of {', '.join(STATUSES)}, not {status!r}.", code="bad_field"
        )
    until = data.get("until")
    return {
        "status": status,
        "note": _text(data, "note"),
        "until": None if until is None else _time(until, "until"),
    }


def _progress(data: dict) -> dict:
    percent = data.get("percent")
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise Rejected("'percent' must be a whole number from 0 to 100.", code="bad_field")
    job = data.get("job")
    if job is not None and (isinstance(job, bool) or not isinstance(job, int) or job < 1):
        raise Rejected("'job' must be a job id (a positive whole number).", code="bad_field")
    done = data.get("done", False)
    if not isinstance(done, bool):
        raise Rejected("'done' must be true or false.", code="bad_field")
    expected_end = data.get("expected_end")
    return {
        "percent": percent,
        "job": job,
        "done": done,
        "note": _text(data, "note"),
        "reason": _text(data, "reason"),
        "expected_end": None if expected_end is None else _time(expected_end, "expected_end"),
    }


def _counters(data: dict) -> dict:
    counters = data.get("counters")
    if not isinstance(counters, dict) or not counters or len(counters) > MAX_COUNTERS:
        raise Rejected(
            f"'counters' must be an object of 1 to {MAX_COUNTERS} named numbers.", code="bad_field"
        )
    clean: dict[str, float] = {}
    for name, value in counters.items():
        if len(name) > 64 or "\x00" in name or not _finite_number(value):
            raise Rejected(
                f"Counter {name[:64]!r} must be a finite number under a name of at most 64 "
                "characters.",
                code="bad_field",
            )
        clean[name] = value
    return {"counters": clean}


def _finite_number(value: object) -> bool:
    """A JSON number a float can hold: JSON integers have no bound, floats do."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


_KIND_FIELDS = {"status": _status, "progress": _progress, "counters": _counters}


def event_decode(body: bytes, *, kind: str, now: datetime) -> ShopfloorEvent:
    """The event a body describes, or `Rejected` saying what is wrong with it."""
    data = _json(body, "event body")
    try:
        event_id = uuid.UUID(str(data.get("event_id")))
    except ValueError as error:
        raise Rejected("'event_id' must be a UUID.", code="bad_field") from error
    machine_time = _time(data.get("machine_time"), "machine_time")
    if machine_time > now + MAX_CLOCK_AHEAD:
        raise Rejected(
            f"'machine_time' {machine_time.isoformat()} is ahead of the platform's clock "
            f"({now.isoformat()}): set the machine's clock (NTP).",
            code="clock_ahead",
        )
    return ShopfloorEvent(
        event_id=event_id, machine_time=machine_time, kind=kind, **_KIND_FIELDS[kind](data)
    )
