"""Print the Flesch reading ease of each section of the content tree.

Usage: python scripts/readability.py [content-dir]
The text measured is the rendered section with markup removed, the same way the
test suite measures it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import textstat
from markdown_it import MarkdownIt
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.footnote import footnote_plugin


def plain_text(markdown: str) -> str:
    md = MarkdownIt("commonmark").enable("table").use(admon_plugin).use(footnote_plugin)
    html = md.render(markdown)
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", text).strip()


def body_of(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        _, _, rest = text[4:].partition("\n---\n")
        return rest
    return text


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "content")
    scores = []
    for path in sorted(root.glob("modules/*/[0-9]*.md")):
        text = plain_text(body_of(path))
        score = textstat.flesch_reading_ease(text)
        words = len(text.split())
        scores.append(score)
        print(f"{score:6.1f} {words:5d} words  {path}")
    if scores:
        print(f"average {sum(scores) / len(scores):.1f}")


if __name__ == "__main__":
    main()
