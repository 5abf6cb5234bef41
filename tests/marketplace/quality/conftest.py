"""Alice's bracket (precision tolerance) milled by Bob; Charlie's workshop takes the parts
next; Olga operates. Files are small but real: their first bytes say what they are."""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.orders.models import Job, Order
from tests.factories.orders import JobFactory
from tests.factories.work import order_in_production
from tests.helpers import workshop_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n%quality\n" + b"0" * 64


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
