"""Writes of the shop floor: device keys, event intake, the silence watch.

Every event goes through the services the REST shop-floor API calls (``machine_status_set``,
``job_start``, ``job_progress``, ``job_report_delay``, ``job_complete``), acting as the member
who created the device key, exactly as an API token acts as its creator. So a machine going
down over MQTT raises the same ``machine_unavailable`` signal, hence the same re-plan.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import Membership, User
from accounts.permissions import require_membership
from accounts.selectors import is_member_of, is_operator
from config.errors import DomainError
from marketplace.network.models import Machine, Workshop
from marketplace.network.services import machine_status_set
from marketplace.orders.jobs import job_complete, job_progress, job_report_delay, job_start
from marketplace.orders.models import Job
from marketplace.shopfloor import protocol
from marketplace.shopfloor.models import DeviceKey, MachineFeed, ProcessedEvent
from marketplace.shopfloor.protocol import Rejected, ShopfloorEvent

log = logging.getLogger(__name__)

SILENCE_NOTE = "Silent: no report from the machine since"
BACK_NOTE = "Reporting again after a silence."
KEY_USE_PRECISION = timedelta(minutes=1)  # "last used" is written at most this often per key


# -- device keys ------------------------------------------------------------------------------
def device_secret(key: DeviceKey) -> str:
    """The key's secret, re-derived; only the platform (holding SECRET_KEY) can."""
    return salted_hmac(
        "cloudfactory.shopfloor.device-key", f"{key.key_id}:{key.salt}", algorithm="sha256"
    ).hexdigest()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def device_key_issue(*, workshop: Workshop, name: str, acting_user: User) -> tuple[DeviceKey, str]:
    """A new key whose events act as ``acting_user`` (a member of the workshop), as an API
    token acts as its creator; the secret is returned once, never stored. Callers check who
    may issue: ``device_key_create`` for the workshop's page, the admin's own permissions."""
    if not is_member_of(user=acting_user, organization_ids=[workshop.organization_id]):
        raise DomainError(f"Events must act as a member of {workshop}: pick one of its team.")
    name = name.strip()
    if not name:
        raise DomainError("Name the key after the agent or machine that will use it.")
    key = DeviceKey(
        workshop=workshop,
        key_id=DeviceKey.new_key_id(),
        name=name[:100],
        salt=secrets.token_hex(16),
        created_by=acting_user,
    )
    secret = device_secret(key)
    key.secret_digest = _digest(secret)
    key.save()
    return key, secret


def device_key_create(*, user: User, workshop: Workshop, name: str) -> tuple[DeviceKey, str]:
    """A workshop owner or admin creates a key acting as themselves."""
    require_membership(user=user, organization=workshop.organization, roles=Membership.MANAGERS)
    return device_key_issue(workshop=workshop, name=name, acting_user=user)


def device_key_revoke(*, user: User | None, key: DeviceKey) -> DeviceKey:
    """From now on every event signed with the key is refused; revoking twice is harmless.
    ``user`` None: the admin, whose own permissions guard it."""
    if user is not None and not is_operator(user=user):
        require_membership(
            user=user, organization=key.workshop.organization, roles=Membership.MANAGERS
        )
    DeviceKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


@transaction.atomic
def machine_feed_configure(
    *, user: User, machine: Machine, silent_after_s: int, down_when_silent: bool
) -> MachineFeed:
    """The workshop chooses how long a silence may last and whether it takes the machine
    out of planning."""
    require_membership(user=user, organization=machine.workshop.organization)
    if not 30 <= silent_after_s <= 7 * 24 * 3600:
        raise DomainError("A silence lasts from 30 seconds to 7 days before it counts.")
    feed, _ = MachineFeed.objects.select_for_update().get_or_create(machine=machine)
    feed.silent_after_s = silent_after_s
    feed.down_when_silent = down_when_silent
    feed.save(update_fields=["silent_after_s", "down_when_silent"])
    return feed


# -- intake -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class IngestResult:
    """What became of one message: ``applied``, ``stale`` (recorded, older than the state),
    ``duplicate`` (seen before, nothing done), ``refused`` (recorded, a rule said no) or
    ``rejected`` (not accepted at all). Refusals and rejections go back to the workshop."""

    outcome: str
    workshop_slug: str = ""
    code: str = ""
    reason: str = ""
    event_id: str = ""

    @property
    def is_error(self) -> bool:
        return self.outcome in ("refused", "rejected")


def _slug_of(topic: str) -> str:
    parts = topic.split("/")
    return parts[1] if len(parts) > 1 and parts[0] == protocol.TOPIC_ROOT else ""


def _authenticate(topic: protocol.Topic, raw_topic: str, payload: bytes) -> tuple:
    workshop = (
        Workshop.objects.select_related("organization")
        .filter(organization__slug=topic.workshop_slug)
        .first()
    )
    if workshop is None:
        raise Rejected(f"No workshop is called {topic.workshop_slug!r}.", code="unknown_workshop")
    envelope = protocol.envelope_decode(payload)
    key = DeviceKey.objects.select_related("created_by").filter(key_id=envelope.key_id).first()
    if key is None or key.workshop_id != workshop.pk:
        raise Rejected(
            f"Device key {envelope.key_id!r} is not one of this workshop's keys.",
            code="unknown_key",
        )
    if key.is_revoked:
        raise Rejected(
            f"Device key {key.key_id} was revoked: use a current key.", code="revoked_key"
        )
    secret = device_secret(key)
    if _digest(secret) != key.secret_digest or key.created_by is None:
        raise Rejected(
            f"Device key {key.key_id} is no longer valid (the platform's secret or its creator "
            "changed): create a new key.",
            code="stale_key",
        )
    if not protocol.signature_valid(secret, raw_topic, envelope):
        raise Rejected("The signature does not match the topic and body.", code="bad_signature")
    # The key acts as its creator, as an API token does: once they leave the workshop it
    # speaks for no one (counters and the silence lift call no service that would check).
    if not is_member_of(user=key.created_by, organization_ids=[workshop.organization_id]):
        raise Rejected(
            f"Device key {key.key_id} was created by someone who has left the workshop: "
            "create a new key.",
            code="stale_key",
        )
    return workshop, key, envelope


def event_ingest(*, topic: str, payload: bytes, now: datetime | None = None) -> IngestResult:
    """Take one MQTT message: authenticate, decode, record once, apply if newest.

    Rejected messages change nothing at all; an authenticated event is recorded under its
    (workshop, event id) whatever becomes of it, so a redelivery is a no-op. The machine's feed
    row is locked first, so bridges running side by side apply one machine's events one at a
    time and the newest (machine time, then event id) always wins.
    """
    now = now or timezone.now()
    slug = _slug_of(topic)
    try:
        parsed = protocol.parse_topic(topic)
        workshop, key, envelope = _authenticate(parsed, topic, payload)
        event = protocol.event_decode(envelope.body, kind=parsed.kind, now=now)
        machine = Machine.objects.filter(pk=parsed.machine_id, workshop=workshop).first()
        if machine is None:
            raise Rejected(
                f"Machine {parsed.machine_id} is not one of {workshop}'s machines.",
                code="unknown_machine",
            )
    except Rejected as rejected:
        return IngestResult("rejected", slug, rejected.code, rejected.message)
    try:
        return _record_and_apply(workshop=workshop, key=key, machine=machine, event=event, now=now)
    except IntegrityError:
        # The same event id on two machines' topics at once: the second insert loses, and
        # what it applied is rolled back with it.
        return IngestResult("duplicate", slug, event_id=str(event.event_id))


_CURSOR = {
    "status": ("status_at", "status_event"),
    "progress": ("progress_at", "progress_event"),
    "counters": ("counters_at", "counters_event"),
}


@transaction.atomic
def _record_and_apply(
    *, workshop: Workshop, key: DeviceKey, machine: Machine, event: ShopfloorEvent, now: datetime
) -> IngestResult:
    slug, event_id = workshop.organization.slug, str(event.event_id)
    feed = MachineFeed.objects.select_for_update().filter(machine=machine).first()
    if feed is None:
        MachineFeed.objects.get_or_create(machine=machine)  # a concurrent first event may win
        feed = MachineFeed.objects.select_for_update().get(machine=machine)
    if ProcessedEvent.objects.filter(workshop=workshop, event_id=event.event_id).exists():
        return IngestResult("duplicate", slug, event_id=event_id)
    at_field, id_field = _CURSOR[event.kind]
    last_at, last_id = getattr(feed, at_field), getattr(feed, id_field)
    newest = last_at is None or event.order_key > (last_at, last_id)
    outcome, code, reason = ProcessedEvent.Outcome.STALE, "", ""
    if newest or _late_completion(event=event, machine=machine):
        try:
            with transaction.atomic():
                _apply(event=event, machine=machine, feed=feed, user=key.created_by)
            outcome = ProcessedEvent.Outcome.APPLIED
            if newest:
                setattr(feed, at_field, event.machine_time)
                setattr(feed, id_field, event_id)
        except (DomainError, Rejected) as error:
            outcome, code, reason = ProcessedEvent.Outcome.REFUSED, error.code, error.message
    if outcome != ProcessedEvent.Outcome.REFUSED and feed.silenced_down and event.kind != "status":
        _lift_silence(machine=machine, feed=feed)
    feed.last_seen_at = now
    feed.save()
    ProcessedEvent.objects.create(
        workshop=workshop,
        event_id=event.event_id,
        machine=machine,
        key=key,
        kind=event.kind,
        machine_time=event.machine_time,
        received_at=now,
        outcome=outcome,
        reason=reason[:500],
        body=_body_json(event),
    )
    if key.last_used_at is None or now - key.last_used_at > KEY_USE_PRECISION:
        DeviceKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return IngestResult(outcome, slug, code, reason, event_id)


def _late_completion(*, event: ShopfloorEvent, machine: Machine) -> bool:
    """An older ``done`` for a named job that is not done yet: a newer report on another job
    of the machine says nothing about this one, so its completion must not be lost."""
    if event.kind != "progress" or not event.done or event.job is None:
        return False
    return (
        Job.objects.filter(pk=event.job, machine=machine).exclude(status=Job.Status.DONE).exists()
    )


def _body_json(event: ShopfloorEvent) -> dict:
    body = {"machine_time": event.machine_time.isoformat()}
    if event.kind == "status":
        body |= {
            "status": event.status,
            "note": event.note,
            "until": event.until.isoformat() if event.until else None,
        }
    elif event.kind == "progress":
        body |= {
            "job": event.job,
            "percent": event.percent,
            "done": event.done,
            "note": event.note,
            "expected_end": event.expected_end.isoformat() if event.expected_end else None,
        }
    else:
        body |= {"counters": event.counters}
    return body


def _apply(*, event: ShopfloorEvent, machine: Machine, feed: MachineFeed, user: User) -> None:
    if event.kind == "status":
        _apply_status(event=event, machine=machine, feed=feed, user=user)
    elif event.kind == "progress":
        _apply_progress(event=event, machine=machine, user=user)
    else:
        feed.counters = {**feed.counters, **event.counters}


def _apply_status(*, event: ShopfloorEvent, machine: Machine, feed: MachineFeed, user: User):
    """A repeated state (same status and note) is not a change: the history records changes,
    and an agent that restarts repeats its state."""
    feed.silenced_down = False
    machine.refresh_from_db(fields=["status", "status_note", "status_until"])
    # The status service keeps no 'until' for an available machine: compare as it stores.
    until = None if event.status == Machine.Status.AVAILABLE else event.until
    if (
        machine.status == event.status
        and machine.status_note == event.note
        and machine.status_until == until
    ):
        return
    machine_status_set(
        user=user, machine=machine, status=event.status, note=event.note, until=event.until
    )


def _job_for(machine: Machine, job_id: int | None) -> Job:
    if job_id is not None:
        job = Job.objects.filter(pk=job_id, machine=machine).first()
        if job is None:
            raise Rejected(f"Job {job_id} is not planned on {machine.name}.", code="unknown_job")
        return job
    for status in (Job.Status.IN_PROGRESS, Job.Status.ACCEPTED):
        job = machine.jobs.filter(status=status).order_by("planned_start", "pk").first()
        if job is not None:
            return job
    raise Rejected(f"{machine.name} has no accepted or running job to report on.", code="no_job")


def _apply_progress(*, event: ShopfloorEvent, machine: Machine, user: User) -> None:
    """Progress on an accepted job starts it (the machine is running it); ``done`` completes
    it; a new expected end is the workshop's delay report."""
    job = _job_for(machine, event.job)
    if job.status == Job.Status.ACCEPTED:
        job = job_start(user=user, job=job)
    if event.expected_end is not None and event.expected_end != job.expected_end:
        job = job_report_delay(
            user=user,
            job=job,
            expected_end=event.expected_end,
            reason=event.reason or f"Estimated by {machine.name}.",
        )
    if event.done:
        job_complete(user=user, job=job)
    else:
        job_progress(user=user, job=job, percent=event.percent or 0, note=event.note)


# -- silence ----------------------------------------------------------------------------------
def _lift_silence(*, machine: Machine, feed: MachineFeed) -> None:
    machine.refresh_from_db(fields=["status", "status_note"])
    if machine.status == Machine.Status.DOWN and machine.status_note.startswith(SILENCE_NOTE):
        machine_status_set(
            user=None, machine=machine, status=Machine.Status.AVAILABLE, note=BACK_NOTE
        )
    feed.silenced_down = False


def machines_silence_check(*, now: datetime | None = None) -> list[int]:
    """Machines silent past their timeout whose workshop chose so are set down through
    ``machine_status_set`` (so planning moves their jobs); the first event lifts it.

    Runs from Celery beat and from the bridge's own timer; the feed row lock and the
    ``silenced_down`` flag make concurrent runs harmless. Returns the machines set down.
    """
    now = now or timezone.now()
    downed = []
    candidates = MachineFeed.objects.filter(
        down_when_silent=True, silenced_down=False, last_seen_at__isnull=False
    ).values_list("pk", flat=True)
    for feed_id in candidates:
        with transaction.atomic():
            feed = MachineFeed.objects.select_for_update().select_related("machine").get(pk=feed_id)
            if feed.silenced_down or not feed.is_silent(now):
                continue
            if feed.machine.status != Machine.Status.AVAILABLE:
                continue
            machine_status_set(
                user=None,
                machine=feed.machine,
                status=Machine.Status.DOWN,
                note=f"{SILENCE_NOTE} {feed.last_seen_at:%Y-%m-%d %H:%M:%S} UTC.",
            )
            feed.silenced_down = True
            feed.save(update_fields=["silenced_down"])
            downed.append(feed.machine_id)
    return downed


def error_message(result: IngestResult, *, topic: str, now: datetime | None = None) -> bytes:
    """What the bridge publishes on ``cf/<workshop>/errors`` for a refusal or rejection."""
    return json.dumps(
        {
            "topic": topic,
            "event_id": result.event_id or None,
            "code": result.code,
            "reason": result.reason,
            "at": (now or timezone.now()).isoformat(),
        }
    ).encode()
