"""Signals billing sends to the rest of the project, so billing never imports marketplace.

``payment_confirmed`` is sent once per payment, after the transaction that confirmed it has
committed, with ``payment`` (a ``billing.models.Payment``), ``order_id`` and ``amount``
(``billing.money.Money``). Receivers move the order through marketplace services; billing
itself never changes an order's state.
"""

from django.dispatch import Signal

payment_confirmed = Signal()
