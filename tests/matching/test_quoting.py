"""From a quote request to engine plans and back to customer words, on a 3-workshop network."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.engine import SolveParams, solve, validate
from matching.estimation import CarrierSpec, MachineSpec
from matching.planning import MaterialSpec, PartGeometry
from matching.quote_explain import (
    CUSTOMER,
    PROMISE_MARGIN_MAX,
    PROMISE_MARGIN_MIN,
    RouteLeg,
    RouteStep,
    promise_minute,
)
from matching.quote_problem import PartToQuote, QuoteQuery, build_problem
from matching.quoting import quote

ROOT = Path(__file__).resolve().parents[2]
FAST = SolveParams(time_limit_s=2.0, workers=1, deterministic=True)

AL = MaterialSpec(
    "al-6061", "Aluminium 6061-T6", "aluminium", 2.7, 600, ("cnc-3axis", "cnc-5axis", "cnc-turning")
)
TI = MaterialSpec(
    "ti-6al4v", "Titanium Ti-6Al-4V", "titanium", 4.43, 4500, ("cnc-5axis", "cnc-turning")
)
BLOCK = PartGeometry(volume_mm3=36_000, area_mm2=9_400, bbox_mm=(50, 40, 30))
MUNICH = (48.13510, 11.58200)
DAY = 24 * 60
# Eight working hours a day for three weeks.
WORKDAYS = tuple((d * DAY + 8 * 60, d * DAY + 16 * 60) for d in range(21))


def machine(id: str, workshop: str, process: str, where: tuple[float, float], **kw) -> MachineSpec:
    base = {
        "materials": frozenset(),
        "envelope_mm": (1000, 1000, 1000),
        "tolerance_mm": 0.05,
        "hourly_rate_minor": 5000,
        "setup_cost_minor": 2000,
        "setup_minutes": 20,
        "throughput": 30,
    }
    base.update(kw)
    return MachineSpec(
        id=id,
        workshop=workshop,
        process=process,
        lat=where[0],
        lon=where[1],
        workshop_name=workshop.title(),
        name=f"{process} {id}",
        **base,
    )


STG, NBG, EIN = (48.7758, 9.1829), (49.4521, 11.0767), (51.4416, 5.4697)
NETWORK = [
    # Stuttgart mills (3 axes) and deburrs, cheaply.
    machine(
        "s-mill",
        "stuttgart",
        "cnc-3axis",
        STG,
        materials=frozenset({"al-6061"}),
        envelope_mm=(762, 406, 508),
        hourly_rate_minor=6000,
        setup_cost_minor=8000,
        setup_minutes=45,
        throughput=20,
    ),
    machine("s-deburr", "stuttgart", "deburring", STG),
    machine("s-cmm", "stuttgart", "cmm-inspection", STG, tolerance_mm=0.002, throughput=6),
    # Nuremberg is the only anodizer, open on workdays only.
    machine(
        "n-anod",
        "nuremberg",
        "anodizing",
        NBG,
        tolerance_mm=0.01,
        throughput=200,
        setup_minutes=60,
        windows=WORKDAYS,
    ),
    # Eindhoven mills on 3 and 5 axes (dearer), deburrs and assembles.
    machine(
        "e-mill",
        "eindhoven",
        "cnc-3axis",
        EIN,
        materials=frozenset({"al-6061"}),
        envelope_mm=(762, 406, 508),
        hourly_rate_minor=7000,
        setup_cost_minor=9000,
        setup_minutes=45,
        throughput=20,
    ),
    machine(
        "e-5ax",
        "eindhoven",
        "cnc-5axis",
        EIN,
        materials=frozenset({"al-6061", "ti-6al4v"}),
        envelope_mm=(350, 300, 300),
        tolerance_mm=0.02,
        hourly_rate_minor=9500,
        setup_cost_minor=15000,
        setup_minutes=90,
        throughput=15,
    ),
    machine("e-deburr", "eindhoven", "deburring", EIN),
    machine("e-assy", "eindhoven", "assembly", EIN, throughput=12),
]
CARRIERS = [
    CarrierSpec("europarcel", 1200, 4500, 800, 180, "EuroParcel Express"),
    CarrierSpec("rhein", 900, 3800, 600, 240, "Rhein Cargo"),
]


def request(*lines: PartToQuote, due: int | None = None) -> QuoteQuery:
    return QuoteQuery(lines=lines, customer_lat=MUNICH[0], customer_lon=MUNICH[1], due=due)


def anodized(id: str = "bracket", **kw) -> PartToQuote:
    return PartToQuote(id, BLOCK, AL, finish="anodized", quantity=kw.pop("quantity", 10), **kw)


def test_problem_has_one_job_per_line_with_shortlists_legs_and_delivery() -> None:
    problem, context = build_problem(request(anodized()), NETWORK, CARRIERS, now_minute=30)
    assert context.feasible
    (job,) = problem.jobs
    assert [s.id for s in job.steps] == ["mill", "deburr", "anodize"]
    assert job.release == 30
    assert {a.machine for a in job.steps[0].alternatives} == {"s-mill", "e-mill", "e-5ax"}
    assert [a.machine for a in job.steps[2].alternatives] == ["n-anod"]
    assert set(job.delivery) == {"nuremberg"}
    assert problem.transport.leg("stuttgart", "nuremberg").time == DAY
    assert problem.machine("n-anod").windows == WORKDAYS


def test_quote_options_are_valid_and_cross_workshops_when_they_must() -> None:
    result = quote(
        request(anodized()), NETWORK, CARRIERS, params=FAST, margin_bp=1000, platform_fee_minor=500
    )
    assert result.reasons == ()
    assert result.options
    for quoted in result.options:
        option = quoted.option
        assert validate(replace(result.problem, objective=option.objective), option.plan) == []
        workshops = [s.workshop for s in quoted.steps]
        assert workshops[-1] == "nuremberg"  # only Nuremberg anodizes
        assert workshops[0] in {"stuttgart", "eindhoven"}
        hops = [(leg.origin, leg.destination) for leg in quoted.legs]
        assert (workshops[1], "nuremberg") in hops
        assert hops[-1] == ("nuremberg", CUSTOMER)
        # the parties' prices add up to the engine's cost; the customer pays margin and fee on top
        assert quoted.cost == option.plan.cost
        assert quoted.margin == round(quoted.cost / 10)
        assert quoted.price == quoted.cost + quoted.margin + 500
        # the promise is the planned arrival plus the margin that leaves room to re-plan
        assert quoted.delivery_minute == promise_minute(option.plan.makespan)
        assert quoted.delivery_minute - option.plan.makespan >= PROMISE_MARGIN_MIN
        assert quoted.co2_kg == pytest.approx(option.plan.co2 / 1000)
        assert isinstance(quoted.route[0], RouteStep)
        assert isinstance(quoted.route[-1], RouteLeg)
    cheapest = next(o for o in result.options if "cheapest" in o.labels)
    mill = cheapest.steps[0]
    assert mill.workshop == "stuttgart"
    assert mill.runner_up_workshop == "eindhoven"
    assert mill.runner_up_cost is not None
    assert mill.runner_up_cost > mill.cost
    assert "Runner-up: Eindhoven" in mill.why
    anodize = cheapest.steps[-1]
    assert anodize.runner_up_cost is None
    assert "No other workshop" in anodize.why
    assert cheapest.legs[0].runner_up_carrier == "europarcel"


def test_impossible_due_date_gives_the_earliest_delivery() -> None:
    origin = datetime(2026, 3, 2, 0, 0)
    result = quote(request(anodized(), due=6 * 60), NETWORK, CARRIERS, params=FAST, origin=origin)
    assert result.options == ()
    assert result.earliest is not None
    assert result.earliest > 2 * DAY  # two legs of a day each
    assert result.reasons[0].startswith(
        "The due date is impossible; the earliest possible delivery is "
    )
    assert "2026" in result.reasons[0]
    # the same request due at the earliest date is quoted
    later = quote(request(anodized(), due=result.earliest), NETWORK, CARRIERS, params=FAST)
    assert later.options
    # a due date the plan meets caps the promise: no margin beyond what the customer asked
    assert all(o.delivery_minute <= result.earliest for o in later.options)


def test_multi_part_order_assembles_after_every_part_has_arrived() -> None:
    lines = (
        anodized("bracket", name="Bracket"),
        PartToQuote("spacer", BLOCK, AL, quantity=4, name="Spacer"),
    )
    problem, context = build_problem(request(*lines), NETWORK, CARRIERS)
    assert context.feasible
    assembly = problem.job("assembly")
    assert set(assembly.waits_for) == {"bracket", "spacer"}
    assert problem.job("bracket").delivery == {}  # parts travel to assembly, not the customer
    assert set(assembly.delivery) == {"eindhoven"}
    plan = solve(problem, FAST)
    assert plan.has_schedule
    assert validate(problem, plan) == []
    steps = plan.by_step()
    assemble = steps[("assembly", "assemble")]
    assert assemble.start >= steps[("bracket", "anodize")].end + DAY  # Nuremberg -> Eindhoven
    assert assemble.start >= steps[("spacer", "deburr")].end


def test_no_machine_for_a_big_titanium_part_is_said_plainly() -> None:
    big = PartGeometry(volume_mm3=10_000_000, area_mm2=500_000, bbox_mm=(400, 300, 200))
    result = quote(request(PartToQuote("housing", big, TI)), NETWORK, CARRIERS, params=FAST)
    assert result.options == ()
    assert result.reasons == (
        "No machine in the network takes Titanium Ti-6Al-4V at 400 \u00d7 300 \u00d7 200 mm.",
    )


def test_planning_refusals_bubble_up_with_the_part_name() -> None:
    steel = MaterialSpec("ss-304", "Stainless steel 304", "stainless", 8.0, 500, ("cnc-3axis",))
    lines = (anodized("a", name="Bracket"), PartToQuote("b", BLOCK, steel, "anodized", name="Lid"))
    _, context = build_problem(request(*lines), NETWORK, CARRIERS)
    assert context.issues == (
        "Lid: Anodizing needs aluminium; Stainless steel 304 cannot be anodized.",
    )


def test_precision_needs_a_cmm_and_a_five_axis_mill() -> None:
    line = PartToQuote("pin", BLOCK, AL, tolerance="high-precision")
    problem, context = build_problem(request(line), NETWORK, CARRIERS)
    assert context.feasible
    steps = {s.id: s for s in problem.jobs[0].steps}
    assert [a.machine for a in steps["mill"].alternatives] == ["e-5ax"]
    assert [a.machine for a in steps["inspect"].alternatives] == ["s-cmm"]


def test_planning_estimation_and_quoting_import_no_django() -> None:
    code = (
        "import sys\n"
        "import matching.planning, matching.estimation, matching.quoting\n"
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@given(
    now=st.integers(0, 10**6),
    lead=st.integers(0, 60 * 24 * 60),
    due_after=st.one_of(st.none(), st.integers(-(10**4), 10**5)),
)
def test_a_promise_leaves_a_bounded_margin_and_never_passes_a_met_due_date(now, lead, due_after):
    arrival = now + lead
    due = None if due_after is None else arrival + due_after
    promise = promise_minute(arrival, now=now, due=due)
    assert promise >= arrival
    assert promise - arrival <= PROMISE_MARGIN_MAX
    if due is not None and arrival <= due:
        assert promise <= due
    else:
        assert promise - arrival >= PROMISE_MARGIN_MIN
