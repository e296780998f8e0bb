"""The `tincan` package's RemoteLRS as a real client against the app on a real HTTP server."""

from __future__ import annotations

import json
import uuid
from typing import Any

import requests
from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    Attachment,
    LanguageMap,
    RemoteLRS,
    StateDocument,
    Statement,
    Verb,
)

from tests.xapi.test_attachments import ESSAY, declared, multipart, part, sha256
from tests.xapi.test_signed import SIGNATURE, Signer, signed


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


def test_tincan_round_trips_an_attachment_by_file_url(served: str, credentials: Any) -> None:
    lrs = RemoteLRS(version="1.0.3", endpoint=served + "/xapi/", username=credentials[0], password=credentials[1])
    statement = make_statement(1)
    statement.attachments = [
        Attachment(
            usage_type="http://example.com/attachment-usage/essay",
            display=LanguageMap({"en-GB": "Essay"}),
            content_type="text/plain",
            length=len(ESSAY),
            sha2=sha256(ESSAY),
            fileurl="http://example.com/essays/1.txt",
        )
    ]
    saved = lrs.save_statement(statement)
    assert saved.success, saved.data
    found = lrs.retrieve_statement(str(statement.id))
    assert found.success, found.data
    [attachment] = found.content.attachments
    assert attachment.sha2 == sha256(ESSAY) and attachment.fileurl == "http://example.com/essays/1.txt"


def test_a_signed_statement_with_attachment_data_sent_by_requests_reads_back_in_tincan(
    served: str, credentials: Any
) -> None:
    """tincan 1.0.0 sends statements as JSON only (its Attachment holds no data and RemoteLRS never
    sends multipart/mixed), so the data goes by `requests` and tincan reads the statement back."""
    signer = Signer()
    original = make_statement(2).as_version("1.0.3")
    original["attachments"] = [declared(ESSAY)]
    token = signer.sign(original, "RS256", x5c=signer.x5c)
    sent = signed(original, token)
    body = multipart(sent, part(ESSAY), part(token, "application/octet-stream"), boundary="tincan-test")
    http = requests.Session()
    http.auth = credentials
    http.headers["X-Experience-API-Version"] = "1.0.3"
    posted = http.post(
        served + "/xapi/statements", data=body, headers={"Content-Type": "multipart/mixed; boundary=tincan-test"}
    )
    assert posted.status_code == 200, posted.text
    [statement_id] = posted.json()

    lrs = RemoteLRS(version="1.0.3", endpoint=served + "/xapi/", username=credentials[0], password=credentials[1])
    found = lrs.retrieve_statement(statement_id)
    assert found.success, found.data
    assert [a.usage_type for a in found.content.attachments] == [
        "http://example.com/attachment-usage/essay",
        SIGNATURE,
    ]
    with_data = http.get(served + "/xapi/statements", params={"statementId": statement_id, "attachments": "true"})
    assert with_data.headers["Content-Type"].startswith("multipart/mixed")
    assert ESSAY in with_data.content and token in with_data.content
    assert json.loads(http.get(served + "/xapi/statements", params={"statementId": statement_id}).text)["id"] == (
        statement_id
    )
