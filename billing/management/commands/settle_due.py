"""The daily claim-and-pay for the embedded default, which has no Celery beat (run from cron)."""

from django.core.management.base import BaseCommand

from billing.settlement import settlement_run_due


class Command(BaseCommand):
    help = (
        "Make runs and payouts left by a crashed worker retryable, retry partial runs and pay "
        "every payout due, one run per currency and provider."
    )

    def handle(self, *args, **options) -> None:
        runs = settlement_run_due()
        for run in runs:
            self.stdout.write(
                f"{run}: {run.paid_count} paid, {run.submitted_count} in the bank file, "
                f"{run.failed_count} unpaid"
            )
        if not runs:
            self.stdout.write("Nothing due.")
