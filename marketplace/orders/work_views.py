"""The job card and the leg card: the pages a workshop and a carrier work from."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import organization_ids_of
from marketplace.orders.work_cards import job_card_for, leg_card_for


@login_required
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    return render(
        request,
        "marketplace/job_detail.html",
        {"card": job_card_for(job_id=job_id, user=request.user)},
    )


@login_required
def shipment_detail(request: HttpRequest, shipment_id: int) -> HttpResponse:
    card = leg_card_for(shipment_id=shipment_id, user=request.user)
    organization_ids = organization_ids_of(user=request.user)
    return render(
        request,
        "marketplace/shipment_detail.html",
        {
            "card": card,
            "may_hand_over": card.leg.can_hand_over(organization_ids),
            "may_receive": card.leg.can_receive(organization_ids),
        },
    )
