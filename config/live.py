"""Live updates: services publish events after commit; consumers forward them to browsers."""

from typing import Any, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


class LiveEvent(TypedDict):
    """What a browser receives: a dotted type (`design.analysed`) and its data."""

    type: str
    data: dict[str, Any]


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def publish(group: str, event: LiveEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, {"type": "live.event", "event": event})


def publish_on_commit(group: str, event: LiveEvent) -> None:
    """Publish only once the data the event describes is visible to everyone."""
    transaction.on_commit(lambda: publish(group, event))


def publish_to_users_on_commit(user_ids: list[int], event: LiveEvent) -> None:
    """The same event, after commit, to each user's own channel (e.g. an organization's members)."""
    ids = list(user_ids)
    transaction.on_commit(lambda: [publish(user_group(user_id), event) for user_id in ids])
