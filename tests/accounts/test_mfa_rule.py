"""The second-factor rule over any person and any path: refused exactly when an operator without
a factor leaves the account pages, or when a paid organization's owner or admin without one
opens bank details or payout set-up."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Membership, Organization
from accounts.second_factor import (
    MONEY_DESTINATIONS,
    MONEY_REFUSAL,
    OPEN_TO_EVERYONE,
    OPERATOR_REFUSAL,
    second_factor_refusal,
)
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.helpers import give_second_factor

pytestmark = pytest.mark.django_db

PATHS = st.sampled_from(
    [
        *OPEN_TO_EVERYONE,
        *MONEY_DESTINATIONS,
        "/dashboard/",
        "/operations/audit/",
        "/billing/settlements/",
        "/api/v1/orders/",
        "/admin/",
        "/designs/12/",
    ]
)
MEMBERSHIPS = st.lists(
    st.tuples(st.sampled_from(Organization.Kind.values), st.sampled_from(Membership.Role.values)),
    max_size=3,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(memberships=MEMBERSHIPS, has_factor=st.booleans(), path=PATHS)
def test_the_rule_refuses_exactly_whom_it_should(memberships, has_factor, path):
    user = UserFactory()
    for kind, role in memberships:
        MembershipFactory(user=user, organization=OrganizationFactory(kind=kind), role=role)
    if has_factor:
        give_second_factor(user)

    operator = any(kind == "platform" for kind, _ in memberships)
    paid_manager = any(
        kind in ("workshop", "logistics") and role in ("owner", "admin")
        for kind, role in memberships
    )
    if path.startswith(OPEN_TO_EVERYONE) or has_factor:
        expected = None
    elif path.startswith(MONEY_DESTINATIONS):
        expected = MONEY_REFUSAL if paid_manager else None
    else:
        expected = OPERATOR_REFUSAL if operator else None
    assert second_factor_refusal(user=user, path=path) == expected
