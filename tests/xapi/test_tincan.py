"""The `tincan` package's RemoteLRS as a real client against the app on a real HTTP server."""

from __future__ import annotations

import uuid
from typing import Any

from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    LanguageMap,
    RemoteLRS,
    StateDocument,
    Statement,
    Verb,
)


def make_statement(index: int) -> Statement:
    return Statement(
        id=str(uuid.uuid4()),
        actor=Agent(name="Ada", mbox="mailto:ada@example.com"),
        verb=Verb(id="http://adlnet.gov/expapi/verbs/experienced", display=LanguageMap({"en-GB": "experienced"})),
        object=Activity(
            id=f"http://example.com/activities/{index}",
            definition=ActivityDefinition(name=LanguageMap({"en-GB": f"Activity {index}"})),
        ),
    )


def test_tincan_saves_retrieves_queries_and_pages(served: str, credentials: Any) -> None:
    lrs = RemoteLRS(version="1.0.3", endpoint=served + "/xapi/", username=credentials[0], password=credentials[1])
    about = lrs.about()
    assert about.success and "1.0.3" in about.content.version
    statements = [make_statement(i) for i in range(5)]
    for statement in statements:
        saved = lrs.save_statement(statement)
        assert saved.success, saved.data
    many = lrs.save_statements([make_statement(9), make_statement(10)])
    assert many.success, many.data
    found = lrs.retrieve_statement(str(statements[0].id))
    assert found.success and str(found.content.object.id) == "http://example.com/activities/0"
    query = lrs.query_statements({"agent": Agent(mbox="mailto:ada@example.com"), "limit": 3})
    assert query.success, query.data
    seen = [str(s.id) for s in query.content.statements]
    more = query.content.more
    while more:
        page = lrs.more_statements(more)
        assert page.success, page.data
        seen += [str(s.id) for s in page.content.statements]
        more = page.content.more
    assert len(seen) == 7 and len(set(seen)) == 7


def test_tincan_documents(served: str, credentials: Any) -> None:
    lrs = RemoteLRS(version="1.0.3", endpoint=served + "/xapi/", username=credentials[0], password=credentials[1])
    agent = Agent(mbox="mailto:ada@example.com")
    activity = Activity(id="http://example.com/activities/course")
    document = StateDocument(id="bookmark", activity=activity, agent=agent, content='{"page": 4}')
    document.content_type = "application/json"
    saved = lrs.save_state(document)
    assert saved.success, saved.data
    fetched = lrs.retrieve_state(activity, agent, "bookmark")
    assert fetched.success and bytes(fetched.content.content) == b'{"page": 4}'
    # tincan looks for a lower-case 'etag' key, so read the header from the HTTP response itself
    assert fetched.response.getheader("ETag", "").startswith('"')
    ids = lrs.retrieve_state_ids(activity, agent)
    assert ids.success and ids.content == ["bookmark"]
    deleted = lrs.delete_state(fetched.content)
    assert deleted.success
    assert lrs.retrieve_state(activity, agent, "bookmark").response.status == 404
    profile = lrs.retrieve_activity_profile_ids(activity)
    assert profile.success and profile.content == []
