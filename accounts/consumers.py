"""The per-user live channel: notifications and events meant for one person."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.second_factor import operator_session_unanswered
from config.live import user_group

# Close codes (4000-4999 are the application's): as HTTP's 401 and 403.
NOT_SIGNED_IN = 4401
SECOND_FACTOR_UNANSWERED = 4403


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Authenticates, joins the user's group and forwards events; holds no logic of its own."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_SIGNED_IN)
            return
        if await database_sync_to_async(operator_session_unanswered)(
            user=user, session=self.scope.get("session", {})
        ):
            await self.close(code=SECOND_FACTOR_UNANSWERED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def live_event(self, message: dict) -> None:
        await self.send_json(message["event"])
