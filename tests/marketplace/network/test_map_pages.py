"""Pages with a map stay small and cheap: the coastlines are one cached image per view."""

from __future__ import annotations

import gzip

import pytest
from django.urls import reverse

from marketplace.network.basemap import MapProjection, basemap_svg
from tests.factories import CertificationFactory, MachineFactory, WorkshopFactory

# Eleven verified workshops with a machine and a certificate each, the filters' catalog and
# the navigation: about 10 kB (106 kB with the outlines inline) and this many queries, the
# listing coming from the cache (tests/marketplace/test_page_queries.py pins the empty cache).
NETWORK_PAGE_MAX_BYTES = 20_000
NETWORK_PAGE_QUERIES = 7  # the memberships read once per request (the second-factor rule too)


@pytest.fixture
def eleven_workshops(catalog):
    for n in range(11):
        workshop = WorkshopFactory(organization__name=f"Workshop {n}")
        workshop.certifications.add(CertificationFactory(code="iso-9001"))
        MachineFactory(workshop=workshop, process=catalog["cnc"])


def test_the_network_page_is_small_and_its_queries_are_pinned(
    client, customer_alice, eleven_workshops, django_assert_num_queries
):
    client.force_login(customer_alice)
    client.get(reverse("network"))  # the session and the basemap warmed up
    with django_assert_num_queries(NETWORK_PAGE_QUERIES):
        response = client.get(reverse("network"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<circle class="workshop"') == 11
    assert page.count('<image class="basemap"') == 1
    assert len(response.content) < NETWORK_PAGE_MAX_BYTES, len(response.content)


def test_the_basemap_is_served_once_per_view_for_browsers_to_keep(client, db):
    projection = MapProjection.fit([(52.52, 13.405), (45.76, 4.84)])
    url = reverse("network_basemap", args=[projection.key])
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "public" in response["Cache-Control"]
    assert "max-age=86400" in response["Cache-Control"]
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content).decode() == basemap_svg(projection)
    assert len(response.content) < len(basemap_svg(projection)) / 2


def test_the_basemap_needs_no_database(client, db, django_assert_num_queries):
    key = MapProjection.fit([(52.52, 13.405)]).key
    with django_assert_num_queries(0):
        assert client.get(reverse("network_basemap", args=[key])).status_code == 200


@pytest.mark.parametrize("key", ["-11.25_35_32_61_1000", "0_0_0_0_0", "nonsense"])
def test_a_view_the_site_would_not_draw_is_not_found(client, db, key):
    assert client.get(reverse("network_basemap", args=[key])).status_code == 404


def test_a_workshop_page_shows_its_map_by_address(client, customer_alice, eleven_workshops):
    client.force_login(customer_alice)
    workshop = WorkshopFactory(organization__name="Lyon Additive", city="Lyon")
    response = client.get(reverse("workshop_detail", args=[workshop.pk]))
    page = response.content.decode()
    assert page.count('<image class="basemap" href="/network/basemap/') == 1
    assert 'class="country"' not in page
