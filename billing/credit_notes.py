"""Credit notes to customers: one numbered document for each refund that succeeded.

A refund, whatever its cause (a cancellation, a dispute, a payment that arrived after the
order expired, a rebate), gets one credit note ``CN-<year>-<sequence>`` in a sequence of its
own. Numbers are allocated in a transaction as the next of the year; the unique constraints on
``(year, sequence)`` and on the refund make a concurrent issuer fail instead of sharing a
number or issuing twice, and it retries with the next number (or returns the note the other
issuer wrote). So numbers are unique and gapless on SQLite and PostgreSQL alike.

Notes are issued lazily, when a customer's statement or credit note list is first read, and
eagerly by whoever calls ``credit_note_issue(refund=refund)`` after a refund succeeds.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from accounts.models import Organization, User
from accounts.selectors import is_member_of, is_operator
from billing.errors import Conflict, NotFound
from billing.models import CreditNote, Invoice, Refund
from billing.statements import OrderStatement, order_statement

ISSUE_ATTEMPTS = 5  # retries when a concurrent issuer took the number first


def credit_note_issue(*, refund: Refund) -> CreditNote | None:
    """The refund's credit note, issued with the next number of the year if it has none yet.

    Idempotent: a second call (or a concurrent one) returns the same note. None when the
    payment has no customer organization to address the note to. Refuses a refund that has
    not succeeded: money that did not go back is not credited.
    """
    existing = CreditNote.objects.filter(refund_id=refund.pk).first()
    if existing is not None:
        return existing
    refund = Refund.objects.select_related("payment__payer").get(pk=refund.pk)
    if refund.status != Refund.Status.SUCCEEDED:
        raise Conflict("Only a refund that went through gets a credit note.")
    payment = refund.payment
    if payment.payer_id is None:
        return None
    for _ in range(ISSUE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _credit_note_create(refund=refund)
        except IntegrityError:
            existing = CreditNote.objects.filter(refund_id=refund.pk).first()
            if existing is not None:  # another worker issued this refund's note
                return existing
    raise Conflict("Credit note numbers are in high demand; try again in a moment.")


def _credit_note_create(*, refund: Refund) -> CreditNote:
    """Insert the note with the next sequence of the year; the caller retries on a clash."""
    year = timezone.localdate().year
    last = CreditNote.objects.filter(year=year).aggregate(last=Max("sequence"))["last"] or 0
    sequence = last + 1
    payment = refund.payment
    return CreditNote.objects.create(
        refund=refund,
        organization_id=payment.payer_id,
        order_id=payment.order_id,
        reference=payment.reference,
        year=year,
        sequence=sequence,
        number=CreditNote.format_number(year, sequence),
        amount_minor=refund.amount_minor,
        vat_minor=refund.vat_minor,
        currency=refund.currency,
        reason=(refund.reason or "Refund")[:300],
        refunded_at=refund.completed_at or refund.created_at,
    )


def credit_notes_issue_missing(
    *, customer: Organization, order_id: int | None = None
) -> list[CreditNote]:
    """Issue the notes still missing for the customer's succeeded refunds (of one order, or
    all), oldest refund first, so numbers follow the refunds where they can."""
    refunds = Refund.objects.filter(
        payment__payer=customer, status=Refund.Status.SUCCEEDED, credit_note__isnull=True
    )
    if order_id is not None:
        refunds = refunds.filter(payment__order_id=order_id)
    issued = []
    for refund in refunds.order_by("completed_at", "id"):
        note = credit_note_issue(refund=refund)
        if note is not None:
            issued.append(note)
    return issued


def statement_with_credit_notes(
    *, organization: Organization, order_id: int, notes: Sequence[str] = ()
) -> OrderStatement:
    """The organization's statement of the order, with a credit note issued for each of its
    refunds that has none yet (so the page and the invoice can name them). Checks access
    first: an organization with no statement of the order gets NotFound and issues nothing."""
    statement = order_statement(organization=organization, order_id=order_id, notes=notes)
    if any(refund.credit_note_id is None for refund in statement.refunds):
        credit_notes_issue_missing(customer=organization, order_id=order_id)
        statement = order_statement(organization=organization, order_id=order_id, notes=notes)
    return statement


def credit_notes_for_organization(*, organization: Organization) -> QuerySet[CreditNote]:
    """The organization's credit notes, newest first."""
    return CreditNote.objects.filter(organization=organization).order_by("-issued_at", "-id")


def credit_note_get_for_user(*, user: User, credit_note_id: int) -> CreditNote:
    """A credit note the user may read: a member of the credited organization, or an
    operator. Anyone else gets NotFound, as if it did not exist."""
    note = CreditNote.objects.select_related("organization").filter(pk=credit_note_id).first()
    if note is None or not (
        is_member_of(user=user, organization_ids=[note.organization_id]) or is_operator(user=user)
    ):
        raise NotFound("No such credit note.")
    return note


def credited_invoice_number(*, note: CreditNote) -> str:
    """The invoice a refund's credit note credits: the order's VAT invoice when it has one
    (``billing.invoicing``), else the statement invoice ``INV-<reference>`` of older orders."""
    number = (
        Invoice.objects.filter(order_id=note.order_id, kind=Invoice.Kind.INVOICE)
        .order_by("issued_at")
        .values_list("number", flat=True)
        .first()
    )
    return number or f"INV-{note.reference}"
