"""The business checkout's set-up shared by the billing and quality tests: a quoted option of
the small network, its customer signed in, and a French buyer's billing details.

Loaded as a plugin by tests/conftest.py; plain values and fixtures, no tests.
"""

import pytest
from django.urls import reverse

from tests.helpers import EINDHOVEN, quote_bracket_and_gear

# A French company buying from the German platform, its goods sent to the Netherlands: an
# intra-Community supply, so reverse charge applies (goods kept in Germany would pay 19 %).
PARIS = {
    "company_name": "Acme Robotique SAS",
    "street": "Rue de Rivoli 1",
    "postcode": "75001",
    "city": "Paris",
    "country": "FR",
    "payment_method": "manual",
    "terms": "on",
}


def checkout_url(option) -> str:
    return reverse("order_checkout", args=[option.pk])


@pytest.fixture
def checkout_option(small_network, customer_alice):
    """The best option of a fresh bracket-and-gear quote of Alice's, through the real matcher,
    sent to Eindhoven."""
    return quote_bracket_and_gear(customer_alice, ship_to=EINDHOVEN).options.first()


@pytest.fixture
def checkout_client(client, customer_alice):
    """A test client signed in as Alice, the customer of ``checkout_option``."""
    client.force_login(customer_alice)
    return client
