"""Manual payouts through the bank: parties' IBAN and BIC, SEPA credit transfer files.

A party's owner enters its bank details (checked with ``schwifty``). An operator exports the
submitted manual payouts of a run as one SEPA credit transfer file (pain.001, ``sepaxml``):
one transfer per beneficiary (its payouts summed, the order references as remittance text).
Payouts join a file by compare-and-swap on ``Payout.bank_file``, so each is exported once;
downloading a file again is an explicit, counted re-export. When the bank has executed the
file, the operator marks its payouts paid (``payout_confirm_manual``, idempotent).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import record
from accounts.models import Membership, Organization, User
from accounts.permissions import require_membership, require_operator
from billing.errors import Conflict, DomainError
from billing.models import BankAccount, BankFile, Payout, SettlementRun
from billing.money import CURRENCY_EXPONENTS
from billing.payouts import payout_confirm_manual
from billing.settlement import settlement_refresh

SEPA_CURRENCY = "EUR"
REMITTANCE_LENGTH = 140  # SEPA unstructured remittance information


class InvalidBankDetails(DomainError):
    code = "invalid_bank_details"


# -- bank details ---------------------------------------------------------------------------
def bank_details_validate(*, holder_name: str, iban: str, bic: str) -> tuple[str, str, str]:
    """The holder name, compact IBAN and 11-character BIC, or ``InvalidBankDetails``."""
    holder_name = " ".join((holder_name or "").split())
    if not holder_name:
        raise InvalidBankDetails("Enter the account holder's name.", code="invalid_holder")
    if len(holder_name) > 70:
        raise InvalidBankDetails(
            "The account holder's name may have at most 70 characters.", code="invalid_holder"
        )
    # Loaded on the first bank details, not with the site (as sepaxml on the first bank file).
    from schwifty import BIC, IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        parsed_iban = IBAN(iban or "")
    except SchwiftyException as error:
        raise InvalidBankDetails(
            f"{iban!r} is not a valid IBAN ({error}).", code="invalid_iban"
        ) from None
    try:
        parsed_bic = BIC(bic or "")
    except SchwiftyException as error:
        raise InvalidBankDetails(
            f"{bic!r} is not a valid BIC ({error}).", code="invalid_bic"
        ) from None
    compact_bic = parsed_bic.compact
    if len(compact_bic) == 8:
        compact_bic += "XXX"
    return holder_name, parsed_iban.compact, compact_bic


def bank_account_set(
    *, user: User, organization: Organization, holder_name: str, iban: str, bic: str
) -> BankAccount:
    """The organization's owner enters or replaces its bank details (validated first)."""
    require_membership(user=user, organization=organization, roles=(Membership.Role.OWNER,))
    holder_name, iban, bic = bank_details_validate(holder_name=holder_name, iban=iban, bic=bic)
    account, _ = BankAccount.objects.update_or_create(
        organization=organization,
        defaults={"holder_name": holder_name, "iban": iban, "bic": bic, "updated_by": user},
    )
    return account


def bank_account_get(*, user: User, organization: Organization) -> BankAccount | None:
    """The organization's bank details, for its owner."""
    require_membership(user=user, organization=organization, roles=(Membership.Role.OWNER,))
    return BankAccount.objects.filter(organization=organization).first()


# -- SEPA files -----------------------------------------------------------------------------
@dataclass(frozen=True)
class BankFileResult:
    bank_file: BankFile
    waiting_for_details: list[str]  # beneficiaries whose payouts stay out: no bank details


def _remittance(references: list[str]) -> str:
    """'Cloud Factory payout CF-7, CF-9 (+3 more)' within the 140 characters SEPA allows."""
    text = "Cloud Factory payout"
    shown: list[str] = []
    for index, reference in enumerate(references):
        rest = len(references) - index - 1
        tail = f" (+{rest} more)" if rest else ""
        candidate = f"{text} {', '.join([*shown, reference])}{tail}"
        if len(candidate) > REMITTANCE_LENGTH:
            return f"{text} {', '.join(shown)} (+{len(references) - len(shown)} more)"
        shown.append(reference)
    return f"{text} {', '.join(shown)}" if shown else text


def _payout_reference(payout: Payout) -> str:
    return payout.reference or (
        f"order {payout.order_id}" if payout.order_id else payout.idempotency_key
    )


def bank_file_create(
    *, operator: User, run: SettlementRun, execution_date: dt.date | None = None
) -> BankFileResult:
    """Export the run's submitted manual payouts not yet in a file as one SEPA file.

    Payouts of parties without bank details stay out (named in the result) until their
    owner enters them. Nothing new to export is a ``Conflict``.
    """
    require_operator(user=operator)
    if run.provider != "manual":
        raise Conflict("Only manual runs are paid with a bank file.")
    if run.currency != SEPA_CURRENCY or CURRENCY_EXPONENTS.get(run.currency) != 2:
        raise Conflict(f"SEPA credit transfers are in euros; this run is in {run.currency}.")
    candidates = Payout.objects.filter(
        settlement_run=run,
        provider="manual",
        status=Payout.Status.SUBMITTED,
        bank_file__isnull=True,
        currency=SEPA_CURRENCY,
    )
    waiting = sorted(
        {
            payout.party.name
            for payout in candidates.filter(party__bank_account__isnull=True).select_related(
                "party"
            )
        }
    )
    message_id = f"CF{timezone.now():%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"
    with transaction.atomic():
        bank_file = BankFile.objects.create(
            message_id=message_id, run=run, currency=SEPA_CURRENCY, created_by=operator
        )
        claimed = candidates.filter(party__bank_account__isnull=False).update(bank_file=bank_file)
        if not claimed:
            transaction.set_rollback(True)
            detail = f" {', '.join(waiting)} must enter bank details first." if waiting else ""
            raise Conflict(f"No payout of this run is waiting for a bank file.{detail}")
        payouts = list(
            Payout.objects.filter(bank_file=bank_file)
            .select_related("party__bank_account")
            .order_by("party_id", "id")
        )
        by_party: dict[int, list[Payout]] = defaultdict(list)
        for payout in payouts:
            by_party[payout.party_id].append(payout)
        from sepaxml import SepaTransfer

        sepa = SepaTransfer(
            {
                "name": settings.SEPA_DEBTOR_NAME,
                "IBAN": settings.SEPA_DEBTOR_IBAN,
                "BIC": settings.SEPA_DEBTOR_BIC,
                "batch": True,
                "currency": SEPA_CURRENCY,
            },
            clean=True,
        )
        sepa.msg_id = message_id
        when = execution_date or timezone.localdate()
        for party_payouts in by_party.values():
            account = party_payouts[0].party.bank_account
            sepa.add_payment(
                {
                    "name": account.holder_name,
                    "IBAN": account.iban,
                    "BIC": account.bic,
                    # integer minor units: EUR has two decimals, so cents exactly
                    "amount": sum(p.amount_minor for p in party_payouts),
                    "execution_date": when,
                    "description": _remittance([_payout_reference(p) for p in party_payouts]),
                    "endtoend_id": f"CF{bank_file.pk}-{party_payouts[0].party_id}"[:35],
                }
            )
        bank_file.content = sepa.export(validate=True, pretty_print=True).decode("utf-8")
        bank_file.payouts_count = len(payouts)
        bank_file.transfers_count = len(by_party)
        bank_file.total_minor = sum(p.amount_minor for p in payouts)
        bank_file.save()
    return BankFileResult(bank_file=bank_file, waiting_for_details=waiting)


def bank_file_export(*, operator: User, bank_file: BankFile, again: bool = False) -> BankFile:
    """Hand out the file's XML. The first time is the export; after that only ``again``
    (an explicit re-export: the bank must not execute it twice) gives it out, counted."""
    require_operator(user=operator)
    with transaction.atomic():
        locked = BankFile.objects.select_for_update().get(pk=bank_file.pk)
        if locked.export_count and not again:
            raise Conflict(
                f"SEPA file {locked.message_id} was already exported "
                f"{timezone.localtime(locked.last_exported_at):%d %b %Y %H:%M}. Re-export it "
                "explicitly only if the bank never received it."
            )
        locked.export_count += 1
        locked.last_exported_at = timezone.now()
        locked.save(update_fields=["export_count", "last_exported_at"])
        record(
            actor=operator,
            action="bank_file.export",
            target=locked,
            details={"export": locked.export_count, "again": again},
        )
    return locked


def bank_file_name(bank_file: BankFile) -> str:
    suffix = f"-REEXPORT-{bank_file.export_count - 1}" if bank_file.export_count > 1 else ""
    return f"sepa-{bank_file.message_id}{suffix}.xml"


# -- marking bank payouts paid --------------------------------------------------------------
def bank_payout_mark_paid(*, operator: User, payout: Payout) -> Payout:
    """The bank executed this exported payout: post it (a second time is a no-op)."""
    require_operator(user=operator)
    payout = Payout.objects.select_related("bank_file").get(pk=payout.pk)
    exported = payout.bank_file_id is not None and payout.bank_file.export_count > 0
    if payout.status != Payout.Status.PAID and not exported:
        raise Conflict(
            f"Payout {payout.idempotency_key} is not in an exported SEPA file yet; "
            "export it before marking it paid."
        )
    done = payout_confirm_manual(operator=operator, payout=payout)
    _refresh_run(done.settlement_run)
    return done


def bank_file_mark_paid(*, operator: User, bank_file: BankFile) -> int:
    """The bank executed the whole file: mark each of its payouts paid; returns how many
    were newly paid (0 on a repeat)."""
    require_operator(user=operator)
    bank_file = BankFile.objects.get(pk=bank_file.pk)
    if not bank_file.export_count:
        raise Conflict(f"SEPA file {bank_file.message_id} was never exported.")
    newly = 0
    for payout in Payout.objects.filter(bank_file=bank_file).order_by("id"):
        if payout.status == Payout.Status.PAID:
            continue
        payout_confirm_manual(operator=operator, payout=payout)
        newly += 1
    _refresh_run(bank_file.run)
    return newly


def _refresh_run(run: SettlementRun | None) -> None:
    if run is not None:
        settlement_refresh(run=run)
