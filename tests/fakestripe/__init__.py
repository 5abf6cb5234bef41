"""A local fake Stripe (localstripe extended with Connect) for tests; see server.py.

Fixtures live in ``tests.fakestripe.fixtures``; load them with
``pytest_plugins = ["tests.fakestripe.fixtures"]`` in the top-level conftest.
"""

from tests.fakestripe.server import API_KEY, WEBHOOK_SECRET, FakeStripe, running_fake_stripe, sign

__all__ = ["API_KEY", "WEBHOOK_SECRET", "FakeStripe", "running_fake_stripe", "sign"]
