"""Billing's public write API: every service that moves money or records a provider's answer.

Other apps call billing through this module only (``from billing import services as
billing``), so they need not know how billing is laid out inside. Each concern lives in its
own module, and this one re-exports their services:

- ``billing.payments``: payments (start, confirm, fail, sync) and refunds.
- ``billing.releases``: releasing held funds to the parties, a price on acceptance and the
  rest at completion.
- ``billing.payouts``: payouts (open, send, record, confirm, reverse).
- ``billing.connect``: connected accounts (onboarding, sync).
- ``billing.webhook_events``: storing and processing the provider's webhook events.
- ``billing.invoicing``: checkout details, VAT invoices and the credit notes cancelling them.
- ``billing.ledger``: the only writer of the ledger, used by all of the above.

Two rules shape them all. No database lock is held across a network call: a service records
its intent and commits, calls the provider with no lock held, then records the result in a
second short transaction. And every step is idempotent on keys derived from our own ids
(ledger keys like ``payment:42``, provider keys like ``cf-payment-42``), so a retry, a
duplicate webhook or a second worker cannot move money twice.
"""

from billing.connect import connected_account_onboard, connected_account_sync
from billing.invoicing import (
    checkout_details_record,
    invoice_cancel,
    invoice_issue,
    order_buyer_record,
    order_sale,
)
from billing.payments import (
    payment_cancel,
    payment_confirm,
    payment_confirm_manual,
    payment_fail,
    payment_refund,
    payment_start,
    payment_sync,
    refund_retry,
    transfer_group_for,
)
from billing.payouts import (
    payout_confirm_manual,
    payout_create,
    payout_execute,
    payout_record,
    payout_reverse,
    payout_sync_reversed,
)
from billing.releases import escrow_top_up, funds_release, share_price_release
from billing.signals import PaymentRefused
from billing.webhook_events import webhook_event_process, webhook_event_record

__all__ = [
    "PaymentRefused",
    "checkout_details_record",
    "connected_account_onboard",
    "connected_account_sync",
    "escrow_top_up",
    "funds_release",
    "invoice_cancel",
    "invoice_issue",
    "order_buyer_record",
    "order_sale",
    "payment_cancel",
    "payment_confirm",
    "payment_confirm_manual",
    "payment_fail",
    "payment_refund",
    "payment_start",
    "payment_sync",
    "payout_confirm_manual",
    "payout_create",
    "payout_execute",
    "payout_record",
    "payout_reverse",
    "payout_sync_reversed",
    "refund_retry",
    "share_price_release",
    "transfer_group_for",
    "webhook_event_process",
    "webhook_event_record",
]
