"""Invoice PDF with reportlab (pure Python, no system library). Same legal mentions as the HTML page."""

from __future__ import annotations

import datetime
import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from shared_apps.billing import conf
from shared_apps.billing.models import Invoice
from shared_apps.billing.templatetags.billing import cents, percent


def invoice_pdf(invoice: Invoice) -> bytes:
    issuer = conf.issuer()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle(f"Invoice {invoice.number}")
    pdf.setAuthor(issuer["name"])
    width, height = A4
    y = height - 20 * mm

    def line(text: str, *, x: float = 20 * mm, size: int = 10, bold: bool = False, step: float = 5 * mm) -> None:
        nonlocal y
        if y < 25 * mm:
            pdf.showPage()
            y = height - 20 * mm
        pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        pdf.drawString(x, y, text)
        y -= step

    line(f"INVOICE {invoice.number}", size=16, bold=True, step=9 * mm)
    if invoice.status == "void":
        line("CANCELLED", size=12, bold=True)
    line("Issuer", bold=True)
    line(issuer["name"])
    for part in str(issuer["address"]).splitlines():
        line(part)
    line(f"VAT number: {issuer['vat_number']}   Registration: {issuer['registration']}", step=8 * mm)
    line("Buyer", bold=True)
    line(invoice.buyer_name)
    for part in invoice.buyer_address.splitlines():
        line(part)
    line(f"Country: {invoice.buyer_country}")
    if invoice.buyer_vat_number:
        line(f"VAT number: {invoice.buyer_vat_number}")
    if invoice.buyer_order_reference:
        line(f"Purchase order: {invoice.buyer_order_reference}")
    y -= 3 * mm
    line(f"Issue date: {invoice.issued_on:%d/%m/%Y}    Due date: {invoice.due_on:%d/%m/%Y}")
    last_day = invoice.period_end - datetime.timedelta(days=1)
    line(f"Service period: {invoice.period_start:%d/%m/%Y} to {last_day:%d/%m/%Y}", step=8 * mm)
    line("Description", bold=True)
    pdf.drawRightString(width - 45 * mm, y + 5 * mm, f"Net ({invoice.currency})")
    pdf.drawRightString(width - 20 * mm, y + 5 * mm, "VAT")
    for item in invoice.lines.all():
        pdf.setFont("Helvetica", 9)
        pdf.drawRightString(width - 45 * mm, y, cents(item.amount_cents))
        pdf.drawRightString(width - 20 * mm, y, cents(item.vat_cents))
        line(item.description[:95], size=9)
    y -= 3 * mm
    line(f"Total excluding VAT: {cents(invoice.subtotal_cents)} {invoice.currency}", bold=True)
    line(f"VAT {percent(invoice.vat_rate)}%: {cents(invoice.vat_cents)} {invoice.currency}")
    if invoice.vat_note:
        line(invoice.vat_note, size=8)
    line(f"Total including VAT: {cents(invoice.total_cents)} {invoice.currency}", size=12, bold=True, step=9 * mm)
    line("Payment", bold=True)
    line(f"By bank transfer within {conf.payment_terms_days()} days, by {invoice.due_on:%d/%m/%Y}.")
    line(f"IBAN {issuer['iban']}   BIC {issuer['bic']}")
    line(f"Payment reference (quote it exactly): {invoice.payment_reference}", bold=True)
    line(
        "Late payment: interest at the legal rate and, for French public buyers, the EUR 40 fixed recovery "
        "indemnity (art. L2192-13 CCP).",
        size=7,
    )
    line(f"Questions: {issuer['email']}", size=8)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
