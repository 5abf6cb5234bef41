"""Writes for organizations, memberships and invitations."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.errors import InvitationInvalid, LastOwner, PermissionDenied
from accounts.models import (
    Invitation,
    Membership,
    Notification,
    NotificationPreference,
    Organization,
    User,
)
from accounts.permissions import require_manager
from accounts.tasks import invitation_send_task
from config.live import publish_on_commit, user_group

SELF_SERVICE_KINDS = (
    Organization.Kind.CUSTOMER,
    Organization.Kind.WORKSHOP,
    Organization.Kind.LOGISTICS,
)


@transaction.atomic
def organization_create(*, user: User, name: str, kind: str) -> Organization:
    """Creates an organization with its creator as owner; the platform itself is not for sale."""
    if kind not in SELF_SERVICE_KINDS:
        raise PermissionDenied("Platform organizations are created by operators only.")
    name = name.strip()
    if not name:
        raise InvitationInvalid("An organization needs a name.", code="name_required")
    organization = Organization.objects.create(name=name, kind=kind)
    Membership.objects.create(user=user, organization=organization, role=Membership.Role.OWNER)
    return organization


@transaction.atomic
def organization_update(*, user: User, organization: Organization, name: str) -> Organization:
    require_manager(user=user, organization=organization)
    organization.name = name.strip() or organization.name
    organization.save(update_fields=["name"])
    return organization


def invitation_create(
    *, user: User, organization: Organization, email: str, role: str
) -> Invitation:
    """Invites someone by e-mail; only owners may hand out the owner role."""
    membership = require_manager(user=user, organization=organization)
    if role == Membership.Role.OWNER and membership.role != Membership.Role.OWNER:
        raise PermissionDenied("Only an owner may invite another owner.")
    email = email.strip().lower()
    if organization.memberships.filter(user__email__iexact=email).exists():
        raise InvitationInvalid(f"{email} is already a member of {organization}.")
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=organization, email=email, role=role, invited_by=user
        )
        transaction.on_commit(lambda: invitation_send_task.delay(invitation.pk))
    return invitation


def invitation_send(*, invitation: Invitation) -> None:
    """Mails the invitation link (called by `invitation_send_task`)."""
    link = settings.SITE_URL + reverse("invitation_accept", args=[invitation.token])
    send_mail(
        subject=f"You are invited to join {invitation.organization} on Cloud Factory",
        message=(
            f"{invitation.invited_by} invites you to join {invitation.organization} as "
            f"{invitation.get_role_display().lower()}.\n\nAccept here: {link}\n\n"
            f"The link works until {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> Membership:
    """Redeems an invitation once; the invited address must be the user's own."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token=token)
        .select_related("organization")
        .first()
    )
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation has already been used.")
    if invitation.is_expired:
        raise InvitationInvalid("This invitation has expired; ask for a new one.")
    if invitation.email.lower() != user.email.lower():
        raise InvitationInvalid(
            f"This invitation was sent to {invitation.email}; log in with that address."
        )
    membership, _ = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_revoke(*, user: User, invitation: Invitation) -> None:
    require_manager(user=user, organization=invitation.organization)
    invitation.delete()


@transaction.atomic
def membership_change_role(*, user: User, membership: Membership, role: str) -> Membership:
    """Changes a member's role; an organization never loses its last owner."""
    actor = require_manager(user=user, organization=membership.organization)
    involves_owner = Membership.Role.OWNER in (role, membership.role)
    if involves_owner and actor.role != Membership.Role.OWNER:
        raise PermissionDenied("Only an owner may grant or remove the owner role.")
    if membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER:
        _refuse_last_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, user: User, membership: Membership) -> None:
    """Removes a member (or lets a member leave); the last owner cannot go."""
    if membership.user_id != user.pk:
        actor = require_manager(user=user, organization=membership.organization)
        if membership.role == Membership.Role.OWNER and actor.role != Membership.Role.OWNER:
            raise PermissionDenied("Only an owner may remove another owner.")
    if membership.role == Membership.Role.OWNER:
        _refuse_last_owner(membership)
    membership.delete()


def _refuse_last_owner(membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(
        organization=membership.organization, role=Membership.Role.OWNER
    )
    if len(owners) <= 1:
        raise LastOwner(
            f"{membership.organization} needs at least one owner: name another owner first."
        )


def notify(
    *, users, kind: str, title: str, body: str = "", url: str = "", email: bool = True
) -> list[Notification]:
    """Tells people what happened: in the app at once, live, and by e-mail unless muted.

    Runs inside the caller's transaction; the e-mail and the live event leave after commit.
    """
    users = [u for u in users if u is not None and u.is_active]
    notifications = Notification.objects.bulk_create(
        Notification(user=user, kind=kind, title=title, body=body, url=url) for user in users
    )
    preferences = {
        p.user_id: p for p in NotificationPreference.objects.filter(user__in=[u.pk for u in users])
    }
    recipients = [
        user.email
        for user in users
        if email and (user.pk not in preferences or preferences[user.pk].wants_email(kind))
    ]
    for user in users:
        publish_on_commit(
            user_group(user.pk),
            {"type": "notification", "data": {"kind": kind, "title": title, "url": url}},
        )
    if recipients:
        link = settings.SITE_URL + url if url else settings.SITE_URL
        transaction.on_commit(
            lambda: send_mail(
                subject=title,
                message=f"{body}\n\n{link}\n\nChange which e-mails you get under Notifications.",
                from_email=None,
                recipient_list=recipients,
                fail_silently=True,
            )
        )
    return notifications
