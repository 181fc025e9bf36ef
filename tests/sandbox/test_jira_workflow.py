"""Workflow-checked transitions in the fake Jira through the real ``jira`` client."""

from __future__ import annotations

from collections.abc import Iterator

import jira
import pytest
from test_jira_support import (
    ADA,
    EVE,
    IVAN,
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


def names(j: jira.JIRA, key: str) -> list[str]:
    return [t["name"] for t in j.transitions(key)]


def test_only_transitions_from_the_current_status_are_offered(sb: RunningSandbox) -> None:
    j = client(sb)
    assert names(j, "MKT-2") == ["Submit for review"]
    [t] = j.transitions("MKT-2")
    assert t["to"]["name"] == "In Review"
    assert t["to"]["statusCategory"]["key"] == "indeterminate"
    assert t["isGlobal"] is False


def test_walking_the_workflow_sets_status_and_resolution(sb: RunningSandbox) -> None:
    j = client(sb)
    j.transition_issue("MKT-2", "Submit for review")
    assert names(j, "MKT-2") == ["Approve", "Send back"]
    j.transition_issue("MKT-2", "Approve")
    j.transition_issue("MKT-2", "Complete")
    done = j.issue("MKT-2")
    assert done.fields.status.name == "Done"
    assert done.fields.status.statusCategory.key == "done"
    assert done.fields.resolution.name == "Done"
    assert done.fields.resolutiondate == "2026-11-24T09:00:00.000+0000"
    j.transition_issue("MKT-2", "Reopen")
    reopened = j.issue("MKT-2")
    assert reopened.fields.status.name == "To Do"
    assert reopened.fields.resolution is None
    assert reopened.fields.resolutiondate is None


def test_a_transition_not_available_from_the_current_status_is_400(sb: RunningSandbox) -> None:
    j = client(sb)
    approve = "21"  # the seed's second transition: In Review -> Approved
    resp = rest(
        sb, "POST", "/rest/api/2/issue/MKT-2/transitions", json={"transition": {"id": approve}}
    )
    assert resp.status_code == 400
    assert body(resp) == {
        "errorMessages": ["Transition id '21' is not valid for this issue."],
        "errors": {},
    }
    assert j.issue("MKT-2").fields.status.name == "To Do"
    with pytest.raises(jira.JIRAError):
        j.transition_issue("MKT-2", "Complete")  # by name: the client finds no such transition


def test_global_transitions_of_the_default_workflow(sb: RunningSandbox) -> None:
    j = client(sb, IVAN)
    assert names(j, "IT-1") == ["In Progress", "Done"]
    j.transition_issue("IT-1", "Done")
    issue = j.issue("IT-1")
    assert issue.fields.resolution.name == "Done"
    assert names(j, "IT-1") == ["To Do", "In Progress"]


def test_resolution_can_be_chosen_on_the_transition(sb: RunningSandbox) -> None:
    j = client(sb, IVAN)
    j.transition_issue("IT-1", "Done", fields={"resolution": {"name": "Won't Do"}})
    assert j.issue("IT-1").fields.resolution.name == "Won't Do"
    resp = rest(
        sb,
        "POST",
        "/rest/api/2/issue/IT-2/transitions",
        json={"transition": {"id": "11"}, "fields": {"resolution": {"name": "Nope"}}},
    )
    assert resp.status_code == 400
    assert "resolution" in body(resp)["errors"]


def test_the_transition_is_in_the_changelog_with_its_author(sb: RunningSandbox) -> None:
    client(sb, IVAN).transition_issue("MKT-2", "Submit for review", comment="Please look")
    issue = client(sb).issue("MKT-2", expand="changelog")
    [history] = issue.changelog.histories
    assert history.author.accountId == "acc-ivan"
    [item] = history.items
    assert (item.field, item.fieldtype, item.fieldId) == ("status", "jira", "status")
    assert (item.fromString, item.toString) == ("To Do", "In Review")
    statuses = {s.name: s.id for s in client(sb).statuses()}
    assert (getattr(item, "from"), item.to) == (statuses["To Do"], statuses["In Review"])
    # The comment given with the transition is added as ivan's.
    assert issue.fields.comment.comments[-1].body == "Please look"
    assert issue.fields.comment.comments[-1].author.accountId == "acc-ivan"
    assert issue.fields.statuscategorychangedate == "2026-11-24T09:00:00.000+0000"


def test_transitioning_needs_the_permission(server: RunningSandbox) -> None:
    doc = seed_doc()
    doc["projects"][0]["permissions"]["TRANSITION_ISSUES"] = ["it-architecture"]
    sb = fresh(server, parse_seed(doc))
    assert client(sb, EVE).transitions("MKT-2") == []
    resp = rest(
        sb,
        "POST",
        "/rest/api/2/issue/MKT-2/transitions",
        email=ADA,
        json={"transition": {"id": "11"}},
    )
    # Jira documents a missing transition permission as a 400, naming it in the message.
    assert resp.status_code == 400
    assert "TRANSITION_ISSUES" in body(resp)["errorMessages"][0]
    client(sb, IVAN).transition_issue("MKT-2", "Submit for review")


def test_transition_answers_match_the_openapi_description(sb: RunningSandbox) -> None:
    with contract_checked(sb) as findings:
        rest(sb, "GET", "/rest/api/3/issue/MKT-2/transitions")
        rest(sb, "POST", "/rest/api/3/issue/MKT-2/transitions", json={"transition": {"id": "11"}})
        rest(sb, "POST", "/rest/api/3/issue/MKT-2/transitions", json={"transition": {"id": "99"}})
        rest(sb, "GET", "/rest/api/3/issue/MKT-2?expand=transitions,changelog")
    assert findings == []
