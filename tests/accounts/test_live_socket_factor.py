"""The live channel closes with 4403 for an operator whose session has not answered a second
factor; everyone else, and operators who answered it, are let in."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from accounts.consumers import SECOND_FACTOR_UNANSWERED
from config.asgi import application
from tests.factories import PASSWORD
from tests.helpers import TEST_TOTP_SECRET, totp_code

pytestmark = pytest.mark.django_db(transaction=True)


async def _connect(client):
    headers = [
        (b"origin", b"http://testserver"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, code = await communicator.connect()
    if connected:
        await communicator.disconnect()
    return connected, code


def _sign_in_with_code(client, user) -> None:
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    answered = client.post(reverse("mfa_authenticate"), {"code": totp_code(TEST_TOTP_SECRET)})
    assert answered.status_code == 302


async def test_an_operator_session_without_an_answered_factor_is_closed(client, operator_olga):
    await sync_to_async(client.force_login)(operator_olga)
    connected, code = await _connect(client)
    assert not connected
    assert code == SECOND_FACTOR_UNANSWERED == 4403


async def test_an_operator_who_answered_the_factor_is_let_in(client, operator_olga):
    await sync_to_async(_sign_in_with_code)(client, operator_olga)
    connected, _ = await _connect(client)
    assert connected


async def test_a_customer_needs_no_answered_factor(client, customer_alice):
    await sync_to_async(client.force_login)(customer_alice)
    connected, _ = await _connect(client)
    assert connected


async def test_the_rule_switched_off_lets_operators_in(client, operator_olga, settings):
    settings.MFA_REQUIRED_FOR_OPERATORS = False
    await sync_to_async(client.force_login)(operator_olga)
    connected, _ = await _connect(client)
    assert connected
