"""Messages between an order's parties and the customer's reviews of workshops."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from accounts.models import Organization, User
from accounts.permissions import require_membership
from accounts.selectors import is_member_of, is_operator
from accounts.services import notify
from marketplace.errors import Conflict, DomainError, PermissionDenied
from marketplace.network.models import Workshop
from marketplace.orders.flow import OrderStatus
from marketplace.orders.models import (
    Job,
    Message,
    Order,
    Review,
)
from marketplace.orders.notices import involved_users
from marketplace.orders.ratings import workshop_rating_refresh


def message_post(*, user: User, order: Order, organization: Organization, body: str) -> Message:
    if not body.strip():
        raise DomainError("Write something first.", code="empty_message")
    if not (is_operator(user=user) or is_member_of(user=user, organization_ids=[organization.pk])):
        raise PermissionDenied("Post as an organization you belong to.")
    with transaction.atomic():
        message = Message.objects.create(
            order=order, author=user, organization=organization, body=body.strip()[:5000]
        )
        others = [u for u in involved_users(order) if u.pk != user.pk]
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
    """The customer rates each workshop of a completed order once; with its inspection results
    the stars make the rating the matcher reads (``orders.ratings``)."""
    require_membership(user=user, organization=order.organization)
    if order.status != OrderStatus.COMPLETED:
        raise Conflict("Reviews open once the order is completed.")
    if not order.jobs.filter(workshop=workshop, status=Job.Status.DONE).exists():
        raise DomainError("Review only workshops that worked on this order.", code="not_involved")
    if not 1 <= rating <= 5:
        raise DomainError("Rate from 1 to 5 stars.", code="invalid_rating")
    with transaction.atomic():
        # The workshop's row first: a second review posted at the same moment waits here, then
        # sees the first and is refused, instead of reaching the unique constraint.
        workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
        if Review.objects.filter(order=order, workshop=workshop).exists():
            raise Conflict("You have already reviewed this workshop for this order.")
        review = Review.objects.create(
            order=order, workshop=workshop, author=user, rating=rating, comment=comment.strip()
        )
        workshop_rating_refresh(workshop_id=workshop.pk)
    return review
