"""Checkout pages: review an option and place it, the proforma before and after ordering."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts import addresses
from accounts.errors import DomainError as AccountsError
from billing.invoicing import (
    Party,
    buyer_of,
    checkout_details_for,
    platform_seller,
    proforma,
    sale_price,
)
from billing.vat import rate_label
from marketplace.errors import DomainError
from marketplace.orders import checkout, selectors
from marketplace.orders.checkout_forms import CheckoutForm
from marketplace.orders.invoicing import invoice_lines_for
from marketplace.orders.models import QuoteOption


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def order_checkout(request: HttpRequest, option_id: int) -> HttpResponse:
    """Review the option (lines, delivery, totals with VAT), give the billing details, then
    download a proforma or place the order and pay."""
    option = get_object_or_404(
        QuoteOption.objects.select_related("request__organization"),
        pk=option_id,
        request__organization__memberships__user=request.user,
    )
    organization = option.request.organization
    methods = checkout.payment_methods()
    placing = request.POST.get("action") != "proforma"
    initial = checkout.initial_from_profile(organization=organization)
    form = CheckoutForm(
        request.POST or None,
        organization=organization,
        methods=methods,
        placing=placing,
        initial=initial,
    )
    # Quality documents ticked beyond the tolerance classes' (quality checks the kinds).
    documents = request.POST.getlist("quality_documents")
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                address = form.cleaned_data["billing_saved"] or addresses.address_create(
                    user=request.user, organization=organization, kind="billing", **form.new_address
                )
            choice = checkout.billing_choice(
                address=address,
                vat_id=form.cleaned_data["vat_id"],
                po_number=form.cleaned_data["po_number"],
                organization_name=organization.name,
            )
            if not placing:
                document = checkout.option_proforma(
                    option=option, choice=choice, reference=f"Q{option.request_id}-{option.rank}"
                )
                return _pdf(_document_pdf(document), f"proforma-{document.reference}.pdf")
            order = checkout.order_checkout(
                user=request.user,
                option=option,
                choice=choice,
                terms_accepted=form.cleaned_data["terms"],
                payment_provider=form.cleaned_data["payment_method"],
                documents=documents,
            )
        except (DomainError, AccountsError) as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Order {order.reference} placed. Pay to start production.")
            return redirect("order_detail", order_id=order.pk)
    lines = invoice_lines_for(option=option)
    seller = platform_seller()
    delivery_country = option.request.ship_to_country
    domestic = sale_price(
        seller=seller,
        buyer=Party(organization.name, [], ""),
        lines=lines,
        currency=option.currency,
        delivery_country=delivery_country,
    )
    profile_sale = (
        sale_price(
            seller=seller,
            buyer=Party(initial["company_name"], [], initial["country"], initial.get("vat_id", "")),
            lines=lines,
            currency=option.currency,
            delivery_country=delivery_country,
        )
        if initial
        else None
    )
    return render(
        request,
        "marketplace/checkout.html",
        {
            "option": option,
            "quote": option.request,
            "form": form,
            "lines": lines,
            "delivery": checkout.delivery_lines(option),
            "domestic_sale": domestic,
            "domestic_rate": rate_label(domestic.rule.rate_bp),
            "seller_country": seller.country,
            "from_profile": bool(initial),
            "profile_sale": profile_sale,
            "documents": documents,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def order_proforma(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order's proforma invoice, for the customer (and operators)."""
    view = selectors.order_for_party(order_id=order_id, user=request.user)
    if not (view.is_customer or view.is_operator):
        return HttpResponse("Only the customer gets the proforma of an order.", status=403)
    order = view.order
    details = checkout_details_for(order_id=order.pk)
    document = proforma(
        reference=order.reference,
        po_number=details.po_number if details else "",
        buyer=buyer_of(organization=order.organization, details=details),
        lines=invoice_lines_for(order=order),
        currency=order.currency,
        delivery_country=details.delivery_country if details else "",
    )
    return _pdf(_document_pdf(document), f"proforma-{order.reference}.pdf")


def _document_pdf(document) -> bytes:
    """reportlab is imported when a PDF is asked for, not when the site starts."""
    from billing.invoice_pdf import document_pdf

    return document_pdf(document)
