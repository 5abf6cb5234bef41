"""factory_boy factories shared by every suite."""

from datetime import UTC, timedelta

import factory
from allauth.account.models import EmailAddress

from accounts.models import Membership, Organization, User
from marketplace.network.models import (
    CapacityBooking,
    CapacityException,
    Carrier,
    Certification,
    Finish,
    Machine,
    Material,
    Process,
    WeeklyAvailability,
    Workshop,
)

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        self.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    kind = Organization.Kind.CUSTOMER


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.OWNER


class ProcessFactory(factory.django.DjangoModelFactory):
    """3-axis CNC milling unless told otherwise; `additive=True` makes a printing process."""

    class Meta:
        model = Process
        django_get_or_create = ["code"]

    class Params:
        additive = factory.Trait(
            family=Process.Family.ADDITIVE, rate_unit=Process.RateUnit.DEPOSITION
        )

    code = "cnc-3axis"
    name = "3-axis CNC milling"
    family = Process.Family.SUBTRACTIVE
    rate_unit = Process.RateUnit.REMOVAL
    typical_tolerance_mm = "0.050"


class WorkshopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workshop

    organization = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.WORKSHOP)
    city = "Stuttgart"
    country = "DE"
    latitude = "48.77580"
    longitude = "9.18290"
    timezone = "Europe/Berlin"  # weekly hours are local: a test about UTC says so
    verification_status = Workshop.Verification.VERIFIED


class MachineFactory(factory.django.DjangoModelFactory):
    """A 3-axis mill; `open_on=range(5)` opens it 08:00-16:00 on those weekdays (0 is Monday),
    `open_on__start_time=...` / `open_on__end_time=...` change the hours."""

    class Meta:
        model = Machine
        skip_postgeneration_save = True

    workshop = factory.SubFactory(WorkshopFactory)
    name = factory.Sequence(lambda n: f"Mill #{n}")
    process = factory.SubFactory(ProcessFactory)
    envelope_x_mm = 500
    envelope_y_mm = 400
    envelope_z_mm = 300
    tolerance_mm = "0.050"
    hourly_rate_minor = 6000
    setup_cost_minor = 5000
    setup_minutes = 30
    throughput = "20"

    @factory.post_generation
    def open_on(self, create, extracted, **kwargs):
        if create and extracted is not None:
            for weekday in extracted:
                WeeklyAvailabilityFactory(machine=self, weekday=weekday, **kwargs)


class WeeklyAvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeeklyAvailability

    machine = factory.SubFactory(MachineFactory)
    weekday = 0
    start_time = "08:00"
    end_time = "16:00"


class MaterialFactory(factory.django.DjangoModelFactory):
    """A material; pass `processes=[...]` to say which processes take it."""

    class Meta:
        model = Material
        django_get_or_create = ["code"]
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"material-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    family = Material.Family.ALUMINIUM
    density_g_cm3 = "2.700"
    price_per_kg_minor = 900

    @factory.post_generation
    def processes(self, create, extracted, **kwargs):
        if create and extracted:
            self.processes.add(*extracted)


class FinishFactory(factory.django.DjangoModelFactory):
    """A finish; pass `materials=[...]` to say which materials take it."""

    class Meta:
        model = Finish
        django_get_or_create = ["code"]
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"finish-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    process = factory.SubFactory(ProcessFactory)

    @factory.post_generation
    def materials(self, create, extracted, **kwargs):
        if create and extracted:
            self.materials.add(*extracted)


class CarrierFactory(factory.django.DjangoModelFactory):
    """A logistics organization's terms, serving Germany and the Netherlands."""

    class Meta:
        model = Carrier

    organization = factory.SubFactory(OrganizationFactory, kind=Organization.Kind.LOGISTICS)
    countries = "DE,NL"
    base_fee_minor = 1500
    per_100km_minor = 80


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"cert-{n}")
    name = factory.LazyAttribute(lambda o: o.code.upper())


class CapacityExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityException

    machine = factory.SubFactory(MachineFactory)
    starts_at = factory.Faker("date_time_this_year", tzinfo=UTC)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(days=1))
    kind = CapacityException.Kind.HOLIDAY


class CapacityBookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityBooking

    machine = factory.SubFactory(MachineFactory)
    starts_at = factory.Faker("date_time_this_year", tzinfo=UTC)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    reference = factory.Sequence(lambda n: f"job-{n}")
