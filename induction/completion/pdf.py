"""The certificate as one HTML document: shown as a web page, printed, and made into a tagged PDF.

The web page (`completion/certificate.html`) and the PDF (`completion/certificate_pdf.html`)
both include `completion/_certificate.html`, and the PDF is laid out by WeasyPrint with the
site's own stylesheet (its `@media print` rules), so the two cannot drift apart and text
flows instead of being clipped at a fixed position.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from flask import current_app, render_template
from weasyprint import CSS, HTML

from induction import clock
from induction.completion.codes import grouped
from induction.completion.models import Certificate
from induction.content import catalogue
from induction.rules import Status

# WeasyPrint logs a warning for each screen-only rule of site.css it skips; those are expected.
logging.getLogger("weasyprint").setLevel(logging.ERROR)

_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
QR_ALT = "QR code that opens this certificate's verification page"


@dataclass(frozen=True)
class ModuleLine:
    """One module as the certificate lists it."""

    title: str
    version: str
    waived: bool
    completed_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class CertificateView:
    """What the certificate template shows, whichever medium it is rendered for."""

    certificate: Certificate
    code: str  # grouped for reading aloud and typing
    status: str
    issuer: str
    learning_minutes: int
    modules: tuple[ModuleLine, ...]
    verify_url: str
    qr_data_uri: str
    qr_alt: str = QR_ALT

    @property
    def learning_time(self) -> str:
        hours, minutes = divmod(self.learning_minutes, 60)
        parts = [f"{hours} hour{'' if hours == 1 else 's'}"] if hours else []
        if minutes or not hours:
            parts.append(f"{minutes} minute{'' if minutes == 1 else 's'}")
        return " ".join(parts)


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _issuer(organisation_name: str) -> str:
    """The organisation that ran the induction, and the partnership whose platform issued it, if set."""
    partnership = _MARKDOWN_LINK.sub(r"\1", catalogue().local.values.get("partnership", "")).strip()
    if organisation_name and partnership:
        return f"{organisation_name}, through the induction platform of {partnership}"
    return organisation_name or partnership or "The induction platform"


def platform_name() -> str:
    """Who issues credentials: the partnership whose platform this is, if set."""
    return _issuer("")


def certificate_view(certificate: Certificate, verify_url: str) -> CertificateView:
    """The certificate's facts, ready for `_certificate.html`."""
    snapshot = json.loads(certificate.modules)
    content = catalogue()
    minutes = 0
    lines = []
    for entry in snapshot:
        waived = entry.get("status") == Status.WAIVED
        if not waived:
            # Certificates since round 3 carry the module's minutes; older ones fall back to the content.
            current = content.module(entry.get("slug", ""))
            minutes += int(entry.get("minutes") or (current.minutes if current else 0))
        lines.append(
            ModuleLine(
                title=entry["title"],
                version=entry["version"],
                waived=waived,
                completed_at=_moment(entry.get("completed_at")),
                expires_at=_moment(entry.get("expires_at")),
            )
        )
    qr = segno.make(verify_url, error="m")
    return CertificateView(
        certificate=certificate,
        code=grouped(certificate.code),
        status=certificate.status(clock.utcnow()),
        issuer=_issuer(certificate.organisation_name),
        learning_minutes=minutes,
        modules=tuple(lines),
        verify_url=verify_url,
        qr_data_uri=qr.svg_data_uri(scale=4, border=2, dark="#0b0c0c"),
    )


def _stylesheet() -> CSS:
    """The site's stylesheet, parsed once per version of the file (a third of a PDF's time otherwise)."""
    path = Path(current_app.static_folder or "static") / "site.css"
    return _parsed(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _parsed(filename: str, modified: int) -> CSS:
    return CSS(filename=filename)


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """The PDF bytes of `certificate`: tagged (PDF/UA-1), in English, laid out from the same template as the page."""
    view = certificate_view(certificate, verify_url)
    html = render_template("completion/certificate_pdf.html", view=view)
    document: Any = HTML(string=html, base_url=current_app.config["BASE_URL"])
    pdf: bytes = document.write_pdf(stylesheets=[_stylesheet()], pdf_variant="pdf/ua-1")
    return pdf
