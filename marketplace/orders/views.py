"""Quotes, orders, the workshop's job board and the carrier's legs, as web pages."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import Organization
from accounts.permissions import require_kind
from accounts.selectors import memberships_for_user
from billing import selectors as billing_selectors
from billing.invoicing import invoices_for_order
from billing.money import MoneyError, from_decimal
from config.ids import parse_id, parse_ids
from marketplace.designs import selectors as design_selectors
from marketplace.errors import DomainError
from marketplace.network import selectors as network_selectors
from marketplace.orders import conversation, disputes, selectors, services
from marketplace.orders import flow as order_flow
from marketplace.orders import inspection as inspection_services
from marketplace.orders import jobs as job_services
from marketplace.orders import quotes as quote_services
from marketplace.orders import shipments as shipment_services
from marketplace.orders.forms import QuoteForm
from marketplace.orders.models import Job, QuoteOption


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form came from, if it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _fail(request: HttpRequest, error: DomainError, fallback: str, **kwargs) -> HttpResponse:
    messages.error(request, error.message)
    return redirect(fallback, **kwargs)


def _chosen_line(request: HttpRequest, chosen) -> dict[int, dict]:
    """The material and quantity a link from one design's price table starts from; anything
    else in the query string is ignored (the form still checks what is posted)."""
    if len(chosen) != 1:
        return {}
    start: dict = {}
    if request.GET.get("material"):
        start["material"] = request.GET["material"][:40]
    quantity = request.GET.get("quantity", "")
    if quantity.isdigit() and 1 <= int(quantity) <= quote_services.MAX_QUANTITY:
        start["quantity"] = int(quantity)
    return {chosen[0].pk: start}


@login_required
def quote_new(request: HttpRequest) -> HttpResponse:
    organization = require_kind(membership=request.membership, kinds=(Organization.Kind.CUSTOMER,))
    ids = parse_ids(request.GET.getlist("design"))
    designs = design_selectors.designs_of_organization(organization=organization)
    chosen = [d for d in designs if d.pk in ids] if ids else []
    revisions = [d.latest for d in chosen if d.latest and d.latest.is_analysed]
    form = QuoteForm(
        request.POST or None,
        revisions=revisions,
        organization=organization,
        initial_for=_chosen_line(request, chosen),
    )
    if request.method == "POST" and form.is_valid():
        try:
            quote = quote_services.quote_request_create(
                user=request.user,
                organization=organization,
                lines=form.lines(),
                ship_to=form.ship_to(),
                due_at=form.due(),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("quote_detail", quote_id=quote.pk)
    analysed = [d for d in designs if d.latest and d.latest.is_analysed]
    return render(
        request,
        "marketplace/quote_new.html",
        {"form": form, "designs": analysed, "chosen": {d.pk for d in chosen}},
    )


@login_required
def quote_detail(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = selectors.quote_get_for_member(quote_id=quote_id, user=request.user)
    ship_to = (float(quote.ship_to_latitude), float(quote.ship_to_longitude))
    options = []
    for option in quote.options.all():
        route = option.route
        options.append(
            {
                "option": option,
                "map": selectors.route_map_for(option=route, ship_to=ship_to),
                "gantt": selectors.gantt_for(
                    steps=route.get("steps", []),
                    legs=route.get("legs", []),
                    currency=option.currency,
                    element_id=f"gantt-data-{option.pk}",
                ),
                "steps": route.get("steps", []),
                "legs": route.get("legs", []),
                "transport": selectors.transport_total(route.get("legs", [])),
            }
        )
    ordered = quote.options.filter(order__isnull=False).first()
    return render(
        request,
        "marketplace/quote_detail.html",
        {"quote": quote, "options": options, "ordered": ordered},
    )


@login_required
def quote_status(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = selectors.quote_get_for_member(quote_id=quote_id, user=request.user)
    return JsonResponse({"status": quote.status})


@login_required
@require_POST
def order_place(request: HttpRequest, option_id: int) -> HttpResponse:
    option = get_object_or_404(
        QuoteOption.objects.select_related("request"),
        pk=option_id,
        request__organization__memberships__user=request.user,
    )
    try:
        order = services.order_place(user=request.user, option=option)
    except DomainError as error:
        return _fail(request, error, "quote_detail", quote_id=option.request_id)
    messages.success(request, f"Order {order.reference} placed. Pay to start production.")
    return redirect("order_detail", order_id=order.pk)


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "marketplace/order_list.html",
        {"orders": selectors.orders_listed_for(user=request.user)[:200]},
    )


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    view = selectors.order_for_party(order_id=order_id, user=request.user)
    order, jobs, shipments = view.order, view.jobs, view.shipments
    is_customer, operator, user_orgs = view.is_customer, view.is_operator, view.organization_ids
    for shipment in shipments:
        shipment.may_hand_over = shipment.can_hand_over(user_orgs)
        shipment.may_receive = shipment.can_receive(user_orgs)
    for job in jobs:
        job.may_inspect = (
            job.status == Job.Status.DONE
            and order.status in inspection_services.OPEN_FOR_INSPECTION
            and inspection_services.job_inspector_role(user=request.user, job=job) is not None
        )
    inspectable = [job.pk for job in jobs if job.may_inspect]
    if inspectable:
        # A step with a quality record is judged through the record's review (quality refuses
        # this form there): no button that would only be refused. By relation name, no import.
        with_record = set(
            Job.objects.filter(pk__in=inspectable, quality_record__isnull=False).values_list(
                "pk", flat=True
            )
        )
        for job in jobs:
            job.may_inspect = job.may_inspect and job.pk not in with_record
    status = order_flow.OrderStatus(order.status)
    reviewable = []
    if is_customer and status == order_flow.OrderStatus.COMPLETED:
        reviewed = set(order.reviews.values_list("workshop_id", flat=True))
        reviewable = sorted(
            {
                j.workshop
                for j in jobs
                if j.status == Job.Status.DONE and j.workshop_id not in reviewed
            },
            key=str,
        )
    context = {
        "order": order,
        "jobs": jobs,
        "shipments": shipments,
        # In time order within this one order: no join to the order for the models' default.
        "events": order.events.select_related("actor").order_by("at", "pk"),
        "chat": order.messages.select_related("author", "organization").order_by(
            "created_at", "pk"
        ),
        "is_customer": is_customer,
        "is_operator": operator,
        "can_cancel": any(
            order_flow.allowed(status, order_flow.OrderStatus.CANCELLED, r)
            for r in ([order_flow.Role.CUSTOMER] if is_customer else [])
            + ([order_flow.Role.OPERATOR] if operator else [])
        ),
        "can_dispute": is_customer
        and order_flow.allowed(status, order_flow.OrderStatus.DISPUTED, order_flow.Role.CUSTOMER),
        "can_confirm_delivery": is_customer and status == order_flow.OrderStatus.SHIPPED,
        "can_complete": is_customer and status == order_flow.OrderStatus.DELIVERED,
        "reviewable": reviewable,
        "dispute_money": disputes.dispute_money(order=order)
        if operator and status == order_flow.OrderStatus.DISPUTED
        else None,
        "decisions": order.dispute_decisions.select_related("decided_by").order_by(
            "decided_at", "pk"
        )
        if view.sees_everything or operator
        else [],
        "inspection_outcomes": Job.Inspection.choices,
        "documents": invoices_for_order(order_id=order.pk) if is_customer or operator else [],
        "payment": billing_selectors.payments_for_order(order_id=order.pk).first()
        if view.sees_everything
        else None,
        "my_organizations": [
            m.organization
            for m in memberships_for_user(user=request.user)
            if m.organization_id in user_orgs
        ],
        "map": selectors.route_map_for(
            option=selectors.live_route(jobs=jobs, shipments=shipments),
            ship_to=(float(order.request.ship_to_latitude), float(order.request.ship_to_longitude)),
        )
        if view.sees_everything
        else None,
        "gantt": selectors.order_gantt(view),
    }
    return render(request, "marketplace/order_detail.html", context)


def _order_action(request, order_id: int, action) -> HttpResponse:
    order = selectors.order_get_for_member(order_id=order_id, user=request.user)
    try:
        action(order)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("order_detail", order_id=order.pk)


@login_required
@require_POST
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _order_action(
        request,
        order_id,
        lambda o: services.order_cancel(user=request.user, order=o, reason=reason),
    )


@login_required
@require_POST
def order_dispute(request: HttpRequest, order_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _order_action(
        request,
        order_id,
        lambda o: services.order_dispute(user=request.user, order=o, reason=reason),
    )


@login_required
@require_POST
def order_confirm_delivery(request: HttpRequest, order_id: int) -> HttpResponse:
    """ "I received the parts", and with ``accept`` also "they are fine": the order completes
    at once and the margins are paid, instead of after the dispute window."""
    accept = request.POST.get("accept") == "1"

    def confirm(order):
        order = services.order_confirm_delivery(user=request.user, order=order)
        if accept:
            services.order_complete(user=request.user, order=order)

    return _order_action(request, order_id, confirm)


@login_required
@require_POST
def order_complete(request: HttpRequest, order_id: int) -> HttpResponse:
    return _order_action(
        request, order_id, lambda o: services.order_complete(user=request.user, order=o)
    )


@login_required
@require_POST
def job_inspection(request: HttpRequest, order_id: int, job_id: int) -> HttpResponse:
    """The inspecting party records how a finished step's work came out."""

    def record(order):
        job = get_object_or_404(order.jobs, pk=job_id)
        inspection_services.job_inspection_record(
            user=request.user,
            job=job,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )

    return _order_action(request, order_id, record)


@login_required
@require_POST
def order_message(request: HttpRequest, order_id: int) -> HttpResponse:
    def post(order):
        organization = next(
            (
                m.organization
                for m in memberships_for_user(user=request.user)
                if str(m.organization_id) == request.POST.get("organization")
            ),
            request.membership.organization if request.membership else None,
        )
        conversation.message_post(
            user=request.user,
            order=order,
            organization=organization,
            body=request.POST.get("body", ""),
        )

    return _order_action(request, order_id, post)


@login_required
@require_POST
def order_review(request: HttpRequest, order_id: int) -> HttpResponse:
    def review(order):
        workshop = get_object_or_404(
            order.jobs.model._meta.get_field("workshop").related_model,
            pk=parse_id(request.POST.get("workshop", "")),
        )
        rating = parse_id(request.POST.get("rating", "")) or 0
        conversation.review_create(
            user=request.user,
            order=order,
            workshop=workshop,
            rating=rating,
            comment=request.POST.get("comment", ""),
        )
        messages.success(request, f"Thank you for reviewing {workshop}.")

    return _order_action(request, order_id, review)


def _percent(text: str) -> int:
    """A percentage typed in a form; anything but a whole number is out of range (-1), so the
    service answers with its own message."""
    number = parse_id(text)
    return -1 if number is None else number


@login_required
def job_board(request: HttpRequest) -> HttpResponse:
    organization = require_kind(membership=request.membership, kinds=(Organization.Kind.WORKSHOP,))
    workshop = network_selectors.workshop_for_organization(organization=organization)
    jobs = list(selectors.jobs_for_workshop(workshop=workshop)) if workshop else []
    columns = [
        ("Waiting for you", [j for j in jobs if j.status == Job.Status.OFFERED]),
        ("Accepted", [j for j in jobs if j.status == Job.Status.ACCEPTED]),
        ("In progress", [j for j in jobs if j.status == Job.Status.IN_PROGRESS]),
        ("Done", [j for j in jobs if j.status == Job.Status.DONE][-20:]),
        ("Declined or moved", selectors.jobs_gone_from(workshop=workshop) if workshop else []),
    ]
    return render(request, "marketplace/job_board.html", {"workshop": workshop, "columns": columns})


@login_required
@require_POST
def job_action(request: HttpRequest, job_id: int, action: str) -> HttpResponse:
    job = selectors.job_get_for_workshop_member(job_id=job_id, user=request.user)
    try:
        if action == "accept":
            job_services.job_accept(user=request.user, job=job)
        elif action == "decline":
            job_services.job_decline(
                user=request.user, job=job, reason=request.POST.get("reason", "")
            )
        elif action == "start":
            job_services.job_start(user=request.user, job=job)
        elif action == "progress":
            job_services.job_progress(
                user=request.user,
                job=job,
                percent=_percent(request.POST.get("percent", "")),
                note=request.POST.get("note", ""),
            )
        elif action == "complete":
            job_services.job_complete(user=request.user, job=job)
        elif action == "delay":
            job_services.job_report_delay(
                user=request.user,
                job=job,
                expected_end=_local_moment(request.POST.get("expected_end", ""), job),
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, f"The expected end of {job.name} is recorded.")
        else:
            messages.error(request, "Unknown action.")
    except DomainError as error:
        messages.error(request, error.message)
    except ValueError:
        messages.error(
            request,
            "Give the expected end as a date and time."
            if action == "delay"
            else "Progress is a whole number from 0 to 100.",
        )
    return _back(request, reverse("job_board"))


def _local_moment(value: str, job: Job) -> datetime:
    """A browser's date and time (no zone) read in the job's workshop's time zone."""
    moment = datetime.fromisoformat(value.strip())
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=ZoneInfo(job.workshop.timezone))
    return moment


@login_required
def shipment_board(request: HttpRequest) -> HttpResponse:
    organization = require_kind(membership=request.membership, kinds=(Organization.Kind.LOGISTICS,))
    carrier = getattr(organization, "carrier", None)
    shipments = list(selectors.shipments_for_carrier(carrier=carrier)) if carrier else []
    for shipment in shipments:  # the carrier acts for its own organization on every leg
        shipment.may_hand_over = shipment.can_hand_over(frozenset({organization.pk}))
        shipment.may_receive = shipment.can_receive(frozenset({organization.pk}))
    return render(
        request, "marketplace/shipment_board.html", {"carrier": carrier, "shipments": shipments}
    )


@login_required
@require_POST
def shipment_action(request: HttpRequest, shipment_id: int, action: str) -> HttpResponse:
    shipment = selectors.shipment_get_for_party(
        shipment_id=shipment_id, user=request.user, related=("order",)
    )
    try:
        if action == "hand-over":
            shipment_services.shipment_hand_over(
                user=request.user,
                shipment=shipment,
                tracking_number=request.POST.get("tracking_number", ""),
            )
        elif action == "receive":
            shipment_services.shipment_receive(user=request.user, shipment=shipment)
    except DomainError as error:
        messages.error(request, error.message)
    return _back(request, reverse("order_detail", args=[shipment.order_id]))


REFUND_PATTERN = re.compile(r"[0-9]{1,12}(\.[0-9]{1,3})?", re.ASCII)


@login_required
@require_POST
def order_resolve_dispute(request: HttpRequest, order_id: int) -> HttpResponse:
    """The operator's decision form: outcome, reason, a refund in major units and the work
    to pay (checkboxes; the form marks that it listed them, so none ticked pays nobody)."""
    order = selectors.order_get_for_member(order_id=order_id, user=request.user)
    try:
        text = request.POST.get("refund", "").strip()
        if text and not REFUND_PATTERN.fullmatch(text):
            raise MoneyError(text)
        refund = from_decimal(text, order.currency) if text else None
    except MoneyError:
        messages.error(request, f"The refund must be an amount in {order.currency}, like 120.50.")
        return redirect("order_detail", order_id=order.pk)
    listed = request.POST.get("parties_listed") == "1"
    return _order_action(
        request,
        order_id,
        lambda o: services.order_resolve_dispute(
            user=request.user,
            order=o,
            outcome=request.POST.get("outcome", ""),
            reason=request.POST.get("reason", ""),
            refund=refund,
            paid_party_ids=request.POST.getlist("paid") if listed else None,
        ),
    )
