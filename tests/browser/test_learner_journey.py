"""A new starter's whole induction on the test content, and a stranger checking the certificate."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .harness import Audit, LiveServer
from .steps import answer_quiz, heading, submit_sign_in

pytestmark = pytest.mark.browser


def test_a_new_starter_completes_everything_and_a_stranger_verifies_the_certificate(
    test_content_server: LiveServer, audit: Audit
) -> None:
    server = test_content_server
    quizzes = server.catalogue.quizzes
    organisation = server.organisation("Riverside Primary School")
    email = server.person("Nadia Starter", organisation_id=organisation)
    page = audit.new_page()

    page.goto(f"{server.url}/sign-in")
    audit.check(page, "Sign in")
    submit_sign_in(page, email)
    expect(heading(page)).to_have_text("Your induction")
    expect(page.get_by_role("heading", name="Start here")).to_be_visible()
    audit.check(page, "Home, nothing done")

    page.get_by_role("link", name="Welcome to the test induction").first.click()
    expect(heading(page)).to_have_text("Welcome to the test induction")
    audit.check(page, "Welcome")
    page.get_by_role("link", name="Go to your modules").click()
    page.get_by_role("link", name="First steps", exact=True).click()
    expect(heading(page)).to_have_text("First steps")
    audit.check(page, "Module First steps")

    page.get_by_role("link", name="Start reading").click()
    expect(heading(page)).to_have_text("Hello")
    expect(page.get_by_text("Section 1 of 2")).to_be_visible()
    audit.check(page, "Section Hello")
    page.get_by_role("button", name="Next: Next steps").click()
    expect(heading(page)).to_have_text("Next steps")
    audit.check(page, "Section Next steps")
    page.get_by_role("link", name="Previous: Hello").click()
    expect(heading(page)).to_have_text("Hello")
    expect(page.get_by_text("You have read this section.")).to_be_visible()
    page.get_by_role("button", name="Next: Next steps").click()
    page.get_by_role("button", name="Mark as read and take the quiz").click()
    expect(heading(page)).to_have_text("Quiz: First steps")
    audit.check(page, "Quiz First steps, attempt 1")

    answer_quiz(page, quizzes["first-steps"], right=False)
    expect(page.get_by_text("You did not pass this time.")).to_be_visible()
    audit.check(page, "Result First steps, failed")
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_text("This is attempt 2 of 2.")).to_be_visible()
    answer_quiz(page, quizzes["first-steps"], right=True)
    expect(page.get_by_text("You passed. Well done.")).to_be_visible()
    expect(page.get_by_role("link", name="Next module: Staying safe")).to_be_visible()
    audit.check(page, "Result First steps, passed")

    page.get_by_role("link", name="Back to your induction").click()
    expect(page.locator(".card").first).to_contain_text("Completed")
    expect(page.locator(".overall")).to_contain_text("1 of 2 modules")
    continue_panel = page.locator(".panel").filter(has_text="Continue where you left off")
    expect(continue_panel).to_contain_text("Staying safe: Read “Safety”.")
    audit.check(page, "Home, one module done")
    page.goto(f"{server.url}/quizzes/first-steps")  # a passed quiz does not open again
    expect(heading(page)).to_have_text("Your result")
    expect(page.get_by_role("status")).to_contain_text("does not open again")
    page.get_by_role("link", name="Next module: Staying safe").click()
    expect(heading(page)).to_have_text("Safety")
    audit.check(page, "Section Safety")
    page.get_by_role("link", name="Staying safe").click()
    audit.check(page, "Module Staying safe")
    page.get_by_role("link", name="Start reading").click()
    page.get_by_role("button", name="Mark as read and take the quiz").click()
    audit.check(page, "Quiz Staying safe")
    answer_quiz(page, quizzes["staying-safe"], right=True)
    expect(page.get_by_role("status")).to_contain_text("You have completed your induction")
    audit.check(page, "Result Staying safe, induction complete")

    page.get_by_role("link", name="Back to your induction").click()
    expect(page.get_by_role("heading", name="Your certificate")).to_be_visible()
    audit.check(page, "Home, induction complete")
    page.get_by_role("link", name="View your certificate").click()
    expect(heading(page)).to_have_text("Certificate of completion")
    expect(page.locator(".cert-name")).to_have_text("Nadia Starter")
    audit.check(page, "Certificate")
    certificate_url = page.url
    verify_link = page.locator(".certificate a[href*='/verify/']")
    verify_url = verify_link.get_attribute("href") or ""
    code = verify_url.rsplit("/", 1)[-1]
    assert verify_url == f"{server.url}/verify/{code}" and code

    pdf_link = page.get_by_role("link", name="Download the certificate (PDF)")
    with page.expect_download() as download_info:
        pdf_link.click()
    download = download_info.value
    assert download.suggested_filename == f"induction-certificate-{code}.pdf"
    assert download.path().read_bytes().startswith(b"%PDF-")
    pdf_response = page.request.get(f"{server.url}{pdf_link.get_attribute('href')}")
    assert pdf_response.headers["content-type"] == "application/pdf"
    assert pdf_response.body().startswith(b"%PDF-")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    audit.check(page, "Signed out")
    page.goto(certificate_url)
    expect(heading(page)).to_have_text("Sign in")  # signed out really means signed out

    stranger = audit.new_page()
    stranger.goto(verify_url)
    expect(stranger.locator(".verdict")).to_have_text("This certificate is valid.")
    expect(stranger.get_by_text("Nadia Starter")).to_be_visible()
    audit.check(stranger, "Verify, valid code")

    stranger.get_by_role("link", name="Check a certificate").click()
    expect(heading(stranger)).to_have_text("Check a certificate")
    audit.check(stranger, "Verify form")
    stranger.get_by_label("Verification code").fill(code)
    stranger.get_by_role("button", name="Check").click()
    expect(stranger).to_have_url(verify_url)
    expect(stranger.locator(".verdict")).to_have_text("This certificate is valid.")

    stranger.get_by_label("Verification code").fill("0000 0000 0000 0000")  # well formed, but no certificate has it
    stranger.get_by_role("button", name="Check").click()
    expect(stranger.get_by_role("alert")).to_contain_text("No certificate has the code")
    audit.check(stranger, "Verify, unknown code")

    audit.assert_clean()
