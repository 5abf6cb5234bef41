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
from billing import bank, payments, settlement
from billing.audit import money_audit
from billing.connect import connected_account_onboard, connected_account_sync
from billing.credit_notes import (
    credit_note_get_for_user,
    credit_notes_for_organization,
    credit_notes_issue_missing,
    statement_with_credit_notes,
)
from billing.errors import NotFound
from billing.models import ConnectedAccount, Payment
from billing.providers import default_provider_name
from billing.selectors import (
    bank_file_get,
    bank_files_for_run,
    payout_get,
    settlement_run_get,
    settlement_run_payouts,
    settlement_runs,
)
from billing.statements import (
    ROLE_CUSTOMER,
    ROLE_PLATFORM,
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
            amount=payment.amount,
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
    """One order's statement; a customer's refunds get their credit notes on first view."""
    statement = statement_with_credit_notes(organization=_organization(request), order_id=order_id)
    return render(
        request,
        "billing/statement_detail.html",
        {"statement": statement, "has_pdf": statement.role != ROLE_PLATFORM},
    )


def statement_pdf_response(*, organization: Organization, order_id: int) -> HttpResponse:
    """The invoice (customer) or credit note (workshop, carrier) of one order, as a download."""
    from billing.pdf import credit_note_pdf, invoice_pdf  # reportlab: only for a PDF

    statement = statement_with_credit_notes(organization=organization, order_id=order_id)
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


# -- credit notes for refunds (customers) ---------------------------------------------------
@login_required
def credit_note_list(request: HttpRequest) -> HttpResponse:
    """The active organization's credit notes, one per refund (missing ones issued first)."""
    organization = _organization(request)
    credit_notes_issue_missing(customer=organization)
    notes = credit_notes_for_organization(organization=organization)
    return render(request, "billing/credit_note_list.html", {"credit_notes": notes})


@login_required
def credit_note_download(request: HttpRequest, credit_note_id: int) -> HttpResponse:
    """A refund's credit note as PDF: the credited organization's members and operators."""
    from billing.pdf import refund_credit_note_pdf

    note = credit_note_get_for_user(user=request.user, credit_note_id=credit_note_id)
    response = HttpResponse(refund_credit_note_pdf(note), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credit-note-{note.number}.pdf"'
    return response


# -- settlement runs (operators) ------------------------------------------------------------
class SettlementRunForm(forms.Form):
    """Pays every released payout due up to now in one currency through one provider."""

    currency = forms.ChoiceField(choices=(), initial="EUR")
    provider = forms.ChoiceField(choices=(), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(c, c) for c in settlement.supported_currencies()]
        self.fields["provider"].choices = [(p, p) for p in settlement.provider_names()]
        self.fields["provider"].initial = default_provider_name()


@login_required
def settlement_list(request: HttpRequest) -> HttpResponse:
    """Operators list the runs and start one for what is due now (paid in the background)."""
    require_operator(user=request.user)
    form = SettlementRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = settlement.settlement_run(
                operator=request.user,
                currency=form.cleaned_data["currency"],
                provider=form.cleaned_data["provider"] or None,
                background=True,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{run} started.")
            return redirect("billing_settlements")
    runs = list(settlement_runs()[:50])
    return render(request, "billing/settlement_list.html", {"form": form, "runs": runs})


@login_required
def money_audit_page(request: HttpRequest) -> HttpResponse:
    """Operators see every order whose money breaks an invariant, with the amounts."""
    require_operator(user=request.user)
    return render(request, "billing/audit.html", {"audit": money_audit()})


@login_required
def settlement_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    require_operator(user=request.user)
    run = settlement_run_get(run_id=run_id)
    context = {
        "run": run,
        "payouts": settlement_run_payouts(run=run),
        "bank_files": bank_files_for_run(run=run),
    }
    return render(request, "billing/settlement_detail.html", context)


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


@login_required
@require_POST
def settlement_sepa(request: HttpRequest, run_id: int) -> HttpResponse:
    """Export the run's bank payouts not yet in a file as a new SEPA file."""
    require_operator(user=request.user)
    run = settlement_run_get(run_id=run_id)
    try:
        result = bank.bank_file_create(operator=request.user, run=run)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{result.bank_file} created; download it for the bank.")
        if result.waiting_for_details:
            names = ", ".join(result.waiting_for_details)
            messages.warning(request, f"Left out until they enter bank details: {names}.")
    return redirect("billing_settlement_detail", run_id=run.pk)


def bank_file_response(*, bank_file) -> HttpResponse:
    response = HttpResponse(bank_file.content, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{bank.bank_file_name(bank_file)}"'
    response["X-Export-Count"] = str(bank_file.export_count)
    return response


@login_required
@require_POST
def bank_file_download(request: HttpRequest, file_id: int) -> HttpResponse:
    """The first download exports the file; another needs ``again`` (a re-export) and says so."""
    require_operator(user=request.user)
    bank_file = bank_file_get(file_id=file_id)
    try:
        exported = bank.bank_file_export(
            operator=request.user, bank_file=bank_file, again=bool(request.POST.get("again"))
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _back_to_run(bank_file.run_id)
    return bank_file_response(bank_file=exported)


@login_required
@require_POST
def bank_file_mark_paid(request: HttpRequest, file_id: int) -> HttpResponse:
    require_operator(user=request.user)
    bank_file = bank_file_get(file_id=file_id)
    try:
        count = bank.bank_file_mark_paid(operator=request.user, bank_file=bank_file)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{count} payouts of {bank_file.message_id} marked paid.")
    return _back_to_run(bank_file.run_id)


@login_required
@require_POST
def payout_mark_paid(request: HttpRequest, payout_id: int) -> HttpResponse:
    require_operator(user=request.user)
    payout = payout_get(payout_id=payout_id)
    try:
        bank.bank_payout_mark_paid(operator=request.user, payout=payout)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Payout {payout.idempotency_key} marked paid.")
    return _back_to_run(payout.settlement_run_id)


def _back_to_run(run_id: int | None) -> HttpResponse:
    if run_id is None:
        return redirect("billing_settlements")
    return redirect("billing_settlement_detail", run_id=run_id)


# -- bank details (an organization's owner) -------------------------------------------------
class BankAccountForm(forms.Form):
    holder_name = forms.CharField(max_length=70, label="Account holder")
    iban = forms.CharField(max_length=50, label="IBAN")
    bic = forms.CharField(max_length=20, label="BIC")


@login_required
def bank_account(request: HttpRequest) -> HttpResponse:
    """The owner of the active organization enters where its bank payouts go."""
    organization = _organization(request)
    current = bank.bank_account_get(user=request.user, organization=organization)
    initial = (
        {"holder_name": current.holder_name, "iban": current.iban_display, "bic": current.bic}
        if current
        else {"holder_name": organization.name}
    )
    form = BankAccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            bank.bank_account_set(user=request.user, organization=organization, **form.cleaned_data)
        except bank.InvalidBankDetails as error:
            field = {"invalid_iban": "iban", "invalid_bic": "bic"}.get(error.code, "holder_name")
            form.add_error(field, error.message)
        else:
            messages.success(request, "Bank details saved.")
            return redirect("billing_bank_account")
    return render(
        request,
        "billing/bank_account.html",
        {"form": form, "account": current, "organization": organization},
    )


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
