"""At most `limit` HTTP requests inside Django at once, whatever the burst."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.http_limit import BoundedConcurrency


class CountingApp:
    """An ASGI app that records how many calls are inside it at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self.done = 0

    async def __call__(self, scope, receive, send) -> None:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        for _ in range(scope["steps"]):
            await asyncio.sleep(0)
        self.inside -= 1
        self.done += 1


async def _burst(limit: int, steps: list[int]) -> CountingApp:
    app = CountingApp()
    bounded = BoundedConcurrency(app, limit)
    await asyncio.gather(*(bounded({"type": "http", "steps": n}, None, None) for n in steps))
    return app


@settings(max_examples=200, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=8),
    steps=st.lists(st.integers(min_value=0, max_value=5), max_size=40),
)
def test_a_burst_never_has_more_than_the_limit_inside_and_every_request_is_served(limit, steps):
    app = asyncio.run(_burst(limit, steps))
    assert app.done == len(steps)
    assert app.most_inside <= limit
    if steps and min(steps) >= 1:  # requests that each wait at least once fill every place
        assert app.most_inside == min(limit, len(steps))


def test_the_limit_is_reached_when_requests_are_held():
    async def scenario() -> tuple[int, int]:
        release = asyncio.Event()
        inside = 0

        async def held(scope, receive, send) -> None:
            nonlocal inside
            inside += 1
            await release.wait()

        bounded = BoundedConcurrency(held, 3)
        tasks = [asyncio.create_task(bounded({"type": "http"}, None, None)) for _ in range(10)]
        for _ in range(5):
            await asyncio.sleep(0)
        seen = inside
        release.set()
        await asyncio.gather(*tasks)
        return seen, inside

    seen, total = asyncio.run(scenario())
    assert seen == 3
    assert total == 10


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        BoundedConcurrency(CountingApp(), 0)
