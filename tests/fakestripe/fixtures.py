"""Pytest fixtures for the fake Stripe: one server per session, a clean slate per test."""

from collections.abc import Iterator

import pytest
import stripe

from tests.fakestripe.server import FakeStripe, running_fake_stripe


@pytest.fixture(scope="session")
def fake_stripe_server() -> Iterator[FakeStripe]:
    """The running fake, shared by the whole session (starting it costs ~50 ms)."""
    with running_fake_stripe() as fake:
        yield fake


@pytest.fixture
def fake_stripe(fake_stripe_server: FakeStripe) -> FakeStripe:
    """The fake with no objects, events, webhook endpoints or injected failures."""
    fake_stripe_server.reset()
    return fake_stripe_server


@pytest.fixture
def stripe_client(fake_stripe: FakeStripe) -> stripe.StripeClient:
    """A real stripe.StripeClient pointed at the fake (no automatic retries)."""
    return fake_stripe.client()
