"""The whole quote: a customer's query in, priced options or plain-word reasons out.

Pure (no Django). ``quote`` builds the engine problem (``matching.quote_problem``), solves the
four quote goals (``matching.engine.quote_options``) and explains them in customer terms
(``matching.quote_explain``); when there are none it turns the engine's infeasibility into
sentences and, for an impossible due date, the earliest possible delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from matching.engine import Plan, Problem, SolveParams, quote_options, solve
from matching.estimation import CarrierSpec, MachineSpec
from matching.quote_explain import QuotedOption, explain
from matching.quote_problem import SHORTLIST, QuoteContext, QuoteQuery, build_problem


@dataclass(frozen=True)
class QuoteResult:
    """Options to show, or reasons why there are none (``earliest``: for an impossible due)."""

    options: tuple[QuotedOption, ...]
    reasons: tuple[str, ...]
    problem: Problem
    context: QuoteContext
    earliest: int | None = None  # minutes
    plan: Plan | None = None  # the engine's answer when there are no options


def reasons_from_plan(plan: Plan, context: QuoteContext) -> tuple[tuple[str, ...], int | None]:
    """The engine's infeasibility issues in customer words, and the earliest delivery if late."""
    reasons: list[str] = []
    earliest: int | None = None
    for issue in plan.issues:
        if issue.code == "deadline_impossible" and issue.earliest is not None:
            earliest = max(earliest or 0, issue.earliest)
            continue
        if issue.code == "deadline_impossible":
            reasons.append("The due date is impossible for this order.")
        elif issue.code in ("no_available_machine", "no_capable_machine"):
            part = context.job_names.get(issue.job or "", issue.job or "")
            result = context.estimates.get((issue.job or "", issue.step or ""))
            what = result.step.name if result else issue.step
            reasons.append(
                f"No machine that can do {what} for {part} has a free slot long enough."
                if issue.code == "no_available_machine"
                else issue.message
            )
        else:
            reasons.append(issue.message)
    if earliest is not None:
        reasons.insert(
            0,
            f"The due date is impossible; the earliest possible delivery is "
            f"{context.when(earliest)}.",
        )
    if not reasons:
        reasons.append("No plan was found in the time allowed; please try again.")
    return tuple(reasons), earliest


def quote(
    query: QuoteQuery,
    machines: Sequence[MachineSpec],
    carriers: Sequence[CarrierSpec],
    *,
    now_minute: int = 0,
    origin: datetime | None = None,
    params: SolveParams | None = None,
    shortlist_size: int = SHORTLIST,
    margin_bp: int = 0,
    platform_fee_bp: int = 0,
    platform_fee_minor: int = 0,
) -> QuoteResult:
    """Plan, estimate, solve the four quote goals and explain them; or say why not."""
    problem, context = build_problem(
        query, machines, carriers, now_minute, origin=origin, shortlist_size=shortlist_size
    )
    if context.issues:
        return QuoteResult((), context.issues, problem, context)
    options = quote_options(problem, params)
    if options:
        quoted = explain(
            options,
            context,
            margin_bp=margin_bp,
            platform_fee_bp=platform_fee_bp,
            platform_fee_minor=platform_fee_minor,
        )
        return QuoteResult(tuple(quoted), (), problem, context)
    plan = solve(problem, params)
    reasons, earliest = reasons_from_plan(plan, context)
    return QuoteResult((), reasons, problem, context, earliest=earliest, plan=plan)
