"""The background quote solve: a Celery task by id, on the `matching` queue, found by workers.

It replaces the matcher's solver registry: ``quote_request_create`` enqueues
``marketplace.orders.tasks.quote_solve_task`` on commit for requests too large to answer at once.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from config.celery import app as celery_app
from marketplace.designs.models import Design, DesignRevision
from marketplace.network.models import Finish, Material
from marketplace.orders.models import QuoteRequest
from marketplace.orders.quotes import LineSpec, ShipTo, quote_request_create, quote_solve
from marketplace.orders.tasks import quote_solve_task
from tests.data.analyses import BRACKET

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
TASK = "marketplace.orders.tasks.quote_solve_task"
MUNICH = ShipTo("Goods in", "Main street 1", "Munich", "DE", 48.1351, 11.5820)


@pytest.fixture(autouse=True)
def _fast_matcher(settings):
    settings.QUOTE_TIME_LIMIT_S = 1.0
    settings.MATCHING_WORKERS = 1


def _bracket_line(organization) -> LineSpec:
    design = Design.objects.create(organization=organization, name="Bracket")
    revision = DesignRevision.objects.create(
        design=design,
        number=1,
        file="designs/Bracket.stl",
        original_name="Bracket.stl",
        format="stl_binary",
        size_bytes=1000,
        sha256="0" * 64,
        status=DesignRevision.Status.ANALYSED,
        analysis=BRACKET,
    )
    return LineSpec(
        revision=revision,
        material=Material.objects.get(code="al-6061"),
        finish=Finish.objects.get(code="anodized"),
        quantity=2,
    )


def _request_solved_later(customer, settings, capture) -> tuple[QuoteRequest, list]:
    """A request too large for the call (the threshold is 0), and its on-commit callbacks
    (not run): it waits for its task."""
    settings.QUOTE_SYNC_MAX_SIZE = 0
    organization = customer.memberships.get().organization
    with capture(execute=False) as callbacks:
        request = quote_request_create(
            user=customer,
            organization=organization,
            lines=[_bracket_line(organization)],
            ship_to=MUNICH,
        )
    request.refresh_from_db()
    assert request.status == QuoteRequest.Status.SOLVING
    assert not request.options.exists()
    return request, callbacks


def _stored(request: QuoteRequest) -> list[tuple]:
    return [
        (o.rank, o.labels, o.price_minor, o.cost_minor, o.delivery_at, o.route)
        for o in request.options.order_by("rank")
    ]


def test_the_task_solves_the_quote_request_by_id(
    small_network, customer_alice, settings, django_capture_on_commit_callbacks
):
    request, _ = _request_solved_later(customer_alice, settings, django_capture_on_commit_callbacks)
    assert quote_solve_task.apply(args=(request.pk,)).get() == QuoteRequest.Status.READY
    request.refresh_from_db()
    assert request.status == QuoteRequest.Status.READY, request.reasons
    option = request.options.first()
    assert option.price_minor == option.cost_minor + option.margin_minor + option.platform_fee_minor
    assert {s["process"] for s in option.route["steps"]} >= {"cnc-3axis", "anodizing"}


def test_a_large_request_enqueues_the_task_on_commit(
    small_network, customer_alice, settings, django_capture_on_commit_callbacks
):
    request, callbacks = _request_solved_later(
        customer_alice, settings, django_capture_on_commit_callbacks
    )
    (enqueue,) = callbacks  # nothing is solved before the commit
    enqueue()  # the embedded mode runs the task eagerly
    request.refresh_from_db()
    assert request.status == QuoteRequest.Status.READY, request.reasons
    assert request.options.exists()


def test_a_rerun_on_a_solved_quote_changes_nothing(
    small_network, customer_alice, settings, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2030, 1, 7, 6, 0, tzinfo=UTC), tick=False):
        request, _ = _request_solved_later(
            customer_alice, settings, django_capture_on_commit_callbacks
        )
        quote_solve_task.apply(args=(request.pk,)).get()
        request.refresh_from_db()
        first = (request.status, request.reasons, request.valid_until, _stored(request))
        assert quote_solve_task.apply(args=(request.pk,)).get() == QuoteRequest.Status.READY
    request.refresh_from_db()
    assert (request.status, request.reasons, request.valid_until, _stored(request)) == first
    assert request.options.count() == len(first[3])


def test_an_unknown_id_fails_as_the_service_does():
    with pytest.raises(QuoteRequest.DoesNotExist):
        quote_solve(quote_request_id=999_999)
    with pytest.raises(QuoteRequest.DoesNotExist):
        quote_solve_task.apply(args=(999_999,)).get()


def test_the_task_is_routed_to_the_matching_queue(settings):
    assert quote_solve_task.name == TASK
    assert settings.CELERY_TASK_ROUTES[TASK] == {"queue": "matching"}
    route = celery_app.amqp.router.route({}, TASK, args=(1,), kwargs={})
    assert route["queue"].name == "matching"


def test_a_worker_finds_the_task_by_name():
    """A fresh process loads the task modules as a worker does at start (autodiscovery)."""
    code = (
        "import django\n"
        "from config.celery import app\n"
        "django.setup()\n"
        "app.loader.import_default_modules()\n"
        f"assert {TASK!r} in app.tasks, sorted(app.tasks)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
