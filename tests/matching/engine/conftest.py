"""Shared builders for engine tests: small hand-made problems and the benchmark data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.engine.problem import (
    Alternative,
    Leg,
    Objective,
    Problem,
    Resource,
    Routing,
    Step,
    Transport,
)
from tests.data import FJSP as DATA


@pytest.fixture
def data_dir() -> Path:
    """The FJSP benchmark instances, kept in the repository (``tests/data/fjsp``)."""
    return DATA


def two_workshop_problem(objective: Objective | None = None) -> Problem:
    """Two jobs, three machines in two workshops, a 30-minute leg between the workshops.

    Mill at A (m1) is fast and dear, mill at B (m3) slow and cheap; finishing only at B.
    """
    machines = (
        Resource("m1", "A"),
        Resource("m2", "A"),
        Resource("m3", "B"),
    )
    mill = (Alternative("m1", 60, cost=900, co2=500), Alternative("m3", 90, cost=400, co2=300))
    finish = (Alternative("m3", 20, cost=100, co2=50),)
    inspect = (Alternative("m2", 10, cost=50, co2=5), Alternative("m3", 15, cost=80, co2=5))
    jobs = tuple(
        Routing(
            f"j{k}",
            (
                Step("mill", mill, "mill"),
                Step("finish", finish, "finish"),
                Step("inspect", inspect),
            ),
            delivery={"A": Leg(120, 1000, 800), "B": Leg(60, 700, 400)},
            due=400,
        )
        for k in range(2)
    )
    transport = Transport({("A", "B"): Leg(30, 200, 100), ("B", "A"): Leg(30, 200, 100)})
    return Problem(
        jobs=jobs,
        machines=machines,
        transport=transport,
        objective=objective or Objective(makespan=1),
    )
