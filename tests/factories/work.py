"""One order in production for the dashboards' and the work cards' tests: Alice's bracket
(20 in aluminium, precision tolerance), milled by Bob's workshop, carried by Carla's carrier to
Alice."""

from dataclasses import dataclass

from accounts.models import Organization
from marketplace.orders.models import Job, Order, Shipment
from tests.factories import CarrierFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.orders import JobFactory, QuoteLineFactory, QuoteOptionFactory, ShipmentFactory
from tests.helpers import organization_of, workshop_of


@dataclass
class WorkStory:
    order: Order
    job: Job
    leg: Shipment
    carrier_user: object


def carrier_carla():
    """A carrier's member and its carrier terms."""
    organization = OrganizationFactory(name="EuroParcel Express", kind=Organization.Kind.LOGISTICS)
    user = UserFactory(email="carla@example.com")
    MembershipFactory(user=user, organization=organization)
    return user, CarrierFactory(organization=organization)


def order_in_production(customer, workshop_user, *, status: str = "paid") -> WorkStory:
    """Alice's order with Bob's accepted milling job and the planned leg to Alice."""
    line = QuoteLineFactory(
        request__organization=organization_of(customer),
        revision__design__name="Sensor bracket",
        quantity=20,
        tolerance="precision",
    )
    option = QuoteOptionFactory(request=line.request)
    order = Order.objects.create(
        option=option,
        organization=organization_of(customer),
        reference=f"CF-WORK-{option.pk:05d}",
        status=status,
        price_minor=option.price_minor,
        cost_minor=option.cost_minor,
        margin_minor=option.margin_minor,
        platform_fee_minor=option.platform_fee_minor,
        currency="EUR",
        promised_delivery_at=option.delivery_at,
        pay_by=option.delivery_at,
    )
    workshop = workshop_of(workshop_user)
    job = JobFactory(
        order=order, workshop=workshop, line=line, status=Job.Status.ACCEPTED, cost_minor=4550
    )
    carrier_user, carrier = carrier_carla()
    leg = ShipmentFactory(order=order, origin=workshop, destination=None, carrier=carrier)
    return WorkStory(order=order, job=job, leg=leg, carrier_user=carrier_user)
