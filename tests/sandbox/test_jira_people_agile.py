"""Users, groups and the agile API (boards, sprints, sprint issues) of the fake Jira."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_jira_support import (
    ADA,
    IVAN,
    MIA,
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


# ---------------------------------------------------------------------- people


def test_user_by_account_id_and_unknown_is_404(sb: RunningSandbox) -> None:
    user = client(sb).user("acc-mia")
    assert (user.displayName, user.emailAddress, user.active) == ("Mia Wong", MIA, True)
    missing = rest(sb, "GET", "/rest/api/3/user?accountId=acc-nobody")
    assert missing.status_code == 404


def test_user_groups(sb: RunningSandbox) -> None:
    groups = body(rest(sb, "GET", "/rest/api/3/user/groups?accountId=acc-ivan"))
    assert [g["name"] for g in groups] == ["it-architecture"]


def test_group_members_page_and_an_unknown_group_is_404(server: RunningSandbox) -> None:
    doc = seed_doc()
    doc["users"] += [
        {
            "account_id": f"acc-m{n}",
            "display_name": f"Marketer {n}",
            "email": f"m{n}@example.com",
            "active": n != 3,
        }
        for n in range(6)
    ]
    doc["groups"][0]["members"] += [f"m{n}@example.com" for n in range(6)]
    sb = fresh(server, parse_seed(doc))
    first = body(rest(sb, "GET", "/rest/api/3/group/member?groupname=marketing&maxResults=4"))
    assert (first["total"], first["isLast"], len(first["values"])) == (7, False, 4)
    assert [u["accountId"] for u in first["values"]] == ["acc-ada", "acc-mia", "acc-m0", "acc-m1"]
    rest_page = body(rest(sb, "GET", "/rest/api/3/group/member?groupname=marketing&startAt=4"))
    assert [u["accountId"] for u in rest_page["values"]] == ["acc-m2", "acc-m4", "acc-m5"]
    assert rest_page["isLast"] is True
    with_inactive = body(
        rest(sb, "GET", "/rest/api/3/group/member?groupname=marketing&includeInactiveUsers=true")
    )
    assert with_inactive["total"] == 8
    missing = rest(sb, "GET", "/rest/api/3/group/member?groupname=nope")
    assert missing.status_code == 404
    assert body(missing)["errorMessages"] == ["Group with name 'nope' does not exist."]


def test_the_clients_group_members_and_groups(sb: RunningSandbox) -> None:
    j = client(sb)
    members = j.group_members("marketing")
    assert sorted(members) == ["acc-ada", "acc-mia"]
    assert members["acc-ada"]["fullname"] == "Ada Lovelace"
    assert j.groups("secur") == ["security-reviewers"]
    assert j.groups() == ["it-architecture", "marketing", "security-reviewers"]


def test_user_search(sb: RunningSandbox) -> None:
    j = client(sb)
    assert [u.accountId for u in j.search_users(query="ivan")] == ["acc-ivan"]
    assert [u.accountId for u in j.search_users(query="petrov")] == ["acc-ivan"]
    assert [u.accountId for u in j.search_users(query=ADA)] == ["acc-ada"]
    assert rest(sb, "GET", "/rest/api/3/user/search").status_code == 400


# ---------------------------------------------------------------------- agile


def test_boards_filter_by_project_and_type(sb: RunningSandbox) -> None:
    j = client(sb)
    assert [b.name for b in j.boards()] == ["IT board", "MKT kanban"]
    assert [b.id for b in j.boards(projectKeyOrID="IT")] == [1]
    assert [b.id for b in j.boards(type="kanban")] == [2]
    page = body(rest(sb, "GET", "/rest/agile/1.0/board?maxResults=1"))
    assert (page["total"], page["isLast"], page["values"][0]["location"]["projectKey"]) == (
        2,
        False,
        "IT",
    )
    assert rest(sb, "GET", "/rest/agile/1.0/board/99").status_code == 404


def test_sprints_of_a_board_by_state(sb: RunningSandbox) -> None:
    j = client(sb)
    assert [s.name for s in j.sprints(1)] == ["IT Sprint 1", "IT Sprint 2", "IT Sprint 3"]
    assert [s.id for s in j.sprints(1, state="active,closed")] == [1, 2]
    active = j.sprint(2)
    assert (active.state, active.goal, active.originBoardId) == ("active", "Ship the CRM bridge", 1)
    assert active.startDate == "2026-11-09T09:00:00.000Z"
    assert rest(sb, "GET", "/rest/agile/1.0/board/2/sprint").status_code == 400  # kanban
    assert rest(sb, "GET", "/rest/agile/1.0/board/1/sprint?state=open").status_code == 400


def test_sprint_issues_and_the_sprint_field(sb: RunningSandbox) -> None:
    page = body(rest(sb, "GET", "/rest/agile/1.0/sprint/2/issue?fields=summary,customfield_10020"))
    assert page["total"] == 1
    [issue] = page["issues"]
    assert issue["key"] == "IT-1"
    assert issue["fields"]["customfield_10020"] == [
        {
            "id": 2,
            "name": "IT Sprint 2",
            "state": "active",
            "boardId": 1,
            "goal": "Ship the CRM bridge",
            "startDate": "2026-11-09T09:00:00.000Z",
            "endDate": "2026-11-23T09:00:00.000Z",
        }
    ]
    narrowed = body(rest(sb, "GET", "/rest/agile/1.0/board/1/issue?jql=statusCategory%3DDone"))
    assert [i["key"] for i in narrowed["issues"]] == ["IT-2"]


def test_moving_an_issue_into_a_sprint_shows_in_search(sb: RunningSandbox) -> None:
    j = client(sb, IVAN)
    j.create_issue(project="IT", issuetype={"name": "Task"}, summary="New", customfield_10020=3)
    found = j.enhanced_search_issues("sprint = 3", fields="summary,Sprint")
    assert [i.key for i in found] == ["IT-3"]
    assert found[0].fields.customfield_10020[0].name == "IT Sprint 3"
    closed = rest(
        sb, "PUT", "/rest/api/2/issue/IT-3", email=IVAN, json={"fields": {"customfield_10020": 1}}
    )
    assert closed.status_code == 400
    assert body(closed)["errors"] == {
        "customfield_10020": "Issue can be assigned only active or future sprints."
    }


def test_people_and_agile_answers_match_the_openapi_description(sb: RunningSandbox) -> None:
    with contract_checked(sb) as findings:
        for path in (
            "/rest/api/3/user?accountId=acc-ada",
            "/rest/api/3/user/groups?accountId=acc-ada",
            "/rest/api/3/group/member?groupname=marketing",
            "/rest/api/3/group?groupname=marketing&expand=users",
            "/rest/api/3/user/search?query=a",
            "/rest/api/3/groups/picker?query=m",
            "/rest/agile/1.0/board",
            "/rest/agile/1.0/board/1",
            "/rest/agile/1.0/board/1/sprint",
            "/rest/agile/1.0/sprint/2",
            "/rest/agile/1.0/sprint/2/issue",
            "/rest/agile/1.0/board/1/issue",
        ):
            assert rest(sb, "GET", path).status_code == 200, path
    assert findings == []
