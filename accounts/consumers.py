"""The per-user live channel: notifications and events meant for one person."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from config.live import user_group


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Authenticates, joins the user's group and forwards events; holds no logic of its own."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def live_event(self, message: dict) -> None:
        await self.send_json(message["event"])
