"""VAT invoices, their credit notes and proformas as PDF (reportlab, as ``billing.pdf``).

Seller and buyer with addresses and VAT IDs, the order and purchase order numbers, one row
per line with its net amount, VAT rate and VAT, then the totals and the VAT mention (reverse
charge or export) where one applies.
"""

from __future__ import annotations

from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from billing.invoicing import Document, Party
from billing.pdf import _build, _date, _money, _table, _text
from billing.vat import rate_label


def _party(label: str, party: Party, styles) -> list:
    lines = [f"<b>{_text(label)}</b>", f"<b>{_text(party.name)}</b>"]
    lines += [_text(line) for line in party.lines]
    if party.vat_id:
        lines.append(f"VAT ID: {_text(party.vat_id)}")
    return [Paragraph("<br/>".join(lines), styles["Normal"])]


def document_pdf(document: Document, *, compress: bool = True) -> bytes:
    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    cell.fontSize = 9
    story: list = [Paragraph(_text(document.title), styles["Title"])]
    parties = Table(
        [[_party("Seller", document.seller, styles), _party("Bill to", document.buyer, styles)]],
        colWidths=[87 * mm, 87 * mm],
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [parties, Spacer(1, 5 * mm)]
    facts = [
        ("Number", document.number),
        ("Date", _date(document.issued_at)),
        ("Order", document.reference),
    ]
    if document.po_number:
        facts.append(("Your purchase order", document.po_number))
    if document.credits_number:
        facts.append(("Cancels invoice", document.credits_number))
    for label, value in facts:
        story.append(Paragraph(f"<b>{label}:</b> {_text(value)}", styles["Normal"]))
    story.append(Spacer(1, 5 * mm))
    rows: list[list] = [["Description", "", "Net", "VAT rate", "VAT"]]
    for line in document.lines:
        rows.append(
            [
                Paragraph(_text(line.description), cell),
                "",
                _money(line.net),
                rate_label(line.rate_bp),
                _money(line.vat),
            ]
        )
    first_total = len(rows)
    rows.append(["Total net", "", "", "", _money(document.net)])
    rows.append(["VAT", "", "", "", _money(document.vat)])
    rows.append(
        [
            "Total due" if document.gross.minor >= 0 else "Total credited",
            "",
            "",
            "",
            _money(document.gross),
        ]
    )
    widths = [90 * mm, 5 * mm, 30 * mm, 20 * mm, 29 * mm]
    story.append(_table(rows, widths, totals_from=first_total))
    story.append(Spacer(1, 5 * mm))
    if document.mention:
        story.append(Paragraph(f"<b>{_text(document.mention)}</b>", styles["Normal"]))
    story.append(
        Paragraph(
            _text(
                "VAT is computed on each line's net amount and rounded half-up to the cent;"
                " the totals are the sums of the lines."
            ),
            styles["Normal"],
        )
    )
    for note in document.notes:
        story.append(Paragraph(_text(note), styles["Normal"]))
    return _build(story, title=f"{document.title} {document.number}", compress=compress)
