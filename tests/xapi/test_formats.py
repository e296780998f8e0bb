"""`format` (ids, exact, canonical) shapes every statement a GET returns: one by id, a voided one, and
every page of a list."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def shaped(body: dict[str, Any], fmt: str) -> bool:
    """True when the statement is in the format: ids keeps identifiers only; canonical keeps the
    agents as sent and one language in each map; exact keeps everything."""
    actor, verb, inner = body["actor"], body["verb"], body["object"]
    languages = 2 if fmt == "exact" else 1  # in each language map
    if fmt == "ids":
        return "name" not in actor and "display" not in verb and "definition" not in inner
    if inner.get("objectType") != "StatementRef" and len(inner["definition"]["name"]) != languages:
        return False
    return actor.get("name") == "Ada" and len(verb["display"]) == languages


def many_languages(number: int) -> dict[str, Any]:
    return statement(
        verb={"id": "http://example.com/verbs/read", "display": {"en-GB": "read", "fr": "lu"}},
        object={
            "id": f"http://example.com/activities/{number}",
            "definition": {"name": {"en-GB": f"Page {number}", "fr": f"Page {number} (fr)"}},
        },
    )


@pytest.mark.parametrize("fmt", ["ids", "exact", "canonical"])
def test_every_statement_of_a_get_is_in_the_format_asked(api: Api, fmt: str) -> None:
    ids = [api.post("/xapi/statements", many_languages(n)).get_json()[0] for n in range(3)]
    voiding = statement(
        verb={"id": VOIDED, "display": {"en-GB": "voided", "fr": "annulé"}},
        object={"objectType": "StatementRef", "id": ids[0]},
    )
    voiding_id = api.post("/xapi/statements", voiding).get_json()[0]

    single = api.get("/xapi/statements", {"statementId": ids[1], "format": fmt}, Accept_Language="fr")
    assert single.status_code == 200 and shaped(single.get_json(), fmt)
    voided = api.get("/xapi/statements", {"voidedStatementId": ids[0], "format": fmt}, Accept_Language="fr")
    assert voided.status_code == 200 and shaped(voided.get_json(), fmt)
    if fmt == "canonical":
        assert single.get_json()["verb"]["display"] == {"fr": "lu"}

    seen = []
    page = api.get("/xapi/statements", {"format": fmt, "limit": 1, "verb": "http://example.com/verbs/read"}).get_json()
    while True:
        seen += page["statements"]
        if not page["more"]:
            break
        page = api.client.get(page["more"], headers=api.headers()).get_json()
    # newest first: the voiding statement (it refers to a match), then the matches less the voided one
    assert [s["id"] for s in seen] == [voiding_id, ids[2], ids[1]]
    assert all(shaped(s, fmt) for s in seen)
