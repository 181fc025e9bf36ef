"""JiraGateway against the real ``jira`` client over HTTP (``responses`` at the adapter)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import responses
from pydantic import SecretStr
from responses import matchers

from bridgeplugin.errors import (
    AtlassianError,
    BadRequest,
    FieldNameError,
    PayloadTooLarge,
    PermissionDenied,
)
from bridgeplugin.jira_gateway import JiraGateway
from bridgeplugin.model import User
from bridgeplugin.retry import RetryPolicy

from .conftest import AGILE, API, FIELDS, JIRA, SleepRecorder, add_fields


def _body(call: Any) -> Any:
    return json.loads(call.request.body)


def _issue(n: int, **fields: Any) -> dict[str, Any]:
    return {"id": str(10000 + n), "key": f"MKT-{n}", "fields": fields}


def _calls(rsps: responses.RequestsMock, method: str, url: str) -> list[Any]:
    return [
        c for c in rsps.calls if c.request.method == method and c.request.url.split("?")[0] == url
    ]


@pytest.fixture
def removed_search(rsps: responses.RequestsMock) -> list[str]:
    """The old search endpoints answer 410 like Jira Cloud; tests assert they are never hit."""
    urls = [f"{JIRA}/rest/api/3/search", f"{JIRA}/rest/api/2/search"]
    for url in urls:
        for method in (responses.GET, responses.POST):
            rsps.add(method, url, status=410, json={"errorMessages": ["removed"]})
    return urls


# ------------------------------------------------------------------------------------ site


def test_deployment_type_decides_cloud_or_data_center(
    rsps: responses.RequestsMock, policy: RetryPolicy
) -> None:
    rsps.get(
        f"{JIRA}/rest/api/2/serverInfo", json={"deploymentType": "Server", "version": "9.12.1"}
    )
    gw = JiraGateway(JIRA, pat=SecretStr("pat"), policy=policy)
    info = gw.server_info()
    assert (info.deployment_type, info.version, info.is_cloud) == ("Server", "9.12.1", False)
    gw.server_info()
    assert len(rsps.calls) == 1  # fetched once
    assert rsps.calls[0].request.headers["Authorization"] == "Bearer pat"


def test_construction_sends_nothing(rsps: responses.RequestsMock, policy: RetryPolicy) -> None:
    JiraGateway(JIRA, email="a@example.com", token=SecretStr("t"), policy=policy)
    assert len(rsps.calls) == 0


# ------------------------------------------------------------------------------------ fields


def test_fields_are_fetched_once_and_resolved_by_name_or_id(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    add_fields(rsps)
    assert gateway.resolve_field("cost").id == "customfield_10010"
    assert gateway.resolve_field("customfield_10011").name == "Initiative"
    assert [f.id for f in gateway.resolve_fields(["Cost", "Initiative", "cost"])] == [
        "customfield_10010",
        "customfield_10011",
    ]
    assert len(gateway.fields()) == len(FIELDS)
    assert len(_calls(rsps, "GET", f"{API}/field")) == 1


def test_an_unknown_field_name_suggests_close_matches(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    add_fields(rsps)
    with pytest.raises(FieldNameError) as info:
        gateway.resolve_field("Costs")
    assert info.value.candidates == ["Cost"]
    assert "did you mean 'Cost'?" in str(info.value)


# ------------------------------------------------------------------------------------ search


def test_search_follows_next_page_token_across_three_pages_with_explicit_fields(
    gateway: JiraGateway, rsps: responses.RequestsMock, removed_search: list[str]
) -> None:
    add_fields(rsps)
    url = f"{API}/search/jql"
    rsps.post(url, json={"issues": [_issue(1), _issue(2)], "nextPageToken": "t1", "isLast": False})
    rsps.post(url, json={"issues": [_issue(3)], "nextPageToken": "t2", "isLast": False})
    rsps.post(url, json={"issues": [_issue(4, customfield_10010=1200)], "isLast": True})

    found = gateway.search(
        "project = MKT", fields=["summary", "Status", "Cost"], properties=["bridge"]
    )
    first = next(found)
    assert first.key == "MKT-1"
    assert len(_calls(rsps, "POST", url)) == 1  # lazy: one page in memory at a time
    rest = list(found)

    assert [i.key for i in [first, *rest]] == ["MKT-1", "MKT-2", "MKT-3", "MKT-4"]
    assert rest[-1].custom == {"Cost": 1200}
    bodies = [_body(c) for c in _calls(rsps, "POST", url)]
    assert [b.get("nextPageToken") for b in bodies] == [None, "t1", "t2"]
    for body in bodies:
        assert body["fields"] == ["summary", "status", "customfield_10010"]
        assert body["jql"] == "project = MKT"
        assert body["maxResults"] == 100
        assert body["properties"] == ["bridge"]
    for old in removed_search:
        assert not [c for c in rsps.calls if c.request.url.split("?")[0] == old]


def test_search_stops_on_is_last_even_with_a_token(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(
        f"{API}/search/jql", json={"issues": [_issue(1)], "nextPageToken": "x", "isLast": True}
    )
    assert [i.key for i in gateway.search("project = MKT", fields=["summary"])] == ["MKT-1"]


def test_search_refuses_all_fields(gateway: JiraGateway) -> None:
    with pytest.raises(ValueError, match="name the fields you need"):
        gateway.search("project = MKT", fields=["*all"])


def test_search_keys_asks_for_keys_only_with_large_pages(
    gateway: JiraGateway, rsps: responses.RequestsMock, removed_search: list[str]
) -> None:
    url = f"{API}/search/jql"
    rsps.post(url, json={"issues": [{"id": "1", "key": "MKT-1"}], "nextPageToken": "n"})
    rsps.post(url, json={"issues": [{"id": "2", "key": "MKT-2"}]})
    assert list(gateway.search_keys("project = MKT")) == ["MKT-1", "MKT-2"]
    first = _body(_calls(rsps, "POST", url)[0])
    assert (first["fields"], first["maxResults"]) == (["key"], 5000)


def test_issues_are_flattened_for_the_core(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    add_fields(rsps)
    adf = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "We need a CRM"}]}],
    }
    raw = _issue(
        7,
        summary="CRM",
        status={"name": "In Review", "statusCategory": {"key": "indeterminate"}},
        description=adf,
        reporter={"accountId": "u1", "displayName": "Alice", "active": True},
        labels=["bridge-tech"],
        parent={"key": "MKT-1"},
        issuelinks=[{"type": {"name": "Relates"}, "outwardIssue": {"key": "IT-3"}}],
        customfield_10011={"value": "Website relaunch"},
        priority={"name": "High"},
    )
    raw["properties"] = {"bridge": {"v": 1}}
    rsps.get(f"{API}/issue/MKT-7", json=raw)
    issue = gateway.get_issue("MKT-7", ["summary", "status", "description", "Initiative"])
    assert issue.status == "In Review" and issue.status_category == "indeterminate"
    assert issue.description == "We need a CRM"
    assert issue.reporter == User(account_id="u1", display_name="Alice")
    assert issue.labels == ("bridge-tech",) and issue.parent == "MKT-1"
    assert issue.links[0].key == "IT-3" and issue.links[0].direction == "outward"
    assert issue.custom == {"Initiative": "Website relaunch", "priority": "High"}
    assert issue.properties == {"bridge": {"v": 1}}
    assert rsps.calls[-1].request.params["fields"] == "summary,status,description,customfield_10011"


def test_get_issues_uses_bulkfetch_in_chunks_of_100_and_keeps_the_order(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    keys = [f"MKT-{n}" for n in range(150, 0, -1)]
    url = f"{API}/issue/bulkfetch"

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        asked = json.loads(request.body)["issueIdsOrKeys"]
        issues = sorted((_issue(int(k.split("-")[1])) for k in asked), key=lambda i: int(i["id"]))
        return 200, {}, json.dumps({"issues": issues, "issueErrors": []})

    rsps.add_callback(responses.POST, url, callback=answer)
    found = gateway.get_issues(keys, ["summary"])
    assert [i.key for i in found] == keys
    assert [len(_body(c)["issueIdsOrKeys"]) for c in _calls(rsps, "POST", url)] == [100, 50]
    assert _body(_calls(rsps, "POST", url)[0])["fields"] == ["summary"]


# ------------------------------------------------------------------------------------ create


def _spec(n: int) -> dict[str, Any]:
    return {
        "project": "MKT",
        "issuetype": "Task",
        "summary": f"request {n}",
        "description": "line one\nline two",
        "Cost": n,
    }


def test_bulk_create_chunks_120_specs_into_50_50_20(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    add_fields(rsps)
    url = f"{API}/issue/bulk"
    counter = iter(range(1, 1000))

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        updates = json.loads(request.body)["issueUpdates"]
        issues = []
        for _ in updates:
            n = next(counter)
            issues.append({"id": str(n), "key": f"MKT-{n}"})
        return 201, {}, json.dumps({"issues": issues, "errors": []})

    rsps.add_callback(responses.POST, url, callback=answer)
    results = gateway.create_issues([_spec(n) for n in range(120)])

    sent = [_body(c)["issueUpdates"] for c in _calls(rsps, "POST", url)]
    assert [len(chunk) for chunk in sent] == [50, 50, 20]
    fields = sent[0][0]["fields"]
    assert fields["project"] == {"key": "MKT"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["customfield_10010"] == 0  # "Cost" resolved to its id
    assert fields["description"]["type"] == "doc"  # plain text became ADF on Cloud
    assert [r.index for r in results] == list(range(120))
    assert all(r.ok for r in results) and results[-1].key == "MKT-120"


def test_bulk_create_reports_partial_failures_per_spec(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    add_fields(rsps)
    rsps.post(
        f"{API}/issue/bulk",
        status=201,
        json={
            "issues": [{"id": "1", "key": "MKT-1"}, {"id": "3", "key": "MKT-3"}],
            "errors": [
                {
                    "status": 400,
                    "failedElementNumber": 1,
                    "elementErrors": {
                        "errorMessages": [],
                        "errors": {"customfield_10010": "Cost must be a number"},
                    },
                }
            ],
        },
    )
    results = gateway.create_issues([_spec(0), _spec(1), _spec(2)])
    assert [(r.index, r.key) for r in results] == [(0, "MKT-1"), (1, None), (2, "MKT-3")]
    assert results[1].errors == {"customfield_10010": "Cost must be a number"}
    assert results[1].status == 400 and not results[1].ok


def test_bulk_create_all_failed_400_is_results_not_an_exception(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    add_fields(rsps)
    errors = [
        {
            "status": 400,
            "failedElementNumber": i,
            "elementErrors": {"errorMessages": ["Project is required"], "errors": {}},
        }
        for i in range(2)
    ]
    rsps.post(f"{API}/issue/bulk", status=400, json={"issues": [], "errors": errors})
    results = gateway.create_issues([_spec(0), _spec(1)])
    assert [r.error_messages for r in results] == [("Project is required",)] * 2


def test_a_400_without_per_element_errors_is_raised(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    add_fields(rsps)
    rsps.post(f"{API}/issue/bulk", status=400, json={"errorMessages": ["malformed"]})
    with pytest.raises(BadRequest, match="malformed"):
        gateway.create_issues([_spec(0)])


def test_textarea_custom_fields_get_adf(gateway: JiraGateway, rsps: responses.RequestsMock) -> None:
    add_fields(rsps)
    rsps.post(f"{API}/issue", status=201, json={"id": "1", "key": "MKT-1"})
    gateway.create_issue({"fields": {**_spec(1), "Business case": "save money"}})
    fields = _body(_calls(rsps, "POST", f"{API}/issue")[0])["fields"]
    assert fields["customfield_10012"]["content"][0]["content"][0]["text"] == "save money"


# ------------------------------------------------------------------------------------ edit


def test_labels_are_added_and_removed_without_overwriting_the_list(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    url = f"{API}/issue/MKT-1"
    rsps.put(url, status=204)
    gateway.add_labels("MKT-1", ["bridge-tech", "bridge-mkt", "bridge-tech"])
    gateway.remove_labels("MKT-1", ["legacy"])
    puts = _calls(rsps, "PUT", url)
    assert [_body(c) for c in puts] == [
        {"update": {"labels": [{"add": "bridge-tech"}, {"add": "bridge-mkt"}]}},
        {"update": {"labels": [{"remove": "legacy"}]}},
    ]
    assert all(c.request.params == {"notifyUsers": "false"} for c in puts)
    assert not _calls(rsps, "GET", f"{API}/field")  # system ids need no field list


def test_a_site_that_refuses_muted_notifications_gets_one_retry_then_no_more_muting(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    url = f"{API}/issue/MKT-1"
    refused = {"errorMessages": ["To discard the user notification admin rights are needed."]}
    rsps.put(
        url,
        status=403,
        json=refused,
        match=[responses.matchers.query_param_matcher({"notifyUsers": "false"})],
    )
    rsps.put(url, status=204, match=[responses.matchers.query_param_matcher({})])
    gateway.add_labels("MKT-1", ["a"])
    gateway.add_labels("MKT-1", ["b"])
    params = [c.request.params for c in _calls(rsps, "PUT", url)]
    assert params == [{"notifyUsers": "false"}, {}, {}]


def test_a_real_missing_edit_permission_still_raises(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    url = f"{API}/issue/MKT-1"
    rsps.put(url, status=403, json={"errorMessages": ["You do not have permission."]})
    with pytest.raises(PermissionDenied):
        gateway.add_labels("MKT-1", ["a"])
    assert len(_calls(rsps, "PUT", url)) == 2


def test_no_labels_means_no_request(gateway: JiraGateway, rsps: responses.RequestsMock) -> None:
    gateway.add_labels("MKT-1", [])
    assert len(rsps.calls) == 1  # serverInfo only


TRANSITIONS = {
    "transitions": [
        {"id": "21", "name": "Start review", "to": {"name": "In Review"}},
        {"id": "31", "name": "Approve", "to": {"name": "Approved"}},
    ]
}


def test_transition_by_name_is_case_insensitive(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(f"{API}/issue/MKT-1/transitions", json=TRANSITIONS)
    rsps.post(f"{API}/issue/MKT-1/transitions", status=204)
    taken = gateway.transition("MKT-1", "approve")
    assert (taken.id, taken.to_status) == ("31", "Approved")
    assert _body(_calls(rsps, "POST", f"{API}/issue/MKT-1/transitions")[0]) == {
        "transition": {"id": "31"}
    }


def test_an_unknown_transition_lists_the_available_ones(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(f"{API}/issue/MKT-1/transitions", json=TRANSITIONS)
    with pytest.raises(BadRequest) as info:
        gateway.transition("MKT-1", "Done")
    assert "available: 'Start review', 'Approve'" in str(info.value)
    assert not _calls(rsps, "POST", f"{API}/issue/MKT-1/transitions")


def test_a_transition_with_a_lost_answer_is_checked_before_resending(
    gateway: JiraGateway, rsps: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    rsps.get(f"{API}/issue/MKT-1/transitions", json=TRANSITIONS)
    rsps.post(f"{API}/issue/MKT-1/transitions", status=503)
    rsps.get(f"{API}/issue/MKT-1", json=_issue(1, status={"name": "Approved"}))
    gateway.transition("MKT-1", "Approve")
    assert len(_calls(rsps, "POST", f"{API}/issue/MKT-1/transitions")) == 1


def test_comments_are_sent_as_adf_and_read_back_as_text(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(
        f"{API}/issue/MKT-1/comment",
        status=201,
        json={"id": "9", "body": {"type": "doc", "content": []}},
    )
    gateway.add_comment("MKT-1", "Missing: security review\n\nby bridge")
    body = _body(_calls(rsps, "POST", f"{API}/issue/MKT-1/comment")[0])["body"]
    assert [p["type"] for p in body["content"]] == ["paragraph", "paragraph"]

    page = {
        "type": "doc",
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "ok"}]}],
    }
    rsps.get(
        f"{API}/issue/MKT-1/comment",
        json={"comments": [{"id": "9", "body": page}], "startAt": 0, "total": 1},
    )
    assert [c.body for c in gateway.comments("MKT-1")] == ["ok"]


def test_a_lost_link_answer_is_checked_before_resending(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(f"{API}/issueLink", body=requests.ConnectionError("Connection aborted."))
    links = [{"type": {"name": "Relates"}, "outwardIssue": {"key": "IT-2"}}]
    rsps.get(f"{API}/issue/MKT-1", json=_issue(1, issuelinks=links))
    gateway.link_issues("Relates", "MKT-1", "IT-2")
    assert len(_calls(rsps, "POST", f"{API}/issueLink")) == 1
    assert rsps.calls[-1].request.params == {"fields": "issuelinks"}


# ------------------------------------------------------------------------------------ properties


def test_a_missing_property_is_none(gateway: JiraGateway, rsps: responses.RequestsMock) -> None:
    rsps.get(f"{API}/issue/MKT-1/properties/bridge", status=404, json={"errorMessages": ["x"]})
    assert gateway.get_property("MKT-1", "bridge") is None
    rsps.get(f"{API}/issue/MKT-2/properties/bridge", json={"key": "bridge", "value": {"v": 2}})
    assert gateway.get_property("MKT-2", "bridge") == {"v": 2}


def test_a_property_over_32768_characters_is_refused_before_sending(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    with pytest.raises(PayloadTooLarge):
        gateway.set_property("MKT-1", "bridge", {"blob": "x" * 40_000})
    rsps.put(f"{API}/issue/MKT-1/properties/bridge", status=201)
    gateway.set_property("MKT-1", "bridge", {"reviews": ["security"]})
    puts = _calls(rsps, "PUT", f"{API}/issue/MKT-1/properties/bridge")
    assert [_body(c) for c in puts] == [{"reviews": ["security"]}]


# ------------------------------------------------------------------------------------ history


def test_changelog_pages_by_start_at(gateway: JiraGateway, rsps: responses.RequestsMock) -> None:
    url = f"{API}/issue/MKT-1/changelog"
    entry = {
        "id": "1",
        "created": "2026-01-05T10:00:00.000+0000",
        "items": [
            {"field": "status", "fieldId": "status", "fromString": "To Do", "toString": "In Review"}
        ],
    }
    rsps.get(url, json={"values": [entry], "startAt": 0, "total": 2, "isLast": False})
    rsps.get(url, json={"values": [{**entry, "id": "2"}], "startAt": 1, "total": 2, "isLast": True})
    entries = list(gateway.changelog("MKT-1"))
    assert [e.id for e in entries] == ["1", "2"]
    assert entries[0].items[0].to_string == "In Review"
    assert [c.request.params["startAt"] for c in _calls(rsps, "GET", url)] == ["0", "1"]


def test_changelogs_bulk_follows_tokens_and_keys_by_issue_id(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    url = f"{API}/changelog/bulkfetch"
    h = {"id": "1", "created": "2026-01-05T10:00:00.000+0000", "items": []}
    rsps.post(
        url,
        json={
            "issueChangeLogs": [{"issueId": "10001", "changeHistories": [h]}],
            "nextPageToken": "p2",
        },
    )
    rsps.post(
        url,
        json={
            "issueChangeLogs": [
                {"issueId": "10001", "changeHistories": [{**h, "id": "2"}]},
                {"issueId": "10002", "changeHistories": [{**h, "id": "3"}]},
            ]
        },
    )
    out = gateway.changelogs_bulk(["MKT-1", "MKT-2"], field_ids=["status"])
    assert {k: [e.id for e in v] for k, v in out.items()} == {"10001": ["1", "2"], "10002": ["3"]}
    bodies = [_body(c) for c in _calls(rsps, "POST", url)]
    assert bodies[0] == {
        "issueIdsOrKeys": ["MKT-1", "MKT-2"],
        "maxResults": 1000,
        "fieldIds": ["status"],
    }
    assert bodies[1]["nextPageToken"] == "p2"


# ------------------------------------------------------------------------------------ people


def test_group_members_pages_and_leaves_out_inactive_users(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    url = f"{API}/group/member"
    rsps.get(url, json={"values": [{"accountId": "a"}], "isLast": False, "startAt": 0})
    rsps.get(url, json={"values": [{"accountId": "b"}], "isLast": True, "startAt": 1})
    assert [u.account_id for u in gateway.group_members("security-reviewers")] == ["a", "b"]
    params = [c.request.params for c in _calls(rsps, "GET", url)]
    assert params[0] == {
        "groupname": "security-reviewers",
        "includeInactiveUsers": "false",
        "startAt": "0",
        "maxResults": "50",
    }
    assert params[1]["startAt"] == "1"


def test_user_groups_and_permissions(gateway: JiraGateway, rsps: responses.RequestsMock) -> None:
    rsps.get(
        f"{API}/user/groups",
        json=[{"name": "marketing"}],
        match=[matchers.query_param_matcher({"accountId": "u1"})],
    )
    assert gateway.user_groups("u1") == ["marketing"]
    rsps.get(
        f"{API}/mypermissions",
        json={"permissions": {"EDIT_ISSUES": {"havePermission": True}, "ADMINISTER_PROJECTS": {}}},
    )
    assert gateway.my_permissions("MKT", ["edit_issues", "ADMINISTER_PROJECTS"]) == {
        "EDIT_ISSUES": True,
        "ADMINISTER_PROJECTS": False,
    }
    assert rsps.calls[-1].request.params == {
        "projectKey": "MKT",
        "permissions": "EDIT_ISSUES,ADMINISTER_PROJECTS",
    }


def test_projects_and_statuses(gateway: JiraGateway, rsps: responses.RequestsMock) -> None:
    rsps.get(
        f"{API}/project/search",
        json={
            "values": [
                {
                    "id": "1",
                    "key": "MKT",
                    "projectTypeKey": "business",
                    "issueTypes": [{"name": "Task"}],
                }
            ],
            "isLast": True,
        },
    )
    assert [(p.key, p.issue_types) for p in gateway.projects()] == [("MKT", ("Task",))]
    status = {"id": "3", "name": "Approved", "statusCategory": {"key": "done"}}
    rsps.get(
        f"{API}/project/MKT/statuses",
        json=[{"name": "Task", "statuses": [status]}, {"name": "Story", "statuses": [status]}],
    )
    assert [(s.name, s.category) for s in gateway.statuses("MKT")] == [("Approved", "done")]


# ------------------------------------------------------------------------------------ agile


def test_boards_sprints_and_sprint_issues(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(
        f"{AGILE}/board",
        json={
            "values": [{"id": 7, "name": "IT", "type": "scrum", "location": {"projectKey": "IT"}}],
            "isLast": True,
        },
    )
    assert [(b.id, b.project_key) for b in gateway.boards("IT")] == [(7, "IT")]
    assert rsps.calls[-1].request.params["projectKeyOrId"] == "IT"
    sprint = {"id": 3, "name": "S1", "state": "closed", "startDate": "2026-01-01T00:00:00.000Z"}
    rsps.get(f"{AGILE}/board/7/sprint", json={"values": [sprint], "isLast": False})
    rsps.get(
        f"{AGILE}/board/7/sprint",
        json={"values": [{**sprint, "id": 4, "state": "active"}], "isLast": True},
    )
    assert [(s.id, s.state, s.board_id) for s in gateway.sprints(7)] == [
        (3, "closed", 7),
        (4, "active", 7),
    ]
    assert {c.request.params["state"] for c in _calls(rsps, "GET", f"{AGILE}/board/7/sprint")} == {
        "active,closed"
    }
    rsps.post(f"{API}/search/jql", json={"issues": [_issue(1)]})
    assert [i.key for i in gateway.sprint_issues(3, ["summary"])] == ["MKT-1"]
    assert _body(_calls(rsps, "POST", f"{API}/search/jql")[0])["jql"] == "sprint = 3"


# ------------------------------------------------------------------------------------ data center


@pytest.fixture
def dc(rsps: responses.RequestsMock, policy: RetryPolicy) -> JiraGateway:
    rsps.get(
        f"{JIRA}/rest/api/2/serverInfo", json={"deploymentType": "Server", "version": "9.12.0"}
    )
    return JiraGateway(JIRA, pat=SecretStr("pat"), policy=policy)


def test_data_center_searches_with_start_at_and_comments_in_plain_text(
    dc: JiraGateway, rsps: responses.RequestsMock
) -> None:
    url = f"{JIRA}/rest/api/2/search"
    rsps.post(url, json={"issues": [_issue(1)], "startAt": 0, "total": 2})
    rsps.post(url, json={"issues": [_issue(2)], "startAt": 1, "total": 2})
    assert [i.key for i in dc.search("project = MKT", fields=["summary"])] == ["MKT-1", "MKT-2"]
    assert [_body(c)["startAt"] for c in _calls(rsps, "POST", url)] == [0, 1]

    rsps.post(f"{JIRA}/rest/api/2/issue/MKT-1/comment", status=201, json={"id": "1", "body": "hi"})
    dc.add_comment("MKT-1", "hi")
    assert _body(rsps.calls[-1]) == {"body": "hi"}
    assert rsps.calls[-1].request.headers["Authorization"] == "Bearer pat"


def test_data_center_epic_children_use_the_epic_link_field(
    dc: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(
        f"{JIRA}/rest/api/2/field",
        json=[*FIELDS, {"id": "customfield_10100", "name": "Epic Link", "custom": True}],
    )
    rsps.get(
        f"{JIRA}/rest/api/2/project/MKT",
        json={
            "id": "1",
            "key": "MKT",
            "issueTypes": [
                {"name": "Task", "subtask": False},
                {"name": "Sub-task", "subtask": True},
            ],
        },
    )
    rsps.post(f"{JIRA}/rest/api/2/issue", status=201, json={"id": "1", "key": "MKT-9"})
    dc.create_issue({"project": "MKT", "issuetype": "Task", "summary": "s", "parent": "MKT-1"})
    dc.create_issue({"project": "MKT", "issuetype": "Sub-task", "summary": "s", "parent": "MKT-1"})
    first, second = (_body(c)["fields"] for c in _calls(rsps, "POST", f"{JIRA}/rest/api/2/issue"))
    assert first["customfield_10100"] == "MKT-1" and "parent" not in first
    assert second["parent"] == {"key": "MKT-1"}


def test_the_jira_clients_own_retries_are_off(gateway: JiraGateway) -> None:
    # ResilientSession would otherwise retry 429/503 and connection errors, POSTs included.
    assert gateway._jira._session.max_retries == 0


def test_search_keys_refuses_an_answer_without_keys(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(f"{API}/search/jql", json={"issues": [{"id": "1"}]})
    with pytest.raises(AtlassianError, match="without its key"):
        list(gateway.search_keys("project = MKT"))
