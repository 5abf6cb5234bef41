"""Invoices and refund credit notes (to the customer) and self-billing credit notes (to
workshops and carriers) as PDF.

Built from ``billing.statements`` dataclasses (and a ``CreditNote`` row for a refund) with
reportlab and returned as bytes; no PDF is stored. VAT is out of scope: every document says
its amounts exclude VAT. ``compress=False`` writes uncompressed page streams (tests read the
text from the bytes); ``invariant`` output makes the same statement give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.credit_notes import credited_invoice_number
from billing.models import CreditNote
from billing.money import Money
from billing.statements import KIND_ADJUSTMENT, KIND_TAKEN_BACK, ROLE_CUSTOMER, OrderStatement

ISSUER = "Cloud Factory"
VAT_NOTE = "Prices exclude VAT."
# The standard PDF fonts speak WinAnsi only: replace what they cannot draw.
_PLAIN = str.maketrans({"→": "to", "←": "from", "≥": ">=", "≤": "<=", "−": "-"})


def _text(value: object) -> str:
    return escape(str(value).translate(_PLAIN))


def _money(amount: Money) -> str:
    return f"{amount.amount:,.{amount.exponent}f} {amount.currency}"


def _table(rows: list[list], widths: list[float], totals_from: int | None = None) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if totals_from is not None:
        style += [
            ("LINEABOVE", (0, totals_from), (-1, totals_from), 0.5, colors.black),
            ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 9),
        ]
    table.setStyle(TableStyle(style))
    return table


def _build(story: list, *, title: str, compress: bool) -> bytes:
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=title,
        author=ISSUER,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        pageCompression=1 if compress else 0,
        invariant=1,
    )
    document.build(story)
    return out.getvalue()


def _date(value) -> str:
    return timezone.localtime(value).date().isoformat() if value else ""


def _header(
    story: list,
    styles,
    *,
    title: str,
    number: str,
    reference: str,
    to: str,
    date,
    extra: Sequence[tuple[str, str]] = (),
):
    story.append(Paragraph(_text(title), styles["Title"]))
    for label, value in (
        ("Number", number),
        ("Order", reference),
        *extra,
        ("Issued by", ISSUER),
        ("To", to),
        ("Date", _date(date)),
    ):
        story.append(Paragraph(f"<b>{label}:</b> {_text(value)}", styles["Normal"]))
    story.append(Spacer(1, 6 * mm))


def _notes(story: list, styles, notes: Sequence[str]) -> None:
    """The order's notes (e.g. a dispute decision explained), under the figures."""
    if not notes:
        return
    story.append(Paragraph("Notes", styles["Heading3"]))
    for note in notes:
        story.append(Paragraph(_text(note), styles["Normal"]))
        story.append(Spacer(1, 2 * mm))


def invoice_number(statement: OrderStatement) -> str:
    return f"INV-{statement.reference}"


def credit_note_number(statement: OrderStatement, organization_id: int) -> str:
    return f"CN-{statement.reference}-{organization_id}"


def invoice_pdf(statement: OrderStatement, *, compress: bool = True) -> bytes:
    """The customer's invoice: each step and leg by party, the platform fee, the margin,
    the rebate and the total, which is what the customer paid."""
    if statement.role != ROLE_CUSTOMER:
        raise ValueError("Invoices are built from the customer's statement.")
    styles = getSampleStyleSheet()
    story: list = []
    number = invoice_number(statement)
    _header(
        story,
        styles,
        title="Invoice",
        number=number,
        reference=statement.reference,
        to=statement.organization,
        date=statement.date,
    )
    rows: list[list] = [["Work", "Party", "Price", "Margin share", "Amount"]]
    cell = styles["BodyText"]
    cell.fontSize = 9
    corrections = (KIND_TAKEN_BACK, KIND_ADJUSTMENT)
    for line in statement.lines:
        if line.kind in ("platform", "rebate"):
            continue
        rows.append(
            [
                Paragraph(_text(line.label), cell),
                Paragraph(_text(line.party), cell),
                "" if line.kind in corrections else _money(line.price),
                "" if line.kind in corrections else _money(line.margin_share),
                _money(line.amount),
            ]
        )
    first_total = len(rows)
    if statement.released_at is not None:
        rows.append(["Platform fee", ISSUER, "", "", _money(statement.platform_fee)])
        rows.append(["Rebate (lateness and quality)", "to you", "", "", _money(statement.rebate)])
    rows.append(["Total", "", "", "", _money(statement.total)])
    widths = [62 * mm, 40 * mm, 25 * mm, 25 * mm, 25 * mm]
    story.append(_table(rows, widths, totals_from=first_total))
    story.append(Spacer(1, 5 * mm))
    if statement.released_at is not None:
        summary = (
            f"Margin of the order: {_money(statement.margin)}, shared between the parties"
            f" by the sharing rule; the rebate is the part late or reworked work forfeited,"
            f" owed back to you."
        )
    else:
        summary = (
            f"{statement.status_label}: the parties keep the prices released for the work"
            f" you accepted ({_money(statement.kept)}); no margin or platform fee is charged."
        )
    story.append(Paragraph(_text(summary), styles["Normal"]))
    if statement.refunds:
        story.append(Paragraph("Refunds", styles["Heading3"]))
        refund_rows: list[list] = [["Refunded on", "Reason", "", "Credit note", "Amount"]]
        for refund in statement.refunds:
            refund_rows.append(
                [
                    _date(refund.date),
                    Paragraph(_text(refund.reason), cell),
                    "",
                    refund.credit_note_number,
                    _money(-refund.amount),
                ]
            )
        story.append(_table(refund_rows, [25 * mm, 77 * mm, 5 * mm, 45 * mm, 25 * mm]))
        story.append(Spacer(1, 3 * mm))
    story.append(
        Paragraph(
            _text(
                f"Paid: {_money(statement.amount_paid)}; refunded: {_money(statement.refunded)};"
                f" net paid: {_money(statement.net_paid)}."
                + (f" Still held: {_money(statement.held)}." if statement.held.minor else "")
            ),
            styles["Normal"],
        )
    )
    _notes(story, styles, statement.notes)
    story.append(Paragraph(VAT_NOTE, styles["Normal"]))
    return _build(story, title=f"Invoice {number}", compress=compress)


def credit_note_pdf(
    statement: OrderStatement, *, organization_id: int, compress: bool = True
) -> bytes:
    """A workshop's or carrier's credit note (self-billing): what it is paid for the order,
    why (the sharing rule in plain words) and how its payouts stand."""
    if statement.role == ROLE_CUSTOMER:
        raise ValueError("Customers get an invoice, not a credit note.")
    styles = getSampleStyleSheet()
    story: list = []
    number = credit_note_number(statement, organization_id)
    _header(
        story,
        styles,
        title="Credit note (self-billing)",
        number=number,
        reference=statement.reference,
        to=statement.organization,
        date=statement.date,
    )
    cell = styles["BodyText"]
    cell.fontSize = 9
    rows: list[list] = [["Work", "", "Price", "Margin share", "Payable"]]
    for line in statement.lines:
        rows.append(
            [
                Paragraph(_text(line.label), cell),
                "",
                _money(line.price),
                _money(line.margin_share),
                _money(line.amount),
            ]
        )
    total_row = len(rows)
    rows.append(["Total", "", "", "", _money(statement.total)])
    widths = [82 * mm, 20 * mm, 25 * mm, 25 * mm, 25 * mm]
    story.append(_table(rows, widths, totals_from=total_row))
    story.append(Spacer(1, 5 * mm))
    for line in statement.lines:
        if line.explanation:
            story.append(Paragraph(f"<b>{_text(line.label)}.</b>", styles["Normal"]))
            story.append(Paragraph(_text(line.explanation), styles["Normal"]))
            story.append(Spacer(1, 2 * mm))
    if statement.payouts:
        story.append(Paragraph("Payouts", styles["Heading3"]))
        payout_rows: list[list] = [["Payout", "", "Status", "Paid on", "Amount"]]
        for payout in statement.payouts:
            payout_rows.append(
                [
                    payout.key,
                    "",
                    payout.status_label,
                    _date(payout.paid_at),
                    _money(payout.amount),
                ]
            )
        for reversal in statement.payout_reversals:
            payout_rows.append(
                [
                    Paragraph(_text(reversal.description), cell),
                    "",
                    "Reversed",
                    _date(reversal.date),
                    _money(reversal.amount),
                ]
            )
        story.append(_table(payout_rows, widths))
    _notes(story, styles, statement.notes)
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            _text(
                f"Issued by {ISSUER} on your behalf (self-billing). {VAT_NOTE}"
                f" Paid so far: {_money(statement.amount_paid)};"
                f" outstanding: {_money(statement.outstanding)}."
            ),
            styles["Normal"],
        )
    )
    return _build(story, title=f"Credit note {number}", compress=compress)


def refund_credit_note_pdf(
    note: CreditNote, *, notes: Sequence[str] = (), compress: bool = True
) -> bytes:
    """The customer's credit note for one refund: its own number, the invoice it credits,
    the date, reason and amount of the refund, and the order's notes (a dispute decision)."""
    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    cell.fontSize = 9
    story: list = []
    _header(
        story,
        styles,
        title="Credit note",
        number=note.number,
        reference=note.reference,
        to=note.organization.name,
        date=note.issued_at,
        extra=[("Credits invoice", credited_invoice_number(note=note))],
    )
    net = note.amount - note.vat
    rows: list[list] = [
        ["Refunded on", "Reason", "", "", "Amount"],
        [_date(note.refunded_at), Paragraph(_text(note.reason), cell), "", "", _money(net)],
        ["VAT reversed", "", "", "", _money(note.vat)],
        ["Total credited", "", "", "", _money(note.amount)],
    ]
    widths = [25 * mm, 102 * mm, 10 * mm, 15 * mm, 25 * mm]
    story.append(_table(rows, widths, totals_from=2))
    story.append(Spacer(1, 5 * mm))
    vat_text = (
        f"It reverses {_money(note.vat)} of the VAT invoiced."
        if note.vat.minor
        else "No VAT was invoiced on it."
    )
    story.append(
        Paragraph(
            _text(
                f"{_money(note.amount)} was refunded to the payment method you paid order"
                f" {note.reference} with. {vat_text}"
            ),
            styles["Normal"],
        )
    )
    _notes(story, styles, notes)
    return _build(story, title=f"Credit note {note.number}", compress=compress)
