"""A workshop reads the revisions it was given, while its job is live and for a set period after
it is done; every download of a file is logged for the design's owner."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.designs.models import Design, DesignDownload, DesignRevision
from tests.factories.designs import DesignFactory, DesignRevisionFactory
from tests.factories.orders import JobFactory, QuoteLineFactory
from tests.helpers import admin_sign_in, api_client_for, organization_of, workshop_of

pytestmark = pytest.mark.django_db

STATUSES = ["planned", "offered", "accepted", "in_progress", "done", "declined", "superseded"]
STATUSES += ["cancelled"]


@pytest.fixture
def design(customer_alice):
    return DesignFactory(organization=organization_of(customer_alice), name="Bracket")


def _revision(design, number: int) -> DesignRevision:
    return DesignRevisionFactory(design=design, number=number, original_name=f"v{number}.stl")


def _give(revision, workshop, status="accepted", finished_at=None):
    """A step of an order for `revision`, held by `workshop` in `status`."""
    line = QuoteLineFactory(request__organization=revision.design.organization, revision=revision)
    return JobFactory(
        order__option__request=line.request,
        line=line,
        workshop=workshop,
        status=status,
        finished_at=finished_at,
    )


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_a_workshop_cannot_download_a_revision_uploaded_after_its_job(client, workshop_bob, design):
    third = _revision(design, 3)
    _give(third, workshop_of(workshop_bob))
    tenth = _revision(design, 10)
    assert _get(client, workshop_bob, f"/designs/files/{third.pk}/").status_code == 200
    assert _get(client, workshop_bob, f"/designs/files/{tenth.pk}/").status_code == 404
    assert _get(client, workshop_bob, f"/designs/files/{tenth.pk}/preview.stl").status_code == 404


def test_the_design_page_and_api_show_a_workshop_only_the_revision_it_was_given(
    client, workshop_bob, design
):
    third = _revision(design, 3)
    _give(third, workshop_of(workshop_bob))
    tenth = _revision(design, 10)
    page = _get(client, workshop_bob, f"/designs/{design.pk}/").content.decode()
    assert f"/designs/files/{third.pk}/" in page
    assert f"/designs/files/{tenth.pk}/" not in page
    assert "revision 3 (the one given for your job)" in page
    assert "of 1" not in page
    body = api_client_for(workshop_bob).get(f"/api/v1/designs/{design.pk}/").json()
    assert body["revisions"] == [third.pk]
    assert body["latest"]["number"] == 3


@pytest.mark.parametrize("status", ["planned", "declined", "superseded", "cancelled"])
def test_a_step_not_held_gives_no_access(client, workshop_bob, design, status):
    revision = _revision(design, 1)
    _give(revision, workshop_of(workshop_bob), status=status)
    assert _get(client, workshop_bob, f"/designs/files/{revision.pk}/").status_code == 404
    assert _get(client, workshop_bob, f"/designs/{design.pk}/").status_code == 404


def test_a_done_step_gives_access_for_the_set_days_then_none(client, workshop_bob, design):
    revision = _revision(design, 1)
    days = 30
    job = _give(
        revision,
        workshop_of(workshop_bob),
        status="done",
        finished_at=timezone.now() - timedelta(days=days - 1),
    )
    assert _get(client, workshop_bob, f"/designs/files/{revision.pk}/").status_code == 200
    job.finished_at = timezone.now() - timedelta(days=days + 1)
    job.save(update_fields=["finished_at"])
    assert _get(client, workshop_bob, f"/designs/files/{revision.pk}/").status_code == 404


def test_the_period_after_a_job_is_a_setting(client, settings, workshop_bob, design):
    revision = _revision(design, 1)
    _give(
        revision,
        workshop_of(workshop_bob),
        status="done",
        finished_at=timezone.now() - timedelta(days=3),
    )
    settings.DESIGN_ACCESS_DAYS_AFTER_JOB = 2
    assert _get(client, workshop_bob, f"/designs/files/{revision.pk}/").status_code == 404
    settings.DESIGN_ACCESS_DAYS_AFTER_JOB = 4
    assert _get(client, workshop_bob, f"/designs/files/{revision.pk}/").status_code == 200


def test_one_workshops_live_step_does_not_open_a_revision_to_another_with_a_declined_one(
    client, workshop_bob, workshop_charlie, design
):
    """Status and workshop are checked on the same job, not on any two jobs of the revision."""
    revision = _revision(design, 1)
    _give(revision, workshop_of(workshop_bob), status="declined")
    _give(revision, workshop_of(workshop_charlie), status="accepted")
    assert _get(client, workshop_bob, f"/designs/files/{revision.pk}/").status_code == 404
    assert _get(client, workshop_charlie, f"/designs/files/{revision.pk}/").status_code == 200


def test_the_owner_and_operators_still_read_every_revision(
    client, customer_alice, operator_olga, design
):
    revisions = [_revision(design, n) for n in (1, 2)]
    for user in (customer_alice, operator_olga):
        for revision in revisions:
            assert _get(client, user, f"/designs/files/{revision.pk}/").status_code == 200


# -- randomized: the queryset agrees with the rule over any set of jobs ----------------------
JOB = st.tuples(
    st.sampled_from(["bob", "charlie"]),
    st.integers(min_value=0, max_value=2),  # which revision
    st.sampled_from(STATUSES),
    st.integers(min_value=0, max_value=60),  # days since the job finished (done jobs)
)


def _expected(jobs, revisions, who: str, days_after: int) -> set[int]:
    held = {"offered", "accepted", "in_progress"}
    return {
        revisions[index].pk
        for name, index, status, days_ago in jobs
        if name == who and (status in held or (status == "done" and days_ago < days_after))
    }


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(jobs=st.lists(JOB, max_size=6), days_after=st.integers(min_value=1, max_value=45))
def test_workshops_read_exactly_the_revisions_of_the_steps_they_hold(
    django_settings_for_hypothesis, customer_alice, workshop_bob, workshop_charlie, jobs, days_after
):
    django_settings_for_hypothesis.DESIGN_ACCESS_DAYS_AFTER_JOB = days_after
    users = {"bob": workshop_bob, "charlie": workshop_charlie}
    now = timezone.now()
    with transaction.atomic():
        design = DesignFactory(organization=organization_of(customer_alice))
        revisions = [_revision(design, n) for n in (1, 2, 3)]
        for name, index, status, days_ago in jobs:
            finished = now - timedelta(days=days_ago, hours=1) if status == "done" else None
            _give(revisions[index], workshop_of(users[name]), status=status, finished_at=finished)
        for name, user in users.items():
            seen = set(DesignRevision.objects.visible_to(user).values_list("pk", flat=True))
            assert seen == _expected(jobs, revisions, name, days_after)
            designs = set(Design.objects.visible_to(user).values_list("pk", flat=True))
            assert designs == ({design.pk} if seen else set())
        transaction.set_rollback(True)


@pytest.fixture
def django_settings_for_hypothesis():
    """pytest-django's `settings` fixture, taken once for all of hypothesis's examples."""
    from django.conf import settings as django_settings

    before = django_settings.DESIGN_ACCESS_DAYS_AFTER_JOB
    yield django_settings
    django_settings.DESIGN_ACCESS_DAYS_AFTER_JOB = before


# -- the access log ---------------------------------------------------------------------------
def test_every_download_is_logged_with_the_downloading_workshop(client, workshop_bob, design):
    revision = _revision(design, 1)
    _give(revision, workshop_of(workshop_bob))
    _get(client, workshop_bob, f"/designs/files/{revision.pk}/")
    _get(client, workshop_bob, f"/designs/files/{revision.pk}/")
    logged = list(DesignDownload.objects.all())
    assert len(logged) == 2
    assert {(d.revision_id, d.user_id, d.organization_id) for d in logged} == {
        (revision.pk, workshop_bob.pk, organization_of(workshop_bob).pk)
    }


def test_a_refused_download_is_not_logged(client, workshop_bob, design):
    revision = _revision(design, 1)
    assert _get(client, workshop_bob, f"/designs/files/{revision.pk}/").status_code == 404
    assert not DesignDownload.objects.exists()


def test_the_owner_sees_who_downloaded_and_the_workshop_does_not(
    client, customer_alice, workshop_bob, design
):
    revision = _revision(design, 1)
    _give(revision, workshop_of(workshop_bob))
    _get(client, workshop_bob, f"/designs/files/{revision.pk}/")
    owner_page = _get(client, customer_alice, f"/designs/{design.pk}/").content.decode()
    assert 'data-testid="downloads"' in owner_page
    assert workshop_bob.email in owner_page
    assert str(organization_of(workshop_bob)) in owner_page
    workshop_page = _get(client, workshop_bob, f"/designs/{design.pk}/").content.decode()
    assert 'data-testid="downloads"' not in workshop_page


def test_operators_read_the_log_in_the_admin_but_cannot_edit_it(
    client, admin_user, workshop_bob, design
):
    revision = _revision(design, 1)
    _give(revision, workshop_of(workshop_bob))
    _get(client, workshop_bob, f"/designs/files/{revision.pk}/")
    admin_sign_in(client, admin_user)
    listing = client.get("/admin/marketplace/designdownload/")
    assert listing.status_code == 200
    assert workshop_bob.email in listing.content.decode()
    assert client.get("/admin/marketplace/designdownload/add/").status_code == 403


def _with_picture(revision: DesignRevision) -> DesignRevision:
    from django.core.files.base import ContentFile

    revision.thumbnail.save("thumb.png", ContentFile(b"\x89PNG\r\n\x1a\n picture"))
    return revision


def test_a_workshop_looking_at_the_picture_of_an_open_design_is_logged(
    client, workshop_bob, design
):
    """Before: only a confidential design's picture was logged, while the owner's log page
    promises every look at the page, the 3D view or the picture."""
    revision = _with_picture(_revision(design, 1))
    _give(revision, workshop_of(workshop_bob))
    response = _get(client, workshop_bob, f"/designs/files/{revision.pk}/thumbnail.png")
    assert response.status_code == 200
    assert list(DesignDownload.objects.values_list("kind", "user", "organization")) == [
        ("thumbnail", workshop_bob.pk, organization_of(workshop_bob).pk)
    ]


def test_the_owner_looking_at_its_own_pictures_writes_nothing(client, customer_alice, design):
    """A list page loads a picture per design: the owner's looks only read, a fixed few."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    revisions = [_with_picture(_revision(design, n)) for n in (1, 2, 3)]
    client.force_login(customer_alice)
    client.get(f"/designs/files/{revisions[0].pk}/thumbnail.png")
    for revision in revisions:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/designs/files/{revision.pk}/thumbnail.png").status_code == 200
        # session, user, the revision, the memberships that say it is theirs (and that no
        # second factor is asked of a customer)
        assert len(queries) == 4
        assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries)
    assert not DesignDownload.objects.exists()
