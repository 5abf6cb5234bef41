"""Credit notes issued at the same moment on the real PostgreSQL: unique, gapless numbers."""

import pytest
from django.utils import timezone

from billing import services
from billing.credit_notes import credit_note_issue
from billing.models import CreditNote
from billing.money import Money
from tests.factories.billing import PaymentFactory
from tests.services import in_parallel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _refund(payment, reason="refund"):
    services.payment_confirm(payment=payment, amount=payment.amount, provider_reference="x")
    return services.payment_refund(payment=payment, amount=Money(1000, "EUR"), reason=reason)


def test_refunds_credited_at_the_same_moment_get_distinct_consecutive_numbers(postgres):
    refunds = [_refund(PaymentFactory()) for _ in range(6)]

    outcomes = in_parallel(*[lambda r=r: credit_note_issue(refund=r) for r in refunds])

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    year = timezone.localdate().year
    numbers = sorted(note.number for note in outcomes)
    assert numbers == [f"CN-{year}-{n:06d}" for n in range(1, 7)]


def test_one_refund_credited_twice_at_once_gets_one_note(postgres):
    refund = _refund(PaymentFactory())

    first, second = in_parallel(
        lambda: credit_note_issue(refund=refund), lambda: credit_note_issue(refund=refund)
    )

    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    assert first.pk == second.pk
    assert CreditNote.objects.count() == 1
