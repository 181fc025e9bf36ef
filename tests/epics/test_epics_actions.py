"""The epics executors against a recording fake gateway: fallbacks and batching."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bridgeplugin.apply import apply_plan
from bridgeplugin.epics.actions import CreateEpic, CreateStories, SetParent
from bridgeplugin.errors import BadRequest, PermissionDenied
from bridgeplugin.model import CreateResult, Issue
from bridgeplugin.plan import Plan


class Fake:
    """Just what the executors call; every call recorded."""

    def __init__(self, *, cloud: bool = True, refuse_parent: str | None = None) -> None:
        self.is_cloud = cloud
        self.calls: list[tuple[str, Any]] = []
        self.refuse_parent = refuse_parent
        self.found: list[Issue] = []
        self.created = 0

    def edit_issue(self, key: str, fields: Any = None, update: Any = None) -> None:
        self.calls.append(("edit", (key, fields, update)))
        if fields and "parent" in fields and self.refuse_parent == "hierarchy":
            raise BadRequest(
                "Jira refused the edit",
                details={"errors": {"parent": "Given parent issue does not belong..."}},
            )
        if self.refuse_parent == "permission":
            raise PermissionDenied("you may not edit this issue")

    def link_issues(self, type_name: str, inward: str, outward: str) -> None:
        self.calls.append(("link", (type_name, inward, outward)))

    def create_issues(self, specs: list[Any]) -> list[CreateResult]:
        self.calls.append(("bulk", len(specs)))
        out = []
        for i, spec in enumerate(specs):
            if spec["fields"]["summary"] == "refuse me":
                out.append(CreateResult(index=i, errors={"summary": "no"}))
            else:
                out.append(CreateResult(index=i, id=str(100 + i), key=f"IT-{100 + i}"))
        return out

    def create_issue(self, spec: Any, probe: Any = None) -> CreateResult:
        self.calls.append(("create", spec["fields"]["summary"]))
        self.created += 1
        return CreateResult(index=0, id="200", key="IT-200")

    def search(self, jql: str, **kw: Any) -> list[Issue]:
        self.calls.append(("search", (jql, kw.get("reconcile"))))
        return list(self.found)


def outcomes(fake: Fake, *actions: Any) -> list[str]:
    return [o.result for o in apply_plan(Plan(actions=tuple(actions)), fake)]  # type: ignore[arg-type]


def test_a_refused_parent_becomes_a_link() -> None:
    fake = Fake(refuse_parent="hierarchy")
    assert outcomes(fake, SetParent("MKT-2", "2", parent="IT-40")) == ["ok"]
    assert fake.calls[-1] == ("link", ("Relates", "MKT-2", "IT-40"))


def test_other_refusals_are_failures_not_links() -> None:
    fake = Fake(refuse_parent="permission")
    [result] = outcomes(fake, SetParent("MKT-2", "2", parent="IT-40"))
    assert result.startswith("failed: you may not edit")
    assert not [c for c in fake.calls if c[0] == "link"]


def test_data_center_sets_the_epic_link() -> None:
    fake = Fake(cloud=False)
    outcomes(fake, SetParent("MKT-2", "2", parent="IT-40"))
    assert fake.calls == [("edit", ("MKT-2", {"Epic Link": "IT-40"}, None))]


def story(summary: str) -> dict[str, Any]:
    return {"fields": {"summary": summary}}


def test_stories_of_many_epics_share_bulk_creates_and_failures_stay_with_their_epic() -> None:
    fake = Fake()
    a = CreateStories("IT-40", "40", items=("a", "b"), specs=(story("a"), story("b")))
    b = CreateStories("IT-41", "41", items=("c",), specs=(story("refuse me"),))
    results = outcomes(fake, a, b)
    assert [c for c in fake.calls if c[0] == "bulk"] == [("bulk", 3)]
    assert results[0] == "ok" and results[1].startswith("failed: no")


def test_a_created_epic_that_lost_the_race_is_retired() -> None:
    fake = Fake()
    older = Issue(id="150", key="IT-150", created=datetime(2026, 11, 24, 9, tzinfo=UTC))
    ours = Issue(id="200", key="IT-200", created=datetime(2026, 11, 24, 9, 1, tzinfo=UTC))
    fake.found = [ours, older]
    spec = {"fields": {"summary": "CDP"}}
    [result] = outcomes(fake, CreateEpic("initiative:cdp", "", initiative="cdp", spec=spec))
    assert result == "ok"
    search = next(c for c in fake.calls if c[0] == "search")
    assert search[1][1] == [200]  # read-after-write for the epic just created
    edit = next(c for c in fake.calls if c[0] == "edit")
    key, fields, update = edit[1]
    assert key == "IT-200" and "IT-150" in fields["summary"]
    assert {"remove": "bridge-initiative-cdp"} in update["labels"]
    assert {"add": "bridge-duplicate"} in update["labels"]


def test_the_oldest_epic_keeps_its_place() -> None:
    fake = Fake()
    ours = Issue(id="200", key="IT-200", created=datetime(2026, 11, 24, 9, tzinfo=UTC))
    newer = Issue(id="201", key="IT-201", created=datetime(2026, 11, 24, 9, 1, tzinfo=UTC))
    fake.found = [newer, ours]
    spec = {"fields": {"summary": "CDP"}}
    outcomes(fake, CreateEpic("initiative:cdp", "", initiative="cdp", spec=spec))
    assert not [c for c in fake.calls if c[0] == "edit"]  # the other one retires its own


def test_the_round_after_a_create_asks_for_the_new_epics_by_id() -> None:
    """Cloud's search may not show an issue created a moment ago: the next round's epic
    search names the new ids in reconcileIssues, so it never plans a second create."""
    from pathlib import Path

    from bridgeplugin.epics.load import load_epic_rules
    from bridgeplugin.epics.step import _Recording, load_round

    fake = Fake()
    recording = _Recording(fake)
    recording.create_issue({"fields": {"summary": "CDP"}})
    assert recording.created == ["200"]
    rules = load_epic_rules(Path(__file__).resolve().parents[2] / "rules")
    load_round(
        fake,
        rules,
        projects=("MKT", "IT"),
        reconcile=recording.created,  # type: ignore[arg-type]
        marketing="MKT",
        it="IT",
    )
    searches = [c[1] for c in fake.calls if c[0] == "search"]
    assert any("bridge-epic" in jql and ids == [200] for jql, ids in searches)
