"""The built-in demo seed keeps every promise INTERFACES.md makes, and tells a consistent story.

Also: the scaled seeds of ``sandbox.generate`` are deterministic, well-formed and quick to build.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bridgeplugin.sandbox.accounts import Accounts
from bridgeplugin.sandbox.generate import scaled_seed, scaled_seed_document
from bridgeplugin.sandbox.seed import Seed, SeedIssue, SeedWorkflow, load_seed, parse_seed

CLOCK = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
BUSINESS_GROUPS = ("marketing", "it-architecture", "security-reviewers")


@pytest.fixture(scope="module")
def demo() -> Seed:
    return load_seed("demo")


@pytest.fixture(scope="module")
def accounts(demo: Seed) -> Accounts:
    return Accounts.from_seed(demo)


# --- helpers that take a seed apart --------------------------------------------------------


def user_id(accounts: Accounts, ref: str) -> str:
    acc = accounts.find(ref)
    assert acc is not None, f"unknown user {ref!r}"
    return acc.account_id


def workflow_of(seed: Seed, issue: SeedIssue) -> SeedWorkflow:
    project = next(p for p in seed.projects if p.key == issue.project)
    name = project.workflows.get(issue.type, project.workflow)
    return next(w for w in seed.workflows if w.name == name)


def workflow_named(seed: Seed, name: str) -> SeedWorkflow:
    return next(w for w in seed.workflows if w.name == name)


def transitions_between(wf: SeedWorkflow, src: str, dst: str) -> list:
    return [t for t in wf.transitions if t.to == dst and (not t.from_ or src in t.from_)]


def initial_status(wf: SeedWorkflow) -> str:
    return wf.initial or wf.statuses[0].name


def by_key(seed: Seed) -> dict[str, SeedIssue]:
    return {i.key: i for i in seed.issues}


def group_ids(seed: Seed, accounts: Accounts, name: str) -> set[str]:
    group = next(g for g in seed.groups if g.name == name)
    return {user_id(accounts, m) for m in group.members}


def status_changes(issue: SeedIssue) -> list[tuple[str, str | None, str | None, datetime]]:
    return [
        (c.author, item.from_, item.to, c.created)
        for c in issue.changelog
        for item in c.items
        if item.field == "status"
    ]


def basic(email: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()


# --- site, users, groups ---------------------------------------------------------------------


def test_demo_seed_loads_by_name_with_a_fixed_clock(demo):
    assert demo.site.clock == CLOCK
    assert demo.site.default_token == "sandbox-token"
    assert 40 <= len(demo.issues) <= 60


def test_every_demo_user_signs_in_with_the_sandbox_token(demo, accounts):
    for user in demo.users:
        assert user.active
        assert accounts.authenticate(basic(user.email, "sandbox-token")) is not None, user.email
    assert accounts.authenticate(basic("priya@example.com", "wrong")) is None


def test_users_are_unique_and_look_like_atlassian_accounts(demo):
    ids = [u.account_id for u in demo.users]
    emails = [u.email for u in demo.users]
    assert len(set(ids)) == len(ids)
    assert len(set(emails)) == len(emails)
    for u in demo.users:
        prefix, _, rest = u.account_id.rpartition(":")
        if prefix:
            assert prefix in ("557058", "712020") and len(rest) == 36, u.account_id
        else:
            assert len(rest) == 24 and int(rest, 16) >= 0, u.account_id
        first = u.display_name.split()[0].lower().replace("é", "e")
        assert u.email == f"{first}@example.com" or u.email == "admin@example.com"


def test_business_groups_have_two_members_each_and_share_nobody(demo, accounts):
    names = {g.name for g in demo.groups}
    assert set(BUSINESS_GROUPS) <= names
    seen: dict[str, str] = {}
    for name in BUSINESS_GROUPS:
        members = group_ids(demo, accounts, name)
        assert len(members) >= 2, name
        for m in members:
            assert m not in seen, f"{m} is in {seen.get(m)} and {name}"
            seen[m] = name
    assert len(group_ids(demo, accounts, "marketing")) >= 8


def test_admin_is_a_site_admin_in_no_business_group(demo, accounts):
    admin = accounts.find("admin@example.com")
    assert admin is not None and admin.site_admin
    assert not set(accounts.groups_of(admin.account_id)) & set(BUSINESS_GROUPS)
    assert [u.email for u in demo.users if u.site_admin] == ["admin@example.com"]


# --- projects, workflows, fields -------------------------------------------------------------


def test_issue_types_task_story_epic_and_subtask(demo):
    types = {t.name: t for t in demo.issue_types}
    assert {"Task", "Story", "Epic", "Sub-task"} <= set(types)
    assert types["Sub-task"].subtask and types["Sub-task"].hierarchy_level == -1
    assert types["Epic"].hierarchy_level == 1
    for p in demo.projects:
        assert set(p.issue_types) <= set(types), p.key
        assert p.workflow in {w.name for w in demo.workflows}
        assert set(p.workflows.values()) <= {w.name for w in demo.workflows}


def test_projects_mkt_business_and_it_software(demo):
    projects = {p.key: p for p in demo.projects}
    assert projects["MKT"].type == "business"
    assert projects["IT"].type == "software"
    assert {"Task", "Epic", "Sub-task"} <= set(projects["MKT"].issue_types)
    assert {"Task", "Story", "Epic", "Sub-task"} <= set(projects["IT"].issue_types)


def test_mkt_request_workflow_goes_forward_and_back(demo):
    mkt = next(p for p in demo.projects if p.key == "MKT")
    wf = workflow_named(demo, mkt.workflow)
    assert [s.name for s in wf.statuses] == ["To Do", "In Review", "Approved", "Done"]
    assert initial_status(wf) == "To Do"
    forward = [("To Do", "In Review"), ("In Review", "Approved"), ("Approved", "Done")]
    back = [("In Review", "To Do"), ("Approved", "In Review"), ("Done", "In Review")]
    for src, dst in forward + back:
        assert transitions_between(wf, src, dst), f"no transition {src} -> {dst}"
    (complete,) = transitions_between(wf, "Approved", "Done")
    assert complete.resolution == "Done"
    (reopen,) = transitions_between(wf, "Done", "In Review")
    assert reopen.resolution is None
    names = [t.name for t in wf.transitions]
    assert len(names) == len(set(names))
    assert {"Submit for review", "Approve", "Send back", "Complete", "Reopen"} <= set(names)


def test_it_and_subtask_workflows(demo):
    it = next(p for p in demo.projects if p.key == "IT")
    wf = workflow_named(demo, it.workflow)
    assert [s.name for s in wf.statuses] == ["To Do", "In Progress", "Done"]
    sub = workflow_named(demo, it.workflows["Sub-task"])
    mkt = next(p for p in demo.projects if p.key == "MKT")
    assert mkt.workflows["Sub-task"] == sub.name
    resolutions = {t.resolution for t in sub.transitions if t.to == "Done"}
    assert {"Approved", "Rejected", "Done", "Won't Do"} <= resolutions
    for w in demo.workflows:
        statuses = {s.name for s in w.statuses}
        for t in w.transitions:
            assert t.to in statuses and set(t.from_) <= statuses, (w.name, t.name)
            # a resolution exactly when a transition lands in a done status
            done = next(s for s in w.statuses if s.name == t.to).category == "done"
            assert (t.resolution is not None) == done, (w.name, t.name)


def test_custom_fields_cost_number_and_initiative_string(demo):
    fields = {f.name: f for f in demo.fields}
    assert fields["Cost"].type == "number"
    assert fields["Initiative"].type == "string"
    assert fields["Monthly cost"].type == "number"
    assert fields["Requested by"].type == "user"
    ids = [f.id for f in demo.fields]
    assert len(set(ids)) == len(ids) and all(i and i.startswith("customfield_") for i in ids)


# --- board and sprints -----------------------------------------------------------------------


def test_it_scrum_board_has_closed_active_and_future_two_week_sprints(demo):
    (board,) = [b for b in demo.boards if b.project == "IT"]
    assert board.type == "scrum"
    sprints = sorted((s for s in demo.sprints if s.board == board.id), key=lambda s: s.start)
    states = Counter(s.state for s in sprints)
    assert states["closed"] >= 3 and states["active"] == 1 and states["future"] >= 1
    assert [s.state for s in sprints] == sorted(
        (s.state for s in sprints), key=["closed", "active", "future"].index
    )
    for prev, nxt in itertools.pairwise(sprints):
        assert prev.end <= nxt.start
    for s in sprints:
        assert s.end - s.start == timedelta(days=14), s.name
        assert (s.complete is not None) == (s.state == "closed")
        if s.state == "closed":
            assert s.start < s.complete <= s.end <= CLOCK
        if s.state == "active":
            assert s.start <= CLOCK < s.end
        if s.state == "future":
            assert s.start >= CLOCK
    assert len({s.id for s in demo.sprints}) == len(demo.sprints)


# --- confluence ------------------------------------------------------------------------------


def test_bridge_space_has_a_home_page_and_a_reports_parent(demo, accounts):
    (space,) = [s for s in demo.confluence.spaces if s.key == "BRIDGE"]
    titles = [p.title for p in space.pages]
    assert len(set(titles)) == len(titles)
    roots = [p for p in space.pages if p.parent is None]
    assert len(roots) == 1
    reports = next(p for p in space.pages if p.title == "Marketing x IT reports")
    assert reports.parent == roots[0].title
    for p in space.pages:
        assert p.parent is None or p.parent in titles
        assert p.author is None or accounts.find(p.author) is not None


# --- issues: every reference resolves ---------------------------------------------------------


def test_issue_keys_are_explicit_unique_and_sequential_per_project(demo):
    keys = [i.key for i in demo.issues]
    assert all(keys) and len(set(keys)) == len(keys)
    for project in ("MKT", "IT"):
        numbers = [int(i.key.split("-")[1]) for i in demo.issues if i.project == project]
        assert numbers == list(range(1, len(numbers) + 1)), project
        assert all(i.key.startswith(project + "-") for i in demo.issues if i.project == project)


def test_every_person_named_on_an_issue_exists(demo, accounts):
    for i in demo.issues:
        people = [i.reporter, i.creator, i.assignee]
        people += [c.author for c in i.comments]
        people += [w.author for w in i.worklogs]
        people += [c.author for c in i.changelog]
        for ref in filter(None, people):
            assert accounts.find(ref) is not None, (i.key, ref)
        assert i.reporter, i.key


def test_issue_types_parents_and_sprints_follow_jira_rules(demo):
    issues = by_key(demo)
    types = {t.name: t for t in demo.issue_types}
    projects = {p.key: p for p in demo.projects}
    sprints = {s.id: s for s in demo.sprints}
    boards = {b.id: b for b in demo.boards}
    for i in demo.issues:
        assert i.type in projects[i.project].issue_types, i.key
        level = types[i.type].hierarchy_level
        if types[i.type].subtask:
            parent = issues[i.parent]
            assert parent.project == i.project, i.key
            assert types[parent.type].hierarchy_level == 0, i.key
        elif i.parent is not None:
            assert level == 0, i.key
            assert issues[i.parent].type == "Epic", i.key
        if i.sprint is not None:
            assert boards[sprints[i.sprint].board].project == i.project, i.key
            assert level == 0, f"{i.key}: only standard issues go into sprints"
        assert set(i.components) <= set(projects[i.project].components), i.key
        for link in i.links:
            assert link.to in issues and link.to != i.key, i.key
            assert link.type in {t.name for t in demo.link_types}, i.key


def test_custom_field_values_match_their_declared_types(demo, accounts):
    fields = {f.name: f for f in demo.fields}
    for i in demo.issues:
        for name, value in i.fields.items():
            assert name in fields, (i.key, name)
            kind = fields[name].type
            if kind == "number":
                assert isinstance(value, int | float) and value >= 0, (i.key, name)
            elif kind == "string":
                assert isinstance(value, str) and value, (i.key, name)
            elif kind == "labels":
                assert isinstance(value, list) and all(" " not in v for v in value), i.key
            elif kind == "user":
                assert accounts.find(value) is not None, (i.key, value)


def test_statuses_belong_to_the_workflow_and_resolution_matches_category(demo):
    for i in demo.issues:
        wf = workflow_of(demo, i)
        categories = {s.name: s.category for s in wf.statuses}
        assert i.status in categories, (i.key, i.status)
        assert (i.resolution is not None) == (categories[i.status] == "done"), i.key


def test_changelog_replays_from_the_initial_status_through_real_transitions(demo):
    for i in demo.issues:
        wf = workflow_of(demo, i)
        status, resolution = initial_status(wf), None
        for entry in i.changelog:
            items = {item.field: item for item in entry.items}
            assert set(items) <= {"status", "resolution"}, i.key
            change = items["status"]
            assert change.from_ == status, (i.key, entry.created)
            new_resolution = items["resolution"].to if "resolution" in items else resolution
            candidates = transitions_between(wf, status, change.to)
            matching = [t for t in candidates if t.resolution == new_resolution]
            assert matching, f"{i.key}: no transition {status} -> {change.to} ({new_resolution})"
            transition = matching[0]
            if transition.resolution != resolution:
                assert items["resolution"].from_ == resolution, i.key
                assert items["resolution"].to == transition.resolution, i.key
            else:
                assert "resolution" not in items, i.key
            status, resolution = change.to, transition.resolution
        assert (status, resolution) == (i.status, i.resolution), i.key


def test_dates_are_ordered_and_in_the_past(demo):
    for i in demo.issues:
        assert i.created is not None and i.updated is not None, i.key
        assert i.created <= i.updated <= CLOCK, i.key
        events = [c.created for c in i.changelog] + [c.created for c in i.comments]
        for when in events:
            assert i.created <= when <= i.updated, (i.key, when)
        assert [c.created for c in i.changelog] == sorted(c.created for c in i.changelog)
        for w in i.worklogs:
            assert i.created <= w.started and w.started + timedelta(seconds=w.seconds) <= CLOCK
            assert 0 < w.seconds <= 12 * 3600, i.key


def test_done_sprint_work_was_finished_inside_its_sprint(demo):
    sprints = {s.id: s for s in demo.sprints}
    for i in demo.issues:
        if i.sprint is None:
            continue
        sprint = sprints[i.sprint]
        if sprint.state == "closed":
            assert i.status == "Done", f"{i.key} left open in closed {sprint.name}"
            done_at = status_changes(i)[-1][3]
            assert sprint.start - timedelta(days=3) <= done_at <= sprint.complete, i.key
        if sprint.state == "future":
            assert i.status == "To Do", i.key


# --- the story: governance cases other code relies on ----------------------------------------


def reviews_of(seed: Seed, key: str) -> dict[str, SeedIssue]:
    out = {}
    for i in seed.issues:
        if i.parent == key and i.type == "Sub-task":
            for label in i.labels:
                if label.startswith("review-"):
                    out[label.removeprefix("review-")] = i
    return out


def closed_by(issue: SeedIssue) -> str:
    return next(a for a, _, to, _ in reversed(status_changes(issue)) if to == "Done")


def approved_by(issue: SeedIssue) -> str:
    return next(a for a, _, to, _ in reversed(status_changes(issue)) if to == "Approved")


def test_review_subtasks_are_labelled_and_named_after_their_request(demo):
    issues = by_key(demo)
    for i in demo.issues:
        kinds = [x.removeprefix("review-") for x in i.labels if x.startswith("review-")]
        if kinds:
            assert i.type == "Sub-task" and kinds[0] in ("integration", "security"), i.key
            prefix = {"integration": "Integration review: ", "security": "Security review: "}
            assert i.summary == prefix[kinds[0]] + issues[i.parent].summary, i.key


def test_mkt2_reviews_were_given_by_the_right_groups(demo, accounts):
    request = by_key(demo)["MKT-2"]
    assert request.status == "Approved"
    reviews = reviews_of(demo, "MKT-2")
    expect = {"integration": "it-architecture", "security": "security-reviewers"}
    assert set(reviews) == set(expect)
    for kind, group in expect.items():
        review = reviews[kind]
        assert (review.status, review.resolution) == ("Done", "Approved")
        assert user_id(accounts, closed_by(review)) in group_ids(demo, accounts, group)
        assert review.changelog[-1].created < request.changelog[-1].created
    assert user_id(accounts, approved_by(request)) != user_id(accounts, request.reporter)


def test_mkt5_was_approved_without_any_review(demo):
    request = by_key(demo)["MKT-5"]
    assert request.status == "Approved"
    assert not [i for i in demo.issues if i.parent == "MKT-5"]
    assert request.fields["Initiative"] == "Autumn campaign 2026"


def test_mkt6_security_review_was_closed_by_someone_outside_the_group(demo, accounts):
    request = by_key(demo)["MKT-6"]
    assert request.status == "Approved"
    security = reviews_of(demo, "MKT-6")["security"]
    assert (security.status, security.resolution) == ("Done", "Approved")
    closer = user_id(accounts, closed_by(security))
    assert closer not in group_ids(demo, accounts, "security-reviewers")
    assert closer in group_ids(demo, accounts, "it-architecture")
    integration = reviews_of(demo, "MKT-6")["integration"]
    assert user_id(accounts, closed_by(integration)) in group_ids(demo, accounts, "it-architecture")


def test_mkt12_was_approved_by_its_own_reporter(demo, accounts):
    request = by_key(demo)["MKT-12"]
    assert request.status == "Approved"
    assert user_id(accounts, approved_by(request)) == user_id(accounts, request.reporter)
    assert user_id(accounts, request.reporter) in group_ids(demo, accounts, "marketing")
    assert {r.resolution for r in reviews_of(demo, "MKT-12").values()} == {"Approved"}


def test_mkt9_reviews_are_still_open_and_mkt24_was_declined(demo):
    assert {r.status for r in reviews_of(demo, "MKT-9").values()} == {"In Progress", "To Do"}
    declined = by_key(demo)["MKT-24"]
    assert (declined.status, declined.resolution) == ("Done", "Won't Do")


def test_statuses_are_spread_across_the_request_workflow(demo):
    requests = [i for i in demo.issues if i.project == "MKT" and i.type == "Task"]
    counts = Counter(i.status for i in requests)
    assert all(counts[s] >= 4 for s in ("To Do", "In Review", "Approved", "Done")), counts


def test_marketing_people_filed_issues_in_the_it_project(demo, accounts):
    marketing = group_ids(demo, accounts, "marketing")
    filed = [
        i.key
        for i in demo.issues
        if i.project == "IT" and user_id(accounts, i.reporter) in marketing
    ]
    assert len(filed) >= 2 and "IT-17" in filed


def test_two_initiatives_span_both_projects_with_costs_and_worklogs(demo, accounts):
    marketing = group_ids(demo, accounts, "marketing")
    it_people = group_ids(demo, accounts, "it-architecture") | group_ids(
        demo, accounts, "it-service-desk"
    )
    initiatives = Counter(i.fields.get("Initiative") for i in demo.issues)
    del initiatives[None]
    assert set(initiatives) == {"Customer data platform", "Autumn campaign 2026"}
    for name in initiatives:
        issues = [i for i in demo.issues if i.fields.get("Initiative") == name]
        assert {i.project for i in issues} == {"MKT", "IT"}, name
        assert sum(i.fields.get("Cost", 0) for i in issues) > 0, name
        loggers = {user_id(accounts, w.author) for i in issues for w in i.worklogs}
        assert loggers & marketing and loggers & it_people, name
        assert any(i.sprint for i in issues), name
    assert not [i for i in demo.issues if i.type == "Epic" and "Initiative" in i.fields]


def test_demo_seed_round_trips_as_a_json_document(demo):
    doc = json.loads(json.dumps(demo.model_dump(mode="json", by_alias=True)))
    assert parse_seed(doc) == demo


# --- scaled seeds ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def thousand(demo) -> Seed:
    return scaled_seed(1000, base=demo, truth=True)


def test_scaled_seed_is_deterministic_per_seed(demo, thousand):
    assert scaled_seed(1000, base=demo, truth=True) == thousand
    other = scaled_seed(1000, seed=1, base=demo, truth=True)
    assert [i.summary for i in other.issues] != [i.summary for i in thousand.issues]


def test_scaled_seed_keeps_the_demo_site_and_replaces_its_issues(demo, thousand):
    for part in ("users", "groups", "fields", "workflows", "projects", "boards", "sprints"):
        assert getattr(thousand, part) == getattr(demo, part), part
    assert thousand.confluence == demo.confluence
    assert len(thousand.issues) == 1000
    assert not [i for i in thousand.issues if i in demo.issues]
    assert scaled_seed(0, base=demo).issues == []


def test_scaled_seed_has_the_promised_mix(demo, accounts, thousand):
    projects = Counter(i.project for i in thousand.issues)
    assert 0.55 <= projects["MKT"] / 1000 <= 0.65, projects
    truth = [i.properties["sandbox-truth"] for i in thousand.issues]
    mkt_truth = [t for t, i in zip(truth, thousand.issues, strict=True) if i.project == "MKT"]
    tech = sum(t["tech_request"] for t in mkt_truth) / len(mkt_truth)
    assert 0.4 <= tech <= 0.65, tech
    categories = Counter(t["category"] for t in truth if t["category"])
    assert len(categories) == 8 and min(categories.values()) >= 10, categories
    for project in ("MKT", "IT"):
        statuses = Counter(i.status for i in thousand.issues if i.project == project)
        wf = workflow_of(thousand, next(i for i in thousand.issues if i.project == project))
        assert set(statuses) == {s.name for s in wf.statuses}, project
        assert min(statuses.values()) >= 50, statuses
    it = [i for i in thousand.issues if i.project == "IT"]
    assert Counter(i.type for i in it).keys() >= {"Task", "Story", "Bug", "Epic"}
    assert sum(i.sprint is not None for i in it) / len(it) > 0.5
    sprints = {s.id: s for s in thousand.sprints}
    in_sprints = Counter((sprints[i.sprint].state, i.status) for i in it if i.sprint)
    assert {state for state, _ in in_sprints} == {"closed", "active", "future"}
    assert {status for state, status in in_sprints if state == "closed"} == {"Done"}
    assert {status for state, status in in_sprints if state == "future"} == {"To Do"}
    assert in_sprints["closed", "Done"] > in_sprints["active", "Done"]
    assert any(i.parent for i in it)
    marketing = group_ids(demo, accounts, "marketing")
    assert any(user_id(accounts, i.reporter) in marketing for i in it)
    with_initiative = [i for i in thousand.issues if "Initiative" in i.fields]
    assert 0.08 <= len(with_initiative) / 1000 <= 0.2
    assert {i.project for i in with_initiative} == {"MKT", "IT"}
    assert sum("Cost" in i.fields for i in thousand.issues) > 100
    assert not any(i.comments or i.worklogs or i.changelog for i in thousand.issues)
    assert len({i.summary for i in thousand.issues}) > 300


def check_scaled_site(seed: Seed) -> None:
    """The same reference rules the demo obeys, for a generated site."""
    seed = seed.model_copy()
    for test in (
        test_issue_keys_are_explicit_unique_and_sequential_per_project,
        test_issue_types_parents_and_sprints_follow_jira_rules,
        test_statuses_belong_to_the_workflow_and_resolution_matches_category,
    ):
        test(seed)
    accounts = Accounts.from_seed(seed)
    test_every_person_named_on_an_issue_exists(seed, accounts)
    test_custom_field_values_match_their_declared_types(seed, accounts)


def test_scaled_seed_obeys_the_same_reference_rules_as_the_demo(thousand):
    check_scaled_site(thousand)


def test_scaled_seed_with_history_replays_through_the_workflows(demo, accounts):
    site = scaled_seed(500, seed=3, base=demo, with_history=True)
    check_scaled_site(site)
    test_changelog_replays_from_the_initial_status_through_real_transitions(site)
    test_dates_are_ordered_and_in_the_past(site)
    assert sum(bool(i.changelog) for i in site.issues) > 200
    assert sum(bool(i.worklogs) for i in site.issues) > 50
    assert any(i.comments for i in site.issues)
    for i in site.issues:
        for author, _, to, _ in status_changes(i):
            if to == "Approved":
                assert user_id(accounts, author) != user_id(accounts, i.reporter), i.key


def test_scaled_seed_document_parses_to_the_same_seed(demo):
    for history in (False, True):
        doc = scaled_seed_document(300, seed=5, base=demo, with_history=history, truth=True)
        doc = json.loads(json.dumps(doc))  # JSON-able, as POST /_sandbox/seed receives it
        expected = scaled_seed(300, seed=5, base=demo, with_history=history, truth=True)
        assert parse_seed(doc) == expected
        assert doc["site"]["clock"] == "2026-11-24T09:00:00Z"


def test_scaled_seed_leaves_out_the_truth_unless_asked(demo):
    assert not any(i.properties for i in scaled_seed(200, base=demo).issues)


def test_scaled_seed_builds_20000_issues(demo):
    site = scaled_seed(20_000, seed=11, base=demo)
    assert len(site.issues) == 20_000
    keys = Counter(i.key.split("-")[0] for i in site.issues)
    assert keys["MKT"] + keys["IT"] == 20_000 and 11_000 < keys["MKT"] < 13_000
    assert site.issues[-1].created is not None


def test_scaled_seed_needs_a_business_and_a_software_project(demo):
    base = demo.model_copy(update={"projects": [p for p in demo.projects if p.key != "MKT"]})
    with pytest.raises(ValueError, match="business"):
        scaled_seed(10, base=base)
    with pytest.raises(ValueError):
        scaled_seed(-1, base=demo)
