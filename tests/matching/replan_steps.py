"""Current plans written in a line per step, for the re-planning tests (plain helpers)."""

from __future__ import annotations

from datetime import datetime, timedelta

from matching.estimation import MachineSpec
from matching.replanning import CurrentAssignment
from tests.matching.conftest import NOW

FAST = {"time_limit_s": 1.0, "workers": 1}


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def step(job, key, m: MachineSpec, start_h, minutes, status="planned", **kw) -> CurrentAssignment:
    return CurrentAssignment(
        job_key=job,
        step_key=key,
        machine_id=int(m.id),
        start=at(start_h),
        end=at(start_h) + timedelta(minutes=minutes),
        status=status,
        process_code=m.process,
        duration_minutes=minutes,
        cost_minor=10_000,
        **kw,
    )
