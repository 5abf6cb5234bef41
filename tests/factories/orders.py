"""Factories for quotes and orders; an order here needs no solver, only a stored route."""

from datetime import timedelta

import factory
from django.utils import timezone

from marketplace.orders.models import Order, QuoteOption, QuoteRequest
from tests.factories import OrganizationFactory


class QuoteRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuoteRequest

    organization = factory.SubFactory(OrganizationFactory)
    ship_to_name = "Goods in"
    ship_to_address = "Main street 1"
    ship_to_city = "Munich"
    ship_to_country = "DE"
    ship_to_latitude = "48.13510"
    ship_to_longitude = "11.58200"
    status = QuoteRequest.Status.READY
    valid_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))


class QuoteOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuoteOption

    request = factory.SubFactory(QuoteRequestFactory)
    rank = 0
    labels = factory.LazyFunction(lambda: ["cheapest"])
    price_minor = 11300
    cost_minor = 10000
    margin_minor = 800
    platform_fee_minor = 500
    currency = "EUR"
    delivery_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    co2_g = 1200
    route = factory.LazyFunction(lambda: {"steps": [], "legs": [], "workshop_ids": []})


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    option = factory.SubFactory(QuoteOptionFactory)
    organization = factory.LazyAttribute(lambda o: o.option.request.organization)
    reference = factory.Sequence(lambda n: f"CF-TEST-{n:05d}")
    price_minor = factory.LazyAttribute(lambda o: o.option.price_minor)
    cost_minor = factory.LazyAttribute(lambda o: o.option.cost_minor)
    margin_minor = factory.LazyAttribute(lambda o: o.option.margin_minor)
    platform_fee_minor = factory.LazyAttribute(lambda o: o.option.platform_fee_minor)
    currency = "EUR"
    promised_delivery_at = factory.LazyAttribute(lambda o: o.option.delivery_at)
    pay_by = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
