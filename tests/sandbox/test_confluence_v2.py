"""Confluence REST v2 (``/wiki/api/v2``) through the real ``ConfluenceV2`` client and raw HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from requests import HTTPError
from test_confluence_support import ADA, TOKEN, calls, page_id, sandbox, seed, v2

from bridgeplugin.sandbox.server import RunningSandbox

pytestmark = pytest.mark.sandbox

BULK = [{"title": f"Page {i:02d}", "body": f"<p>{i}</p>"} for i in range(30)]


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSandbox]:
    with sandbox(seed(BULK=BULK)) as running:
        yield running


@pytest.fixture
def sb(server: RunningSandbox) -> RunningSandbox:
    server.app.reset()
    return server


def space_id(sb: RunningSandbox, key: str) -> str:
    return str(sb.app.site.confluence.spaces[key].id)


def get(sb: RunningSandbox, path: str, **params: object) -> requests.Response:
    return requests.get(f"{sb.wiki_url}/api/v2/{path}", params=params, auth=(ADA, TOKEN), timeout=5)


def test_cursor_paging_over_30_pages_with_limit_10(sb: RunningSandbox) -> None:
    pages = v2(sb).get_pages(space_id=space_id(sb, "BULK"), limit=10)
    assert [p["title"] for p in pages] == [f"Page {i:02d}" for i in range(30)]
    assert len({p["id"] for p in pages}) == 30
    listing = [c for c in calls(sb) if c[1] == "/wiki/api/v2/pages"]
    assert len(listing) == 3  # three pages of ten, and no fourth call
    assert [points for *_, points in listing] == [11, 11, 11]


def test_link_header_and_links_next_agree(sb: RunningSandbox) -> None:
    first = get(sb, "pages", **{"space-id": space_id(sb, "BULK"), "limit": 10})
    body = first.json()
    assert len(body["results"]) == 10
    nxt = body["_links"]["next"]
    assert nxt.startswith("/wiki/api/v2/pages?")
    assert "space-id=" in nxt and "limit=10" in nxt and "cursor=" in nxt
    assert first.headers["Link"] == f'<{nxt}>; rel="next", <{sb.wiki_url}>; rel="base"'
    assert body["_links"]["base"] == sb.wiki_url
    seen = [r["id"] for r in body["results"]]
    while "next" in body["_links"]:
        resp = requests.get(sb.url + body["_links"]["next"], auth=(ADA, TOKEN), timeout=5)
        body = resp.json()
        seen += [r["id"] for r in body["results"]]
    assert "Link" not in resp.headers
    assert len(seen) == len(set(seen)) == 30


def test_a_page_created_while_paging_is_seen_once(sb: RunningSandbox) -> None:
    client = v2(sb)
    first = get(sb, "pages", **{"space-id": space_id(sb, "BULK"), "limit": 10}).json()
    client.create_page(space_id=space_id(sb, "BULK"), title="Late arrival", body="<p>late</p>")
    seen = [r["title"] for r in first["results"]]
    body = first
    while "next" in body["_links"]:
        body = requests.get(sb.url + body["_links"]["next"], auth=(ADA, TOKEN), timeout=5).json()
        seen += [r["title"] for r in body["results"]]
    assert seen.count("Late arrival") == 1
    assert len(seen) == 31


def test_sort_by_title_descending(sb: RunningSandbox) -> None:
    got = get(sb, "pages", **{"space-id": space_id(sb, "DOC"), "sort": "-title"}).json()
    assert [p["title"] for p in got["results"]] == ["Parent", "Home", "Child B", "Child A"]
    bad = get(sb, "pages", sort="colour")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["status"] == 400


def test_filters_title_and_status(sb: RunningSandbox) -> None:
    got = get(sb, "pages", title="Child A", status="current").json()
    assert [(p["title"], p["spaceId"]) for p in got["results"]] == [
        ("Child A", space_id(sb, "DOC"))
    ]
    assert got["results"][0]["body"] == {}  # no body unless asked for


def test_get_page_by_id_with_storage_body(sb: RunningSandbox) -> None:
    pid = page_id(sb, "DOC", "Child A")
    page = v2(sb).get_page_by_id(pid, body_format="storage")
    assert page["body"]["storage"] == {"representation": "storage", "value": "<p>alpha budget</p>"}
    assert (page["parentId"], page["parentType"]) == (page_id(sb, "DOC", "Parent"), "page")
    assert page["version"]["number"] == 1
    assert page["_links"]["base"] == sb.wiki_url
    home = v2(sb).get_page_by_id(page_id(sb, "DOC", "Home"))
    assert "parentId" not in home  # a root page has no parent (the schema does not allow null)


def test_unknown_page_is_404_in_the_v2_error_shape(sb: RunningSandbox) -> None:
    got = get(sb, "pages/999999")
    assert got.status_code == 404
    [err] = got.json()["errors"]
    assert (err["status"], err["code"]) == (404, "NOT_FOUND")


def test_create_and_update_with_version_check(sb: RunningSandbox) -> None:
    client = v2(sb)
    parent = page_id(sb, "DOC", "Parent")
    created = client.create_page(
        space_id=space_id(sb, "DOC"), title="V2 report", body="<p>one</p>", parent_id=parent
    )
    assert (created["title"], created["parentId"], created["version"]["number"]) == (
        "V2 report",
        parent,
        1,
    )
    assert created["body"]["storage"]["value"] == "<p>one</p>"
    updated = client.update_page(
        created["id"], title="V2 report", body="<p>two</p>", status="current"
    )
    assert updated["version"]["number"] == 2
    assert updated["version"]["authorId"] == "acc-ada"
    # A writer holding version 1 loses: 409, and the page keeps the second version.
    with pytest.raises(HTTPError) as exc:
        client.update_page(
            created["id"], title="V2 report", body="<p>x</p>", status="current", version=1
        )
    assert exc.value.response.status_code == 409
    assert "Current version is: 2" in exc.value.response.json()["errors"][0]["title"]
    assert sb.app.site.confluence.get(created["id"]).body == "<p>two</p>"


def test_update_requires_the_fields_the_schema_requires(sb: RunningSandbox) -> None:
    pid = page_id(sb, "DOC", "Child A")
    with pytest.raises(HTTPError) as exc:
        v2(sb).update_page(pid, body="<p>no title or status</p>")
    assert exc.value.response.status_code == 400
    assert "title" in exc.value.response.json()["errors"][0]["title"]


def test_create_duplicate_title_is_400_and_unknown_space_is_404(sb: RunningSandbox) -> None:
    client = v2(sb)
    with pytest.raises(HTTPError) as dup:
        client.create_page(space_id=space_id(sb, "DOC"), title="Home", body="<p>x</p>")
    assert dup.value.response.status_code == 400
    with pytest.raises(HTTPError) as nospace:
        client.create_page(space_id="1", title="Nowhere", body="<p>x</p>")
    assert nospace.value.response.status_code == 404


def test_spaces_by_key_and_children(sb: RunningSandbox) -> None:
    client = v2(sb)
    space = client.get_space_by_key("DOC")
    assert (space["key"], space["id"], space["homepageId"]) == (
        "DOC",
        space_id(sb, "DOC"),
        page_id(sb, "DOC", "Home"),
    )
    both = get(sb, "spaces", keys="DOC,OPS").json()["results"]
    assert [s["key"] for s in both] == ["DOC", "OPS"]
    kids = get(sb, f"pages/{page_id(sb, 'DOC', 'Parent')}/children").json()["results"]
    assert [k["title"] for k in kids] == ["Child A", "Child B"]
    direct = client.get_child_pages(page_id(sb, "DOC", "Parent"))
    assert [(k["title"], k["type"]) for k in direct] == [("Child A", "page"), ("Child B", "page")]


def test_get_page_by_title_in_v2_client_hides_auth_failures(sb: RunningSandbox) -> None:
    """ConfluenceV2.get_page_by_title swallows errors: with a bad token it reports "no page"
    (ATLASSIAN-NOTES). The sandbox answers 401 as the real site does; the library hides it."""
    good = v2(sb).get_page_by_title("DOC", "Child A")
    assert [p["title"] for p in good["results"]] == ["Child A"]
    assert v2(sb, password="wrong").get_page_by_title("DOC", "Child A") == {"results": []}
    assert calls(sb)[-1][2] == 401


def test_page_labels_in_v2(sb: RunningSandbox) -> None:
    got = get(sb, f"pages/{page_id(sb, 'DOC', 'Parent')}/labels").json()
    assert [(lb["name"], lb["prefix"]) for lb in got["results"]] == [("reports", "global")]


def test_delete_trashes_then_purges(sb: RunningSandbox) -> None:
    pid = page_id(sb, "DOC", "Child B")
    url = f"{sb.wiki_url}/api/v2/pages/{pid}"
    assert requests.delete(url, auth=(ADA, TOKEN), timeout=5).status_code == 204
    assert get(sb, f"pages/{pid}").status_code == 404
    assert get(sb, f"pages/{pid}", status="trashed").json()["status"] == "trashed"
    assert (
        requests.delete(url, params={"purge": "true"}, auth=(ADA, TOKEN), timeout=5).status_code
        == 204
    )
    assert get(sb, f"pages/{pid}", status="trashed").status_code == 404
