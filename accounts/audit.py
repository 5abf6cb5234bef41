"""The audit log of operator actions: who did what to which object, and when.

Operator services (verification, moderation, dispute decisions, take-downs, inspection
outcomes and quality reviews, payments, payouts, settlements) call `record` inside their own
transaction, so an action that rolls back leaves no entry and an entry never describes
something that did not happen.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import OperatorAction, User

AUDIT_PAGE_SIZE = 50


def record(
    *, actor: User, action: str, target: models.Model, details: dict[str, Any] | None = None
) -> OperatorAction:
    """Appends one entry. Its time never goes before the latest entry's, so the log reads in
    order even if the clock steps back (NTP); the ids follow the same order."""
    import json

    with transaction.atomic():
        latest = (
            OperatorAction.objects.select_for_update()
            .order_by("-created_at", "-id")
            .values_list("created_at", flat=True)
            .first()
        )
        now = timezone.now()
        return OperatorAction.objects.create(
            actor=actor,
            actor_email=actor.email,
            action=action,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            target_label=str(target)[:200],
            # Through JSON and back: dates, decimals and ids become plain values once, here.
            details=json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder)),
            created_at=max(now, latest) if latest else now,
        )


def operator_actions(
    *, action: str = "", actor: str = "", target_type: str = "", target_id: str = ""
) -> QuerySet[OperatorAction]:
    """The log, newest first, narrowed by any of: action (prefix), actor e-mail (part), target."""
    entries = OperatorAction.objects.all()
    if action:
        entries = entries.filter(action__startswith=action)
    if actor:
        entries = entries.filter(actor_email__icontains=actor)
    if target_type:
        entries = entries.filter(target_type=target_type)
    if target_id:
        entries = entries.filter(target_id=target_id)
    return entries.order_by("-created_at", "-id")


def operator_actions_page(*, page: str | int | None, **filters: str) -> Page:
    return Paginator(operator_actions(**filters), AUDIT_PAGE_SIZE).get_page(page)


def action_names() -> list[str]:
    """The actions recorded so far, for the page's filter."""
    return list(
        OperatorAction.objects.order_by("action").values_list("action", flat=True).distinct()
    )
