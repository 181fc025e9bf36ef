"""The fake Jira's site metadata through the real ``jira`` client: server info, the caller,
fields, issue types, projects, statuses, link types and permissions."""

from __future__ import annotations

from collections.abc import Iterator

import jira
import pytest
import requests
from test_jira_support import (
    ADA,
    EVE,
    IVAN,
    ROOT,
    SARA,
    body,
    client,
    contract_checked,
    ledger,
    make_seed,
    rest,
    sandbox,
)

from bridgeplugin.sandbox.server import RunningSandbox

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def sb() -> Iterator[RunningSandbox]:
    # Read-only tests share one sandbox.
    with sandbox() as running:
        yield running


def test_server_info_is_anonymous_and_says_cloud_with_the_callers_base_url(
    sb: RunningSandbox,
) -> None:
    resp = requests.get(sb.url + "/rest/api/3/serverInfo", timeout=5)
    assert resp.status_code == 200
    info = resp.json()
    assert info["deploymentType"] == "Cloud"
    assert info["baseUrl"] == sb.url
    assert info["serverTime"] == "2026-11-24T09:00:00.000+0000"
    assert client(sb)._is_cloud is True


def test_server_deployment_is_reported_for_data_center_seeds() -> None:
    with sandbox(make_seed(deployment_type="Server")) as sb:
        j = client(sb)
        assert j.deploymentType == "Server"
        assert j._is_cloud is False


def test_a_bad_token_is_401_with_jiras_error_shape(sb: RunningSandbox) -> None:
    resp = requests.get(sb.url + "/rest/api/2/myself", auth=(ADA, "wrong"), timeout=5)
    assert resp.status_code == 401
    assert resp.json() == {
        "errorMessages": ["Client must be authenticated to access this resource."],
        "errors": {},
    }
    with pytest.raises(jira.JIRAError) as exc:
        client(sb, token="wrong").myself()
    assert exc.value.status_code == 401


def test_myself_is_the_authenticated_account_with_its_groups(sb: RunningSandbox) -> None:
    me = client(sb, IVAN).myself()
    assert me["accountId"] == "acc-ivan"
    assert me["displayName"] == "Ivan Petrov"
    assert [g["name"] for g in me["groups"]["items"]] == ["it-architecture"]
    assert "name" not in me  # Cloud has no user names (GDPR)


def test_fields_list_system_and_custom_fields_with_clause_names(sb: RunningSandbox) -> None:
    fields = {f["name"]: f for f in client(sb).fields()}
    cost = fields["Cost"]
    assert cost["id"] == "customfield_10000"
    assert cost["custom"] is True
    assert cost["clauseNames"] == ["cf[10000]", "Cost"]
    assert cost["schema"] == {
        "type": "number",
        "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
        "customId": 10000,
    }
    assert fields["Channel"]["schema"]["type"] == "option"
    sprint = fields["Sprint"]
    assert sprint["id"] == "customfield_10020"
    assert sprint["schema"]["custom"] == "com.pyxis.greenhopper.jira:gh-sprint"
    assert fields["Summary"] == {
        "id": "summary",
        "key": "summary",
        "name": "Summary",
        "custom": False,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": ["summary"],
        "schema": {"type": "string", "system": "summary"},
    }


def test_the_client_finds_the_sprint_field_by_name(sb: RunningSandbox) -> None:
    assert client(sb)._get_sprint_field_id() == 10020


def test_issue_types_and_project_issue_types(sb: RunningSandbox) -> None:
    j = client(sb)
    types = {t.name: t for t in j.issue_types()}
    assert types["Sub-task"].subtask is True
    assert types["Epic"].hierarchyLevel == 1
    assert types["Sub-task"].hierarchyLevel == -1
    project = j.project("MKT")
    assert [t.name for t in project.issueTypes] == ["Task", "Story", "Epic", "Sub-task"]
    assert project.lead.accountId == "acc-ada"
    assert [c.name for c in project.components] == ["Web", "CRM"]
    assert j.issue_type_by_name("Epic", project=project.id).id == types["Epic"].id


def test_project_search_pages_and_hides_projects_the_caller_cannot_browse(
    sb: RunningSandbox,
) -> None:
    first = body(rest(sb, "GET", "/rest/api/3/project/search?maxResults=1"))
    assert first["total"] == 2  # SEC is invisible to ada
    assert first["isLast"] is False
    assert [p["key"] for p in first["values"]] == ["IT"]
    second = body(rest(sb, "GET", "/rest/api/3/project/search?maxResults=1&startAt=1"))
    assert [p["key"] for p in second["values"]] == ["MKT"]
    assert second["isLast"] is True
    as_sara = body(rest(sb, "GET", "/rest/api/3/project/search", email=SARA))
    assert [p["key"] for p in as_sara["values"]] == ["IT", "MKT", "SEC"]
    assert rest(sb, "GET", "/rest/api/3/project/SEC").status_code == 404
    assert [p.key for p in client(sb).projects()] == ["MKT", "IT"]


def test_project_statuses_follow_each_issue_types_workflow(sb: RunningSandbox) -> None:
    statuses = body(rest(sb, "GET", "/rest/api/2/project/MKT/statuses"))
    task = next(t for t in statuses if t["name"] == "Task")
    assert [s["name"] for s in task["statuses"]] == ["To Do", "In Review", "Approved", "Done"]
    assert task["statuses"][1]["statusCategory"]["key"] == "indeterminate"
    it_statuses = body(rest(sb, "GET", "/rest/api/2/project/IT/statuses"))
    assert [s["name"] for s in it_statuses[0]["statuses"]] == ["To Do", "In Progress", "Done"]
    names = {s.name for s in client(sb).statuses()}
    assert {"In Review", "Approved", "In Progress", "Done"} <= names


def test_link_types_come_from_the_seed(sb: RunningSandbox) -> None:
    types = {t.name: t for t in client(sb).issue_link_types()}
    assert types["Blocks"].outward == "blocks"
    assert types["Blocks"].inward == "is blocked by"


def test_my_permissions_follow_project_groups_and_site_admins(sb: RunningSandbox) -> None:
    perms = "BROWSE_PROJECTS,CREATE_ISSUES,ADD_COMMENTS"
    as_eve = client(sb, EVE).my_permissions(projectKey="MKT", permissions=perms)["permissions"]
    assert as_eve["BROWSE_PROJECTS"]["havePermission"] is True  # not listed: everyone
    assert as_eve["ADD_COMMENTS"]["havePermission"] is False  # listed, eve in neither group
    assert as_eve["ADD_COMMENTS"]["type"] == "PROJECT"
    as_ivan = client(sb, IVAN).my_permissions(projectKey="MKT", permissions=perms)
    assert as_ivan["permissions"]["ADD_COMMENTS"]["havePermission"] is True
    as_root = client(sb, ROOT).my_permissions(projectKey="SEC", permissions="CREATE_ISSUES")
    assert as_root["permissions"]["CREATE_ISSUES"]["havePermission"] is True
    missing = rest(sb, "GET", "/rest/api/3/mypermissions?projectKey=MKT")
    assert missing.status_code == 400


def test_metadata_reads_cost_a_point_per_object(sb: RunningSandbox) -> None:
    requests.delete(sb.url + "/_sandbox/ledger", timeout=5)
    client(sb).fields()
    calls = [c for c in ledger(sb) if c["path"].endswith("/field")]
    assert len(calls) == 1
    assert calls[0]["points"] == 1 + 22 + 7  # 1 + system fields + custom fields (Sprint too)
    client(sb).issue("MKT-2")
    [get] = [c for c in ledger(sb) if c["path"].endswith("/issue/MKT-2")]
    assert (get["points"], get["route"]) == (2, "/rest/api/{ver}/issue/{key}")


def test_metadata_answers_match_the_openapi_description(sb: RunningSandbox) -> None:
    with contract_checked(sb) as findings:
        for path in (
            "/rest/api/3/serverInfo",
            "/rest/api/3/myself",
            "/rest/api/3/field",
            "/rest/api/3/issuetype",
            "/rest/api/3/project/search",
            "/rest/api/3/project/MKT",
            "/rest/api/3/project/MKT/statuses",
            "/rest/api/3/status",
            "/rest/api/3/issueLinkType",
            "/rest/api/3/mypermissions?projectKey=MKT&permissions=EDIT_ISSUES",
            "/rest/api/2/project",
        ):
            assert rest(sb, "GET", path).status_code == 200, path
    assert findings == []
