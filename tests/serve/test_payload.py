"""Which issues a webhook or Automation body names; nothing else is taken from it."""

from __future__ import annotations

import pytest

from bridgeplugin.serve.payload import (
    MalformedPayload,
    Target,
    automation_target,
    jira_target,
    parse_json,
)


@pytest.mark.parametrize(
    ("body", "target"),
    [
        (
            {
                "webhookEvent": "jira:issue_updated",
                "issue": {"key": "MKT-7", "fields": {}},
                "changelog": {"items": [{"field": "labels"}]},
            },
            Target("jira:issue_updated", ("MKT-7",)),
        ),
        (
            {"webhookEvent": "jira:issue_created", "issue": {"key": "it-3"}},
            Target("jira:issue_created", ("IT-3",)),
        ),
        (
            {"webhookEvent": "comment_created", "comment": {"id": "1"}, "issue": {"key": "MKT-2"}},
            Target("comment_created", ("MKT-2",)),
        ),
        (
            {"webhookEvent": "jira:issue_deleted", "issue": {"key": "MKT-9"}},
            Target("jira:issue_deleted"),
        ),
        (
            {"webhookEvent": "sprint_started", "sprint": {"id": 3}},
            Target("sprint_started", sweep=True),
        ),
        ({"webhookEvent": "jira:version_released", "version": {}}, Target("jira:version_released")),
    ],
)
def test_jira_events(body: dict, target: Target) -> None:
    assert jira_target(body) == target


@pytest.mark.parametrize(
    ("body", "keys"),
    [
        ({"issue": {"key": "MKT-1", "fields": {"summary": "x"}}}, ("MKT-1",)),  # Jira format
        (
            {"self": "https://x/rest/api/2/issue/1", "id": 1, "key": "MKT-2", "fields": {}},
            ("MKT-2",),
        ),  # Automation format
        ({"key": "MKT-3"}, ("MKT-3",)),
        ({"keys": ["MKT-3", "IT-4", "MKT-3"]}, ("MKT-3", "IT-4")),
        ({"issues": [{"key": "MKT-5"}, {"key": "MKT-6"}]}, ("MKT-5", "MKT-6")),
        ({"issue": "MKT-8"}, ("MKT-8",)),
    ],
)
def test_automation_formats(body: dict, keys: tuple[str, ...]) -> None:
    assert automation_target(body).keys == keys


@pytest.mark.parametrize(
    "body",
    [
        {"issue": {"key": "MKT-1) OR (project = HR"}},  # JQL injection is not a key
        {"keys": "MKT-1"},
        {"keys": [1]},
        {"comment": "no issue"},
        {"key": ""},
    ],
)
def test_automation_bodies_without_a_plain_issue_key_are_malformed(body: dict) -> None:
    with pytest.raises(MalformedPayload):
        automation_target(body)


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b'"text"', b"\xff\xfe", b"null"])
def test_only_a_json_object_parses(raw: bytes) -> None:
    with pytest.raises(MalformedPayload):
        parse_json(raw)


def test_a_jira_body_needs_its_event() -> None:
    with pytest.raises(MalformedPayload):
        jira_target({"issue": {"key": "MKT-1"}})
