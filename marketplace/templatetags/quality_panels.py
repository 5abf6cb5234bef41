"""The quality panels of the job card and the order page, read through quality's selectors
(orders' views cannot import quality, which sits above them)."""

from django import template

from accounts.permissions import acting_organization
from accounts.selectors import is_member_of
from marketplace.quality import selectors, services
from marketplace.quality.judging import tolerance_for
from marketplace.quality.models import DocumentKind, QualityFile, QualityRecord
from marketplace.quality.views import MEASUREMENT_ROWS

register = template.Library()


@register.inclusion_tag("marketplace/quality/_job_quality.html", takes_context=True)
def job_quality(context, job) -> dict:
    """The workshop's inspection form, its measurements so far and its files."""
    request = context["request"]
    if not selectors.may_read_quality(
        user=request.user, order=job.order, acting_as=acting_organization(request)
    ):
        return {"visible": False}
    record = QualityRecord.objects.filter(job=job).prefetch_related("measurements").first()
    files = list(QualityFile.objects.filter(job=job))
    is_workshop = is_member_of(user=request.user, organization_ids=[job.workshop.organization_id])
    return {
        "visible": True,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "job": job,
        "record": record,
        "files": files,
        "may_record": is_workshop
        and job.status in services.RECORDABLE
        and (record is None or record.review == "pending"),
        "may_upload": is_workshop and job.status in services.UPLOADABLE,
        "rows": range(MEASUREMENT_ROWS),
        "outcomes": QualityRecord.Outcome.choices,
        "kinds": QualityFile.Kind.choices,
        "default_tolerance": _tolerance_words(job),
    }


@register.inclusion_tag("marketplace/quality/_order_quality.html", takes_context=True)
def order_quality(context, order, is_customer: bool = False) -> dict:
    """Required documents (the customer may add some before production), records with their
    review buttons, files with their downloads."""
    request = context["request"]
    if not selectors.may_read_quality(
        user=request.user, order=order, acting_as=acting_organization(request)
    ):
        return {"visible": False}
    records = selectors.records_of(order)
    for record in records:
        record.may_review = services.may_review(user=request.user, record=record)
    files = selectors.files_of(order)
    required = selectors.required_documents(order, viewer=request.user, files=files)
    chosen = {r.kind for r in required}
    return {
        "visible": True,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "order": order,
        "required": required,
        "records": records,
        "files": files,
        "may_require": is_customer
        and selectors.requirements_refusal(user=request.user, order=order) is None,
        "kinds_to_add": [(k, label) for k, label in DocumentKind.choices if k not in chosen],
    }


@register.inclusion_tag("marketplace/quality/_checkout_documents.html")
def checkout_documents(option, chosen) -> dict:
    """The documents the order will require: the tolerance classes' ticked and fixed, the
    others for the customer to tick (kept ticked when the form comes back with an error)."""
    by_class = selectors.class_documents(option.request.lines.values_list("tolerance", flat=True))
    return {
        "documents": [
            {
                "kind": kind,
                "label": label,
                "because": by_class.get(kind, ""),
                "ticked": kind in by_class or kind in chosen,
            }
            for kind, label in DocumentKind.choices
        ]
    }


@register.simple_tag
def completion_blocker(order) -> str:
    """Why the customer cannot complete the order yet, in words, or '': the page shows the
    completing buttons disabled with it rather than a button the service would refuse."""
    return services.completion_blocker(order)


def _tolerance_words(job) -> str:
    tolerance_class = job.line.tolerance if job.line_id else "standard"
    return f"±{tolerance_for(tolerance_class)} mm"
