"""The marketplace's matcher wrappers on the database: network snapshot, quotes, sizes, re-planning.

The pure halves are tested without the database in tests/matching/test_quote_answers.py,
test_replanning.py and test_routes.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.management import call_command

from accounts.models import Organization
from marketplace.designs.models import Design, DesignRevision
from marketplace.network.models import Carrier, Machine, Process, WeeklyAvailability, Workshop
from marketplace.network.snapshot import network_snapshot
from marketplace.orders.matcher import (
    SYNC_MAX_SIZE,
    CurrentAssignment,
    MachineDownChange,
    QuoteInput,
    QuoteLineInput,
    StepDeclinedChange,
    StepLateChange,
    legs_for_jobs,
    quote_for,
    replan_assignments,
    size_of,
)
from tests.data.analyses import BRACKET, GEAR
from tests.factories import (
    CapacityBookingFactory,
    CapacityExceptionFactory,
    MachineFactory,
    MaterialFactory,
    OrganizationFactory,
    ProcessFactory,
    WeeklyAvailabilityFactory,
    WorkshopFactory,
)
from tests.matching.checks import check_two_part_option

NOW = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)  # a Monday, 06:00 UTC
H = 60  # minutes
DAY = 24 * H
MUNICH = (48.1351, 11.5820)
FAST = {"time_limit_s": 1.0, "workers": 1}
PRICING = {"margin_bp": 1000, "platform_fee_bp": 500}


# -- a small network ---------------------------------------------------------------------------


def process(code: str, family: str, unit: str, tolerance: str = "0.100") -> Process:
    return ProcessFactory(
        code=code, name=code, family=family, rate_unit=unit, typical_tolerance_mm=tolerance
    )


def workshop(name: str, lat: float, lon: float, **kw) -> Workshop:
    organization = OrganizationFactory(name=name, kind=Organization.Kind.WORKSHOP)
    return WorkshopFactory(organization=organization, latitude=lat, longitude=lon, **kw)


def machine(ws: Workshop, proc: Process, *, hours=(6, 22), days=range(7), **kw) -> Machine:
    m = MachineFactory(workshop=ws, process=proc, **kw)
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(machine=m, weekday=d, start_time=time(hours[0]), end_time=time(hours[1]))
        for d in days
    )
    return m


@pytest.fixture
def network(db):
    """Mill Works (Stuttgart) mills, deburrs and assembles; only Anodica (Nuremberg) anodizes."""
    mill = process("cnc-3axis", "subtractive", "cm3_per_min", "0.050")
    deburr = process("deburring", "finishing", "parts_per_h")
    anodize = process("anodizing", "finishing", "dm2_per_h", "0.010")
    assemble = process("assembly", "assembly", "parts_per_h")
    al = MaterialFactory(code="al-6061", name="Aluminium 6061-T6", processes=[mill])
    MaterialFactory(code="ss-304", name="Stainless steel 304", family="stainless", processes=[mill])
    stuttgart = workshop("Mill Works", 48.7758, 9.1829)
    nuremberg = workshop("Anodica", 49.4521, 11.0767)
    m = machine(stuttgart, mill, name="Haas VF-2")
    m.materials.add(al, *al.__class__.objects.filter(code="ss-304"))
    machines = {
        "mill": m,
        "deburr": machine(stuttgart, deburr, name="Deburr bench", throughput="30"),
        "assembly": machine(stuttgart, assemble, name="Assembly bench", throughput="12"),
        "anodize": machine(
            nuremberg, anodize, name="Anodizing line", throughput="200", tolerance_mm="0.010"
        ),
    }
    Carrier.objects.create(
        organization=OrganizationFactory(name="Rhein Cargo", kind=Organization.Kind.LOGISTICS),
        countries="DE",
        base_fee_minor=1500,
        per_100km_minor=80,
        speed_km_per_day=600,
        co2_g_per_km=250,
    )
    return {"stuttgart": stuttgart, "nuremberg": nuremberg, **machines}


def revision(name: str, analysis: dict | None, status=DesignRevision.Status.ANALYSED):
    organization = OrganizationFactory(name=f"Customer of {name}")
    design = Design.objects.create(organization=organization, name=name)
    return DesignRevision.objects.create(
        design=design,
        number=1,
        file=f"designs/{name}.stl",
        original_name=f"{name}.stl",
        format="stl",
        size_bytes=1000,
        status=status,
        analysis=analysis,
    )


def two_parts(**kw) -> QuoteInput:
    bracket = revision("Bracket", BRACKET)
    gear = revision("Gear", GEAR)
    return QuoteInput(
        lines=[
            QuoteLineInput(bracket.pk, "al-6061", "anodized", quantity=2, line_id=101),
            QuoteLineInput(gear.pk, "al-6061", "anodized", quantity=4, line_id=102),
        ],
        ship_to_lat=MUNICH[0],
        ship_to_lon=MUNICH[1],
        **kw,
    )


# -- the snapshot ------------------------------------------------------------------------------


def test_windows_are_weekly_hours_minus_closures_bookings_and_lead_time(db):
    ws = workshop("Calendar Works", 48.0, 9.0, min_lead_time_hours=24, timezone="UTC")
    m = MachineFactory(workshop=ws)
    for day in (0, 1, 2):  # Monday to Wednesday, 08:00-16:00
        WeeklyAvailabilityFactory(machine=m, weekday=day)
    tuesday = NOW.replace(hour=0) + timedelta(days=1)
    CapacityBookingFactory(
        machine=m, starts_at=tuesday + timedelta(hours=10), ends_at=tuesday + timedelta(hours=12)
    )
    CapacityExceptionFactory(
        machine=m, starts_at=tuesday + timedelta(days=1), ends_at=tuesday + timedelta(days=2)
    )
    snapshot = network_snapshot(origin=NOW, horizon_days=7)
    (spec,) = snapshot.machines
    # Monday is inside the 24 h lead time, Tuesday loses 10-12 to a booking, Wednesday is
    # closed, and next Monday 08:00 is past the horizon (next Monday 06:00).
    assert spec.windows == ((26 * H, 28 * H), (30 * H, 34 * H))
    assert spec.booked == ()
    assert (spec.id, spec.workshop) == (str(m.pk), str(ws.pk))
    assert spec.workshop_name == "Calendar Works"


def test_a_longer_lead_time_pushes_the_first_window(db):
    # Hours in UTC, so that the lead time lands on Wednesday 08:00 as written.
    ws = workshop("Slow Works", 48.0, 9.0, min_lead_time_hours=50, timezone="UTC")
    m = MachineFactory(workshop=ws)
    for day in (0, 1, 2):
        WeeklyAvailabilityFactory(machine=m, weekday=day)
    (spec,) = network_snapshot(origin=NOW, horizon_days=7).machines
    assert spec.windows == ((2 * DAY + 2 * H, 2 * DAY + 10 * H),)


def test_only_available_machines_of_verified_workshops_are_read(db):
    ok = MachineFactory()
    MachineFactory(status=Machine.Status.MAINTENANCE, workshop=ok.workshop)
    MachineFactory(status=Machine.Status.DOWN, workshop=ok.workshop)
    for status in ("pending", "rejected", "suspended"):
        MachineFactory(workshop=workshop(f"W {status}", 48.0, 9.0, verification_status=status))
    snapshot = network_snapshot(origin=NOW)
    assert [m.id for m in snapshot.machines] == [str(ok.pk)]


def test_snapshot_reads_materials_and_carriers(network):
    snapshot = network_snapshot(origin=NOW)
    assert snapshot.materials["al-6061"].processes == ("cnc-3axis",)
    assert snapshot.materials["al-6061"].family == "aluminium"
    (carrier,) = snapshot.carriers
    assert carrier.name == "Rhein Cargo"
    assert carrier.per_100km_minor == 80
    mill = snapshot.machine(str(network["mill"].pk))
    assert mill.materials == frozenset({"al-6061", "ss-304"})
    assert mill.rate_unit == "cm3_per_min"
    assert mill.throughput == 20.0


def test_snapshot_reads_in_a_bounded_number_of_queries(network, django_assert_max_num_queries):
    for i in range(5):
        ws = workshop(f"Extra {i}", 50.0, 8.0 + i)
        m = machine(ws, network["mill"].process)
        CapacityBookingFactory(machine=m, starts_at=NOW + timedelta(days=2))
        CapacityExceptionFactory(machine=m, starts_at=NOW + timedelta(days=3))
        m.materials.add(*network["mill"].materials.all())
    # 8 reads of the network, one of the workshops' certifications (for confidential designs),
    # one of the carriers' rate tables, plus one of every workshop's and carrier's members (for
    # runner-up independence).
    with django_assert_max_num_queries(11):
        snapshot = network_snapshot(origin=NOW)
    assert len(snapshot.machines) == 9


# -- quotes ------------------------------------------------------------------------------------


def test_a_two_part_quote_crosses_workshops_on_capable_machines(network):
    answer = quote_for(two_parts(), now=NOW, **FAST, **PRICING)
    assert answer.ok, answer.reasons
    data = answer.to_dict()
    json.dumps(data)  # JSONField-ready
    capable = {
        "cnc-3axis": network["mill"].pk,
        "deburring": network["deburr"].pk,
        "anodizing": network["anodize"].pk,
        "assembly": network["assembly"].pk,
    }
    for option in data["options"]:
        check_two_part_option(
            option,
            capable=capable,
            anodizer=network["nuremberg"].pk,
            assembler=network["stuttgart"].pk,
            now=NOW,
        )


def test_a_revision_not_analysed_yet_is_refused_with_a_reason(network):
    queued = revision("Housing", None, status=DesignRevision.Status.QUEUED)
    request = QuoteInput([QuoteLineInput(queued.pk, "al-6061")], *MUNICH)
    answer = quote_for(request, now=NOW, **FAST, **PRICING)
    assert answer.status == "refused"
    assert answer.reasons == [
        "Housing is not analysed yet (waiting for analysis); "
        "it can be quoted once its analysis has finished."
    ]
    assert size_of(request, now=NOW) == 0


def test_an_impossible_finish_is_answered_in_words(network):
    bracket = revision("Bracket", BRACKET)
    request = QuoteInput([QuoteLineInput(bracket.pk, "ss-304", "anodized")], *MUNICH)
    answer = quote_for(request, now=NOW, **FAST, **PRICING)
    assert answer.status == "infeasible"
    assert answer.options == []
    assert any("cannot be anodized" in r for r in answer.reasons), answer.reasons


def test_an_impossible_due_date_gives_the_earliest_delivery(network):
    answer = quote_for(two_parts(due=NOW + timedelta(days=2)), now=NOW, **FAST, **PRICING)
    assert answer.status == "infeasible"
    assert answer.earliest is not None
    assert datetime.fromisoformat(answer.earliest) > NOW + timedelta(days=2)
    assert answer.reasons[0].startswith("The due date is impossible; the earliest possible")


def test_size_counts_steps_times_candidate_machines(network):
    # Two parts of three steps (mill, deburr, anodize) and the assembly: one machine each.
    assert size_of(two_parts(), now=NOW) == 7 <= SYNC_MAX_SIZE


# -- re-planning -------------------------------------------------------------------------------


@pytest.fixture
def second_shop(network):
    """Eindhoven Fab mills, deburrs and anodizes too (dearer), so work can move there."""
    ws = workshop("Eindhoven Fab", 51.4416, 5.4697, min_lead_time_hours=0)
    mill = machine(ws, network["mill"].process, name="DMG Mori", hourly_rate_minor=9000)
    mill.materials.add(*network["mill"].materials.all())
    return {
        "workshop": ws,
        "mill": mill,
        "deburr": machine(ws, network["deburr"].process, throughput="30"),
        "anodize": machine(ws, network["anodize"].process, throughput="200", tolerance_mm="0.010"),
    }


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def step(job, key, m, start_h, minutes, status="planned", **kw) -> CurrentAssignment:
    return CurrentAssignment(
        job_key=job,
        step_key=key,
        machine_id=m.pk,
        start=at(start_h),
        end=at(start_h) + timedelta(minutes=minutes),
        status=status,
        process_code=m.process.code,
        duration_minutes=minutes,
        cost_minor=10_000,
        **kw,
    )


def test_a_decline_moves_the_step_to_another_workshop(network, second_shop):
    plan = [
        step("p1", "mill", network["mill"], -20, 60, "done", material_code="al-6061"),
        step("p1", "deburr", network["deburr"], 26, 20),
        step("p1", "anodize", network["anodize"], 50, 90),
    ]
    result = replan_assignments(
        assignments=plan,
        change=StepDeclinedChange("p1", "anodize", network["nuremberg"].pk),
        now=NOW,
        **FAST,
    )
    assert result.ok, result.reasons
    by_key = {(a.job_key, a.step_key): a for a in result.assignments}
    anodize = by_key[("p1", "anodize")]
    assert anodize.workshop_id == second_shop["workshop"].pk
    assert anodize.machine_id == second_shop["anodize"].pk
    assert anodize.moved
    assert result.moved_keys == {("p1", "anodize")}
    assert "Anodica" in anodize.reason
    assert "Eindhoven Fab" in result.summary
    assert anodize.start >= by_key[("p1", "deburr")].end
    done = by_key[("p1", "mill")]
    assert (done.machine_id, done.start, done.end, done.moved) == (
        network["mill"].pk,
        plan[0].start,
        plan[0].end,
        False,
    )


def test_a_machine_down_moves_only_the_steps_that_were_on_it(network, second_shop):
    plan = [
        step("p1", "mill", network["mill"], 26, 60, material_code="al-6061"),
        step("p2", "mill", network["mill"], -30, 60, "done", material_code="al-6061"),
        step("p2", "deburr", second_shop["deburr"], 30, 20),
        step("p3", "mill", second_shop["mill"], 40, 60, material_code="al-6061"),
    ]
    result = replan_assignments(
        assignments=plan,
        change=MachineDownChange(network["mill"].pk, at=NOW, until=at(24 * 10)),
        now=NOW,
        **FAST,
    )
    assert result.ok, result.reasons
    assert result.moved_keys == {("p1", "mill")}
    by_key = {(a.job_key, a.step_key): a for a in result.assignments}
    moved = by_key[("p1", "mill")]
    assert moved.machine_id != network["mill"].pk or moved.start >= at(24 * 10)
    for key, before in (
        (("p2", "mill"), plan[1]),
        (("p2", "deburr"), plan[2]),
        (("p3", "mill"), plan[3]),
    ):
        after = by_key[key]
        assert (after.machine_id, after.start, after.end, after.moved) == (
            before.machine_id,
            before.start,
            before.end,
            False,
        )


def test_a_late_running_step_pushes_its_successor(network, second_shop):
    plan = [
        step("p1", "mill", network["mill"], -0.5, 60, "running"),
        step("p1", "deburr", network["deburr"], 2, 20),
    ]
    result = replan_assignments(
        assignments=plan, change=StepLateChange("p1", "mill", at(3)), now=NOW, **FAST
    )
    assert result.ok, result.reasons
    by_key = {(a.job_key, a.step_key): a for a in result.assignments}
    assert by_key[("p1", "mill")].start == plan[0].start
    assert by_key[("p1", "deburr")].start >= at(3)


# -- the demo network --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=False)
def test_the_seeded_gimbal_gets_options_across_workshops(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    revisions = DesignRevision.objects.filter(
        design__name__startswith="Gimbal assembly", status=DesignRevision.Status.ANALYSED
    )
    assert revisions.count() >= 3
    request = QuoteInput([QuoteLineInput(r.pk, "al-6061", "anodized") for r in revisions], *MUNICH)
    answer = quote_for(request, time_limit_s=3.0, workers=2, **PRICING)
    assert answer.ok, answer.reasons
    for option in answer.options:
        assert len(option["workshop_ids"]) >= 2
        assert {s["process"] for s in option["steps"]} >= {"anodizing", "assembly"}


def test_the_assembly_waits_for_its_parts_when_replanned(network, second_shop):
    plan = [
        step("p1", "mill", network["mill"], 26, 60, material_code="al-6061"),
        step("p2", "mill", second_shop["mill"], 26, 60, material_code="al-6061"),
        step("assembly", "assemble", network["assembly"], 30, 30),
    ]
    result = replan_assignments(
        assignments=plan,
        change=MachineDownChange(second_shop["mill"].pk, at=NOW),
        now=NOW,
        assembly_job="assembly",
        **FAST,
    )
    assert result.ok, result.reasons
    by_key = {(a.job_key, a.step_key): a for a in result.assignments}
    assert by_key[("p2", "mill")].machine_id == network["mill"].pk
    assert by_key[("assembly", "assemble")].start >= max(
        by_key[("p1", "mill")].end, by_key[("p2", "mill")].end
    )


def test_legs_for_jobs_join_workshops_the_assembly_and_the_customer(network):
    stuttgart, nuremberg = network["stuttgart"].pk, network["nuremberg"].pk
    legs = legs_for_jobs(
        jobs=[
            ("1", stuttgart, at(30)),
            ("1", nuremberg, at(60)),
            ("2", stuttgart, at(32)),
            ("assembly", stuttgart, at(90)),
        ],
        ship_to=MUNICH,
        assembly_job="assembly",
    )
    route = [(g["job"], g["origin_workshop_id"], g["destination_workshop_id"]) for g in legs]
    assert route == [
        ("1", stuttgart, nuremberg),
        ("1", nuremberg, stuttgart),
        ("assembly", stuttgart, None),
    ]
    assert legs[0]["depart"] == at(30).isoformat()
    assert legs[-1]["to_customer"]
    assert legs[0]["carrier_name"] == "Rhein Cargo"
