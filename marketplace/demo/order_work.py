"""One order's jobs and legs in a simulated market, as its workshops, carrier and customer
act on them: offers accepted or declined, steps started and finished (some late, which
re-plans what follows), legs handed over and received (or left to the escrow timer), the
delivered order completed by the customer or by the housekeeping window.

``OrderWork`` holds what an order's agent knows and remembers; ``order_agent.OrderAgent``
adds the customer's and the operator's side of the order's life.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from accounts.models import User
from marketplace.demo.market import Market
from marketplace.orders import jobs as job_services
from marketplace.orders import services as order_services
from marketplace.orders import shipments as shipment_services
from marketplace.orders.flow import OrderStatus
from marketplace.orders.models import Job, Order, Shipment

# Chances per job or per leg.
P_DECLINE = 0.08  # once per order at most
P_LATE_STEP = 0.15  # per job
P_RECEIVER_SILENT = 0.1  # per leg between workshops: the escrow timer accepts it
P_CUSTOMER_COMPLETES = 0.85  # else the housekeeping window completes it


class OrderWork:
    """The production, shipping and delivery of one order, acted out on the market's clock."""

    def __init__(self, market: Market, index: int) -> None:
        self.market = market
        self.index = index
        self.rng = random.Random(market.seed * 100_003 + index)
        self.order: Order | None = None
        self.late: dict[int, timedelta] = {}  # job -> how late it finishes
        self.decide_at: dict[int, datetime] = {}  # offered job -> when its workshop answers
        self.silent: dict[int, bool] = {}  # leg -> its receiver never confirms
        self.declined = False
        self.complete_at: datetime | bool | None = False  # False: not decided yet

    @property
    def now(self) -> datetime:
        return self.market.now

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=int(self.rng.uniform(low, high) * 60))

    def do(self, label: str, action) -> object | None:
        return self.market.attempt(f"{self.order and self.order.reference} {label}", action)

    def refresh(self) -> Order:
        self.order = Order.objects.select_related("option").get(pk=self.order.pk)
        return self.order

    def work(self) -> datetime | None:
        """Everything due now, by everyone involved; the next moment something is due (None:
        nothing left that anyone could do). Reads the order's jobs and legs once."""
        order = self.order
        jobs = list(order.jobs.select_related("workshop__organization"))
        legs = list(
            order.shipments.select_related(
                "origin__organization", "destination__organization", "carrier__organization"
            )
        )
        wakes: list[datetime] = []
        for job in jobs:
            if job.status == Job.Status.OFFERED:
                wakes.append(self._offered(job))
            elif job.status == Job.Status.ACCEPTED:
                wakes.append(self._accepted(job, jobs, legs))
            elif job.status == Job.Status.IN_PROGRESS:
                wakes.append(self._in_progress(job))
        wakes += self._legs(jobs, legs)
        order = self.refresh()
        if order.status == OrderStatus.DELIVERED:
            wakes.append(self._delivered())
        return min(wakes) if wakes else None

    def _offered(self, job: Job) -> datetime:
        if job.pk not in self.decide_at:
            self.decide_at[job.pk] = min(
                job.accept_by - timedelta(minutes=30), self.now + self.hours(0.5, 8)
            )
        decide_at = self.decide_at[job.pk]
        if self.now < decide_at:
            return decide_at
        worker = self.market.member(job.workshop.organization)
        if not self.declined and self.rng.random() < P_DECLINE:
            self.declined = True
            self.market.count("declines")
            self.do(
                f"decline {job.name}",
                lambda: job_services.job_decline(user=worker, job=job, reason="Machine is full"),
            )
        elif (
            self.do(f"accept {job.name}", lambda: job_services.job_accept(user=worker, job=job))
            is None
            and Job.objects.filter(pk=job.pk, status=Job.Status.OFFERED).exists()
        ):
            # The machine was booked by another order meanwhile: the workshop says no.
            self.market.count("declines_booked")
            self.do(
                f"decline {job.name}",
                lambda: job_services.job_decline(user=worker, job=job, reason="Booked meanwhile"),
            )
        return self.now

    def _accepted(self, job: Job, jobs: list[Job], legs: list[Shipment]) -> datetime:
        if not self._ready(job, jobs, legs):
            return max(job.planned_start, self.now + timedelta(hours=3))
        if job.planned_start > self.now:
            return job.planned_start
        worker = self.market.member(job.workshop.organization)
        self.do(f"start {job.name}", lambda: self._start(job, worker))
        return self.now

    def _in_progress(self, job: Job) -> datetime:
        if job.pk not in self.late:
            late = self.rng.random() < P_LATE_STEP
            self.late[job.pk] = self.hours(2, 30) if late else timedelta(0)
            if late:
                self.market.count("late_steps")
        done_at = job.planned_end + self.late[job.pk]
        if done_at > self.now:
            return done_at
        worker = self.market.member(job.workshop.organization)
        self.do(f"complete {job.name}", lambda: job_services.job_complete(user=worker, job=job))
        return self.now

    def _ready(self, job: Job, jobs: list[Job], legs: list[Shipment]) -> bool:
        """The step before it (same part) is done and the legs meant to bring the parts in
        arrived (for the assembly, every part's)."""
        if any(
            j.job_key == job.job_key
            and j.sequence < job.sequence
            and j.status in Job.ACTIVE
            and j.status != Job.Status.DONE
            for j in jobs
        ):
            return False
        assembly = (self.order.option.route or {}).get("assembly_job")
        return not any(
            leg.destination_id == job.workshop_id
            and leg.status in (Shipment.Status.PLANNED, Shipment.Status.IN_TRANSIT)
            and leg.planned_arrival <= job.planned_start + timedelta(hours=1)
            and (job.job_key == assembly or leg.job_key == job.job_key)
            for leg in legs
        )

    def _start(self, job: Job, worker: User) -> None:
        job_services.job_start(user=worker, job=job)
        job_services.job_progress(user=worker, job=job, percent=50, note="Halfway")

    def _legs(self, jobs: list[Job], legs: list[Shipment]) -> list[datetime]:
        wakes = []
        for leg in legs:
            transit = leg.planned_arrival - leg.planned_departure
            if leg.status == Shipment.Status.PLANNED:
                if any(
                    j.job_key == leg.job_key
                    and j.workshop_id == leg.origin_id
                    and j.status in Job.ACTIVE
                    and j.status != Job.Status.DONE
                    for j in jobs
                ):
                    continue
                sender = self.market.member(leg.origin.organization)
                self.do(
                    "hand over",
                    lambda s=leg, u=sender: shipment_services.shipment_hand_over(
                        user=u, shipment=s, tracking_number=f"SIM{s.pk:06d}"
                    ),
                )
                wakes.append(self.now + transit)
                continue
            if leg.status != Shipment.Status.IN_TRANSIT:
                continue
            arrives = leg.handed_over_at + transit
            if arrives > self.now:
                wakes.append(arrives)
                continue
            if leg.to_customer:
                if self.order.status == OrderStatus.SHIPPED:
                    self.do(
                        "confirm delivery",
                        lambda: order_services.order_confirm_delivery(
                            user=self.market.network.customer, order=self.order
                        ),
                    )
                    wakes.append(self.now)
                continue
            if leg.pk not in self.silent:
                self.silent[leg.pk] = self.rng.random() < P_RECEIVER_SILENT
                if self.silent[leg.pk]:
                    self.market.count("silent_receivers")
            if self.silent[leg.pk]:
                # The next workshop works on without confirming; the escrow timer accepts it.
                self._deliver_silently(leg)
            else:
                receiver = self.market.member(leg.destination.organization)
                self.do(
                    "receive",
                    lambda s=leg, u=receiver: shipment_services.shipment_receive(
                        user=u, shipment=s
                    ),
                )
            wakes.append(self.now)
        return wakes

    def _deliver_silently(self, leg: Shipment) -> None:
        """The carrier records the arrival itself: not an acceptance, the timer decides."""
        carrier = self.market.member(leg.carrier.organization)
        self.do(
            "carrier receive",
            lambda: shipment_services.shipment_receive(user=carrier, shipment=leg),
        )

    def _delivered(self) -> datetime:
        """The customer completes after a look at the parts, or lets the window do it."""
        order = self.order
        if self.complete_at is False:
            self.complete_at = (
                self.now + self.hours(2, 72) if self.rng.random() < P_CUSTOMER_COMPLETES else None
            )
        if self.complete_at is None:
            return self.now + timedelta(days=1)
        if self.now < self.complete_at:
            return self.complete_at
        self.do(
            "complete",
            lambda: order_services.order_complete(user=self.market.network.customer, order=order),
        )
        return self.now
