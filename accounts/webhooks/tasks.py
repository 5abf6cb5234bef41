"""Webhook deliveries run on their own queue, one task per delivery, so a slow receiver holds
one worker slot for at most the total timeout and never delays anyone else's events."""

from celery import shared_task


@shared_task(acks_late=True)
def webhook_deliver_task(delivery_id: int) -> str:
    """One attempt of a due delivery; a rerun of a done or claimed one does nothing."""
    from accounts.webhooks.services import delivery_attempt

    delivery = delivery_attempt(delivery_id=delivery_id)
    return "skipped" if delivery is None else delivery.status


@shared_task
def webhook_dispatch_due_task() -> int:
    """The sweep (Celery beat, every minute): retries that are due and tasks that were lost."""
    from accounts.webhooks.services import deliveries_dispatch_due

    return deliveries_dispatch_due()
