"""Letter codes: random, unambiguous, grouped for reading aloud; CSV and printable PDF of a batch."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable

# No 0/O, 1/I/L: codes are typed from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GROUPS, GROUP_LENGTH = 3, 4


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    return "-".join(raw[i : i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))


def normalise_code(value: str) -> str:
    raw = "".join(ch for ch in (value or "").upper() if ch.isalnum())
    return "-".join(raw[i : i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))


def codes_csv(codes: Iterable[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "district"])
    for code, district in codes:
        writer.writerow([code, district])
    return out.getvalue().encode("utf-8")


def codes_pdf(*, codes: Iterable[tuple[str, str]], city_name: str, url: str, intro: str) -> bytes:
    """One A4 page per code, ready for mail merge into window envelopes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(city_name)
    _width, height = A4
    for code, district in codes:
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(25 * mm, height - 40 * mm, city_name)
        pdf.setFont("Helvetica", 11)
        text = pdf.beginText(25 * mm, height - 60 * mm)
        for line in intro.splitlines():
            text.textLine(line)
        pdf.drawText(text)
        pdf.setFont("Courier-Bold", 20)
        pdf.drawString(25 * mm, height - 100 * mm, code)
        pdf.setFont("Helvetica", 11)
        pdf.drawString(25 * mm, height - 112 * mm, url)
        if district:
            pdf.drawString(25 * mm, height - 120 * mm, district)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
