"""The certificate as a PDF, with a QR code to its public verification page."""

from __future__ import annotations

import io
import json
from datetime import datetime

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from induction.completion.models import Certificate


def _date(value: str | datetime | None) -> str:
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%-d %B %Y")


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """The PDF bytes of `certificate`."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"Induction certificate {certificate.code}")
    pdf.setAuthor("Induction platform")
    width, height = A4
    y = height - 30 * mm
    pdf.setFont("Helvetica-Bold", 22)
    pdf.drawString(20 * mm, y, "Certificate of completion")
    y -= 12 * mm
    pdf.setFont("Helvetica", 12)
    pdf.drawString(20 * mm, y, "Induction to the children and young people's workforce")
    y -= 16 * mm
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(20 * mm, y, certificate.learner_name)
    y -= 8 * mm
    pdf.setFont("Helvetica", 12)
    pdf.drawString(20 * mm, y, certificate.organisation_name)
    y -= 8 * mm
    pdf.drawString(20 * mm, y, f"Completed on {_date(certificate.issued_at)}")
    if certificate.expires_at:
        y -= 7 * mm
        pdf.drawString(20 * mm, y, f"Refresher due by {_date(certificate.expires_at)}")
    y -= 14 * mm
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(20 * mm, y, "Modules")
    pdf.setFont("Helvetica", 10)
    for module in json.loads(certificate.modules):
        y -= 7 * mm
        line = f"{module['title']} (version {module['version']}), {module['status']} {_date(module['completed_at'])}"
        if module.get("expires_at"):
            line += f", expires {_date(module['expires_at'])}"
        pdf.drawString(22 * mm, y, line[:110])
    qr = segno.make(verify_url, error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=4, border=2)
    image.seek(0)
    pdf.drawImage(ImageReader(image), width - 60 * mm, 20 * mm, 40 * mm, 40 * mm)
    pdf.setFont("Helvetica", 9)
    pdf.drawString(20 * mm, 30 * mm, f"Verification code: {certificate.code}")
    pdf.drawString(20 * mm, 25 * mm, f"Check it at {verify_url}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    """An inline SVG QR code for `url`."""
    return segno.make(url, error="m").svg_inline(scale=4, title="QR code linking to the verification page")
