"""factory_boy factories for billing."""

import factory

from accounts.models import Organization
from billing.models import Payment
from tests.factories import OrganizationFactory


class PaymentFactory(factory.django.DjangoModelFactory):
    """A pending manual payment of 310.00 EUR for a fresh order."""

    class Meta:
        model = Payment

    order_id = factory.Sequence(lambda n: 1000 + n)
    reference = factory.LazyAttribute(lambda p: f"ORD-{p.order_id}")
    payer = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.CUSTOMER)
    customer_email = "alice@example.com"
    provider = "manual"
    amount_minor = 31000
    currency = "EUR"
    provider_payment_id = factory.LazyAttribute(lambda p: f"CF-{p.order_id}-TEST23")
    transfer_group = factory.LazyAttribute(lambda p: f"order_{p.order_id}")
