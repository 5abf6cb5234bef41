"""VAT invoices as downloads, and the operators' page of every document."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import require_operator
from billing.documents import DOCUMENT_KINDS, PAGE_SIZE, DocumentFilter, documents_filtered
from billing.invoicing import document_of, invoice_get_for_user


@login_required
def invoice_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """An invoice or credit note as PDF: members of the buyer and operators only."""
    from billing.invoice_pdf import document_pdf  # reportlab: only for a PDF

    invoice = invoice_get_for_user(user=request.user, invoice_id=invoice_id)
    response = HttpResponse(document_pdf(document_of(invoice)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    """Operators: every invoice and credit note, filtered and paginated, each downloadable."""
    require_operator(user=request.user)
    wanted = DocumentFilter.from_query(request.GET)
    page = Paginator(documents_filtered(wanted=wanted), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "billing/documents.html",
        {"page": page, "wanted": wanted, "kinds": DOCUMENT_KINDS, "query": query.urlencode()},
    )
