"""Markdown to clean HTML, once at load time, with the faults a trainer must fix."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import bleach
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "blockquote",
        "br",
        "code",
        "del",
        "div",
        "em",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "id", "class"],
    "img": ["src", "alt", "title"],
    "h2": ["id"],
    "h3": ["id"],
    "h4": ["id"],
    "h5": ["id"],
    "h6": ["id"],
    "div": ["class"],
    "p": ["class"],
    "section": ["class"],
    "sup": ["class", "id"],
    "li": ["id", "class"],
    "ol": ["class", "start"],
    "hr": ["class"],
    "abbr": ["title"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# markdown-it refuses these links and leaves their text; the trainer should hear of it.
_UNSAFE_LINK = re.compile(r"\]\(\s*(?:javascript|vbscript|data|file):", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


# Given a relative link target, the URL it stands for, or None when it does not resolve.
Resolver = Callable[[str], "str | None"]


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(admon_plugin).use(anchors_plugin, min_level=2, max_level=4)
    return md


_MD = _markdown()


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def render(
    body: str,
    first_line: int,
    resolve_link: Resolver,
    resolve_image: Resolver,
    top_level: int = 2,
) -> tuple[str, list[Problem]]:
    """The cleaned HTML of `body`, and its problems, with lines counted from `first_line`."""
    problems: list[Problem] = [
        Problem(first_line + number, "link uses a scheme that is not allowed")
        for number, text in enumerate(body.splitlines())
        if _UNSAFE_LINK.search(text)
    ]
    env: dict[str, object] = {}
    tokens = _MD.parse(body, env)
    line = first_line
    previous_level = top_level - 1
    for token in _walk(tokens):
        if token.map:
            line = first_line + token.map[0]
        if token.type == "heading_open":
            level = int(token.tag[1])
            if level < top_level:
                problems.append(
                    Problem(line, f"heading level {level} is reserved for the page title; start at {top_level}")
                )
            elif level > previous_level + 1:
                problems.append(Problem(line, f"heading level skips from {previous_level} to {level}"))
            previous_level = level
        elif token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            if href.startswith("#") or _SCHEME.match(href):
                if _SCHEME.match(href) and href.split(":", 1)[0].lower() not in ALLOWED_PROTOCOLS:
                    problems.append(Problem(line, f"link {href!r} uses a scheme that is not allowed"))
                continue
            target = resolve_link(href)
            if target is None:
                problems.append(Problem(line, f"broken link {href!r}"))
            else:
                token.attrs["href"] = target
        elif token.type == "image":
            src = str(token.attrs.get("src", ""))
            alt = "".join(child.content for child in token.children or []).strip()
            if not alt:
                problems.append(Problem(line, f"image {src!r} has no alt text"))
            target = None if _SCHEME.match(src) else resolve_image(src)
            if target is None:
                problems.append(Problem(line, f"image {src!r} is not in this module's media folder"))
            else:
                token.attrs["src"] = target
    html = _MD.renderer.render(tokens, _MD.options, env)
    return clean(html), problems


def clean(html: str) -> str:
    """`html` with every tag, attribute and protocol outside the allow-list removed."""
    return bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )


def plain_text(html: str) -> str:
    """The words of rendered HTML, for word counts and readability."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
