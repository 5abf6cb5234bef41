"""Signals billing sends to the rest of the project, so billing never imports marketplace.

``payment_confirmed`` is sent once per payment, after the transaction that confirmed it has
committed, with ``payment`` (a ``billing.models.Payment``), ``order_id`` and ``amount``
(``billing.money.Money``). Receivers move the order through marketplace services; billing
itself never changes an order's state.

A receiver whose order can no longer take the money (it expired, or was cancelled, before a
late payment arrived) returns ``PaymentRefused(reason)``: billing then refunds the payment in
full, automatically (``payment_refund_unwanted``). Any other return value means accepted.

``statement_notes`` is sent while statements are built, with ``order_ids``; a receiver
returns ``{order_id: [sentence, ...]}`` to explain an order on every party's statement and
PDFs (the marketplace's dispute decisions).

``order_facts_requested`` is sent by the money audit (``billing.audit.order_facts``), with
``order_ids`` (None: every order); a receiver returns an iterable of ``billing.audit.OrderFacts``
(which orders are closed, whose work was accepted), what billing cannot know of an order.
"""

from dataclasses import dataclass

from django.dispatch import Signal

payment_confirmed = Signal()
statement_notes = Signal()
order_facts_requested = Signal()


@dataclass(frozen=True, slots=True)
class PaymentRefused:
    """The answer of a ``payment_confirmed`` receiver whose order cannot take the money."""

    reason: str
