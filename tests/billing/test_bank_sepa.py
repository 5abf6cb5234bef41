"""Bank details (IBAN/BIC checked), SEPA credit transfer files exported once, and operators
marking exported payouts paid."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from accounts.models import Membership
from billing.bank import (
    InvalidBankDetails,
    bank_account_set,
    bank_file_create,
    bank_file_export,
    bank_file_mark_paid,
    bank_payout_mark_paid,
)
from billing.errors import Conflict, PermissionDenied
from billing.models import BankAccount, BankFile, LedgerTransaction, Payout, SettlementRun
from billing.settlement import settlement_run
from tests.billing.helpers import confirmed_manual_payment, org, release
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import api_client_for, error_of, give_second_factor

pytestmark = pytest.mark.django_db

BOB_IBAN = "DE89 3704 0044 0532 0130 00"
CHARLIE_IBAN = "NL91ABNA0417164300"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def with_bank_details(user, iban, bic):
    return bank_account_set(
        user=user, organization=org(user), holder_name=org(user).name, iban=iban, bic=bic
    )


@pytest.fixture
def manual_run(customer_alice, workshop_bob, workshop_charlie, operator_olga):
    payouts = release(
        confirmed_manual_payment(customer_alice), org(workshop_bob), org(workshop_charlie)
    )
    run = settlement_run(operator=operator_olga, currency="EUR")
    assert run.submitted_count == 3
    return run, payouts


def transfers(xml: str) -> list[dict]:
    root = ET.fromstring(xml.encode())
    return [
        {
            "name": tx.find("p:Cdtr/p:Nm", NS).text,
            "iban": tx.find("p:CdtrAcct/p:Id/p:IBAN", NS).text,
            "bic": tx.find("p:CdtrAgt/p:FinInstnId/p:BIC", NS).text,
            "amount": Decimal(tx.find("p:Amt/p:InstdAmt", NS).text),
            "currency": tx.find("p:Amt/p:InstdAmt", NS).get("Ccy"),
            "text": tx.find("p:RmtInf/p:Ustrd", NS).text,
        }
        for tx in root.iter(f"{{{NS['p']}}}CdtTrfTxInf")
    ]


# -- bank details -----------------------------------------------------------------------------
def test_an_owner_enters_valid_bank_details_stored_compact(workshop_bob):
    account = with_bank_details(workshop_bob, BOB_IBAN, "cobadeff")
    assert (account.iban, account.bic) == ("DE89370400440532013000", "COBADEFFXXX")
    assert account.iban_display == "DE89 3704 0044 0532 0130 00"
    again = with_bank_details(workshop_bob, CHARLIE_IBAN, "ABNANL2A")
    assert again.pk == account.pk
    assert BankAccount.objects.count() == 1


@pytest.mark.parametrize(
    ("iban", "bic", "code"),
    [
        ("DE00 3704 0044 0532 0130 00", "COBADEFFXXX", "invalid_iban"),
        ("not an iban", "COBADEFFXXX", "invalid_iban"),
        (BOB_IBAN, "XX", "invalid_bic"),
    ],
)
def test_invalid_bank_details_are_refused_with_a_clear_message(workshop_bob, iban, bic, code):
    with pytest.raises(InvalidBankDetails) as raised:
        with_bank_details(workshop_bob, iban, bic)
    assert raised.value.code == code
    assert "is not a valid" in raised.value.message
    assert not BankAccount.objects.exists()


def test_only_the_owner_may_enter_bank_details(workshop_bob):
    member = UserFactory(email="mia@example.com")
    MembershipFactory(user=member, organization=org(workshop_bob), role=Membership.Role.MEMBER)
    with pytest.raises(PermissionDenied):
        bank_account_set(
            user=member,
            organization=org(workshop_bob),
            holder_name="Mia",
            iban=BOB_IBAN,
            bic="COBADEFFXXX",
        )


def test_the_page_and_the_api_for_bank_details(client, workshop_bob):
    give_second_factor(workshop_bob)  # bank details need one (accounts.second_factor)
    client.force_login(workshop_bob)
    assert client.get("/billing/bank-account/").status_code == 200
    bad = client.post(
        "/billing/bank-account/", {"holder_name": "Bob", "iban": "DE00", "bic": "COBADEFFXXX"}
    )
    assert bad.status_code == 200
    assert "is not a valid IBAN" in bad.content.decode()
    good = client.post(
        "/billing/bank-account/", {"holder_name": "Bob", "iban": BOB_IBAN, "bic": "COBADEFFXXX"}
    )
    assert good.status_code == 302

    api = api_client_for(workshop_bob)
    assert api.get("/api/v1/billing/bank-account/").json()["iban"] == "DE89370400440532013000"
    refused = api.put(
        "/api/v1/billing/bank-account/",
        {"holder_name": "Bob", "iban": BOB_IBAN, "bic": "NOPE"},
        format="json",
    )
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "invalid_bic"
    changed = api.put(
        "/api/v1/billing/bank-account/",
        {"holder_name": "Bob GmbH", "iban": CHARLIE_IBAN, "bic": "ABNANL2A"},
        format="json",
    )
    assert (changed.status_code, changed.json()["bic"]) == (200, "ABNANL2AXXX")


# -- SEPA files -------------------------------------------------------------------------------
def test_a_sepa_file_has_one_transfer_per_beneficiary_with_exact_amounts(
    manual_run, workshop_bob, workshop_charlie, operator_olga
):
    run, payouts = manual_run
    with_bank_details(workshop_bob, BOB_IBAN, "COBADEFFXXX")
    with_bank_details(workshop_charlie, CHARLIE_IBAN, "ABNANL2A")

    result = bank_file_create(operator=operator_olga, run=run)

    bank_file = result.bank_file
    assert result.waiting_for_details == []
    assert (bank_file.payouts_count, bank_file.transfers_count) == (3, 2)
    assert bank_file.total_minor == 29000
    lines = {t["iban"]: t for t in transfers(bank_file.content)}
    bob_minor = sum(p.amount_minor for p in payouts if p.party == org(workshop_bob))
    charlie = [p for p in payouts if p.party == org(workshop_charlie)]
    assert len(charlie) == 2
    assert lines["DE89370400440532013000"]["amount"] == Decimal(bob_minor) / 100
    assert (
        lines["NL91ABNA0417164300"]["amount"] == Decimal(sum(p.amount_minor for p in charlie)) / 100
    )
    assert lines["NL91ABNA0417164300"]["bic"] == "ABNANL2AXXX"
    assert {t["currency"] for t in lines.values()} == {"EUR"}
    text = lines["NL91ABNA0417164300"]["text"]
    assert text.startswith("Cloud Factory payout")
    assert all(p.reference in text for p in charlie)
    assert "share:" not in text  # no internal keys
    root = ET.fromstring(bank_file.content.encode())
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", NS).text == "290.00"
    assert set(Payout.objects.values_list("bank_file", flat=True)) == {bank_file.pk}


def test_a_payout_is_exported_once_and_a_re_export_says_so(
    client, manual_run, workshop_bob, workshop_charlie, operator_olga
):
    run, _ = manual_run
    with_bank_details(workshop_bob, BOB_IBAN, "COBADEFFXXX")
    bank_file = bank_file_create(operator=operator_olga, run=run).bank_file
    with pytest.raises(Conflict, match="No payout of this run is waiting"):
        bank_file_create(operator=operator_olga, run=run)  # Charlie has no bank details
    assert BankFile.objects.count() == 1

    first = bank_file_export(operator=operator_olga, bank_file=bank_file)
    assert first.export_count == 1
    with pytest.raises(Conflict, match="already exported"):
        bank_file_export(operator=operator_olga, bank_file=bank_file)

    client.force_login(operator_olga)
    refused = client.post(f"/billing/bank-files/{bank_file.pk}/download/")
    assert refused.status_code == 302
    again = client.post(f"/billing/bank-files/{bank_file.pk}/download/", {"again": "1"})
    assert again.status_code == 200
    assert "REEXPORT-1" in again["Content-Disposition"]
    assert again.content.decode() == bank_file.content
    detail = client.get(f"/billing/settlements/{run.pk}/").content.decode()
    assert "re-exported 1" in detail

    # Charlie enters details: a second file takes only his payouts.
    with_bank_details(workshop_charlie, CHARLIE_IBAN, "ABNANL2A")
    second = bank_file_create(operator=operator_olga, run=run).bank_file
    assert (second.payouts_count, second.transfers_count) == (2, 1)


def test_parties_without_bank_details_are_named_and_left_out(
    manual_run, workshop_bob, operator_olga
):
    run, _ = manual_run
    with_bank_details(workshop_bob, BOB_IBAN, "COBADEFFXXX")
    result = bank_file_create(operator=operator_olga, run=run)
    assert result.waiting_for_details == ["Eindhoven Precision"]
    assert result.bank_file.payouts_count == 1


def test_only_operators_export_and_only_euro_manual_runs(manual_run, workshop_bob, operator_olga):
    run, _ = manual_run
    with_bank_details(workshop_bob, BOB_IBAN, "COBADEFFXXX")
    with pytest.raises(PermissionDenied):
        bank_file_create(operator=workshop_bob, run=run)
    usd = SettlementRun.objects.create(currency="USD", provider="manual", status="completed")
    with pytest.raises(Conflict, match="euros"):
        bank_file_create(operator=operator_olga, run=usd)
    api = api_client_for(workshop_bob)
    assert api.post(f"/api/v1/billing/settlements/{run.pk}/sepa/").status_code == 403
    olga = api_client_for(operator_olga)
    created = olga.post(f"/api/v1/billing/settlements/{run.pk}/sepa/")
    assert created.status_code == 201
    assert created.json()["waiting_for_details"] == ["Eindhoven Precision"]
    file_id = created.json()["id"]
    exported = olga.post(f"/api/v1/billing/bank-files/{file_id}/export/", {}, format="json")
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/xml"
    assert olga.post(f"/api/v1/billing/bank-files/{file_id}/export/").status_code == 409
    assert (
        olga.post(f"/api/v1/billing/bank-files/{file_id}/export/", {"again": True}, format="json")[
            "X-Export-Count"
        ]
        == "2"
    )
    assert olga.post(f"/api/v1/billing/settlements/{run.pk}/sepa/").status_code == 409


# -- marking exported payouts paid ------------------------------------------------------------
def test_an_operator_marks_one_exported_payout_paid_once(
    manual_run, workshop_bob, workshop_charlie, operator_olga
):
    run, payouts = manual_run
    with_bank_details(workshop_bob, BOB_IBAN, "COBADEFFXXX")
    with_bank_details(workshop_charlie, CHARLIE_IBAN, "ABNANL2A")
    bob_payout = next(p for p in payouts if p.party == org(workshop_bob))
    olga, bob = api_client_for(operator_olga), api_client_for(workshop_bob)
    url = f"/api/v1/billing/payouts/{bob_payout.pk}/mark-paid/"

    not_exported = olga.post(url)
    assert not_exported.status_code == 409
    assert "not in an exported SEPA file" in error_of(not_exported)["message"]

    bank_file = bank_file_create(operator=operator_olga, run=run).bank_file
    bank_file_export(operator=operator_olga, bank_file=bank_file)
    assert bob.post(url).status_code == 403
    with pytest.raises(PermissionDenied):
        bank_payout_mark_paid(operator=workshop_bob, payout=bob_payout)

    paid = olga.post(url)
    assert (paid.status_code, paid.json()["status"]) == (200, "paid")
    assert olga.post(url).json()["status"] == "paid"  # idempotent
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1
    run.refresh_from_db()
    assert (run.paid_count, run.submitted_count) == (1, 2)
    assert olga.post("/api/v1/billing/payouts/999999/mark-paid/").status_code == 404


def test_an_operator_marks_a_whole_sepa_file_paid_on_the_page(
    client, manual_run, workshop_bob, workshop_charlie, operator_olga
):
    run, _ = manual_run
    with_bank_details(workshop_bob, BOB_IBAN, "COBADEFFXXX")
    with_bank_details(workshop_charlie, CHARLIE_IBAN, "ABNANL2A")
    bank_file = bank_file_create(operator=operator_olga, run=run).bank_file
    with pytest.raises(Conflict, match="never exported"):
        bank_file_mark_paid(operator=operator_olga, bank_file=bank_file)
    bank_file_export(operator=operator_olga, bank_file=bank_file)

    client.force_login(workshop_bob)
    assert client.post(f"/billing/bank-files/{bank_file.pk}/mark-paid/").status_code == 403
    client.force_login(operator_olga)
    page = client.get(f"/billing/settlements/{run.pk}/").content.decode()
    assert "mark all paid" in page
    assert "Mark paid" in page
    response = client.post(f"/billing/bank-files/{bank_file.pk}/mark-paid/")
    assert response.status_code == 302
    assert set(Payout.objects.values_list("status", flat=True)) == {"paid"}
    assert LedgerTransaction.objects.filter(kind="payout").count() == 3
    run.refresh_from_db()
    assert (run.paid_count, run.paid_minor, run.submitted_count) == (3, 29000, 0)
    assert bank_file_mark_paid(operator=operator_olga, bank_file=bank_file) == 0  # repeat
    api = api_client_for(operator_olga)
    again = api.post(f"/api/v1/billing/bank-files/{bank_file.pk}/mark-paid/")
    assert again.json() == {"bank_file": bank_file.pk, "newly_paid": 0}
    assert LedgerTransaction.objects.filter(kind="payout").count() == 3
