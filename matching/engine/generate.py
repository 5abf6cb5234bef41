"""Seeded random marketplace problems, for the benchmark, the tests and demos.

Workshops are scattered over a 400 km square; legs take 60 minutes of handling plus driving
at 60 km/h and cost and emit per km. Machines run day shifts on weekdays (print farms run
around the clock) and carry a few bookings. Orders are chains of about four steps (print or
mill, then finishing, inspection, packing); some are two-part orders with an assembly job.
Each step lists a shortlist of capable machines, as the routing layer would hand over.
"""

from __future__ import annotations

import math
import random

from matching.engine.problem import (
    Alternative,
    Interval,
    Leg,
    Objective,
    Problem,
    Resource,
    Routing,
    Step,
    Transport,
)

DAY = 24 * 60  # minutes
PROCESSES = ("print", "mill", "finish", "inspect", "assemble")


def random_marketplace(
    seed: int = 0,
    workshops: int = 50,
    machines: int = 200,
    orders: int = 100,
    days: int = 21,
    shortlist: int = 6,
) -> Problem:
    """A reproducible marketplace-sized problem (same seed, same problem)."""
    rng = random.Random(seed)
    places = [(rng.uniform(0, 400), rng.uniform(0, 400)) for _ in range(workshops)]
    ws_ids = [f"W{k:02d}" for k in range(workshops)]
    legs = {
        (ws_ids[a], ws_ids[b]): _leg(places[a], places[b])
        for a in range(workshops)
        for b in range(workshops)
        if a != b
    }
    steps = _StepMaker(rng, shortlist)
    resources = [steps.add_machine(f"M{k:03d}", k, ws_ids, days * DAY) for k in range(machines)]
    jobs: list[Routing] = []
    for o in range(orders):
        customer = (rng.uniform(0, 400), rng.uniform(0, 400))
        delivery = {w: _leg(places[i], customer) for i, w in enumerate(ws_ids)}
        jobs += _order(f"O{o:03d}", steps, delivery)
    return Problem(
        jobs=tuple(jobs),
        machines=tuple(resources),
        transport=Transport(legs),
        objective=Objective(cost=1, tardiness=20, makespan=1),
        name=f"marketplace-{seed}",
    )


def _leg(a: tuple[float, float], b: tuple[float, float]) -> Leg:
    """60 minutes of handling plus driving at 60 km/h; cost and CO2 per km."""
    km = math.dist(a, b)
    return Leg(time=60 + round(km), cost=2000 + round(150 * km), co2=round(90 * km))


class _StepMaker:
    """The machines drawn so far, by process, and random steps over a shortlist of them."""

    def __init__(self, rng: random.Random, shortlist: int) -> None:
        self.rng = rng
        self.shortlist = shortlist
        self.capable: dict[str, list[str]] = {p: [] for p in PROCESSES}
        self.profile: dict[str, tuple[float, int, int]] = {}  # speed, rate, power

    def add_machine(self, machine_id: str, k: int, ws_ids: list[str], horizon: int) -> Resource:
        """The k-th machine: a process in turn, a random workshop, calendar and profile."""
        rng = self.rng
        process = PROCESSES[k % len(PROCESSES)]
        workshop = ws_ids[rng.randrange(len(ws_ids))]
        always_on = process == "print" and rng.random() < 0.5
        windows = _shifts(horizon, rng) if not always_on else ((0, horizon),)
        booked = _bookings(windows, rng)
        self.capable[process].append(machine_id)
        self.profile[machine_id] = (
            rng.uniform(0.7, 1.4),
            rng.randint(20, 120),  # minor units per minute
            rng.randint(2, 15),  # kW -> grams of CO2 per minute at ~400 g/kWh / 60
        )
        return Resource(machine_id, workshop, windows, booked)

    def step(self, step_id: str, process: str, work: int) -> Step:
        """A step of ``work`` minutes at speed 1 on a random shortlist of capable machines."""
        capable = self.capable[process]
        alts = []
        for m in self.rng.sample(capable, min(self.shortlist, len(capable))):
            speed, rate, power = self.profile[m]
            duration = max(10, round(work / speed))
            alts.append(Alternative(m, duration, cost=duration * rate, co2=duration * power * 7))
        return Step(step_id, tuple(alts), process)

    def part_steps(self) -> list[Step]:
        """Print or mill, then finish and inspect."""
        rng = self.rng
        first = "print" if rng.random() < 0.5 else "mill"
        steps = [self.step(f"1-{first}", first, rng.randint(60, 480))]
        steps.append(self.step("2-finish", "finish", rng.randint(30, 240)))
        steps.append(self.step("3-inspect", "inspect", rng.randint(20, 90)))
        return steps


def _order(order: str, steps: _StepMaker, delivery: dict[str, Leg]) -> list[Routing]:
    """One order: a part that is packed, or (one in five) two parts and their assembly."""
    rng = steps.rng
    release = rng.randint(0, 2 * DAY)
    due = release + rng.randint(4, 10) * DAY
    if rng.random() >= 0.2:
        chain = [*steps.part_steps(), steps.step("4-pack", "assemble", rng.randint(10, 40))]
        return [Routing(order, tuple(chain), release=release, due=due, delivery=delivery)]
    parts = [f"{order}-A", f"{order}-B"]
    jobs = [Routing(part, tuple(steps.part_steps()), release=release) for part in parts]
    assembly = (
        steps.step("1-assemble", "assemble", rng.randint(30, 180)),
        steps.step("2-inspect", "inspect", rng.randint(20, 60)),
    )
    jobs.append(
        Routing(
            order, assembly, release=release, due=due, waits_for=tuple(parts), delivery=delivery
        )
    )
    return jobs


def _shifts(horizon: int, rng: random.Random) -> tuple[Interval, ...]:
    """Weekday shifts: one (8:00-17:00) or two (6:00-22:00) per day."""
    start, end = (8 * 60, 17 * 60) if rng.random() < 0.6 else (6 * 60, 22 * 60)
    return tuple(
        (d * DAY + start, d * DAY + end) for d in range(horizon // DAY) if d % 7 not in (5, 6)
    )


def _bookings(windows: tuple[Interval, ...], rng: random.Random) -> tuple[Interval, ...]:
    """A few bookings by other orders inside the windows."""
    booked = []
    for s, e in windows:
        if rng.random() < 0.25:
            a = rng.randint(s, e - 30)
            booked.append((a, min(e, a + rng.randint(30, 240))))
    return tuple(booked)


def random_fjsp(n_jobs: int, n_machines: int, seed: int = 0) -> Problem:
    """A reproducible flexible job shop in the style of Brandimarte's instances.

    Each job has between half as many operations as machines and as many; each operation
    can run on 1 to 4 random machines (at most half of them) with durations from 1 to 20 that
    differ by up to 50 % between machines. Makespan objective.
    """
    rng = random.Random(seed)
    machines = tuple(Resource(id=str(m)) for m in range(n_machines))
    jobs = []
    for j in range(n_jobs):
        steps = []
        for o in range(rng.randint(max(2, n_machines // 2), max(2, n_machines))):
            k = rng.randint(1, max(1, min(4, n_machines // 2)))
            base = rng.randint(1, 20)
            alts = tuple(
                Alternative(str(m), max(1, round(base * rng.uniform(0.75, 1.25))))
                for m in sorted(rng.sample(range(n_machines), k))
            )
            steps.append(Step(id=str(o), alternatives=alts))
        jobs.append(Routing(id=str(j), steps=tuple(steps)))
    return Problem(
        jobs=tuple(jobs),
        machines=machines,
        objective=Objective.makespan_only(),
        name=f"random {n_jobs}x{n_machines} seed {seed}",
    )
