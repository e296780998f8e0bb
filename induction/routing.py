"""A blueprint's URL map written as one table, so each blueprint's addresses read in one file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint

Route = tuple[str, Callable[..., Any], list[str]]

GET, POST, BOTH = ["GET"], ["POST"], ["GET", "POST"]


def register(bp: Blueprint, routes: Sequence[Route]) -> None:
    """Add each (rule, view, methods) row to `bp`, in order; the endpoint is the view's name."""
    for rule, view, methods in routes:
        bp.add_url_rule(rule, view_func=view, methods=methods)
