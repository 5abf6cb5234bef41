"""Suites that need the real services (PostgreSQL, Redis, RabbitMQ); see tests/conftest.py."""

import threading

from django.db import connection


def in_parallel(*calls):
    """Runs each call in its own thread and database connection, all released at once.

    Returns each call's result, or the exception it raised, in order.
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    return outcomes
