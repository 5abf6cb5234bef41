"""Reader for flexible job shop instances in the Brandimarte / IDSIA ``.fjs`` text format.

Header ``<jobs> <machines> [<avg machines per op>]``, then one line per job:
``<ops> { <k> { <machine> <time> } * k } * ops`` with machines numbered from 1. Files use
CRLF and arbitrary whitespace, and some headers under-count machines (Mk06, Mk10), so the
machine count is ``max(header, largest index used)``. Everything is 0-indexed once parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matching.engine.problem import (
    Alternative,
    Objective,
    Problem,
    Resource,
    Routing,
    Step,
)


@dataclass(frozen=True)
class FjspInstance:
    """A parsed instance: ``jobs[j][o]`` is the list of ``(machine, duration)`` of op ``o``."""

    n_machines: int
    jobs: tuple[tuple[tuple[tuple[int, int], ...], ...], ...]
    name: str = ""

    @property
    def n_operations(self) -> int:
        """Total number of operations."""
        return sum(len(ops) for ops in self.jobs)


def parse_fjsp(text: str, name: str = "") -> FjspInstance:
    """Parse ``.fjs`` text; raise ``ValueError`` naming the line for malformed input."""
    lines = [
        (number, line.split())
        for number, line in enumerate(text.replace("\r", "").split("\n"), start=1)
    ]
    lines = [(number, tokens) for number, tokens in lines if tokens]
    if not lines:
        raise ValueError("empty file: expected a header '<jobs> <machines>'")
    header_line, header = lines[0]
    if len(header) < 2:
        raise ValueError(f"line {header_line}: header needs '<jobs> <machines> [<flexibility>]'")
    n_jobs = _int(header[0], header_line, "number of jobs")
    n_machines = _int(header[1], header_line, "number of machines")
    if n_jobs < 1 or n_machines < 1:
        raise ValueError(f"line {header_line}: jobs and machines must be positive")
    if len(header) > 3:
        raise ValueError(f"line {header_line}: header has {len(header)} numbers, expected 2 or 3")
    if len(header) == 3:
        try:
            float(header[2])
        except ValueError:
            raise ValueError(
                f"line {header_line}: flexibility {header[2]!r} is not a number"
            ) from None
    job_lines = lines[1:]
    if len(job_lines) != n_jobs:
        raise ValueError(
            f"line {header_line}: header announces {n_jobs} jobs but the file has "
            f"{len(job_lines)} job lines"
        )
    jobs = []
    max_machine = 0
    for number, tokens in job_lines:
        values = [_int(tok, number, "value") for tok in tokens]
        n_ops = values[0]
        if n_ops < 1:
            raise ValueError(f"line {number}: a job needs at least one operation")
        pos = 1
        ops = []
        for o in range(n_ops):
            if pos >= len(values):
                raise ValueError(f"line {number}: operation {o + 1} of {n_ops} is missing")
            k = values[pos]
            pos += 1
            if k < 1:
                raise ValueError(f"line {number}: operation {o + 1} has no eligible machine")
            if pos + 2 * k > len(values):
                raise ValueError(f"line {number}: operation {o + 1} lists fewer than {k} machines")
            alts = []
            for _ in range(k):
                machine, duration = values[pos], values[pos + 1]
                pos += 2
                if machine < 1:
                    raise ValueError(f"line {number}: machine {machine} (machines start at 1)")
                if duration < 0:
                    raise ValueError(f"line {number}: negative processing time {duration}")
                if any(m == machine - 1 for m, _ in alts):
                    raise ValueError(
                        f"line {number}: operation {o + 1} lists machine {machine} twice"
                    )
                alts.append((machine - 1, duration))
                max_machine = max(max_machine, machine)
            ops.append(tuple(alts))
        if pos != len(values):
            raise ValueError(
                f"line {number}: {len(values) - pos} extra values after {n_ops} operations"
            )
        jobs.append(tuple(ops))
    return FjspInstance(max(n_machines, max_machine), tuple(jobs), name)


def read_fjsp(path: str | Path) -> FjspInstance:
    """Read and parse an ``.fjs`` file."""
    path = Path(path)
    return parse_fjsp(path.read_text(encoding="utf-8", errors="strict"), name=path.stem)


def to_problem(instance: FjspInstance) -> Problem:
    """The instance as an engine problem: ids are the 0-based indices as strings, makespan."""
    machines = tuple(Resource(id=str(m)) for m in range(instance.n_machines))
    jobs = tuple(
        Routing(
            id=str(j),
            steps=tuple(
                Step(
                    id=str(o),
                    alternatives=tuple(Alternative(str(m), d) for m, d in alts),
                )
                for o, alts in enumerate(ops)
            ),
        )
        for j, ops in enumerate(instance.jobs)
    )
    return Problem(
        jobs=jobs, machines=machines, objective=Objective.makespan_only(), name=instance.name
    )


def _int(token: str, line: int, what: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise ValueError(f"line {line}: {what} {token!r} is not an integer") from None
