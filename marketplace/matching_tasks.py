"""Celery tasks that run the matcher in the background (queue ``matching``): thin, by id."""

from celery import shared_task


@shared_task(acks_late=True, name="marketplace.quote_solve_task")
def quote_solve_task(quote_request_id: int) -> str:
    """Solve a quote request too large to answer within the request, and store its options.

    ``quote_solve`` replaces the request's options and status as a whole, so a rerun after
    a lost worker is harmless. Returns the request's new status.
    """
    from marketplace.orders import quote_solve

    return quote_solve(quote_request_id=quote_request_id).status
