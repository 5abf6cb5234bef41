"""Signatures: whatever is signed verifies (our code and the example receiver's); changes fail."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.webhooks import signing
from tests.accounts.webhooks.receiver import example_receiver_module

example = example_receiver_module()

secrets = st.text(min_size=1, max_size=80)
bodies = st.binary(max_size=2000)
timestamps = st.integers(min_value=1, max_value=2**40)


@settings(max_examples=200, deadline=None)
@given(secret=secrets, body=bodies, timestamp=timestamps)
def test_any_body_secret_and_time_signs_and_verifies(secret, body, timestamp):
    header = signing.header_value(secrets=[secret], timestamp=timestamp, body=body)
    assert signing.verify(header=header, body=body, secret=secret, now=timestamp) == timestamp
    assert example.verify_signature(header, body, secret, now=timestamp) == timestamp


@settings(max_examples=200, deadline=None)
@given(
    secret=secrets,
    body=bodies,
    timestamp=timestamps,
    position=st.integers(min_value=0),
    flip=st.integers(min_value=1, max_value=255),
)
def test_any_changed_byte_of_the_body_fails(secret, body, timestamp, position, flip):
    header = signing.header_value(secrets=[secret], timestamp=timestamp, body=body)
    if body:
        index = position % len(body)
        tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    else:
        tampered = bytes([flip])
    with pytest.raises(signing.SignatureError):
        signing.verify(header=header, body=tampered, secret=secret, now=timestamp)
    with pytest.raises(example.InvalidSignature):
        example.verify_signature(header, tampered, secret, now=timestamp)


@settings(max_examples=100, deadline=None)
@given(secret=secrets, other=secrets, body=bodies, timestamp=timestamps)
def test_another_secret_fails(secret, other, body, timestamp):
    if other == secret:
        return
    header = signing.header_value(secrets=[secret], timestamp=timestamp, body=body)
    with pytest.raises(signing.SignatureError):
        signing.verify(header=header, body=body, secret=other, now=timestamp)
    with pytest.raises(example.InvalidSignature):
        example.verify_signature(header, body, other, now=timestamp)


@settings(max_examples=100, deadline=None)
@given(
    secret=secrets,
    body=bodies,
    timestamp=st.integers(min_value=10**9, max_value=2**40),
    shift=st.integers(min_value=1, max_value=10**6),
    signed_time_changed=st.booleans(),
)
def test_a_changed_or_stale_timestamp_fails(secret, body, timestamp, shift, signed_time_changed):
    header = signing.header_value(secrets=[secret], timestamp=timestamp, body=body)
    if signed_time_changed:  # the attacker rewrites t= to look fresh
        header = header.replace(f"t={timestamp}", f"t={timestamp + shift}", 1)
        now = timestamp + shift
    else:  # a replay after the window
        now = timestamp + signing.TOLERANCE_SECONDS + shift
    with pytest.raises(signing.SignatureError):
        signing.verify(header=header, body=body, secret=secret, now=now)
    with pytest.raises(example.InvalidSignature):
        example.verify_signature(header, body, secret, now=now)


def test_within_five_minutes_either_way_a_signature_is_accepted():
    header = signing.header_value(secrets=["s"], timestamp=1_000_000, body=b"{}")
    for now in (1_000_000 - 300, 1_000_000 + 300):
        assert example.verify_signature(header, b"{}", "s", now=now) == 1_000_000
    for now in (1_000_000 - 301, 1_000_000 + 301):
        with pytest.raises(example.InvalidSignature):
            example.verify_signature(header, b"{}", "s", now=now)


@pytest.mark.parametrize("header", ["", "t=1", "v1=ab", "t=x,v1=ab", "garbage"])
def test_a_malformed_header_is_refused(header):
    with pytest.raises(signing.SignatureError):
        signing.verify(header=header, body=b"{}", secret="s", now=1)
