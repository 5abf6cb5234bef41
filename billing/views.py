"""Operator pages of billing: confirming bank transfers as they arrive."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from billing import services
from billing.models import Payment
from billing.money import Money
from config.errors import DomainError


@login_required
@require_POST
def payment_confirm_manual(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The operator saw the transfer for the full amount arrive on the bank account."""
    payment = get_object_or_404(Payment, pk=payment_id)
    try:
        services.payment_confirm_manual(
            operator=request.user,
            payment=payment,
            amount=Money(payment.amount_minor, payment.currency),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Payment {payment.reference} confirmed.")
    target = request.headers.get("Referer", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("dashboard")
