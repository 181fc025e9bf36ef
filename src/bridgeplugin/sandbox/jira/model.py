"""The records the fake Jira keeps: site configuration (fields, types, workflows, projects,
boards, sprints) and issues with their comments, worklogs, changelog and links.

Plain dataclasses with ``slots`` (a seeded site may hold 100,000 issues). People are account
ids, rich text is ``adf.RichText``, times are aware UTC datetimes; JSON shaping lives in
``shapes.py`` and behaviour in ``state.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .adf import RichText

__all__ = [
    "Board",
    "ChangeGroup",
    "ChangeItem",
    "Comment",
    "FieldDef",
    "Issue",
    "IssueTypeDef",
    "Link",
    "LinkType",
    "Project",
    "Sprint",
    "StatusDef",
    "TransitionDef",
    "Workflow",
    "Worklog",
    "format_date",
    "format_time",
    "parse_time",
]

# Jira's status categories: key -> (id, name, colour). The ids are Jira Cloud's own.
STATUS_CATEGORIES: dict[str, tuple[int, str, str]] = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}


def format_time(when: datetime) -> str:
    """Jira's timestamp format: ``2026-11-24T09:00:00.000+0000`` (UTC, milliseconds)."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


def format_date(day: date) -> str:
    return day.isoformat()


def parse_time(text: str) -> datetime:
    """Parse the timestamps clients send (``...+0000``, ``...Z``, ISO 8601); naive means UTC.

    Raises ValueError for anything else."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(slots=True)
class FieldDef:
    """A field as ``GET /field`` lists it. ``kind`` is the sandbox's value type: the seed's
    custom field types, or the system field's own (``summary``, ``user``, ``labels``...)."""

    id: str
    name: str
    kind: str
    custom: bool
    schema: dict[str, Any]
    clause_names: list[str]
    navigable: bool = True
    orderable: bool = True
    searchable: bool = True
    options: list[str] = field(default_factory=list)
    option_ids: dict[str, str] = field(default_factory=dict)  # option value -> id

    @property
    def custom_id(self) -> int | None:
        return int(self.id.rsplit("_", 1)[1]) if self.custom else None


@dataclass(slots=True)
class IssueTypeDef:
    id: str
    name: str
    subtask: bool
    hierarchy_level: int


@dataclass(slots=True)
class StatusDef:
    id: str
    name: str
    category: str  # new | indeterminate | done


@dataclass(slots=True)
class TransitionDef:
    id: str
    name: str
    to: str  # status name
    from_: list[str]  # status names; empty = from any status (a global transition)
    resolution: str | None


@dataclass(slots=True)
class Workflow:
    name: str
    statuses: list[str]
    transitions: list[TransitionDef]
    initial: str

    def available(self, status: str) -> list[TransitionDef]:
        """Transitions that can be taken from ``status``, in workflow order."""
        return [
            t for t in self.transitions if (status in t.from_) or (not t.from_ and t.to != status)
        ]


@dataclass(slots=True)
class LinkType:
    id: str
    name: str
    inward: str
    outward: str


@dataclass(slots=True)
class Project:
    id: str
    key: str
    name: str
    type: str
    lead: str | None
    issue_types: list[str]  # names, in seed order
    workflows: dict[str, str]  # issue type name -> workflow name
    components: dict[str, str]  # name -> id
    permissions: dict[str, list[str]]  # permission key -> groups
    next_number: int = 1


@dataclass(slots=True)
class Board:
    id: int
    name: str
    type: str
    project: str  # project key


@dataclass(slots=True)
class Sprint:
    id: int
    board: int
    name: str
    state: str
    start: datetime | None
    end: datetime | None
    complete: datetime | None
    goal: str | None


@dataclass(slots=True)
class Comment:
    id: int
    author: str
    body: RichText
    created: datetime
    updated: datetime
    update_author: str


@dataclass(slots=True)
class Worklog:
    id: int
    author: str
    started: datetime
    seconds: int
    comment: RichText | None
    created: datetime
    updated: datetime


@dataclass(slots=True)
class ChangeItem:
    field: str
    fieldtype: str
    field_id: str
    from_: str | None
    from_string: str | None
    to: str | None
    to_string: str | None


@dataclass(slots=True)
class ChangeGroup:
    id: int
    author: str | None
    created: datetime
    items: list[ChangeItem]


@dataclass(slots=True)
class Link:
    """``source`` <outward> ``target``: for Blocks, the source blocks the target."""

    id: int
    type: str  # link type name
    source: int  # issue id
    target: int  # issue id


@dataclass(slots=True)
class Issue:
    id: int
    key: str
    project: str
    type: str  # issue type name
    summary: str
    description: RichText | None
    status: str
    resolution: str | None
    resolution_date: datetime | None
    reporter: str | None
    creator: str | None
    assignee: str | None
    labels: list[str]
    components: list[str]
    parent: int | None  # issue id
    sprints: list[int]
    custom: dict[str, Any]  # field id -> stored value (see state.CustomValues)
    properties: dict[str, Any]
    created: datetime
    updated: datetime
    status_changed: datetime
    comments: list[Comment] = field(default_factory=list)
    worklogs: list[Worklog] = field(default_factory=list)
    changelog: list[ChangeGroup] = field(default_factory=list)
    links: list[int] = field(default_factory=list)  # link ids
    # The JQL row, built on first search and dropped on every write (see search.py).
    row: dict[str, Any] | None = None

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])
