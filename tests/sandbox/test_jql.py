"""The sandbox's JQL engine against a fake site: six issues covering every field kind.

Every case asserts the exact set of matching keys (or the exact message), so a clause that
matches too much or too little fails.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bridgeplugin.sandbox.jql import (
    DEFAULT_ORDER,
    FieldSpec,
    JqlError,
    Query,
    compile_jql,
    system_field,
)

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday
MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

USERS = {
    "acc-alice": ("alice@example.com", "Alice Marketer"),
    "acc-bob": ("bob@example.com", "Bob Builder"),
    "acc-carol": ("carol@example.com", "Carol Security"),
    "acc-dave": ("dave@example.com", "Dave Architect"),
    "acc-admin": ("admin@example.com", "Site Admin"),
}
GROUPS = {"marketing": {"acc-alice", "acc-bob"}, "security-reviewers": {"acc-carol"}}
SPRINTS = {1: ("IT Sprint 1", "closed"), 2: ("IT Sprint 2", "active"), 3: ("IT Sprint 3", "future")}
PROJECTS = {"MKT": ("Marketing", "10000"), "IT": ("IT Operations", "10001")}
CUSTOM = {
    "cost": FieldSpec("customfield_10010", "number"),
    "initiative": FieldSpec("customfield_10011", "text"),
    "launch date": FieldSpec("customfield_10012", "date"),
    "channel": FieldSpec("customfield_10013", "option"),
    "tags": FieldSpec("customfield_10014", "multi"),
    "approver": FieldSpec("customfield_10015", "user"),
    "vendor": FieldSpec("customfield_10016", "string"),
}


class FakeEnv:
    """The site as the engine sees it; alice is logged in."""

    def __init__(self, me: str | None = "acc-alice") -> None:
        self.me = me

    def field(self, name: str) -> FieldSpec | None:
        low = name.lower()
        if low == "text":
            base = system_field("text")
            assert base is not None
            return FieldSpec("text", "text", (*base.sources, "customfield_10011"))
        by_cf = {f"cf[{s.id.removeprefix('customfield_')}]": s for s in CUSTOM.values()}
        return system_field(low) or CUSTOM.get(low) or by_cf.get(low)

    def now(self) -> datetime:
        return NOW

    def current_user(self) -> str | None:
        return self.me

    def resolve_users(self, text: str) -> set[str]:
        t = text.lower()
        return {a for a, (mail, name) in USERS.items() if t in (a, mail, name.lower())}

    def members_of(self, group: str) -> set[str]:
        if group not in GROUPS:
            raise JqlError(f"The value '{group}' does not exist for the field 'membersOf'.")
        return GROUPS[group]

    def sprints(self, state: str) -> set[int]:
        return {i for i, (_, s) in SPRINTS.items() if s == state}

    def resolve_sprint(self, text: str) -> set[int]:
        if text.isdigit():
            return {int(text)} & SPRINTS.keys()
        return {i for i, (name, _) in SPRINTS.items() if name.lower() == text.lower()}

    def resolve_project(self, text: str) -> str | None:
        for key, (name, pid) in PROJECTS.items():
            if text.upper() == key or text.lower() == name.lower() or text == pid:
                return key
        return None


ENV = FakeEnv()


def issue(key: str, id: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"key": key, "id": id, "project": key.split("-")[0]}
    for name, value in fields.items():
        spec = CUSTOM.get(name.replace("_", " ")) or system_field(name)
        row[spec.id if spec else name] = value
    return row


ROWS = [
    issue(
        "MKT-1", "10001", issuetype="Task", status="To Do", statusCategory="new",
        resolution=None, priority="High", reporter="acc-alice", assignee="acc-bob",
        creator="acc-alice", labels=["seo", "Ads"], components=["Web"], fixVersions=["2026.12"],
        sprint=None, created=NOW - 30 * DAY, updated=NOW - 10 * MIN, resolutiondate=None,
        duedate=date(2026, 11, 24), summary="Buy Sprout Social seats for the social team",
        description="We need a social media tool; it integrates with HubSpot.",
        comment=["Security review pending.", "Windows laptops only"], cost=1200,
        initiative="Q4 launch", launch_date=None, channel="Social", tags=["paid"],
        approver="acc-carol", vendor="Sprout Social Inc.", parent=None, rank="0|a",
    ),
    issue(
        "MKT-2", "10002", issuetype="Story", status="In Review", statusCategory="indeterminate",
        resolution=None, priority="Medium", reporter="acc-bob", assignee=None, creator="acc-bob",
        labels=[], components=None, fixVersions=[], sprint=None, created=NOW - 2 * DAY,
        updated=NOW - 20 * MIN, resolutiondate=None, duedate=date(2026, 11, 20),
        summary="Tracking pixel on the microsite", description=None, comment=[], cost=99.5,
        initiative=None, launch_date=date(2026, 12, 1), channel=None, tags=None, approver=None,
        parent="MKT-3", rank="0|c",
    ),
    issue(
        "MKT-3", "10003", issuetype="Epic", status="Done", statusCategory="done",
        resolution="Done", priority="Low", reporter="acc-carol", assignee="acc-alice",
        creator="acc-carol", labels=["ads"], components=["Web", "CRM"], fixVersions=None,
        sprint=None, created=NOW - 8 * DAY, updated=NOW - 5 * MIN, resolutiondate=NOW - DAY,
        duedate=None, summary="Joint budget for social media",
        description="Sprout and social: budget",
        comment=["The sprout social contract is signed"], cost=None,
        initiative="Q4 launch plan", channel="email", tags=["paid", "q4"], parent=None,
        rank="0|b",
    ),
    issue(
        "MKT-10", "10010", issuetype="Task", status="Approved", statusCategory="done",
        resolution="Won't Do", priority="Medium", reporter="acc-alice", assignee="acc-dave",
        creator="acc-admin", labels=["SEO"], components=[], fixVersions=["2026.12", "2027.01"],
        created=NOW - HOUR, updated=NOW - HOUR, resolutiondate=NOW - 30 * MIN,
        summary="Windows 11 upgrade for marketing laptops", description="windowless rooms",
        comment=None, cost=0,
    ),
    issue(
        "IT-5", "10020", issuetype="Story", status="In Progress", statusCategory="indeterminate",
        resolution=None, priority="High", reporter="acc-carol", assignee="acc-carol",
        creator="acc-carol", labels=None, components=["CRM"], sprint=[1, 2],
        created=NOW - 9 * DAY, updated=NOW - 3 * DAY, duedate=date(2026, 11, 25),
        summary="Integrate HubSpot with the CRM", description="e-mail sync",
        comment=["blocked by security"], cost=5000, parent="MKT-3", rank="0|a2",
    ),
    issue(
        "IT-6", "10021", issuetype="Sub-task", status="To Do", statusCategory="new",
        resolution=None, priority="Low", reporter="acc-bob", assignee=None, creator="acc-bob",
        labels=["ads"], sprint=[3], created=NOW - 8 * DAY, updated=NOW - 8 * DAY,
        summary="Security review: sprout social", parent="IT-5",
    ),
]  # fmt: skip
ALL = {row["key"] for row in ROWS}
MKT = {"MKT-1", "MKT-2", "MKT-3", "MKT-10"}


def keys(jql: str, env: FakeEnv = ENV) -> set[str]:
    q = compile_jql(jql, env)
    return {row["key"] for row in ROWS if q.matches(row)}


def ordered(jql: str) -> list[str]:
    q = compile_jql(jql, ENV)
    return [row["key"] for row in q.sort(q.filter(ROWS))]


def case(jql: str, expected: set[str], sentence: str) -> Any:
    return pytest.param(jql, expected, id=sentence)


MATCHES = [
    # project, key, parent
    case("project = MKT", MKT, "project by key matches that project's issues"),
    case('project = "marketing"', MKT, "project by name is case-insensitive"),
    case("project = 10001", {"IT-5", "IT-6"}, "project by id"),
    case("project in (MKT, IT)", ALL, "project in a list"),
    case("project != MKT", {"IT-5", "IT-6"}, "project not equal"),
    case("project not in (IT)", MKT, "project not in a list"),
    case("project is EMPTY", set(), "project is never empty"),
    case("key = MKT-1", {"MKT-1"}, "key equals"),
    case("issuekey = mkt-2", {"MKT-2"}, "issuekey is an alias and keys are case-insensitive"),
    case("id = 10003", {"MKT-3"}, "a numeric id finds the issue"),
    case("key in (MKT-1, 10020)", {"MKT-1", "IT-5"}, "key in mixes keys and ids"),
    case("key > MKT-2", {"MKT-3", "MKT-10"}, "key greater compares numbers in the project"),
    case("key <= MKT-2", {"MKT-1", "MKT-2"}, "key at most stays in the project"),
    case("key != MKT-1", ALL - {"MKT-1"}, "key not equal"),
    case("id >= 10020", {"IT-5", "IT-6"}, "id compares numerically"),
    case("key is EMPTY", set(), "key is never empty"),
    case("parent = MKT-3", {"MKT-2", "IT-5"}, "parent equals a key"),
    case("parent in (MKT-3, it-5)", {"MKT-2", "IT-5", "IT-6"}, "parent in a list of keys"),
    case("parent is EMPTY", {"MKT-1", "MKT-3", "MKT-10"}, "parent is empty"),
    case("parent != MKT-3", {"IT-6"}, "parent not equal leaves out issues without parent"),
    # names
    case("issuetype = task", {"MKT-1", "MKT-10"}, "issuetype by name is case-insensitive"),
    case('type in (Epic, "Sub-task")', {"MKT-3", "IT-6"}, "type is an alias of issuetype"),
    case('status = "to do"', {"MKT-1", "IT-6"}, "status by quoted name"),
    case("status = 'In Review'", {"MKT-2"}, "single-quoted strings"),
    case('status != "To Do"', ALL - {"MKT-1", "IT-6"}, "status not equal"),
    case('status not in ("To Do", Done)', {"MKT-2", "MKT-10", "IT-5"}, "status not in"),
    case("priority = High", {"MKT-1", "IT-5"}, "priority by name"),
    case('statusCategory = "In Progress"', {"MKT-2", "IT-5"}, "status category by name"),
    case("statuscategory = done", {"MKT-3", "MKT-10"}, "status category by key"),
    case("statusCategory != new", ALL - {"MKT-1", "IT-6"}, "status category not equal"),
    case("statusCategory in (2, 3)", {"MKT-1", "IT-6", "MKT-3", "MKT-10"}, "category by id"),
    case("resolution = Unresolved", {"MKT-1", "MKT-2", "IT-5", "IT-6"}, "Unresolved is empty"),
    case("resolution is EMPTY", {"MKT-1", "MKT-2", "IT-5", "IT-6"}, "resolution is empty"),
    case("resolution != Unresolved", {"MKT-3", "MKT-10"}, "not Unresolved means resolved"),
    case('resolution = "won\'t do"', {"MKT-10"}, "resolution by name"),
    case(
        "resolution in (Unresolved, Done)",
        {"MKT-1", "MKT-2", "MKT-3", "IT-5", "IT-6"},
        "resolution in a list with Unresolved",
    ),
    # users
    case("assignee = bob@example.com", {"MKT-1"}, "a user by e-mail"),
    case('assignee = "Bob Builder"', {"MKT-1"}, "a user by display name"),
    case("assignee = acc-carol", {"IT-5"}, "a user by account id"),
    case("assignee = currentUser()", {"MKT-3"}, "currentUser is the caller"),
    case("reporter = currentuser()", {"MKT-1", "MKT-10"}, "function names are case-insensitive"),
    case("creator = acc-admin", {"MKT-10"}, "creator is a user field"),
    case("assignee is EMPTY", {"MKT-2", "IT-6"}, "unassigned issues"),
    case("assignee = EMPTY", {"MKT-2", "IT-6"}, "equals EMPTY is is EMPTY"),
    case("assignee != NULL", ALL - {"MKT-2", "IT-6"}, "not equal NULL is is not EMPTY"),
    case(
        'assignee != "Bob Builder"',
        {"MKT-3", "MKT-10", "IT-5"},
        "not equal leaves out unassigned issues as Jira does",
    ),
    case("assignee in membersOf(marketing)", {"MKT-1", "MKT-3"}, "assignee in a group"),
    case(
        'assignee not in membersOf("marketing")',
        {"MKT-10", "IT-5"},
        "assignee not in a group leaves out unassigned issues",
    ),
    case(
        'reporter in (currentUser(), "carol@example.com")',
        {"MKT-1", "MKT-10", "MKT-3", "IT-5"},
        "a list mixing a function and a value",
    ),
    case(
        "assignee in (EMPTY, currentUser())",
        {"MKT-2", "IT-6", "MKT-3"},
        "EMPTY inside a list matches unassigned",
    ),
    # multi-valued
    case("labels = seo", {"MKT-1", "MKT-10"}, "labels equals means contains, case-insensitive"),
    case("labels = ads", {"MKT-1", "MKT-3", "IT-6"}, "labels contains another label"),
    case("labels != ads", {"MKT-10"}, "labels not equal means does not contain and not empty"),
    case("labels in (seo, ads)", {"MKT-1", "MKT-3", "MKT-10", "IT-6"}, "labels in any of"),
    case("labels not in (seo)", {"MKT-3", "IT-6"}, "labels not in leaves out unlabelled"),
    case("labels is EMPTY", {"MKT-2", "IT-5"}, "an empty list and None are both empty"),
    case("labels is not EMPTY", {"MKT-1", "MKT-3", "MKT-10", "IT-6"}, "labels not empty"),
    case(
        "labels in (seo, EMPTY)",
        {"MKT-1", "MKT-10", "MKT-2", "IT-5"},
        "labels in a list with EMPTY",
    ),
    case("component = crm", {"MKT-3", "IT-5"}, "component is multi-valued"),
    case('fixVersion = "2027.01"', {"MKT-10"}, "fixVersion is multi-valued"),
    case("sprint = 2", {"IT-5"}, "sprint by id"),
    case('sprint = "IT Sprint 3"', {"IT-6"}, "sprint by name"),
    case("sprint in openSprints()", {"IT-5"}, "issues in the active sprint"),
    case("sprint in closedSprints()", {"IT-5"}, "issues in a closed sprint"),
    case("sprint in futureSprints()", {"IT-6"}, "issues in a future sprint"),
    case("sprint not in openSprints()", {"IT-6"}, "sprint not in leaves out sprintless issues"),
    case("sprint != 1", {"IT-6"}, "sprint not equal"),
    case("sprint is EMPTY", MKT, "issues in no sprint"),
    # dates, relative to NOW
    case("updated >= -15m", {"MKT-1", "MKT-3"}, "updated in the last fifteen minutes"),
    case('updated >= "-15m"', {"MKT-1", "MKT-3"}, "a quoted relative date"),
    case("updated > -1h", {"MKT-1", "MKT-2", "MKT-3"}, "greater than is strict"),
    case("updated >= -1h", {"MKT-1", "MKT-2", "MKT-3", "MKT-10"}, "at least includes the edge"),
    case("created >= -1w", {"MKT-2", "MKT-10"}, "created in the last week"),
    case("created < -1w2d", {"MKT-1"}, "a combined period of a week and two days"),
    case('created <= "-1w 2d"', {"MKT-1", "IT-5"}, "a combined period with a space"),
    case("duedate < 1d", {"MKT-1", "MKT-2", "IT-5"}, "a positive period is in the future"),
    case("duedate < 14h", {"MKT-1", "MKT-2"}, "a due date is midnight of its day"),
    case('duedate = "2026-11-24"', {"MKT-1"}, "a due date equals its day"),
    case("duedate <= now()", {"MKT-1", "MKT-2"}, "due today counts as before now"),
    case('duedate < "2026/11/24"', {"MKT-2"}, "a date with slashes"),
    case("duedate >= endOfDay()", {"IT-5"}, "due after today"),
    case('created >= "2026-11-24 09:00"', {"MKT-10"}, "a date with a time"),
    case('created > "2026/11/22"', {"MKT-2", "MKT-10"}, "a date alone means midnight"),
    case("updated < startOfDay()", {"IT-5", "IT-6"}, "updated before today"),
    case("resolved >= startOfDay(-1)", {"MKT-3", "MKT-10"}, "resolved since yesterday"),
    case("resolutiondate >= startOfDay()", {"MKT-10"}, "resolved today"),
    case("resolved is EMPTY", {"MKT-1", "MKT-2", "IT-5", "IT-6"}, "not resolved"),
    case("created >= startOfMonth()", ALL - {"MKT-1"}, "created this month"),
    case('created < startOfMonth("+14d")', {"MKT-1"}, "startOfMonth with a day offset"),
    case("created >= startOfWeek()", {"MKT-10"}, "weeks start on Monday so Sunday is last week"),
    case('"Launch date" >= "2026-12-01"', {"MKT-2"}, "a date custom field by quoted name"),
    case('"launch date" < endOfMonth()', set(), "nothing launches this month"),
    case('"Launch date" <= endOfMonth("+1")', {"MKT-2"}, "endOfMonth of next month"),
    # numbers and custom fields
    case("Cost > 100", {"MKT-1", "IT-5"}, "a number greater than"),
    case("cost >= 99.5", {"MKT-1", "MKT-2", "IT-5"}, "a decimal"),
    case("cf[10010] = 0", {"MKT-10"}, "a custom field by id; zero is not empty"),
    case("Cost is EMPTY", {"MKT-3", "IT-6"}, "a number is empty"),
    case("Cost != 1200", {"MKT-2", "MKT-10", "IT-5"}, "a number not equal"),
    case("Cost in (0, 99.5)", {"MKT-2", "MKT-10"}, "numbers in a list"),
    case("Channel = social", {"MKT-1"}, "a select field by option, case-insensitive"),
    case("Channel in (Social, Email)", {"MKT-1", "MKT-3"}, "select in a list"),
    case("Tags = q4", {"MKT-3"}, "a labels custom field contains"),
    case("cf[10014] = paid", {"MKT-1", "MKT-3"}, "a labels custom field by id"),
    case('Approver = "Carol Security"', {"MKT-1"}, "a user custom field"),
    case('Approver in membersOf("security-reviewers")', {"MKT-1"}, "user custom field in a group"),
    # text search
    case("summary ~ sprout", {"MKT-1", "IT-6"}, "a word in the summary"),
    case("summary ~ SPROUT", {"MKT-1", "IT-6"}, "text search is case-insensitive"),
    case('summary ~ "sprout team"', {"MKT-1"}, "every term must occur, not adjacent"),
    case('summary ~ "\\"sprout team\\""', set(), "a quoted phrase must be adjacent"),
    case('summary ~ "\\"sprout social\\""', {"MKT-1", "IT-6"}, "a quoted phrase"),
    case("summary ~ spro", set(), "a prefix is not a word"),
    case('summary ~ "spro*"', {"MKT-1", "IT-6"}, "a trailing wildcard"),
    case('summary ~ "te?m"', {"MKT-1"}, "a single-character wildcard"),
    case('summary ~ "win*"', {"MKT-10"}, "a wildcard matches a whole word's start"),
    case('description ~ "less*"', set(), "a wildcard term does not match inside a word"),
    case('summary ~ "the social"', {"MKT-1", "MKT-3", "IT-6"}, "stop words are ignored"),
    case("description ~ hubspot", {"MKT-1"}, "a word in the description"),
    case('description ~ "e-mail"', {"IT-5"}, "a hyphenated term is a phrase"),
    case("comment ~ security", {"MKT-1", "IT-5"}, "a word in any comment"),
    case('comment ~ "\\"social contract\\""', {"MKT-3"}, "a phrase in a comment"),
    case('comment ~ "\\"pending windows\\""', set(), "a phrase does not span comments"),
    case("text ~ hubspot", {"MKT-1", "IT-5"}, "text searches summary and description"),
    case("text ~ q4", {"MKT-1", "MKT-3"}, "text searches text custom fields"),
    case("Initiative ~ plan", {"MKT-3"}, "a text custom field"),
    case('"Initiative" ~ launch', {"MKT-1", "MKT-3"}, "a quoted custom field name"),
    case("Vendor ~ sprout", {"MKT-1"}, "a string custom field supports ~"),
    case("description is EMPTY", {"MKT-2", "IT-6"}, "no description"),
    case("summary !~ sprout", {"MKT-2", "MKT-3", "MKT-10", "IT-5"}, "summary does not contain"),
    case(
        "description !~ hubspot",
        {"MKT-3", "MKT-10", "IT-5"},
        "does not contain leaves out empty fields",
    ),
    # boolean structure
    case("project = MKT AND assignee is EMPTY", {"MKT-2"}, "AND"),
    case(
        "project = IT OR labels = seo",
        {"IT-5", "IT-6", "MKT-1", "MKT-10"},
        "OR",
    ),
    case("NOT project = MKT", {"IT-5", "IT-6"}, "NOT"),
    case("!(project = MKT)", {"IT-5", "IT-6"}, "bang is NOT"),
    case(
        "project = MKT && labels = ads || sprint = 3",
        {"MKT-1", "MKT-3", "IT-6"},
        "double ampersand and double bar",
    ),
    case(
        "labels = seo OR labels = ads AND project = IT",
        {"MKT-1", "MKT-10", "IT-6"},
        "AND binds tighter than OR",
    ),
    case(
        "(labels = seo OR labels = ads) AND project = IT",
        {"IT-6"},
        "parentheses group",
    ),
    case(
        'NOT assignee = "Bob Builder"',
        ALL - {"MKT-1"},
        "NOT is the complement and includes unassigned issues",
    ),
    case("not labels = ads and project = MKT", {"MKT-2", "MKT-10"}, "NOT binds tightest"),
    case(
        "project = mkt and not statusCategory = done or key = IT-6",
        {"MKT-1", "MKT-2", "IT-6"},
        "lower-case keywords",
    ),
    case("", ALL, "an empty query matches everything"),
    case("ORDER BY key", ALL, "only an ORDER BY matches everything"),
]


@pytest.mark.parametrize(("jql", "expected"), MATCHES)
def test_matches(jql: str, expected: set[str]) -> None:
    assert keys(jql) == expected


def test_current_user_matches_nothing_when_anonymous() -> None:
    assert keys("assignee = currentUser()", FakeEnv(me=None)) == set()
    assert keys("assignee != currentUser()", FakeEnv(me=None)) == ALL - {"MKT-2", "IT-6"}


def test_matches_accepts_any_mapping_and_missing_keys_are_empty() -> None:
    q = compile_jql("assignee is EMPTY AND labels is EMPTY AND NOT summary ~ x", ENV)
    assert q.matches({"key": "MKT-99", "id": "10099"}) is True
    assert q.predicate({"key": "MKT-99", "id": "10099"}) is True


def at(when: datetime) -> dict[str, Any]:
    return {"key": "MKT-1", "id": "1", "created": when}


DATE_VALUES = [
    pytest.param("now()", NOW, id="now is the env clock"),
    pytest.param("-15m", NOW - 15 * MIN, id="minutes ago"),
    pytest.param('"-1w 2d"', NOW - 9 * DAY, id="a week and two days ago"),
    pytest.param("4h", NOW + 4 * HOUR, id="a positive period is in the future"),
    pytest.param('"2026/11/24 09:30"', datetime(2026, 11, 24, 9, 30, tzinfo=UTC), id="absolute"),
    pytest.param("startOfDay()", datetime(2026, 11, 24, tzinfo=UTC), id="start of today"),
    pytest.param("startOfDay(-1)", datetime(2026, 11, 23, tzinfo=UTC), id="start of yesterday"),
    pytest.param('startOfDay("+1d")', datetime(2026, 11, 25, tzinfo=UTC), id="start of tomorrow"),
    pytest.param('startOfDay("-2h")', datetime(2026, 11, 23, 22, tzinfo=UTC), id="hour offset"),
    pytest.param(
        "endOfDay()", datetime(2026, 11, 25, tzinfo=UTC) - timedelta(microseconds=1), id="eod"
    ),
    pytest.param(
        "endOfDay(1)",
        datetime(2026, 11, 26, tzinfo=UTC) - timedelta(microseconds=1),
        id="end of tomorrow",
    ),
    pytest.param("startOfWeek()", datetime(2026, 11, 23, tzinfo=UTC), id="Monday this week"),
    pytest.param("startOfMonth()", datetime(2026, 11, 1, tzinfo=UTC), id="first of the month"),
    pytest.param("startOfMonth(-1)", datetime(2026, 10, 1, tzinfo=UTC), id="last month"),
    pytest.param('startOfMonth("+14d")', datetime(2026, 11, 15, tzinfo=UTC), id="the fifteenth"),
    pytest.param(
        "endOfMonth()",
        datetime(2026, 12, 1, tzinfo=UTC) - timedelta(microseconds=1),
        id="end of this month",
    ),
    pytest.param(
        "endOfMonth(+1)",
        datetime(2027, 1, 1, tzinfo=UTC) - timedelta(microseconds=1),
        id="end of next month",
    ),
    pytest.param("startOfYear()", datetime(2026, 1, 1, tzinfo=UTC), id="start of the year"),
    pytest.param(
        "endOfYear(-1)",
        datetime(2026, 1, 1, tzinfo=UTC) - timedelta(microseconds=1),
        id="end of last year",
    ),
]


@pytest.mark.parametrize(("operand", "expected"), DATE_VALUES)
def test_date_values_resolve_against_the_fixed_clock(operand: str, expected: datetime) -> None:
    q = compile_jql(f"created = {operand}", ENV)
    assert q.matches(at(expected))
    assert not q.matches(at(expected + timedelta(microseconds=1)))


def error(jql: str, message: str, sentence: str) -> Any:
    return pytest.param(jql, message, id=sentence)


P = "Error in the JQL Query: "
OPS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
    "'IS' and 'IS NOT'."
)
ERRORS = [
    # syntax
    error(
        "status = To Do",
        f"{P}Expecting either 'OR' or 'AND' but got 'Do'. (line 1, character 13)",
        "a bare multi-word value is a syntax error",
    ),
    error(
        "project = MKT\nAND status = To Do",
        f"{P}Expecting either 'OR' or 'AND' but got 'Do'. (line 2, character 17)",
        "positions count lines",
    ),
    error(
        "(project = MKT",
        f"{P}Expecting ')' before the end of the query.",
        "an unclosed parenthesis",
    ),
    error(
        "(project = MKT status = Done)",
        f"{P}Expecting ')' but got 'status'. (line 1, character 16)",
        "a missing operator between clauses inside parentheses",
    ),
    error(
        "project = ",
        f"{P}Expecting either a value, list or function before the end of the query.",
        "a missing value",
    ),
    error(
        "project MKT",
        f"{P}Expecting operator but got 'MKT'. {OPS} (line 1, character 9)",
        "a missing operator",
    ),
    error(
        "project = MKT AND",
        f"{P}Expecting either a field name, 'NOT' or '(' before the end of the query.",
        "a dangling AND",
    ),
    error(
        'summary ~ "sprout',
        f"{P}The quoted string 'sprout' has not been completed. (line 1, character 11)",
        "an unterminated string",
    ),
    error(
        "labels = AND",
        f"{P}Expecting either a value, list or function but got 'AND'. You must surround 'AND' "
        "in quotation marks to use it as a value. (line 1, character 10)",
        "a keyword as a value",
    ),
    error(
        "labels = [x]",
        f"{P}The character '[' is a reserved JQL character. You must enclose it in a string or "
        "use the escape '\\u005b' instead. (line 1, character 10)",
        "a reserved character",
    ),
    error(
        'summary ~ "a\\qb"',
        f"{P}The escape sequence '\\q' is illegal. (line 1, character 13)",
        "an illegal escape",
    ),
    error("ORDER BY", f"{P}Expecting a field name before the end of the query.", "empty ORDER BY"),
    error(
        "project = MKT ORDER created",
        f"{P}Expecting 'BY' but got 'created'. (line 1, character 21)",
        "ORDER without BY",
    ),
    error(
        "(" * 2000 + "key = MKT-1" + ")" * 2000,
        f"{P}The query is nested too deeply.",
        "absurd nesting is an error, not a crash",
    ),
    # unsupported by the sandbox
    error(
        "assignee was bob",
        f"{P}The 'WAS' operator is not supported by the sandbox.",
        "WAS is not supported",
    ),
    error(
        "status was not in (Done)",
        f"{P}The 'WAS NOT IN' operator is not supported by the sandbox.",
        "WAS NOT IN is not supported",
    ),
    error(
        "status CHANGED",
        f"{P}The 'CHANGED' operator is not supported by the sandbox.",
        "CHANGED is not supported",
    ),
    error(
        "key in linkedIssues(MKT-1)",
        f"{P}The function 'linkedIssues' is not supported by the sandbox.",
        "a Jira function the sandbox lacks",
    ),
    error(
        "issue.property[x].y = 1",
        f"{P}The field reference 'issue.property[x].y' is not supported by the sandbox "
        "(only cf[NNNNN] is).",
        "entity properties are not supported",
    ),
    error(
        "parent = 10003",
        f"{P}Searching 'parent' by issue id is not supported by the sandbox; use the issue key.",
        "parent by id is not supported",
    ),
    # validation
    error(
        "foo = bar",
        "Field 'foo' does not exist or you do not have permission to view it.",
        "an unknown field",
    ),
    error(
        "project = MKT ORDER BY foo",
        "Field 'foo' does not exist or you do not have permission to view it.",
        "an unknown field in ORDER BY",
    ),
    error("ORDER BY text", "Not able to sort using field 'text'.", "text cannot be sorted"),
    error(
        "project = NOPE",
        "The value 'NOPE' does not exist for the field 'project'.",
        "an unknown project",
    ),
    error(
        "assignee = nobody@example.com",
        "The value 'nobody@example.com' does not exist for the field 'assignee'.",
        "an unknown user",
    ),
    error("sprint = 99", "The value '99' does not exist for the field 'sprint'.", "no sprint"),
    error(
        "statusCategory = Blocked",
        "The value 'Blocked' does not exist for the field 'statusCategory'.",
        "an unknown status category",
    ),
    error(
        "assignee in membersOf(nobody)",
        "The value 'nobody' does not exist for the field 'membersOf'.",
        "an unknown group",
    ),
    error(
        "assignee = frobnicate()",
        "Unable to find JQL function 'frobnicate()'.",
        "an unknown function",
    ),
    error(
        "created > startOfDay(1, 2)",
        "Function 'startOfDay' expected between '0' and '1' arguments but got '2'.",
        "too many function arguments",
    ),
    error(
        "status = now()",
        "A value provided by the function 'now' is invalid for the field 'status'.",
        "a function of the wrong type",
    ),
    error(
        "assignee = membersOf(marketing)",
        "The function 'membersOf' returns a list and can only be used with the operators 'in' "
        "and 'not in'.",
        "a list function with equals",
    ),
    error(
        "summary = sprout",
        "The operator '=' is not supported by the 'summary' field.",
        "equals on a text field",
    ),
    error(
        "Vendor = sprout",
        "The operator '=' is not supported by the 'Vendor' field.",
        "equals on a string custom field",
    ),
    error(
        "status ~ done",
        "The operator '~' is not supported by the 'status' field.",
        "contains on a name field",
    ),
    error(
        "status > Done",
        "The operator '>' is not supported by the 'status' field.",
        "ordering statuses",
    ),
    error(
        "rank = 1", "The operator '=' is not supported by the 'rank' field.", "rank is sort-only"
    ),
    error(
        'created > "yesterday"',
        "Date value 'yesterday' for field 'created' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format "
        "e.g. '-5d', '4w 2d'.",
        "an invalid date",
    ),
    error(
        'created > "2026-02-30"',
        "Date value '2026-02-30' for field 'created' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format "
        "e.g. '-5d', '4w 2d'.",
        "a date that does not exist",
    ),
    error("key = foo", "The issue key 'foo' for field 'key' is invalid.", "a malformed key"),
    error(
        "Cost > lots",
        "The value 'lots' is not a valid number for the field 'Cost'.",
        "a malformed number",
    ),
    error(
        "assignee is bob",
        "The operator 'is' only supports EMPTY or NULL as its value.",
        "is with a value",
    ),
    error(
        "labels in seo",
        "The operator 'in' requires a list, e.g. (a, b), or a function.",
        "in without a list",
    ),
    error(
        "labels = (a, b)",
        "The operator '=' does not support the use of lists; use 'in'.",
        "equals with a list",
    ),
    error(
        "Cost > EMPTY",
        "The operator '>' does not support searching for EMPTY values.",
        "ordering against EMPTY",
    ),
    error(
        'summary ~ "*prout"',
        "The text query '*prout' for field 'summary' is not allowed to start with a wildcard.",
        "a leading wildcard",
    ),
    error(
        'summary ~ ""',
        "The field 'summary' does not support searching for an empty string.",
        "an empty text search",
    ),
]


@pytest.mark.parametrize(("jql", "message"), ERRORS)
def test_errors(jql: str, message: str) -> None:
    with pytest.raises(JqlError) as info:
        compile_jql(jql, ENV)
    assert str(info.value) == message


def test_error_carries_the_offset_of_the_culprit() -> None:
    with pytest.raises(JqlError) as info:
        compile_jql("status = To Do", ENV)
    assert info.value.position == 12


ORDERS = [
    pytest.param(
        "",
        ["MKT-10", "MKT-2", "IT-6", "MKT-3", "IT-5", "MKT-1"],
        id="without ORDER BY newest first and ties by key",
    ),
    pytest.param(
        "ORDER BY key",
        ["IT-5", "IT-6", "MKT-1", "MKT-2", "MKT-3", "MKT-10"],
        id="keys sort by project then number",
    ),
    pytest.param(
        "order by KEY desc",
        ["MKT-10", "MKT-3", "MKT-2", "MKT-1", "IT-6", "IT-5"],
        id="descending keys, keywords in any case",
    ),
    pytest.param(
        "ORDER BY duedate ASC",
        ["MKT-2", "MKT-1", "IT-5", "IT-6", "MKT-3", "MKT-10"],
        id="EMPTY sorts last when ascending",
    ),
    pytest.param(
        "ORDER BY duedate DESC",
        ["IT-6", "MKT-3", "MKT-10", "IT-5", "MKT-1", "MKT-2"],
        id="EMPTY sorts first when descending",
    ),
    pytest.param(
        "project = MKT ORDER BY Cost DESC, key",
        ["MKT-3", "MKT-1", "MKT-2", "MKT-10"],
        id="a custom number field descending",
    ),
    pytest.param(
        "ORDER BY statusCategory, priority DESC",
        ["IT-6", "MKT-1", "MKT-2", "IT-5", "MKT-10", "MKT-3"],
        id="status category in workflow order then a second key",
    ),
    pytest.param(
        'ORDER BY "Launch date" DESC, created',
        ["MKT-1", "IT-5", "IT-6", "MKT-3", "MKT-10", "MKT-2"],
        id="a quoted date custom field",
    ),
    pytest.param(
        "ORDER BY rank",
        ["MKT-1", "IT-5", "MKT-3", "MKT-2", "IT-6", "MKT-10"],
        id="rank is sortable",
    ),
]


@pytest.mark.parametrize(("jql", "expected"), ORDERS)
def test_order_by(jql: str, expected: list[str]) -> None:
    assert ordered(jql) == expected


@pytest.mark.parametrize(("jql", "expected"), ORDERS)
def test_sort_key_gives_the_same_order_as_sort(jql: str, expected: list[str]) -> None:
    q = compile_jql(jql, ENV)
    assert [r["key"] for r in sorted(q.filter(ROWS), key=q.sort_key)] == expected


def test_order_by_names_row_keys_and_directions() -> None:
    q = compile_jql("project = MKT ORDER BY updated DESC, cf[10010], Initiative ASC", ENV)
    assert isinstance(q, Query)
    assert q.jql == "project = MKT ORDER BY updated DESC, cf[10010], Initiative ASC"
    assert q.order_by == (
        ("updated", False),
        ("customfield_10010", True),
        ("customfield_10011", True),
    )
    assert (
        compile_jql("project = MKT", ENV).order_by
        == DEFAULT_ORDER
        == (
            ("created", False),
            ("key", True),
        )
    )


def test_the_clock_is_read_once_at_compile_time() -> None:
    calls = []

    class CountingEnv(FakeEnv):
        def now(self) -> datetime:
            calls.append(1)
            return NOW

    q = compile_jql("updated >= -15m AND created < startOfDay() AND duedate < 1d", CountingEnv())
    q.filter(ROWS)
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("name", "spec"),
    [
        pytest.param("Type", FieldSpec("issuetype", "option"), id="type is issuetype"),
        pytest.param("fixVersion", FieldSpec("fixVersions", "multi"), id="fixVersion"),
        pytest.param("resolved", FieldSpec("resolutiondate", "date"), id="resolved"),
        pytest.param("statusCategory", FieldSpec("statusCategory", "category"), id="category"),
        pytest.param("nonsense", None, id="unknown names are None"),
    ],
)
def test_system_field_knows_jql_names(name: str, spec: FieldSpec | None) -> None:
    assert system_field(name) == spec


def test_an_id_kind_is_an_alias_of_key() -> None:
    class IdEnv(FakeEnv):
        def field(self, name: str) -> FieldSpec | None:
            return FieldSpec("key", "id") if name == "id" else super().field(name)

    assert keys("id in (10001, MKT-2)", IdEnv()) == {"MKT-1", "MKT-2"}
