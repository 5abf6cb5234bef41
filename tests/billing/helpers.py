"""Builders shared by the billing tests: money, parties, paid and onboarded accounts."""

import urllib.error
import urllib.request

from billing import services
from billing.models import ConnectedAccount, Payment, Payout
from billing.money import Money
from billing.sharing import PartyContribution, order_split
from tests.factories.billing import PaymentFactory

RETURN_URL = "http://127.0.0.1:9/billing/onboarding/done"

REFRESH_URL = "http://127.0.0.1:9/billing/onboarding/again"


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def org(user):
    return user.memberships.get().organization


def paid(customer, order_id=7, amount=31000):
    payment, _ = services.payment_start(
        order_id=order_id,
        reference=f"ORD-{order_id}",
        amount=eur(amount),
        payer=org(customer),
        customer_email=customer.email,
        payment_method="pm_card_visa",
    )
    assert payment.status == Payment.Status.CONFIRMED
    return payment


def onboarded(user, fake_stripe):
    organization = org(user)
    url = services.connected_account_onboard(
        user=user, organization=organization, refresh_url=REFRESH_URL, return_url=RETURN_URL
    )
    assert visit(url) == (302, RETURN_URL)
    account = services.connected_account_sync(account=organization.connected_account)
    assert account.status == ConnectedAccount.Status.ACTIVE
    return account


def release(payment, bob, charlie):
    """Three shares of the 310.00 EUR example: Bob's step, Charlie's step, Charlie's leg."""
    split = order_split(
        customer_price=payment.amount,
        platform_fee=eur(2000),
        parties=[
            PartyContribution("bob", eur(12000), eur(15000)),
            PartyContribution("charlie", eur(10000), eur(10500)),
            PartyContribution("charlie-leg", eur(3000), None, kind="carrier"),
        ],
    )
    services.funds_release(
        payment=payment,
        split=split,
        parties={"bob": bob, "charlie": charlie, "charlie-leg": charlie},
    )
    return list(Payout.objects.filter(order_id=payment.order_id).order_by("id"))


def confirmed_manual_payment(customer):
    payment = PaymentFactory(payer=org(customer))
    return services.payment_confirm(
        payment=payment, amount=payment.amount, provider_reference=payment.provider_payment_id
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def visit(url: str) -> tuple[int, str]:
    """GET the onboarding link like a browser and report where it sends the user."""
    try:
        urllib.request.build_opener(_NoRedirect).open(url, timeout=5)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Location"]
    raise AssertionError("expected a redirect")
