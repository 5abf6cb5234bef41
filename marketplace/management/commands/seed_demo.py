from django.core.management.base import BaseCommand

from accounts.models import User
from accounts.selectors import active_membership
from marketplace.demo.seed import (
    DEMO_LOGINS,
    DEMO_OPERATOR_TOTP_SECRET,
    DEMO_PASSWORD,
    seed_demo,
)


class Command(BaseCommand):
    help = "Creates or refreshes the demo network (idempotent) and prints one login per role."

    def handle(self, *args, **options) -> None:
        counts = seed_demo()
        self.stdout.write(
            "Demo network: {workshops} workshops in {countries} countries, {machines} machines, "
            "{processes} processes, {materials} materials, {carriers} carriers, "
            "{designs} sample designs, {orders} orders in every state.".format(**counts)
        )
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for login in DEMO_LOGINS:  # where each login lands (the carrier's follows its legs)
            membership = active_membership(user=User.objects.get(email=login.email))
            self.stdout.write(f"  {login.role:<10} {login.email:<38} {membership.organization}")
        self.stdout.write(
            "The operator signs in with a second factor: add the secret "
            f"{DEMO_OPERATOR_TOTP_SECRET} to an authenticator app "
            f"(or run: oathtool --totp -b {DEMO_OPERATOR_TOTP_SECRET})."
        )
