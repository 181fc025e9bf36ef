"""Plain data the pure core works on: issues, users, sprints, pages.

The gateways turn Jira and Confluence JSON into these models; rule evaluation and planning take
them and never see HTTP. Models are frozen so a snapshot cannot change under an evaluation.
Custom fields are keyed by their *name* ("Cost", "Initiative"): the gateway resolved the ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Attachment",
    "Board",
    "ChangeItem",
    "ChangelogEntry",
    "Comment",
    "CreateResult",
    "FieldInfo",
    "Issue",
    "IssueLink",
    "Page",
    "Project",
    "ServerInfo",
    "Space",
    "Sprint",
    "Status",
    "Transition",
    "User",
    "Worklog",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class User(_Frozen):
    account_id: str
    display_name: str = ""
    email: str | None = None
    active: bool = True
    time_zone: str | None = None  # IANA name from the profile (Jira reads JQL dates in it)


class ServerInfo(_Frozen):
    base_url: str
    deployment_type: str = "Cloud"  # "Cloud" or "Server" (Data Center reports "Server")
    version: str = ""

    @property
    def is_cloud(self) -> bool:
        return self.deployment_type == "Cloud"


class FieldInfo(_Frozen):
    id: str
    name: str
    custom: bool = False
    schema_type: str | None = None  # "number", "string", "array", ...
    schema_custom: str | None = None  # custom field type key, e.g. "...:textarea" (takes ADF)


class Project(_Frozen):
    id: str
    key: str
    name: str = ""
    project_type: str = ""  # "business", "software", "service_desk"
    issue_types: tuple[str, ...] = ()


class ChangeItem(_Frozen):
    field: str
    field_id: str | None = None
    from_value: str | None = None
    from_string: str | None = None
    to_value: str | None = None
    to_string: str | None = None


class ChangelogEntry(_Frozen):
    id: str
    author: User | None = None
    created: datetime
    items: tuple[ChangeItem, ...] = ()


class Comment(_Frozen):
    id: str
    author: User | None = None
    body: str = ""  # plain text (ADF flattened by the gateway)
    created: datetime | None = None


class Worklog(_Frozen):
    id: str
    author: User | None = None
    started: datetime
    time_spent_seconds: int


class IssueLink(_Frozen):
    type: str  # link type name, e.g. "Relates"
    direction: str  # "outward" or "inward"
    key: str  # the other issue


class Transition(_Frozen):
    id: str
    name: str
    to_status: str
    looped: bool = False  # leads back to the status the issue is in


class Issue(_Frozen):
    """One Jira issue as the core sees it; only the fields that were asked for are set."""

    id: str
    key: str
    project: str | None = None
    issue_type: str | None = None
    status: str | None = None
    status_category: str | None = None  # "new", "indeterminate", "done"
    summary: str | None = None
    description: str | None = None  # plain text (ADF flattened by the gateway)
    reporter: User | None = None
    creator: User | None = None
    assignee: User | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    parent: str | None = None  # parent issue key
    resolution: str | None = None
    created: datetime | None = None
    updated: datetime | None = None
    custom: dict[str, Any] = Field(default_factory=dict)  # by field *name*
    properties: dict[str, Any] = Field(default_factory=dict)  # entity properties by key
    links: tuple[IssueLink, ...] = ()
    # The ``worklog`` field, when a search asked for it: Jira embeds up to 20 worklogs and says
    # how many the issue has; more than embedded means reading ``issue/{key}/worklog``.
    worklogs: tuple[Worklog, ...] | None = None
    worklog_total: int | None = None


class Board(_Frozen):
    id: int
    name: str
    type: str = "scrum"
    project_key: str | None = None


class Sprint(_Frozen):
    id: int
    name: str
    state: str  # "future", "active", "closed"
    start_date: datetime | None = None
    end_date: datetime | None = None
    complete_date: datetime | None = None
    board_id: int | None = None
    goal: str | None = None


class Page(_Frozen):
    id: str
    title: str
    space_key: str
    version: int
    body: str | None = None  # storage format, when asked for
    parent_id: str | None = None
    labels: tuple[str, ...] = ()
    url: str | None = None


class Status(_Frozen):
    id: str
    name: str
    category: str | None = None  # "new", "indeterminate", "done"


class CreateResult(_Frozen):
    """The outcome of one issue in a (bulk) create: a key, or the errors Jira gave for it."""

    index: int  # position in the request
    id: str | None = None
    key: str | None = None
    status: int | None = None  # HTTP status Jira reported for a failed element
    errors: dict[str, str] = Field(default_factory=dict)  # by field id
    error_messages: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.key is not None


class Attachment(_Frozen):
    id: str
    title: str
    media_type: str | None = None
    file_size: int | None = None
    version: int | None = None
    download_url: str | None = None
    comment: str | None = None  # the latest version's comment


class Space(_Frozen):
    id: str
    key: str
    name: str = ""
    type: str = ""  # "global" or "personal"
    url: str | None = None
