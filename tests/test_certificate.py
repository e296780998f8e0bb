"""The certificate: one template for the page and the PDF, read back whole; /verify forgiving of how codes are typed."""

from __future__ import annotations

import re
import subprocess
import zlib
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from induction import clock
from induction.accounts.models import Role
from induction.completion import codes
from induction.completion.models import Certificate
from induction.completion.services import revoke
from induction.content import catalogue
from induction.extensions import db

from .journey import complete_everything

LONG_NAME = "Anastasia Wilhelmina Featherstonehaugh-Montgomery-Cholmondeley"
LONG_ORGANISATION = "St Bartholomew's Church of England Voluntary Aided Primary School and Nursery"
FINISHED = datetime(2027, 1, 8, 10, 30)


@pytest.fixture
def certificate(make: Any, auth: Any, client: Any) -> Certificate:
    organisation = make.organisation(LONG_ORGANISATION)
    person = make.learner(organisation, name=LONG_NAME, email="anastasia@example.org")
    with clock.frozen(FINISHED):
        auth.sign_in(person)
        complete_everything(client)
    found = db.session.scalar(select(Certificate))
    assert found is not None
    return found


def words(text: str) -> str:
    """The text with its line breaks undone (a line that ends in a hyphen continues the word)."""
    return " ".join(text.replace("-\n", "-").split())


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout  # noqa: S603,S607
    return re.sub(r"^\d+\.\n", "", text, flags=re.MULTILINE)  # the numbers of the modules' list come last


def pdf_info(pdf: bytes, tmp_path: Path, *options: str) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", *options, str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603,S607


class ArticleText(HTMLParser):
    """The visible text of the page's <article class="certificate">."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth or (tag == "article" and ("class", "certificate") in attrs):
            self.depth += tag not in {"br", "img"}

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def test_the_pdf_reads_back_whole_with_every_fact_the_certificate_states(
    client: Any, certificate: Certificate, tmp_path: Path
) -> None:
    response = client.get(f"/certificates/{certificate.id}.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    text = words(pdf_text(response.data, tmp_path))
    assert LONG_NAME in text and LONG_ORGANISATION in text  # nothing clipped at the page edge
    for module in catalogue().modules:
        assert module.title in text
    assert "completed the induction to the children and young people's workforce on 8 January 2027" in text
    assert "Completed 8 January 2027; refresher due by 8 January 2030" in text  # staying-safe: 36 months
    assert "Refresher due by 8 January 2030" in text
    assert "Learning time 25 minutes of online modules" in text  # 10 + 15 minutes in the test content
    assert "Issued by " + LONG_ORGANISATION in text
    assert f"Verification code: {codes.grouped(certificate.code)}" in text
    assert f"http://induction.test/verify/{certificate.code}" in text


def test_the_pdf_is_tagged_in_english_with_a_title(client: Any, certificate: Certificate, tmp_path: Path) -> None:
    pdf = client.get(f"/certificates/{certificate.id}.pdf").data
    info = pdf_info(pdf, tmp_path)
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)
    assert re.search(rf"^Title:\s+Induction certificate – {LONG_NAME}$", info, re.MULTILINE)
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)  # one page: nothing spills over or is cut
    assert 'pdfuaid:part="1"' in pdf_info(pdf, tmp_path, "-meta")  # declares PDF/UA-1
    structure = pdf_info(pdf, tmp_path, "-struct")
    assert "H1 (block)" in structure and "H2 (block)" in structure and "Figure" in structure
    objects = b"".join(_inflated(pdf))
    assert b"/Lang (en-GB)" in objects
    assert b"/Alt (QR code that opens this certificate's verification page)" in objects


def _inflated(pdf: bytes) -> list[bytes]:
    """The PDF's compressed streams, inflated (the catalogue and the structure tree live in object streams)."""
    found = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        try:
            found.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return found


def test_the_page_and_the_pdf_say_the_same_thing_from_one_template(
    client: Any, certificate: Certificate, tmp_path: Path
) -> None:
    page = client.get(f"/certificates/{certificate.id}").get_data(as_text=True)
    parser = ArticleText()
    parser.feed(page)
    on_the_page = words("".join(parser.parts))
    in_the_pdf = words(pdf_text(client.get(f"/certificates/{certificate.id}.pdf").data, tmp_path))
    assert on_the_page.startswith("Induction to the children and young people's workforce Certificate of completion")
    assert in_the_pdf == on_the_page


def test_the_page_shows_the_code_under_the_qr_code_and_links_to_verify(client: Any, certificate: Certificate) -> None:
    page = client.get(f"/certificates/{certificate.id}").get_data(as_text=True)
    qr_then_code = re.search(r'<img class="cert-qr" src="data:image/svg\+xml[^"]*" alt="([^"]+)"[^>]*>\s*'
                             r'<p class="cert-code">Verification code: <strong>([A-F0-9-]+)</strong>', page)  # fmt: skip
    assert qr_then_code and qr_then_code.group(2) == codes.grouped(certificate.code)
    assert "verification page" in qr_then_code.group(1)
    assert f'href="http://induction.test/verify/{certificate.code}"' in page
    assert "Download the certificate (PDF)" in page


def test_a_revoked_certificate_says_so_on_the_page(client: Any, certificate: Certificate, make: Any) -> None:
    revoke(certificate, make.user(role=Role.ADMIN))
    db.session.commit()
    page = words(client.get(f"/certificates/{certificate.id}").get_data(as_text=True))
    assert "This certificate is <strong>revoked</strong> since" in page


@pytest.mark.parametrize(
    "typed",
    [
        "{code}",
        "{lower}",
        "{grouped}",
        "{grouped_lower}",
        " {spaced} ",
    ],
)
def test_verify_accepts_a_code_typed_with_spaces_hyphens_or_lower_case(
    client: Any, certificate: Certificate, typed: str
) -> None:
    code = certificate.code
    typed = typed.format(
        code=code,
        lower=code.lower(),
        grouped=codes.grouped(code),
        grouped_lower=codes.grouped(code).lower(),
        spaced=" ".join(code[i : i + 4] for i in range(0, 16, 4)),
    )
    anyone = client.application.test_client()
    response = anyone.get("/verify", query_string={"code": typed}, follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == f"/verify/{code}"
    assert "This certificate is <strong>valid</strong>" in response.get_data(as_text=True)
    by_address = anyone.get(f"/verify/{typed.strip()}", follow_redirects=True)
    assert by_address.status_code == 200 and by_address.request.path == f"/verify/{code}"


@pytest.mark.parametrize("typed", ["not a code", "1234", "Z" * 16, "A" * 200, "1A2B/3C4D"])
def test_verify_answers_a_malformed_code_with_a_message_and_never_an_error(client: Any, typed: str) -> None:
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<title>Error: Check a certificate" in page and 'aria-invalid="true"' in page
    assert "A verification code has 16 letters and numbers" in page
    assert client.get("/verify/" + typed).status_code == 404


@pytest.mark.parametrize(
    "address", ["/verify?code=%00", "/verify?code=ABCD%00EF12", "/verify/%00", "/verify/1A2B%003C4D"]
)
def test_verify_refuses_nul_bytes_with_a_4xx(client: Any, address: str) -> None:
    response = client.get(address)
    assert response.status_code in {400, 404}
    assert "\x00" not in response.get_data(as_text=True)


def test_verify_says_when_no_certificate_has_a_well_formed_code(client: Any) -> None:
    response = client.get("/verify/0123456789ABCDEF")
    assert response.status_code == 404
    assert "No certificate has the code “0123-4567-89AB-CDEF”" in response.get_data(as_text=True)


def test_codes_are_normalised_and_grouped() -> None:
    assert codes.normalise(" 1a2b-3c4d 5e6f–7a8b ") == "1A2B3C4D5E6F7A8B"
    assert codes.normalise("1A2B3C4D5E6F7A8") is None
    assert codes.normalise("1A2B3C4D5E6F7A8G") is None
    assert codes.grouped("1A2B3C4D5E6F7A8B") == "1A2B-3C4D-5E6F-7A8B"
