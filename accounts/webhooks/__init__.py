"""Outgoing webhooks: organizations subscribe endpoints to dotted event types.

This package knows event type strings and JSON payloads only, never what an order or a payout
is: the rooms that own those objects build the payloads and call ``services.webhook_emit``
inside the transaction that changed them (an outbox row per subscribed endpoint), and the
``webhooks`` Celery queue delivers each row after commit, signed and retried.
"""
