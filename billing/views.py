"""Billing pages: operators confirm transfers and run settlements; every organization reads
its statements and downloads its invoice or credit note."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.errors import PermissionDenied
from accounts.models import Organization
from accounts.permissions import require_operator
from billing import payments, settlement
from billing.connect import connected_account_onboard, connected_account_sync
from billing.errors import NotFound
from billing.models import ConnectedAccount, Payment
from billing.money import Money
from billing.pdf import credit_note_pdf, invoice_pdf
from billing.selectors import (
    payouts_bank_csv,
    settlement_run_get,
    settlement_run_payouts,
    settlement_runs,
)
from billing.statements import (
    ROLE_CUSTOMER,
    ROLE_PLATFORM,
    order_statement,
    period_statement,
    statement_months,
)
from config.errors import DomainError


@login_required
@require_POST
def payment_confirm_manual(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The operator saw the transfer for the full amount arrive on the bank account."""
    payment = get_object_or_404(Payment, pk=payment_id)
    try:
        payments.payment_confirm_manual(
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


# -- statements -----------------------------------------------------------------------------
def _organization(request: HttpRequest) -> Organization:
    membership = getattr(request, "membership", None)
    if not membership:
        raise PermissionDenied("Join or create an organization first.")
    return membership.organization


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def _month(value: str | None) -> dt.date | None:
    try:
        return dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None


@login_required
def statement_list(request: HttpRequest) -> HttpResponse:
    """The active organization's released orders for one month, with totals."""
    organization = _organization(request)
    months = statement_months(organization=organization)
    month = _month(request.GET.get("month")) or (
        months[0] if months else timezone.localdate().replace(day=1)
    )
    start, end = month_bounds(month)
    statement = period_statement(organization=organization, period_start=start, period_end=end)
    return render(
        request,
        "billing/statement_list.html",
        {"statement": statement, "months": months, "month": month},
    )


@login_required
def statement_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    statement = order_statement(organization=_organization(request), order_id=order_id)
    return render(
        request,
        "billing/statement_detail.html",
        {"statement": statement, "has_pdf": statement.role != ROLE_PLATFORM},
    )


def statement_pdf_response(*, organization: Organization, order_id: int) -> HttpResponse:
    """The invoice (customer) or credit note (workshop, carrier) of one order, as a download."""
    statement = order_statement(organization=organization, order_id=order_id)
    if statement.role == ROLE_PLATFORM:
        raise NotFound("The platform gets no invoice or credit note for its own fee.")
    if statement.role == ROLE_CUSTOMER:
        content, name = invoice_pdf(statement), f"invoice-{statement.reference}.pdf"
    else:
        content = credit_note_pdf(statement, organization_id=organization.pk)
        name = f"credit-note-{statement.reference}-{organization.pk}.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def statement_pdf(request: HttpRequest, order_id: int) -> HttpResponse:
    return statement_pdf_response(organization=_organization(request), order_id=order_id)


# -- settlement runs (operators) ------------------------------------------------------------
class SettlementRunForm(forms.Form):
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    currency = forms.CharField(max_length=3, min_length=3, initial="EUR")

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            raise forms.ValidationError("The period ends before it starts.")
        return data


@login_required
def settlement_list(request: HttpRequest) -> HttpResponse:
    """Operators list the runs and start one for a period (paid in the background)."""
    require_operator(user=request.user)
    if request.method == "POST":
        form = SettlementRunForm(request.POST)
        if form.is_valid():
            try:
                run = settlement.settlement_run(
                    operator=request.user,
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                    currency=form.cleaned_data["currency"],
                    background=True,
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"{run} started.")
                return redirect("billing_settlements")
    else:
        start, end = month_bounds(timezone.localdate().replace(day=1) - dt.timedelta(days=1))
        form = SettlementRunForm(initial={"period_start": start, "period_end": end})
    runs = list(settlement_runs()[:50])
    return render(request, "billing/settlement_list.html", {"form": form, "runs": runs})


@login_required
def settlement_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    require_operator(user=request.user)
    run = settlement_run_get(run_id=run_id)
    payouts = settlement_run_payouts(run=run)
    return render(request, "billing/settlement_detail.html", {"run": run, "payouts": payouts})


@login_required
@require_POST
def settlement_retry(request: HttpRequest, run_id: int) -> HttpResponse:
    require_operator(user=request.user)
    run = settlement_run_get(run_id=run_id)
    try:
        settlement.settlement_retry(run=run, operator=request.user, background=True)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The run is paying what is still unpaid.")
    return redirect("billing_settlement_detail", run_id=run.pk)


def settlement_csv_response(*, run) -> HttpResponse:
    response = HttpResponse(payouts_bank_csv(run=run), content_type="text/csv")
    name = f"payouts-{run.period_start}-{run.period_end}-{run.currency}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def settlement_csv(request: HttpRequest, run_id: int) -> HttpResponse:
    require_operator(user=request.user)
    return settlement_csv_response(run=settlement_run_get(run_id=run_id))


_PAID_OUT_KINDS = (Organization.Kind.WORKSHOP, Organization.Kind.LOGISTICS)


@login_required
def connect_onboarding(request: HttpRequest) -> HttpResponse:
    """A workshop's or carrier's page to set up payouts with Stripe, and its state.

    POST (or Stripe's refresh link, ``?refresh=1``, when the onboarding link expired) opens a
    fresh onboarding link and sends the user there; Stripe's return link (``?return=1``)
    comes back here, which re-reads the account from Stripe and shows where it stands.
    """
    organization = _organization(request)
    if organization.kind not in _PAID_OUT_KINDS:
        raise PermissionDenied("Only workshops and carriers are paid out; switch to one first.")
    page = request.build_absolute_uri(reverse("billing_connect_onboarding"))
    if request.method == "POST" or request.GET.get("refresh"):
        try:
            url = connected_account_onboard(
                user=request.user,
                organization=organization,
                refresh_url=f"{page}?refresh=1",
                return_url=f"{page}?return=1",
            )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("billing_connect_onboarding")
        return redirect(url)
    account = ConnectedAccount.objects.filter(organization=organization).first()
    if account is not None and request.GET.get("return"):
        try:
            account = connected_account_sync(account=account)
        except DomainError as error:
            messages.error(request, error.message)
    return render(
        request,
        "billing/connect_onboarding.html",
        {"organization": organization, "account": account},
    )
