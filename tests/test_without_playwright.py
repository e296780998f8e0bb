"""Where Playwright is not installed, `pytest -m "not browser"` still collects every other test,
and the browser tests are reported as skipped with the reason instead of failing to import."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs pytest with Playwright and axe-playwright-python made unimportable, as on a machine without them.
WITHOUT_PLAYWRIGHT = """
import sys


class NoPlaywright:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("playwright", "axe_playwright_python"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NoPlaywright())
import pytest

sys.exit(pytest.main(sys.argv[1:]))
"""

COLLECT_ALL_BUT_BROWSER = ["-m", "not browser", "--collect-only", "-q", "-p", "no:cacheprovider"]


def test_the_suite_collects_without_playwright() -> None:
    run = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-c", WITHOUT_PLAYWRIGHT, *COLLECT_ALL_BUT_BROWSER],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "error" not in output.splitlines()[-1], output

    collected = {line.split("::")[0] for line in run.stdout.splitlines() if "::" in line}
    others = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tests").rglob("test_*.py")
        if "browser" not in path.relative_to(ROOT).parts and "node_modules" not in path.parts
    }
    assert others <= collected, f"not collected: {sorted(others - collected)}"
    assert not any(path.startswith("tests/browser/") for path in collected)

    skipped = re.search(r"SKIPPED \[(\d+)\] tests/browser/conftest\.py:\d+: (.*)", output)
    assert skipped is not None, output
    assert int(skipped.group(1)) == len(list((ROOT / "tests" / "browser").glob("test_*.py")))
    assert skipped.group(2).startswith("the browser tests need Playwright and axe-playwright-python")
    assert "No module named" in skipped.group(2)
