"""Closing an organization: refused while orders are open or money is held; then its people's
personal data is erased and what the law requires (invoices, ledger) is kept."""

import pytest
from django.urls import reverse

from accounts.models import Address, Membership, Organization, User
from accounts.webhooks.models import WebhookEndpoint
from billing.credit_notes import statement_with_credit_notes
from billing.ledger import account_for, ledger_transfer
from billing.models import LedgerAccount, LedgerEntry
from billing.money import Money
from billing.pdf import invoice_pdf
from marketplace.errors import DomainError
from marketplace.exports.closure import ERASED, ClosureRefused, organization_close
from marketplace.orders.conversation import message_post
from marketplace.orders.models import Message, Order, QuoteRequest
from marketplace.orders.services import order_cancel
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory
from tests.helpers import (
    organization_of,
    pay_manually,
    place_quoted_order,
    quote_bracket_and_gear,
)

pytestmark = pytest.mark.django_db

ACME = "Acme Robotics"


def test_an_organization_with_an_open_order_cannot_close_and_loses_nothing(
    customer_alice, small_network, fast_matcher
):
    order = place_quoted_order(customer_alice)
    with pytest.raises(ClosureRefused, match=order.reference):
        organization_close(
            user=customer_alice, organization=organization_of(customer_alice), confirm_name=ACME
        )
    customer_alice.refresh_from_db()
    assert customer_alice.email == "alice@example.com"
    assert organization_of(customer_alice).closed_at is None


def test_an_order_placed_while_its_organization_closes_is_refused(
    customer_alice, small_network, fast_matcher, monkeypatch
):
    """Found by a hostile test: the close form and "order" sent together left a closed
    organization with an order awaiting payment that nobody could pay or cancel. Here the
    closing commits between the placement's first membership check and its transaction."""
    from marketplace.orders import services as order_services

    organization = organization_of(customer_alice)
    option = quote_bracket_and_gear(customer_alice).options.first()
    checked = order_services.require_membership

    def check_then_close(**kwargs):
        membership = checked(**kwargs)
        monkeypatch.setattr(order_services, "require_membership", checked)
        organization_close(user=customer_alice, organization=organization, confirm_name=ACME)
        return membership

    monkeypatch.setattr(order_services, "require_membership", check_then_close)
    with pytest.raises(DomainError, match="closed"):
        order_services.order_place(user=customer_alice, option=option)
    assert not Order.objects.filter(organization=organization).exists()


def test_an_organization_that_holds_money_cannot_close(customer_alice):
    organization = organization_of(customer_alice)
    held = account_for(
        kind=LedgerAccount.Kind.CUSTOMER_FUNDS_HELD, currency="EUR", owner=organization
    )
    ledger_transfer(
        source=account_for(kind=LedgerAccount.Kind.PROVIDER_CLEARING, currency="EUR"),
        destination=held,
        amount=Money(1250, "EUR"),
        description="Payment for a test",
        order_id=None,
        kind="payment",
        idempotency_key="closure-test",
    )
    with pytest.raises(ClosureRefused, match="Money is still held"):
        organization_close(user=customer_alice, organization=organization, confirm_name=ACME)


def test_only_the_owner_closes_and_only_with_the_name_typed(customer_alice):
    organization = organization_of(customer_alice)
    admin = MembershipFactory(organization=organization, role=Membership.Role.ADMIN).user
    with pytest.raises(DomainError):
        organization_close(user=admin, organization=organization, confirm_name=ACME)
    with pytest.raises(DomainError, match="Type the organization's name"):
        organization_close(user=customer_alice, organization=organization, confirm_name="Acme")
    assert Organization.objects.get(pk=organization.pk).closed_at is None


def test_the_platform_cannot_close(operator_olga):
    platform = organization_of(operator_olga)
    with pytest.raises(DomainError, match="cannot be closed"):
        organization_close(user=operator_olga, organization=platform, confirm_name=platform.name)


def test_closing_erases_people_and_addresses_and_keeps_invoices_and_ledger(
    client,
    customer_alice,
    operator_olga,
    small_network,
    fast_matcher,
    django_capture_on_commit_callbacks,
):
    organization = organization_of(customer_alice)
    order = place_quoted_order(customer_alice)
    pay_manually(order, operator_olga, django_capture_on_commit_callbacks)
    message_post(user=customer_alice, order=order, organization=organization, body="Hello")
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(user=operator_olga, order=order, reason="Changed our mind")
    also_elsewhere = MembershipFactory(organization=organization, role=Membership.Role.MEMBER).user
    MembershipFactory(user=also_elsewhere, organization=OrganizationFactory(name="Other GmbH"))
    ledger_before = LedgerEntry.objects.filter(account__owner=organization).count()
    assert ledger_before
    Address.objects.create(
        organization=organization, street="Hauptstr. 1", postcode="80331", city="Munich",
        country="DE", latitude=48.137, longitude=11.575,
    )  # fmt: skip
    WebhookEndpoint.objects.create(
        organization=organization, url="https://erp.example.com/hook", secret="s" * 32
    )

    erased = organization_close(user=customer_alice, organization=organization, confirm_name=ACME)

    alice = User.objects.get(pk=customer_alice.pk)
    assert erased == [alice.pk]
    assert alice.email == f"erased-{alice.pk}@erased.invalid"
    assert (alice.full_name, alice.is_active, alice.has_usable_password()) == ("", False, False)
    assert not client.login(email="alice@example.com", password=PASSWORD)
    other = User.objects.get(pk=also_elsewhere.pk)
    assert other.is_active
    assert other.email == also_elsewhere.email
    assert not Membership.objects.filter(organization=organization).exists()

    assert Message.objects.get(order=order).author is None
    assert Message.objects.get(order=order).body == "Hello"
    quote = QuoteRequest.objects.get(organization=organization)
    assert (quote.ship_to_name, quote.ship_to_address) == (ERASED, ERASED)
    assert not Address.objects.filter(organization=organization).exists()
    assert not WebhookEndpoint.objects.filter(organization=organization).exists()

    closed = Organization.objects.get(pk=organization.pk)
    assert closed.name == ACME
    assert closed.closed_at is not None
    assert LedgerEntry.objects.filter(account__owner=organization).count() == ledger_before
    statement = statement_with_credit_notes(organization=closed, order_id=order.pk)
    assert invoice_pdf(statement).startswith(b"%PDF")


def test_the_page_explains_what_is_kept_and_why_it_refuses(
    client, customer_alice, small_network, fast_matcher
):
    organization = organization_of(customer_alice)
    order = place_quoted_order(customer_alice)
    client.force_login(customer_alice)
    detail = client.get(reverse("organization_detail", args=[organization.pk])).content.decode()
    assert 'data-testid="close-link"' in detail
    page = client.get(reverse("organization_close", args=[organization.pk])).content.decode()
    assert "Kept, because the law requires it" in page
    assert order.reference in page
    refused = client.post(
        reverse("organization_close", args=[organization.pk]), {"confirm_name": ACME}
    )
    assert refused.status_code == 400
    assert "cannot be closed yet" in refused.content.decode()
    assert User.objects.get(pk=customer_alice.pk).is_active


def test_the_owner_closes_from_the_page_and_is_signed_out(client, customer_alice):
    organization = organization_of(customer_alice)
    client.force_login(customer_alice)
    response = client.post(
        reverse("organization_close", args=[organization.pk]), {"confirm_name": ACME}
    )
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 302  # signed out: to the login page
    assert Organization.objects.get(pk=organization.pk).closed_at is not None


def test_the_refusal_counts_the_open_orders_it_does_not_name():
    from marketplace.exports.closure import ClosureCheck

    check = ClosureCheck(
        open_orders=[f"CF-2026-{n:05d}" for n in range(1, 8)],
        active_jobs=0,
        active_shipments=0,
        balances=[],
    )
    (reason,) = check.reasons
    assert "7 order(s) are still open" in reason
    assert "CF-2026-00005 and 2 more" in reason
    assert "CF-2026-00006" not in reason
