"""Verification codes as people read, print and type them."""

from __future__ import annotations

import re

# Codes are issued as 16 upper-case hexadecimal digits (services.issue_certificate).
CODE_LENGTH = 16
_TYPED_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.]+")
_ISSUED = re.compile(r"[0-9A-F]{16}")


def normalise(typed: str) -> str | None:
    """The code as stored, from a code typed with spaces, hyphens or lower case; None if it cannot be one."""
    if len(typed) > 64:
        return None
    code = _TYPED_SEPARATORS.sub("", typed).upper()
    return code if _ISSUED.fullmatch(code) else None


def grouped(code: str) -> str:
    """The code in groups of four, easier to read out and type: `1A2B-3C4D-5E6F-7A8B`."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
