"""Who is involved in an order, and how they are told (events, notifications, live pushes)."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Organization, User
from accounts.permissions import require_membership
from accounts.selectors import is_operator, member_user_ids
from accounts.services import notify
from config.live import publish_to_users_on_commit
from marketplace.errors import PermissionDenied
from marketplace.orders.flow import Role
from marketplace.orders.models import Job, Order, OrderEvent, Shipment


def involved_users(order: Order) -> list[User]:
    """Who hears of an order's news: the members of those who may open it (``Order.visible_to``)
    — its customer, the workshops holding a step, the carriers of a live leg. A workshop whose
    step was declined, moved or cancelled, or a carrier whose leg was, is told no more."""
    organizations = {order.organization_id}
    organizations |= set(
        order.jobs.filter(status__in=Job.HELD).values_list("workshop__organization_id", flat=True)
    )
    organizations |= set(
        order.shipments.exclude(
            status__in=[Shipment.Status.SUPERSEDED, Shipment.Status.CANCELLED]
        ).values_list("carrier__organization_id", flat=True)
    )
    return list(User.objects.filter(pk__in=member_user_ids(*organizations)))


def announce(order: Order, kind: str, title: str, body: str = "") -> None:
    users = involved_users(order)
    notify(
        users=users, kind=kind, title=title, body=body, url=reverse("order_detail", args=[order.pk])
    )
    publish_to_users_on_commit(
        [u.pk for u in users], {"type": "order.changed", "data": {"order": order.pk, "kind": kind}}
    )


def require_role(user: User, organization: Organization, role: Role) -> None:
    if role == Role.OPERATOR:
        if not is_operator(user=user):
            raise PermissionDenied("Only platform operators may do this.")
        return
    require_membership(user=user, organization=organization)


def job_event_record(job: Job, user: User | None, kind: str, text: str) -> None:
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
        [u.pk for u in involved_users(job.order)],
        {"type": "order.changed", "data": {"order": job.order_id, "kind": kind}},
    )


def order_event_record(order: Order, user: User | None, kind: str, text: str) -> None:
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
        [u.pk for u in involved_users(order)],
        {"type": "order.changed", "data": {"order": order.pk, "kind": kind}},
    )
