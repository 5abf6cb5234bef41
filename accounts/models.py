"""People, the organizations they act for, and their roles there."""

import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

INVITATION_VALIDITY = timedelta(days=14)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. E-mail is the login; what they may do comes from their memberships."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def for_member(self, user: User) -> "OrganizationQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user).distinct()


class Organization(models.Model):
    """A company acting on the platform; every business object belongs to one."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        WORKSHOP = "workshop", "Workshop"
        LOGISTICS = "logistics", "Logistics partner"
        PLATFORM = "platform", "Platform operator"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # Closed by its owner: its people erased, its name kept on the invoices the law keeps.
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = _unique_slug(self.name)
        super().save(*args, **kwargs)

    @property
    def is_platform(self) -> bool:
        return self.kind == self.Kind.PLATFORM


def _unique_slug(name: str) -> str:
    base = slugify(name)[:200] or "organization"
    slug = base
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    MANAGERS = (Role.OWNER, Role.ADMIN)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]
        ordering = ["organization__name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at {self.organization}"

    @property
    def can_manage(self) -> bool:
        return self.role in self.MANAGERS


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry():
    return timezone.now() + INVITATION_VALIDITY


class Invitation(models.Model):
    """An e-mailed offer to join an organization, redeemed once by whoever holds the link."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and not self.is_expired


class Notification(models.Model):
    """A message for one person, shown in the app and, by preference, e-mailed."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=60, help_text="Dotted event type, e.g. order.paid.")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """Which kinds of notification a person does not want by e-mail (in-app always shows)."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField(default=True)
    muted_kinds = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Preferences of {self.user}"

    def wants_email(self, kind: str) -> bool:
        prefix = kind.split(".")[0]
        return (
            self.email_enabled and kind not in self.muted_kinds and prefix not in self.muted_kinds
        )


class Address(models.Model):
    """A postal address in an organization's address book, located once when saved.

    Coordinates come from the offline place-name dataset (``accounts.places``), never typed by
    a person; the quote request copies them (and the lines) into its ship-to fields, so a
    later edit of the book does not move an order already planned.
    """

    class Kind(models.TextChoices):
        SHIPPING = "shipping", "Shipping"
        BILLING = "billing", "Billing"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="addresses"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SHIPPING)
    label = models.CharField(max_length=80, blank=True, help_text="e.g. Main plant, Head office")
    company_name = models.CharField(max_length=200, blank=True)
    recipient = models.CharField(max_length=200, blank=True)
    street = models.CharField(max_length=255)
    postcode = models.CharField(max_length=20)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, upper case.")
    latitude = models.DecimalField(max_digits=8, decimal_places=5)
    longitude = models.DecimalField(max_digits=8, decimal_places=5)
    located_as = models.CharField(
        max_length=200, blank=True, help_text="The place of the dataset the address was put at."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "kind", "label", "city", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90)
                & models.Q(longitude__gte=-180, longitude__lte=180),
                name="address_coordinates_on_earth",
            )
        ]

    def __str__(self) -> str:
        name = self.label or self.company_name or self.recipient
        return f"{name + ': ' if name else ''}{self.one_line}"

    @property
    def one_line(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}, {self.country}"

    @property
    def lines(self) -> list[str]:
        """The address as printed on a document, company first."""
        head = [line for line in (self.company_name, self.recipient) if line]
        return [*head, self.street, f"{self.postcode} {self.city}", self.country_name]

    @property
    def country_name(self) -> str:
        from accounts.places import country_name

        return country_name(self.country)


class AppendOnly(Exception):
    """The audit log is never rewritten: a correction is a new entry."""


class OperatorActionQuerySet(models.QuerySet["OperatorAction"]):
    def update(self, **kwargs):
        raise AppendOnly("Operator actions are never changed; record a new one instead.")

    def delete(self):
        raise AppendOnly("Operator actions are never deleted.")


class OperatorAction(models.Model):
    """One thing an operator did to one object: who, what, to which object, when, and details.

    Written only by `accounts.audit.record`; the queryset and the instance refuse updates and
    deletes, so neither the admin nor a helper can rewrite history. The actor's e-mail is kept
    beside the link so the entry still reads right if the account is renamed or erased.
    """

    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="operator_actions"
    )
    actor_email = models.EmailField()
    action = models.CharField(max_length=60, help_text="Dotted, e.g. workshop.verify.")
    target_type = models.CharField(max_length=60, help_text="app_label.model of the object.")
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=200)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    objects = OperatorActionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.actor_email} {self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Operator actions are never changed; record a new one instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Operator actions are never deleted.")


# Webhook models live in their own package under this app's label (one migration history).
from accounts.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: E402, F401


class BillingProfile(models.Model):
    """Who the organization is on invoices: legal name, address and VAT ID.

    Orders placed without checkout (API, demo, the quick order button) are billed to it, and
    checkout starts from it. An order copies it when placed (billing's checkout details), so
    editing the profile later changes neither that order's VAT nor its invoice.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="billing_profile"
    )
    legal_name = models.CharField(max_length=200)
    street = models.CharField(max_length=255)
    postcode = models.CharField(max_length=20)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, upper case.")
    vat_id = models.CharField(
        max_length=20, blank=True, help_text="Compact, checked against the country; or empty."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Billing profile of {self.organization}"

    @property
    def lines(self) -> list[str]:
        """The address as printed on an invoice, below the legal name."""
        from accounts.places import country_name

        return [self.street, f"{self.postcode} {self.city}", country_name(self.country)]
