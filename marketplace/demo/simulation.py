"""A randomized market: many orders driven through the real services, then a money audit.

Each order is an agent that acts as its customer, workshops, carrier and an operator would:
quote, pay (on time, late after expiry, or never), accept or decline jobs, run steps (some
late, which re-plans what follows), hand legs over and receive them (or leave it to the
escrow timer), dispute with an operator's decision and partial refunds, cancel, confirm
delivery and complete. The clock is simulated (``time_machine``) and the periodic work runs
on it: ``orders_housekeeping``, ``refunds_retry`` and ``settlement_run_due``. Payments go
through ``SimulatedProvider``, whose refunds and payouts fail now and then (an answer lost, a
transfer refused), so the retries are exercised too.

The result is measured by ``billing.audit`` on the simulated orders only. The same seed on
the same (fresh) database gives the same numbers.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import ClassVar

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from django.test import override_settings

from accounts.models import Membership, Organization, User
from billing import audit
from billing import services as billing
from billing.models import Payment
from billing.money import Money
from billing.payments import refunds_retry
from billing.providers.base import (
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
    PayoutRequest,
    PayoutResult,
    RefundRequest,
    RefundResult,
)
from billing.settlement import settlement_run_due
from config.errors import DomainError
from marketplace.demo.seed import _machine, seed_catalog
from marketplace.designs.geometry import samples
from marketplace.designs.models import Design, DesignRevision
from marketplace.designs.services import design_analyse, design_upload
from marketplace.network.models import Carrier, Finish, Material, Workshop
from marketplace.orders import jobs as job_services
from marketplace.orders import quotes as quote_services
from marketplace.orders import services as order_services
from marketplace.orders import shipments as shipment_services
from marketplace.orders.disputes import dispute_money
from marketplace.orders.flow import TERMINAL, OrderStatus
from marketplace.orders.housekeeping import orders_housekeeping
from marketplace.orders.models import Job, Order, Shipment

logger = logging.getLogger(__name__)

PROVIDER = "simulated"
START = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # a Monday morning
TICK = timedelta(hours=6)  # housekeeping, refund retries and the settlement run, this often
SETTLE_AFTER = timedelta(days=3)  # ticks after the last order closed, for the last payouts
ORDER_GAP_HOURS = (1, 8)  # between two orders' quotes
MAX_ORDER_DAYS = 45  # an order still open after this long gets an operator
MUNICH = quote_services.ShipTo("Goods in", "Leopoldstraße 100", "Munich", "DE", 48.16, 11.585)

# Chances per order (or per job, per leg, per provider call).
P_CANCEL_UNPAID = 0.05
P_EXPIRE = 0.08
P_LATE_PAYMENT = 0.6  # of expired or cancelled unpaid orders, the money comes anyway
P_CANCEL_PAID = 0.05
P_DECLINE = 0.08
P_LATE_STEP = 0.15  # per job
P_RECEIVER_SILENT = 0.1  # per leg between workshops: the escrow timer accepts it
P_DISPUTE = 0.2
P_DISPUTE_REFUND = 0.5
P_REFUND_AFTER_COMPLETION = 0.05
P_CUSTOMER_COMPLETES = 0.85  # else the housekeeping window completes it
P_REFUND_ANSWER_LOST = 0.1
P_PAYOUT_FAILS = 0.05
DISPUTE_OUTCOMES = (("resume", 0.3), ("complete", 0.4), ("cancel", 0.3))


# -- a payment provider that fails now and then ---------------------------------------------
class SimulatedProvider(PaymentProvider):
    """Bank-transfer-like payments (confirmed by the simulation), refunds whose answer is
    sometimes lost, payouts sometimes refused. The dice are the simulation's (``rng``), so a
    seed replays the same failures."""

    name = PROVIDER
    rng: ClassVar[random.Random] = random.Random(0)
    refunded: ClassVar[set[str]] = set()  # keys the "bank" refunded, answer lost or not
    calls_failed: ClassVar[int] = 0

    def start_payment(self, request: PaymentRequest) -> PaymentStart:
        return PaymentStart(provider_payment_id=f"SIM-{request.payment_id}", status="pending")

    def refund(self, request: RefundRequest) -> RefundResult:
        key = f"refund-{request.refund_id}"
        if key not in self.refunded and self.rng.random() < P_REFUND_ANSWER_LOST:
            type(self).refunded.add(key)
            type(self).calls_failed += 1
            return RefundResult(status="unknown", error="Simulated: the answer was lost.")
        type(self).refunded.add(key)
        return RefundResult(status="succeeded", provider_refund_id=f"SIMRF-{request.refund_id}")

    def payout(self, request: PayoutRequest) -> PayoutResult:
        if self.rng.random() < P_PAYOUT_FAILS:
            type(self).calls_failed += 1
            return PayoutResult(status="failed", error="Simulated: the transfer was refused.")
        return PayoutResult(status="paid", provider_transfer_id=f"SIMTR-{request.reference}")


# -- the network ------------------------------------------------------------------------------
@dataclass
class Network:
    customer: User
    customer_org: Organization
    operator: User
    revisions: list[DesignRevision]
    material: Material
    finish: Finish


MILL = ["cnc-3axis", "deburring", "assembly"]
SIM_WORKSHOPS = [
    # (name, city, lat, lon, processes)
    ("Sim Mill Stuttgart", "Stuttgart", "48.7758", "9.1829", MILL),
    ("Sim Mill Eindhoven", "Eindhoven", "51.4416", "5.4697", MILL),
    ("Sim Anodica Nuremberg", "Nuremberg", "49.4521", "11.0767", ["anodizing"]),
]


def _organization(name: str, kind: str) -> Organization:
    organization, _ = Organization.objects.get_or_create(name=name, defaults={"kind": kind})
    return organization


def member_of(organization: Organization) -> User:
    """Someone who acts for the organization: its first member, or a simulation account."""
    membership = organization.memberships.select_related("user").order_by("pk").first()
    if membership is not None:
        return membership.user
    email = f"sim+{organization.pk}@simulation.cloudfactory.example"
    user = User.objects.filter(email=email).first() or User.objects.create_user(email, None)
    Membership.objects.get_or_create(user=user, organization=organization)
    return user


def network_build() -> Network:
    """The small network of the simulation, built once and reused: two mills, an anodizer,
    a carrier, a customer with a bracket and a gear, and an operator."""
    processes, materials, _ = seed_catalog()
    for index, (name, city, lat, lon, codes) in enumerate(SIM_WORKSHOPS, start=1):
        organization = _organization(name, Organization.Kind.WORKSHOP)
        workshop, created = Workshop.objects.get_or_create(
            organization=organization,
            defaults={
                "city": city,
                "country": "DE" if city != "Eindhoven" else "NL",
                "latitude": lat,
                "longitude": lon,
                "verification_status": Workshop.Verification.VERIFIED,
            },
        )
        if created:
            for number, code in enumerate(codes, start=1):
                _machine(workshop, processes[code], materials, number, index)
        member_of(organization)
    carrier_org = _organization("Sim Cargo", Organization.Kind.LOGISTICS)
    Carrier.objects.get_or_create(
        organization=carrier_org,
        defaults={
            "countries": "DE,NL",
            "base_fee_minor": 1500,
            "per_100km_minor": 80,
            "speed_km_per_day": 600,
            "co2_g_per_km": 250,
        },
    )
    member_of(carrier_org)
    customer_org = _organization("Sim Robotics", Organization.Kind.CUSTOMER)
    operator_org = Organization.objects.filter(kind=Organization.Kind.PLATFORM).order_by("pk")
    operator_org = operator_org.first() or _organization(
        "Sim Operations", Organization.Kind.PLATFORM
    )
    customer = member_of(customer_org)
    return Network(
        customer=customer,
        customer_org=customer_org,
        operator=member_of(operator_org),
        revisions=_designs(customer, customer_org),
        material=materials["al-6061"],
        finish=Finish.objects.get(code="anodized"),
    )


def _designs(user: User, organization: Organization) -> list[DesignRevision]:
    """The bracket and the gear, uploaded and analysed like any customer's files."""
    revisions = []
    for name, make in (("Sim bracket", samples.bracket), ("Sim gear", samples.gear)):
        design = Design.objects.filter(organization=organization, name=name).first()
        if design is None:
            upload = SimpleUploadedFile(f"{name}.stl", make(), content_type="model/stl")
            design = design_upload(
                user=user, organization=organization, upload=upload, name=name
            ).design
        revision = design.latest
        if revision is not None and not revision.is_analysed:
            revision = design_analyse(revision_id=revision.pk)
        revisions.append(revision)
    return revisions


# -- the clock and the agents -----------------------------------------------------------------
@dataclass
class Market:
    """The simulated clock, the agents and what went wrong in the services along the way."""

    network: Network
    seed: int
    clock: time_machine.Coordinates
    now: datetime
    order_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)
    members: dict[int, User] = field(default_factory=dict)

    def member(self, organization: Organization) -> User:
        """Who acts for an organization (looked up once per run)."""
        if organization.pk not in self.members:
            self.members[organization.pk] = member_of(organization)
        return self.members[organization.pk]

    def count(self, event: str) -> None:
        self.events[event] = self.events.get(event, 0) + 1

    def move_to(self, moment: datetime) -> None:
        if moment > self.now:
            self.clock.move_to(moment)
            self.now = moment

    def tick(self) -> None:
        """The periodic work, as beat (or cron) would run it."""
        for name, work in (
            ("housekeeping", lambda: orders_housekeeping(now=self.now)),
            ("refunds_retry", lambda: refunds_retry(now=self.now)),
            ("settlement", lambda: settlement_run_due(now=self.now)),
        ):
            try:
                work()
            except Exception as error:  # a failing pass is a finding, not the end of the run
                self.errors.append(f"{self.now:%Y-%m-%d %H:%M} {name}: {error!r}")

    def attempt(self, label: str, action) -> object | None:
        """Run one service call; a domain error (or a crash) is recorded and the agent goes on."""
        try:
            return action()
        except DomainError as error:
            self.errors.append(f"{label}: {error.message}")
        except Exception as error:
            logger.exception("Simulation: %s failed", label)
            self.errors.append(f"{label}: {error!r}")
        return None


class OrderAgent:
    """One order's life, as its customer, workshops, carrier and an operator act on it."""

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
        self.script = self._life()

    # -- helpers ---------------------------------------------------------------------------
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
            wake = self._work()
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
        if self.refresh().status == OrderStatus.DISPUTED:  # refused: decide within the bound
            self.do(
                f"dispute {outcome} refund {most}",
                lambda: order_services.order_resolve_dispute(
                    user=operator,
                    order=self.order,
                    outcome=outcome,
                    reason="Operator decision",
                    refund=most,
                    paid_party_ids=paid,
                ),
            )

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

    # -- production, shipping, delivery ----------------------------------------------------
    def _work(self) -> datetime | None:
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


# -- the run ----------------------------------------------------------------------------------
def _start_moment() -> datetime:
    """START on a fresh database; after everything already booked or posted otherwise, so a
    second run in the same database is not mixed into the first one's weeks."""
    from billing.models import LedgerTransaction
    from marketplace.network.models import CapacityBooking

    latest = [
        CapacityBooking.objects.aggregate(m=Max("ends_at"))["m"],
        LedgerTransaction.objects.aggregate(m=Max("created_at"))["m"],
        Order.objects.aggregate(m=Max("placed_at"))["m"],
    ]
    latest = [m for m in latest if m is not None]
    if not latest or max(latest) < START:
        return START
    day = (max(latest) + timedelta(days=7)).date()
    monday = day + timedelta(days=(7 - day.weekday()) % 7)
    return datetime.combine(monday, time(6, 0), tzinfo=UTC)


def simulate_market(*, orders: int, seed: int) -> dict:
    """Drive ``orders`` orders through the services on a simulated clock and audit the money.

    Returns one JSON-ready dict: ``orders`` and the audit's metrics (all 0 when the money
    adds up), ``payout_hours_p95``, what happened (``events``) and the service errors met.
    """
    SimulatedProvider.rng = random.Random(seed)
    SimulatedProvider.refunded = set()
    SimulatedProvider.calls_failed = 0
    with override_settings(
        PAYMENT_PROVIDER=PROVIDER,
        PAYMENT_PROVIDER_CLASSES={PROVIDER: f"{__name__}.SimulatedProvider"},
        QUOTE_TIME_LIMIT_S=1.0,
        QUOTE_SYNC_MAX_SIZE=10**6,
        MATCHING_WORKERS=1,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    ):
        network = network_build()
        start = _start_moment()
        with time_machine.travel(start, tick=False) as clock:
            market = Market(network=network, seed=seed, clock=clock, now=start)
            _run(market, orders)
            end = market.now
    result = audit.money_audit(order_ids=market.order_ids)
    delays = audit.payout_delays(order_ids=market.order_ids, now=end)
    return {
        "orders": len(market.order_ids),
        **result.counts(),
        "payout_hours_p95": round(audit.percentile([d.hours for d in delays], 95), 2),
        "payouts": len(delays),
        "payouts_unpaid": sum(d.paid_at is None for d in delays),
        "seed": seed,
        "simulated_days": round((end - start).total_seconds() / 86400, 1),
        "provider_calls_failed": SimulatedProvider.calls_failed,
        "events": dict(sorted(market.events.items())),
        "service_errors": market.errors,
        "breaking_orders": [
            {
                "order_id": o.order_id,
                "reference": o.reference,
                "status": o.status,
                "problems": list(o.problems),
            }
            for o in result.breaking
        ],
        "statuses": _statuses(market.order_ids),
    }


def _statuses(order_ids: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Order.objects.filter(pk__in=order_ids).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))


def _run(market: Market, count: int) -> None:
    """The event loop: agents wake in time order (ties by index), the periodic work runs
    every ``TICK``, and it ends ``SETTLE_AFTER`` after the last order closed."""
    rng = random.Random(market.seed)
    agents: dict[int, tuple[datetime, OrderAgent]] = {}
    arrival = market.now
    for index in range(count):
        agents[index] = (arrival, OrderAgent(market, index))
        arrival += timedelta(minutes=int(rng.uniform(*ORDER_GAP_HOURS) * 60))
    next_tick = market.now + TICK
    deadline = market.now + timedelta(days=MAX_ORDER_DAYS * 2 + count)
    while agents and market.now < deadline:
        index, (wake, agent) = min(agents.items(), key=lambda item: (item[1][0], item[0]))
        if next_tick <= wake:
            market.move_to(next_tick)
            market.tick()
            next_tick += TICK
            continue
        market.move_to(wake)
        try:
            agents[index] = (max(next(agent.script), market.now), agent)
        except StopIteration:
            del agents[index]
    for index in sorted(agents):
        market.errors.append(f"order agent {index} still open at the deadline")
    settled_by = market.now + SETTLE_AFTER
    while next_tick <= settled_by:
        market.move_to(next_tick)
        market.tick()
        next_tick += TICK
