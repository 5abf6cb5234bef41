"""The matcher on the database honours a confidential design's rule: quotes place every step
with a workshop that meets it, say so when none does, and re-plans carry the rule."""

from __future__ import annotations

import pytest

from marketplace.designs.confidential import design_confidentiality_set
from marketplace.network.snapshot import network_snapshot
from marketplace.orders.matcher import QuoteInput, QuoteLineInput, StepDeclinedChange, quote_for
from marketplace.orders.replanning import plan_read
from tests.factories.designs import DesignRevisionFactory
from tests.factories.orders import JobFactory, QuoteLineFactory
from tests.helpers import organization_of
from tests.marketplace.designs.confidential_story import (
    FAST,
    MUNICH,
    NOW,
    PRICING,
    two_workshop_network,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shops(db):
    return two_workshop_network()


@pytest.fixture
def bracket(customer_alice):
    return DesignRevisionFactory(
        design__organization=organization_of(customer_alice), design__name="Bracket"
    )


def _quote(revision):
    request = QuoteInput(
        lines=[QuoteLineInput(revision.pk, "al-6061", None, quantity=2, line_id=1)],
        ship_to_lat=MUNICH[0],
        ship_to_lon=MUNICH[1],
    )
    return quote_for(request, now=NOW, **FAST, **PRICING)


def _workshops_used(answer) -> set[int]:
    return {
        step["workshop_id"] for option in answer.to_dict()["options"] for step in option["steps"]
    }


def _confide(customer, revision, **rule):
    design_confidentiality_set(
        user=customer, design=revision.design, confidential=True, nda_text="Keep it secret.", **rule
    )


def test_an_open_design_may_go_to_either_workshop(shops, bracket):
    answer = _quote(bracket)
    assert answer.ok, answer.reasons
    assert _workshops_used(answer) <= {shops["stuttgart"].pk, shops["eindhoven"].pk}


def test_a_design_restricted_to_one_country_is_offered_only_there(shops, bracket, customer_alice):
    _confide(customer_alice, bracket, countries=["nl"])
    answer = _quote(bracket)
    assert answer.ok, answer.reasons
    assert _workshops_used(answer) == {shops["eindhoven"].pk}


def test_a_required_certification_keeps_the_uncertified_workshop_out(
    shops, bracket, customer_alice
):
    _confide(customer_alice, bracket, certifications=["iso-9001"])
    answer = _quote(bracket)
    assert answer.ok, answer.reasons
    assert _workshops_used(answer) == {shops["stuttgart"].pk}


def test_named_workshops_are_the_only_ones(shops, bracket, customer_alice):
    _confide(customer_alice, bracket, workshops=[shops["eindhoven"].pk])
    assert _workshops_used(_quote(bracket)) == {shops["eindhoven"].pk}


def test_when_no_workshop_qualifies_the_quote_says_so(shops, bracket, customer_alice):
    _confide(customer_alice, bracket, countries=["FR"])
    answer = _quote(bracket)
    assert not answer.ok
    assert answer.options == []
    assert any(
        "Bracket is confidential and no workshop that meets its rule (in FR)" in reason
        for reason in answer.reasons
    ), answer.reasons


def test_the_snapshot_carries_each_workshops_country_and_certifications(shops):
    snapshot = network_snapshot(origin=NOW)
    facts = {(m.workshop, m.country, m.certifications) for m in snapshot.machines}
    assert facts == {
        (str(shops["stuttgart"].pk), "DE", frozenset({"iso-9001"})),
        (str(shops["eindhoven"].pk), "NL", frozenset()),
    }


def test_a_replan_reads_the_rule_of_each_jobs_design(shops, bracket, customer_alice):
    _confide(customer_alice, bracket, countries=["NL"])
    line = QuoteLineFactory(request__organization=bracket.design.organization, revision=bracket)
    job = JobFactory(
        order__option__request=line.request,
        order__status="paid",
        line=line,
        workshop=shops["eindhoven"],
        status="offered",
    )
    read = plan_read(job.order, change=StepDeclinedChange(job.job_key, job.step_key, 0))
    assert read is not None
    (assignment,) = read.current
    (rule,) = assignment.confidentiality
    assert rule.countries == frozenset({"NL"})


def test_the_quote_says_each_reason_once(shops, bracket, customer_alice):
    _confide(customer_alice, bracket, countries=["IS"])
    answer = _quote(bracket)
    assert not answer.ok
    assert any("no workshop that meets its rule (in IS)" in r for r in answer.reasons)
    assert len(answer.reasons) == len(set(answer.reasons)), answer.reasons
