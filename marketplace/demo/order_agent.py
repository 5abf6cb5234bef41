"""One order's life in a simulated market, as its customer and an operator act on it: quote,
pay (on time, late after expiry, or never), cancel, dispute with an operator's decision and
partial refunds, an operator stepping in when nothing moves, a goodwill refund after
completion. The jobs and legs in between are ``OrderWork``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from billing import services as billing
from billing.models import Payment
from billing.money import Money
from marketplace.demo.market import TICK, Market
from marketplace.demo.order_work import OrderWork
from marketplace.demo.simulated_network import MUNICH
from marketplace.orders import quotes as quote_services
from marketplace.orders import services as order_services
from marketplace.orders.disputes import dispute_money
from marketplace.orders.flow import TERMINAL, OrderStatus

MAX_ORDER_DAYS = 45  # an order still open after this long gets an operator

# Chances per order.
P_CANCEL_UNPAID = 0.05
P_EXPIRE = 0.08
P_LATE_PAYMENT = 0.6  # of expired or cancelled unpaid orders, the money comes anyway
P_CANCEL_PAID = 0.05
P_DISPUTE = 0.2
P_DISPUTE_REFUND = 0.5
P_REFUND_AFTER_COMPLETION = 0.05
DISPUTE_OUTCOMES = (("resume", 0.3), ("complete", 0.4), ("cancel", 0.3))


class OrderAgent(OrderWork):
    """One order's life; ``script`` yields the next moment it wants to act."""

    def __init__(self, market: Market, index: int) -> None:
        super().__init__(market, index)
        self.script = self._life()

    def payment(self) -> Payment:
        return Payment.objects.filter(order_id=self.order.pk).order_by("pk").first()

    def pay(self) -> None:
        payment = self.payment()
        self.do(
            "payment",
            lambda: billing.payment_confirm(
                payment=payment,
                amount=payment.amount,
                provider_reference=payment.provider_payment_id,
            ),
        )

    def refund_part(self, why: str) -> None:
        """An operator gives part of the payment back (a goodwill refund or a dispute's)."""
        payment = Payment.objects.filter(
            order_id=self.order.pk,
            status__in=[Payment.Status.CONFIRMED, Payment.Status.PARTIALLY_REFUNDED],
        ).first()
        if payment is None or payment.refundable.minor < 2:
            return
        amount = Money(self.rng.randint(1, max(1, payment.refundable.minor // 3)), payment.currency)
        self.market.count("partial_refunds")
        self.do(
            f"partial refund {amount}",
            lambda: billing.payment_refund(payment=payment, amount=amount, reason=why),
        )

    # -- the life of an order --------------------------------------------------------------
    def _life(self) -> Iterator[datetime]:
        """Yields the next moment it wants to act; returns when the order is closed."""
        net = self.market.network
        lines = [
            quote_services.LineSpec(
                revision=r,
                material=net.material,
                finish=net.finish,
                quantity=self.rng.randint(1, 6),
            )
            for r in net.revisions
        ]
        quote = self.market.attempt(
            f"quote {self.index}",
            lambda: quote_services.quote_request_create(
                user=net.customer, organization=net.customer_org, lines=lines, ship_to=MUNICH
            ),
        )
        options = list(quote.options.order_by("pk")) if quote else []
        if not options:
            self.market.errors.append(f"quote {self.index}: no option")
            return
        option = self.rng.choice(options)
        self.order = self.market.attempt(
            f"place {self.index}",
            lambda: order_services.order_place(user=net.customer, option=option),
        )
        if self.order is None:
            return
        self.market.order_ids.append(self.order.pk)
        fate = self.rng.random()
        if fate < P_CANCEL_UNPAID + P_EXPIRE:
            yield from self._unpaid(cancel=fate < P_CANCEL_UNPAID)
            return
        yield self.now + self.hours(1, 30)
        self.pay()
        if self.refresh().status != OrderStatus.PAID:
            return
        if self.rng.random() < P_CANCEL_PAID:
            yield self.now + self.hours(1, 12)
            self.market.count("cancelled_paid")
            self.do(
                "cancel",
                lambda: order_services.order_cancel(
                    user=net.customer, order=self.order, reason="Bought elsewhere"
                ),
            )
            return
        dispute_at = self.now + self.hours(24, 24 * 12) if self.rng.random() < P_DISPUTE else None
        started = self.now
        while self.refresh().status not in TERMINAL:
            status = self.order.status
            if status == OrderStatus.DISPUTED:
                yield self.now + self.hours(4, 36)
                self._decide_dispute()
                continue
            if (
                dispute_at
                and self.now >= dispute_at
                and status
                in (
                    OrderStatus.IN_PRODUCTION,
                    OrderStatus.SHIPPED,
                    OrderStatus.DELIVERED,
                )
            ):
                dispute_at = None
                self.market.count("disputes")
                self.do(
                    "dispute",
                    lambda: order_services.order_dispute(
                        user=net.customer, order=self.order, reason="Parts look damaged"
                    ),
                )
                continue
            wake = self.work()
            if self.refresh().status in TERMINAL:
                break
            if self.now - started > timedelta(days=MAX_ORDER_DAYS) or wake is None:
                self._operator_steps_in()
                wake = self.now + self.hours(1, 4)
            yield max(wake, self.now + timedelta(minutes=10))
        if self.order.status == OrderStatus.COMPLETED and (
            self.rng.random() < P_REFUND_AFTER_COMPLETION
        ):
            yield self.now + self.hours(24, 24 * 5)
            self.refund_part("Goodwill after completion")

    def _unpaid(self, *, cancel: bool) -> Iterator[datetime]:
        """Never paid in time: cancelled by the customer, or expired by housekeeping; then,
        sometimes, the money arrives anyway."""
        if cancel:
            yield self.now + self.hours(1, 24)
            self.market.count("cancelled_unpaid")
            self.do(
                "cancel unpaid",
                lambda: order_services.order_cancel(
                    user=self.market.network.customer, order=self.order, reason="Not needed"
                ),
            )
        else:
            self.market.count("expired")
            yield self.order.pay_by + TICK + timedelta(minutes=5)
        if self.rng.random() < P_LATE_PAYMENT:
            yield self.now + self.hours(1, 48)
            self.market.count("late_payments")
            self.pay()

    def _decide_dispute(self) -> None:
        operator = self.market.network.operator
        if self.rng.random() < P_DISPUTE_REFUND:
            self.refund_part("Decided in the dispute")
        outcome = self.rng.choices(
            [o for o, _ in DISPUTE_OUTCOMES], weights=[w for _, w in DISPUTE_OUTCOMES]
        )[0]
        self.market.count(f"dispute_{outcome}")
        # The operator pays a random choice of the finished work and refunds a random part
        # of what is left after it (sometimes too much: the service must refuse it whole).
        money = dispute_money(order=self.refresh())
        paid = [p.party_id for p in money.parties if self.rng.random() < 0.8]
        most = money.max_refund(paid)
        refund = Money(self.rng.randint(0, most.minor + most.minor // 10 + 1), most.currency)

        def decide(refund: Money) -> None:
            self.do(
                f"dispute {outcome} refund {refund}",
                lambda: order_services.order_resolve_dispute(
                    user=operator,
                    order=self.order,
                    outcome=outcome,
                    reason="Operator decision",
                    refund=refund,
                    paid_party_ids=paid,
                ),
            )

        decide(refund)
        if self.refresh().status == OrderStatus.DISPUTED:  # refused: decide within the bound
            decide(most)

    def _operator_steps_in(self) -> None:
        """Nothing left that anyone can do (a re-plan found no workshop, a resumed order lost
        its way): an operator disputes and settles it as far as it got."""
        self.market.count("operator_interventions")
        operator = self.market.network.operator
        order = self.refresh()
        if order.status == OrderStatus.PAID:
            self.do(
                "operator cancel",
                lambda: order_services.order_cancel(
                    user=operator, order=order, reason="No workshop can make it"
                ),
            )
            return
        if order.status != OrderStatus.DISPUTED:
            self.do(
                "operator dispute",
                lambda: order_services.order_dispute(
                    user=operator, order=order, reason="Stuck: an operator takes over"
                ),
            )
        outcome = "complete" if order.status == OrderStatus.DELIVERED else "cancel"
        self.do(
            f"operator {outcome}",
            lambda: order_services.order_resolve_dispute(
                user=operator, order=self.refresh(), outcome=outcome, reason="Taken over"
            ),
        )
