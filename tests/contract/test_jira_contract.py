"""The sandbox answers every Jira call the plugin makes as Atlassian's OpenAPI descriptions say.

Each scenario drives ``JiraApi`` methods through a real ``JiraGateway`` (the plugin's only Jira
HTTP code) against the demo sandbox, success paths and the error paths the plugin meets; every
exchange the sandbox answered is then validated with ``oas.check``: ``/rest/api/...`` against
the Jira platform description, ``/rest/agile/1.0/...`` against the Jira Software one. A finding
is a sandbox bug unless ``oas.ALLOWED`` names it; the test prints every finding of its scenario.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import oas
import pytest
import requests

from bridgeplugin.errors import (
    AuthenticationError,
    BadRequest,
    NotFound,
    PermissionDenied,
)
from bridgeplugin.jira_gateway import JiraGateway

if TYPE_CHECKING:
    from conftest import Recorder, Sites

pytestmark = [pytest.mark.sandbox, pytest.mark.contract]

PRIYA = "5e9f2a7c1b3d4e0069a8c2f1"  # demo seed: marketing operations manager
IT_BOARD = 1
ACTIVE_SPRINT = 5
PROPERTY = "bridgeplugin.contract"
# What the plugin reads of an issue: system fields by id, custom fields by name.
ISSUE_FIELDS = [
    "summary",
    "status",
    "issuetype",
    "project",
    "labels",
    "components",
    "assignee",
    "reporter",
    "creator",
    "description",
    "parent",
    "resolution",
    "created",
    "updated",
    "issuelinks",
    "Cost",
    "Monthly cost",
    "Initiative",
    "Vendor",
    "Requested by",
    "Data categories",
]


# ------------------------------------------------------------------------------- scenarios


class Traced:
    """A ``JiraGateway`` that notes which of its public methods a scenario calls."""

    def __init__(self, inner: JiraGateway, called: set[str]) -> None:
        self._inner = inner
        self._called = called

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name.startswith("_") or not callable(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            self._called.add(name)
            return attr(*args, **kwargs)

        return call


@dataclass
class Ctx:
    """What a scenario gets: gateways on the demo (or restricted) site, plain requests."""

    sites: Sites
    recorder: Recorder
    called: set[str] = field(default_factory=set)
    _open: list[JiraGateway] = field(default_factory=list)

    def jira(self, *, email: str | None = None, token: str | None = None) -> Any:
        """A traced gateway on the demo site (as the site admin unless told otherwise)."""
        return self._traced(
            self.sites.gateway(None, email or self.sites.admin, token or self.sites.token)
        )

    def restricted_jira(self) -> Any:
        """A traced gateway on the restricted site, as a user denied every write to MKT."""
        return self._traced(self.sites.gateway(self.sites.restricted, self.sites.outsider))

    def _traced(self, gw: JiraGateway) -> Traced:
        self._open.append(gw)
        return Traced(gw, self.called)

    @cached_property
    def setup(self) -> JiraGateway:
        """An untraced admin gateway for a scenario's preparations (still validated)."""
        gw = self.sites.gateway()
        self._open.append(gw)
        return gw

    def new_issue(self, summary: str, **fields: Any) -> str:
        spec = {"project": "MKT", "issuetype": "Task", "summary": summary, **fields}
        key = self.setup.create_issue(spec).key
        assert key is not None
        return key

    def raw(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A plain request as the site admin, for calls the gateway never makes."""
        with self.recorder.raw():
            return requests.request(
                method,
                self.sites.demo.url + path,
                auth=(self.sites.admin, self.sites.token),
                timeout=10,
                **kwargs,
            )

    def close(self) -> None:
        for gw in self._open:
            gw.close()


@dataclass(frozen=True)
class Scenario:
    id: str
    run: Callable[[Ctx], None]
    statuses: frozenset[int]  # answers the run must have met (error paths, 201 vs 200 ...)


SCENARIOS: list[Scenario] = []


def scenario(
    id: str, *, statuses: Iterable[int] = ()
) -> Callable[[Callable[[Ctx], None]], Callable[[Ctx], None]]:
    def register(run: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
        SCENARIOS.append(Scenario(id, run, frozenset(statuses)))
        return run

    return register


def run_scenario(item: Scenario, sites: Sites, recorder: Recorder) -> Ctx:
    ctx = Ctx(sites, recorder)
    try:
        item.run(ctx)
    finally:
        ctx.close()
    return ctx


# -- site, people, projects ---------------------------------------------------------------


@scenario("server_info")
def _server_info(ctx: Ctx) -> None:
    assert ctx.jira().server_info().is_cloud


@scenario("myself")
def _myself(ctx: Ctx) -> None:
    assert ctx.jira().myself().email == ctx.sites.admin


@scenario("fields")
def _fields(ctx: Ctx) -> None:
    jira = ctx.jira()
    assert any(f.id == "customfield_10101" for f in jira.fields())
    assert jira.resolve_field("Cost").id == "customfield_10101"
    assert [f.id for f in jira.resolve_fields(["Initiative", "summary"])] == [
        "customfield_10102",
        "summary",
    ]


@scenario("user")
def _user(ctx: Ctx) -> None:
    assert ctx.jira().user(PRIYA).display_name == "Priya Raman"


@scenario("group_members")
def _group_members(ctx: Ctx) -> None:
    assert len(ctx.jira().group_members("marketing")) == 10


@scenario("existing_groups")
def _existing_groups(ctx: Ctx) -> None:
    names = ["marketing", "security-reviewers", "no-such-group"]
    assert ctx.jira().existing_groups(names) == {"marketing", "security-reviewers"}


@scenario("user_groups")
def _user_groups(ctx: Ctx) -> None:
    assert ctx.jira().user_groups(PRIYA) == ["marketing"]


@scenario("projects")
def _projects(ctx: Ctx) -> None:
    assert {p.key for p in ctx.jira().projects()} >= {"MKT", "IT"}


@scenario("project")
def _project(ctx: Ctx) -> None:
    assert "Sub-task" in ctx.jira().project("IT").issue_types


@scenario("statuses")
def _statuses(ctx: Ctx) -> None:
    assert {"To Do", "In Review", "Approved", "Done"} <= {
        s.name for s in ctx.jira().statuses("MKT")
    }


@scenario("my_permissions")
def _my_permissions(ctx: Ctx) -> None:
    have = ctx.jira().my_permissions("MKT", ["EDIT_ISSUES", "ADD_COMMENTS", "ADMINISTER"])
    assert have == {"EDIT_ISSUES": True, "ADD_COMMENTS": True, "ADMINISTER": True}


# -- search and reads -----------------------------------------------------------------------


@scenario("search")
def _search(ctx: Ctx) -> None:
    ctx.setup.set_property("MKT-2", PROPERTY, {"synced": True})
    mkt2 = ctx.setup.get_issue("MKT-2", ["summary"])
    issues = list(
        ctx.jira().search(
            "project = MKT ORDER BY key",
            fields=ISSUE_FIELDS,
            properties=[PROPERTY],
            page_size=10,  # several pages: nextPageToken and the last page
            expand=["names"],
            reconcile=[int(mkt2.id)],
        )
    )
    assert len(issues) > 20
    assert next(i for i in issues if i.key == "MKT-2").properties == {PROPERTY: {"synced": True}}


@scenario("search_keys")
def _search_keys(ctx: Ctx) -> None:
    keys = list(ctx.jira().search_keys("project = IT ORDER BY key", page_size=10))
    assert len(keys) > 10 and "IT-10" in keys


@scenario("get_issues")
def _get_issues(ctx: Ctx) -> None:
    # Bulk fetch; the unknown key comes back in issueErrors of a 200.
    found = ctx.jira().get_issues(["IT-10", "MKT-2", "MKT-999"], ISSUE_FIELDS)
    assert [i.key for i in found] == ["IT-10", "MKT-2"]


@scenario("get_issue")
def _get_issue(ctx: Ctx) -> None:
    ctx.setup.set_property("MKT-6", PROPERTY, {"synced": True})
    issue = ctx.jira().get_issue("MKT-6", ISSUE_FIELDS, properties=[PROPERTY])
    assert issue.summary and issue.properties == {PROPERTY: {"synced": True}}


@scenario("transitions")
def _transitions(ctx: Ctx) -> None:
    names = {t.name for t in ctx.jira().transitions("MKT-9")}
    assert names == {"Approve", "Send back", "Decline"}


@scenario("comments")
def _comments(ctx: Ctx) -> None:
    assert len(ctx.jira().comments("MKT-5")) == 2


@scenario("changelog")
def _changelog(ctx: Ctx) -> None:
    entries = list(ctx.jira().changelog("MKT-2"))
    assert entries and all(e.items for e in entries)


@scenario("changelogs_bulk")
def _changelogs_bulk(ctx: Ctx) -> None:
    by_id = ctx.jira().changelogs_bulk(["MKT-2", "MKT-6", "IT-10"], ["status"])
    assert len(by_id) == 3


@scenario("worklogs")
def _worklogs(ctx: Ctx) -> None:
    assert len(ctx.jira().worklogs("IT-10")) == 3


# -- writes -------------------------------------------------------------------------------


@scenario("create_issue", statuses={201})
def _create_issue(ctx: Ctx) -> None:
    jira = ctx.jira()
    made = jira.create_issue(
        {
            "project": "MKT",
            "issuetype": "Task",
            "summary": "Contract: new request",
            "description": "Plain text, sent as ADF.",
            "labels": ["contract"],
            "components": ["Web"],
            "Cost": 1200,
            "Initiative": "Autumn campaign 2026",
        }
    )
    child = jira.create_issue(
        {"project": "MKT", "issuetype": "Sub-task", "parent": made.key, "summary": "Review"}
    )
    assert made.key and child.key


@scenario("create_issues_partial_failure", statuses={201})
def _create_issues(ctx: Ctx) -> None:
    results = ctx.jira().create_issues(
        [
            {"project": "MKT", "issuetype": "Task", "summary": "Contract bulk 1"},
            {"project": "MKT", "issuetype": "No such type", "summary": "Contract bulk 2"},
            {"project": "IT", "issuetype": "Story", "summary": "Contract bulk 3"},
        ]
    )
    assert [r.key is not None for r in results] == [True, False, True]
    assert results[1].errors


@scenario("edit_issue", statuses={204})
def _edit_issue(ctx: Ctx) -> None:
    key = ctx.new_issue("Contract: to edit")
    ctx.jira().edit_issue(
        key,
        fields={"summary": "Contract: edited", "description": "New text", "Cost": 5},
        update={"labels": [{"add": "edited"}]},
    )


@scenario("add_labels", statuses={204})
def _add_labels(ctx: Ctx) -> None:
    key = ctx.new_issue("Contract: labels", labels=["keep"])
    ctx.jira().add_labels(key, ["bridge", "contract"])
    assert ctx.setup.get_issue(key, ["labels"]).labels == ("keep", "bridge", "contract")


@scenario("remove_labels", statuses={204})
def _remove_labels(ctx: Ctx) -> None:
    key = ctx.new_issue("Contract: labels", labels=["keep", "drop"])
    ctx.jira().remove_labels(key, ["drop"])
    assert ctx.setup.get_issue(key, ["labels"]).labels == ("keep",)


@scenario("transition", statuses={204})
def _transition(ctx: Ctx) -> None:
    key = ctx.new_issue("Contract: to review")
    assert ctx.jira().transition(key, "submit for review").to_status == "In Review"


@scenario("add_comment", statuses={201})
def _add_comment(ctx: Ctx) -> None:
    key = ctx.new_issue("Contract: comment")
    assert ctx.jira().add_comment(key, "Looks fine.\n\nSecond paragraph.").id


@scenario("link_issues", statuses={201})
def _link_issues(ctx: Ctx) -> None:
    key = ctx.new_issue("Contract: link")
    ctx.jira().link_issues("Relates", key, "IT-12")


@scenario("get_property", statuses={200, 404})
def _get_property(ctx: Ctx) -> None:
    key = ctx.new_issue("Contract: property read")
    jira = ctx.jira()
    assert jira.get_property(key, PROPERTY) is None  # 404: not set
    ctx.setup.set_property(key, PROPERTY, {"run": 1})
    assert jira.get_property(key, PROPERTY) == {"run": 1}


@scenario("set_property", statuses={200, 201})
def _set_property(ctx: Ctx) -> None:
    key = ctx.new_issue("Contract: property write")
    jira = ctx.jira()
    jira.set_property(key, PROPERTY, {"run": 1})  # 201 created
    jira.set_property(key, PROPERTY, {"run": 2})  # 200 updated


@scenario("bulk_edit_labels", statuses={200, 201})
def _bulk_edit_labels(ctx: Ctx) -> None:
    keys = [ctx.new_issue("Contract: bulk labels 1"), ctx.new_issue("Contract: bulk labels 2")]
    jira = ctx.jira()
    added = jira.bulk_edit_labels(keys, add=["contract-bulk"])  # 201 task, 200 progress
    assert added.ok == tuple(keys) and not added.failed and not added.per_issue
    removed = jira.bulk_edit_labels([*keys, "MKT-99999"], remove=["contract-bulk"])
    assert removed.ok == tuple(keys) and set(removed.failed) == {"MKT-99999"}
    assert all("contract-bulk" not in i.labels for i in ctx.setup.get_issues(keys, ["labels"]))


@scenario("bulk_edit_labels_partial_failure", statuses={200, 201})
def _bulk_edit_partial(ctx: Ctx) -> None:
    # Bulk change is a global permission the outsider has; editing MKT issues is not.
    result = ctx.restricted_jira().bulk_edit_labels(["MKT-2", "IT-12"], add=["contract-bulk"])
    assert result.ok == ("IT-12",) and set(result.failed) == {"MKT-2"}


@scenario("set_properties_bulk", statuses={200, 303})
def _set_properties_bulk(ctx: Ctx) -> None:
    keys = [ctx.new_issue("Contract: bulk property 1"), ctx.new_issue("Contract: bulk property 2")]
    jira = ctx.jira()
    result = jira.set_properties_bulk({k: {PROPERTY: {"n": n}} for n, k in enumerate(keys)})
    assert result.ok == tuple(keys) and not result.failed
    assert [jira.get_property(k, PROPERTY) for k in keys] == [{"n": 0}, {"n": 1}]


@scenario("set_properties_bulk_partial_failure", statuses={200, 303})
def _set_properties_partial(ctx: Ctx) -> None:
    result = ctx.restricted_jira().set_properties_bulk(
        {"MKT-2": {PROPERTY: {"denied": True}}, "IT-12": {PROPERTY: {"ok": True}}}
    )
    assert result.ok == ("IT-12",) and set(result.failed) == {"MKT-2"}


@scenario("comments_bulk")
def _comments_bulk(ctx: Ctx) -> None:
    found = ctx.jira().comments_bulk(["MKT-5", "MKT-2", "IT-12"])
    assert len(found["MKT-5"]) == 2 and found["IT-12"] == []


# -- agile ---------------------------------------------------------------------------------


@scenario("boards")
def _boards(ctx: Ctx) -> None:
    jira = ctx.jira()
    assert [b.id for b in jira.boards("IT")] == [IT_BOARD]
    assert [b.id for b in jira.boards()] == [IT_BOARD]


@scenario("sprints")
def _sprints(ctx: Ctx) -> None:
    jira = ctx.jira()
    assert {s.state for s in jira.sprints(IT_BOARD)} == {"active", "closed"}
    assert len(jira.sprints(IT_BOARD, states=("active", "closed", "future"))) == 6


@scenario("sprint_issues")
def _sprint_issues(ctx: Ctx) -> None:
    issues = list(ctx.jira().sprint_issues(ACTIVE_SPRINT, ["summary", "status", "assignee"]))
    assert "IT-12" in {i.key for i in issues}


# -- error paths the plugin meets -------------------------------------------------------------


@scenario("error_404_unknown_issue", statuses={404})
def _unknown_issue(ctx: Ctx) -> None:
    jira = ctx.jira()
    with pytest.raises(NotFound):
        jira.get_issue("MKT-999", ["summary"])
    with pytest.raises(NotFound):
        jira.comments("MKT-999")
    with pytest.raises(NotFound):
        list(jira.changelog("MKT-999"))


@scenario("error_400_bad_jql", statuses={400})
def _bad_jql(ctx: Ctx) -> None:
    with pytest.raises(BadRequest):
        list(ctx.jira().search("project = = MKT", fields=["summary"]))


@scenario("error_400_bad_field_on_create", statuses={400})
def _bad_field_on_create(ctx: Ctx) -> None:
    jira = ctx.jira()
    with pytest.raises(BadRequest) as not_a_number:
        jira.create_issue({"project": "MKT", "issuetype": "Task", "summary": "x", "Cost": "lots"})
    assert "customfield_10101" in str(not_a_number.value)
    with pytest.raises(BadRequest):
        jira.create_issue({"project": "MKT", "issuetype": "Story", "summary": "not in MKT"})


@scenario("error_400_bulk_create_all_fail", statuses={400})
def _bulk_all_fail(ctx: Ctx) -> None:
    results = ctx.jira().create_issues(
        [{"project": "MKT", "issuetype": "No such type", "summary": "x"}] * 2
    )
    assert [r.status for r in results] == [400, 400]


@scenario("error_400_unknown_permission_key", statuses={400})
def _unknown_permission(ctx: Ctx) -> None:
    with pytest.raises(BadRequest):
        ctx.jira().my_permissions("MKT", ["EDIT_ISSUES", "NO_SUCH_PERMISSION"])


@scenario("error_401_bad_token", statuses={401})
def _bad_token(ctx: Ctx) -> None:
    jira = ctx.jira(token="not-the-token")
    with pytest.raises(AuthenticationError):
        jira.myself()


@scenario("error_403_missing_permission", statuses={403})
def _missing_permission(ctx: Ctx) -> None:
    jira = ctx.restricted_jira()
    with pytest.raises(PermissionDenied):
        jira.create_issue({"project": "MKT", "issuetype": "Task", "summary": "denied"})
    with pytest.raises(PermissionDenied):
        jira.edit_issue("MKT-2", fields={"summary": "denied"})
    with pytest.raises(PermissionDenied):
        jira.set_property("MKT-2", PROPERTY, {"denied": True})
    assert jira.my_permissions("MKT", ["EDIT_ISSUES"]) == {"EDIT_ISSUES": False}
    assert jira.transitions("MKT-9") == []  # no TRANSITION_ISSUES: none offered


@scenario("error_400_comment_without_permission", statuses={400})
def _comment_denied(ctx: Ctx) -> None:
    # The description declares no 403 here: a comment the user may not add is a 400.
    with pytest.raises(BadRequest):
        ctx.restricted_jira().add_comment("MKT-2", "denied")


@scenario("error_404_link_without_permission", statuses={404})
def _link_denied(ctx: Ctx) -> None:
    # The description: 404 when the user lacks the Link Issues permission.
    with pytest.raises(NotFound):
        ctx.restricted_jira().link_issues("Relates", "MKT-2", "IT-12")


@scenario("error_410_removed_search", statuses={410})
def _removed_search(ctx: Ctx) -> None:
    # The gateway never calls it on Cloud; the `jira` client's search_issues still does.
    for version in ("2", "3"):
        path = f"/rest/api/{version}/search"
        assert ctx.raw("GET", path, params={"jql": "project = MKT"}).status_code == 410
        assert ctx.raw("POST", path, json={"jql": "project = MKT"}).status_code == 410


# ----------------------------------------------------------------------------------- tests

COMPLETED: set[str] = set()


@pytest.mark.parametrize("item", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_answers_match_the_openapi_descriptions(
    item: Scenario, sites: Sites, recorder: Recorder
) -> None:
    run_scenario(item, sites, recorder)
    exchanges = recorder.exchanges
    assert exchanges, "the scenario sent no request"
    met = {e.response.status for e in exchanges}
    assert item.statuses <= met, (
        f"expected answers {sorted(item.statuses - met)} never came; got: "
        + ", ".join(str(e) for e in exchanges)
    )
    findings = [f for e in exchanges if (f := oas.check(e.request, e.response)) is not None]
    report = "\n".join(str(f) for f in findings)
    if findings:
        print(f"{len(findings)} finding(s) in {len(exchanges)} exchange(s):\n{report}")
    assert not findings, f"{len(findings)} finding(s):\n{report}"
    COMPLETED.add(item.id)


def test_agile_answers_are_checked_against_the_jira_software_description() -> None:
    found = oas.target_for("/rest/agile/1.0/board/1/sprint")
    assert found is not None
    assert found[0].file == "jira-software-swagger.v3.json"


def test_every_allowance_is_still_needed() -> None:
    """Runs after the scenarios: an allow-list entry that excused nothing must go."""
    if not {s.id for s in SCENARIOS} <= COMPLETED:
        pytest.skip("needs every scenario to have passed in this run")
    assert set(oas.used) == {a.key for a in oas.ALLOWED}, dict(oas.used)
