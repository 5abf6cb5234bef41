"""An outage on a loaded network, driven through the real services, and what it did.

Builds load on the simulation's network (quote, place, pay, every job accepted), lets a day
and a half of work happen (steps due are started and finished), then takes down every machine
of the workshop(s) holding about ``share`` of the booked steps (never so many that a process
keeps fewer than two working workshops: ``outage_choice``) through ``machine_status_set``, as
a workshop's MES would. Re-plans run on the ``machine_unavailable``
signal (Celery is eager on the embedded default); every new offer is then accepted, as a
willing workshop would, and a refused acceptance is declined so the order is re-planned once
more. The figures measure the promise of issue 12: every affected order re-planned quickly,
offers that can be booked, no machine booked twice, done work left alone, the money balanced.

The clock is simulated (``time_machine``) except for the re-plan timings, which are wall time.
The same seed on the same (fresh) database gives the same figures, timings aside.
"""

from __future__ import annotations

import itertools
import random
import time as wallclock
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta

import time_machine
from django.db import transaction
from django.db.models.signals import post_save

from accounts.models import Notification
from billing import audit
from billing import services as billing
from billing.models import Payment
from config.errors import DomainError
from marketplace.demo import disruption_figures as figures
from marketplace.demo.market import simulation_settings, start_moment
from marketplace.demo.simulated_network import MUNICH, member_of, network_build
from marketplace.demo.simulated_provider import SimulatedProvider
from marketplace.network.models import Machine, Workshop
from marketplace.network.services import machine_status_set
from marketplace.orders import jobs as job_services
from marketplace.orders import quotes as quote_services
from marketplace.orders import services as order_services
from marketplace.orders.models import Job, Order, OrderEvent

ORDER_GAP_MINUTES = (20, 120)  # between two orders being placed
WORK_BEFORE_OUTAGE = timedelta(hours=36)  # of production before the machines go down
ACCEPT_ROUNDS = 4  # accept new offers, decline refused ones, this many times at most
SURVIVING_WORKSHOPS = 2  # workshops of each process an outage leaves working (of three)


def simulate_disruption(*, seed: int, orders: int = 20, share: float = 0.2) -> dict:
    """Run the scenario and return one JSON-ready dict of its figures (see the module)."""
    rng = random.Random(seed)
    SimulatedProvider.rng = random.Random(seed)
    with simulation_settings():
        network = network_build()
        start = start_moment()
        with time_machine.travel(start, tick=False) as clock:
            _machines_up()
            errors: list[str] = []
            order_ids = _load(network, rng, orders, clock, start, errors)
            now = start + WORK_BEFORE_OUTAGE + timedelta(minutes=rng.randint(0, 600))
            clock.move_to(now)
            _work_until(order_ids, now, errors)
            return _outage(order_ids, share, now, errors) | {
                "seed": seed,
                "share": share,
            }


def _machines_up() -> None:
    """A second run in one database starts from a working network."""
    sim = Machine.objects.filter(workshop__organization__name__startswith="Sim ")
    for machine in sim.exclude(status=Machine.Status.AVAILABLE):
        machine_status_set(user=None, machine=machine, status=Machine.Status.AVAILABLE)


def _attempt(errors: list[str], label: str, action) -> object | None:
    try:
        return action()
    except DomainError as error:
        errors.append(f"{label}: {error.message}")
    return None


def _load(network, rng: random.Random, count: int, clock, start: datetime, errors) -> list[int]:
    """``count`` orders quoted, placed and paid, every offered job accepted."""
    order_ids = []
    moment = start
    for index in range(count):
        moment += timedelta(minutes=rng.randint(*ORDER_GAP_MINUTES))
        clock.move_to(moment)
        lines = [
            quote_services.LineSpec(
                revision=revision,
                material=network.material,
                finish=network.finish,
                quantity=rng.randint(1, 6),
            )
            for revision in network.revisions
        ]
        quote = _attempt(
            errors,
            f"quote {index}",
            lambda lines=lines: quote_services.quote_request_create(
                user=network.customer,
                organization=network.customer_org,
                lines=lines,
                ship_to=MUNICH,
            ),
        )
        options = list(quote.options.order_by("pk")) if quote else []
        if not options:
            errors.append(f"quote {index}: no option")
            continue
        option = rng.choice(options)
        order = _attempt(
            errors,
            f"place {index}",
            lambda option=option: order_services.order_place(user=network.customer, option=option),
        )
        if order is None:
            continue
        order_ids.append(order.pk)
        payment = Payment.objects.filter(order_id=order.pk).order_by("pk").first()
        _attempt(
            errors,
            f"pay {order.reference}",
            lambda payment=payment: billing.payment_confirm(
                payment=payment,
                amount=payment.amount,
                provider_reference=payment.provider_payment_id,
            ),
        )
        _accept_offers([order.pk], errors)
    return order_ids


def _accept_offers(order_ids: list[int], errors: list[str]) -> int:
    """Every offered job accepted by its workshop; a refused acceptance (the time is gone) is
    declined, so the order is re-planned, and the new offers are tried in the next round.
    Returns how many acceptances were refused."""
    refused = 0
    for _ in range(ACCEPT_ROUNDS):
        offered = list(
            Job.objects.filter(order_id__in=order_ids, status=Job.Status.OFFERED)
            .select_related("workshop__organization", "order")
            .order_by("pk")
        )
        if not offered:
            break
        for job in offered:
            job.refresh_from_db(fields=["status"])
            if job.status != Job.Status.OFFERED:
                continue
            worker = member_of(job.workshop.organization)
            try:
                job_services.job_accept(user=worker, job=job)
            except DomainError as error:
                refused += 1
                errors.append(f"accept {job.order.reference} {job.name}: {error.message}")
                _attempt(
                    errors,
                    f"decline {job.order.reference} {job.name}",
                    lambda job=job, worker=worker: job_services.job_decline(
                        user=worker, job=job, reason="The offered time is booked already"
                    ),
                )
    return refused


def _work_until(order_ids: list[int], now: datetime, errors: list[str]) -> None:
    """Steps whose planned time has come are started, and finished when it has passed, in
    order along each part (legs are not simulated: production only)."""
    jobs = Job.objects.filter(order_id__in=order_ids, status__in=Job.ACTIVE).select_related(
        "workshop__organization"
    )
    for job in jobs.order_by("planned_start", "pk"):
        earlier = Job.objects.filter(
            order_id=job.order_id,
            job_key=job.job_key,
            sequence__lt=job.sequence,
            status__in=[Job.Status.PLANNED, Job.Status.OFFERED, Job.Status.ACCEPTED],
        )
        if job.status != Job.Status.ACCEPTED or job.planned_start > now or earlier.exists():
            continue
        worker = member_of(job.workshop.organization)
        _attempt(
            errors, f"start {job}", lambda j=job, w=worker: job_services.job_start(user=w, job=j)
        )
        if job.planned_end <= now:
            _attempt(
                errors,
                f"complete {job}",
                lambda j=job, w=worker: job_services.job_complete(user=w, job=j),
            )


def _outage_workshops(order_ids: list[int], share: float, now: datetime) -> list[Workshop]:
    """The workshop(s) to take down: see ``outage_choice``, over the simulation's network."""
    booked = Counter(_booked_ahead(order_ids, now).values_list("workshop_id", flat=True))
    offers: dict[int, set[str]] = {}
    rows = Machine.objects.filter(workshop__organization__name__startswith="Sim ").values_list(
        "workshop_id", "process__code"
    )
    for workshop_id, code in rows:
        offers.setdefault(workshop_id, set()).add(code)
    best = outage_choice(booked, offers, share)
    return list(Workshop.objects.filter(pk__in=best).order_by("pk"))


def outage_choice(
    booked: Mapping[int, int], offers: Mapping[int, set[str]], share: float
) -> tuple[int, ...]:
    """The workshop(s) whose booked steps still ahead come closest to ``share`` of all booked
    steps still ahead (ties: fewer workshops, then lower ids), among those the network is
    built to lose: every process keeps ``SURVIVING_WORKSHOPS`` working workshops.

    Taking down two of a process's three workshops leaves it a third of its capacity, less
    than the work it displaces (the ``capacity`` figure shows spare below displaced): no
    re-plan could keep the promises, and the figures would measure the network's size, not
    the re-planner. Only when no choice keeps that many is any choice allowed.
    """
    total = sum(booked.values())
    if not total:
        return ()
    ids = sorted(booked)
    combos = [
        combo
        for size in range(1, min(3, len(ids)) + 1)
        for combo in itertools.combinations(ids, size)
    ]
    providers = Counter(code for codes in offers.values() for code in codes)

    def survivable(combo: tuple[int, ...]) -> bool:
        lost = Counter(code for w in combo for code in offers.get(w, ()))
        return all(providers[code] - n >= SURVIVING_WORKSHOPS for code, n in lost.items())

    allowed = [combo for combo in combos if survivable(combo)] or combos
    return min(
        allowed,
        key=lambda combo: (abs(sum(booked[w] for w in combo) / total - share), len(combo), combo),
    )


def _outage(order_ids: list[int], share: float, now: datetime, errors: list[str]) -> dict:
    """Every machine of the chosen workshop(s) goes down in one moment, the re-plans run,
    every new offer is accepted; then the figures are read from the database."""
    workshops = _outage_workshops(order_ids, share, now)
    machines = list(Machine.objects.filter(workshop__in=workshops).order_by("pk"))
    ahead = _booked_ahead(order_ids, now)
    down_steps = ahead.filter(machine__in=machines)
    affected = set(down_steps.values_list("order_id", flat=True))
    done_before = figures.done_steps(order_ids)
    last_notice = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    replanned_at: dict[int, float] = {}

    def on_event(sender, instance: OrderEvent, created: bool, **kwargs) -> None:
        if created and instance.kind == "order.replanned":
            replanned_at.setdefault(instance.order_id, wallclock.perf_counter())

    share_down = down_steps.count() / max(1, ahead.count())
    capacity = figures.spare_capacity(
        list(down_steps.select_related("order", "process")), machines, now
    )
    post_save.connect(on_event, sender=OrderEvent, dispatch_uid="simulate_disruption")
    try:
        began = wallclock.perf_counter()
        _take_down(machines, errors)
        replan_pass = {o: replanned_at[o] - began for o in replanned_at}
        refused = _accept_offers(order_ids, errors)
    finally:
        post_save.disconnect(dispatch_uid="simulate_disruption", sender=OrderEvent)
    seconds = sorted(replan_pass[o] for o in affected if o in replan_pass)
    live, late = figures.not_on_time(order_ids)
    notices = figures.operator_notices(after_pk=last_notice)
    escalated = figures.escalations(order_ids, notices)
    references = dict(Order.objects.filter(pk__in=affected).values_list("pk", "reference"))
    return {
        "orders": len(order_ids),
        "live_orders": live,
        "booked_steps": Job.objects.filter(order_id__in=order_ids, booking__isnull=False).count(),
        "workshops_down": [str(w) for w in workshops],
        "machines_down": len(machines),
        "share_down": round(share_down, 3),
        "affected": len(affected),
        "capacity": capacity,
        "replanned": len(seconds),
        "not_replanned": sorted(references[o] for o in affected if o not in replan_pass),
        "replan_seconds_p50": round(audit.percentile(seconds, 50), 3) if seconds else None,
        "replan_seconds_max": round(seconds[-1], 3) if seconds else None,
        "on_time_pct": round(100 * (live - len(late)) / live, 1) if live else 100.0,
        "not_on_time": late,
        "escalated": len(escalated),
        "escalations": escalated,
        "offers_refused": refused,
        "double_booked": figures.double_booked(),
        "steps_double_live": figures.steps_double_live(order_ids),
        "steps_done_moved": figures.done_moved(done_before),
        "operators_notified": len(notices),
        "ledger_unbalanced": len(audit.unbalanced_postings()),
        "service_errors": errors,
    }


def _booked_ahead(order_ids: list[int], now: datetime):
    """Steps accepted or running whose booked time has not ended: what an outage can hit."""
    return Job.objects.filter(
        order_id__in=order_ids,
        status__in=[Job.Status.ACCEPTED, Job.Status.IN_PROGRESS],
        booking__ends_at__gt=now,
    )


def _take_down(machines: list[Machine], errors: list[str]) -> None:
    """The workshop's MES reports every machine down at once: one transaction, so the
    re-planning task (eager here) runs once after it on all of them, as the coalescing window
    (``OUTAGE_COALESCE_SECONDS``) makes it run in production."""
    with transaction.atomic():
        for machine in machines:
            _attempt(
                errors,
                f"down {machine}",
                lambda m=machine: machine_status_set(
                    user=member_of(m.workshop.organization),
                    machine=m,
                    status=Machine.Status.DOWN,
                    note="Simulated outage",
                ),
            )
