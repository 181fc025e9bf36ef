"""Confluence sandbox state: built from the seed, persisted with to_json/from_json, restarted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from test_confluence_support import ADA, PNG, ROOT, TOKEN, page_id, sandbox, seed, v1

from bridgeplugin.errors import InputError
from bridgeplugin.sandbox.accounts import Accounts
from bridgeplugin.sandbox.clock import Clock
from bridgeplugin.sandbox.confluence.state import ConfluenceState
from bridgeplugin.sandbox.routing import HttpError
from bridgeplugin.sandbox.seed import Seed


def build(s: Seed) -> ConfluenceState:
    return ConfluenceState.from_seed(s, Accounts.from_seed(s), Clock())


def with_pages(pages: list[dict[str, Any]]) -> Seed:
    return Seed.model_validate(
        {
            "users": [{"account_id": "acc-ada", "display_name": "Ada", "email": ADA}],
            "confluence": {"spaces": [{"key": "S", "name": "S", "pages": pages}]},
        }
    )


# -- from the seed -----------------------------------------------------------------------------


def test_seed_builds_the_tree_even_when_a_child_comes_first() -> None:
    st = build(with_pages([{"title": "Leaf", "parent": "Root"}, {"title": "Root"}]))
    leaf, root = st.find_page("S", "Leaf"), st.find_page("S", "Root")
    assert leaf is not None and root is not None
    assert leaf.parent_id == root.id
    assert [a.title for a in st.ancestors(leaf)] == ["Root"]
    assert leaf.created_by == "acc-ada"  # no author and no admin: the first user


def test_seed_pages_without_author_are_credited_to_a_site_admin() -> None:
    st = build(seed())
    child = st.find_page("DOC", "Child A")
    parent = st.find_page("DOC", "Parent")
    assert child is not None and parent is not None
    assert (child.created_by, parent.created_by) == ("acc-root", "acc-ada")
    assert [lb.name for lb in parent.labels] == ["reports"]


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ([{"title": "A", "parent": "Missing"}], "names parent 'Missing'"),
        ([{"title": "A", "author": "ghost@example.com"}], "unknown author 'ghost@example.com'"),
        ([{"title": "A"}, {"title": "a"}], "two pages titled 'a'"),
        ([{"title": "A", "body": "<p>unclosed"}], "Error parsing xhtml"),
        ([{"title": "A", "parent": "B"}, {"title": "B", "parent": "A"}], "its own ancestor"),
        ([{"title": "A", "labels": ["two words"]}], "invalid characters"),
    ],
)
def test_a_bad_seed_fails_loudly(pages: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(InputError) as exc:
        build(with_pages(pages))
    assert message in str(exc.value)


# -- to_json / from_json -----------------------------------------------------------------------


def populated() -> ConfluenceState:
    st = build(seed())
    parent = st.find_page("DOC", "Parent")
    assert parent is not None
    page = st.create_page(
        space_key="DOC", title="Report", body="<p>v1</p>", parent_id=parent.id, by="acc-ada"
    )
    st.update_page(
        page, number=2, title="Report", body="<p>v2</p>", parent_id=None, by="acc-root", message="m"
    )
    att = st.add_attachment(
        page,
        filename="chart.png",
        data=PNG,
        media_type="image/png",
        comment="c",
        minor_edit=True,
        by="acc-ada",
    )
    st.add_attachment_version(
        att, data=PNG + b"2", media_type=None, comment=None, minor_edit=False, by="acc-root"
    )
    st.add_labels(page, [("global", "sprint"), ("team", "it")])
    child_b = st.find_page("DOC", "Child B")
    assert child_b is not None
    st.trash(child_b)
    return st


def test_to_json_survives_a_json_round_trip_unchanged() -> None:
    st = populated()
    doc = json.loads(json.dumps(st.to_json()))
    restored = ConfluenceState.from_json(doc, st.accounts, st.clock)
    assert restored.to_json() == st.to_json()


def test_restored_state_behaves_like_the_original() -> None:
    st = populated()
    restored = ConfluenceState.from_json(
        json.loads(json.dumps(st.to_json())), st.accounts, st.clock
    )
    page = restored.find_page("DOC", "Report")
    assert page is not None
    assert [(v.number, v.by, v.body) for v in page.versions] == [
        (1, "acc-ada", "<p>v1</p>"),
        (2, "acc-root", "<p>v2</p>"),
    ]
    att = restored.attachment_named(page, "chart.png")
    assert att is not None and [v.data for v in att.versions] == [PNG, PNG + b"2"]
    assert att.latest.media_type == "image/png"
    assert [(lb.prefix, lb.name) for lb in page.labels] == [("global", "sprint"), ("team", "it")]
    assert restored.find_page("DOC", "Child B") is None  # still in the trash
    # Ids keep counting from where they were: nothing new collides with something restored.
    fresh = restored.create_page(space_key="DOC", title="New", body="", parent_id=None, by=None)
    assert fresh.id not in st.contents
    assert int(fresh.id) > max(int(i.removeprefix("att")) for i in st.contents)
    # The optimistic lock still applies after a restore.
    with pytest.raises(HttpError) as exc:
        restored.update_page(page, number=2, title="Report", body="", parent_id=None, by=None)
    assert exc.value.status == 409


@pytest.mark.sandbox
def test_a_restarted_sandbox_keeps_pages_attachments_and_labels(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with sandbox(state_path=state_file) as sb:
        client = v1(sb)
        created = client.create_page(
            "DOC", "Kept", "<p>kept</p>", parent_id=page_id(sb, "DOC", "Home")
        )
        client.update_page(created["id"], "Kept", "<p>kept v2</p>")
        client.set_page_label(created["id"], "kept")
        client.attach_content(PNG, "kept.png", "image/png", page_id=created["id"])
    assert state_file.is_file()
    with sandbox(state_path=state_file) as sb:
        client = v1(sb, user=ROOT)
        [page] = client.get_page_by_title("DOC", "Kept", expand="body.storage,version,ancestors")[
            "results"
        ]
        assert (page["id"], page["version"]["number"]) == (created["id"], 2)
        assert page["body"]["storage"]["value"] == "<p>kept v2</p>"
        assert [a["title"] for a in page["ancestors"]] == ["Home"]
        assert [lb["name"] for lb in client.get_page_labels(page["id"])["results"]] == ["kept"]
        [att] = client.get_attachments_from_content(page["id"])["results"]
        got = requests.get(sb.wiki_url + att["_links"]["download"], auth=(ADA, TOKEN), timeout=5)
        assert got.content == PNG


@pytest.mark.sandbox
def test_reset_returns_to_the_seed() -> None:
    with sandbox() as sb:
        v1(sb).create_page("DOC", "Temporary", "<p>t</p>")
        assert requests.post(f"{sb.url}/_sandbox/reset", timeout=5).status_code == 200
        assert v1(sb).get_page_by_title("DOC", "Temporary")["results"] == []
        assert v1(sb).get_page_by_title("DOC", "Child A")["results"][0]["title"] == "Child A"
