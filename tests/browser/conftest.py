"""Fixtures for the browser journeys: two live servers, Chromium, and the page audit.

One server serves the small test content (for the fast journeys), the other the real
content (to scan its pages). Both live for the whole session; each test makes its own
people, so tests do not depend on each other.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from .harness import Audit, LiveServer


def _unavailable() -> str | None:
    """Why the browser tests cannot run here (Playwright or axe-playwright-python is missing), or None."""
    try:
        import axe_playwright_python.base  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"the browser tests need Playwright and axe-playwright-python (make install-test): {error}"
    return None


UNAVAILABLE = _unavailable()


class _Unavailable(pytest.Module):
    """A browser test module where Playwright is missing: not imported, reported as skipped with the reason."""

    def collect(self) -> NoReturn:
        pytest.skip(reason=UNAVAILABLE or "")


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Where Playwright is missing, each browser test module is skipped instead of failing to import,
    so `pytest -m "not browser"` runs everything else."""
    if UNAVAILABLE is None:
        return None
    return _Unavailable.from_parent(parent, path=module_path)


_failed = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Note whether the test body failed, so the audit knows to keep its screenshots."""
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[_failed] = report.failed
    return report


@pytest.fixture(scope="session")
def test_content_server() -> Iterator[LiveServer]:
    """The app serving tests/content: two short modules and a welcome page."""
    from .harness import TEST_CONTENT, serve

    with serve(TEST_CONTENT) as server:
        yield server


@pytest.fixture(scope="session")
def real_content_server() -> Iterator[LiveServer]:
    """The app serving the real modules under content/."""
    from .harness import REAL_CONTENT, serve

    with serve(REAL_CONTENT) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    from .harness import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def audit(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Audit]:
    """Checks every page of a journey; keeps screenshots in test-artifacts/ when the test fails."""
    from .harness import Audit

    found = Audit(browser)
    yield found
    try:
        if request.node.stash.get(_failed, False):
            folder = found.keep_screenshots(request.node.name)
            print(f"\nScreenshots of the {len(found.checked)} pages checked are in {folder}")
            if found.problems and not found.reported:  # the journey stopped before its last check
                print("\nProblems found on the pages checked before it stopped:\n\n" + "\n\n".join(found.problems))
    finally:
        found.close()
