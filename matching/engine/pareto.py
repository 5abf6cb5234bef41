"""Quote options on the cost / delivery time / CO2 front: cheapest, fastest, greenest, balanced.

Each option is a full plan solved for one lexicographic goal (e.g. cost first, then delivery
time), so the option the customer picks can be booked as is. The balanced option minimises
the sum of the three criteria, each divided by its best value among the other options, so
that no unit (cents, minutes, grams) dominates. Identical plans are offered once, carrying
every label they earn.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from matching.engine.compiled import Compiled
from matching.engine.problem import (
    Alternative,
    Objective,
    Plan,
    Problem,
    SolveParams,
)
from matching.engine.solver import solve

CHEAPEST = "cheapest"
FASTEST = "fastest"
GREENEST = "lowest_co2"
BALANCED = "balanced"


@dataclass(frozen=True)
class StepChoice:
    """Why a step went where it did: its machine's figures against the runner-up's."""

    job: str
    step: str
    machine: str
    workshop: str
    start: int
    end: int
    duration: int  # minutes
    cost: int  # minor units
    co2: int  # grams
    runner_up: Alternative | None
    reason: str


@dataclass(frozen=True)
class Option:
    """One quote option: a plan with its price, delivery time and CO2, and why."""

    labels: tuple[str, ...]
    plan: Plan
    objective: Objective  # the goal the plan was solved for; plan.objective is in its units
    price: int  # minor units: processing, transport and delivery
    delivery: int  # minutes: completion of the last job
    co2: int  # grams
    steps: tuple[StepChoice, ...]

    @property
    def label(self) -> str:
        """The first goal this plan was found for."""
        return self.labels[0]


def quote_options(problem: Problem, params: SolveParams | None = None) -> list[Option]:
    """Cheapest, fastest, lowest-CO2 and balanced plans for ``problem``, deduplicated.

    ``params.time_limit_s`` is shared between the four solves. Tardiness weights of
    ``problem.objective`` are kept in every goal (a quote should still try to meet due
    dates). An infeasible problem gives an empty list; call ``solve`` for the reasons.
    """
    params = params or SolveParams()
    share = replace(params, time_limit_s=params.time_limit_s / 4)
    compiled = Compiled(problem)
    if compiled.issues:
        return []
    max_time = compiled.safe_horizon() + 1
    max_cost = _max_cost(compiled) + 1
    tardiness = problem.objective.tardiness
    goals = {
        CHEAPEST: Objective(cost=max_time, makespan=1, tardiness=tardiness * max_time),
        FASTEST: Objective(makespan=max_cost, cost=1, tardiness=tardiness * max_cost),
        GREENEST: Objective(co2=max_cost, cost=1, tardiness=tardiness * max_cost),
    }
    plans: dict[str, Plan] = {}
    for label, objective in goals.items():
        plan = solve(replace(problem, objective=objective), share)
        if plan.has_schedule:
            plans[label] = plan
    if not plans:
        return []
    best_cost = max(1, min(p.cost for p in plans.values()))
    best_time = max(1, min(p.makespan for p in plans.values()))
    best_co2 = max(1, min(p.co2 for p in plans.values()))
    scale = 10_000
    balanced = Objective(
        cost=max(1, scale // best_cost),
        makespan=max(1, scale // best_time),
        co2=max(1, scale // best_co2) if any(p.co2 for p in plans.values()) else 0,
        tardiness=tardiness * max(1, scale // best_time),
    )
    hint = min(plans.values(), key=lambda p: p.cost / best_cost + p.makespan / best_time)
    goals[BALANCED] = balanced
    plan = solve(replace(problem, objective=balanced), replace(share, hint=hint))
    if plan.has_schedule:
        plans[BALANCED] = plan
    options: list[Option] = []
    for label, plan in plans.items():
        same = next((o for o in options if o.plan.assignments == plan.assignments), None)
        if same is not None:
            options[options.index(same)] = replace(same, labels=(*same.labels, label))
            continue
        options.append(
            Option(
                labels=(label,),
                plan=plan,
                objective=goals[label],
                price=plan.cost,
                delivery=plan.makespan,
                co2=plan.co2,
                steps=_explain(problem, plan, label),
            )
        )
    return options


def _max_cost(compiled: Compiled) -> int:
    """An upper bound on total cost and on total CO2 of any plan."""
    total = 0
    for op in compiled.ops:
        total += max(max(a.cost, a.co2) for a in op.alts)
        worst = 0
        for p in op.preds:
            for a in compiled.ops[p].alts:
                for b in op.alts:
                    leg = compiled.leg(a.machine, b.machine)
                    worst = max(worst, leg.cost, leg.co2)
        total += worst
        total += max(
            (max(compiled.delivery(op, a.machine).cost, compiled.delivery(op, a.machine).co2))
            for a in op.alts
        )
    return total


def _explain(problem: Problem, plan: Plan, label: str) -> tuple[StepChoice, ...]:
    """Per step: the chosen machine and the best other capable machine for this goal."""
    key = {
        CHEAPEST: lambda a: (a.cost, a.duration, a.co2),
        FASTEST: lambda a: (a.duration, a.cost, a.co2),
        GREENEST: lambda a: (a.co2, a.cost, a.duration),
        BALANCED: lambda a: (a.cost + a.duration + a.co2, a.cost),
    }[label]
    steps = {(j.id, s.id): s for j in problem.jobs for s in j.steps}
    out = []
    for a in plan.assignments:
        step = steps[(a.job, a.step)]
        chosen = next(x for x in step.alternatives if x.machine == a.machine)
        others = sorted((x for x in step.alternatives if x.machine != a.machine), key=key)
        runner_up = others[0] if others else None
        workshop = problem.workshop_of(a.machine)
        if runner_up is None:
            reason = f"{a.machine} ({workshop}) is the only capable machine"
        else:
            reason = (
                f"{a.machine} ({workshop}): {chosen.duration} min, cost {chosen.cost}, "
                f"{chosen.co2} g CO2; runner-up {runner_up.machine} "
                f"({problem.workshop_of(runner_up.machine)}): {runner_up.duration} min, "
                f"cost {runner_up.cost}, {runner_up.co2} g CO2"
            )
            if key(runner_up) < key(chosen):
                reason += " (better alone, but worse for the whole plan: queue or transport)"
        out.append(
            StepChoice(
                job=a.job,
                step=a.step,
                machine=a.machine,
                workshop=workshop,
                start=a.start,
                end=a.end,
                duration=chosen.duration,
                cost=chosen.cost,
                co2=chosen.co2,
                runner_up=runner_up,
                reason=reason,
            )
        )
    return tuple(out)
