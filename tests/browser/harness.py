"""The machinery under the browser journeys: live servers and the page audit.

`serve` runs the app on a free loopback port with a threaded werkzeug server and its
own SQLite database built by the Alembic migrations, sending its e-mail to a loopback
SMTP server that keeps it (`LiveServer.mailbox`). `Audit.check` runs axe-core on a
page at 1280 px and 360 px wide, checks that nothing scrolls sideways at 360 px and that
the page broke no Content-Security-Policy rule, and keeps a screenshot at each width
(of the whole page when something on it is wrong).
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from axe_playwright_python.base import AXE_SCRIPT, AxeResults
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, ViewportSize
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from induction import create_app
from induction.accounts import sessions
from induction.accounts.models import Organisation, Role, User
from induction.accounts.passwords import hash_password
from induction.content.model import Catalogue
from induction.extensions import db
from induction.learning import services as learning
from induction.plans import services as plans
from induction.plans.models import InductionItem
from induction.xapi.models import StatementRecord

from ..mailbox import Mailbox, free_port

ROOT = Path(__file__).resolve().parents[2]
REAL_CONTENT = ROOT / "content"
TEST_CONTENT = ROOT / "tests" / "content"
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
WIDE: ViewportSize = {"width": 1280, "height": 900}
NARROW: ViewportSize = {"width": 360, "height": 740}


# -- live servers -------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Leave one line per request out of the test output; errors are still logged."""


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class LiveServer:
    """A running app and its address; makes the people a journey needs."""

    app: Flask
    url: str
    mailbox: Mailbox = field(default_factory=Mailbox)
    made: int = 0

    @property
    def catalogue(self) -> Catalogue:
        found: Catalogue = self.app.extensions["catalogue"]
        return found

    def organisation(self, name: str, sector: str = "education", **extra: Any) -> int:
        """Add an organisation; returns its id."""
        with self.app.app_context():
            organisation = Organisation(
                name=name, sector=sector, ownership=extra.pop("ownership", "statutory"), **extra
            )
            db.session.add(organisation)
            db.session.commit()
            return organisation.id

    def person(
        self,
        name: str,
        role: Role = Role.LEARNER,
        organisation_id: int | None = None,
        managed: tuple[int, ...] = (),
        start_date: date | None = None,
        **extra: Any,
    ) -> str:
        """Add a person who signs in with PASSWORD; returns their e-mail address."""
        self.made += 1
        email = f"{re.sub(r'[^a-z0-9]+', '.', name.lower()).strip('.')}.{self.made}@example.org"
        with self.app.app_context():
            user = User(
                email=email,
                name=name,
                role=role.value,
                organisation_id=organisation_id,
                password_hash=_password_hash(),
                start_date=start_date or date.today(),
                **extra,
            )
            user.managed.extend(db.session.get_one(Organisation, i) for i in managed)
            db.session.add(user)
            db.session.commit()
        return email

    def item(self, organisation_id: int, title: str, job_role: str | None = None) -> int:
        """Add an organisation item (Element 1), or a role item (Element 2) when `job_role` is given; returns its id."""
        with self.app.app_context():
            item = InductionItem(organisation_id=organisation_id, title=title, description="", job_role=job_role)
            db.session.add(item)
            db.session.commit()
            return item.id

    def sign_off(self, manager_email: str, learner_email: str, item_id: int) -> None:
        """The manager signs the item off for the learner, as the button on the learner's page does."""
        with self.app.app_context():
            manager, learner = (_user_by_email(e) for e in (manager_email, learner_email))
            plans.sign_off_item(manager, learner, db.session.get_one(InductionItem, item_id), self.catalogue)
            db.session.commit()

    def complete_modules(self, email: str) -> None:
        """Read every section of every module and pass every quiz at the first attempt, as the learner."""
        content = self.catalogue
        with self.app.app_context():
            user = _user_by_email(email)
            for module in content.modules:
                for section in module.sections:
                    learning.open_section(user, content, module, section)
                quiz = content.quiz_for(module)
                attempt = learning.open_attempt(user, quiz, module)
                assert attempt is not None
                drawn = learning.drawn_questions(quiz, attempt)
                learning.submit(
                    user, content, module, quiz, attempt, {d.question.id: d.question.correct_ids for d in drawn}
                )
            db.session.commit()

    def statements_of(self, email: str) -> int:
        """How many xAPI statements the person's learning has written."""
        with self.app.app_context():
            user = _user_by_email(email)
            found: int = db.session.scalar(
                select(func.count()).select_from(StatementRecord).where(StatementRecord.user_id == user.id)
            )
            return found

    def end_sign_ins(self, email: str) -> None:
        """End every sign-in of the person on the server, as the idle timeout does."""
        with self.app.app_context():
            sessions.end_all(_user_by_email(email))
            db.session.commit()


def _user_by_email(email: str) -> User:
    found: User = db.session.scalars(select(User).where(User.email == email)).one()
    return found


@contextmanager
def _smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A loopback SMTP server (aiosmtpd) that keeps every message; yields it and its port."""
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        yield mailbox, smtp.port
    finally:
        smtp.stop()


@contextmanager
def serve(content_dir: Path) -> Iterator[LiveServer]:
    """Serve the app over HTTP on a free loopback port until the block ends."""
    with _smtp_server() as (mailbox, smtp_port), tempfile.TemporaryDirectory(prefix="induction-browser-") as folder:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/induction.db",
                "CONTENT_DIR": str(content_dir),
                "SECRET_KEY": "browser-test-secret-key-that-is-long-enough",
                "SIGN_IN_LIMIT": "10000 per minute",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": smtp_port,
            }
        )
        with app.app_context():
            upgrade()
        # Alembic's logging set-up disables loggers that already exist; keep the app's error log in the test output.
        logging.getLogger("induction").disabled = False
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        url = f"http://127.0.0.1:{server.server_port}"
        app.config["BASE_URL"] = url  # certificate links and xAPI ids point at this server
        thread = threading.Thread(target=server.serve_forever, name=f"live-server-{content_dir}", daemon=True)
        thread.start()
        try:
            yield LiveServer(app, url, mailbox)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.engine.dispose()


# -- the audit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shot:
    label: str
    width: int
    image: bytes


_PAST_THE_EDGE = """
limit => {
  // The outermost elements that reach past the right edge (their parents do not),
  // leaving out those inside a box that scrolls or clips them.
  const past = el => el.getBoundingClientRect().right > limit + 1;
  const clipped = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (past(el) && el.getBoundingClientRect().width > 0 && !past(el.parentElement) && !clipped(el)) {
      const classes = typeof el.className === 'string' && el.className.trim()
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      found.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes
        + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + ' px)');
    }
  }
  return found.slice(0, 10);
}
"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (the copy bundled with axe-playwright-python) on the page as it is now.

    `Axe.run` would inject the 500 kB script on every call; this injects it once per document.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    results = AxeResults(page.evaluate("options => axe.run(document, options)", AXE_OPTIONS))
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


def describe_violation(where: str, width: int, violation: dict[str, Any]) -> str:
    """One axe violation in words: its id, impact and help, then every target."""
    lines = [
        f"{where} at {width} px: {violation['id']} ({violation['impact']}): {violation['help']}",
        f"    {violation['helpUrl']}",
    ]
    for node in violation["nodes"]:
        lines.append(f"    target {' '.join(str(t) for t in node['target'])}: {node['html'][:200]}")
        summary = " ".join((node.get("failureSummary") or "").split())
        if summary:
            lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


@dataclass(repr=False)
class Audit:
    """Checks pages as a journey reaches them and keeps what it found."""

    browser: Browser
    problems: list[str] = field(default_factory=list)
    shots: list[Shot] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)
    reported: bool = False
    _console: dict[int, list[str]] = field(default_factory=dict)

    def new_page(self, viewport: ViewportSize = WIDE) -> Page:
        """A page in a fresh browser context: a person with no cookies yet."""
        context = self.browser.new_context(viewport=viewport, accept_downloads=True, locale="en-GB")
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        self.pages.append(page)
        messages: list[str] = []
        self._console[id(page)] = messages

        def remember(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                messages.append(message.text)

        page.on("console", remember)
        page.on("pageerror", lambda error: messages.append(f"script error: {error}"))
        return page

    def check(self, page: Page, label: str) -> None:
        """Run axe at 360 px and 1280 px, look for sideways scrolling at 360 px and for CSP errors."""
        page.wait_for_load_state("load")
        where = f"{label} ({page.url})"
        self.checked.append(where)
        viewport_before = page.viewport_size or WIDE
        for viewport in (NARROW, WIDE):
            page.set_viewport_size(viewport)
            width = viewport["width"]
            found_before = len(self.problems)
            self.problems.extend(describe_violation(where, width, v) for v in axe_violations(page))
            if viewport is NARROW:
                self._check_no_sideways_scroll(page, where)
            # The whole page where something is wrong; elsewhere the first screenful is enough and much quicker.
            self.shots.append(Shot(label, width, page.screenshot(full_page=len(self.problems) > found_before)))
        page.set_viewport_size(viewport_before)
        messages = self._console.get(id(page), [])
        self.problems.extend(f"{where}: {text}" for text in messages)
        messages.clear()

    def _check_no_sideways_scroll(self, page: Page, where: str) -> None:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > NARROW["width"]:
            past = page.evaluate(_PAST_THE_EDGE, NARROW["width"])
            self.problems.append(
                f"{where} at 360 px: the page scrolls sideways (scrollWidth {scroll_width} px); "
                f"elements past the edge: {', '.join(past)}"
            )

    def assert_clean(self) -> None:
        """Fail listing every problem found on every page checked so far."""
        if self.problems:
            report = "\n\n".join(self.problems)
            self.reported = True
            pytest.fail(f"{len(self.problems)} problem(s) on the pages checked:\n\n{report}", pytrace=False)

    def keep_screenshots(self, name: str) -> Path:
        """Write the screenshots, and one of each page as it is now, under test-artifacts/<name>/."""
        folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
        shutil.rmtree(folder, ignore_errors=True)  # nothing left from an earlier run
        folder.mkdir(parents=True)
        for index, shot in enumerate(self.shots, start=1):
            slug = re.sub(r"[^a-z0-9]+", "-", shot.label.lower()).strip("-")[:60]
            (folder / f"{index:02d}-{slug}-{shot.width}px.png").write_bytes(shot.image)
        for index, page in enumerate(self.pages, start=1):
            if not page.is_closed():
                page.screenshot(path=folder / f"last-state-{index}.png", full_page=True)
        return folder

    def close(self) -> None:
        for context in self.contexts:
            context.close()
