"""The job card a workshop works from and the leg card a carrier works from: what they show,
who may open them, and that the part file follows the design access rules."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.designs.models import DesignDownload
from marketplace.orders.models import Job
from marketplace.orders.work_cards import mass_text, part_weight_g
from tests.factories.work import order_in_production

pytestmark = pytest.mark.django_db


def page(client, user, url) -> tuple[int, str]:
    client.force_login(user)
    response = client.get(url)
    return response.status_code, response.content.decode()


def test_the_job_card_shows_what_the_shop_floor_needs(client, customer_alice, workshop_bob):
    story = order_in_production(customer_alice, workshop_bob)
    status, html = page(client, workshop_bob, reverse("job_detail", args=[story.job.pk]))
    assert status == 200
    for fact in ("Sensor bracket", "Precision (±0.05 mm)", "Al 6061", "20", "559 g"):
        assert fact in html
    assert "45.50" in html  # the pay for the job, in euros
    assert reverse("design_download", args=[story.job.line.revision_id]) in html
    assert reverse("design_preview", args=[story.job.line.revision_id]) in html


def test_a_workshop_downloads_the_part_from_its_job_card_and_the_owner_sees_it(
    client, customer_alice, workshop_bob
):
    story = order_in_production(customer_alice, workshop_bob)
    client.force_login(workshop_bob)
    response = client.get(reverse("design_download", args=[story.job.line.revision_id]))
    assert response.status_code == 200
    assert DesignDownload.objects.filter(revision=story.job.line.revision).count() == 1


def test_another_workshop_cannot_open_the_job_card(
    client, customer_alice, workshop_bob, workshop_charlie
):
    story = order_in_production(customer_alice, workshop_bob)
    status, _ = page(client, workshop_charlie, reverse("job_detail", args=[story.job.pk]))
    assert status == 404


def test_a_declined_job_closes_its_card_and_its_part_file(client, customer_alice, workshop_bob):
    """The order and its files are visible to a workshop only while it holds a step."""
    story = order_in_production(customer_alice, workshop_bob)
    Job.objects.filter(pk=story.job.pk).update(status=Job.Status.DECLINED)
    status, _ = page(client, workshop_bob, reverse("job_detail", args=[story.job.pk]))
    assert status == 404
    status, _ = page(
        client, workshop_bob, reverse("design_download", args=[story.job.line.revision_id])
    )
    assert status == 404
    assert not DesignDownload.objects.exists()


def test_the_leg_card_shows_addresses_parcel_and_time_windows(client, customer_alice, workshop_bob):
    story = order_in_production(customer_alice, workshop_bob)
    status, html = page(client, story.carrier_user, reverse("shipment_detail", args=[story.leg.pk]))
    assert status == 200
    request = story.order.option.request
    for fact in (request.ship_to_address, request.ship_to_city, story.leg.origin.city):
        assert fact in html
    assert "559 g" in html
    assert "53.0 × 43.6 × 30.0 mm" in html  # the bracket's box, longest side first
    assert story.leg.planned_departure.strftime("%a %-d %b %Y") in html
    assert story.leg.planned_arrival.strftime("%a %-d %b %Y") in html
    assert "Picked up" in html  # the carrier records the pick-up from its card


def test_a_stranger_cannot_open_a_leg_card(client, customer_alice, workshop_bob, workshop_charlie):
    story = order_in_production(customer_alice, workshop_bob)
    status, _ = page(client, workshop_charlie, reverse("shipment_detail", args=[story.leg.pk]))
    assert status == 404
    status, _ = page(client, workshop_charlie, reverse("shipment_detail", args=[10**9]))
    assert status == 404


def test_weights_read_like_a_parcel_label():
    assert part_weight_g(volume_mm3=10342.8, density_g_cm3="2.7", quantity=20) == 559
    assert part_weight_g(volume_mm3=None, density_g_cm3="2.7", quantity=20) is None
    assert mass_text(559) == "559 g"
    assert mass_text(12_449) == "12.4 kg"
    assert mass_text(None) == "not known"


def test_a_job_moved_to_another_workshop_stays_on_the_board_as_moved(
    client, customer_alice, workshop_bob, workshop_charlie
):
    """Before: after a re-plan moved an accepted job away, it vanished from the board."""
    from tests.factories.orders import JobFactory
    from tests.helpers import workshop_of

    story = order_in_production(customer_alice, workshop_bob)
    Job.objects.filter(pk=story.job.pk).update(status=Job.Status.SUPERSEDED)
    JobFactory(order=story.order, workshop=workshop_of(workshop_charlie), line=story.job.line)
    _, html = page(client, workshop_bob, reverse("job_board"))
    assert f'data-testid="moved-{story.job.pk}"' in html
    same_shop = JobFactory(order=story.order, workshop=workshop_of(workshop_bob), sequence=1)
    Job.objects.filter(pk=same_shop.pk).update(status=Job.Status.SUPERSEDED)
    JobFactory(order=story.order, workshop=workshop_of(workshop_bob), sequence=1)
    _, html = page(client, workshop_bob, reverse("job_board"))
    assert f'data-testid="moved-{same_shop.pk}"' not in html  # re-offered here: not "moved"


def test_the_order_map_follows_the_plan_after_a_re_plan(client, customer_alice, workshop_bob):
    """Before: the map drew the quote's route, so a re-planned order showed the old workshop."""
    story = order_in_production(customer_alice, workshop_bob)
    from tests.factories import WorkshopFactory
    from tests.factories.orders import JobFactory

    story.order.option.route = {"workshop_ids": [], "legs": [], "steps": []}
    story.order.option.save()
    newcomer = WorkshopFactory(city="Zwolle", country="NL")
    Job.objects.filter(pk=story.job.pk).update(status=Job.Status.SUPERSEDED)
    JobFactory(order=story.order, workshop=newcomer, line=story.job.line)
    _, html = page(client, customer_alice, reverse("order_detail", args=[story.order.pk]))
    assert "Zwolle" in html
    assert story.job.workshop.city not in html.split("Route of this option")[-1].split("</svg>")[0]


@settings(max_examples=200, deadline=None)
@given(
    volume=st.floats(min_value=0.001, max_value=5e7, allow_nan=False),
    density=st.decimals(min_value="0.5", max_value="22", places=3),
    quantity=st.integers(min_value=1, max_value=10_000),
)
def test_a_parcel_weighs_what_its_parts_weigh_to_the_gram(volume, density, quantity):
    """Rounded once for the whole quantity: never more than half a gram from the exact mass,
    and one more part never makes the parcel lighter."""
    exact = Decimal(str(volume)) / 1000 * density * quantity
    weight = part_weight_g(volume_mm3=volume, density_g_cm3=density, quantity=quantity)
    assert abs(weight - exact) <= Decimal("0.5")
    more = part_weight_g(volume_mm3=volume, density_g_cm3=density, quantity=quantity + 1)
    assert more >= weight


moments = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2027, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))]),
)


@settings(max_examples=100, deadline=None)
@given(
    steps=st.lists(
        st.tuples(moments, st.integers(1, 600), st.one_of(st.none(), st.integers(0, 10**7))),
        max_size=8,
    ),
    legs=st.lists(st.tuples(moments, st.integers(60, 5 * 1440)), max_size=4),
)
def test_the_gantt_has_every_step_and_leg_once_in_time_order(steps, legs):
    """Each step and leg becomes one row, rows run in time order, and a price withheld from
    the viewer (None) stays withheld."""
    from marketplace.orders.selectors import gantt_for

    step_dicts = [
        {
            "name": f"step {i}",
            "workshop_name": "W",
            "machine_name": "M",
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=minutes)).isoformat(),
            "cost_minor": cost,
        }
        for i, (start, minutes, cost) in enumerate(steps)
    ]
    leg_dicts = [
        {
            "carrier_name": "C",
            "depart": start.isoformat(),
            "arrive": (start + timedelta(minutes=minutes)).isoformat(),
            "km": 100,
        }
        for start, minutes in legs
    ]
    rows = gantt_for(steps=step_dicts, legs=leg_dicts, currency="EUR")["rows"]
    assert len(rows) == len(steps) + len(legs)
    starts = [datetime.fromisoformat(row["start"]) for row in rows]
    assert starts == sorted(starts)
    priced = {row["name"]: row["cost_minor"] for row in rows if row["kind"] == "step"}
    assert priced == {f"step {i}": cost for i, (_, _, cost) in enumerate(steps)}
    assert all(row["cost_minor"] is None for row in rows if row["kind"] == "leg")


def test_the_customers_timeline_names_people_not_their_addresses(
    client, customer_alice, workshop_bob
):
    """Hostile review: a shop-floor account without a name showed its e-mail address to the
    customer ("— shopfloor+praha-additive@..."); people without a name are left unnamed."""
    from marketplace.orders.models import OrderEvent
    from tests.factories import UserFactory

    story = order_in_production(customer_alice, workshop_bob)
    machine_account = UserFactory(email="shopfloor+mill@example.com", full_name="")
    named = UserFactory(email="anna.k@example.com", full_name="Anna Keller")
    for actor in (machine_account, named):
        OrderEvent.objects.create(
            order=story.job.order,
            to_status=story.job.order.status,
            kind="job",
            actor=actor,
            role="workshop",
            reason=f"Step news by {actor.pk}",
        )
    status, html = page(client, customer_alice, reverse("order_detail", args=[story.job.order_id]))
    assert status == 200
    assert "Step news" in html
    assert "shopfloor+mill@example.com" not in html
    assert "— Anna" in html
