"""Factories for quotes, orders, their jobs and shipments; an order here needs no solver,
only a stored route, and its jobs and legs are planned by hand for next week."""

from datetime import timedelta

import factory
from django.utils import timezone

from marketplace.orders.models import Job, Order, QuoteLine, QuoteOption, QuoteRequest, Shipment
from tests.factories import (
    CarrierFactory,
    MachineFactory,
    MaterialFactory,
    OrganizationFactory,
    WorkshopFactory,
)
from tests.factories.designs import DesignRevisionFactory
from tests.helpers import at


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


class QuoteLineFactory(factory.django.DjangoModelFactory):
    """One part of a quote request: a design of the requesting organization, in aluminium."""

    class Meta:
        model = QuoteLine

    request = factory.SubFactory(QuoteRequestFactory)
    revision = factory.SubFactory(
        DesignRevisionFactory, design__organization=factory.SelfAttribute("...request.organization")
    )
    material = factory.SubFactory(MaterialFactory, code="al-6061")
    quantity = 1


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


class JobFactory(factory.django.DjangoModelFactory):
    """Step `sequence` of line-1, offered to a machine of `workshop`, planned from 08:00 to
    10:00 `sequence` days after next Monday. Pass `workshop` along with `machine`."""

    class Meta:
        model = Job

    order = factory.SubFactory(OrderFactory)
    workshop = factory.SubFactory(WorkshopFactory)
    machine = factory.SubFactory(MachineFactory, workshop=factory.SelfAttribute("..workshop"))
    process = factory.LazyAttribute(lambda o: o.machine.process)
    job_key = "line-1"
    sequence = 0
    step_key = factory.LazyAttribute(lambda o: f"step-{o.sequence}")
    name = factory.LazyAttribute(lambda o: f"Step {o.sequence}")
    planned_start = factory.LazyAttribute(lambda o: at(o.sequence, 8))
    planned_end = factory.LazyAttribute(lambda o: o.planned_start + timedelta(hours=2))
    accept_by = factory.LazyAttribute(lambda o: o.planned_start)
    status = Job.Status.OFFERED
    cost_minor = 4000


class ShipmentFactory(factory.django.DjangoModelFactory):
    """A planned leg of line-1 leaving next Monday at 12:00, a day on the road;
    `destination=None` makes it the leg to the customer."""

    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory)
    job_key = "line-1"
    origin = factory.SubFactory(WorkshopFactory)
    destination = factory.SubFactory(WorkshopFactory, city="Nuremberg")
    carrier = factory.SubFactory(CarrierFactory)
    planned_departure = factory.LazyFunction(lambda: at(0, 12))
    planned_arrival = factory.LazyAttribute(lambda o: o.planned_departure + timedelta(days=1))
    km = 500
    cost_minor = 1900
    co2_g = 125000
