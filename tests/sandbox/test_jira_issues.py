"""Issues in the fake Jira through the real ``jira`` client: create, read, edit, delete, bulk
create, bulk fetch; field validation, parent rules, rich text per API version, the changelog,
permissions and Jira's error shapes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import jira
import pytest
from test_jira_support import (
    ADA,
    EVE,
    IVAN,
    MIA,
    SARA,
    body,
    client,
    contract_checked,
    fresh,
    rest,
    sandbox,
    seed_doc,
)

from bridgeplugin.sandbox.seed import parse_seed
from bridgeplugin.sandbox.server import RunningSandbox

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSandbox]:
    with sandbox() as running:
        yield running


@pytest.fixture
def sb(server: RunningSandbox) -> RunningSandbox:
    return fresh(server)


@pytest.fixture
def j(sb: RunningSandbox) -> jira.JIRA:
    return client(sb)


def create(sb: RunningSandbox, fields: dict[str, Any], *, email: str = ADA, ver: str = "2") -> Any:
    return rest(sb, "POST", f"/rest/api/{ver}/issue", email=email, json={"fields": fields})


def task(summary: str = "A task", project: str = "MKT", **more: Any) -> dict[str, Any]:
    return {"project": {"key": project}, "issuetype": {"name": "Task"}, "summary": summary, **more}


# ---------------------------------------------------------------------- read


def test_get_issue_has_jiras_fields(j: jira.JIRA) -> None:
    issue = j.issue("MKT-2")
    f = issue.fields
    assert issue.id == "10001"
    assert f.summary == "Buy a newsletter tool"
    assert f.description == "We need one.\n\nBudget is small."
    assert f.issuetype.name == "Task"
    assert f.project.key == "MKT"
    assert f.status.name == "To Do"
    assert f.status.statusCategory.key == "new"
    assert f.reporter.accountId == "acc-ada"
    assert f.creator.accountId == "acc-ada"
    assert f.assignee is None
    assert f.resolution is None
    assert f.labels == ["saas"]
    assert f.parent.key == "MKT-1"
    assert f.customfield_10000 == 1200
    assert f.customfield_10003.value == "Email"
    assert f.created == "2026-11-02T09:00:00.000+0000"
    assert f.comment.total == 1
    assert f.comment.comments[0].author.accountId == "acc-ivan"


def test_keys_are_case_insensitive_and_ids_work_too(j: jira.JIRA) -> None:
    assert j.issue("mkt-2").key == "MKT-2"
    assert j.issue("10001").key == "MKT-2"


def test_fields_param_limits_the_answer_and_names_expand_names_them(sb: RunningSandbox) -> None:
    got = body(
        rest(
            sb,
            "GET",
            "/rest/api/2/issue/MKT-2?fields=summary,customfield_10000&expand=names,renderedFields",
        )
    )
    assert got["fields"] == {"summary": "Buy a newsletter tool", "customfield_10000": 1200}
    assert got["names"] == {"summary": "Summary", "customfield_10000": "Cost"}
    assert got["key"] == "MKT-2"


def test_v3_serves_rich_text_as_adf_and_v2_as_text(sb: RunningSandbox) -> None:
    v3 = body(rest(sb, "GET", "/rest/api/3/issue/MKT-2?fields=description,comment"))
    assert v3["fields"]["description"] == {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "We need one."}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "Budget is small."}]},
        ],
    }
    assert v3["fields"]["comment"]["comments"][0]["body"]["type"] == "doc"
    v2 = body(rest(sb, "GET", "/rest/api/2/issue/MKT-2?fields=comment"))
    assert v2["fields"]["comment"]["comments"][0]["body"] == "Which vendor?"


def test_an_issue_in_a_project_the_caller_cannot_browse_is_404(sb: RunningSandbox) -> None:
    resp = rest(sb, "GET", "/rest/api/2/issue/SEC-1")
    assert resp.status_code == 404
    assert body(resp) == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }
    assert rest(sb, "GET", "/rest/api/2/issue/SEC-1", email=SARA).status_code == 200
    assert rest(sb, "GET", "/rest/api/2/issue/MKT-99").status_code == 404


# ---------------------------------------------------------------------- create


def test_create_assigns_sequential_keys_and_numeric_ids(j: jira.JIRA) -> None:
    first = j.create_issue(project="MKT", issuetype={"name": "Task"}, summary="One")
    second = j.create_issue(project="MKT", issuetype={"name": "Task"}, summary="Two")
    assert (first.key, second.key) == ("MKT-3", "MKT-4")
    assert int(second.id) == int(first.id) + 1
    assert first.fields.reporter.accountId == "acc-ada"
    assert first.fields.status.name == "To Do"
    assert first.fields.created == "2026-11-24T09:00:00.000+0000"


def test_create_with_custom_fields_of_every_type(j: jira.JIRA) -> None:
    issue = j.create_issue(
        fields={
            "project": {"key": "MKT"},
            "issuetype": {"name": "Task"},
            "summary": "All the fields",
            "labels": ["ai", "crm"],
            "components": [{"name": "CRM"}],
            "assignee": {"accountId": "acc-mia"},
            "customfield_10000": 99.5,
            "customfield_10001": "Q3 launch",
            "customfield_10002": "line one\nline two",
            "customfield_10003": {"value": "Social"},
            "customfield_10004": {"accountId": "acc-sara"},
            "customfield_10005": "2026-12-01",
        }
    )
    f = issue.fields
    assert f.labels == ["ai", "crm"]
    assert [c.name for c in f.components] == ["CRM"]
    assert f.assignee.displayName == "Mia Wong"
    assert f.customfield_10000 == 99.5
    assert f.customfield_10001 == "Q3 launch"
    assert f.customfield_10002 == "line one\nline two"
    assert f.customfield_10003.value == "Social"
    assert f.customfield_10004.accountId == "acc-sara"
    assert f.customfield_10005 == "2026-12-01"


def test_an_unknown_field_is_named_in_a_400(sb: RunningSandbox) -> None:
    resp = create(sb, task(foo="bar"))
    assert resp.status_code == 400
    assert body(resp) == {
        "errorMessages": [],
        "errors": {
            "foo": "Field 'foo' cannot be set. It is not on the appropriate screen, or unknown."
        },
    }


def test_create_reports_every_bad_field_at_once(sb: RunningSandbox) -> None:
    resp = create(
        sb,
        task(
            customfield_10000="lots",
            customfield_10003={"value": "Print"},
            labels=["has space"],
            components=[{"name": "Nope"}],
        ),
    )
    assert resp.status_code == 400
    assert body(resp)["errors"] == {
        "customfield_10000": "Operation value must be a number",
        "customfield_10003": "Option value 'Print' is not valid",
        "labels": "The label 'has space' contains spaces which is invalid.",
        "components": "Component name 'Nope' is not valid",
    }
    # Nothing was created.
    assert rest(sb, "GET", "/rest/api/2/issue/MKT-3").status_code == 404


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"project": {"key": "MKT"}, "issuetype": {"name": "Task"}},
            {"summary": "You must specify a summary of the issue."},
        ),
        (
            {"project": {"key": "NOPE"}, "issuetype": {"name": "Task"}, "summary": "x"},
            {"project": "Specify a valid project ID or key"},
        ),
        (
            {"project": {"key": "MKT"}, "issuetype": {"name": "Bug"}, "summary": "x"},
            {"issuetype": "Specify a valid issue type"},
        ),
        (
            {"project": {"key": "MKT"}, "issuetype": {"name": "Task"}, "summary": "a\nb"},
            {"summary": "The summary is invalid because it contains newline characters."},
        ),
        (
            {
                "project": {"key": "MKT"},
                "issuetype": {"name": "Task"},
                "summary": "x",
                "status": {"name": "Done"},
            },
            {
                "status": "Field 'status' cannot be set. It is not on the appropriate screen, "
                "or unknown."
            },
        ),
    ],
)
def test_create_validation_names_the_field(
    sb: RunningSandbox, fields: dict[str, Any], errors: dict[str, str]
) -> None:
    resp = create(sb, fields)
    assert resp.status_code == 400
    assert body(resp)["errors"] == errors


def test_the_client_raises_jira_error_with_the_message(j: jira.JIRA) -> None:
    with pytest.raises(jira.JIRAError) as exc:
        j.create_issue(project="MKT", issuetype={"name": "Task"}, summary="x", duedate="2026-01-01")
    assert exc.value.status_code == 400
    assert "Field 'duedate' cannot be set" in exc.value.text


def test_v3_create_takes_adf_and_rejects_a_string_description(sb: RunningSandbox) -> None:
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [{"type": "text", "text": "Bold", "marks": [{"type": "strong"}]}],
            }
        ],
    }
    ok = create(sb, task(description=doc), ver="3")
    assert ok.status_code == 201
    key = body(ok)["key"]
    assert body(rest(sb, "GET", f"/rest/api/3/issue/{key}"))["fields"]["description"] == doc
    assert body(rest(sb, "GET", f"/rest/api/2/issue/{key}"))["fields"]["description"] == "Bold"
    bad = create(sb, task(description="plain"), ver="3")
    assert bad.status_code == 400
    assert body(bad)["errors"] == {
        "description": "Operation value must be an Atlassian Document (see the Atlassian "
        "Document Format)"
    }
    assert create(sb, task(description=doc), ver="2").status_code == 400


# ---------------------------------------------------------------------- parent rules


def test_a_sub_task_needs_a_parent(sb: RunningSandbox) -> None:
    resp = create(sb, {**task(), "issuetype": {"name": "Sub-task"}})
    assert body(resp)["errors"] == {
        "parent": "Issue type is a sub-task but parent issue key or id not specified."
    }


def test_a_sub_task_under_a_task_of_the_same_project_is_a_sub_task_of_it(j: jira.JIRA) -> None:
    sub = j.create_issue(
        project="MKT", issuetype={"name": "Sub-task"}, summary="Review", parent={"key": "MKT-2"}
    )
    assert sub.fields.parent.key == "MKT-2"
    assert [s.key for s in j.issue("MKT-2").fields.subtasks] == [sub.key]


@pytest.mark.parametrize(
    ("issuetype", "project", "parent", "message"),
    [
        ("Sub-task", "IT", "MKT-2", "A sub-task and its parent must be in the same project."),
        ("Story", "MKT", "MKT-2", "Given parent issue does not belong to appropriate hierarchy."),
        ("Epic", "MKT", "MKT-1", "Given parent issue does not belong to appropriate hierarchy."),
        ("Task", "MKT", "MKT-404", "Could not find issue by id or key."),
        ("Task", "MKT", "SEC-1", "Could not find issue by id or key."),  # not browsable
    ],
)
def test_parent_rules(
    sb: RunningSandbox, issuetype: str, project: str, parent: str, message: str
) -> None:
    fields = {**task(project=project), "issuetype": {"name": issuetype}, "parent": {"key": parent}}
    resp = create(sb, fields)
    assert resp.status_code == 400
    assert body(resp)["errors"] == {"parent": message}


def test_a_sub_task_cannot_parent_a_sub_task(j: jira.JIRA, sb: RunningSandbox) -> None:
    sub = j.create_issue(
        project="MKT", issuetype={"name": "Sub-task"}, summary="s", parent={"key": "MKT-2"}
    )
    resp = create(sb, {**task(), "issuetype": {"name": "Sub-task"}, "parent": {"key": sub.key}})
    assert body(resp)["errors"] == {
        "parent": "A sub-task cannot be the parent of another sub-task."
    }


def test_a_story_may_hang_under_an_epic_of_another_project(j: jira.JIRA) -> None:
    story = j.create_issue(
        project="IT", issuetype={"name": "Story"}, summary="Bridge", parent={"key": "MKT-1"}
    )
    assert story.fields.parent.key == "MKT-1"
    assert story.fields.parent.fields.issuetype.name == "Epic"


# ---------------------------------------------------------------------- edit


def test_edit_sets_fields_and_label_operations_leave_other_labels_alone(j: jira.JIRA) -> None:
    issue = j.issue("MKT-2")
    issue.update(fields={"summary": "Buy a newsletter tool (EU)"}, notify=False)
    issue.update(update={"labels": [{"add": "governance"}, {"remove": "saas"}]})
    issue.update(update={"labels": [{"add": "tech-request"}]})
    fresh = j.issue("MKT-2")
    assert fresh.fields.summary == "Buy a newsletter tool (EU)"
    assert fresh.fields.labels == ["governance", "tech-request"]
    issue.update(update={"labels": [{"set": ["only"]}]})
    assert j.issue("MKT-2").fields.labels == ["only"]
    issue.add_field_value("labels", "more")
    assert j.issue("MKT-2").fields.labels == ["only", "more"]


def test_edit_components_and_custom_fields_and_clearing(j: jira.JIRA) -> None:
    issue = j.issue("MKT-2")
    issue.update(
        update={"components": [{"add": {"name": "Web"}}]},
        fields={"customfield_10000": None, "customfield_10001": "EU"},
    )
    fresh = j.issue("MKT-2")
    assert [c.name for c in fresh.fields.components] == ["Web"]
    assert fresh.fields.customfield_10000 is None
    assert fresh.fields.customfield_10001 == "EU"


def test_a_bad_edit_changes_nothing(sb: RunningSandbox, j: jira.JIRA) -> None:
    resp = rest(
        sb,
        "PUT",
        "/rest/api/2/issue/MKT-2",
        json={"fields": {"summary": "New", "customfield_10000": "x"}},
    )
    assert resp.status_code == 400
    assert body(resp)["errors"] == {"customfield_10000": "Operation value must be a number"}
    assert j.issue("MKT-2").fields.summary == "Buy a newsletter tool"
    assert j.issue("MKT-2", expand="changelog").changelog.total == 0


def test_every_edit_is_in_the_changelog_with_its_author(sb: RunningSandbox) -> None:
    mia = client(sb, MIA)
    mia.issue("MKT-2").update(
        fields={"summary": "Renamed", "assignee": {"accountId": "acc-ivan"}},
        update={"labels": [{"add": "x"}]},
    )
    requests_as_admin = rest(sb, "GET", "/rest/api/3/issue/MKT-2/changelog")
    page = body(requests_as_admin)
    assert page["total"] == 1
    [group] = page["values"]
    assert group["author"]["accountId"] == "acc-mia"
    assert group["created"] == "2026-11-24T09:00:00.000+0000"
    items = {i["field"]: i for i in group["items"]}
    assert items["summary"] == {
        "field": "summary",
        "fieldtype": "jira",
        "fieldId": "summary",
        "fromString": "Buy a newsletter tool",
        "toString": "Renamed",
    }
    assert items["assignee"]["to"] == "acc-ivan"
    assert items["assignee"]["toString"] == "Ivan Petrov"
    assert items["labels"]["fromString"] == "saas"
    assert items["labels"]["toString"] == "saas x"
    updated = client(sb).issue("MKT-2").fields.updated
    assert updated == "2026-11-24T09:00:00.000+0000"


def test_edit_cannot_change_project_or_issue_type(sb: RunningSandbox) -> None:
    resp = rest(sb, "PUT", "/rest/api/2/issue/MKT-2", json={"fields": {"project": {"key": "IT"}}})
    assert resp.status_code == 400
    assert "project" in body(resp)["errors"]


def test_edit_and_create_need_their_permissions(sb: RunningSandbox) -> None:
    resp = create(sb, task(project="SEC"), email=ADA)
    # SEC is not even browsable for ada: Jira does not admit it exists.
    assert resp.status_code == 400
    assert body(resp)["errors"] == {"project": "Specify a valid project ID or key"}
    with sandbox_restricting_edits(sb) as sb2:
        denied = rest(
            sb2, "PUT", "/rest/api/2/issue/MKT-2", email=EVE, json={"fields": {"summary": "x"}}
        )
        assert denied.status_code == 403
        assert "EDIT_ISSUES" in body(denied)["errorMessages"][0]
        allowed = rest(
            sb2, "PUT", "/rest/api/2/issue/MKT-2", email=ADA, json={"fields": {"summary": "x"}}
        )
        assert allowed.status_code == 204
        create_denied = create(sb2, task(), email=EVE)
        assert create_denied.status_code == 403
        assert "CREATE_ISSUES" in body(create_denied)["errorMessages"][0]


@contextlib.contextmanager
def sandbox_restricting_edits(sb: RunningSandbox) -> Iterator[RunningSandbox]:
    doc = seed_doc()
    doc["projects"][0]["permissions"].update(
        {"EDIT_ISSUES": ["marketing"], "CREATE_ISSUES": ["marketing"]}
    )
    yield fresh(sb, parse_seed(doc))


# ---------------------------------------------------------------------- delete


def test_delete_removes_the_issue_and_needs_delete_subtasks_for_parents(
    sb: RunningSandbox, j: jira.JIRA
) -> None:
    sub = j.create_issue(
        project="MKT", issuetype={"name": "Sub-task"}, summary="s", parent={"key": "MKT-2"}
    )
    refused = rest(sb, "DELETE", "/rest/api/2/issue/MKT-2")
    assert refused.status_code == 400
    j.issue("MKT-2").delete(deleteSubtasks=True)
    assert rest(sb, "GET", "/rest/api/2/issue/MKT-2").status_code == 404
    assert rest(sb, "GET", f"/rest/api/2/issue/{sub.key}").status_code == 404
    # Keys are never reused.
    assert j.create_issue(project="MKT", issuetype={"name": "Task"}, summary="n").key == "MKT-4"


# ---------------------------------------------------------------------- bulk


def test_bulk_create_of_50_creates_them_all(j: jira.JIRA, sb: RunningSandbox) -> None:
    result = j.create_issues(
        [
            {"project": "MKT", "issuetype": {"name": "Task"}, "summary": f"Bulk {n}"}
            for n in range(50)
        ],
        prefetch=False,
    )
    assert [r["status"] for r in result] == ["Success"] * 50
    assert result[0]["issue"].key == "MKT-3"
    assert result[-1]["issue"].key == "MKT-52"
    assert len(sb.app.site.jira.issues) == 5 + 50


def test_bulk_create_of_51_is_refused_whole(sb: RunningSandbox) -> None:
    items = [{"fields": task(f"n{n}")} for n in range(51)]
    resp = rest(sb, "POST", "/rest/api/2/issue/bulk", json={"issueUpdates": items})
    assert resp.status_code == 400
    assert "50" in body(resp)["errorMessages"][0]
    assert len(sb.app.site.jira.issues) == 5


def test_bulk_create_with_some_bad_items_is_201_with_failed_element_numbers(
    sb: RunningSandbox, j: jira.JIRA
) -> None:
    items = [
        {"fields": task("good one")},
        {"fields": task("bad one", customfield_10000="x")},
        {"fields": task("good two")},
        {"fields": {**task("orphan"), "issuetype": {"name": "Sub-task"}}},
    ]
    resp = rest(sb, "POST", "/rest/api/2/issue/bulk", json={"issueUpdates": items})
    assert resp.status_code == 201
    got = body(resp)
    assert [i["key"] for i in got["issues"]] == ["MKT-3", "MKT-4"]
    assert [e["failedElementNumber"] for e in got["errors"]] == [1, 3]
    assert got["errors"][0] == {
        "status": 400,
        "elementErrors": {
            "errorMessages": [],
            "errors": {"customfield_10000": "Operation value must be a number"},
        },
        "failedElementNumber": 1,
    }
    # The client maps the answer back onto its input list.
    result = j.create_issues(
        [
            {"project": "MKT", "issuetype": {"name": "Task"}, "summary": "ok"},
            {"project": "MKT", "issuetype": {"name": "Task"}, "summary": "ok", "foo": 1},
        ],
        prefetch=False,
    )
    assert [r["status"] for r in result] == ["Success", "Error"]


def test_bulk_create_where_all_fail_is_400_with_the_same_shape(j: jira.JIRA) -> None:
    result = j.create_issues(
        [{"project": "MKT", "issuetype": {"name": "Task"}, "summary": "x", "foo": 1}]
    )
    assert result[0]["status"] == "Error"
    assert result[0]["error"] == {
        "foo": "Field 'foo' cannot be set. It is not on the appropriate screen, or unknown."
    }


def test_bulk_fetch_returns_issues_in_id_order_and_errors_for_the_rest(sb: RunningSandbox) -> None:
    resp = rest(
        sb,
        "POST",
        "/rest/api/3/issue/bulkfetch",
        json={"issueIdsOrKeys": ["MKT-2", "10000", "SEC-1", "NOPE-1"], "fields": ["summary"]},
    )
    assert resp.status_code == 200
    got = body(resp)
    assert [i["key"] for i in got["issues"]] == ["MKT-1", "MKT-2"]
    assert got["issues"][1]["fields"] == {"summary": "Buy a newsletter tool"}
    assert got["issueErrors"] == [
        {
            "id": "SEC-1",
            "errorMessage": "Issue does not exist or you do not have permission to see it.",
        },
        {
            "id": "NOPE-1",
            "errorMessage": "Issue does not exist or you do not have permission to see it.",
        },
    ]
    too_many = rest(
        sb,
        "POST",
        "/rest/api/3/issue/bulkfetch",
        json={"issueIdsOrKeys": [str(n) for n in range(101)]},
    )
    assert too_many.status_code == 400


def test_issue_answers_match_the_openapi_description(sb: RunningSandbox, j: jira.JIRA) -> None:
    with contract_checked(sb) as findings:
        created = create(sb, task("contract", labels=["a"]), ver="3")
        key = body(created)["key"]
        rest(sb, "PUT", f"/rest/api/3/issue/{key}", json={"update": {"labels": [{"add": "b"}]}})
        rest(
            sb,
            "GET",
            f"/rest/api/3/issue/{key}?expand=changelog,names,schema,renderedFields,transitions",
        )
        rest(sb, "GET", "/rest/api/3/issue/MKT-2")
        rest(sb, "GET", "/rest/api/2/issue/IT-1")
        rest(
            sb,
            "POST",
            "/rest/api/3/issue/bulk",
            json={"issueUpdates": [{"fields": task("b1")}, {"fields": task("b2", foo=1)}]},
        )
        rest(
            sb,
            "POST",
            "/rest/api/3/issue/bulkfetch",
            json={"issueIdsOrKeys": ["MKT-2", "X-1"], "expand": ["names"]},
        )
        rest(sb, "GET", f"/rest/api/3/issue/{key}/changelog")
        rest(sb, "DELETE", f"/rest/api/3/issue/{key}")
        create(sb, task(foo=1), ver="3")
    assert findings == []


def test_reporter_can_be_set_and_unknown_users_are_refused(sb: RunningSandbox) -> None:
    ok = create(sb, task(reporter={"accountId": "acc-ivan"}))
    assert ok.status_code == 201
    key = body(ok)["key"]
    assert (
        body(rest(sb, "GET", f"/rest/api/2/issue/{key}"))["fields"]["reporter"]["accountId"]
        == "acc-ivan"
    )
    bad = create(sb, task(assignee={"accountId": "acc-nobody"}))
    assert body(bad)["errors"] == {
        "assignee": "Specified user does not exist or you do not have required permissions"
    }
    assert IVAN  # people named in the module docstring are all used somewhere
