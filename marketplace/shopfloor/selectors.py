"""Reads of the shop floor: what each machine is doing now, for the live view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from marketplace.errors import NotFound
from marketplace.network.models import Machine, Workshop
from marketplace.orders.models import Job
from marketplace.shopfloor.models import DEFAULT_SILENT_AFTER, DeviceKey, MachineFeed


@dataclass(frozen=True)
class MachineNow:
    machine: Machine
    job: Job | None
    last_seen_at: datetime | None
    silent: bool
    connected: bool  # has ever reported through the shop floor
    counters: dict
    silent_after_s: int
    down_when_silent: bool

    @property
    def progress(self) -> int | None:
        return self.job.progress_percent if self.job else None


def _current_job(jobs: list[Job]) -> Job | None:
    """The running job, else the next accepted one (the one the machine will report on)."""
    for status in (Job.Status.IN_PROGRESS, Job.Status.ACCEPTED):
        candidates = [j for j in jobs if j.status == status]
        if candidates:
            return min(candidates, key=lambda j: (j.planned_start, j.pk))
    return None


def machines_now(*, machines: QuerySet[Machine], now: datetime | None = None) -> list[MachineNow]:
    """One row per machine in three queries, whatever the number of machines."""
    now = now or timezone.now()
    rows = (
        machines.select_related("workshop__organization", "feed", "process")
        .prefetch_related(
            Prefetch(
                "jobs",
                queryset=Job.objects.filter(
                    status__in=(Job.Status.IN_PROGRESS, Job.Status.ACCEPTED)
                ).select_related("order"),
                to_attr="open_jobs",
            )
        )
        .order_by("workshop__organization__name", "name")
    )
    result = []
    for machine in rows:
        feed: MachineFeed | None = getattr(machine, "feed", None)
        result.append(
            MachineNow(
                machine=machine,
                job=_current_job(machine.open_jobs),
                last_seen_at=feed.last_seen_at if feed else None,
                silent=bool(feed and feed.is_silent(now)),
                connected=bool(feed and feed.last_seen_at),
                counters=feed.counters if feed else {},
                silent_after_s=feed.silent_after_s if feed else DEFAULT_SILENT_AFTER,
                down_when_silent=bool(feed and feed.down_when_silent),
            )
        )
    return result


def device_keys_of(*, workshop: Workshop) -> QuerySet[DeviceKey]:
    return DeviceKey.objects.filter(workshop=workshop).select_related("created_by")


def device_key_get_for_member(*, key_id: int, user) -> DeviceKey:
    key = (
        DeviceKey.objects.select_related("workshop__organization")
        .filter(pk=key_id, workshop__organization__memberships__user=user)
        .first()
    )
    if key is None:
        raise NotFound("No such device key in your workshops.")
    return key
