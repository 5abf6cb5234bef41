"""Billing's models, one module per concern, registered here under the app label `billing`.

Money columns are ``amount_minor`` (integer minor units) plus ``currency`` (ISO 4217), read back
as ``billing.money.Money``. Ledger rows are append-only: ``save`` refuses to change an existing
row, ``delete`` and queryset ``update``/``delete`` refuse outright; only ``billing.ledger``
writes them. What a payment or ledger transaction pays for is a plain ``order_id`` (and a
human ``reference``), so billing does not depend on marketplace.
"""

from billing.models.columns import CURRENCY_LENGTH, MoneyColumn
from billing.models.credit_notes import CreditNote
from billing.models.invoices import CheckoutDetails, Invoice, InvoiceCounter, InvoiceLine
from billing.models.ledger import (
    AppendOnlyModel,
    AppendOnlyQuerySet,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    ShareRecord,
)
from billing.models.payments import (
    Payment,
    PaymentDispute,
    Refund,
    WebhookEvent,
)
from billing.models.payouts import (
    BankAccount,
    BankFile,
    ConnectedAccount,
    Payout,
    SettlementItem,
    SettlementRun,
)

__all__ = [
    "CURRENCY_LENGTH",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "BankAccount",
    "BankFile",
    "CheckoutDetails",
    "ConnectedAccount",
    "CreditNote",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "MoneyColumn",
    "Payment",
    "PaymentDispute",
    "Payout",
    "Refund",
    "SettlementItem",
    "SettlementRun",
    "ShareRecord",
    "WebhookEvent",
]
