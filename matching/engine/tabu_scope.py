"""Which problems the tabu search covers, told without importing numpy (``tabu.py`` does):
the solver asks this of every problem, quotes included, and most never reach the search."""

from __future__ import annotations

from matching.engine.compiled import Compiled


def tabu_applies(compiled: Compiled) -> bool:
    """True when the tabu search's graph model is the whole problem (see the module doc)."""
    problem = compiled.problem
    return (
        problem.objective.is_makespan_only()
        and not compiled.issues
        and bool(compiled.ops)
        and not any(compiled.busy)
        and not compiled.has_transport()
        and all(job.deadline is None for job in problem.jobs)
        and all(a.duration > 0 for op in compiled.ops for a in op.alts)
    )
