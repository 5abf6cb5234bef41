"""The matcher's Celery task runs whatever solver the owning app registered."""

import pytest

from matching import adapter
from matching.adapter import UnknownSolver, register_solver, unregister_solver
from matching.tasks import solve_and_store_task


@pytest.fixture
def published(monkeypatch):
    events = []
    monkeypatch.setattr(
        adapter, "publish_to_users_on_commit", lambda users, event: events.append((users, event))
    )
    return events


@pytest.fixture
def solver():
    calls = []

    def solve(object_id, progress):
        calls.append(object_id)
        progress([3, 4], {"id": object_id, "percent": 50})
        return {"stored": object_id}

    register_solver("test-quote", solve)
    yield calls
    unregister_solver("test-quote")


def test_the_task_runs_the_registered_solver_eagerly(solver, published):
    result = solve_and_store_task.apply(args=("test-quote", 7)).get()
    assert result == {"stored": 7}
    assert solver == [7]
    assert published == [
        ([3, 4], {"type": "test-quote.progress", "data": {"id": 7, "percent": 50}})
    ]


def test_a_solver_that_takes_only_the_id_publishes_nothing(published):
    register_solver("test-silent", lambda object_id: object_id * 2)
    try:
        assert solve_and_store_task.apply(args=("test-silent", 21)).get() == 42
    finally:
        unregister_solver("test-silent")
    assert published == []


def test_an_unknown_kind_is_an_error():
    with pytest.raises(UnknownSolver):
        solve_and_store_task.apply(args=("nobody-registered-this", 1)).get()


def test_enqueue_runs_the_task_eagerly_in_the_embedded_mode(solver, published, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    adapter.enqueue("test-quote", 9)
    assert solver == [9]


def test_the_task_is_routed_to_the_matching_queue(settings):
    route = settings.CELERY_TASK_ROUTES["matching.tasks.*"]
    assert solve_and_store_task.name == "matching.tasks.solve_and_store_task"
    assert route == {"queue": "matching"}
