"""The seed document: what a sandbox site starts with (YAML or JSON).

Typed and strict (unknown keys are errors) so a typo in a seed fails loudly instead of producing
a site that silently lacks something. People are referred to by e-mail or account id anywhere a
user is expected. Issues name custom fields by their *name*, as the plugin's rules do.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError

__all__ = [
    "SEEDS_DIR",
    "Seed",
    "load_seed",
    "parse_seed",
]

SEEDS_DIR = Path(__file__).parent / "seeds"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SeedSite(_Strict):
    deployment_type: Literal["Cloud", "Server"] = "Cloud"
    # Every seeded user accepts this token as the basic-auth password (INTERFACES.md).
    default_token: str | None = "sandbox-token"
    # Page caps of the enhanced search; tests lower them to exercise paging.
    search_max_results: int = 100
    search_max_results_ids_only: int = 5000
    clock: datetime | None = None  # the site's "now" at start; None = real time
    # Jira Cloud's per-issue write limits (20 writes per 2 s, 100 per 30 s on one issue, 429
    # with RateLimit-Reason jira-per-issue-on-write); off for seeds that script bursts of writes.
    enforce_issue_write_limits: bool = True


class SeedUser(_Strict):
    account_id: str
    display_name: str
    email: str
    name: str | None = None  # short name (Data Center style), defaults to the e-mail's local part
    token: str | None = None  # per-user API token (basic auth), in addition to default_token
    pat: str | None = None  # Data Center personal access token (bearer)
    site_admin: bool = False
    active: bool = True


class SeedGroup(_Strict):
    name: str
    members: list[str] = Field(default_factory=list)  # e-mails or account ids


class SeedField(_Strict):
    name: str
    type: Literal["number", "string", "text", "date", "datetime", "select", "labels", "user"]
    id: str | None = None  # customfield_NNNNN; assigned from 10000 upwards when absent
    options: list[str] = Field(default_factory=list)  # for select


class SeedIssueType(_Strict):
    name: str
    subtask: bool = False
    hierarchy_level: int = 0  # Epic 1, Story/Task 0, Sub-task -1


class SeedStatus(_Strict):
    name: str
    category: Literal["new", "indeterminate", "done"]


class SeedTransition(_Strict):
    name: str
    to: str
    from_: list[str] = Field(default_factory=list, alias="from")  # empty = from any status
    # Jira sets a resolution on some transitions (e.g. "Done"); None clears it.
    resolution: str | None = None


class SeedWorkflow(_Strict):
    name: str
    statuses: list[SeedStatus]
    transitions: list[SeedTransition]
    initial: str | None = None  # defaults to the first status


class SeedProject(_Strict):
    key: str
    name: str
    type: Literal["business", "software", "service_desk"] = "software"
    lead: str | None = None
    issue_types: list[str] = Field(default_factory=lambda: ["Task", "Story", "Epic", "Sub-task"])
    workflow: str | None = None  # default workflow for every issue type
    workflows: dict[str, str] = Field(default_factory=dict)  # issue type -> workflow
    components: list[str] = Field(default_factory=list)
    # permission key -> groups allowed ("BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES",
    # "TRANSITION_ISSUES", "ADD_COMMENTS", "LINK_ISSUES", "WORK_ON_ISSUES"). A permission not
    # listed is granted to every user; site admins have all.
    permissions: dict[str, list[str]] = Field(default_factory=dict)


class SeedBoard(_Strict):
    id: int
    name: str
    type: Literal["scrum", "kanban"] = "scrum"
    project: str


class SeedSprint(_Strict):
    id: int
    board: int
    name: str
    state: Literal["future", "active", "closed"]
    start: datetime | None = None
    end: datetime | None = None
    complete: datetime | None = None
    goal: str | None = None


class SeedComment(_Strict):
    author: str
    body: str
    created: datetime | None = None


class SeedWorklog(_Strict):
    author: str
    started: datetime
    seconds: int
    comment: str | None = None


class SeedChangeItem(_Strict):
    field: str
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None


class SeedChange(_Strict):
    author: str
    created: datetime
    items: list[SeedChangeItem]


class SeedLink(_Strict):
    type: str  # link type name
    to: str  # the other issue's key (this issue is the outward side)


class SeedIssue(_Strict):
    key: str | None = None  # assigned in order per project when absent
    project: str
    type: str
    summary: str
    description: str | None = None  # plain text; served as ADF on v3, as text on v2
    status: str | None = None  # defaults to the workflow's initial status
    resolution: str | None = None
    reporter: str | None = None
    creator: str | None = None  # defaults to the reporter
    assignee: str | None = None
    labels: list[str] = Field(default_factory=list)
    components: list[str] = Field(default_factory=list)
    parent: str | None = None  # key of the parent (epic or, for sub-tasks, the parent issue)
    sprint: int | None = None  # sprint id
    fields: dict[str, Any] = Field(default_factory=dict)  # custom fields by *name*
    properties: dict[str, Any] = Field(default_factory=dict)
    created: datetime | None = None
    updated: datetime | None = None
    comments: list[SeedComment] = Field(default_factory=list)
    worklogs: list[SeedWorklog] = Field(default_factory=list)
    changelog: list[SeedChange] = Field(default_factory=list)
    links: list[SeedLink] = Field(default_factory=list)


class SeedLinkType(_Strict):
    name: str
    inward: str
    outward: str


class SeedPage(_Strict):
    title: str
    body: str = ""  # storage format
    parent: str | None = None  # title of the parent page in the same space
    labels: list[str] = Field(default_factory=list)
    author: str | None = None


class SeedSpace(_Strict):
    key: str
    name: str
    pages: list[SeedPage] = Field(default_factory=list)


class SeedConfluence(_Strict):
    spaces: list[SeedSpace] = Field(default_factory=list)


def _default_issue_types() -> list[SeedIssueType]:
    return [
        SeedIssueType(name="Epic", hierarchy_level=1),
        SeedIssueType(name="Story"),
        SeedIssueType(name="Task"),
        SeedIssueType(name="Bug"),
        SeedIssueType(name="Sub-task", subtask=True, hierarchy_level=-1),
    ]


def _default_link_types() -> list[SeedLinkType]:
    return [
        SeedLinkType(name="Relates", inward="relates to", outward="relates to"),
        SeedLinkType(name="Blocks", inward="is blocked by", outward="blocks"),
        SeedLinkType(name="Cloners", inward="is cloned by", outward="clones"),
    ]


class Seed(_Strict):
    site: SeedSite = Field(default_factory=SeedSite)
    users: list[SeedUser] = Field(default_factory=list)
    groups: list[SeedGroup] = Field(default_factory=list)
    fields: list[SeedField] = Field(default_factory=list)
    issue_types: list[SeedIssueType] = Field(default_factory=_default_issue_types)
    link_types: list[SeedLinkType] = Field(default_factory=_default_link_types)
    workflows: list[SeedWorkflow] = Field(default_factory=list)
    projects: list[SeedProject] = Field(default_factory=list)
    boards: list[SeedBoard] = Field(default_factory=list)
    sprints: list[SeedSprint] = Field(default_factory=list)
    issues: list[SeedIssue] = Field(default_factory=list)
    confluence: SeedConfluence = Field(default_factory=SeedConfluence)


def parse_seed(doc: Any, *, source: str = "<seed>") -> Seed:
    """Validate a seed document (already parsed from YAML/JSON)."""
    try:
        return Seed.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"{source}: invalid seed at {where}: {first['msg']}",
            hint=f"{exc.error_count()} problem(s) in all; see the seed reference in README.md",
        ) from None


def load_seed(name_or_path: str) -> Seed:
    """Load a built-in seed by name (``demo``) or a seed file (YAML or JSON) by path."""
    builtin = SEEDS_DIR / f"{name_or_path}.yaml"
    path = builtin if builtin.is_file() else Path(name_or_path)
    if not path.is_file():
        names = sorted(p.stem for p in SEEDS_DIR.glob("*.yaml"))
        raise InputError(
            f"seed {name_or_path!r} not found",
            hint=f"built-in seeds: {', '.join(names) or 'none'}; or give a path to a YAML file",
        )
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{line}: seed is not valid YAML/JSON") from None
    return parse_seed(doc, source=str(path))
