"""apply.py against an in-memory fake of the Jira calls it makes: batching, per-issue chains,
journaling, and stopping on a failure that is not about one issue."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bridgeplugin.apply import apply_plan
from bridgeplugin.bulk import BulkResult
from bridgeplugin.errors import PermissionDenied, ServerError
from bridgeplugin.jira_gateway import CallCounter
from bridgeplugin.model import Comment
from bridgeplugin.plan import AddComment, AddLabel, Plan, SetProperty
from bridgeplugin.state import open_store

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class FakeJira:
    """Only what apply calls; records each call, fails where told."""

    def __init__(self) -> None:
        self.calls = CallCounter()
        self.log: list[tuple[str, Any]] = []
        self.refuse_label: set[str] = set()
        self.refuse_comment: set[str] = set()
        self.comment_error: Exception | None = None
        self.properties: dict[str, dict[str, Any]] = {}

    def bulk_edit_labels(self, keys, add=(), remove=(), *, ids=None) -> BulkResult:
        self.log.append(("labels", (tuple(keys), tuple(add), tuple(remove))))
        failed = {k: ("refused",) for k in keys if k in self.refuse_label}
        return BulkResult(ok=tuple(k for k in keys if k not in failed), failed=failed)

    def add_comment(self, key, body, *, probe=None) -> Comment:
        self.log.append(("comment", key))
        if self.comment_error is not None:
            raise self.comment_error
        if key in self.refuse_comment:
            raise PermissionDenied("no Add Comments permission")
        return Comment(id="1", body=body)

    def comments(self, key) -> list[Comment]:
        return []

    def set_properties_bulk(self, values, *, ids=None) -> BulkResult:
        self.log.append(("properties", tuple(values)))
        self.properties.update({k: dict(v) for k, v in values.items()})
        return BulkResult(ok=tuple(values))


def tag_actions(key: str, issue_id: str, base: dict[str, Any] | None = None) -> list[Any]:
    return [
        AddLabel(key, issue_id, label="marketing-tech-request"),
        AddComment(key, issue_id, body=f"bridgeplugin: tagged ({key})"),
        SetProperty(key, issue_id, value={"tag": True}, base=base or {}),
    ]


def plan_of(*groups: list[Any]) -> Plan:
    actions = [a for group in groups for a in group]
    return Plan(actions=tuple(sorted(actions, key=lambda a: a.phase)))


def test_labels_and_properties_share_calls_comments_go_one_by_one(tmp_path: Path) -> None:
    jira = FakeJira()
    plan = plan_of(*(tag_actions(f"MKT-{n}", str(n)) for n in range(1, 4)))

    with open_store(tmp_path / "s.db") as store:
        outcomes = apply_plan(plan, jira, store=store, run="r1", now=lambda: AT)
        journal = store.journal()

    assert [name for name, _ in jira.log] == [
        "labels",
        "comment",
        "comment",
        "comment",
        "properties",
    ]
    assert jira.log[0][1][0] == ("MKT-1", "MKT-2", "MKT-3")
    assert all(o.ok for o in outcomes)
    assert [(e.kind, e.key, e.result) for e in journal][:2] == [
        ("add_label", "MKT-1", "ok"),
        ("add_label", "MKT-2", "ok"),
    ]
    assert len(journal) == 9 and {e.run for e in journal} == {"r1"}


def test_an_issue_jira_refuses_stops_its_own_chain_only() -> None:
    jira = FakeJira()
    jira.refuse_label.add("MKT-2")
    jira.refuse_comment.add("MKT-3")
    plan = plan_of(*(tag_actions(f"MKT-{n}", str(n)) for n in range(1, 4)))

    outcomes = apply_plan(plan, jira)

    result = {(o.action.kind, o.action.key): o.result for o in outcomes}
    assert result[("add_label", "MKT-2")] == "failed: refused"
    assert result[("add_comment", "MKT-2")].startswith("skipped: an earlier write to MKT-2")
    assert result[("add_comment", "MKT-3")].startswith("failed: no Add Comments permission")
    assert result[("set_property", "MKT-1")] == "ok"
    # The property, the commit record, is written only where everything before it worked.
    assert set(jira.properties) == {"MKT-1"}


def test_a_failure_not_about_one_issue_stops_the_run_and_is_journaled(tmp_path: Path) -> None:
    jira = FakeJira()
    jira.comment_error = ServerError("Jira answered 503", status=503)
    plan = plan_of(tag_actions("MKT-1", "1"))

    with open_store(tmp_path / "s.db") as store:
        with pytest.raises(ServerError):
            apply_plan(plan, jira, store=store, run="r1")
        results = [(e.kind, e.result) for e in store.journal()]

    assert results == [("add_label", "ok"), ("add_comment", "error: Jira answered 503")]
    assert jira.properties == {}


def test_sections_for_one_issue_merge_into_one_value_and_one_batch() -> None:
    jira = FakeJira()
    base = {"epics": {"key": "IT-1"}}
    plan = Plan(
        actions=(
            SetProperty("MKT-1", "1", section="tagging", value={"tag": True}, base=base),
            SetProperty("MKT-1", "1", section="reviews", value={"security": "MKT-9"}, base=base),
        )
    )

    apply_plan(plan, jira)

    assert jira.properties["MKT-1"] == {
        "bridge": {
            "epics": {"key": "IT-1"},
            "tagging": {"tag": True},
            "reviews": {"security": "MKT-9"},
        }
    }
    assert [name for name, _ in jira.log] == ["properties"]


def test_checkpoint_runs_before_every_call_that_writes() -> None:
    jira = FakeJira()
    seen: list[int] = []
    plan = plan_of(*(tag_actions(f"MKT-{n}", str(n)) for n in range(1, 3)))

    apply_plan(plan, jira, checkpoint=lambda: seen.append(len(jira.log)))

    assert seen == [0, 1, 2, 3]  # labels, comment, comment, properties
