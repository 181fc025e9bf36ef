"""What evaluation needs to know about one request: plain data, loaded by ``check.py`` or sync.

Everything comes from Jira's own records: the request (with its ``bridge`` property), its
sub-tasks, the changelogs of both, the request's comments (for waivers). Changelogs may be
keyed by issue id (how ``changelogs_bulk`` answers) or by key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import ChangelogEntry, Comment, Issue
from ..tagging import TagVerdict

__all__ = ["PROPERTY", "RequestFacts", "recorded_reviews"]

PROPERTY = "bridge"  # the entity property; its "reviews" section maps review -> {"key": ...}
SECTION = "reviews"


@dataclass(frozen=True)
class RequestFacts:
    issue: Issue
    tagging: TagVerdict | None
    sub_tasks: Sequence[Issue] = ()
    changelogs: Mapping[str, Sequence[ChangelogEntry]] = field(default_factory=dict)
    comments: Sequence[Comment] | None = None  # None: not loaded (waivers cannot be read)

    def changelog(self, issue: Issue) -> Sequence[ChangelogEntry]:
        """The history of ``issue`` (empty when not loaded)."""
        found = self.changelogs.get(issue.id)
        if found is None:
            found = self.changelogs.get(issue.key, ())
        return found


def recorded_reviews(issue: Issue) -> dict[str, str]:
    """Review name -> sub-task key, as recorded in the request's ``bridge`` property."""
    prop: Any = issue.properties.get(PROPERTY)
    section = prop.get(SECTION) if isinstance(prop, Mapping) else None
    if not isinstance(section, Mapping):
        return {}
    out: dict[str, str] = {}
    for name, value in section.items():
        key = value.get("key") if isinstance(value, Mapping) else value
        if isinstance(key, str) and key:
            out[str(name)] = key
    return out
