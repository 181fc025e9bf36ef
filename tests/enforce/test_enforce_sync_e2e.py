"""Governance in ``bridge sync``, end to end: the real CLI and gateway over HTTP against the demo
sandbox, people acting through the real ``jira`` client with their own accounts (so changelogs
and comments say who did what), Jira read back with that client.

The demo seed's cases: MKT-5 approved without reviews, MKT-6 security review closed by an
architect, MKT-12 self-approved (all three reverted), MKT-2 reviewed properly (stands), MKT-9
in review with its reviews open.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jira import JIRA

import bridgeplugin.sync as sync_module
from bridgeplugin.cli import main
from bridgeplugin.enforce import governance_from_config
from bridgeplugin.enforce.markers import NOTICES
from bridgeplugin.sandbox.faults import FaultRule, FaultSchedule
from bridgeplugin.sandbox.server import RunningSandbox, start
from bridgeplugin.state import open_store

pytestmark = pytest.mark.sandbox

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "admin@example.com"
TOKEN = "sandbox-token"
BULK_CREATE = "POST /rest/api/{ver}/issue/bulk"
TRANSITION = "POST /rest/api/{ver}/issue/{key}/transitions"
COMMENT = "POST /rest/api/{ver}/issue/{key}/comment"
PROPERTIES = "POST /rest/api/{ver}/issue/properties/multi"
# The evaluation clock: the seed's morning, a few hours on (waivers are dated against it).
MORNING = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Site:
    def __init__(self, sandbox: RunningSandbox, state: Path) -> None:
        self.sandbox = sandbox
        self.state = state
        self.now = MORNING
        self._clients: dict[str, JIRA] = {}

    def env(self) -> dict[str, str | None]:
        env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("BRIDGE_")}
        env.update(
            BRIDGE_JIRA_URL=self.sandbox.url,
            BRIDGE_JIRA_EMAIL=ADMIN,
            BRIDGE_JIRA_TOKEN=TOKEN,
            BRIDGE_STATE=str(self.state),
            BRIDGE_RULES=str(ROOT / "rules"),
            BRIDGE_RETRY__MAX_ATTEMPTS="1",
            BRIDGE_GOVERNANCE__ENFORCE="true",
        )
        return env

    def sync(self, *args: str) -> dict[str, Any]:
        result = CliRunner().invoke(
            main, ["sync", "--full", "--format", "json", *args], env=self.env()
        )
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        doc: dict[str, Any] = json.loads(result.stdout) if result.stdout.strip() else {}
        doc["_code"] = result.exit_code
        return doc

    def as_user(self, name: str) -> JIRA:
        if name not in self._clients:
            self._clients[name] = JIRA(
                server=self.sandbox.url, basic_auth=(f"{name}@example.com", TOKEN), max_retries=0
            )
        return self._clients[name]

    def issue(self, key: str) -> Any:
        return self.as_user("admin").issue(key)

    def status(self, key: str) -> str:
        return str(self.issue(key).fields.status.name)

    def comments(self, key: str) -> list[str]:
        return [c.body for c in self.as_user("admin").comments(key)]

    def notices(self, key: str) -> list[str]:
        heads = tuple(NOTICES.values())
        return [b for b in self.comments(key) if b.startswith(heads)]

    def reviews(self, key: str, label: str) -> list[str]:
        found = self.as_user("admin").search_issues(f'parent = {key} AND labels = "{label}"')
        return sorted(i.key for i in found)

    def record(self, key: str) -> dict[str, Any]:
        return self.as_user("admin").issue_property(key, "bridge").raw["value"]  # type: ignore[no-any-return]

    def move(self, who: str, key: str, transition: str) -> None:
        client = self.as_user(who)
        ids = {t["name"]: t["id"] for t in client.transitions(key)}
        client.transition_issue(key, ids[transition])

    def writes(self) -> Counter[str]:
        return Counter(
            f"{c.method} {c.route}" for c in self.sandbox.app.ledger.calls() if c.is_write
        )

    def clear_ledger(self) -> None:
        self.sandbox.app.ledger.clear()

    def faults(self, *rules: dict[str, Any]) -> None:
        self.sandbox.app.faults.set(FaultSchedule(rules=[FaultRule(**r) for r in rules]))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    running = start("demo")
    yield running
    running.stop()


@pytest.fixture
def site(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Site]:
    sandbox.app.reset()
    monkeypatch.chdir(tmp_path)
    helper = Site(sandbox, tmp_path / "state.db")

    # The evaluation clock is the test's, so waivers expire when the test says.
    def with_clock(config: Any, tagger: Any, now: Callable[[], datetime] | None = None) -> Any:
        return governance_from_config(config, tagger, now=lambda: helper.now)

    monkeypatch.setattr(sync_module, "governance_from_config", with_clock)
    yield helper
    for client in helper._clients.values():
        client.close()


def actions(doc: dict[str, Any], kind: str) -> list[str]:
    return [a["key"] for a in doc["actions"] if a["kind"] == kind and a["result"] == "ok"]


# -- the demo seed ---------------------------------------------------------------------------------


def test_approved_without_reviews_is_reverted_with_what_is_missing(site: Site) -> None:
    doc = site.sync()
    assert doc["_code"] == 0, doc

    assert site.status("MKT-5") == "In Review"
    (integration,) = site.reviews("MKT-5", "review-integration")
    (security,) = site.reviews("MKT-5", "review-security")
    sub = site.issue(integration)
    assert sub.fields.summary == (
        "Integration review: Add Meta pixel and TikTok pixel to the checkout"
    )
    assert sub.fields.issuetype.name == "Sub-task"
    assert "it-architecture" in sub.fields.description
    assert site.record("MKT-5")["reviews"] == {
        "integration": {"key": integration},
        "security": {"key": security},
    }
    (comment,) = site.notices("MKT-5")
    assert comment.startswith(NOTICES["violation"])
    assert "moved back to In Review" in comment and "Chloé Martin" in comment
    assert f"Integration review ({integration} {site.sandbox.url}/browse/{integration})" in comment
    assert f"Security review ({security} " in comment
    assert "a member of it-architecture other than the reporter" in comment
    assert "a member of security-reviewers other than the reporter" in comment
    # The audit journal has the revert.
    with open_store(site.state) as store:
        kinds = {(e.kind, e.result) for e in store.journal(key="MKT-5")}
    assert ("revert", "ok") in kinds and ("create_review", "ok") in kinds


def test_each_reverted_request_has_its_transitions_read_once(site: Site) -> None:
    doc = site.sync()
    assert doc["_code"] == 0, doc
    reverted = actions(doc, "revert")
    assert reverted  # MKT-5, MKT-6, MKT-12
    reads = Counter(
        c.path.rsplit("/", 2)[-2]
        for c in site.sandbox.app.ledger.calls()
        if c.method == "GET" and c.route == "/rest/api/{ver}/issue/{key}/transitions"
    )
    assert {key: reads[key] for key in reverted} == dict.fromkeys(reverted, 1)


def test_a_review_closed_outside_its_group_does_not_count(site: Site) -> None:
    site.sync()

    assert site.status("MKT-6") == "In Review"
    (comment,) = site.notices("MKT-6")
    assert "Security review (MKT-8" in comment
    assert "Integration review" not in comment.split("Missing:", 1)[1]
    # MKT-6 had both sub-tasks: nothing was created for it.
    assert site.reviews("MKT-6", "review-security") == ["MKT-8"]


def test_a_self_approval_is_reverted(site: Site) -> None:
    site.sync()

    assert site.status("MKT-12") == "In Review"
    (comment,) = site.notices("MKT-12")
    assert "reporter" in comment


def test_reviews_given_by_the_right_people_stand_and_nothing_is_written_for_them(
    site: Site,
) -> None:
    doc = site.sync()

    assert site.status("MKT-2") == "Approved"
    assert site.notices("MKT-2") == []
    governance_kinds = {"revert", "review_comment", "create_review", "reopen_review"}
    assert not [a for a in doc["actions"] if a["key"] == "MKT-2" and a["kind"] in governance_kinds]
    # MKT-9 is in review with its two sub-tasks: none created, nothing moved.
    assert site.status("MKT-9") == "In Review" and site.notices("MKT-9") == []
    assert site.reviews("MKT-9", "review-integration") == ["MKT-10"]


def test_an_unchanged_second_sync_writes_nothing(site: Site) -> None:
    first = site.sync()
    assert first["_code"] == 0
    site.clear_ledger()

    second = site.sync()

    assert second["_code"] == 0 and second["actions"] == []
    assert site.writes() == Counter()


def test_a_material_change_after_approval_lapses_the_reviews(site: Site) -> None:
    site.sync()
    site.as_user("priya").issue("MKT-2").update(
        fields={"summary": "Connect HubSpot to Salesforce, plus a Klaviyo webhook export"}
    )
    site.clear_ledger()

    doc = site.sync()

    assert sorted(actions(doc, "reopen_review")) == ["MKT-3", "MKT-4"]
    assert site.status("MKT-3") == "To Do" and site.status("MKT-4") == "To Do"
    # Still Approved, now without valid reviews: reverted, and the comment says what changed.
    assert site.status("MKT-2") == "In Review"
    (comment,) = site.notices("MKT-2")
    assert "Klaviyo" in comment or "webhook" in comment
    site.clear_ledger()
    assert site.sync()["actions"] == [] and site.writes() == Counter()


def test_a_lapse_of_a_request_in_review_reopens_and_explains(site: Site) -> None:
    site.sync()
    site.move("priya", "MKT-2", "Back to review")  # a person takes it back to review
    site.as_user("priya").issue("MKT-2").update(
        fields={"summary": "Connect HubSpot to Salesforce through a new sftp connector"}
    )
    doc = site.sync()

    assert sorted(actions(doc, "reopen_review")) == ["MKT-3", "MKT-4"]
    (comment,) = site.notices("MKT-2")
    assert comment.startswith(NOTICES["lapsed"])
    assert "reopened" in comment and "MKT-3" in comment and "MKT-4" in comment


def test_a_rejected_review_is_explained_and_blocks_approval(site: Site) -> None:
    site.sync()
    site.move("grace", "MKT-10", "Reject")

    site.sync()
    (comment,) = site.notices("MKT-9")
    assert comment.startswith(NOTICES["rejected"]) and "MKT-10" in comment

    site.move("priya", "MKT-9", "Approve")
    site.sync()
    assert site.status("MKT-9") == "In Review"
    notices = site.notices("MKT-9")
    assert len(notices) == 2 and notices[1].startswith(NOTICES["violation"])
    assert "rejected" in notices[1]


def test_an_active_waiver_lets_the_approval_stand_until_it_expires(site: Site) -> None:
    site.as_user("samuel").add_comment("MKT-5", "/bridge waive emergency: launch on the 1st")
    site.as_user("diane").add_comment("MKT-5", "/bridge waive emergency until 2026-12-02")

    site.sync()
    assert site.status("MKT-5") == "Approved"
    assert site.notices("MKT-5") == []

    site.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    site.sync()
    assert site.status("MKT-5") == "In Review"
    (comment,) = site.notices("MKT-5")
    assert "emergency: expired" in comment


def test_two_syncs_at_once_create_one_set_of_sub_tasks(site: Site) -> None:
    results: list[dict[str, Any]] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(site.sync())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(results) == 2
    for key in ("MKT-5", "MKT-6", "MKT-12"):
        assert len(site.reviews(key, "review-integration")) == 1
        assert len(site.reviews(key, "review-security")) == 1
    assert len(site.notices("MKT-5")) == 1
    site.clear_ledger()
    assert site.sync()["actions"] == []


def test_a_crash_between_creating_and_recording_creates_nothing_next_time(site: Site) -> None:
    # Jira creates the sub-tasks, then the answer is lost: the run stops before recording.
    site.faults({"method": "POST", "path": r"/issue/bulk$", "timing": "after", "drop": True})
    crashed = site.sync()
    assert crashed["_code"] != 0
    site.faults()
    made = site.reviews("MKT-5", "review-integration")
    assert len(made) == 1
    assert "reviews" not in (site.record("MKT-5") if _has_record(site, "MKT-5") else {})
    site.clear_ledger()

    doc = site.sync()

    assert doc["_code"] == 0
    assert site.writes()[BULK_CREATE] == 0
    assert site.reviews("MKT-5", "review-integration") == made
    assert site.record("MKT-5")["reviews"]["integration"] == {"key": made[0]}
    assert site.status("MKT-5") == "In Review"
    assert made[0] in site.notices("MKT-5")[0]


def _has_record(site: Site, key: str) -> bool:
    return "bridge" in [p.key for p in site.as_user("admin").issue_properties(key)]


def test_a_request_approved_again_and_again_is_labelled_and_left_alone(site: Site) -> None:
    site.sync()  # the first revert
    for _ in range(2):  # approved again by someone, reverted again: three reverts
        site.move("chloe", "MKT-5", "Approve")
        site.sync()
        assert site.status("MKT-5") == "In Review"
    site.move("chloe", "MKT-5", "Approve")

    doc = site.sync()

    assert site.status("MKT-5") == "Approved"
    assert "bridge-violation" in site.issue("MKT-5").fields.labels
    assert site.notices("MKT-5")[-1].startswith(NOTICES["blocked"])
    assert "3 times" in site.notices("MKT-5")[-1]
    assert doc["_code"] == 0
    site.clear_ledger()
    assert site.sync()["actions"] == [] and site.writes() == Counter()  # no retry forever


def test_an_approval_by_the_plugins_own_account_is_not_reverted(site: Site) -> None:
    site.sync()
    site.move("admin", "MKT-9", "Approve")

    site.sync()

    assert site.status("MKT-9") == "Approved"
    assert "bridge-violation" in site.issue("MKT-9").fields.labels
    assert "bridgeplugin's own account" in site.notices("MKT-9")[-1]


def test_enforcement_is_off_unless_configured(site: Site) -> None:
    env = site.env()
    env["BRIDGE_GOVERNANCE__ENFORCE"] = None
    result = CliRunner().invoke(main, ["sync", "--full", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    assert site.status("MKT-5") == "Approved"
    assert site.writes()[TRANSITION] == 0 and site.writes()[BULK_CREATE] == 0


def test_a_sync_that_sees_only_the_review_sub_task_evaluates_its_request(site: Site) -> None:
    # Closing a sub-task does not touch its parent's `updated`: an incremental sync or a
    # webhook sees MKT-10 alone, and must still explain the rejection on MKT-9.
    site.sync()
    site.move("grace", "MKT-10", "Reject")

    doc = site.sync("--jql", "key = MKT-10")

    assert doc["_code"] == 0 and doc["issues_seen"] == 1
    (comment,) = site.notices("MKT-9")
    assert comment.startswith(NOTICES["rejected"]) and "MKT-10" in comment
    assert site.sync("--jql", "key = MKT-10")["actions"] == []


def _drop_transition(site: Site, workflow: str, name: str) -> None:
    """A site whose workflow lacks a way back (the sandbox is reset after each test)."""
    flow = site.sandbox.app.site.jira.workflows[workflow]
    flow.transitions[:] = [t for t in flow.transitions if t.name != name]


def test_without_a_transition_back_the_request_is_labelled_once(site: Site) -> None:
    _drop_transition(site, "Marketing request workflow", "Back to review")

    doc = site.sync()

    assert doc["_code"] == 0
    assert site.status("MKT-5") == "Approved"
    assert "bridge-violation" in site.issue("MKT-5").fields.labels
    (comment,) = site.notices("MKT-5")
    assert comment.startswith(NOTICES["blocked"])
    assert "no transition leads from Approved to In Review" in comment
    site.clear_ledger()
    assert site.sync()["actions"] == [] and site.writes() == Counter()


def test_a_lapsed_review_that_cannot_be_reopened_gets_a_fresh_sub_task(site: Site) -> None:
    _drop_transition(site, "Sub-task workflow", "Reopen")
    site.sync()
    site.move("priya", "MKT-2", "Back to review")
    site.as_user("priya").issue("MKT-2").update(
        fields={"summary": "Connect HubSpot to Salesforce through a new sftp connector"}
    )

    site.sync()

    integration = site.reviews("MKT-2", "review-integration")
    assert len(integration) == 2 and "MKT-3" in integration
    fresh = next(k for k in integration if k != "MKT-3")
    assert site.status("MKT-3") == "Done"
    (comment,) = site.notices("MKT-2")
    assert comment.startswith(NOTICES["lapsed"]) and f"{fresh} " in comment
    assert site.record("MKT-2")["reviews"]["integration"] == {"key": fresh}
    site.clear_ledger()
    assert site.sync()["actions"] == [] and site.writes() == Counter()


def test_a_dry_run_plans_reviews_and_reverts_and_writes_nothing(site: Site) -> None:
    doc = site.sync("--dry-run")

    assert doc["_code"] == 0 and site.writes() == Counter()
    planned = {(a["kind"], a["key"]) for a in doc["actions"]}
    assert ("create_review", "MKT-5") in planned and ("revert", "MKT-5") in planned
    assert ("revert", "MKT-2") not in planned
    assert site.status("MKT-5") == "Approved"
