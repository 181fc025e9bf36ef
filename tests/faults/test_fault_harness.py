"""The harness can fail: a duplicate, a lost write and a changed field each show in the diff,
and two fault-free runs of the pipeline leave the same state."""

from __future__ import annotations

import pytest
from jira import JIRA

from bridgeplugin.sandbox.server import RunningSandbox, start

from .harness import Pipeline, Snapshot, assert_same, diff


def client(pipeline: Pipeline) -> JIRA:
    return JIRA(
        server=pipeline.url, basic_auth=("admin@example.com", "sandbox-token"), max_retries=0
    )


def synced(pipeline: Pipeline) -> Snapshot:
    run = pipeline.sync()
    assert run.code == 0, str(run)
    return pipeline.snapshot()


def test_a_duplicated_sub_task_is_reported(pipeline: Pipeline, baseline: Snapshot) -> None:
    synced(pipeline)
    jira = client(pipeline)
    subs = jira.search_issues('labels = "review-security" ORDER BY key ASC', maxResults=1)
    sub = subs[0]  # type: ignore[index]
    jira.create_issue(
        fields={
            "project": {"key": sub.fields.project.key},
            "parent": {"key": sub.fields.parent.key},
            "issuetype": {"name": "Sub-task"},
            "summary": sub.fields.summary,
            "labels": ["review-security"],
        }
    )
    problems = diff(baseline, pipeline.snapshot())
    assert any(p.startswith("duplicated: issue new Sub-task") for p in problems), problems


def test_a_duplicated_comment_and_a_lost_label_are_reported(
    pipeline: Pipeline, baseline: Snapshot
) -> None:
    synced(pipeline)
    jira = client(pipeline)
    ours = [c for c in jira.comments("MKT-1") if c.body.startswith("bridgeplugin:")]
    jira.add_comment("MKT-1", ours[0].body)
    jira.issue("MKT-1").update(
        update={"labels": [{"remove": "marketing-tech-request"}]}, notify=False
    )
    problems = diff(baseline, pipeline.snapshot())
    assert any(p.startswith("duplicated: MKT-1: comment x1: ") for p in problems), problems
    assert any(p.startswith("MKT-1: labels: expected") for p in problems), problems
    with pytest.raises(AssertionError, match="differences from the fault-free run"):
        assert_same(baseline, pipeline.snapshot())


def test_a_lost_page_version_is_reported(
    baseline: Snapshot, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A run that never published (sync.publish: never) lacks the sprint pages."""
    sandbox: RunningSandbox = start("demo")
    try:
        pipeline = Pipeline(sandbox, tmp_path_factory.mktemp("nopublish"))
        run = pipeline.sync(BRIDGE_SYNC__PUBLISH="never")
        assert run.code == 0, str(run)
        problems = diff(baseline, pipeline.snapshot())
        assert any(p.startswith("lost: page BRIDGE:") for p in problems), problems
    finally:
        sandbox.stop()
