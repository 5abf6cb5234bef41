"""Bounds on the HTTP requests inside Django at once and on their bodies, for an ASGI server.

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


class _BodyTooLarge(Exception):
    pass


class BoundedBody:
    """Refuses a request body over `limit_bytes` with 413 before the application reads it.

    A declared Content-Length over the limit (or not a number) is answered at once, without
    reading a byte; a body sent without one (chunked) is counted as it arrives and cut off
    at the limit. Below the limit Django spools the body to a temporary file past
    FILE_UPLOAD_MAX_MEMORY_SIZE, so no request holds more than that in memory; it sits outside
    `BoundedConcurrency`, so an oversized request never takes a slot.
    """

    def __init__(self, app: ASGIApp, limit_bytes: int) -> None:
        if limit_bytes < 1:
            raise ValueError("the limit is at least one byte")
        self.app = app
        self.limit = limit_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and not 0 <= declared <= self.limit:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counted_receive() -> MutableMapping[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLarge
            return message

        async def watched_send(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        megabytes = self.limit / (1024 * 1024)
        body = (
            f'{{"detail": "The request body is larger than {megabytes:g} MB.",'
            f' "code": "request_too_large"}}'
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    """The declared body length; -1 when the header is not a plain number (refused)."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() and len(value) <= 18 else -1
    return None
