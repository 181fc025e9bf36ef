"""The epics step keeps of a member's ``bridge`` property only what initiatives read."""

from __future__ import annotations

from bridgeplugin.epics.step import _slim
from bridgeplugin.model import Issue


def _issue(props: dict[str, object]) -> Issue:
    return Issue(id="1", key="MKT-1", project="MKT", properties=props)


def test_a_member_keeps_its_tag_and_category_only() -> None:
    full = {
        "bridge": {
            "tagging": {"tag": True, "category": "saas", "reasons": ["x" * 500] * 8},
            "governance": {"reviews": {"security": {"key": "MKT-9"}}},
        },
        "other.app": {"kept": True},
    }
    slim = _slim(_issue(full))
    assert slim.properties == {
        "bridge": {"tagging": {"tag": True, "category": "saas"}},
        "other.app": {"kept": True},
    }


def test_an_epic_keeps_its_record_and_an_issue_without_the_property_is_unchanged() -> None:
    epic = _issue({"bridge": {"epic": {"initiative": "cdp", "members": ["MKT-2"]}}})
    assert _slim(epic) is epic
    bare = _issue({})
    assert _slim(bare) is bare
