"""An NDA binds the workshop organization that accepted it, never the person: Dana, a member
of Bob's and Charlie's workshops, sees a confidential part only through a workshop that holds
a job on it and accepted its current text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from marketplace.designs.confidential import (
    design_confidentiality_set,
    nda_accept,
    nda_pending_organization,
)
from marketplace.designs.models import DesignRevision, NdaAcceptance
from marketplace.designs.selectors import revision_reader_organization
from marketplace.orders.models import Job
from tests.factories import MembershipFactory, UserFactory
from tests.factories.designs import DesignRevisionFactory
from tests.factories.orders import JobFactory, QuoteLineFactory
from tests.helpers import organization_of, workshop_of

pytestmark = pytest.mark.django_db
NDA = "The recipient keeps the drawings secret and destroys them after the job."


def _secret(customer):
    revision = DesignRevisionFactory(design__organization=organization_of(customer))
    design_confidentiality_set(
        user=customer, design=revision.design, confidential=True, nda_text=NDA
    )
    revision.design.refresh_from_db()
    return revision


def _give(revision, workshop_user):
    line = QuoteLineFactory(request__organization=revision.design.organization, revision=revision)
    return JobFactory(
        order__option__request=line.request,
        line=line,
        workshop=workshop_of(workshop_user),
        status=Job.Status.OFFERED,
    )


def _member_of_both(*users):
    dana = UserFactory()
    for user in users:
        MembershipFactory(user=dana, organization=organization_of(user))
    return dana


def _sees(user, revision) -> bool:
    return DesignRevision.objects.visible_to(user).filter(pk=revision.pk).exists()


def test_a_member_of_two_workshops_who_accepted_for_one_cannot_see_the_part_as_the_other(
    customer_alice, workshop_bob, workshop_charlie
):
    revision = _secret(customer_alice)
    dana = _member_of_both(workshop_bob, workshop_charlie)
    bobs_job = _give(revision, workshop_bob)
    nda_accept(user=dana, design=revision.design, nda_hash=revision.design.nda_hash)
    assert NdaAcceptance.objects.get().organization == organization_of(workshop_bob)
    assert _sees(dana, revision)

    # A re-plan moves the step to Charlie's workshop: Bob's acceptance does not travel with it.
    Job.objects.filter(pk=bobs_job.pk).update(status=Job.Status.SUPERSEDED)
    _give(revision, workshop_charlie)
    assert not _sees(dana, revision)
    assert not _sees(workshop_charlie, revision)
    assert nda_pending_organization(design=revision.design, user=dana) == organization_of(
        workshop_charlie
    )
    nda_accept(user=dana, design=revision.design, nda_hash=revision.design.nda_hash)
    assert _sees(dana, revision)
    assert revision_reader_organization(revision=revision, user=dana) == organization_of(
        workshop_charlie
    )


def test_an_acceptance_by_a_workshop_without_a_job_opens_nothing(
    customer_alice, workshop_bob, workshop_charlie
):
    revision = _secret(customer_alice)
    dana = _member_of_both(workshop_bob, workshop_charlie)
    _give(revision, workshop_bob)
    NdaAcceptance.objects.create(
        design=revision.design,
        organization=organization_of(workshop_charlie),
        user=dana,
        nda_hash=revision.design.nda_hash,
        nda_text=NDA,
    )
    assert not _sees(dana, revision)
    assert nda_pending_organization(design=revision.design, user=dana) == organization_of(
        workshop_bob
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(
        st.tuples(st.sampled_from(["give", "drop", "accept", "reword"]), st.sampled_from([0, 1])),
        min_size=1,
        max_size=10,
    )
)
@example(events=[("give", 0), ("accept", 0), ("drop", 0), ("give", 1)])  # a re-plan moves it
def test_the_part_is_visible_exactly_through_a_workshop_that_holds_a_job_and_accepted(
    customer_alice, workshop_bob, workshop_charlie, events
):
    """Over random sequences of jobs given and moved away, acceptances by either workshop and
    new NDA texts, each reader sees the part iff one of their workshops holds a job on it and
    accepted the text in force."""
    revision = _secret(customer_alice)
    design = revision.design
    shops = [workshop_bob, workshop_charlie]
    dana = _member_of_both(*shops)
    texts = [NDA, NDA + " Amended."]
    state = {"text": 0, "holds": [False, False], "accepted": [set(), set()]}
    for event, which in events:
        design.refresh_from_db()
        if event == "give":
            _give(revision, shops[which])
            state["holds"][which] = True
        elif event == "drop":
            Job.objects.filter(line__revision=revision, workshop=workshop_of(shops[which])).update(
                status=Job.Status.SUPERSEDED
            )
            state["holds"][which] = False
        elif event == "accept" and state["holds"][which]:
            nda_accept(user=shops[which], design=design, nda_hash=design.nda_hash)
            state["accepted"][which].add(state["text"])
        elif event == "reword":
            state["text"] = 1 - state["text"]
            design_confidentiality_set(
                user=customer_alice, design=design, confidential=True, nda_text=texts[state["text"]]
            )
        cleared = [state["holds"][i] and state["text"] in state["accepted"][i] for i in range(2)]
        assert _sees(dana, revision) == any(cleared), (events, state)
        for i in range(2):
            assert _sees(shops[i], revision) == cleared[i], (events, state, i)
