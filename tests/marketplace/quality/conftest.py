"""Alice's bracket (precision tolerance) milled by Bob; Charlie's workshop takes the parts
next; Olga operates. Files are small but real: their first bytes say what they are. Bob's
step is under way."""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.orders.models import Job, Order
from tests.factories.orders import JobFactory
from tests.factories.work import order_in_production
from tests.helpers import workshop_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
# A whole (if tiny) PDF: header, one object, the end marker; over the 200-byte floor.
PDF = (
    b"%PDF-1.4\n%quality\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    + b"% inspection report of the bracket, page 1\n" * 4
    + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@dataclass
class QualityWorld:
    order: Order
    milled: Job
    following: Job
    alice: object
    bob: object
    charlie: object
    olga: object


@pytest.fixture
def world(customer_alice, workshop_bob, workshop_charlie, operator_olga) -> QualityWorld:
    story = order_in_production(customer_alice, workshop_bob, status="in_production")
    Job.objects.filter(pk=story.job.pk).update(status=Job.Status.IN_PROGRESS)  # parts made
    story.job.refresh_from_db()
    following = JobFactory(
        order=story.order,
        workshop=workshop_of(workshop_charlie),
        line=story.job.line,
        sequence=story.job.sequence + 1,
        status=Job.Status.ACCEPTED,
    )
    return QualityWorld(
        story.order,
        story.job,
        following,
        customer_alice,
        workshop_bob,
        workshop_charlie,
        operator_olga,
    )


def finish(job: Job) -> Job:
    """Marks a step done without the services (the hook is tested on its own)."""
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE)
    job.refresh_from_db()
    return job
