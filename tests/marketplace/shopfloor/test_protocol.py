"""The message format, without a database: topics, signatures, bodies; the agent's signing and
the platform's checking agree byte for byte."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examples.edge_agent import signing
from marketplace.shopfloor import protocol
from marketplace.shopfloor.protocol import Rejected

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
TOPIC = "cf/mill-works/machines/12/status"


def _outcome(decode):
    """The decoded value, or the code of the rejection (every other exception propagates)."""
    try:
        return decode()
    except Rejected as refused:
        return refused.code


def _body(**fields) -> bytes:
    return json.dumps(
        {"event_id": str(uuid.uuid4()), "machine_time": NOW.isoformat(), **fields}
    ).encode()


@pytest.mark.parametrize(
    "topic",
    [
        "cf/mill-works/machines/x/status",
        "cf//machines/1/status",
        "cf/a/machines/1/temperature",
        "other/a/machines/1/status",
        "cf/a/machines/1/status/extra",
    ],
)
def test_topics_outside_the_tree_are_rejected(topic):
    with pytest.raises(Rejected) as refused:
        protocol.parse_topic(topic)
    assert refused.value.code == "bad_topic"


def test_a_topic_names_workshop_machine_and_kind():
    assert protocol.parse_topic(TOPIC) == protocol.Topic("mill-works", 12, "status")


@given(
    body=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=20), max_size=5),
    machine=st.integers(1, 10**6),
    secret=st.text(min_size=1, max_size=40),
)
def test_what_the_agent_signs_the_platform_verifies_and_one_changed_byte_fails(
    body, machine, secret
):
    topic = signing.topic_for("mill-works", machine, "counters")
    payload = signing.envelope(key_id="dk_1", secret=secret, topic=topic, body=body)
    envelope = protocol.envelope_decode(payload)
    assert protocol.signature_valid(secret, topic, envelope)
    assert json.loads(envelope.body) == body
    tampered = protocol.Envelope(envelope.key_id, envelope.signature, envelope.body + b" ")
    assert not protocol.signature_valid(secret, topic, tampered)
    assert not protocol.signature_valid(secret, topic.replace("counters", "status"), envelope)


@given(payload=st.binary(max_size=300))
def test_any_bytes_are_either_an_envelope_or_a_clear_rejection(payload):
    outcome = _outcome(lambda: protocol.envelope_decode(payload))
    assert isinstance(outcome, protocol.Envelope) or outcome in (
        "bad_json",
        "bad_envelope",
        "too_large",
    )


@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["status", "percent", "job", "done", "until", "counters", "note", "expected_end"]
        ),
        st.none()
        | st.booleans()
        | st.integers(-5, 200)
        | st.text(max_size=5)
        | st.floats(allow_nan=True),
        max_size=4,
    ),
    kind=st.sampled_from(protocol.KINDS),
)
def test_any_body_decodes_or_is_rejected_with_a_reason(fields, kind):
    outcome = _outcome(lambda: protocol.event_decode(_body(**fields), kind=kind, now=NOW))
    assert outcome == "bad_field" or outcome.kind == kind


def test_a_status_body_decodes_with_its_fields():
    until = (NOW + timedelta(hours=2)).isoformat()
    event = protocol.event_decode(
        _body(status="maintenance", note=" Bearings ", until=until), kind="status", now=NOW
    )
    assert (event.status, event.note, event.until) == (
        "maintenance",
        "Bearings",
        NOW + timedelta(hours=2),
    )


@pytest.mark.parametrize(
    ("fields", "kind", "code"),
    [
        ({"status": "broken"}, "status", "bad_field"),
        ({"percent": 101}, "progress", "bad_field"),
        ({"percent": True}, "progress", "bad_field"),
        ({"counters": {"parts": float("inf")}}, "counters", "bad_field"),
        ({"counters": {}}, "counters", "bad_field"),
    ],
)
def test_bad_fields_are_named(fields, kind, code):
    with pytest.raises(Rejected) as refused:
        protocol.event_decode(_body(**fields), kind=kind, now=NOW)
    assert refused.value.code == code


def test_a_naive_machine_time_is_rejected():
    body = json.dumps(
        {"event_id": str(uuid.uuid4()), "machine_time": "2026-12-01T06:00:00", "status": "down"}
    ).encode()
    with pytest.raises(Rejected, match="time zone"):
        protocol.event_decode(body, kind="status", now=NOW)


def test_the_protocol_and_the_edge_agent_import_no_django():
    code = (
        "import sys, marketplace.shopfloor.protocol, examples.edge_agent.agent, "
        "examples.edge_agent.uplink, examples.edge_agent.adapters; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
