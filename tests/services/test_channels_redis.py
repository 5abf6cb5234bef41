"""Channels through Redis: an event published by any process reaches the user's websocket."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator

from config.asgi import application
from config.live import publish, user_group

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_layer(settings, redis_url):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


async def test_a_published_event_reaches_the_users_socket_through_redis(redis_layer, client):
    from tests.factories import UserFactory

    user = await sync_to_async(UserFactory)()
    await sync_to_async(client.force_login)(user)
    cookie = client.cookies["sessionid"].value
    communicator = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[(b"cookie", f"sessionid={cookie}".encode()), (b"origin", b"http://testserver")],
    )
    connected, _ = await communicator.connect()
    assert connected
    await sync_to_async(publish)(user_group(user.pk), {"type": "order.paid", "data": {"order": 7}})
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "order.paid",
        "data": {"order": 7},
    }
    await communicator.disconnect()
