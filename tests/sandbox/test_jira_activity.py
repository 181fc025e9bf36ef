"""Comments, entity properties, links, changelog and worklogs in the fake Jira."""

from __future__ import annotations

from collections.abc import Iterator

import jira
import pytest
from test_jira_support import (
    ADA,
    EVE,
    IVAN,
    MIA,
    body,
    client,
    contract_checked,
    fresh,
    make_seed,
    rest,
    sandbox,
)

from bridgeplugin.sandbox.server import RunningSandbox

pytestmark = pytest.mark.sandbox

UNLIMITED = make_seed(enforce_issue_write_limits=False)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSandbox]:
    with sandbox() as running:
        yield running


@pytest.fixture
def sb(server: RunningSandbox) -> RunningSandbox:
    return fresh(server, UNLIMITED)


# ---------------------------------------------------------------------- comments


def test_a_comment_is_the_callers_and_bumps_updated(sb: RunningSandbox) -> None:
    rest(sb, "PUT", "/_sandbox/clock", json={"now": "2026-11-25T10:30:00+00:00"})
    comment = client(sb, MIA).add_comment("MKT-2", "Looks fine to me")
    assert comment.author.accountId == "acc-mia"
    assert comment.body == "Looks fine to me"
    assert comment.created == "2026-11-25T10:30:00.000+0000"
    assert client(sb).issue("MKT-2").fields.updated == "2026-11-25T10:30:00.000+0000"


def test_comments_page_with_start_at_and_total(sb: RunningSandbox) -> None:
    j = client(sb)
    for n in range(12):
        j.add_comment("MKT-2", f"comment {n}")
    page = body(rest(sb, "GET", "/rest/api/2/issue/MKT-2/comment?startAt=10&maxResults=5"))
    assert (page["startAt"], page["maxResults"], page["total"]) == (10, 5, 13)
    assert [c["body"] for c in page["comments"]] == ["comment 9", "comment 10", "comment 11"]
    newest = j.comments("MKT-2", order_by="-created", max_results=1)
    assert [c.body for c in newest] == ["comment 11"]


def test_v3_comments_are_adf_both_ways(sb: RunningSandbox) -> None:
    doc = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Hi there"}]}],
    }
    resp = rest(sb, "POST", "/rest/api/3/issue/MKT-2/comment", json={"body": doc})
    assert resp.status_code == 201
    assert body(resp)["body"] == doc
    plain = rest(sb, "POST", "/rest/api/3/issue/MKT-2/comment", json={"body": "plain"})
    assert plain.status_code == 400
    v2 = body(rest(sb, "GET", "/rest/api/2/issue/MKT-2/comment"))
    assert v2["comments"][-1]["body"] == "Hi there"


def test_authors_edit_and_delete_their_comments_others_may_not(sb: RunningSandbox) -> None:
    from test_jira_support import seed_doc

    from bridgeplugin.sandbox.seed import parse_seed

    doc = seed_doc(enforce_issue_write_limits=False)
    doc["projects"][0]["permissions"].update(
        {"EDIT_ALL_COMMENTS": ["it-architecture"], "DELETE_ALL_COMMENTS": ["it-architecture"]}
    )
    sb = fresh(sb, parse_seed(doc))
    mine = client(sb, MIA).add_comment("MKT-2", "first draft")
    mine.update(body="final words")
    fresh_copy = client(sb).comment("MKT-2", mine.id)
    assert (fresh_copy.body, fresh_copy.updateAuthor.accountId) == ("final words", "acc-mia")
    denied = rest(
        sb,
        "PUT",
        f"/rest/api/2/issue/MKT-2/comment/{mine.id}",
        email=ADA,
        json={"body": "hijacked"},
    )
    assert denied.status_code == 400  # Jira documents a refused comment edit as a 400
    assert "EDIT_ALL_COMMENTS" in body(denied)["errorMessages"][0]
    ivan_edit = rest(
        sb,
        "PUT",
        f"/rest/api/2/issue/MKT-2/comment/{mine.id}",
        email=IVAN,
        json={"body": "moderated"},
    )
    assert ivan_edit.status_code == 200
    assert body(ivan_edit)["updateAuthor"]["accountId"] == "acc-ivan"
    assert (
        rest(sb, "DELETE", f"/rest/api/2/issue/MKT-2/comment/{mine.id}", email=ADA).status_code
        == 400
    )
    assert (
        rest(sb, "DELETE", f"/rest/api/2/issue/MKT-2/comment/{mine.id}", email=MIA).status_code
        == 204
    )
    assert [c.body for c in client(sb).comments("MKT-2")] == ["Which vendor?"]


def test_assigning_is_a_changelog_entry(sb: RunningSandbox) -> None:
    j = client(sb)
    assert j.assign_issue("MKT-2", "acc-ivan") is True
    issue = j.issue("MKT-2", expand="changelog")
    assert issue.fields.assignee.accountId == "acc-ivan"
    [item] = issue.changelog.histories[0].items
    assert (item.field, item.to, item.toString) == ("assignee", "acc-ivan", "Ivan Petrov")
    j.assign_issue("MKT-2", None)
    assert j.issue("MKT-2").fields.assignee is None
    unknown = rest(sb, "PUT", "/rest/api/3/issue/MKT-2/assignee", json={"accountId": "acc-x"})
    assert unknown.status_code == 400


def test_commenting_needs_add_comments(sb: RunningSandbox) -> None:
    resp = rest(sb, "POST", "/rest/api/2/issue/MKT-2/comment", email=EVE, json={"body": "hi"})
    # The description declares no 403 here: a comment the user may not add is a 400.
    assert resp.status_code == 400
    assert "ADD_COMMENTS" in body(resp)["errorMessages"][0]
    empty = rest(sb, "POST", "/rest/api/2/issue/MKT-2/comment", json={"body": "  "})
    assert empty.status_code == 400


# ---------------------------------------------------------------------- properties


def test_properties_201_created_then_200_updated(sb: RunningSandbox) -> None:
    j = client(sb)
    assert j.add_issue_property("MKT-2", "bridge", {"verdict": "tech"}).status_code == 201
    assert j.add_issue_property("MKT-2", "bridge", {"verdict": "not-tech"}).status_code == 200
    assert j.issue_property("MKT-2", "bridge").value.verdict == "not-tech"
    assert [p.key for p in j.issue_properties("MKT-2")] == ["bridge"]
    got = body(rest(sb, "GET", "/rest/api/2/issue/MKT-2?fields=summary&properties=bridge"))
    assert got["properties"] == {"bridge": {"verdict": "not-tech"}}


def test_property_values_must_be_non_empty_json_of_at_most_32768_chars(sb: RunningSandbox) -> None:
    url = "/rest/api/2/issue/MKT-2/properties/x"
    assert rest(sb, "PUT", url, data=b"").status_code == 400
    assert rest(sb, "PUT", url, data=b"{not json").status_code == 400
    big = '"' + "a" * 32_767 + '"'
    assert rest(sb, "PUT", url, data=big.encode()).status_code == 400
    fits = '"' + "a" * 32_766 + '"'
    assert rest(sb, "PUT", url, data=fits.encode()).status_code == 201


def test_properties_are_deleted_and_404_when_missing(sb: RunningSandbox) -> None:
    client(sb).add_issue_property("MKT-2", "k", 1)
    assert rest(sb, "DELETE", "/rest/api/2/issue/MKT-2/properties/k").status_code == 204
    missing = rest(sb, "GET", "/rest/api/2/issue/MKT-2/properties/k")
    assert missing.status_code == 404
    assert rest(sb, "DELETE", "/rest/api/2/issue/MKT-2/properties/k").status_code == 404


def test_properties_can_be_set_on_create(sb: RunningSandbox) -> None:
    resp = rest(
        sb,
        "POST",
        "/rest/api/2/issue",
        json={
            "fields": {"project": {"key": "MKT"}, "issuetype": {"name": "Task"}, "summary": "p"},
            "properties": [{"key": "bridge", "value": {"review": "security"}}],
        },
    )
    key = body(resp)["key"]
    assert client(sb).issue_property(key, "bridge").value.review == "security"


# ---------------------------------------------------------------------- links


def test_a_link_shows_on_both_issues_with_its_direction(sb: RunningSandbox) -> None:
    j = client(sb, IVAN)
    resp = j.create_issue_link("Blocks", "IT-1", "MKT-2")
    assert resp.status_code == 201
    assert resp.text == ""
    [blocker] = j.issue("IT-1").fields.issuelinks
    assert blocker.type.name == "Blocks"
    assert blocker.outwardIssue.key == "MKT-2"
    assert not hasattr(blocker, "inwardIssue")
    [blocked] = j.issue("MKT-2").fields.issuelinks
    assert blocked.inwardIssue.key == "IT-1"
    assert blocked.inwardIssue.fields.status.name == "To Do"
    history = j.issue("MKT-2", expand="changelog").changelog.histories
    assert history[0].items[0].toString == "This issue is blocked by IT-1"


def test_the_client_turns_an_inward_description_around(sb: RunningSandbox) -> None:
    j = client(sb)
    j.create_issue_link("is blocked by", "MKT-2", "IT-1")  # MKT-2 is blocked by IT-1
    [link] = j.issue("MKT-2").fields.issuelinks
    assert link.inwardIssue.key == "IT-1"


def test_linking_without_link_issues_is_404_as_jira_documents(server: RunningSandbox) -> None:
    from test_jira_support import seed_doc

    from bridgeplugin.sandbox.seed import parse_seed

    doc = seed_doc()
    doc["projects"][0]["permissions"]["LINK_ISSUES"] = ["marketing"]
    sb = fresh(server, parse_seed(doc))
    denied = rest(
        sb,
        "POST",
        "/rest/api/2/issueLink",
        email=IVAN,
        json={
            "type": {"name": "Blocks"},
            "inwardIssue": {"key": "MKT-1"},
            "outwardIssue": {"key": "MKT-2"},
        },
    )
    assert denied.status_code == 404
    assert "LINK_ISSUES" in body(denied)["errorMessages"][0]
    assert client(sb, MIA).create_issue_link("Blocks", "MKT-1", "MKT-2").status_code == 201


def test_link_errors(sb: RunningSandbox) -> None:
    bad_type = rest(
        sb,
        "POST",
        "/rest/api/2/issueLink",
        json={
            "type": {"name": "Nope"},
            "inwardIssue": {"key": "MKT-1"},
            "outwardIssue": {"key": "MKT-2"},
        },
    )
    assert bad_type.status_code == 404
    hidden = rest(
        sb,
        "POST",
        "/rest/api/2/issueLink",
        json={
            "type": {"name": "Blocks"},
            "inwardIssue": {"key": "MKT-1"},
            "outwardIssue": {"key": "SEC-1"},
        },
    )
    assert hidden.status_code == 404
    self_link = rest(
        sb,
        "POST",
        "/rest/api/2/issueLink",
        json={
            "type": {"name": "Blocks"},
            "inwardIssue": {"key": "MKT-1"},
            "outwardIssue": {"key": "MKT-1"},
        },
    )
    assert self_link.status_code == 400


def test_linking_the_same_pair_twice_keeps_one_link_and_delete_removes_it(
    sb: RunningSandbox,
) -> None:
    j = client(sb)
    j.create_issue_link("Relates", "MKT-1", "MKT-2")
    j.create_issue_link("Relates", "MKT-1", "MKT-2")
    [link] = j.issue("MKT-1").fields.issuelinks
    assert rest(sb, "DELETE", f"/rest/api/2/issueLink/{link.id}").status_code == 204
    assert j.issue("MKT-1").fields.issuelinks == []
    assert j.issue("MKT-2").fields.issuelinks == []


def test_links_can_be_added_on_create(sb: RunningSandbox) -> None:
    resp = rest(
        sb,
        "POST",
        "/rest/api/2/issue",
        json={
            "fields": {
                "project": {"key": "MKT"},
                "issuetype": {"name": "Task"},
                "summary": "review",
            },
            "update": {
                "issuelinks": [
                    {"add": {"type": {"name": "Blocks"}, "outwardIssue": {"key": "MKT-2"}}}
                ]
            },
        },
    )
    key = body(resp)["key"]
    [link] = client(sb).issue(key).fields.issuelinks
    assert link.outwardIssue.key == "MKT-2"


# ---------------------------------------------------------------------- changelog


def test_changelog_pages_with_start_at_total_and_is_last(sb: RunningSandbox) -> None:
    j = client(sb)
    issue = j.issue("MKT-2")
    for n in range(5):
        issue.update(fields={"summary": f"Summary {n}"})
    page = body(rest(sb, "GET", "/rest/api/2/issue/MKT-2/changelog?startAt=3&maxResults=10"))
    assert (page["startAt"], page["total"], page["isLast"]) == (3, 5, True)
    assert [v["items"][0]["toString"] for v in page["values"]] == ["Summary 3", "Summary 4"]
    first = body(rest(sb, "GET", "/rest/api/2/issue/MKT-2/changelog?maxResults=2"))
    assert first["isLast"] is False


def test_bulk_changelog_filters_by_field_and_pages_by_token(sb: RunningSandbox) -> None:
    j = client(sb)
    j.issue("MKT-2").update(fields={"summary": "New name"}, update={"labels": [{"add": "x"}]})
    j.issue("MKT-1").update(fields={"summary": "Epic renamed"})
    j.transition_issue("MKT-1", "Submit for review")
    resp = rest(
        sb,
        "POST",
        "/rest/api/3/changelog/bulkfetch",
        json={
            "issueIdsOrKeys": ["MKT-1", "MKT-2", "SEC-1"],
            "fieldIds": ["summary"],
            "maxResults": 1,
        },
    )
    got = body(resp)
    assert got["issueChangeLogs"] == [
        {
            "issueId": "10000",
            "changeHistories": [
                {
                    "id": got["issueChangeLogs"][0]["changeHistories"][0]["id"],
                    "created": "2026-11-24T09:00:00.000+0000",
                    "author": got["issueChangeLogs"][0]["changeHistories"][0]["author"],
                    "items": [
                        {
                            "field": "summary",
                            "fieldtype": "jira",
                            "fieldId": "summary",
                            "fromString": "Spring campaign",
                            "toString": "Epic renamed",
                        }
                    ],
                }
            ],
        }
    ]
    rest_page = body(
        rest(
            sb,
            "POST",
            "/rest/api/3/changelog/bulkfetch",
            json={
                "issueIdsOrKeys": ["MKT-1", "MKT-2"],
                "fieldIds": ["summary"],
                "nextPageToken": got["nextPageToken"],
            },
        )
    )
    assert [c["issueId"] for c in rest_page["issueChangeLogs"]] == ["10001"]
    assert "nextPageToken" not in rest_page
    too_many = rest(
        sb,
        "POST",
        "/rest/api/3/changelog/bulkfetch",
        json={"issueIdsOrKeys": ["MKT-1"], "fieldIds": [str(n) for n in range(11)]},
    )
    assert too_many.status_code == 400


# ---------------------------------------------------------------------- worklogs


def test_worklogs_are_logged_and_paged(sb: RunningSandbox) -> None:
    j = client(sb, IVAN)
    wl = j.add_worklog("IT-1", timeSpent="1h 30m", comment="pairing")
    assert wl.timeSpentSeconds == 5400
    assert wl.author.accountId == "acc-ivan"
    j.add_worklog("IT-1", timeSpentSeconds="600")
    assert [w.timeSpentSeconds for w in j.worklogs("IT-1")] == [5400, 600]
    page = body(rest(sb, "GET", "/rest/api/2/issue/IT-1/worklog?startAt=1&maxResults=1"))
    assert (page["total"], len(page["worklogs"])) == (2, 1)
    bad = rest(sb, "POST", "/rest/api/2/issue/IT-1/worklog", json={"timeSpent": "soon"})
    assert bad.status_code == 400


def test_activity_answers_match_the_openapi_description(sb: RunningSandbox) -> None:
    with contract_checked(sb) as findings:
        rest(
            sb,
            "POST",
            "/rest/api/3/issue/MKT-2/comment",
            json={"body": {"type": "doc", "version": 1, "content": []}},
        )
        rest(sb, "GET", "/rest/api/3/issue/MKT-2/comment")
        rest(sb, "PUT", "/rest/api/3/issue/MKT-2/properties/p", json={"a": 1})
        rest(sb, "GET", "/rest/api/3/issue/MKT-2/properties")
        rest(sb, "GET", "/rest/api/3/issue/MKT-2/properties/p")
        rest(
            sb,
            "POST",
            "/rest/api/3/issueLink",
            json={
                "type": {"name": "Blocks"},
                "inwardIssue": {"key": "MKT-1"},
                "outwardIssue": {"key": "MKT-2"},
            },
        )
        rest(sb, "GET", "/rest/api/3/issue/MKT-2?fields=issuelinks,subtasks,parent")
        rest(sb, "GET", "/rest/api/3/issue/MKT-2/changelog")
        rest(sb, "POST", "/rest/api/3/changelog/bulkfetch", json={"issueIdsOrKeys": ["MKT-2"]})
        rest(sb, "POST", "/rest/api/3/issue/MKT-2/worklog", json={"timeSpentSeconds": 60})
        rest(sb, "GET", "/rest/api/3/issue/MKT-2/worklog")
        rest(sb, "DELETE", "/rest/api/3/issue/MKT-2/properties/p")
    assert findings == []
    assert ADA  # the default caller of rest()


def test_per_issue_content_limits_answer_413(
    sb: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgeplugin.sandbox.jira import state

    monkeypatch.setattr(state, "MAX_COMMENTS_PER_ISSUE", 2)  # Jira's is 5,000
    monkeypatch.setattr(state, "MAX_LINKS_PER_ISSUE", 1)  # Jira's is 2,000
    j = client(sb)
    j.add_comment("MKT-2", "second")  # the seed has one
    with pytest.raises(jira.JIRAError) as exc:
        j.add_comment("MKT-2", "third")
    assert exc.value.status_code == 413
    j.create_issue_link("Relates", "MKT-1", "MKT-2")
    refused = rest(
        sb,
        "POST",
        "/rest/api/2/issueLink",
        json={
            "type": {"name": "Blocks"},
            "inwardIssue": {"key": "IT-1"},
            "outwardIssue": {"key": "MKT-2"},
        },
    )
    assert refused.status_code == 413
    assert "limit" in body(refused)["errorMessages"][0]


def test_jira_error_text_carries_the_message(sb: RunningSandbox) -> None:
    with pytest.raises(jira.JIRAError) as exc:
        client(sb, EVE).add_comment("MKT-2", "hi")
    assert exc.value.status_code == 400
    assert "missing permission ADD_COMMENTS" in exc.value.text
