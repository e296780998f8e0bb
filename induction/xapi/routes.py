"""The LRS's resources: the whole URL map of the `lrs` blueprint, under /xapi (docs/xapi.md).

The blueprint, its authentication, headers and error answers are in `http.py`; statements, activities
and agents in `lrs.py`; the state and profile documents in `documents.py`."""

from __future__ import annotations

from induction.routing import Route, register
from induction.xapi import documents, lrs
from induction.xapi.http import bp

READ = ["GET", "HEAD"]
DOCUMENT = ["GET", "HEAD", "PUT", "POST", "DELETE"]

ROUTES: list[Route] = [
    ("/about", lrs.about, READ),
    ("/statements", lrs.statements, ["GET", "HEAD", "PUT", "POST"]),
    ("/activities", lrs.activities, READ),
    ("/activities/state", documents.state, DOCUMENT),
    ("/activities/profile", documents.activity_profile, DOCUMENT),
    ("/agents", lrs.agents, READ),
    ("/agents/profile", documents.agent_profile, DOCUMENT),
]
register(bp, ROUTES)
