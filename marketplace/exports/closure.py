"""Closing an organization: its owner leaves with nothing left behind but what the law keeps.

Refused while work or money is open: an order of its own not ended, a job or shipment of its
not finished, or any balance on its ledger accounts (money held for it or owed by it). Then, in
one transaction:

- erased: the members' e-mails and names (unless they belong to another organization), their
  passwords, second factors and tokens; the names of authors of its messages; ship-to names and
  addresses of its quotes; its workshop's street address and description; its bank details;
- kept: the organization's name and country, its orders, invoices, credit notes and ledger
  lines (tax law keeps them for years), and message texts, which the other parties of an order
  also hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.closure import organization_people_erase
from accounts.models import Membership, Organization, User
from accounts.permissions import require_membership
from billing.selectors import balances_for_organization
from marketplace.errors import Conflict, DomainError
from marketplace.network.models import Workshop
from marketplace.orders.flow import TERMINAL
from marketplace.orders.models import Job, Message, Order, QuoteRequest, Shipment

ERASED = "(erased)"


class ClosureRefused(Conflict):
    code = "closure_refused"


SHOWN_ORDERS = 5  # references named in the refusal; the rest are counted


@dataclass(frozen=True)
class ClosureCheck:
    open_orders: list[str]
    active_jobs: int
    active_shipments: int
    balances: list[str]

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.open_orders:
            shown = ", ".join(self.open_orders[:SHOWN_ORDERS])
            if len(self.open_orders) > SHOWN_ORDERS:
                shown += f" and {len(self.open_orders) - SHOWN_ORDERS} more"
            reasons.append(
                f"{len(self.open_orders)} order(s) are still open "
                f"({shown}): let them finish or cancel them first."
            )
        if self.active_jobs:
            reasons.append(f"{self.active_jobs} job(s) of your workshop are not finished.")
        if self.active_shipments:
            reasons.append(f"{self.active_shipments} shipment(s) of yours are not delivered.")
        if self.balances:
            reasons.append(
                "Money is still held for you or owed by you "
                f"({', '.join(self.balances)}): wait for the payout or the refund."
            )
        return reasons


def closure_check(*, organization: Organization) -> ClosureCheck:
    """What keeps the organization open, if anything."""
    open_orders = (
        Order.objects.filter(organization=organization)
        .exclude(status__in=[str(status) for status in TERMINAL])
        .order_by("pk")
        .values_list("reference", flat=True)
    )
    active_job_statuses = [s for s in Job.ACTIVE if s != Job.Status.DONE]
    return ClosureCheck(
        open_orders=list(open_orders),
        active_jobs=Job.objects.filter(
            workshop__organization=organization, status__in=active_job_statuses
        ).count(),
        active_shipments=Shipment.objects.filter(
            carrier__organization=organization,
            status__in=[Shipment.Status.PLANNED, Shipment.Status.IN_TRANSIT],
        ).count(),
        balances=[
            f"{account.get_kind_display()}: {balance}"
            for account, balance in balances_for_organization(organization=organization)
            if balance.minor
        ],
    )


def organization_close(*, user: User, organization: Organization, confirm_name: str) -> list[int]:
    """Closes the organization for its owner, who types its name to confirm. Returns the ids
    of the people erased."""
    require_membership(user=user, organization=organization, roles=(Membership.Role.OWNER,))
    if organization.kind == Organization.Kind.PLATFORM:
        raise DomainError("The platform's own organization cannot be closed.")
    if organization.closed_at is not None:
        raise Conflict(f"{organization} is already closed.")
    if confirm_name.strip() != organization.name:
        raise DomainError(
            "Type the organization's name exactly to confirm.", code="confirmation_required"
        )
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        reasons = closure_check(organization=organization).reasons
        if reasons:
            raise ClosureRefused(f"{organization} cannot be closed yet. " + " ".join(reasons))
        Message.objects.filter(organization=organization).update(author=None)
        QuoteRequest.objects.filter(organization=organization).update(
            ship_to_name=ERASED, ship_to_address=ERASED
        )
        Workshop.objects.filter(organization=organization).update(
            address="", description="", verification_status=Workshop.Verification.SUSPENDED
        )
        _bank_details_erase(organization)
        return organization_people_erase(organization=organization)


def _bank_details_erase(organization: Organization) -> None:
    from billing.models import BankAccount

    BankAccount.objects.filter(organization=organization).delete()
