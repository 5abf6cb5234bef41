"""A bound on the HTTP requests inside Django at once, for an ASGI server.

Django runs each request's sync view in a thread of its own under ASGI (one executor per
request context), so daphne alone answers a burst of 200 clients with 200 threads, each with
its own database connection. Waiting here instead costs nothing: a waiting request is a
coroutine in the event loop, holding no thread and no connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BoundedConcurrency:
    """Lets at most `limit` calls into `app` run at once; the others wait in arrival order."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        if limit < 1:
            raise ValueError("the limit is at least one request")
        self.app = app
        self.limit = limit
        self._semaphores: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with self._semaphore():
            await self.app(scope, receive, send)

    def _semaphore(self) -> asyncio.Semaphore:
        # One per event loop: a server has one, tests may start several.
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return semaphore
