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
    horizon = days * DAY

    def leg(a: tuple[float, float], b: tuple[float, float]) -> Leg:
        km = math.dist(a, b)
        return Leg(time=60 + round(km), cost=2000 + round(150 * km), co2=round(90 * km))

    legs = {
        (ws_ids[a], ws_ids[b]): leg(places[a], places[b])
        for a in range(workshops)
        for b in range(workshops)
        if a != b
    }
    machine_list: list[Resource] = []
    profile: dict[str, tuple[str, float, int, int]] = {}  # process, speed, rate, power
    for k in range(machines):
        process = PROCESSES[k % len(PROCESSES)]
        workshop = ws_ids[rng.randrange(workshops)]
        always_on = process == "print" and rng.random() < 0.5
        windows = _shifts(horizon, rng) if not always_on else ((0, horizon),)
        booked = _bookings(windows, rng)
        machine_id = f"M{k:03d}"
        machine_list.append(Resource(machine_id, workshop, windows, booked))
        profile[machine_id] = (
            process,
            rng.uniform(0.7, 1.4),
            rng.randint(20, 120),  # minor units per minute
            rng.randint(2, 15),  # kW -> grams of CO2 per minute at ~400 g/kWh / 60
        )
    capable = {p: [m for m in machine_list if profile[m.id][0] == p] for p in PROCESSES}
    jobs: list[Routing] = []

    def step(step_id: str, process: str, work: int) -> Step:
        pool = rng.sample(capable[process], min(shortlist, len(capable[process])))
        alts = []
        for m in pool:
            _, speed, rate, power = profile[m.id]
            duration = max(10, round(work / speed))
            alts.append(Alternative(m.id, duration, cost=duration * rate, co2=duration * power * 7))
        return Step(step_id, tuple(alts), process)

    def part_steps(tag: str) -> list[Step]:
        first = "print" if rng.random() < 0.5 else "mill"
        steps = [step(f"{tag}1-{first}", first, rng.randint(60, 480))]
        steps.append(step(f"{tag}2-finish", "finish", rng.randint(30, 240)))
        steps.append(step(f"{tag}3-inspect", "inspect", rng.randint(20, 90)))
        return steps

    for o in range(orders):
        customer = (rng.uniform(0, 400), rng.uniform(0, 400))
        delivery = {w: leg(places[i], customer) for i, w in enumerate(ws_ids)}
        release = rng.randint(0, 2 * DAY)
        due = release + rng.randint(4, 10) * DAY
        if rng.random() < 0.2:
            parts = [f"O{o:03d}-A", f"O{o:03d}-B"]
            for part in parts:
                jobs.append(Routing(part, tuple(part_steps("")), release=release))
            jobs.append(
                Routing(
                    f"O{o:03d}",
                    (
                        step("1-assemble", "assemble", rng.randint(30, 180)),
                        step("2-inspect", "inspect", rng.randint(20, 60)),
                    ),
                    release=release,
                    due=due,
                    waits_for=tuple(parts),
                    delivery=delivery,
                )
            )
        else:
            steps = part_steps("")
            steps.append(step("4-pack", "assemble", rng.randint(10, 40)))
            jobs.append(
                Routing(f"O{o:03d}", tuple(steps), release=release, due=due, delivery=delivery)
            )
    return Problem(
        jobs=tuple(jobs),
        machines=tuple(machine_list),
        transport=Transport(legs),
        objective=Objective(cost=1, tardiness=20, makespan=1),
        name=f"marketplace-{seed}",
    )


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
