"""State, Activity Profile and Agent Profile documents, with ETag concurrency."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest

from .conftest import Api

AGENT = json.dumps({"mbox": "mailto:ada@example.com"})
ACTIVITY = "http://example.com/activities/one"


def test_state_put_get_post_merge_and_delete(api: Api) -> None:
    params = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "bookmark"}
    assert api.put("/xapi/activities/state", {"x": "foo", "y": "bar"}, params).status_code == 204
    got = api.get("/xapi/activities/state", params)
    assert got.get_json() == {"x": "foo", "y": "bar"}
    assert got.headers["ETag"] == f'"{hashlib.sha1(got.data, usedforsecurity=False).hexdigest()}"'
    assert "Last-Modified" in got.headers
    assert api.post("/xapi/activities/state", {"x": "bash", "z": "faz"}, params).status_code == 204
    assert api.get("/xapi/activities/state", params).get_json() == {"x": "bash", "y": "bar", "z": "faz"}
    listed = api.get("/xapi/activities/state", {"activityId": ACTIVITY, "agent": AGENT})
    assert listed.get_json() == ["bookmark"]
    assert api.delete("/xapi/activities/state", params).status_code == 204
    assert api.get("/xapi/activities/state", params).status_code == 404


def test_state_is_kept_per_registration_and_deleted_together(api: Api) -> None:
    registration = str(uuid.uuid4())
    base = {"activityId": ACTIVITY, "agent": AGENT}
    api.put("/xapi/activities/state", "one", {**base, "stateId": "a"}, Content_Type="text/plain")
    api.put(
        "/xapi/activities/state",
        "two",
        {**base, "stateId": "a", "registration": registration},
        Content_Type="text/plain",
    )
    assert api.get("/xapi/activities/state", {**base, "stateId": "a"}).data == b"one"
    assert api.get("/xapi/activities/state", {**base, "stateId": "a", "registration": registration}).data == b"two"
    assert api.delete("/xapi/activities/state", base).status_code == 204
    assert api.get("/xapi/activities/state", {**base, "stateId": "a", "registration": registration}).status_code == 404


def test_merging_needs_json_on_both_sides(api: Api) -> None:
    params = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "text"}
    api.put("/xapi/activities/state", "plain", params, Content_Type="text/plain")
    refused = api.post("/xapi/activities/state", {"a": 1}, params)
    assert refused.status_code == 400
    assert api.get("/xapi/activities/state", params).data == b"plain"


def test_document_parameters_are_checked(api: Api) -> None:
    assert api.get("/xapi/activities/state", {"activityId": ACTIVITY}).get_json()["field"] == "agent"
    assert api.get("/xapi/activities/state", {"activityId": "nope", "agent": AGENT}).status_code == 400
    bad_agent = api.get("/xapi/activities/state", {"activityId": ACTIVITY, "agent": '{"name": "x"}'})
    assert bad_agent.status_code == 400
    extra = api.get("/xapi/activities/profile", {"activityId": ACTIVITY, "profileid": "x"})
    assert extra.status_code == 400


def test_profile_concurrency(api: Api) -> None:
    params = {"activityId": ACTIVITY, "profileId": "settings"}
    path = "/xapi/activities/profile"
    assert api.put(path, {"a": 1}, params, If_None_Match="*").status_code == 204
    assert api.put(path, {"a": 2}, params, If_None_Match="*").status_code == 412
    conflict = api.put(path, {"a": 2}, params)
    assert conflict.status_code == 409 and "If-Match" in conflict.get_json()["error"]
    etag = api.get(path, params).headers["ETag"]
    assert api.put(path, {"a": 3}, params, If_Match='"0000"').status_code == 412
    assert api.put(path, {"a": 3}, params, If_Match=etag).status_code == 204
    assert api.get(path, params).get_json() == {"a": 3}
    assert api.delete(path, params, If_Match=etag).status_code == 412
    assert api.get(path, {"activityId": ACTIVITY}).get_json() == ["settings"]


def test_agent_profile_and_since(api: Api) -> None:
    path = "/xapi/agents/profile"
    assert api.put(path, {"theme": "dark"}, {"agent": AGENT, "profileId": "prefs"}).status_code == 204
    got = api.get(path, {"agent": AGENT, "profileId": "prefs"})
    assert got.get_json() == {"theme": "dark"}
    assert api.get(path, {"agent": AGENT}).get_json() == ["prefs"]
    assert api.get(path, {"agent": AGENT, "since": "2999-01-01T00:00:00Z"}).get_json() == []
    group = json.dumps({"objectType": "Group", "mbox": "mailto:g@example.com"})
    assert api.get(path, {"agent": group}).status_code == 400


def test_activities_and_agents_resources(api: Api) -> None:
    body = {
        "actor": {"mbox": "mailto:ada@example.com", "name": "Ada"},
        "verb": {"id": "http://example.com/verbs/read"},
        "object": {"id": ACTIVITY, "definition": {"name": {"en-GB": "One"}, "type": "http://example.com/types/book"}},
    }
    api.post("/xapi/statements", body)
    activity = api.get("/xapi/activities", {"activityId": ACTIVITY}).get_json()
    assert activity == {"objectType": "Activity", "id": ACTIVITY, "definition": body["object"]["definition"]}
    unknown = api.get("/xapi/activities", {"activityId": "http://example.com/unknown"}).get_json()
    assert unknown == {"objectType": "Activity", "id": "http://example.com/unknown"}
    person = api.get("/xapi/agents", {"agent": json.dumps({"mbox": "mailto:ada@example.com", "name": "Ada"})})
    assert person.get_json() == {"objectType": "Person", "name": ["Ada"], "mbox": ["mailto:ada@example.com"]}
    assert api.head("/xapi/agents", {"agent": AGENT}).status_code == 200


def test_read_only_credentials_cannot_change_documents(client: Any) -> None:
    from induction.extensions import db
    from induction.xapi import clients

    issued = clients.create("Reader", read_only=True)
    db.session.commit()
    reader = Api(client, issued.client.key, issued.secret)
    params = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "s"}
    assert reader.put("/xapi/activities/state", {"a": 1}, params).status_code == 403
    assert reader.get("/xapi/activities/state", params).status_code == 404


def test_profile_put_over_an_existing_document_needs_a_precondition(api: Api) -> None:
    """Communication 3.1: a profile PUT without If-Match or If-None-Match to a document that exists is 409,
    and changes nothing; the State resource keeps its own rule and takes such a PUT."""
    for path, params in (
        ("/xapi/agents/profile", {"agent": AGENT, "profileId": "prefs"}),
        ("/xapi/activities/profile", {"activityId": ACTIVITY, "profileId": "prefs"}),
    ):
        assert api.put(path, {"v": 1}, params).status_code == 204  # nothing there yet: no header needed
        conflict = api.put(path, {"v": 2}, params)
        assert conflict.status_code == 409, path
        assert "If-Match" in conflict.get_json()["error"]
        assert api.get(path, params).get_json() == {"v": 1}
        assert api.post(path, {"w": 2}, params).status_code == 204  # POST merges without a precondition
        etag = api.get(path, params).headers["ETag"]
        assert api.put(path, {"v": 3}, params, If_Match=etag).status_code == 204
        assert api.get(path, params).get_json() == {"v": 3}
    state = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "bookmark"}
    assert api.put("/xapi/activities/state", {"v": 1}, state).status_code == 204
    assert api.put("/xapi/activities/state", {"v": 2}, state).status_code == 204
    assert api.get("/xapi/activities/state", state).get_json() == {"v": 2}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_the_alternate_syntax_with_a_method_other_than_post_is_a_bad_request(api: Api, method: str) -> None:
    params = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "bookmark"}
    api.put("/xapi/activities/state", {"v": 1}, params)
    query = {"method": "DELETE", **params}
    response = api.client.open("/xapi/activities/state", method=method, query_string=query, headers=api.headers())
    assert response.status_code == 400 and response.get_json()["field"] == "method"
    assert api.get("/xapi/activities/state", params).get_json() == {"v": 1}
