"""The fake Jira's bulk edit and bulk entity properties, over HTTP with plain requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bridgeplugin.sandbox.seed import load_seed
from bridgeplugin.sandbox.server import RunningSandbox, running

ADMIN = ("admin@example.com", "sandbox-token")
PRIYA = ("priya@example.com", "sandbox-token")  # marketing, not an admin


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running("demo") as site:
        yield site


@pytest.fixture
def site(sandbox: RunningSandbox) -> RunningSandbox:
    sandbox.app.reset()
    return sandbox


def call(site: RunningSandbox, method: str, path: str, auth: Any = ADMIN, **kw: Any) -> Any:
    return requests.request(method, site.url + path, auth=auth, timeout=10, **kw)


def bulk_body(keys: list[str], option: str = "ADD", labels: tuple[str, ...] = ("x-y",)) -> dict:
    return {
        "selectedIssueIdsOrKeys": keys,
        "selectedActions": ["labels"],
        "editedFieldsInput": {
            "labelsFields": [
                {
                    "fieldId": "labels",
                    "bulkEditMultiSelectFieldOption": option,
                    "labels": [{"name": n} for n in labels],
                }
            ]
        },
        "sendBulkNotification": False,
    }


def edit(site: RunningSandbox, body: dict, auth: Any = ADMIN) -> dict:
    answer = call(site, "POST", "/rest/api/3/bulk/issues/fields", auth=auth, json=body)
    assert answer.status_code == 201, answer.text
    progress = call(site, "GET", f"/rest/api/3/bulk/queue/{answer.json()['taskId']}", auth=auth)
    assert progress.status_code == 200
    return progress.json()


def labels(site: RunningSandbox, key: str) -> list[str]:
    return list(site.app.site.jira.issues[key].labels)


def test_each_labels_option_edits_every_issue_and_reports_by_id(site: RunningSandbox) -> None:
    ids = {k: site.app.site.jira.issues[k].id for k in ("MKT-1", "MKT-5")}

    done = edit(site, bulk_body(["MKT-1", "MKT-5", "NOPE-1"], "ADD", ("a", "b")))

    assert done["status"] == "COMPLETE" and done["totalIssueCount"] == 3
    assert sorted(done["processedAccessibleIssues"]) == sorted(ids.values())
    assert done["invalidOrInaccessibleIssueCount"] == 1
    assert labels(site, "MKT-1") == ["social-media", "a", "b"]
    edit(site, bulk_body(["MKT-1"], "REMOVE", ("a",)))
    assert labels(site, "MKT-1") == ["social-media", "b"]
    edit(site, bulk_body(["MKT-1"], "REPLACE", ("c",)))
    assert labels(site, "MKT-1") == ["c"]
    edit(site, bulk_body(["MKT-1"], "REMOVE_ALL", ()))
    assert labels(site, "MKT-1") == []


def test_a_bulk_edit_leaves_a_changelog_entry_by_the_submitter(site: RunningSandbox) -> None:
    edit(site, bulk_body(["MKT-5"]))
    last = site.app.site.jira.issues["MKT-5"].changelog[-1]
    assert last.author == "557058:0e2f4b6a-8c1d-4e3f-9a5b-7c6d8e9f0a1b"
    assert [(i.field, i.to_string) for i in last.items] == [("labels", "tracking x-y")]


def test_an_issue_the_user_may_not_edit_fails_alone() -> None:
    seed = load_seed("demo")
    mkt = next(p for p in seed.projects if p.key == "MKT")
    mkt.permissions = {"EDIT_ISSUES": ["it-architecture"]}
    with running(seed) as site:
        done = edit(site, bulk_body(["MKT-1", "IT-12"]), auth=PRIYA)
        mkt1 = str(site.app.site.jira.issues["MKT-1"].id)
        assert list(done["failedAccessibleIssues"]) == [mkt1]
        assert "permission" in done["failedAccessibleIssues"][mkt1][0]
        assert done["processedAccessibleIssues"] == [site.app.site.jira.issues["IT-12"].id]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"selectedIssueIdsOrKeys": [f"MKT-{n}" for n in range(1001)]}, "at most 1000"),
        ({"selectedActions": []}, "not listed as selectedActions : labels"),
        ({"selectedActions": ["labels", "priority"]}, "have no editedFieldsInput : priority"),
        ({"editedFieldsInput": {"priority": {"priorityId": "1"}}}, "labelsFields only"),
        ({"selectedIssueIdsOrKeys": []}, "non-empty list"),
    ],
)
def test_bad_bulk_edits_answer_400_in_the_bulk_error_shape(
    site: RunningSandbox, change: dict, message: str
) -> None:
    answer = call(
        site, "POST", "/rest/api/3/bulk/issues/fields", json={**bulk_body(["MKT-1"]), **change}
    )
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert message in error["message"]


def test_properties_multi_answers_303_to_a_task_and_sets_each_value(site: RunningSandbox) -> None:
    jira = site.app.site.jira
    body = {
        "issues": [
            {"issueID": jira.issues["MKT-1"].id, "properties": {"bridge": {"a": 1}, "x": [1]}},
            {"issueID": jira.issues["IT-12"].id, "properties": {"bridge": {"a": 2}}},
            {"issueID": 999999, "properties": {"bridge": {"ignored": True}}},
        ]
    }
    answer = call(
        site, "POST", "/rest/api/3/issue/properties/multi", json=body, allow_redirects=False
    )

    assert answer.status_code == 303 and not answer.content
    task = call(site, "GET", answer.headers["Location"].split(site.url, 1)[1]).json()
    assert task["status"] == "COMPLETE" and "result" not in task
    assert isinstance(task["submittedBy"], int)
    assert jira.issues["MKT-1"].properties == {"bridge": {"a": 1}, "x": [1]}
    assert jira.issues["IT-12"].properties == {"bridge": {"a": 2}}
    # The bulk queue knows only bulk-edit tasks; another user may not see this task.
    assert call(site, "GET", f"/rest/api/3/bulk/queue/{task['id']}").status_code == 400
    assert call(site, "GET", f"/rest/api/3/task/{task['id']}", auth=PRIYA).status_code == 403
    assert call(site, "GET", "/rest/api/3/task/1").status_code == 404


def test_a_property_too_long_fails_its_issue_in_the_task_result(site: RunningSandbox) -> None:
    issue_id = site.app.site.jira.issues["MKT-1"].id
    body = {"issues": [{"issueID": issue_id, "properties": {"bridge": "x" * 40_000}}]}

    answer = call(site, "POST", "/rest/api/3/issue/properties/multi", json=body)  # follows 303

    assert answer.status_code == 200
    (failed,) = answer.json()["result"]["failedIssues"]
    assert failed["issueID"] == issue_id and "32768" in failed["errors"][0]


@pytest.mark.parametrize(
    "body",
    [
        {"issues": []},
        {"issues": [{"issueID": 10000 + n, "properties": {"a": 1}} for n in range(101)]},
        {"issues": [{"issueID": 10000, "properties": {f"p{n}": 1 for n in range(11)}}]},
        {"issues": [{"issueID": "MKT-1", "properties": {"a": 1}}]},
    ],
    ids=["empty", "101-issues", "11-properties", "key-not-id"],
)
def test_bad_property_requests_answer_400(site: RunningSandbox, body: dict) -> None:
    answer = call(site, "POST", "/rest/api/3/issue/properties/multi", json=body)
    assert answer.status_code == 400 and answer.json()["errorMessages"]
