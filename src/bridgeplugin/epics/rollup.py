"""Each cross-team epic's progress, for the sprint page: children done/total, open reviews,
owners.

``rollup`` is pure: the epics, their children (with the ``bridge`` property) and the status
categories of the review sub-tasks governance recorded on those children (``bridge.reviews``:
review -> {"key": sub-task key}). ``load_rollup`` reads them with three calls, whatever the
number of epics: the epics by label, their children, the review sub-tasks in bulk.

Checklist stories count as children like any other work: they are IT work for the initiative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..jira_gateway import JiraApi
from ..model import Issue
from ..plan import PROPERTY
from .keys import EPIC_LABEL
from .model import EpicView, view

__all__ = ["EpicProgress", "load_rollup", "rollup"]

DONE = "done"
_FIELDS = ["summary", "status", "labels", "parent", "project", "issuetype", "assignee", "created"]


@dataclass(frozen=True)
class EpicProgress:
    epic: str
    initiative: str | None
    name: str
    status: str | None
    done: int
    total: int
    open_reviews: tuple[str, ...]  # review sub-task keys not done yet
    owners: Mapping[str, str | None]

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "epic": self.epic,
            "initiative": self.initiative,
            "name": self.name,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "open_reviews": list(self.open_reviews),
            "owners": dict(self.owners),
        }


def review_keys(issue: Issue) -> list[str]:
    prop = issue.properties.get(PROPERTY)
    reviews = prop.get("reviews") if isinstance(prop, Mapping) else None
    if not isinstance(reviews, Mapping):
        return []
    keys = [r.get("key") for r in reviews.values() if isinstance(r, Mapping)]
    return [k for k in keys if isinstance(k, str)]


def rollup(
    epics: Sequence[EpicView],
    children: Sequence[Issue],
    review_status: Mapping[str, str | None],
) -> list[EpicProgress]:
    """``review_status``: review sub-task key -> status category ("done", ...); a review
    whose sub-task is not in it (deleted, not visible) is not counted as open."""
    by_parent: dict[str, list[Issue]] = {}
    for child in children:
        if child.parent:
            by_parent.setdefault(child.parent, []).append(child)
    out = []
    for epic in epics:
        kids = by_parent.get(epic.issue.key, [])
        reviews = sorted(
            {
                k
                for kid in kids
                for k in review_keys(kid)
                if k in review_status and review_status[k] != DONE
            },
            key=_order,
        )
        owners = epic.record.get("owners")
        out.append(
            EpicProgress(
                epic=epic.issue.key,
                initiative=epic.initiative,
                name=str(epic.record.get("name") or epic.issue.summary or ""),
                status=epic.issue.status,
                done=sum(1 for k in kids if k.status_category == DONE),
                total=len(kids),
                open_reviews=tuple(reviews),
                owners=dict(owners) if isinstance(owners, Mapping) else {},
            )
        )
    return sorted(out, key=lambda p: _order(p.epic))


def _order(key: str) -> tuple[str, int]:
    project, _, number = key.rpartition("-")
    return project, int(number) if number.isdigit() else 0


def load_rollup(jira: JiraApi) -> list[EpicProgress]:
    """Read and roll up every epic the plugin made (found by label, wherever it is now)."""
    epics = [
        view(e)
        for e in jira.search(f'labels = "{EPIC_LABEL}"', fields=_FIELDS, properties=[PROPERTY])
    ]
    children: list[Issue] = []
    keys = [e.issue.key for e in epics]
    for start in range(0, len(keys), 100):
        chunk = ", ".join(keys[start : start + 100])
        children.extend(jira.search(f"parent in ({chunk})", fields=_FIELDS, properties=[PROPERTY]))
    wanted = sorted({k for c in children for k in review_keys(c)})
    found = jira.get_issues(wanted, ["status"]) if wanted else []
    return rollup(epics, children, {i.key: i.status_category for i in found})
