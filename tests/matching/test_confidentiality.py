"""Confidential designs in the pure matcher: no quote or re-plan places a step with a workshop
the design's rule forbids, and a quote nobody may make says so."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.confidentiality import ConfidentialityRule, admitted, no_workshop_reason
from matching.engine import SolveParams, solve, validate
from matching.estimation import MachineSpec
from matching.planning import MaterialSpec, PartGeometry
from matching.quote_problem import PartToQuote, QuoteQuery, build_problem
from matching.quoting import quote
from matching.replanning import StepDeclinedChange, replan_assignments, replan_window
from tests.matching.conftest import (
    ANODIZE,
    CARRIER,
    EINDHOVEN,
    EINDHOVEN_MACHINES,
    MILL,
    NOW,
    NUREMBERG,
    STUTTGART,
    snapshot_at,
)
from tests.matching.replan_steps import FAST, step

AL = MaterialSpec("al-6061", "Aluminium 6061-T6", "aluminium", 2.7, 600, ("cnc-3axis",))
BLOCK = PartGeometry(volume_mm3=36_000, area_mm2=9_400, bbox_mm=(50, 40, 30))
COUNTRIES = ("DE", "FR", "IT", "NL")
CERTS = ("iso-9001", "as9100", "itar")
PROCESSES = ("cnc-3axis", "deburring", "anodizing", "inspection", "assembly")
QUICK = SolveParams(time_limit_s=0.5, workers=1, deterministic=True)


def machine(mid: int, workshop: int, process: str, country: str, certs: frozenset[str]):
    return MachineSpec(
        id=str(mid),
        workshop=str(workshop),
        process=process,
        materials=frozenset({"al-6061"}) if process == "cnc-3axis" else frozenset(),
        envelope_mm=(800.0, 800.0, 800.0),
        tolerance_mm=0.01,
        hourly_rate_minor=5000 + 100 * mid,
        setup_cost_minor=2000,
        setup_minutes=20,
        throughput=30.0,
        lat=48.0 + workshop / 10,
        lon=9.0 + workshop / 10,
        workshop_name=f"Workshop {workshop}",
        country=country,
        certifications=certs,
    )


@st.composite
def networks(draw) -> tuple[MachineSpec, ...]:
    """Two to six workshops in random countries with random certificates and processes."""
    specs: list[MachineSpec] = []
    for w in range(draw(st.integers(2, 6))):
        country = draw(st.sampled_from(COUNTRIES))
        certs = frozenset(draw(st.sets(st.sampled_from(CERTS), max_size=3)))
        offered = draw(st.sets(st.sampled_from(PROCESSES), min_size=1))
        for process in sorted(offered):
            specs.append(machine(len(specs) + 1, w + 1, process, country, certs))
    return tuple(specs)


@st.composite
def rules(draw) -> ConfidentialityRule:
    return ConfidentialityRule(
        certifications=frozenset(draw(st.sets(st.sampled_from(CERTS), max_size=2))),
        countries=frozenset(draw(st.sets(st.sampled_from(COUNTRIES), max_size=2))),
        workshops=frozenset(str(w) for w in draw(st.sets(st.integers(1, 6), max_size=3))),
    )


def part(line_id: str, rule: ConfidentialityRule | None) -> PartToQuote:
    return PartToQuote(line_id, BLOCK, AL, "anodized", name=f"Part {line_id}", confidentiality=rule)


@settings(max_examples=120, deadline=None)
@given(network=networks(), rule=rules(), other=st.one_of(st.none(), rules()), two=st.booleans())
def test_no_quote_plan_uses_a_workshop_the_rule_forbids(network, rule, other, two):
    lines = (part("1", rule), part("2", other)) if two else (part("1", rule),)
    query = QuoteQuery(lines=lines, customer_lat=48.1, customer_lon=11.6)
    problem, context = build_problem(query, network, (CARRIER,))
    specs = {m.id: m for m in network}
    allowed = {"1": [rule], "2": [other] if other else []}
    allowed[context.assembly_job or ""] = [r for r in (rule, other) if r] if two else []
    for job in problem.jobs:
        for s in job.steps:
            for alt in s.alternatives:
                assert all(r.admits(specs[alt.machine]) for r in allowed[job.id]), (job.id, alt)
    opened = tuple(part(x.id, None) for x in lines)
    _, open_context = build_problem(
        QuoteQuery(lines=opened, customer_lat=48.1, customer_lon=11.6), network, (CARRIER,)
    )
    if context.issues and not open_context.issues:
        assert any("confidential" in issue for issue in context.issues), context.issues
    if not context.issues:
        plan = solve(problem, QUICK)
        assert not validate(problem, plan)
        for a in plan.assignments:
            assert all(r.admits(specs[a.machine]) for r in allowed[a.job]), a


def test_a_rule_nobody_meets_is_named_in_the_quote():
    network = (
        machine(1, 1, "cnc-3axis", "DE", frozenset()),
        machine(2, 1, "deburring", "DE", frozenset()),
        machine(3, 1, "anodizing", "DE", frozenset()),
        machine(4, 1, "inspection", "DE", frozenset()),
    )
    rule = ConfidentialityRule(countries=frozenset({"FR"}))
    query = QuoteQuery(lines=(part("1", rule),), customer_lat=48.1, customer_lon=11.6)
    _, context = build_problem(query, network, (CARRIER,))
    assert context.issues
    assert context.issues[0] == (
        "Part 1 is confidential and no workshop that meets its rule (in FR) can make it; "
        "widen the rule on the design's page."
    )


def test_the_rule_admits_only_workshops_meeting_every_part():
    m = machine(1, 3, "cnc-3axis", "de", frozenset({"iso-9001"}))
    assert ConfidentialityRule().admits(m)
    assert ConfidentialityRule(countries=frozenset({"DE"})).admits(m)
    assert not ConfidentialityRule(countries=frozenset({"FR"})).admits(m)
    assert ConfidentialityRule(certifications=frozenset({"iso-9001"})).admits(m)
    assert not ConfidentialityRule(certifications=frozenset({"iso-9001", "itar"})).admits(m)
    assert ConfidentialityRule(workshops=frozenset({"3"}), countries=frozenset({"DE"})).admits(m)
    assert not ConfidentialityRule(workshops=frozenset({"4"}), countries=frozenset({"DE"})).admits(
        m
    )
    assert admitted([m], [None]) == (m,)
    assert "quote them apart" in no_workshop_reason(
        [("A", ConfidentialityRule()), ("B", ConfidentialityRule())]
    )


FACTS = {
    STUTTGART: ("DE", frozenset({"iso-9001"})),
    NUREMBERG: ("DE", frozenset()),
    EINDHOVEN: ("NL", frozenset({"iso-9001"})),
}


def with_facts(snapshot):
    machines = tuple(
        replace(m, country=FACTS[m.workshop][0], certifications=FACTS[m.workshop][1])
        for m in snapshot.machines
    )
    return replace(snapshot, machines=machines)


@settings(max_examples=25, deadline=None)
@given(rule=rules())
def test_a_replan_never_moves_a_step_to_a_forbidden_workshop(rule):
    rule = replace(rule, workshops=frozenset(), certifications=rule.certifications & {"iso-9001"})
    plan = [
        step("p1", "mill", MILL, -20, 60, "done", material_code="al-6061"),
        step("p1", "anodize", ANODIZE, 50, 90, confidentiality=(rule,)),
    ]
    origin, days = replan_window(plan, NOW)
    snapshot = with_facts(snapshot_at(origin, days, machines=EINDHOVEN_MACHINES))
    result = replan_assignments(
        assignments=plan,
        change=StepDeclinedChange("p1", "anodize", int(NUREMBERG)),
        now=NOW,
        snapshot=snapshot,
        **FAST,
    )
    eindhoven_anodize = EINDHOVEN_MACHINES[2]
    may_move = rule.admits(with_facts(snapshot).machine(eindhoven_anodize.id))
    anodize = next(a for a in result.assignments if a.step_key == "anodize") if result.ok else None
    if may_move:
        assert anodize is not None
        assert anodize.workshop_id == int(EINDHOVEN)
    else:
        assert anodize is None or anodize.workshop_id != int(EINDHOVEN)


def test_the_explanation_says_the_rule_narrowed_the_choice():
    network = tuple(
        machine(i + 1, 1 + i % 2, process, "NL" if i % 2 else "DE", frozenset())
        for i, process in enumerate(("cnc-3axis", "cnc-3axis", "deburring", "deburring"))
    )
    rule = ConfidentialityRule(countries=frozenset({"NL"}))
    bare = replace(part("1", rule), finish=None)
    query = QuoteQuery(lines=(bare,), customer_lat=48.1, customer_lon=11.6)
    result = quote(query, network, (CARRIER,), params=QUICK, margin_bp=0, platform_fee_bp=0)
    assert result.options, result.reasons
    whys = [step.why for option in result.options for step in option.steps]
    assert whys
    assert all("meeting the design's confidentiality rule" in why for why in whys)
