"""Hostile and odd messages through the whole intake: each gets a rejection or refusal with
a code and a reason the workshop can act on, never a crash of the intake ("internal"), and a
rejected message changes nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.network.models import Machine, MachineStatusChange
from marketplace.shopfloor import protocol
from marketplace.shopfloor.models import ProcessedEvent
from marketplace.shopfloor.services import event_ingest
from tests.factories import MachineFactory
from tests.helpers import workshop_of
from tests.marketplace.shopfloor.shopfloor_story import device_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob_device(workshop_bob):
    return device_of(workshop_bob, MachineFactory(workshop=workshop_of(workshop_bob)))


def _signed(device, topic: str, text: str) -> bytes:
    signature = protocol.sign(device.secret, topic, text.encode())
    return json.dumps({"key": device.key_id, "sig": signature, "body": text}).encode()


def _body(**fields) -> str:
    return json.dumps(
        {"event_id": str(uuid.uuid4()), "machine_time": datetime.now(UTC).isoformat(), **fields}
    )


def _assert_untouched(machine: Machine) -> None:
    machine.refresh_from_db()
    assert machine.status == Machine.Status.AVAILABLE
    assert not MachineStatusChange.objects.filter(machine=machine).exists()
    assert not ProcessedEvent.objects.exists()


@pytest.mark.parametrize("machine_part", ["²", "١٢", "1" * 40])
def test_a_machine_id_that_is_not_a_plain_number_is_a_bad_topic(bob_device, machine_part):
    topic = f"cf/{bob_device.slug}/machines/{machine_part}/status"
    result = event_ingest(topic=topic, payload=_signed(bob_device, topic, _body(status="down")))
    assert (result.outcome, result.code) == ("rejected", "bad_topic")
    assert machine_part[:20] in result.reason
    _assert_untouched(bob_device.machine)


@pytest.mark.parametrize("where", ["envelope", "body"])
def test_deeply_nested_json_is_bad_json(bob_device, where):
    nested = "[" * 5000 + "]" * 5000
    topic = bob_device.topic("status")
    payload = nested.encode() if where == "envelope" else _signed(bob_device, topic, nested)
    result = event_ingest(topic=topic, payload=payload)
    assert (result.outcome, result.code) == ("rejected", "bad_json")
    _assert_untouched(bob_device.machine)


def test_a_counter_too_large_for_a_number_is_a_bad_field(bob_device):
    topic = bob_device.topic("counters")
    result = event_ingest(
        topic=topic, payload=_signed(bob_device, topic, _body(counters={"parts": 10**400}))
    )
    assert (result.outcome, result.code) == ("rejected", "bad_field")
    assert "parts" in result.reason
    assert not ProcessedEvent.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("machine_time", "0001-01-01T00:00:00+05:00"),
        ("until", "9999-12-31T23:59:59-05:00"),
    ],
)
def test_a_time_beyond_the_calendar_in_utc_is_a_bad_field(bob_device, field, value):
    topic = bob_device.topic("status")
    body = json.loads(_body(status="down"))
    body[field] = value
    result = event_ingest(topic=topic, payload=_signed(bob_device, topic, json.dumps(body)))
    assert (result.outcome, result.code) == ("rejected", "bad_field")
    assert field in result.reason
    _assert_untouched(bob_device.machine)


@pytest.mark.parametrize("fields", [{"note": "Alarm\x00 2041"}, {"reason": "\x00"}])
def test_a_nul_character_in_a_text_is_a_bad_field(bob_device, fields):
    """PostgreSQL cannot store it, and the REST API refuses it too."""
    kind = "status" if "note" in fields else "progress"
    extra = {"status": "down"} if kind == "status" else {"percent": 5}
    topic = bob_device.topic(kind)
    result = event_ingest(topic=topic, payload=_signed(bob_device, topic, _body(**extra, **fields)))
    assert (result.outcome, result.code) == ("rejected", "bad_field")
    _assert_untouched(bob_device.machine)


def test_a_nul_character_in_a_counter_name_is_a_bad_field(bob_device):
    topic = bob_device.topic("counters")
    result = event_ingest(
        topic=topic, payload=_signed(bob_device, topic, _body(counters={"a\x00": 1}))
    )
    assert (result.outcome, result.code) == ("rejected", "bad_field")


_VALID = {
    "status": {"status": "down", "note": "Alarm", "until": "2099-01-01T00:00:00Z"},
    "progress": {"percent": 5, "note": "", "reason": "", "done": False},
    "counters": {"counters": {"parts": 1}},
}
_hostile = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "\x00", "2026-12-01T06:00Z"]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=8), st.integers(min_value=-(10**400), max_value=10**400)),
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), kind=st.sampled_from(protocol.KINDS))
def test_any_signed_body_gets_an_answer_with_a_code_never_an_internal_failure(
    bob_device, data, kind
):
    """A valid body of the kind with one field (or a counter) replaced by something odd."""
    body = {"event_id": str(uuid.uuid4()), "machine_time": datetime.now(UTC).isoformat()}
    body |= _VALID[kind]
    field = data.draw(st.sampled_from([*body, "job", "expected_end"]), label="field")
    value = data.draw(_hostile, label="value")
    if field == "counters" and data.draw(st.booleans(), label="inside"):
        value = {data.draw(st.text(max_size=70), label="name"): value}
    body[field] = value
    topic = bob_device.topic(kind)
    result = event_ingest(topic=topic, payload=_signed(bob_device, topic, json.dumps(body)))
    assert result.outcome in ("applied", "stale", "refused", "rejected")
    assert result.outcome in ("applied", "stale") or (result.code and result.reason)
