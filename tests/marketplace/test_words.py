"""Pages show money and states in words: never cents, never internal keys."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from marketplace.orders.models import OrderEvent

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load money %}" + source).render(Context(context))


def test_an_hourly_rate_in_minor_units_reads_as_euros_per_hour():
    assert render("{{ rate|money:'EUR' }}/h", rate=9690) == "96.90 EUR/h"
    assert render("{{ fee|money:'EUR' }}", fee=1200) == "12.00 EUR"
    assert render("{{ fee|money:'JPY' }}", fee=1200) == "1,200 JPY"


def test_quote_labels_read_as_words():
    assert render("{{ label|option_label }}", label="lowest_co2") == "Lowest CO2"
    assert render("{{ labels|option_labels }}", labels=["cheapest", "balanced"]) == (
        "Cheapest, Balanced"
    )


def test_a_timeline_status_reads_as_words():
    assert OrderEvent(to_status="in_production").to_status_label == "In production"
    assert OrderEvent(to_status="placed").to_status_label == "Awaiting payment"


def test_no_template_shows_cents():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = [p.name for p in root.rglob("*.html") if "¢" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_the_workshop_dashboard_shows_rates_in_euros(client, workshop_bob):
    from django.urls import reverse

    from tests.factories import MachineFactory
    from tests.helpers import workshop_of

    MachineFactory(workshop=workshop_of(workshop_bob), hourly_rate_minor=9690)
    client.force_login(workshop_bob)
    page = client.get(reverse("dashboard")).content.decode()
    assert "96.90 EUR/h" in page
    assert "¢" not in page


def test_the_carrier_dashboard_shows_its_tariff_in_euros(client):
    from django.urls import reverse

    from accounts.models import Organization
    from marketplace.network.models import CarrierRate
    from tests.factories import CarrierFactory, MembershipFactory, OrganizationFactory, UserFactory

    organization = OrganizationFactory(kind=Organization.Kind.LOGISTICS)
    carrier = CarrierFactory(organization=organization)
    CarrierRate.objects.create(carrier=carrier, upto_km=150, parcel_minor=690, pallet_minor=6900)
    user = UserFactory()
    MembershipFactory(user=user, organization=organization)
    client.force_login(user)
    page = client.get(reverse("dashboard")).content.decode()
    assert "6.90 EUR" in page
    assert "69.00 EUR" in page
    assert "¢" not in page
