"""The demo network: a catalog, 28 workshops in 9 countries, carriers and one login per role.

Idempotent: every row is looked up by a natural key and updated, so running it twice leaves
the same network (capacity exceptions are re-anchored to the current weeks).
"""

from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from accounts.second_factor import has_second_factor, totp_authenticator_set
from marketplace.demo import catalog
from marketplace.designs.geometry import samples
from marketplace.designs.models import Design
from marketplace.designs.services import design_upload
from marketplace.network.models import (
    CapacityException,
    Carrier,
    CarrierRate,
    Certification,
    Finish,
    Machine,
    Material,
    Process,
    WeeklyAvailability,
    Workshop,
)
from marketplace.orders import conversation
from marketplace.orders import jobs as job_services
from marketplace.orders import quotes as quote_services
from marketplace.orders import services as order_services
from marketplace.orders import shipments as shipment_services

DEMO_PASSWORD = "factory-demo-2026"
ROUND_THE_CLOCK = {"fdm", "sla", "sls", "mjf"}  # printers run unattended overnight


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    organization: str


DEMO_LOGINS = [
    DemoLogin("customer", "alice@demo.cloudfactory.example", "Acme Robotics"),
    DemoLogin("workshop", "bob@demo.cloudfactory.example", "Präzision Stuttgart"),
    DemoLogin("workshop", "charlie@demo.cloudfactory.example", "Eindhoven Precision"),
    DemoLogin("logistics", "carla@demo.cloudfactory.example", "EuroParcel Express"),
    DemoLogin("operator", "olga@demo.cloudfactory.example", "Cloud Factory Operations"),
]
# Operators must sign in with a second factor: the demo operator's authenticator app holds this
# public secret (add it to any TOTP app, or compute the code with `oathtool --totp -b SECRET`).
DEMO_OPERATOR_TOTP_SECRET = "CFDEMOOPERATORTWOFACTOROLGAQUXYZ"  # base32


def seed_demo() -> dict:
    """Creates or refreshes the demo network and returns counts for the command to print."""
    with transaction.atomic():
        counts = _seed_network()
    users, customer = counts.pop("users"), counts.pop("customer")
    counts["orders"] = _seed_orders(
        users[DEMO_LOGINS[0].email], users[DEMO_LOGINS[-1].email], customer
    )
    _give_demo_workshops_work(
        [users[login.email] for login in DEMO_LOGINS if login.role == "workshop"]
    )
    _give_demo_carrier_legs(
        [users[login.email] for login in DEMO_LOGINS if login.role == "logistics"]
    )
    return counts


def _give_demo_workshops_work(workshop_users: list[User]) -> None:
    """The demo workshop logins also act for the busiest workshops, so their boards show jobs.

    The matcher, not the seed, decides who gets the demo orders' steps.
    """
    from django.db.models import Count

    busiest = (
        Workshop.objects.annotate(
            active=Count("jobs", filter=~models.Q(jobs__status__in=["planned", "superseded"]))
        )
        .filter(active__gt=0)
        .order_by("-active", "pk")
    )
    for user, workshop in zip(workshop_users, busiest, strict=False):
        Membership.objects.get_or_create(
            user=user, organization=workshop.organization, defaults={"role": Membership.Role.ADMIN}
        )


def seed_catalog() -> tuple[dict, dict, dict]:
    """Processes, materials, finishes and certifications with real values (idempotent)."""
    processes = _seed_processes()
    materials = _seed_materials(processes)
    _seed_finishes(processes, materials)
    return processes, materials, _seed_certifications()


def _seed_network() -> dict:
    processes, materials, certifications = seed_catalog()
    machines = _seed_workshops(processes, materials, certifications)
    seed_carriers()
    organizations = {
        "Acme Robotics": _organization("Acme Robotics", Organization.Kind.CUSTOMER),
        "Cloud Factory Operations": _organization(
            "Cloud Factory Operations", Organization.Kind.PLATFORM
        ),
    }
    users = {}
    for login in DEMO_LOGINS:
        organization = organizations.get(login.organization) or Organization.objects.get(
            name=login.organization
        )
        users[login.email] = _demo_user(login, organization)
    designs = _seed_designs(users[DEMO_LOGINS[0].email], organizations["Acme Robotics"])
    return {
        "designs": designs,
        "users": users,
        "customer": organizations["Acme Robotics"],
        "processes": len(processes),
        "materials": len(materials),
        "workshops": Workshop.objects.count(),
        "countries": Workshop.objects.values("country").distinct().count(),
        "machines": machines,
        "carriers": Carrier.objects.count(),
    }


def _seed_processes() -> dict[str, Process]:
    processes = {}
    for code, name, family, unit, tolerance, wall, feature, angle in catalog.PROCESSES:
        processes[code], _ = Process.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "family": family,
                "rate_unit": unit,
                "typical_tolerance_mm": Decimal(tolerance),
                "min_wall_mm": Decimal(wall) if wall else None,
                "min_feature_mm": Decimal(feature) if feature else None,
                "self_supporting_angle_deg": angle,
                "description": catalog.PROCESS_DESCRIPTIONS[code],
            },
        )
    return processes


def _seed_materials(processes: dict[str, Process]) -> dict[str, Material]:
    materials = {}
    for code, name, family, density, price, porous, process_codes in catalog.MATERIALS:
        material, _ = Material.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "family": family,
                "density_g_cm3": Decimal(density),
                "price_per_kg_minor": price,
                "porous": porous,
            },
        )
        material.processes.set([processes[p] for p in process_codes])
        materials[code] = material
    return materials


def _seed_finishes(processes: dict[str, Process], materials: dict[str, Material]) -> None:
    for code, name, process_code, material_codes in catalog.FINISHES:
        finish, _ = Finish.objects.update_or_create(
            code=code, defaults={"name": name, "process": processes[process_code]}
        )
        finish.materials.set([materials[m] for m in material_codes])


def _seed_certifications() -> dict[str, Certification]:
    return {
        code: Certification.objects.update_or_create(
            code=code, defaults={"name": name, "description": description}
        )[0]
        for code, name, description in catalog.CERTIFICATIONS
    }


def _organization(name: str, kind: str) -> Organization:
    organization, _ = Organization.objects.get_or_create(name=name, kind=kind)
    return organization


def _seed_workshops(processes, materials, certifications) -> int:
    now = timezone.now()
    machine_count = 0
    for index, (name, city, country, lat, lon, kind, certs, verified) in enumerate(
        catalog.WORKSHOPS
    ):
        organization = _organization(name, Organization.Kind.WORKSHOP)
        workshop, _ = Workshop.objects.update_or_create(
            organization=organization,
            defaults={
                "city": city,
                "country": country,
                "latitude": Decimal(lat),
                "longitude": Decimal(lon),
                "address": f"Industriestraße {index + 1}, {city}",
                "description": f"{name}: {', '.join(catalog.WORKSHOP_KINDS[kind])} in {city}.",
                "verification_status": Workshop.Verification.VERIFIED
                if verified
                else Workshop.Verification.PENDING,
                "verified_at": now if verified else None,
                "rating": Decimal("4.2") + Decimal(index % 8) / 10 if verified else None,
                "review_count": (index * 7) % 40 if verified else 0,
                "min_lead_time_hours": 24 + (index % 3) * 24,
                # Every other workshop takes urgent work after a breakdown elsewhere.
                "urgent_lead_time_hours": 4 if index % 2 == 0 else None,
            },
        )
        workshop.certifications.set([certifications[c] for c in certs])
        seen: dict[str, int] = {}
        for process_code in catalog.WORKSHOP_KINDS[kind]:
            seen[process_code] = seen.get(process_code, 0) + 1
            _machine(workshop, processes[process_code], materials, seen[process_code], index)
            machine_count += 1
    # One machine down and one in maintenance, so that the operator console has something.
    Machine.objects.filter(
        workshop__organization__name="Torino Meccanica", name__endswith="#2"
    ).update(status=Machine.Status.DOWN, status_note="Spindle bearing replacement")
    Machine.objects.filter(
        workshop__organization__name="Hamburg Blech", process__code="laser-cutting"
    ).update(status=Machine.Status.MAINTENANCE, status_note="Annual laser source service")
    return machine_count


def _machine(workshop, process, materials, number, index) -> Machine:
    name, envelope, tolerance, rate, setup, setup_min, throughput, material_codes = (
        catalog.MACHINE_TEMPLATES[process.code]
    )
    # Rates vary a little between workshops, as they do in life (+-15 %).
    factor = Decimal(85 + (index * 37 + number * 11) % 31) / 100
    machine, _ = Machine.objects.update_or_create(
        workshop=workshop,
        name=f"{name} #{number}",
        defaults={
            "process": process,
            "envelope_x_mm": envelope[0],
            "envelope_y_mm": envelope[1],
            "envelope_z_mm": envelope[2],
            "tolerance_mm": Decimal(tolerance),
            "hourly_rate_minor": int(rate * 100 * factor),
            "setup_cost_minor": int(setup * 100 * factor),
            "setup_minutes": setup_min,
            "throughput": Decimal(throughput),
            "status": Machine.Status.AVAILABLE,
            "status_note": "",
        },
    )
    machine.materials.set([materials[m] for m in material_codes])
    machine.weekly_hours.all().delete()
    if process.code in ROUND_THE_CLOCK:
        hours = [(day, time(0, 0), time(23, 59)) for day in range(7)]
    else:
        hours = [(day, time(7, 0), time(19, 0)) for day in range(5)]
    WeeklyAvailability.objects.bulk_create(
        WeeklyAvailability(machine=machine, weekday=d, start_time=s, end_time=e)
        for d, s, e in hours
    )
    machine.exceptions.all().delete()
    if index % 5 == 0:
        start = (timezone.now() + timedelta(days=9 + index % 7)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        CapacityException.objects.create(
            machine=machine,
            starts_at=start,
            ends_at=start + timedelta(days=1),
            kind=CapacityException.Kind.MAINTENANCE
            if number == 1
            else CapacityException.Kind.HOLIDAY,
            note="Planned service" if number == 1 else "Local holiday",
        )
    return machine


def _give_demo_carrier_legs(carrier_users: list[User]) -> None:
    """The demo carrier login acts for the carrier the matcher gave the most legs, so its
    dashboard and leg cards show work. The matcher, not the seed, picks carriers; the login
    moves to that carrier rather than joining it, so that it lands there on sign-in."""
    from django.db.models import Count

    busiest = (
        Carrier.objects.annotate(legs=Count("shipments"))
        .filter(legs__gt=0)
        .select_related("organization")
        .order_by("-legs", "pk")
        .first()
    )
    if busiest is None:
        return
    for user in carrier_users:
        Membership.objects.filter(
            user=user, organization__kind=Organization.Kind.LOGISTICS
        ).exclude(organization=busiest.organization).delete()
        Membership.objects.get_or_create(
            user=user, organization=busiest.organization, defaults={"role": Membership.Role.OWNER}
        )


def seed_carriers() -> None:
    """The demo carriers with their parcel and pallet tariffs (idempotent)."""
    for name, description, countries, base, per_100km, speed, co2 in catalog.CARRIERS:
        organization = _organization(name, Organization.Kind.LOGISTICS)
        carrier, _ = Carrier.objects.update_or_create(
            organization=organization,
            defaults={
                "description": description,
                "countries": countries,
                "base_fee_minor": base,
                "per_100km_minor": per_100km,
                "speed_km_per_day": speed,
                "co2_g_per_km": co2,
            },
        )
        for upto_km, parcel, pallet in catalog.CARRIER_RATES.get(name, []):
            CarrierRate.objects.update_or_create(
                carrier=carrier,
                upto_km=upto_km,
                defaults={"parcel_minor": parcel, "pallet_minor": pallet},
            )


def _demo_user(login: DemoLogin, organization: Organization) -> User:
    user = User.objects.filter(email=login.email).first()
    if user is None:
        user = User.objects.create_user(login.email, DEMO_PASSWORD)
    user.full_name = login.email.split("@")[0].capitalize() + " (demo)"
    user.is_staff = user.is_superuser = login.role == "operator"
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=login.email, defaults={"verified": True, "primary": True}
    )
    Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": Membership.Role.OWNER}
    )
    if login.role == "operator" and not has_second_factor(user=user):
        totp_authenticator_set(user=user, secret=DEMO_OPERATOR_TOTP_SECRET)
    return user


def _seed_designs(user: User, organization: Organization) -> int:
    """Sample parts made with trimesh, uploaded and analysed like any customer's files."""
    parts = {
        "Sensor bracket": samples.bracket(),
        "Controller enclosure": samples.enclosure(),
        "Drive gear": samples.gear(),
        **{f"Gimbal assembly — {name}": stl for name, stl in samples.assembly().items()},
    }
    existing = set(Design.objects.filter(organization=organization).values_list("name", flat=True))
    for name, stl in parts.items():
        if name in existing:
            continue
        upload = SimpleUploadedFile(f"{name}.stl", stl, content_type="model/stl")
        design_upload(user=user, organization=organization, upload=upload, name=name)
    return Design.objects.filter(organization=organization).count()


ORDER_STORIES = [
    # (design, material, finish, quantity, how far the story goes)
    ("Sensor bracket", "al-6061", "anodized", 20, "completed"),
    ("Drive gear", "pom", None, 50, "delivered"),
    ("Controller enclosure", "pa12", "dyed-black", 10, "shipped"),
    ("Sensor bracket", "ss-304", "bead-blasted", 5, "in_production"),
    ("Drive gear", "al-7075", "anodized", 8, "paid"),
    ("Controller enclosure", "abs", None, 3, "placed"),
    ("Drive gear", "brass-c360", None, 12, "disputed"),
    ("Sensor bracket", "pla", None, 2, "cancelled"),
]
MUNICH = ("Acme Robotics goods in", "Leopoldstraße 100", "Munich", "DE", 48.16, 11.585)


def _seed_orders(customer: User, operator: User, organization: Organization) -> int:
    """Orders in every state, made by walking each one through the real services."""
    from django.test import override_settings

    from billing import services as billing
    from billing.models import Payment
    from billing.money import Money
    from marketplace.network.models import Finish, Material
    from marketplace.orders.models import Job, Order, Shipment

    if Order.objects.filter(organization=organization).exists():
        return Order.objects.filter(organization=organization).count()
    designs = {d.name: d for d in Design.objects.filter(organization=organization)}
    ship_to = quote_services.ShipTo(*MUNICH)
    # Short solves, and no demo e-mails flooding the console.
    with override_settings(
        QUOTE_TIME_LIMIT_S=1.0,
        QUOTE_SYNC_MAX_SIZE=10**6,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    ):
        for name, material, finish, quantity, goal in ORDER_STORIES:
            revision = designs[name].latest
            if revision is None or not revision.is_analysed:
                continue  # analysis still queued (e.g. inside a test's transaction)
            line = quote_services.LineSpec(
                revision=revision,
                material=Material.objects.get(code=material),
                finish=Finish.objects.get(code=finish) if finish else None,
                quantity=quantity,
            )
            quote = quote_services.quote_request_create(
                user=customer, organization=organization, lines=[line], ship_to=ship_to
            )
            option = quote.options.first()
            if option is None:
                continue
            order = order_services.order_place(user=customer, option=option)
            if goal == "placed":
                continue
            if goal == "cancelled":
                order_services.order_cancel(
                    user=customer, order=order, reason="Ordered the wrong material"
                )
                continue
            payment = Payment.objects.get(order_id=order.pk)
            with transaction.atomic():
                billing.payment_confirm_manual(
                    operator=operator,
                    payment=payment,
                    amount=Money(payment.amount_minor, payment.currency),
                )
            if goal == "paid":
                continue
            _walk_jobs(order, goal, Job, Shipment)
            order.refresh_from_db()
            if goal == "disputed":
                order_services.order_dispute(
                    user=customer, order=order, reason="Threads on two parts are damaged"
                )
                continue
            if goal in ("delivered", "completed"):
                order = order_services.order_confirm_delivery(user=customer, order=order)
            if goal == "completed":
                order = order_services.order_complete(user=customer, order=order)
                workshop = order.jobs.filter(status=Job.Status.DONE).first().workshop
                conversation.review_create(
                    user=customer,
                    order=order,
                    workshop=workshop,
                    rating=5,
                    comment="Precise and on time.",
                )
    return Order.objects.filter(organization=organization).count()


def _walk_jobs(order, goal, Job, Shipment) -> None:
    """Accepts and runs the order's jobs as its workshops would, as far as `goal` needs."""
    members = {}

    def worker(workshop):
        if workshop.pk not in members:
            members[workshop.pk] = _workshop_member(workshop)
        return members[workshop.pk]

    jobs = list(order.jobs.filter(status=Job.Status.OFFERED).order_by("planned_start"))
    for job in jobs:
        job_services.job_accept(user=worker(job.workshop), job=job)
    if goal == "in_production":
        first = jobs[0]
        job_services.job_start(user=worker(first.workshop), job=first)
        job_services.job_progress(
            user=worker(first.workshop), job=first, percent=40, note="Roughing done"
        )
        return
    for job in jobs:
        job_services.job_start(user=worker(job.workshop), job=job)
        job_services.job_complete(user=worker(job.workshop), job=job)
        for leg in order.shipments.filter(
            status=Shipment.Status.PLANNED, origin=job.workshop, job_key=job.job_key
        ):
            pending = order.jobs.filter(job_key=leg.job_key, workshop=leg.origin).exclude(
                status__in=[
                    Job.Status.DONE,
                    Job.Status.DECLINED,
                    Job.Status.SUPERSEDED,
                    Job.Status.CANCELLED,
                ]
            )
            if pending.exists():
                continue
            shipment_services.shipment_hand_over(
                user=worker(job.workshop), shipment=leg, tracking_number=f"EP{leg.pk:08d}"
            )
            if leg.destination_id:
                shipment_services.shipment_receive(user=worker(leg.destination), shipment=leg)


def _workshop_member(workshop: Workshop) -> User:
    """The workshop's first member, or a demo shop-floor account for it."""
    membership = workshop.organization.memberships.select_related("user").first()
    if membership is not None:
        return membership.user
    email = f"shopfloor+{workshop.organization.slug}@demo.cloudfactory.example"
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email, DEMO_PASSWORD
    )
    Membership.objects.get_or_create(user=user, organization=workshop.organization)
    return user
