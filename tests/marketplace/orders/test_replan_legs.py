"""A re-plan prices its new legs as the quote priced them: for what the order's parts weigh
and take up, not as one small parcel (``matcher.quote_load``)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from marketplace.demo.catalog import CARRIER_RATES
from marketplace.network.models import Carrier, CarrierRate, Material
from marketplace.network.snapshot import network_snapshot
from marketplace.orders import matcher
from marketplace.orders.jobs import job_decline
from marketplace.orders.models import Shipment
from matching.estimation import transport_leg
from matching.quote_answers import DesignAnalysis, quote_lines
from matching.quote_problem import QuoteQuery, build_problem
from matching.transport import SMALL_PARCEL
from tests.data.analyses import BRACKET
from tests.factories.orders import QuoteLineFactory
from tests.helpers import at
from tests.marketplace.orders.outage_story import live_jobs, mill, order_with, take_down

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_matcher")]

BATCH = 2000  # brackets: about 56 kg of aluminium, two parcels


@pytest.fixture
def parcel_tariff(small_network):
    """The small network's carrier sells parcels at the demo's Rhein Cargo tariff."""
    carrier = Carrier.objects.get(organization__name="Rhein Cargo")
    CarrierRate.objects.bulk_create(
        CarrierRate(carrier=carrier, upto_km=km, parcel_minor=parcel, pallet_minor=pallet)
        for km, parcel, pallet in CARRIER_RATES["Rhein Cargo"]
    )
    return carrier


def _heavy_order():
    """A paid order of a batch of brackets milled in Stuttgart (accepted, not started)."""
    order = order_with((mill("Stuttgart"), at(2, 8), 2, "accepted"), promised=at(12, 12))
    line = QuoteLineFactory(
        request=order.option.request,
        material=Material.objects.get(code="al-6061"),
        quantity=BATCH,
        revision__analysis=dict(BRACKET),
    )
    order.jobs.update(line=line)
    return order


def _quoted_legs(order):
    """What a quote of the order's parts prices each leg at: the quote's own problem
    (``build_problem``), its legs between workshops and its delivery legs."""
    snapshot = network_snapshot(origin=timezone.now())
    request = order.option.request
    input = matcher.quote_input_of(request)
    designs = {
        line.revision_id: DesignAnalysis(line.revision_id, "Bracket", line.revision.analysis)
        for line in request.lines.select_related("revision")
    }
    parts, _, reasons = quote_lines(input, snapshot, designs)
    assert not reasons
    query = QuoteQuery(tuple(parts), input.ship_to_lat, input.ship_to_lon)
    _, context = build_problem(query, snapshot.machines, snapshot.carriers)
    return context, snapshot


def _assert_priced_as_quoted(order) -> None:
    """Every planned leg costs and emits what the quote's problem prices it at, which for
    the batch is more than one small parcel."""
    legs = list(order.shipments.filter(status=Shipment.Status.PLANNED))
    assert legs
    context, snapshot = _quoted_legs(order)
    places = {m.workshop: (m.lat, m.lon) for m in snapshot.machines}
    ship_to = (float(order.request.ship_to_latitude), float(order.request.ship_to_longitude))
    for leg in legs:
        origin = str(leg.origin_id)
        if leg.destination_id is None:
            quoted, there = context.delivery[origin], ship_to
        else:
            quoted = context.legs[(origin, str(leg.destination_id))]
            there = places[str(leg.destination_id)]
        assert (leg.cost_minor, leg.co2_g) == (quoted.cost, quoted.co2)
        parcel = transport_leg(places[origin], there, snapshot.carriers, SMALL_PARCEL)
        assert leg.cost_minor >= 2 * parcel.cost  # two parcels, not one
        assert leg.co2_g > parcel.co2


def test_a_heavy_batch_replanned_after_an_outage_pays_its_legs_as_its_quote_would(
    small_network, parcel_tariff, django_capture_on_commit_callbacks
):
    order = _heavy_order()
    take_down([mill("Stuttgart")], small_network["bob"], django_capture_on_commit_callbacks)
    assert live_jobs(order).get().machine_id == mill("Eindhoven").pk
    _assert_priced_as_quoted(order)


def test_a_heavy_batch_replanned_after_a_decline_pays_its_legs_as_its_quote_would(
    small_network, parcel_tariff
):
    order = _heavy_order()
    job_decline(user=small_network["bob"], job=order.jobs.get(), reason="Spindle change")
    assert live_jobs(order).get().machine_id == mill("Eindhoven").pk
    _assert_priced_as_quoted(order)


def test_a_replan_of_an_order_without_parts_prices_one_small_parcel(
    small_network, parcel_tariff, django_capture_on_commit_callbacks
):
    order = order_with((mill("Stuttgart"), at(2, 8), 2, "accepted"), promised=at(12, 12))
    assert matcher.quote_load(order.option.request) == SMALL_PARCEL
    take_down([mill("Stuttgart")], small_network["bob"], django_capture_on_commit_callbacks)
    snapshot = network_snapshot(origin=timezone.now())
    places = {m.workshop: (m.lat, m.lon) for m in snapshot.machines}
    ship_to = (float(order.request.ship_to_latitude), float(order.request.ship_to_longitude))
    delivery = order.shipments.get(status=Shipment.Status.PLANNED, destination__isnull=True)
    parcel = transport_leg(places[str(delivery.origin_id)], ship_to, snapshot.carriers)
    assert (delivery.cost_minor, delivery.co2_g) == (parcel.cost, parcel.co2)
