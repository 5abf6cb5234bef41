"""Background work of accounts: e-mail leaves the request cycle."""

from celery import shared_task

from accounts.models import Invitation


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def invitation_send_task(invitation_id: int) -> bool:
    """Mails an invitation; a revoked or used one is skipped, so reruns are harmless."""
    from accounts.services import invitation_send

    invitation = (
        Invitation.objects.filter(pk=invitation_id)
        .select_related("organization", "invited_by")
        .first()
    )
    if invitation is None or not invitation.is_pending:
        return False
    invitation_send(invitation=invitation)
    return True
