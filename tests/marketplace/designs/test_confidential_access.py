"""A workshop sees a confidential part only after a named member accepted the current NDA;
pictures shown outside the owner's organization are watermarked; every read is logged."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from marketplace.designs.confidential import design_confidentiality_set, nda_accept
from marketplace.designs.models import DesignDownload, DesignRevision, NdaAcceptance, nda_hash_of
from tests.factories.designs import DesignRevisionFactory
from tests.factories.orders import JobFactory, QuoteLineFactory
from tests.helpers import organization_of, workshop_of

pytestmark = pytest.mark.django_db
NDA = "The recipient keeps the drawings secret and destroys them after the job."


def _png(colour=(240, 240, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def secret(customer_alice):
    revision = DesignRevisionFactory(
        design__organization=organization_of(customer_alice), design__name="Secret bracket"
    )
    revision.thumbnail.save("thumb.png", ContentFile(_png()))
    design_confidentiality_set(
        user=customer_alice, design=revision.design, confidential=True, nda_text=NDA
    )
    return revision


def _give(revision, workshop, status="offered"):
    line = QuoteLineFactory(request__organization=revision.design.organization, revision=revision)
    return JobFactory(
        order__option__request=line.request, line=line, workshop=workshop, status=status
    )


def _accept(client, user, revision, nda_hash=None):
    client.force_login(user)
    revision.design.refresh_from_db()
    return client.post(
        f"/designs/{revision.design_id}/nda/accept/",
        {"agree": "yes", "nda_hash": nda_hash or revision.design.nda_hash},
    )


def test_a_workshop_holding_the_job_reads_the_nda_before_the_part(client, workshop_bob, secret):
    _give(secret, workshop_of(workshop_bob))
    client.force_login(workshop_bob)
    page = client.get(f"/designs/{secret.design_id}/")
    assert page.status_code == 200
    assert NDA in page.content.decode()
    assert b'data-testid="nda-accept"' in page.content
    assert client.get(f"/designs/files/{secret.pk}/").status_code == 404
    assert client.get(f"/designs/files/{secret.pk}/preview.stl").status_code == 404
    assert client.get(f"/designs/files/{secret.pk}/thumbnail.png").status_code == 404


def test_accepting_records_who_when_and_which_text_and_opens_the_part(client, workshop_bob, secret):
    _give(secret, workshop_of(workshop_bob))
    assert _accept(client, workshop_bob, secret).status_code == 302
    acceptance = NdaAcceptance.objects.get()
    assert acceptance.user == workshop_bob
    assert acceptance.organization == organization_of(workshop_bob)
    assert acceptance.nda_hash == nda_hash_of(NDA)
    assert acceptance.nda_text == NDA
    assert acceptance.accepted_at is not None
    assert client.get(f"/designs/files/{secret.pk}/").status_code == 200


def test_a_changed_nda_text_needs_a_new_acceptance(client, workshop_bob, customer_alice, secret):
    _give(secret, workshop_of(workshop_bob))
    _accept(client, workshop_bob, secret)
    design_confidentiality_set(
        user=customer_alice, design=secret.design, confidential=True, nda_text=NDA + " Also X."
    )
    assert client.get(f"/designs/files/{secret.pk}/").status_code == 404
    _accept(client, workshop_bob, secret)
    assert NdaAcceptance.objects.count() == 2
    assert client.get(f"/designs/files/{secret.pk}/").status_code == 200


def test_accepting_a_text_that_changed_meanwhile_is_refused(
    client, workshop_bob, customer_alice, secret
):
    _give(secret, workshop_of(workshop_bob))
    old_hash = nda_hash_of(NDA)
    design_confidentiality_set(
        user=customer_alice, design=secret.design, confidential=True, nda_text="New words."
    )
    response = _accept(client, workshop_bob, secret, nda_hash=old_hash)
    assert response.status_code == 302
    assert not NdaAcceptance.objects.exists()
    page = client.get(f"/designs/{secret.design_id}/", follow=True).content.decode()
    assert "The NDA text changed since you opened the page" in page


def test_a_workshop_without_a_job_can_neither_see_nor_accept(client, workshop_charlie, secret):
    client.force_login(workshop_charlie)
    assert client.get(f"/designs/{secret.design_id}/").status_code == 404
    response = client.post(
        f"/designs/{secret.design_id}/nda/accept/",
        {"agree": "yes", "nda_hash": secret.design.nda_hash},
    )
    assert response.status_code == 404
    assert not NdaAcceptance.objects.exists()


def test_pictures_outside_the_owner_carry_a_watermark(client, workshop_bob, customer_alice, secret):
    _give(secret, workshop_of(workshop_bob))
    _accept(client, workshop_bob, secret)
    marked = client.get(f"/designs/files/{secret.pk}/thumbnail.png")
    assert marked.status_code == 200
    assert marked["Content-Type"] == "image/png"
    picture = Image.open(io.BytesIO(marked.content)).convert("RGB")
    assert picture.size == (320, 240)
    data = picture.tobytes()
    pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
    reds = sum(1 for r, g, b in pixels if r > g + 25 and r > b + 25)
    assert reds > 500  # the red words over the grey picture
    client.force_login(customer_alice)
    own = client.get(f"/designs/files/{secret.pk}/thumbnail.png")
    assert b"".join(own.streaming_content) == _png()


def test_reads_by_other_organizations_are_logged_and_the_owners_views_are_not(
    client, workshop_bob, customer_alice, secret
):
    _give(secret, workshop_of(workshop_bob))
    _accept(client, workshop_bob, secret)
    page = client.get(f"/designs/{secret.design_id}/")
    assert b'data-testid="viewer-watermark"' in page.content
    client.get(f"/designs/files/{secret.pk}/thumbnail.png")
    client.get(f"/designs/files/{secret.pk}/")
    client.force_login(customer_alice)
    client.get(f"/designs/{secret.design_id}/")
    client.get(f"/designs/files/{secret.pk}/thumbnail.png")
    logged = list(DesignDownload.objects.order_by("pk").values_list("kind", "user__email"))
    assert logged == [
        ("view", "bob@example.com"),
        ("thumbnail", "bob@example.com"),
        ("download", "bob@example.com"),
    ]
    assert set(DesignDownload.objects.values_list("organization", flat=True)) == {
        organization_of(workshop_bob).pk
    }


def test_the_owner_reads_the_log_page_by_page(client, workshop_bob, customer_alice, secret):
    client.force_login(customer_alice)
    empty = client.get(f"/designs/{secret.design_id}/access-log/")
    assert b'data-testid="access-log-empty"' in empty.content
    DesignDownload.objects.bulk_create(
        DesignDownload(revision=secret, user=workshop_bob, kind="view") for _ in range(30)
    )
    first = client.get(f"/designs/{secret.design_id}/access-log/").content.decode()
    assert first.count('data-kind="view"') == 25
    assert "Page 1 of 2 · 30 entries" in first
    second = client.get(f"/designs/{secret.design_id}/access-log/?page=2").content.decode()
    assert second.count('data-kind="view"') == 5


def test_only_the_owner_sees_the_log_and_the_rule(client, workshop_bob, secret):
    _give(secret, workshop_of(workshop_bob))
    _accept(client, workshop_bob, secret)
    assert client.get(f"/designs/{secret.design_id}/access-log/").status_code == 403
    assert client.get(f"/designs/{secret.design_id}/confidentiality/").status_code == 403


def test_an_open_design_needs_no_nda(client, workshop_bob, customer_alice, secret):
    design_confidentiality_set(user=customer_alice, design=secret.design, confidential=False)
    _give(secret, workshop_of(workshop_bob))
    client.force_login(workshop_bob)
    assert client.get(f"/designs/files/{secret.pk}/").status_code == 200


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(
        st.sampled_from(["accept", "reword", "restore", "open", "close"]), min_size=1, max_size=8
    )
)
def test_the_part_is_visible_exactly_when_the_current_text_was_accepted(
    workshop_bob, customer_alice, events
):
    """Over random sequences of acceptances and NDA changes, the workshop sees the file iff
    the design is open or its organization accepted the text now in force."""
    revision = DesignRevisionFactory(design__organization=organization_of(customer_alice))
    design = revision.design
    _give(revision, workshop_of(workshop_bob))
    texts = {"base": NDA, "other": NDA + " Amended."}
    state = {"confidential": True, "text": "base", "accepted": set()}
    design_confidentiality_set(user=customer_alice, design=design, confidential=True, nda_text=NDA)
    for event in events:
        design.refresh_from_db()
        if event == "accept" and state["confidential"]:
            nda_accept(user=workshop_bob, design=design, nda_hash=design.nda_hash)
            state["accepted"].add(state["text"])
        elif event in ("reword", "restore"):
            state["text"] = "other" if event == "reword" else "base"
        elif event in ("open", "close"):
            state["confidential"] = event == "close"
        if event != "accept":
            design_confidentiality_set(
                user=customer_alice,
                design=design,
                confidential=state["confidential"],
                nda_text=texts[state["text"]],
            )
        visible = DesignRevision.objects.visible_to(workshop_bob).filter(pk=revision.pk).exists()
        expected = not state["confidential"] or state["text"] in state["accepted"]
        assert visible == expected, (events, state)
