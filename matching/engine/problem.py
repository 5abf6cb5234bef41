"""Problem and plan dataclasses: the engine's whole vocabulary, free of Django.

Units everywhere: time in integer minutes from the start of the planning horizon (t = 0),
money in integer minor units of one currency, CO2 in integer grams. Identifiers are strings
(the Django adapter passes primary keys as ``str``).

The precedence graph is a DAG made of two kinds of edges:

* the chain of a job (its ``Routing``): ``job.steps[i]`` runs after ``job.steps[i - 1]``;
* job to job: a job lists in ``waits_for`` the jobs whose last step must have finished (and
  whose part must have travelled to this job's first workshop) before its first step starts.
  A multi-part order is one job per part plus an assembly job (assemble, pack) that waits
  for the part jobs. Part jobs that feed an assembly have no delivery leg of their own.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["optimal", "feasible", "infeasible", "unknown"]
SolverName = Literal["cp-sat", "tabu", "greedy", "none"]
Engine = Literal["portfolio", "previous"]

Interval = tuple[int, int]
"""A half-open time interval ``[start, end)`` in minutes."""


@dataclass(frozen=True)
class Alternative:
    """One way to run a step: on ``machine`` for ``duration`` minutes at a cost and CO2."""

    machine: str
    duration: int  # minutes
    cost: int = 0  # minor units
    co2: int = 0  # grams


@dataclass(frozen=True)
class Step:
    """A process step (print, mill, finish, inspect, assemble...) of a job.

    ``alternatives`` are the capable machines; an empty tuple makes the problem infeasible
    (reported as ``no_capable_machine``).
    """

    id: str
    alternatives: tuple[Alternative, ...]
    process: str = ""


@dataclass(frozen=True)
class Routing:
    """A job's routing: the ordered steps of an order line (or an assembly), with its times.

    The engine schedules one routing per job; ``Problem.jobs`` holds them and ``id`` is the
    job id that assignments and ``waits_for`` refer to.

    ``due`` is soft (lateness costs ``objective.tardiness * weight`` per minute), ``deadline``
    is hard. Completion is the end of the last step plus the delivery leg from the workshop of
    that step to the customer (``delivery[workshop]``; a missing workshop means no leg).
    """

    id: str
    steps: tuple[Step, ...]
    release: int = 0  # minutes; no step starts before
    due: int | None = None  # minutes; soft
    deadline: int | None = None  # minutes; hard
    weight: int = 1  # tardiness weight of this job
    waits_for: tuple[str, ...] = ()  # ids of jobs that must be finished before this starts
    delivery: Mapping[str, Leg] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """A schedulable resource: a machine of a workshop with its calendar.

    ``windows`` are the intervals when it may run (``None``: always); a step must fit inside
    one window (no pausing). ``booked`` are intervals already sold to other orders.
    """

    id: str
    workshop: str = ""
    windows: tuple[Interval, ...] | None = None
    booked: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class Leg:
    """Moving a part between two places: time in minutes, cost in minor units, CO2 in grams."""

    time: int = 0
    cost: int = 0
    co2: int = 0


NO_LEG = Leg()


@dataclass(frozen=True)
class Transport:
    """Workshop-to-workshop legs. Same workshop: no leg; a pair not listed: ``default``."""

    legs: Mapping[tuple[str, str], Leg] = field(default_factory=dict)
    default: Leg = NO_LEG

    def leg(self, origin: str, destination: str) -> Leg:
        """The leg from ``origin`` to ``destination`` workshop."""
        if origin == destination:
            return NO_LEG
        return self.legs.get((origin, destination), self.default)


@dataclass(frozen=True)
class Objective:
    """Integer weights of the minimised sum (CP-SAT needs integers).

    ``cost`` weighs processing + transport + delivery cost (per minor unit), ``tardiness`` the
    sum of ``job.weight * minutes late``, ``makespan`` the latest completion, ``co2`` grams.
    """

    makespan: int = 0
    cost: int = 0
    tardiness: int = 0
    co2: int = 0

    @classmethod
    def makespan_only(cls) -> Objective:
        """The classical FJSP objective."""
        return cls(makespan=1)

    def is_makespan_only(self) -> bool:
        """True when only the makespan counts, so any known schedule bounds the horizon."""
        return self.makespan > 0 and self.cost == 0 and self.tardiness == 0 and self.co2 == 0


@dataclass(frozen=True)
class Problem:
    """A scheduling problem: jobs, machines, transport and what to minimise."""

    jobs: tuple[Routing, ...]
    machines: tuple[Resource, ...]
    transport: Transport = field(default_factory=Transport)
    objective: Objective = field(default_factory=Objective.makespan_only)
    name: str = ""

    def machine(self, machine_id: str) -> Resource:
        """The machine with this id (KeyError if unknown)."""
        return self._machines_by_id()[machine_id]

    def _machines_by_id(self) -> dict[str, Resource]:
        cache = self.__dict__.get("_machine_index")
        if cache is None:
            cache = {m.id: m for m in self.machines}
            object.__setattr__(self, "_machine_index", cache)
        return cache

    def job(self, job_id: str) -> Routing:
        """The job with this id (KeyError if unknown)."""
        cache = self.__dict__.get("_job_index")
        if cache is None:
            cache = {j.id: j for j in self.jobs}
            object.__setattr__(self, "_job_index", cache)
        return cache[job_id]

    def workshop_of(self, machine_id: str) -> str:
        """The workshop owning a machine."""
        return self.machine(machine_id).workshop


@dataclass(frozen=True)
class SolveParams:
    """How hard and how to search.

    ``workers`` is the number of CPU threads the solve may use (see docs/matching-engine.md
    for how it maps to CP-SAT subsolvers). ``deterministic`` makes reruns with the same seed
    return the same plan: the search is interleaved and stopped by CP-SAT's deterministic time
    (``time_limit_s`` of it) instead of the wall clock, which then only acts as a safety net
    at ``4 * time_limit_s``. ``hint`` is a plan to start from (e.g. the current plan).
    ``engine="previous"`` runs the engine as it was before the tabu search and the lower
    bounds (CP-SAT alone, LNS only for makespan budgets above 10 s): the benchmark's
    baseline.
    """

    time_limit_s: float = 10.0
    workers: int = 2
    seed: int = 0
    hint: Plan | None = None
    deterministic: bool = False
    log: bool = False
    engine: Engine = "portfolio"

    def __post_init__(self) -> None:
        if not math.isfinite(self.time_limit_s):
            raise ValueError(
                f"time_limit_s must be a finite number of seconds, not {self.time_limit_s}."
            )

    @property
    def threads(self) -> int:
        """The threads a solve really uses: ``workers``, at least one, and no more than the
        machine's cores (more only time-slice one core: 64 workers made a 2 s solve take
        3 s). Deterministic solves keep ``workers`` so that the plan never depends on the
        machine."""
        wanted = max(1, self.workers)
        if self.deterministic:
            return wanted
        return min(wanted, os.cpu_count() or 1)


@dataclass(frozen=True)
class Assignment:
    """Step ``step`` of job ``job`` runs on ``machine`` over ``[start, end)`` minutes."""

    job: str
    step: str
    machine: str
    start: int
    end: int


@dataclass(frozen=True)
class Infeasibility:
    """Why no plan exists, in words a customer understands.

    ``code`` is one of ``no_capable_machine``, ``deadline_impossible``, ``unknown_machine``,
    ``unknown_job``, ``cyclic_dependency``, ``no_available_machine``, ``invalid_input``
    (repeated ids, negative durations or release times), ``no_solution_found``. For
    ``deadline_impossible``, ``earliest`` is the earliest completion the engine could find.
    """

    code: str
    message: str
    job: str | None = None
    step: str | None = None
    earliest: int | None = None


@dataclass(frozen=True)
class Plan:
    """A schedule and its totals, or the reasons why there is none.

    ``objective`` is the weighted sum of ``problem.objective`` for this schedule;
    ``lower_bound`` a proven lower bound on it (``None`` when unknown). ``cost`` includes
    processing, transport and delivery. ``status`` is ``optimal`` (proven), ``feasible``,
    ``infeasible`` (``issues`` say why) or ``unknown`` (nothing found in time).
    """

    status: Status
    solver: SolverName
    assignments: tuple[Assignment, ...] = ()
    objective: int | None = None
    lower_bound: int | None = None
    makespan: int = 0  # minutes
    cost: int = 0  # minor units
    co2: int = 0  # grams
    tardiness: int = 0  # weighted minutes
    solve_time_s: float = 0.0
    issues: tuple[Infeasibility, ...] = ()

    @property
    def has_schedule(self) -> bool:
        """True when the plan carries a schedule (optimal or feasible)."""
        return self.status in ("optimal", "feasible")

    def by_step(self) -> dict[tuple[str, str], Assignment]:
        """Assignments keyed by ``(job id, step id)``."""
        return {(a.job, a.step): a for a in self.assignments}
