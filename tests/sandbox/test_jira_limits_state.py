"""Per-issue write limits (429 with Retry-After and RateLimit-Reason) and persistence of the
whole Jira state (``--state``) of the fake Jira."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jira
import pytest
from test_jira_support import (
    IVAN,
    body,
    client,
    fresh,
    make_seed,
    rest,
    sandbox,
)

from bridgeplugin.sandbox.accounts import Accounts
from bridgeplugin.sandbox.clock import Clock
from bridgeplugin.sandbox.jira.state import JiraState
from bridgeplugin.sandbox.server import RunningSandbox

pytestmark = pytest.mark.sandbox


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSandbox]:
    with sandbox() as running:
        yield running


@pytest.fixture
def sb(server: RunningSandbox) -> RunningSandbox:
    return fresh(server)


@pytest.fixture
def tick(sb: RunningSandbox) -> FakeMonotonic:
    """Drive the write-limit windows by hand instead of sleeping."""
    fake = FakeMonotonic()
    sb.app.site.jira.limiter._now = fake
    return fake


def put_property(sb: RunningSandbox, key: str, n: int) -> object:
    return rest(sb, "PUT", f"/rest/api/2/issue/{key}/properties/p", json={"n": n})


def test_the_21st_write_within_2_seconds_is_429(sb: RunningSandbox, tick: FakeMonotonic) -> None:
    statuses = [put_property(sb, "MKT-2", n).status_code for n in range(20)]
    assert statuses == [201] + [200] * 19
    tick.now += 0.5
    limited = put_property(sb, "MKT-2", 20)
    assert limited.status_code == 429
    assert limited.headers["RateLimit-Reason"] == "jira-per-issue-on-write"
    assert limited.headers["Retry-After"] == "2"  # 1.5 s left, rounded up
    assert body(limited)["errorMessages"] == ["Rate limit exceeded."]
    # Other issues are not affected; the limited issue is fine once the window has passed.
    assert put_property(sb, "MKT-1", 0).status_code == 201
    tick.now += 1.6
    assert put_property(sb, "MKT-2", 21).status_code == 200


def test_the_101st_write_within_30_seconds_is_429(sb: RunningSandbox, tick: FakeMonotonic) -> None:
    for _ in range(5):
        for n in range(20):
            assert put_property(sb, "MKT-2", n).status_code in (200, 201)
        tick.now += 2.5
    limited = put_property(sb, "MKT-2", 100)
    assert limited.status_code == 429
    # The first write of the 30 s window was 12.5 s ago.
    assert limited.headers["Retry-After"] == "18"
    tick.now += 18
    assert put_property(sb, "MKT-2", 101).status_code == 200


def test_every_kind_of_issue_write_counts(sb: RunningSandbox, tick: FakeMonotonic) -> None:
    j = client(sb)
    issue = j.issue("MKT-2")
    for n in range(5):
        issue.update(fields={"summary": f"s{n}"})
        j.add_comment("MKT-2", f"c{n}")
        put_property(sb, "MKT-2", n)
        j.add_worklog("MKT-2", timeSpentSeconds="60")
    with pytest.raises(jira.JIRAError) as exc:
        j.transition_issue("MKT-2", "Submit for review")
    assert exc.value.status_code == 429
    assert j.issue("MKT-2").fields.status.name == "To Do"  # the refused write did nothing


def test_limits_can_be_switched_off_in_the_seed(server: RunningSandbox) -> None:
    sb = fresh(server, make_seed(enforce_issue_write_limits=False))
    assert all(put_property(sb, "MKT-2", n).status_code in (200, 201) for n in range(30))


def test_reads_are_never_limited(sb: RunningSandbox, tick: FakeMonotonic) -> None:
    for n in range(20):
        put_property(sb, "MKT-2", n)
    assert all(rest(sb, "GET", "/rest/api/2/issue/MKT-2").status_code == 200 for _ in range(30))


# ---------------------------------------------------------------------- persistence


def scripted_changes(sb: RunningSandbox) -> None:
    j = client(sb, IVAN)
    new = j.create_issue(
        project="IT",
        issuetype={"name": "Story"},
        summary="Persist me",
        parent={"key": "MKT-1"},
        customfield_10020=3,
        customfield_10005="2027-01-31",
        labels=["kept"],
    )
    j.transition_issue(new.key, "In Progress")
    j.add_comment(new.key, "still here?")
    j.add_worklog(new.key, timeSpentSeconds="900", comment="work")
    j.add_issue_property(new.key, "bridge", {"verdict": ["tech", 1]})
    j.create_issue_link("Blocks", new.key, "IT-1")
    rest(
        sb,
        "POST",
        "/rest/api/3/issue/IT-1/comment",
        email=IVAN,
        json={
            "body": {
                "type": "doc",
                "version": 1,
                "content": [
                    {
                        "type": "paragraph",
                        "content": [{"type": "text", "text": "rich", "marks": [{"type": "em"}]}],
                    }
                ],
            }
        },
    )
    j.issue("MKT-2").delete()


def test_the_whole_jira_state_round_trips_through_json(sb: RunningSandbox) -> None:
    scripted_changes(sb)
    site = sb.app.site
    doc = json.loads(json.dumps(site.jira.to_json()))
    restored = JiraState.from_json(doc, Accounts.from_json(site.accounts.to_json()), Clock())
    assert restored.to_json() == site.jira.to_json()
    assert restored.issues.keys() == site.jira.issues.keys()
    assert restored.projects["IT"].next_number == 4


def test_a_state_file_survives_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox.json"
    with sandbox(state_path=state_file) as first:
        scripted_changes(first)
    assert state_file.is_file()
    # A different seed is ignored: the state file wins.
    with sandbox(make_seed(search_max_results=7), state_path=state_file) as second:
        j = client(second, IVAN)
        issue = j.issue("IT-3", expand="changelog")
        assert issue.fields.summary == "Persist me"
        assert issue.fields.status.name == "In Progress"
        assert issue.fields.parent.key == "MKT-1"
        assert issue.fields.customfield_10020[0].id == 3
        assert issue.fields.customfield_10005 == "2027-01-31"
        assert issue.fields.comment.comments[0].body == "still here?"
        assert issue.fields.worklog.worklogs[0].timeSpentSeconds == 900
        assert issue.fields.issuelinks[0].outwardIssue.key == "IT-1"
        assert issue.changelog.histories[0].author.accountId == "acc-ivan"
        assert j.issue_property("IT-3", "bridge").raw["value"] == {"verdict": ["tech", 1]}
        rich = body(rest(second, "GET", "/rest/api/3/issue/IT-1/comment", email=IVAN))
        assert rich["comments"][0]["body"]["content"][0]["content"][0]["marks"] == [{"type": "em"}]
        assert rest(second, "GET", "/rest/api/2/issue/MKT-2").status_code == 404
        # Counters carry on where they were.
        assert j.create_issue(project="IT", issuetype={"name": "Task"}, summary="n").key == "IT-4"
        assert j.add_comment("IT-3", "next").id == str(int(issue.fields.comment.comments[0].id) + 2)
        assert j.enhanced_search_issues("labels = kept", fields="key")[0].key == "IT-3"
