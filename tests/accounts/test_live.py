"""The per-user live channel on the embedded default (in-memory layer)."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from config.live import publish, user_group
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def _connect(client, user=None):
    headers = [(b"origin", b"http://testserver")]
    if user is not None:
        await sync_to_async(client.force_login)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_anonymous_sockets_are_closed(client):
    _, connected, code = await _connect(client)
    assert not connected
    assert code == 4401


async def test_a_user_receives_only_their_own_events(client):
    alice = await sync_to_async(UserFactory)()
    bob = await sync_to_async(UserFactory)()
    communicator, connected, _ = await _connect(client, alice)
    assert connected
    await sync_to_async(publish)(user_group(bob.pk), {"type": "note", "data": {"for": "bob"}})
    await sync_to_async(publish)(user_group(alice.pk), {"type": "note", "data": {"for": "alice"}})
    assert await communicator.receive_json_from(timeout=3) == {
        "type": "note",
        "data": {"for": "alice"},
    }
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_a_foreign_origin_is_refused(client):
    user = await sync_to_async(UserFactory)()
    await sync_to_async(client.force_login)(user)
    communicator = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[
            (b"origin", b"http://evil.example"),
            (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        ],
    )
    connected, _ = await communicator.connect()
    assert not connected
