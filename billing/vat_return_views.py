"""The operators' VAT return page and its CSV download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.permissions import require_operator
from billing.vat_return import (
    InvalidVatPeriod,
    vat_period_parse,
    vat_periods_recent,
    vat_return,
    vat_return_csv,
)

DOCUMENTS_PER_PAGE = 50


def _default_period() -> str:
    return f"{timezone.localdate():%Y-%m}"


@login_required
def vat_return_page(request: HttpRequest) -> HttpResponse:
    """Operators: the VAT return of a month or quarter, the EU sales list and the ledger check."""
    require_operator(user=request.user)
    wanted = request.GET.get("period") or _default_period()
    periods = vat_periods_recent(today=timezone.localdate())
    try:
        period = vat_period_parse(wanted)
    except InvalidVatPeriod as error:
        return render(
            request,
            "billing/vat_return.html",
            {"error": error.message, "wanted": wanted, "periods": periods},
            status=400,
        )
    report = vat_return(period=period)
    page = Paginator(report.documents, DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/vat_return.html",
        {"report": report, "wanted": period.key, "periods": periods, "page": page},
    )


@login_required
def vat_return_download(request: HttpRequest) -> HttpResponse:
    """Operators: the same return as CSV."""
    require_operator(user=request.user)
    try:
        period = vat_period_parse(request.GET.get("period") or _default_period())
    except InvalidVatPeriod as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        vat_return_csv(vat_return(period=period)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="vat-return-{period.key}.csv"'
    return response
