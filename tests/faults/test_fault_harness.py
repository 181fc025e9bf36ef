"""The harness can fail: a duplicate sub-task, a duplicate comment, a lost label and missing
pages each show in the diff against the fault-free run."""

from __future__ import annotations

import pytest
from jira import JIRA

from .harness import Pipeline, Snapshot, assert_same, diff


def client(pipeline: Pipeline) -> JIRA:
    return JIRA(
        server=pipeline.url, basic_auth=("admin@example.com", "sandbox-token"), max_retries=0
    )


def test_a_duplicate_a_lost_label_and_a_repeated_comment_are_reported(
    pipeline: Pipeline, baseline: Snapshot
) -> None:
    run = pipeline.sync()
    assert run.code == 0, str(run)
    assert_same(baseline, pipeline.snapshot())  # a fault-free run matches the baseline
    jira = client(pipeline)
    sub = jira.search_issues('labels = "review-security" ORDER BY key ASC', maxResults=1)[0]  # type: ignore[index]
    jira.create_issue(
        fields={
            "project": {"key": sub.fields.project.key},
            "parent": {"key": sub.fields.parent.key},
            "issuetype": {"name": "Sub-task"},
            "summary": sub.fields.summary,
            "labels": ["review-security"],
        }
    )
    ours = [c for c in jira.comments("MKT-1") if c.body.startswith("bridgeplugin:")]
    jira.add_comment("MKT-1", ours[0].body)
    jira.issue("MKT-1").update(
        update={"labels": [{"remove": "marketing-tech-request"}]}, notify=False
    )
    problems = diff(baseline, pipeline.snapshot())
    assert any(p.startswith("duplicated: issue new Sub-task") for p in problems), problems
    assert any(p.startswith("duplicated: MKT-1: comment x1: ") for p in problems), problems
    assert any(p.startswith("MKT-1: labels: expected") for p in problems), problems
    with pytest.raises(AssertionError, match="differences from the fault-free run"):
        assert_same(baseline, pipeline.snapshot())


def test_lost_pages_are_reported(pipeline: Pipeline, baseline: Snapshot) -> None:
    run = pipeline.sync(BRIDGE_SYNC__PUBLISH="never")
    assert run.code == 0, str(run)
    problems = diff(baseline, pipeline.snapshot())
    assert any(p.startswith("lost: page BRIDGE:") for p in problems), problems
