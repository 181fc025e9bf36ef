"""Confluence labels and CQL search through the real v1 client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from atlassian.errors import ApiValueError
from requests import HTTPError
from test_confluence_support import ADA, TOKEN, page_id, sandbox, v1

from bridgeplugin.sandbox.server import RunningSandbox

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSandbox]:
    with sandbox() as running:
        yield running


@pytest.fixture
def sb(server: RunningSandbox) -> RunningSandbox:
    server.app.reset()
    return server


def label_names(sb: RunningSandbox, pid: str) -> list[str]:
    return [lb["name"] for lb in v1(sb).get_page_labels(pid)["results"]]


# -- labels ------------------------------------------------------------------------------------


def test_labels_add_list_and_remove(sb: RunningSandbox) -> None:
    client = v1(sb)
    pid = page_id(sb, "DOC", "Child A")
    added = client.set_page_label(pid, "Sprint-Report")
    assert [(lb["prefix"], lb["name"], lb["label"]) for lb in added["results"]] == [
        ("global", "sprint-report", "sprint-report")  # Confluence lower-cases labels
    ]
    client.set_page_label(pid, "budget")
    client.set_page_label(pid, "budget")  # adding twice keeps one
    assert label_names(sb, pid) == ["sprint-report", "budget"]
    client.remove_page_label(pid, "sprint-report")  # DELETE .../label?name=
    assert label_names(sb, pid) == ["budget"]
    client.remove_content_label(pid, "budget")  # DELETE .../label/{label}
    assert label_names(sb, pid) == []


def test_several_labels_in_one_post_and_ids_are_global(sb: RunningSandbox) -> None:
    client = v1(sb)
    a, b = page_id(sb, "DOC", "Child A"), page_id(sb, "DOC", "Child B")
    body = [{"prefix": "global", "name": "q3"}, {"prefix": "global", "name": "beta"}]
    result = client.post(f"rest/api/content/{a}/label", data=body)
    assert [lb["name"] for lb in result["results"]] == ["q3", "beta"]
    ids_a = {lb["name"]: lb["id"] for lb in result["results"]}
    ids_b = {lb["name"]: lb["id"] for lb in client.get_page_labels(b)["results"]}
    assert ids_a["beta"] == ids_b["beta"]  # one label, one id, whichever page carries it


def test_invalid_label_names_are_400(sb: RunningSandbox) -> None:
    with pytest.raises(HTTPError) as exc:
        v1(sb).set_page_label(page_id(sb, "DOC", "Child A"), "two words")
    assert exc.value.response.status_code == 400
    assert label_names(sb, page_id(sb, "DOC", "Child A")) == []


def test_labels_come_back_with_metadata_labels_expand(sb: RunningSandbox) -> None:
    page = v1(sb).get_page_by_id(page_id(sb, "DOC", "Parent"), expand="metadata.labels")
    assert [lb["name"] for lb in page["metadata"]["labels"]["results"]] == ["reports"]


# -- CQL ---------------------------------------------------------------------------------------


def titles(result: dict) -> list[str]:
    return [r["title"] for r in result["results"]]


@pytest.mark.parametrize(
    ("cql", "expected"),
    [
        ('space = DOC AND title = "Child A"', ["Child A"]),
        ('space = "DOC" and title = "child a"', ["Child A"]),
        ("type = page AND space = OPS", ["Runbook"]),
        ("label = beta", ["Child B"]),
        ("label in (beta, reports)", ["Parent", "Child B"]),
        ("label != beta AND space = DOC", ["Home", "Parent", "Child A"]),
        ("space = DOC AND (title = Home OR label = beta)", ["Home", "Child B"]),
        ("space = OPS OR title = Home", ["Home", "Runbook"]),
        ("space = DOC AND NOT label = reports AND title !~ child", ["Home"]),
        ('title ~ "child"', ["Child A", "Child B"]),
        ('text ~ "budget"', ["Child A"]),
        ("space = DOC ORDER BY title DESC", ["Parent", "Home", "Child B", "Child A"]),
        ("creator = currentUser()", ["Parent"]),
        ("space = NOPE", []),
    ],
)
def test_cql_subset(sb: RunningSandbox, cql: str, expected: list[str]) -> None:
    assert titles(v1(sb).cql(cql)) == expected


def test_cql_ancestor_and_parent(sb: RunningSandbox) -> None:
    client = v1(sb)
    home, parent = page_id(sb, "DOC", "Home"), page_id(sb, "DOC", "Parent")
    assert titles(client.cql(f"ancestor = {home}")) == ["Parent", "Child A", "Child B"]
    assert titles(client.cql(f"parent = {home}")) == ["Parent"]
    assert titles(client.cql(f"ancestor = {parent} and label = beta")) == ["Child B"]


def test_cql_result_shape_and_expand(sb: RunningSandbox) -> None:
    result = v1(sb).cql('title = "Child B"', expand="content.version,content.metadata.labels")
    assert (result["totalSize"], result["size"], result["cqlQuery"]) == (1, 1, 'title = "Child B"')
    [hit] = result["results"]
    assert hit["content"]["version"]["number"] == 1
    assert [lb["name"] for lb in hit["content"]["metadata"]["labels"]["results"]] == ["beta"]
    assert hit["resultGlobalContainer"] == {"title": "Documentation", "displayUrl": "/spaces/DOC"}
    assert hit["excerpt"] == "beta"


def test_cql_sees_writes_immediately(sb: RunningSandbox) -> None:
    client = v1(sb)
    created = client.create_page("DOC", "Fresh", "<p>new</p>")
    client.set_page_label(created["id"], "fresh")
    assert titles(client.cql("label = fresh")) == ["Fresh"]


@pytest.mark.parametrize(
    ("cql", "fragment"),
    [
        ("created > now()", "field 'created' is not supported"),
        ("space = DOC AND", "expected a field name"),
        ("title = ", "expected a value"),
        ("label ~ beta", "operator '~' is not supported for the field 'label'"),
        ("title > m", "operator '>' is not supported for the field 'title'"),
        ("space = DOC ORDER BY score", "ORDER BY score is not supported"),
        ("ancestor = recentlyViewed()", "function recentlyViewed() is not supported"),
        ('title = "unterminated', "unexpected character"),
    ],
)
def test_unsupported_cql_is_a_400_naming_the_problem(
    sb: RunningSandbox, cql: str, fragment: str
) -> None:
    with pytest.raises(ApiValueError):
        v1(sb).cql(cql)
    got = requests.get(
        f"{sb.wiki_url}/rest/api/search", params={"cql": cql}, auth=(ADA, TOKEN), timeout=5
    )
    assert got.status_code == 400
    assert got.json()["message"].startswith("Could not parse cql : ")
    assert fragment in got.json()["message"]


def test_search_pages_with_start_and_limit(sb: RunningSandbox) -> None:
    client = v1(sb)
    first = client.cql("space = DOC", start=0, limit=3)
    second = client.cql("space = DOC", start=3, limit=3)
    assert titles(first) + titles(second) == ["Home", "Parent", "Child A", "Child B"]
    assert first["_links"]["next"].startswith("/rest/api/search?next=true&limit=3&start=3")
    assert "next" not in second["_links"]


def test_content_search_pages_with_a_cursor(sb: RunningSandbox) -> None:
    client = v1(sb)
    first = client.get("rest/api/content/search", params={"cql": "space = DOC", "limit": 3})
    assert [c["title"] for c in first["results"]] == ["Home", "Parent", "Child A"]
    nxt = first["_links"]["next"]
    assert nxt.startswith("/rest/api/content/search?next=true&cursor=")
    second = requests.get(first["_links"]["base"] + nxt, auth=(ADA, TOKEN), timeout=5).json()
    assert [c["title"] for c in second["results"]] == ["Child B"]
    assert "next" not in second["_links"]
