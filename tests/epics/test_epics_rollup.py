"""The roll-up the sprint page reads: per epic children done/total, open reviews, owners."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bridgeplugin.epics.model import EpicView
from bridgeplugin.epics.rollup import load_rollup, rollup
from bridgeplugin.jira_gateway import JiraGateway
from bridgeplugin.model import Issue

from .conftest import ADMIN, AUTUMN, CDP, TOKEN, EpicSite


def issue(key: str, *, parent: str | None = None, done: bool = False, **props: object) -> Issue:
    return Issue(
        id=key.rpartition("-")[2],
        key=key,
        parent=parent,
        status_category="done" if done else "indeterminate",
        properties={"bridge": props} if props else {},
    )


def test_rollup_counts_children_and_open_reviews() -> None:
    epic = EpicView(
        issue(
            "IT-40",
            epic={"name": "CDP", "owners": {"marketing": "m1", "it": None}, "initiative": "cdp"},
        ),
        "cdp",
        {"name": "CDP", "owners": {"marketing": "m1", "it": None}},
    )
    kids = [
        issue("MKT-2", parent="IT-40", done=True, reviews={"security": {"key": "MKT-4"}}),
        issue("MKT-9", parent="IT-40", reviews={"a": {"key": "MKT-10"}, "b": {"key": "MKT-11"}}),
        issue("IT-41", parent="IT-40"),
        issue("IT-99", parent="IT-50", done=True),  # another epic's
    ]
    [progress] = rollup([epic], kids, {"MKT-4": "done", "MKT-10": "indeterminate"})
    assert (progress.done, progress.total, progress.percent) == (1, 3, 33)
    # MKT-11 is not among the looked-up sub-tasks (deleted): not counted as open.
    assert progress.open_reviews == ("MKT-10",)
    assert progress.owners == {"marketing": "m1", "it": None}
    assert progress.to_json()["name"] == "CDP"


def test_an_epic_without_children_is_zero_percent() -> None:
    epic = EpicView(issue("IT-40"), None, {})
    [progress] = rollup([epic], [], {})
    assert (progress.done, progress.total, progress.percent) == (0, 0, 0)


@pytest.mark.sandbox
def test_rollup_against_the_demo_after_a_sync_reads_three_times(site: EpicSite) -> None:
    assert site.sync("--full").code == 0
    autumn = site.epics(AUTUMN)[0].key
    # What governance records on MKT-9: its two review sub-tasks (one in progress, one to do).
    record = site.client().issue_property("MKT-9", "bridge").raw["value"]
    record["reviews"] = {"integration": {"key": "MKT-10"}, "security": {"key": "MKT-11"}}
    site.client().add_issue_property("MKT-9", "bridge", record)
    site.clear_ledger()
    gateway = JiraGateway(site.url, email=ADMIN, token=SecretStr(TOKEN))
    try:
        progress = {p.initiative: p for p in load_rollup(gateway)}
    finally:
        gateway.close()
    calls = [c.route for c in site.sandbox.app.ledger.calls() if "serverInfo" not in c.route]
    assert len(calls) == 3  # epics, children, review sub-tasks (the client's hello aside)
    assert set(progress) == {CDP, AUTUMN}
    assert progress[AUTUMN].epic == autumn
    # MKT-10/11 at least (governance, when it runs in the sync, records more): none done.
    opened = progress[AUTUMN].open_reviews
    assert {"MKT-10", "MKT-11"} <= set(opened)
    if opened:
        keys = ", ".join(opened + progress[CDP].open_reviews)
        assert site.search(f"key in ({keys}) AND statusCategory = Done") == []
    total = len(site.search(f"parent = {autumn}"))
    done = len(site.search(f"parent = {autumn} AND statusCategory = Done"))
    assert (progress[AUTUMN].total, progress[AUTUMN].done) == (total, done)
    assert progress[AUTUMN].owners["marketing"]
