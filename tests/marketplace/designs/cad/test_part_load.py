"""Making parts in the web process is bounded: a burst of previews cannot start a CAD parent
(hundreds of MB each) per request thread, nor hold every thread of the server for long."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from marketplace.designs import parts
from marketplace.designs.models import Design
from tests.helpers import api_client_for
from tests.marketplace.designs.cad.part_network import add_printer

pytestmark = pytest.mark.django_db


@override_settings(PART_GENERATIONS_AT_ONCE=1, PART_GENERATION_WAIT_SECONDS=0.2)
def test_when_every_slot_is_busy_a_part_is_refused_quickly_with_a_message_and_nothing_stored(
    customer_alice,
):
    client = api_client_for(customer_alice)
    with parts.generation_slot():
        started = time.monotonic()
        for path in ("preview", "designs"):
            response = client.post(
                f"/api/v1/part-templates/spacer/{path}/",
                {"parameters": {"length": 21.5}},
                format="json",
            )
            assert response.status_code == 503, response.content
            error = response.json()["error"]
            assert error["code"] == "parts_busy"
            assert "try again" in error["message"]
        assert time.monotonic() - started < 5
    assert not Design.objects.exists()
    response = client.post(
        "/api/v1/part-templates/spacer/preview/", {"parameters": {"length": 21.5}}, format="json"
    )
    assert response.status_code == 200, response.content


@override_settings(PART_GENERATIONS_AT_ONCE=2, PART_GENERATION_WAIT_SECONDS=0.2)
def test_one_caller_holds_one_slot_so_others_still_get_their_parts(customer_alice):
    """Typing fast sends previews before the last one is back: the second waits for the
    first instead of taking the slot another customer's preview needs."""
    client = api_client_for(customer_alice)
    with parts.generation_slot(owner=customer_alice.pk):
        response = client.post(
            "/api/v1/part-templates/spacer/preview/",
            {"parameters": {"length": 23.5}},
            format="json",
        )
        assert response.status_code == 503, response.content
        with parts.generation_slot(owner=customer_alice.pk + 1):
            pass  # someone else still gets the second slot
    response = client.post(
        "/api/v1/part-templates/spacer/preview/", {"parameters": {"length": 23.5}}, format="json"
    )
    assert response.status_code == 200, response.content


@override_settings(PART_GENERATIONS_AT_ONCE=2)
def test_the_slots_are_counted_and_given_back():
    with (
        parts.generation_slot(),
        parts.generation_slot(),
        override_settings(PART_GENERATION_WAIT_SECONDS=0),
        pytest.raises(parts.PartsBusy),
        parts.generation_slot(),
    ):
        pass
    with parts.generation_slot(), parts.generation_slot():
        pass  # both were given back, also after the refusal


def test_no_price_is_shown_for_a_process_the_part_s_own_rules_refuse(customer_alice, small_network):
    """A 0.8 mm hole is below what FDM can make: the findings say so, and the price list must
    not offer FDM anyway (it did: the matcher prices the material's route, not the rules)."""
    add_printer(small_network["stuttgart"])
    client = api_client_for(customer_alice)
    response = client.post(
        "/api/v1/part-templates/bracket/preview/?prices=1",
        {"parameters": {"hole_diameter": 0.8, "holes_per_leg": 2}},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    refused = {f["process"] for f in body["findings"] if f["severity"] == "error"}
    assert "fdm" in refused
    priced = {p["process"] for p in body["prices"]}
    assert priced, "the mills still price it"
    assert not priced & refused
