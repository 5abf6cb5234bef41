"""List every order whose money breaks an invariant (billing.audit); exit 1 if any does."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from billing.audit import MoneyAudit, OrderMoney, money_audit


def order_as_dict(order: OrderMoney) -> dict:
    """One audited order as JSON-ready data; amounts in minor units."""
    return {
        "order_id": order.order_id,
        "reference": order.reference,
        "status": order.status,
        "closed": order.closed,
        "currency": order.currency,
        "money_in_minor": order.money_in.minor,
        "money_out_minor": order.money_out.minor,
        "paid_in_minor": order.paid_in.minor,
        "subsidy_minor": order.subsidy.minor,
        "released_minor": order.released.minor,
        "fee_minor": order.fee.minor,
        "refunded_minor": order.refunded.minor,
        "rebates_minor": order.rebates.minor,
        "rebate_unpaid_minor": order.rebate_unpaid.minor,
        "held_minor": order.held.minor,
        "lowest_held_minor": order.lowest_held.minor,
        "money_created_minor": order.money_created.minor,
        "unpaid_parties": [
            {
                "organization": p.organization,
                "party_ids": list(p.party_ids),
                "accepted_minor": p.accepted.minor,
                "released_minor": p.released.minor,
            }
            for p in order.unpaid_parties
        ],
        "payout_gaps": [
            {
                "organization": g.organization,
                "released_minor": g.released.minor,
                "payouts_opened_minor": g.payouts_opened.minor,
            }
            for g in order.payout_gaps
        ],
        "problems": list(order.problems),
    }


def audit_as_dict(audit: MoneyAudit) -> dict:
    return {
        "ok": audit.ok,
        "orders_audited": len(audit.orders),
        **audit.counts(),
        "unbalanced_transactions": [
            {
                "transaction_id": u.transaction_id,
                "idempotency_key": u.idempotency_key,
                "order_id": u.order_id,
                "total_minor": u.total.minor,
                "currency": u.total.currency,
            }
            for u in audit.unbalanced
        ],
        "breaking_orders": [order_as_dict(o) for o in audit.breaking],
    }


class Command(BaseCommand):
    help = (
        "Check the money invariants of every order (escrow never negative, closed orders add "
        "up, accepted work released, payouts opened, transactions balanced). Exits 1 when "
        "anything breaks."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options) -> None:
        audit = money_audit()
        if options["json"]:
            self.stdout.write(json.dumps(audit_as_dict(audit), indent=2, sort_keys=True))
        else:
            self._table(audit)
        if not audit.ok:
            raise SystemExit(1)

    def _table(self, audit: MoneyAudit) -> None:
        for posting in audit.unbalanced:
            self.stdout.write(
                f"UNBALANCED transaction #{posting.transaction_id} "
                f"({posting.idempotency_key}, order {posting.order_id}): sums to {posting.total}"
            )
        if audit.ok:
            self.stdout.write(f"{len(audit.orders)} orders audited: the money adds up.")
            return
        header = f"{'order':<16} {'status':<13} {'in':>12} {'out':>12} {'held':>12} {'lowest':>12}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for order in audit.breaking:
            self.stdout.write(
                f"{order.reference or order.order_id:<16} {order.status or '?':<13} "
                f"{order.money_in.format():>12} {order.money_out.format():>12} "
                f"{order.held.format():>12} {order.lowest_held.format():>12}"
            )
            for problem in order.problems:
                self.stdout.write(f"    - {problem}")
        self.stdout.write(
            f"{len(audit.breaking)} of {len(audit.orders)} orders break an invariant; "
            f"{len(audit.unbalanced)} unbalanced transactions."
        )
