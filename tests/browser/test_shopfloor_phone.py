"""The shop floor on a phone: what machines say (a note of one unbroken word, 32 long counter
names) and a long key name wrap within the screen instead of stretching the page's tables."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from accounts.models import User
from accounts.selectors import active_membership
from marketplace.network.selectors import workshop_for_organization
from marketplace.shopfloor import protocol
from marketplace.shopfloor.services import device_key_create, event_ingest
from tests.browser.helpers import screenshot
from tests.browser.phone_story import PHONE, open_and_check, seed_demo_for, signed_in

BOB = "bob@demo.cloudfactory.example"


def _send(slug, key, secret, machine, kind, **fields):
    topic = protocol.topic_for(slug, machine.pk, kind)
    body = {"event_id": str(uuid.uuid4()), "machine_time": datetime.now(UTC).isoformat(), **fields}
    payload = protocol.envelope_encode(key_id=key.key_id, secret=secret, topic=topic, body=body)
    # In a thread of its own: Playwright's event loop runs in this one, and the intake's
    # live updates go through async_to_sync.
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(event_ingest, topic=topic, payload=payload).result()
    assert result.outcome == "applied"


def test_long_machine_texts_wrap_on_a_phone(chromium, live_site, transactional_db, settings):
    seed_demo_for(live_site, settings)
    bob = User.objects.get(email=BOB)
    organization = active_membership(user=bob).organization
    workshop = workshop_for_organization(organization=organization)
    key, secret = device_key_create(user=bob, workshop=workshop, name="Hall-2-Pi-" + "x" * 90)
    first, second = workshop.machines.order_by("name")[:2]
    _send(organization.slug, key, secret, first, "status", status="down", note="W" * 255)
    counters = {f"spindle_hours_{'x' * 40}_{i}": 10**15 + i for i in range(32)}
    _send(organization.slug, key, secret, second, "counters", counters=counters)

    visit = signed_in(chromium, live_site, BOB, PHONE)
    open_and_check(visit, "/shopfloor/", max_width=PHONE["width"])
    screenshot(visit.page, "phone-shopfloor")
    widths = visit.page.evaluate(
        """() => [...document.querySelectorAll('main table')].map(t => t.scrollWidth)"""
    )
    # Eight columns may scroll sideways, but no single text may set the width: a few screens.
    assert max(widths) <= 3 * PHONE["width"], widths
    visit.page.context.close()
