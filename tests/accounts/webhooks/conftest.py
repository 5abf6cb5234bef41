import pytest


@pytest.fixture(autouse=True)
def _production_address_rule(settings):
    """Every webhook test starts from the production rule (no private addresses); the tests
    that talk to the receiver on 127.0.0.1 allow it themselves."""
    settings.WEBHOOKS_ALLOW_PRIVATE = False
