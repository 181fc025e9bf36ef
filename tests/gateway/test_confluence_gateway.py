"""ConfluenceGateway against the real atlassian-python-api client over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from pydantic import SecretStr

from bridgeplugin.confluence_gateway import ConfluenceGateway
from bridgeplugin.errors import AuthenticationError, Conflict, NotFound
from bridgeplugin.model import Page
from bridgeplugin.retry import RetryPolicy

from .conftest import JIRA

WIKI = f"{JIRA}/wiki"
CONTENT = f"{WIKI}/rest/api/content"


def _page(pid: str = "101", version: int = 4, title: str = "Sprint 12", **extra: Any) -> dict:
    return {
        "id": pid,
        "type": "page",
        "title": title,
        "space": {"key": "BRIDGE"},
        "version": {"number": version},
        "ancestors": [{"id": "1"}, {"id": "100"}],
        "_links": {"webui": f"/spaces/BRIDGE/pages/{pid}", "base": WIKI},
        **extra,
    }


@pytest.fixture
def wiki(rsps: responses.RequestsMock, policy: RetryPolicy) -> Iterator[ConfluenceGateway]:
    gw = ConfluenceGateway(
        WIKI, email="bridge@example.com", token=SecretStr("tok"), policy=policy, timeout=(2, 9)
    )
    yield gw
    gw.close()


def _sent(rsps: responses.RequestsMock, method: str) -> list[Any]:
    return [c for c in rsps.calls if c.request.method == method]


def test_find_page_by_space_and_title(
    wiki: ConfluenceGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(CONTENT, json={"results": [_page()], "size": 1})
    page = wiki.find_page("BRIDGE", "Sprint 12")
    assert page == Page(
        id="101",
        title="Sprint 12",
        space_key="BRIDGE",
        version=4,
        parent_id="100",
        url=f"{WIKI}/spaces/BRIDGE/pages/101",
    )
    params = rsps.calls[0].request.params
    assert (params["spaceKey"], params["title"], params["type"]) == ("BRIDGE", "Sprint 12", "page")
    assert rsps.calls[0].request.req_kwargs["timeout"] == (2, 9)


def test_find_page_answers_none_only_when_there_is_none(
    wiki: ConfluenceGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(CONTENT, json={"results": [], "size": 0})
    assert wiki.find_page("BRIDGE", "Nope") is None


def test_find_page_does_not_swallow_an_auth_failure(
    wiki: ConfluenceGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(CONTENT, status=401, body="Unauthorized")
    with pytest.raises(AuthenticationError) as info:
        wiki.find_page("BRIDGE", "Sprint 12")
    assert str(info.value).startswith(
        "Confluence rejected the credentials for bridge@example.com: check "
        "BRIDGE_JIRA_EMAIL/BRIDGE_JIRA_TOKEN"
    )


def test_get_page_with_body(wiki: ConfluenceGateway, rsps: responses.RequestsMock) -> None:
    rsps.get(f"{CONTENT}/101", json=_page(body={"storage": {"value": "<p>hi</p>"}}))
    page = wiki.get_page("101")
    assert page.body == "<p>hi</p>"
    assert "body.storage" in rsps.calls[0].request.params["expand"]


def test_a_missing_page_is_not_found(wiki: ConfluenceGateway, rsps: responses.RequestsMock) -> None:
    rsps.get(f"{CONTENT}/999", status=404, json={"statusCode": 404, "message": "No content"})
    with pytest.raises(NotFound, match="page 999 not found on Confluence"):
        wiki.get_page("999")


def test_create_page_under_a_parent(wiki: ConfluenceGateway, rsps: responses.RequestsMock) -> None:
    rsps.post(CONTENT, json=_page(version=1))
    page = wiki.create_page("BRIDGE", "Sprint 12", "<p>burn</p>", parent_id="100")
    assert (page.id, page.version) == ("101", 1)
    assert json.loads(rsps.calls[0].request.body) == {
        "type": "page",
        "title": "Sprint 12",
        "space": {"key": "BRIDGE"},
        "body": {"storage": {"value": "<p>burn</p>", "representation": "storage"}},
        "ancestors": [{"id": "100"}],
    }


def test_a_lost_create_answer_finds_the_page_instead_of_creating_twice(
    wiki: ConfluenceGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(CONTENT, status=502)
    rsps.get(CONTENT, json={"results": [_page(version=1)]})
    page = wiki.create_page("BRIDGE", "Sprint 12", "<p>burn</p>")
    assert page.id == "101"
    assert len(_sent(rsps, "POST")) == 1


def test_update_page_writes_the_next_version_explicitly(
    wiki: ConfluenceGateway, rsps: responses.RequestsMock
) -> None:
    rsps.put(f"{CONTENT}/101", json=_page(version=5))
    before = Page(id="101", title="Sprint 12", space_key="BRIDGE", version=4)
    after = wiki.update_page(before, "Sprint 12", "<p>new</p>")
    assert after.version == 5
    body = json.loads(rsps.calls[0].request.body)
    assert body["version"] == {"number": 5}
    assert body["body"]["storage"] == {"value": "<p>new</p>", "representation": "storage"}
    assert len(rsps.calls) == 1  # no history reads, no "is it identical" GETs


def test_a_stale_version_is_a_conflict(
    wiki: ConfluenceGateway, rsps: responses.RequestsMock
) -> None:
    rsps.put(
        f"{CONTENT}/101",
        status=409,
        json={"statusCode": 409, "message": "Version must be incremented on update."},
    )
    before = Page(id="101", title="Sprint 12", space_key="BRIDGE", version=4)
    with pytest.raises(Conflict) as info:
        wiki.update_page(before, "Sprint 12", "<p>new</p>")
    assert "page 101 ('Sprint 12') was changed concurrently" in str(info.value)
    assert "Version must be incremented" in str(info.value)
    assert len(rsps.calls) == 1


def test_attach_file_puts_multipart_with_the_nocheck_header(
    wiki: ConfluenceGateway, rsps: responses.RequestsMock
) -> None:
    url = f"{CONTENT}/101/child/attachment"
    rsps.put(
        url,
        json={
            "results": [
                {
                    "id": "att9",
                    "title": "burn.png",
                    "extensions": {"mediaType": "image/png", "fileSize": 4},
                    "version": {"number": 2},
                    "_links": {"download": "/download/attachments/101/burn.png"},
                }
            ]
        },
    )
    att = wiki.attach_file("101", "burn.png", b"\x89PNG", "image/png")
    assert (att.id, att.media_type, att.file_size, att.version) == ("att9", "image/png", 4, 2)
    request = rsps.calls[0].request
    assert request.method == "PUT"
    assert request.headers["X-Atlassian-Token"] == "nocheck"
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert b'filename="burn.png"' in request.body and b"\x89PNG" in request.body


def test_labels_are_added_in_one_request_and_read_back_paged(
    wiki: ConfluenceGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(f"{CONTENT}/101/label", json={"results": []})
    wiki.add_labels("101", ["bridge-report", "sprint-12", "bridge-report"])
    assert json.loads(rsps.calls[0].request.body) == [
        {"prefix": "global", "name": "bridge-report"},
        {"prefix": "global", "name": "sprint-12"},
    ]
    rsps.get(
        f"{CONTENT}/101/label",
        json={"results": [{"name": "bridge-report"}], "_links": {"next": "/rest/api/..."}},
    )
    rsps.get(f"{CONTENT}/101/label", json={"results": [{"name": "sprint-12"}], "_links": {}})
    assert wiki.labels("101") == ["bridge-report", "sprint-12"]
    assert [c.request.params["start"] for c in _sent(rsps, "GET")] == ["0", "1"]


def test_children_attachments_and_space(
    wiki: ConfluenceGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(f"{CONTENT}/100/child/page", json={"results": [_page()], "_links": {}})
    assert [p.id for p in wiki.children("100")] == ["101"]
    rsps.get(f"{CONTENT}/101/child/attachment", json={"results": [{"id": "a", "title": "t"}]})
    assert [a.title for a in wiki.attachments("101")] == ["t"]
    rsps.get(
        f"{WIKI}/rest/api/space/BRIDGE",
        json={"id": 5, "key": "BRIDGE", "name": "Bridge", "type": "global"},
    )
    assert wiki.space("BRIDGE").name == "Bridge"


def test_the_librarys_own_429_retry_is_off(rsps: responses.RequestsMock, sleeps: Any) -> None:
    wiki = ConfluenceGateway(
        WIKI,
        email="bridge@example.com",
        token=SecretStr("tok"),
        policy=RetryPolicy(max_attempts=1, sleep=sleeps),
    )
    rsps.get(f"{CONTENT}/101", status=429, headers={"Retry-After": "1"})
    with pytest.raises(Exception, match="rate-limited"):
        wiki.get_page("101")
    assert len(rsps.calls) == 1  # the library alone would have slept 1 s and sent it again
    assert sleeps.calls == []
    assert (wiki._client.retry_with_header, wiki._client.backoff_and_retry) == (False, False)
