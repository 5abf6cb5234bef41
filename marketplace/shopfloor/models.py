"""Device keys, processed events and each machine's live feed."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import models
from django.utils import timezone

from marketplace.network.models import Machine, Workshop

DEFAULT_SILENT_AFTER = 300  # seconds without an event before a machine counts as silent


class DeviceKeyQuerySet(models.QuerySet):
    def active(self) -> DeviceKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class DeviceKey(models.Model):
    """A workshop's credential for its machines and edge agents.

    The secret is derived from the platform's SECRET_KEY and a random salt, shown once, and
    never stored: the row keeps the salt and a digest, so a leaked database alone forges
    nothing, and a rotated SECRET_KEY makes every old key fail its digest (stale) instead of
    silently verifying against a different secret.
    """

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="device_keys")
    key_id = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    salt = models.CharField(max_length=64)
    secret_digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = DeviceKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @staticmethod
    def new_key_id() -> str:
        return f"dk_{secrets.token_hex(8)}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ProcessedEvent(models.Model):
    """Every authenticated event, once per (workshop, event id): the guard that makes a
    redelivered or replayed event harmless, and the record of what became of it."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        STALE = "stale", "Recorded, older than the machine's state"
        REFUSED = "refused", "Refused by the rules"

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="+")
    event_id = models.UUIDField()
    machine = models.ForeignKey(Machine, on_delete=models.CASCADE, related_name="+")
    key = models.ForeignKey(DeviceKey, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=20)
    machine_time = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    body = models.JSONField()

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "event_id"], name="shopfloor_event_once_per_workshop"
            )
        ]
        indexes = [models.Index(fields=["machine", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id} ({self.outcome})"


class MachineFeed(models.Model):
    """What a machine last said about itself, and how the workshop wants silence read."""

    machine = models.OneToOneField(Machine, on_delete=models.CASCADE, related_name="feed")
    last_seen_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(null=True, blank=True, help_text="Machine time.")
    status_event = models.CharField(max_length=36, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True, help_text="Machine time.")
    progress_event = models.CharField(max_length=36, blank=True)
    counters = models.JSONField(default=dict, blank=True)
    counters_at = models.DateTimeField(null=True, blank=True, help_text="Machine time.")
    counters_event = models.CharField(max_length=36, blank=True)
    silent_after_s = models.PositiveIntegerField(default=DEFAULT_SILENT_AFTER)
    down_when_silent = models.BooleanField(
        default=False, help_text="Take the machine out of planning while it is silent."
    )
    silenced_down = models.BooleanField(
        default=False, help_text="The platform set it down for silence (and will lift it)."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(silent_after_s__gte=30), name="machine_feed_silence_30s_or_more"
            )
        ]

    def __str__(self) -> str:
        return f"feed of {self.machine}"

    def is_silent(self, now=None) -> bool:
        """Reported once, then nothing for longer than the workshop allows."""
        if self.last_seen_at is None:
            return False
        now = now or timezone.now()
        return now - self.last_seen_at > timedelta(seconds=self.silent_after_s)
