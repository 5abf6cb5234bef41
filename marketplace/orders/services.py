"""The order's life: placing, paying, cancelling, disputing, delivering and completing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import record
from accounts.models import Organization, User
from accounts.permissions import require_membership
from accounts.selectors import is_operator, member_users
from accounts.services import notify
from billing import services as billing
from billing.money import Money
from billing.signals import PaymentRefused
from marketplace.errors import (
    Conflict,
    DomainError,
    PermissionDenied,
    QuoteInvalid,
    TransitionRefused,
)
from marketplace.orders import flow as order_flow
from marketplace.orders.disputes import dispute_decision_record
from marketplace.orders.escrow import (
    order_release,
    payments_cancel_unwanted,
    refund_held,
    release_on_delivery,
)
from marketplace.orders.flow import OrderStatus, Role
from marketplace.orders.invoicing import invoice_lines_for, order_invoice_issue
from marketplace.orders.models import (
    DisputeDecision,
    Order,
    OrderEvent,
    QuoteOption,
    QuoteRequest,
    Shipment,
)
from marketplace.orders.notices import require_role
from marketplace.orders.partner_events import jobs_emit
from marketplace.orders.plans import plan_create
from marketplace.orders.shipments import shipment_receive
from marketplace.orders.signals import order_documents_chosen
from marketplace.orders.transitions import jobs_offer, order_transition, remaining_work_cancel


def order_place(
    *,
    user: User,
    option: QuoteOption,
    payment_provider: str | None = None,
    before_payment: Callable[[Order], object] | None = None,
    documents: Sequence[str] = (),
) -> Order:
    """Turns a quote option into an order awaiting payment, and opens the payment (with the
    provider named, else the configured one). ``before_payment`` records what goes with the
    order (the checkout's billing details) in the order's transaction; so do the quality
    documents the customer chose (``documents``, recorded by quality through
    ``signals.order_documents_chosen``)."""
    request = option.request
    require_membership(user=user, organization=request.organization)
    if request.is_expired:
        raise QuoteInvalid("This quote has expired; ask for a new one to get current prices.")
    if request.status != QuoteRequest.Status.READY:
        raise QuoteInvalid("This quote has no options to order.")
    with transaction.atomic():
        # The organization's row is locked as organization_close locks it: a closing that
        # committed meanwhile is seen here (closed, membership erased), and one that comes
        # after sees this order and refuses.
        organization = Organization.objects.select_for_update().get(pk=request.organization_id)
        if organization.closed_at is not None:
            raise Conflict(f"{organization} is closed: it can place no orders.")
        require_membership(user=user, organization=organization)
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
            order=order, to_status=OrderStatus.PLACED, actor=user, role=Role.CUSTOMER
        )
        plan_create(order, option.route, version=1)
        if before_payment is not None:
            before_payment(order)
        if documents:
            order_documents_chosen.send(sender=Order, order=order, user=user, kinds=list(documents))
        # Who is billed is fixed now (the checkout's details, else the billing profile's copy).
        billing.order_buyer_record(
            order_id=order.pk,
            reference=order.reference,
            organization=order.organization,
            payment_provider=payment_provider or "",
            delivery_country=option.request.ship_to_country,
        )
        notify(
            users=[user],
            kind="order.placed",
            title=f"Order {order.reference} placed",
            body="Pay to start production.",
            url=reverse("order_detail", args=[order.pk]),
        )
        # Priced for VAT once, as the invoice will be: the payment collects net + VAT.
        sale = billing.order_sale(
            order_id=order.pk,
            buyer_organization=order.organization,
            lines=invoice_lines_for(order=order),
            currency=order.currency,
        )
    # The payment provider is called after commit, never under a lock.
    billing.payment_start(
        order_id=order.pk,
        reference=order.reference,
        amount=sale.gross,
        payer=order.organization,
        customer_email=user.email,
        provider=payment_provider,
        sale=sale,
    )
    return order


def order_mark_paid(*, order_id: int) -> Order | None:
    """Payment confirmed: the order is paid and its steps are offered to the workshops."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.PLACED:
        return order
    with transaction.atomic():
        order = order_transition(
            order=order, to=OrderStatus.PAID, role=Role.SYSTEM, reason="Payment received"
        )
        jobs = jobs_offer(order)
        jobs_emit("job.offered", jobs)
        for workshop in {job.workshop for job in jobs}:
            notify(
                users=member_users(workshop.organization_id),
                kind="job.offered",
                title=f"New job for {workshop}: order {order.reference}",
                body="Accept or decline it on your job board.",
                url=reverse("job_board"),
            )
    order_invoice_issue(order=order)
    return order


def on_payment_confirmed(sender, *, order_id: int, **kwargs) -> PaymentRefused | None:
    """Billing's `payment_confirmed`: a placed order takes the money; one that expired or was
    cancelled refuses it, and billing sends it back in full."""
    order = order_mark_paid(order_id=order_id)
    if order is not None and order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        return PaymentRefused(f"Order {order.reference} is {order.get_status_display().lower()}.")
    return None


def order_cancel(*, user: User, order: Order, reason: str) -> Order:
    """Cancels as the table allows: customers before production, operators any time before.
    A disputed order is ended by a dispute decision (``order_resolve_dispute``), which says
    who is paid for the work done."""
    role = Role.OPERATOR if is_operator(user=user) else Role.CUSTOMER
    require_role(user, order.organization, role)
    if not reason.strip():
        raise DomainError("Say why the order is cancelled.", code="reason_required")
    if order.status == OrderStatus.DISPUTED:
        raise Conflict(
            f"Order {order.reference} is disputed: settle the dispute with its amounts "
            "(cancel there) so the finished work is paid or not by decision."
        )
    was_paid = order.status != OrderStatus.PLACED
    with transaction.atomic():
        order = order_transition(
            order=order, to=OrderStatus.CANCELLED, role=role, actor=user, reason=reason
        )
        remaining_work_cancel(order)
        if role == Role.OPERATOR:
            record(
                actor=user,
                action="order.cancel",
                target=order,
                details={"reason": reason, "refund_held": was_paid},
            )
    if was_paid:
        # Whatever is still held goes back; prices already released stay with those who worked.
        refund_held(order=order, reason=reason)
    else:
        # Nothing was paid: close the open payment so that a late one is sent back.
        payments_cancel_unwanted(order_id=order.pk, reason=f"The order was cancelled: {reason}")
    return order


def order_dispute(*, user: User, order: Order, reason: str) -> Order:
    role = Role.OPERATOR if is_operator(user=user) else Role.CUSTOMER
    require_role(user, order.organization, role)
    if not reason.strip():
        raise DomainError(
            "Describe the problem, so that an operator can help.", code="reason_required"
        )
    return order_transition(
        order=order, to=OrderStatus.DISPUTED, role=role, actor=user, reason=reason
    )


DISPUTE_OUTCOMES = {
    "resume": OrderStatus.IN_PRODUCTION,
    "complete": OrderStatus.COMPLETED,
    "cancel": OrderStatus.CANCELLED,
}


def order_resolve_dispute(
    *,
    user: User,
    order: Order,
    outcome: str,
    reason: str,
    refund: Money | None = None,
    paid_party_ids: Iterable[str] | None = None,
) -> Order:
    """An operator settles a dispute with amounts (``disputes``): the chosen parties are paid
    their price at once, then production resumes, the order completes (margin on what was
    delivered, the unfinished share refunded) or it ends (the rest refunded); either way the
    remaining steps and legs are cancelled. The refund is sent after commit; the
    completion's release follows it, so the refund is never shared out."""
    if not is_operator(user=user):
        raise PermissionDenied("Only platform operators settle disputes.")
    with transaction.atomic():
        decision = dispute_decision_record(
            user=user,
            order=order,
            outcome=outcome,
            explanation=reason,
            refund=refund,
            paid_party_ids=paid_party_ids,
        )
        target = DISPUTE_OUTCOMES[decision.outcome]
        # The move happens under the lock the decision took: a second operator deciding at
        # the same moment waits, then finds the order no longer disputed.
        order = order_transition(
            order=order, to=target, role=Role.OPERATOR, actor=user, reason=reason
        )
        if target != OrderStatus.IN_PRODUCTION:
            remaining_work_cancel(order)
        transaction.on_commit(lambda: _after_decision(order, decision))
    return order


def _after_decision(order: Order, decision: DisputeDecision) -> None:
    """After commit, never under the lock: the refund at the provider (for a cancel, all
    that is left), then a completion's release of the rest."""
    if decision.outcome == DisputeDecision.Outcome.CANCEL:
        refund_held(
            order=order,
            reason=f"Dispute decision: {decision.explanation}"[:300],
            idempotency_key=f"dispute:{decision.pk}",
        )
        return
    if decision.refund_minor:
        refund_held(
            order=order,
            reason=f"Dispute decision: {decision.explanation}"[:300],
            idempotency_key=f"dispute:{decision.pk}",
            at_most=Money(decision.refund_minor, decision.currency),
        )
    if decision.outcome == DisputeDecision.Outcome.COMPLETE:
        _release_funds(order)


def order_confirm_delivery(*, user: User, order: Order) -> Order:
    """The customer has the parts: the last leg is received and the order delivered, in one
    transaction, so a refused move (the order is not shipped) changes nothing."""
    require_membership(user=user, organization=order.organization)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != OrderStatus.DELIVERED and not order_flow.allowed(
            OrderStatus(order.status), OrderStatus.DELIVERED, Role.CUSTOMER
        ):
            raise TransitionRefused(
                f"Order {order.reference} is {order.get_status_display().lower()}; "
                "its delivery cannot be confirmed now."
            )
        last = (
            order.shipments.filter(destination=None)
            .exclude(status__in=[Shipment.Status.CANCELLED, Shipment.Status.SUPERSEDED])
            .first()
        )
        if last is not None and last.status != Shipment.Status.DELIVERED:
            shipment_receive(user=user, shipment=last)
            order.refresh_from_db()
        order = order_transition(
            order=order, to=OrderStatus.DELIVERED, role=Role.CUSTOMER, actor=user
        )
    transaction.on_commit(lambda: release_on_delivery(order=order), robust=True)
    return order


def order_complete(*, user: User | None, order: Order) -> Order:
    """The customer accepts the parts (or the window passes): every share can be released."""
    role = Role.SYSTEM if user is None else Role.CUSTOMER
    if user is not None:
        require_membership(user=user, organization=order.organization)
    order = order_transition(order=order, to=OrderStatus.COMPLETED, role=role, actor=user)
    transaction.on_commit(lambda: _release_funds(order))
    return order


def _release_funds(order: Order) -> None:
    order_release(order=order)
