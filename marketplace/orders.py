"""Quotes, orders, jobs and shipments: the marketplace's main workflow.

Every status change of an order goes through `order_transition`, which follows the table in
`order_flow.py`, locks the row, writes the audit event in the same transaction and notifies
after commit. Jobs and shipments move through their own small services here; the matcher is
reached only through `marketplace.matcher`, money only through `billing.services`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Membership, Organization, User
from accounts.permissions import require_membership
from accounts.selectors import is_operator
from accounts.services import notify
from billing import services as billing
from billing.money import Money
from config.live import publish_to_users_on_commit
from marketplace import matcher as adapter
from marketplace import order_flow
from marketplace.errors import Conflict, DomainError, PermissionDenied
from marketplace.matching_tasks import quote_solve_task
from marketplace.models import (
    DesignRevision,
    Finish,
    Job,
    Machine,
    Material,
    Message,
    Order,
    OrderEvent,
    Process,
    QuoteLine,
    QuoteOption,
    QuoteRequest,
    Review,
    Shipment,
    Workshop,
)
from marketplace.services import capacity_book, capacity_release
from marketplace.settlement import (
    refund_held,
    release_on_delivery,
    release_on_handover,
    release_overdue,
)

Status = order_flow.OrderStatus
Role = order_flow.Role


class TransitionRefused(Conflict):
    code = "transition_refused"


class QuoteInvalid(DomainError):
    code = "quote_invalid"


# -- quotes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineSpec:
    revision: DesignRevision
    material: Material
    finish: Finish | None
    quantity: int
    tolerance: str = QuoteRequest.Tolerance.STANDARD


@dataclass(frozen=True)
class ShipTo:
    name: str
    address: str
    city: str
    country: str
    latitude: float
    longitude: float


def _member_ids(organization: Organization) -> list[int]:
    return list(organization.memberships.values_list("user_id", flat=True))


def quote_request_create(
    *,
    user: User,
    organization: Organization,
    lines: list[LineSpec],
    ship_to: ShipTo,
    due_at: datetime | None = None,
) -> QuoteRequest:
    """Records what the customer asks for and finds the options.

    Small requests are solved within the call; large ones on the `matching` queue, with the
    result arriving live (`quote.ready`).
    """
    require_membership(user=user, organization=organization)
    if organization.kind != Organization.Kind.CUSTOMER:
        raise PermissionDenied("Quotes are asked for by customer organizations.")
    if not lines:
        raise QuoteInvalid("Add at least one design to the quote.")
    for line in lines:
        if line.revision.design.organization_id != organization.pk:
            raise QuoteInvalid("Quote only your own designs.")
        if line.revision.design.blocked:
            raise QuoteInvalid(
                f"{line.revision.design} was blocked by an operator: "
                f"{line.revision.design.blocked_reason}"
            )
        if not line.revision.is_analysed:
            raise QuoteInvalid(f"{line.revision.design} is not analysed yet; wait a moment.")
        if line.quantity < 1:
            raise QuoteInvalid("Quantities must be at least 1.")
    if due_at is not None and due_at <= timezone.now():
        raise QuoteInvalid("The due date must lie in the future.")
    with transaction.atomic():
        request = QuoteRequest.objects.create(
            organization=organization,
            created_by=user,
            due_at=due_at,
            ship_to_name=ship_to.name,
            ship_to_address=ship_to.address,
            ship_to_city=ship_to.city,
            ship_to_country=ship_to.country.upper(),
            ship_to_latitude=ship_to.latitude,
            ship_to_longitude=ship_to.longitude,
        )
        QuoteLine.objects.bulk_create(
            QuoteLine(
                request=request,
                revision=line.revision,
                material=line.material,
                finish=line.finish,
                quantity=line.quantity,
                tolerance=line.tolerance,
            )
            for line in lines
        )
    if adapter.size_of(_quote_input(request)) <= settings.QUOTE_SYNC_MAX_SIZE:
        quote_solve(quote_request_id=request.pk)
    else:
        transaction.on_commit(lambda: quote_solve_task.delay(request.pk))
    request.refresh_from_db()
    return request


def _quote_input(request: QuoteRequest) -> "adapter.QuoteInput":
    return adapter.QuoteInput(
        lines=[
            adapter.QuoteLineInput(
                revision_id=line.revision_id,
                material_code=line.material.code,
                finish_code=line.finish.code if line.finish else None,
                quantity=line.quantity,
                tolerance=line.tolerance,
                line_id=line.pk,
            )
            for line in request.lines.select_related("material", "finish")
        ],
        ship_to_lat=float(request.ship_to_latitude),
        ship_to_lon=float(request.ship_to_longitude),
        due=request.due_at,
        currency=request.currency,
    )


def quote_solve(*, quote_request_id: int) -> QuoteRequest:
    """Runs the matcher for a request and stores its options (the `quote` solver)."""
    request = QuoteRequest.objects.get(pk=quote_request_id)
    started = timezone.now()
    result = adapter.quote_for(
        _quote_input(request),
        now=started,
        time_limit_s=settings.QUOTE_TIME_LIMIT_S,
        workers=settings.MATCHING_WORKERS,
        margin_bp=settings.QUOTE_MARGIN_BP,
        platform_fee_bp=settings.PLATFORM_FEE_BP,
    )
    with transaction.atomic():
        request = QuoteRequest.objects.select_for_update().get(pk=quote_request_id)
        request.options.all().delete()
        for rank, option in enumerate(result.options):
            QuoteOption.objects.create(
                request=request,
                rank=rank,
                labels=option["labels"],
                price_minor=option["price_minor"],
                cost_minor=option["cost_minor"],
                margin_minor=option["margin_minor"],
                platform_fee_minor=option["platform_fee_minor"],
                currency=option["currency"],
                delivery_at=parse_datetime(option["delivery_at"]),
                co2_g=round(option["co2_kg"] * 1000),
                summary=option.get("summary", ""),
                route=option,
            )
        request.status = (
            QuoteRequest.Status.READY if result.options else QuoteRequest.Status.INFEASIBLE
        )
        request.reasons = list(result.reasons)
        request.earliest_delivery_at = parse_datetime(result.earliest) if result.earliest else None
        request.valid_until = timezone.now() + timedelta(hours=settings.QUOTE_VALIDITY_HOURS)
        request.solve_seconds = (timezone.now() - started).total_seconds()
        request.save()
        publish_to_users_on_commit(
            _member_ids(request.organization),
            {"type": "quote.ready", "data": {"quote": request.pk, "status": request.status}},
        )
    return request


# -- orders ---------------------------------------------------------------------------------
def order_transition(
    *,
    order: Order,
    to: Status,
    role: Role,
    actor: User | None = None,
    reason: str = "",
) -> Order:
    """Moves an order to `to` if the table allows it for `role`; a repeat is harmless.

    Locks the order, returns early when it is already there, writes the audit event in the
    same transaction and tells the people involved after commit.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        current = Status(order.status)
        if current == to:
            return order
        if not order_flow.allowed(current, to, role):
            raise TransitionRefused(
                f"Order {order.reference} is {order_flow.LABELS[current].lower()}; "
                f"it cannot become {order_flow.LABELS[to].lower()} now."
            )
        order.status = to
        fields = ["status"]
        if to == Status.DELIVERED:
            order.delivered_at = timezone.now()
            fields.append("delivered_at")
        if to == Status.COMPLETED:
            order.completed_at = timezone.now()
            fields.append("completed_at")
        order.save(update_fields=fields)
        OrderEvent.objects.create(
            order=order,
            from_status=current,
            to_status=to,
            actor=actor,
            role=role,
            reason=reason[:500],
        )
        _announce(
            order, f"order.{to.value}", f"Order {order.reference}: {order_flow.LABELS[to]}", reason
        )
    return order


def _involved_users(order: Order) -> list[User]:
    organizations = {order.organization_id}
    organizations |= set(
        order.jobs.filter(status__in=Job.ACTIVE).values_list("workshop__organization_id", flat=True)
    )
    organizations |= set(order.shipments.values_list("carrier__organization_id", flat=True))
    return list(User.objects.filter(memberships__organization_id__in=organizations).distinct())


def _announce(order: Order, kind: str, title: str, body: str = "") -> None:
    users = _involved_users(order)
    notify(
        users=users, kind=kind, title=title, body=body, url=reverse("order_detail", args=[order.pk])
    )
    publish_to_users_on_commit(
        [u.pk for u in users], {"type": "order.changed", "data": {"order": order.pk, "kind": kind}}
    )


def order_place(*, user: User, option: QuoteOption) -> Order:
    """Turns a quote option into an order awaiting payment, and opens the payment."""
    request = option.request
    require_membership(user=user, organization=request.organization)
    if request.is_expired:
        raise QuoteInvalid("This quote has expired; ask for a new one to get current prices.")
    if request.status != QuoteRequest.Status.READY:
        raise QuoteInvalid("This quote has no options to order.")
    with transaction.atomic():
        QuoteRequest.objects.select_for_update().get(pk=request.pk)
        if Order.objects.filter(option__request=request).exists():
            raise Conflict("An option of this quote has already been ordered.")
        order = Order.objects.create(
            reference=f"CF-{timezone.now():%Y}-TMP{option.pk}",
            organization=request.organization,
            option=option,
            price_minor=option.price_minor,
            cost_minor=option.cost_minor,
            margin_minor=option.margin_minor,
            platform_fee_minor=option.platform_fee_minor,
            currency=option.currency,
            promised_delivery_at=option.delivery_at,
            placed_by=user,
            pay_by=timezone.now() + timedelta(hours=settings.ORDER_PAY_WITHIN_HOURS),
        )
        order.reference = f"CF-{timezone.now():%Y}-{order.pk:05d}"
        order.save(update_fields=["reference"])
        OrderEvent.objects.create(
            order=order, to_status=Status.PLACED, actor=user, role=Role.CUSTOMER
        )
        _create_plan(order, option.route, version=1)
        notify(
            users=[user],
            kind="order.placed",
            title=f"Order {order.reference} placed",
            body="Pay to start production.",
            url=reverse("order_detail", args=[order.pk]),
        )
    # The payment provider is called after commit, never under a lock.
    billing.payment_start(
        order_id=order.pk,
        reference=order.reference,
        amount=Money(order.price_minor, order.currency),
        payer=order.organization,
        customer_email=user.email,
    )
    return order


def _create_plan(order: Order, route: dict, *, version: int) -> None:
    """Jobs and shipment legs from a solved route (see matching.routes.OptionDict)."""
    lines = {str(line.pk): line for line in order.option.request.lines.all()}
    processes = {p.code: p for p in Process.objects.all()}
    machines = Machine.objects.in_bulk([s["machine_id"] for s in route["steps"]])
    for sequence, step in enumerate(route["steps"]):
        machine = machines[step["machine_id"]]
        start = parse_datetime(step["start"])
        Job.objects.create(
            order=order,
            job_key=step["job"],
            step_key=step["step"],
            name=step["name"],
            process=processes.get(step["process"], machine.process),
            line=lines.get(step.get("line_id") and str(step["line_id"])),
            workshop_id=machine.workshop_id,
            machine=machine,
            sequence=sequence,
            planned_start=start,
            planned_end=parse_datetime(step["end"]),
            accept_by=_accept_by(start),
            cost_minor=step["cost_minor"],
            runner_up_cost_minor=step.get("runner_up_cost_minor"),
            why=step.get("why", ""),
            plan_version=version,
        )
    for leg in route.get("legs", []):
        _shipment_from_leg(order, leg, version=version)


def _shipment_from_leg(order: Order, leg: dict, *, version: int) -> Shipment:
    """A planned leg as the matcher describes it (see matching.routes.RouteLegDict)."""
    return Shipment.objects.create(
        order=order,
        job_key=leg["job"],
        origin_id=leg["origin_workshop_id"],
        destination_id=leg.get("destination_workshop_id"),
        carrier_id=leg["carrier_id"],
        planned_departure=parse_datetime(leg["depart"]),
        planned_arrival=parse_datetime(leg["arrive"]),
        km=int(leg["km"]),
        cost_minor=leg["cost_minor"],
        co2_g=int(leg["co2_g"]),
        plan_version=version,
    )


def _accept_by(start: datetime) -> datetime:
    """Workshops answer within JOB_ACCEPT_WITHIN_HOURS, and never after the step would start."""
    return min(start, timezone.now() + timedelta(hours=settings.JOB_ACCEPT_WITHIN_HOURS))


def order_mark_paid(*, order_id: int) -> Order | None:
    """Payment confirmed: the order is paid and its steps are offered to the workshops."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status != Status.PLACED:
        return order
    with transaction.atomic():
        order = order_transition(
            order=order, to=Status.PAID, role=Role.SYSTEM, reason="Payment received"
        )
        jobs = list(
            order.jobs.filter(status=Job.Status.PLANNED).select_related("workshop__organization")
        )
        Job.objects.filter(pk__in=[j.pk for j in jobs]).update(status=Job.Status.OFFERED)
        for workshop in {job.workshop for job in jobs}:
            notify(
                users=[m.user for m in workshop.organization.memberships.select_related("user")],
                kind="job.offered",
                title=f"New job for {workshop}: order {order.reference}",
                body="Accept or decline it on your job board.",
                url=reverse("job_board"),
            )
    return order


def on_payment_confirmed(sender, *, order_id: int, **kwargs) -> None:
    order_mark_paid(order_id=order_id)


def _require_role(user: User, organization: Organization, role: Role) -> None:
    if role == Role.OPERATOR:
        if not is_operator(user=user):
            raise PermissionDenied("Only platform operators may do this.")
        return
    require_membership(user=user, organization=organization)


def order_cancel(*, user: User, order: Order, reason: str) -> Order:
    """Cancels as the table allows: customers before production, operators any time before."""
    role = Role.OPERATOR if is_operator(user=user) else Role.CUSTOMER
    _require_role(user, order.organization, role)
    if not reason.strip():
        raise DomainError("Say why the order is cancelled.", code="reason_required")
    was_paid = order.status != Status.PLACED
    with transaction.atomic():
        order = order_transition(
            order=order, to=Status.CANCELLED, role=role, actor=user, reason=reason
        )
        for job in order.jobs.filter(status__in=Job.ACTIVE).exclude(status=Job.Status.DONE):
            _job_release(job)
            job.status = Job.Status.CANCELLED
            job.save(update_fields=["status"])
        order.shipments.filter(status=Shipment.Status.PLANNED).update(
            status=Shipment.Status.CANCELLED
        )
    if was_paid:
        # Whatever is still held goes back; prices already released stay with those who worked.
        refund_held(order=order, reason=reason)
    return order


def order_dispute(*, user: User, order: Order, reason: str) -> Order:
    role = Role.OPERATOR if is_operator(user=user) else Role.CUSTOMER
    _require_role(user, order.organization, role)
    if not reason.strip():
        raise DomainError(
            "Describe the problem, so that an operator can help.", code="reason_required"
        )
    return order_transition(order=order, to=Status.DISPUTED, role=role, actor=user, reason=reason)


DISPUTE_OUTCOMES = {
    "resume": Status.IN_PRODUCTION,
    "complete": Status.COMPLETED,
    "cancel": Status.CANCELLED,
}


def order_resolve_dispute(*, user: User, order: Order, outcome: str, reason: str) -> Order:
    """An operator settles a dispute: production resumes, the order completes, or it ends."""
    if not is_operator(user=user):
        raise PermissionDenied("Only platform operators settle disputes.")
    if outcome not in DISPUTE_OUTCOMES:
        raise DomainError("Choose resume, complete or cancel.", code="invalid_outcome")
    if not reason.strip():
        raise DomainError("Explain the decision to both sides.", code="reason_required")
    target = DISPUTE_OUTCOMES[outcome]
    if target == Status.CANCELLED:
        return order_cancel(user=user, order=order, reason=reason)
    order = order_transition(order=order, to=target, role=Role.OPERATOR, actor=user, reason=reason)
    if target == Status.COMPLETED:
        transaction.on_commit(lambda: _release_funds(order))
    return order


def orders_housekeeping(*, now: datetime | None = None) -> dict[str, int]:
    """Expires unpaid orders, re-plans steps not accepted in time or running late, and
    completes delivered orders after the stated window.

    Run periodically (`orders_housekeeping_task`); each order moves through `order_transition`,
    so a rerun or a race with a person acting at the same moment is harmless.
    """
    now = now or timezone.now()
    expired = completed = 0
    for order in Order.objects.filter(status=Status.PLACED, pay_by__lt=now):
        with transaction.atomic():
            order_transition(
                order=order, to=Status.EXPIRED, role=Role.SYSTEM, reason="Not paid in time"
            )
            for job in order.jobs.filter(status=Job.Status.PLANNED):
                job.status = Job.Status.CANCELLED
                job.save(update_fields=["status"])
            order.shipments.filter(status=Shipment.Status.PLANNED).update(
                status=Shipment.Status.CANCELLED
            )
        expired += 1
    missed = 0
    for job in Job.objects.filter(status=Job.Status.OFFERED, accept_by__lt=now).select_related(
        "order"
    ):
        if job.order.status not in (Status.PAID, Status.IN_PRODUCTION):
            continue
        job_decline(user=None, job=job, reason="Not accepted before the deadline")
        missed += 1
    late = 0
    for job in Job.objects.filter(status=Job.Status.IN_PROGRESS, planned_end__lt=now):
        # A running step past its planned end pushes what follows it, an hour at a time.
        successors = job.order.jobs.filter(
            job_key=job.job_key, sequence__gt=job.sequence, status__in=Job.ACTIVE
        ).exclude(status__in=[Job.Status.IN_PROGRESS, Job.Status.DONE])
        if successors.filter(planned_start__lt=now + timedelta(hours=1)).exists():
            replan_order(
                order=job.order,
                change=adapter.StepLateChange(
                    job_key=job.job_key, step_key=job.step_key, new_end=now + timedelta(hours=1)
                ),
            )
            late += 1
    released = len(release_overdue(now=now))
    window = timedelta(days=settings.ORDER_AUTO_COMPLETE_DAYS)
    for order in Order.objects.filter(status=Status.DELIVERED, delivered_at__lt=now - window):
        order_complete(user=None, order=order)
        completed += 1
    return {
        "expired": expired,
        "completed": completed,
        "missed": missed,
        "late": late,
        "released": released,
    }


def order_confirm_delivery(*, user: User, order: Order) -> Order:
    require_membership(user=user, organization=order.organization)
    last = (
        order.shipments.filter(destination=None)
        .exclude(status__in=[Shipment.Status.CANCELLED, Shipment.Status.SUPERSEDED])
        .first()
    )
    if last is not None and last.status != Shipment.Status.DELIVERED:
        shipment_receive(user=user, shipment=last)
        order.refresh_from_db()
    order = order_transition(order=order, to=Status.DELIVERED, role=Role.CUSTOMER, actor=user)
    transaction.on_commit(lambda: release_on_delivery(order=order), robust=True)
    return order


def order_complete(*, user: User | None, order: Order) -> Order:
    """The customer accepts the parts (or the window passes): every share can be released."""
    role = Role.SYSTEM if user is None else Role.CUSTOMER
    if user is not None:
        require_membership(user=user, organization=order.organization)
    order = order_transition(order=order, to=Status.COMPLETED, role=role, actor=user)
    transaction.on_commit(lambda: _release_funds(order))
    return order


def _release_funds(order: Order) -> None:
    from marketplace.settlement import order_release

    order_release(order=order)


# -- jobs -----------------------------------------------------------------------------------
def _job_for_update(job: Job, user: User) -> Job:
    job = (
        Job.objects.select_for_update()
        .select_related("order", "workshop__organization")
        .get(pk=job.pk)
    )
    require_membership(user=user, organization=job.workshop.organization)
    return job


def job_accept(*, user: User, job: Job) -> Job:
    """The workshop takes the job; its machine time is booked now, never twice."""
    with transaction.atomic():
        job = _job_for_update(job, user)
        if job.status == Job.Status.ACCEPTED:
            return job
        if job.status != Job.Status.OFFERED:
            raise Conflict(
                f"This job is {job.get_status_display().lower()}; it cannot be accepted."
            )
        booking = capacity_book(
            machine=job.machine,
            starts_at=job.planned_start,
            ends_at=job.planned_end,
            reference=f"{job.order.reference} · {job.name}",
        )
        job.status = Job.Status.ACCEPTED
        job.booking = booking
        job.save(update_fields=["status", "booking"])
        _job_event(job, user, "job.accepted", f"{job.workshop} accepted {job.name}")
    return job


def job_decline(*, user: User | None, job: Job, reason: str) -> Job:
    """The workshop turns the job down (or let its deadline pass: `user` None, the system);
    the rest of the order is re-planned without it."""
    if not reason.strip():
        raise DomainError(
            "Say why you decline, so that the customer understands.", code="reason_required"
        )
    with transaction.atomic():
        if user is None:
            job = Job.objects.select_for_update().select_related("order", "workshop").get(pk=job.pk)
        else:
            job = _job_for_update(job, user)
        if job.status not in (Job.Status.OFFERED, Job.Status.ACCEPTED):
            raise Conflict(
                f"This job is {job.get_status_display().lower()}; it cannot be declined."
            )
        _job_release(job)
        job.status = Job.Status.DECLINED
        job.declined_reason = reason.strip()
        job.save(update_fields=["status", "declined_reason", "booking"])
        _job_event(job, user, "job.declined", f"{job.workshop} declined {job.name}: {reason}")
    replan_order(
        order=job.order,
        change=adapter.StepDeclinedChange(
            job_key=job.job_key, step_key=job.step_key, workshop_id=job.workshop_id
        ),
        declined=job,
    )
    return job


def _job_release(job: Job) -> None:
    if job.booking_id:
        booking = job.booking
        job.booking = None
        job.save(update_fields=["booking"])
        capacity_release(booking=booking)


def job_start(*, user: User, job: Job) -> Job:
    with transaction.atomic():
        job = _job_for_update(job, user)
        if job.status == Job.Status.IN_PROGRESS:
            return job
        if job.status != Job.Status.ACCEPTED:
            raise Conflict("Accept the job before starting it.")
        job.status = Job.Status.IN_PROGRESS
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
        if job.order.status == Status.PAID:
            order_transition(
                order=job.order,
                to=Status.IN_PRODUCTION,
                role=Role.SYSTEM,
                reason=f"{job.workshop} started {job.name}",
            )
        _job_event(job, user, "job.started", f"{job.workshop} started {job.name}")
    return job


def job_progress(*, user: User, job: Job, percent: int, note: str = "") -> Job:
    if not 0 <= percent <= 100:
        raise DomainError("Progress is a percentage from 0 to 100.", code="invalid_progress")
    with transaction.atomic():
        job = _job_for_update(job, user)
        if job.status != Job.Status.IN_PROGRESS:
            raise Conflict("Only a started job reports progress.")
        job.progress_percent = percent
        job.progress_note = note.strip()[:255]
        job.save(update_fields=["progress_percent", "progress_note"])
        publish_to_users_on_commit(
            [u.pk for u in _involved_users(job.order)],
            {
                "type": "job.progress",
                "data": {"order": job.order_id, "job": job.pk, "percent": percent},
            },
        )
    return job


def job_complete(*, user: User, job: Job) -> Job:
    with transaction.atomic():
        job = _job_for_update(job, user)
        if job.status == Job.Status.DONE:
            return job
        if job.status != Job.Status.IN_PROGRESS:
            raise Conflict("Start the job before completing it.")
        job.status = Job.Status.DONE
        job.finished_at = timezone.now()
        job.progress_percent = 100
        job.save(update_fields=["status", "finished_at", "progress_percent"])
        _job_event(job, user, "job.done", f"{job.workshop} finished {job.name}")
    return job


def _job_event(job: Job, user: User | None, kind: str, text: str) -> None:
    OrderEvent.objects.create(
        order=job.order,
        from_status=job.order.status,
        to_status=job.order.status,
        kind=kind,
        actor=user,
        role=Role.WORKSHOP,
        reason=text[:500],
    )
    publish_to_users_on_commit(
        [u.pk for u in _involved_users(job.order)],
        {"type": "order.changed", "data": {"order": job.order_id, "kind": kind}},
    )


# -- re-planning ----------------------------------------------------------------------------
def replan_order(*, order: Order, change, declined: Job | None = None) -> list[Job]:
    """Re-solves the steps not yet started; moved steps become new offers elsewhere."""
    active = list(
        order.jobs.filter(status__in=Job.ACTIVE).select_related(
            "machine", "process", "line__material", "line__revision"
        )
    )
    current = [
        adapter.CurrentAssignment(
            job_key=job.job_key,
            step_key=job.step_key,
            machine_id=job.machine_id,
            start=job.planned_start,
            end=job.planned_end,
            status={Job.Status.DONE: "done", Job.Status.IN_PROGRESS: "running"}.get(
                job.status, "planned"
            ),
            process_code=job.process.code,
            duration_minutes=int((job.planned_end - job.planned_start).total_seconds() // 60),
            cost_minor=job.cost_minor,
            material_code=job.line.material.code if job.line else None,
            part_dims_mm=_part_dims(job),
        )
        for job in active
    ]
    if declined is not None:
        current.append(
            adapter.CurrentAssignment(
                job_key=declined.job_key,
                step_key=declined.step_key,
                machine_id=declined.machine_id,
                start=declined.planned_start,
                end=declined.planned_end,
                status="planned",
                process_code=declined.process.code,
                duration_minutes=int(
                    (declined.planned_end - declined.planned_start).total_seconds() // 60
                ),
            )
        )
    result = adapter.replan_assignments(
        order_id=order.pk,
        assignments=current,
        change=change,
        now=timezone.now(),
        time_limit_s=settings.QUOTE_TIME_LIMIT_S,
        workers=settings.MATCHING_WORKERS,
        assembly_job=order.option.route.get("assembly_job"),
        due=dict.fromkeys({a.job_key for a in current}, order.promised_delivery_at),
    )
    if not result.ok:
        _announce(
            order,
            "order.replan_failed",
            f"Order {order.reference} needs an operator",
            " ".join(result.reasons) or "No other workshop can take over the step.",
        )
        return []
    created = []
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order.plan_version += 1
        order.save(update_fields=["plan_version"])
        by_key = {(j.job_key, j.step_key): j for j in active}
        moved_workshops = set()
        for new in result.moved:
            old = by_key.get((new.job_key, new.step_key)) or declined
            if old is None:
                continue
            if old.pk in {j.pk for j in active} and old.status not in (
                Job.Status.DONE,
                Job.Status.IN_PROGRESS,
            ):
                _job_release(old)
                old.status = Job.Status.SUPERSEDED
                old.save(update_fields=["status"])
            machine = Machine.objects.select_related("workshop").get(pk=new.machine_id)
            job = Job.objects.create(
                order=order,
                job_key=old.job_key,
                step_key=old.step_key,
                name=old.name,
                process=old.process,
                line=old.line,
                workshop=machine.workshop,
                machine=machine,
                sequence=old.sequence,
                planned_start=new.start,
                planned_end=new.end,
                accept_by=_accept_by(new.start),
                status=Job.Status.OFFERED if order.status != Status.PLACED else Job.Status.PLANNED,
                cost_minor=new.cost_minor,
                runner_up_cost_minor=old.runner_up_cost_minor,
                why=f"Re-planned: {new.reason}" if getattr(new, "reason", "") else "Re-planned",
                plan_version=order.plan_version,
            )
            created.append(job)
            moved_workshops.add(machine.workshop)
        _rebuild_legs(order)
        OrderEvent.objects.create(
            order=order,
            from_status=order.status,
            to_status=order.status,
            kind="order.replanned",
            role=Role.SYSTEM,
            reason=f"Re-planned {len(created)} step(s): {result.summary}"[:500],
        )
        _announce(
            order, "order.replanned", f"Order {order.reference} was re-planned", result.summary
        )
        for workshop in moved_workshops:
            notify(
                users=[m.user for m in workshop.organization.memberships.select_related("user")],
                kind="job.offered",
                title=f"New job for {workshop}: order {order.reference}",
                url=reverse("job_board"),
            )
    return created


def _part_dims(job: Job) -> tuple[float, float, float] | None:
    bbox = job.line.revision.bbox_mm if job.line else None
    return tuple(sorted(bbox, reverse=True)) if bbox else None


def _rebuild_legs(order: Order) -> None:
    """Planned legs follow the current jobs: between workshops of one part, then to the customer."""
    order.shipments.filter(status=Shipment.Status.PLANNED).update(status=Shipment.Status.SUPERSEDED)
    legs = adapter.legs_for_jobs(
        jobs=[
            (j.job_key, j.workshop_id, j.planned_end)
            for j in order.jobs.filter(status__in=Job.ACTIVE).order_by("sequence")
        ],
        assembly_job=order.option.route.get("assembly_job"),
        ship_to=(float(order.request.ship_to_latitude), float(order.request.ship_to_longitude)),
    )
    for leg in legs:
        exists = (
            order.shipments.filter(
                job_key=leg["job"],
                origin_id=leg["origin_workshop_id"],
                destination_id=leg.get("destination_workshop_id"),
            )
            .exclude(status__in=[Shipment.Status.SUPERSEDED, Shipment.Status.CANCELLED])
            .exists()
        )
        if exists:
            continue
        _shipment_from_leg(order, leg, version=order.plan_version)


def on_machine_unavailable(sender, *, machine: Machine, until, affected_bookings, **kwargs) -> None:
    """A machine went down: every order with steps booked on it is re-planned."""
    jobs = Job.objects.filter(booking__in=affected_bookings).select_related("order")
    for order in {job.order for job in jobs}:
        replan_order(
            order=order,
            change=adapter.MachineDownChange(machine_id=machine.pk, at=timezone.now(), until=until),
        )


# -- shipments ------------------------------------------------------------------------------
def _shipment_for_update(shipment: Shipment) -> Shipment:
    return (
        Shipment.objects.select_for_update(of=("self",))
        .select_related(
            "order__organization",
            "origin__organization",
            "destination__organization",
            "carrier__organization",
        )
        .get(pk=shipment.pk)
    )


def _member_of(user: User, *organizations: Organization | None) -> bool:
    ids = [o.pk for o in organizations if o is not None]
    return Membership.objects.filter(user=user, organization_id__in=ids).exists()


def shipment_hand_over(*, user: User, shipment: Shipment, tracking_number: str = "") -> Shipment:
    """The sending workshop (or the carrier) confirms the parts left; both sides are recorded."""
    with transaction.atomic():
        shipment = _shipment_for_update(shipment)
        if not _member_of(user, shipment.origin.organization, shipment.carrier.organization):
            raise PermissionDenied("Only the sending workshop or the carrier hands parts over.")
        if shipment.status == Shipment.Status.IN_TRANSIT:
            return shipment
        if shipment.status != Shipment.Status.PLANNED:
            raise Conflict(f"This leg is {shipment.get_status_display().lower()}.")
        unfinished = shipment.order.jobs.filter(
            job_key=shipment.job_key, workshop=shipment.origin, status__in=Job.ACTIVE
        ).exclude(status=Job.Status.DONE)
        if unfinished.exists():
            raise Conflict("Finish the work at the sending workshop before handing the parts over.")
        shipment.status = Shipment.Status.IN_TRANSIT
        shipment.tracking_number = tracking_number.strip()[:60]
        shipment.handed_over_at = timezone.now()
        shipment.handed_over_by = user
        shipment.save()
        if shipment.to_customer and shipment.order.status == Status.IN_PRODUCTION:
            order_transition(
                order=shipment.order,
                to=Status.SHIPPED,
                role=Role.SYSTEM,
                actor=user,
                reason=f"Tracking {shipment.tracking_number or '-'}",
            )
        else:
            _job_event_for_order(
                shipment.order,
                user,
                "shipment.handed_over",
                f"{shipment.origin} handed parts to {shipment.carrier}",
            )
    return shipment


def shipment_receive(*, user: User, shipment: Shipment) -> Shipment:
    """The receiving side confirms arrival: the next workshop, or the customer."""
    with transaction.atomic():
        shipment = _shipment_for_update(shipment)
        receiver = (
            shipment.order.organization
            if shipment.to_customer
            else shipment.destination.organization
        )
        if not _member_of(user, receiver, shipment.carrier.organization):
            raise PermissionDenied("Only the receiving side or the carrier confirms arrival.")
        if shipment.status == Shipment.Status.DELIVERED:
            return shipment
        if shipment.status != Shipment.Status.IN_TRANSIT:
            raise Conflict("The parts have not been handed over yet.")
        shipment.status = Shipment.Status.DELIVERED
        shipment.received_at = timezone.now()
        shipment.received_by = user
        shipment.save()
        # Escrow: the receiver's confirmation releases the price of the work handed over.
        transaction.on_commit(lambda: release_on_handover(shipment=shipment), robust=True)
        _job_event_for_order(
            shipment.order,
            user,
            "shipment.received",
            f"Parts arrived at {shipment.destination or 'the customer'}",
        )
        if shipment.to_customer and shipment.order.status == Status.SHIPPED:
            role = (
                Role.CARRIER if _member_of(user, shipment.carrier.organization) else Role.CUSTOMER
            )
            order_transition(order=shipment.order, to=Status.DELIVERED, role=role, actor=user)
    return shipment


def _job_event_for_order(order: Order, user: User | None, kind: str, text: str) -> None:
    OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        kind=kind,
        actor=user,
        role=Role.SYSTEM,
        reason=text[:500],
    )
    publish_to_users_on_commit(
        [u.pk for u in _involved_users(order)],
        {"type": "order.changed", "data": {"order": order.pk, "kind": kind}},
    )


# -- messages and reviews -------------------------------------------------------------------
def message_post(*, user: User, order: Order, organization: Organization, body: str) -> Message:
    if not body.strip():
        raise DomainError("Write something first.", code="empty_message")
    if not (is_operator(user=user) or _member_of(user, organization)):
        raise PermissionDenied("Post as an organization you belong to.")
    with transaction.atomic():
        message = Message.objects.create(
            order=order, author=user, organization=organization, body=body.strip()[:5000]
        )
        others = [u for u in _involved_users(order) if u.pk != user.pk]
        notify(
            users=others,
            kind="order.message",
            title=f"New message on {order.reference}",
            body=body[:500],
            url=reverse("order_detail", args=[order.pk]),
        )
    return message


def review_create(
    *, user: User, order: Order, workshop: Workshop, rating: int, comment: str = ""
) -> Review:
    """The customer rates each workshop of a completed order once; ratings feed the matcher."""
    require_membership(user=user, organization=order.organization)
    if order.status != Status.COMPLETED:
        raise Conflict("Reviews open once the order is completed.")
    if not order.jobs.filter(workshop=workshop, status=Job.Status.DONE).exists():
        raise DomainError("Review only workshops that worked on this order.", code="not_involved")
    if not 1 <= rating <= 5:
        raise DomainError("Rate from 1 to 5 stars.", code="invalid_rating")
    with transaction.atomic():
        if Review.objects.filter(order=order, workshop=workshop).exists():
            raise Conflict("You have already reviewed this workshop for this order.")
        review = Review.objects.create(
            order=order, workshop=workshop, author=user, rating=rating, comment=comment.strip()
        )
        workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
        ratings = list(workshop.reviews.values_list("rating", flat=True))
        workshop.review_count = len(ratings)
        workshop.rating = round(sum(ratings) / len(ratings), 2)
        workshop.save(update_fields=["review_count", "rating"])
    return review
