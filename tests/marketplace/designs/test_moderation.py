"""Operators moderate reported designs: an upheld report blocks the design from quoting."""

import pytest

from marketplace.designs.models import DesignReport
from marketplace.designs.services import design_report, design_report_decide
from marketplace.errors import DomainError, PermissionDenied
from tests.factories.designs import DesignFactory
from tests.helpers import organization_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def design(customer_alice):
    return DesignFactory(organization=organization_of(customer_alice), name="Suspicious part")


def test_a_design_reported_and_upheld_is_blocked_from_quoting(
    design, operator_olga, customer_alice
):
    report = design_report(
        user=operator_olga, design=design, kind="ip", details="Copies a patented latch design."
    )
    design_report_decide(operator=operator_olga, report=report, uphold=True, note="Patent EP123")
    design.refresh_from_db()
    assert design.blocked
    report.refresh_from_db()
    assert report.status == DesignReport.Status.UPHELD
    assert customer_alice.notifications.filter(kind="design.blocked").exists()


def test_a_dismissed_report_leaves_the_design_usable(design, operator_olga):
    report = design_report(
        user=operator_olga, design=design, kind="prohibited", details="Looks like a weapon part."
    )
    design_report_decide(operator=operator_olga, report=report, uphold=False, note="")
    design.refresh_from_db()
    assert not design.blocked


def test_people_who_cannot_see_a_design_cannot_report_it(design, workshop_bob):
    with pytest.raises(DomainError, match="No such design"):
        design_report(user=workshop_bob, design=design, kind="ip", details="I saw it somewhere")
    assert not DesignReport.objects.exists()


def test_only_operators_decide_reports(design, operator_olga, customer_alice):
    report = design_report(
        user=operator_olga, design=design, kind="other", details="Please check this one."
    )
    with pytest.raises(PermissionDenied):
        design_report_decide(operator=customer_alice, report=report, uphold=True, note="x")
