"""State and behaviour of the fake Jira Cloud: what a site holds and what a write does to it.

``JiraState`` is built from a seed (``from_seed``) or a snapshot (``from_json``) and owns the
rules a plugin relies on: project permissions (a permission a project does not list is granted
to everyone; site admins hold all), workflow-checked transitions, sub-task/epic parent rules,
field validation with Jira's error shapes, a changelog entry for every change (author, time,
items), per-issue write limits, and sequential keys per project with numeric ids from 10000.

Errors are raised as ``HttpError`` with the messages Jira uses, so the routes only translate
HTTP to calls. Every write goes through ``_touch`` which bumps ``updated``, drops the issue's
cached JQL row and the search cache (``version``).
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ...errors import InputError
from ..accounts import Account, Accounts
from ..clock import Clock
from ..routing import HttpError
from ..seed import Seed, SeedIssue, SeedSite
from . import adf
from .catalog import (
    DEFAULT_RESOLUTIONS,
    GLOBAL_PERMISSIONS,
    PROJECT_PERMISSIONS,
    SPRINT_FIELD_ID,
    custom_field,
    system_fields,
)
from .limits import IssueWriteLimiter
from .model import (
    Board,
    ChangeGroup,
    ChangeItem,
    Comment,
    FieldDef,
    Issue,
    IssueTypeDef,
    Link,
    LinkType,
    Project,
    Sprint,
    StatusDef,
    TransitionDef,
    Workflow,
    Worklog,
    format_time,
    parse_time,
)

__all__ = ["NOT_FOUND", "JiraState", "bulk_allocation"]

NOT_FOUND = "Issue does not exist or you do not have permission to see it."
_CANNOT_SET = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
_ADF_REQUIRED = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
_KEY_RE = re.compile(r"^([A-Z][A-Z0-9_]*)-(\d+)$")
_CUSTOM_ID_RE = re.compile(r"^customfield_(\d+)$")
MAX_PROPERTY_LENGTH = 32_768
# Jira Cloud's per-issue content limits; going over one answers 413.
MAX_COMMENTS_PER_ISSUE = 5_000
MAX_WORKLOGS_PER_ISSUE = 5_000
MAX_LINKS_PER_ISSUE = 2_000
_FIRST_ID = 10000

# Fields a create/edit may not set directly (Jira sets them, or a transition does).
_READ_ONLY = frozenset(
    {
        "status",
        "statusCategory",
        "resolution",
        "resolutiondate",
        "created",
        "updated",
        "creator",
        "statuscategorychangedate",
        "issuekey",
        "worklog",
        "subtasks",
        "issuelinks",
        "comment",
    }
)

_DEFAULT_WORKFLOW = "Default workflow"


def _default_workflow() -> Workflow:
    # Jira's team-managed default: three statuses, every transition global.
    return Workflow(
        name=_DEFAULT_WORKFLOW,
        statuses=["To Do", "In Progress", "Done"],
        transitions=[
            TransitionDef("11", "To Do", "To Do", [], None),
            TransitionDef("21", "In Progress", "In Progress", [], None),
            TransitionDef("31", "Done", "Done", [], "Done"),
        ],
        initial="To Do",
    )


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@contextlib.contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects at once.

    Loading 100,000 issues allocates millions of containers; each generation-2 collection on
    the way walks all of them again, which triples the load time. Nothing built here is
    garbage, so nothing is lost by collecting afterwards instead.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class JiraState:
    """Everything one fake Jira site holds. Not thread-safe: the app serialises calls."""

    def __init__(self, accounts: Accounts, clock: Clock, site: SeedSite) -> None:
        self.accounts = accounts
        self.clock = clock
        self.site = site
        self.fields: dict[str, FieldDef] = {}
        self.issue_types: dict[str, IssueTypeDef] = {}
        self.statuses: dict[str, StatusDef] = {}
        self.workflows: dict[str, Workflow] = {}
        self.link_types: dict[str, LinkType] = {}
        self.resolutions: dict[str, str] = {}  # name -> id
        self.projects: dict[str, Project] = {}
        self.boards: dict[int, Board] = {}
        self.sprints: dict[int, Sprint] = {}
        self.issues: dict[str, Issue] = {}  # by key; state.py counts it
        self.by_id: dict[int, Issue] = {}
        self.links: dict[int, Link] = {}
        self.children: dict[int, list[int]] = {}  # parent id -> child ids
        self.next_issue_id = _FIRST_ID
        self.next_comment_id = _FIRST_ID
        self.next_worklog_id = _FIRST_ID
        self.next_change_id = _FIRST_ID
        self.next_link_id = _FIRST_ID
        self.sprint_field_id = SPRINT_FIELD_ID
        # Bumped by every write; the search cache keys on it.
        self.version = 0
        self.limiter = IssueWriteLimiter(enabled=site.enforce_issue_write_limits)
        # Helpers that live as long as this state (the routes keep the search cursors here).
        self.cache: dict[str, Any] = {}
        self._field_by_name: dict[str, FieldDef] = {}

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_seed(cls, seed: Seed, accounts: Accounts, clock: Clock) -> JiraState:
        st = cls(accounts, clock, seed.site)
        st._load_catalog(seed)
        with bulk_allocation():
            st._load_issues(seed)
        return st

    def _load_catalog(self, seed: Seed) -> None:
        for f in system_fields():
            self.fields[f.id] = f
        used: set[int] = set()
        for sf in seed.fields:
            if sf.id is not None:
                m = _CUSTOM_ID_RE.match(sf.id)
                if m is None:
                    raise InputError(f"seed field {sf.name!r}: id must look like customfield_10010")
                if int(m.group(1)) in used:
                    raise InputError(f"seed field {sf.name!r}: id {sf.id} is used twice")
                used.add(int(m.group(1)))
        number = _FIRST_ID
        for sf in seed.fields:
            if sf.name.lower() in {f.name.lower() for f in self.fields.values()}:
                raise InputError(f"seed field {sf.name!r} is defined twice or is a system field")
            if sf.id is None:
                while number in used:
                    number += 1
                used.add(number)
                fid = f"customfield_{number}"
            else:
                fid = sf.id
            if sf.type == "select" and not sf.options:
                raise InputError(f"seed field {sf.name!r}: a select field needs options")
            self.fields[fid] = custom_field(fid, sf.name, sf.type, sf.options)
        sprint_number = int(SPRINT_FIELD_ID.rsplit("_", 1)[1])
        while sprint_number in used:
            sprint_number += 1
        self.sprint_field_id = f"customfield_{sprint_number}"
        if "sprint" in {f.name.lower() for f in self.fields.values()}:
            raise InputError("seed field 'Sprint' clashes with the built-in Sprint field")
        self.fields[self.sprint_field_id] = custom_field(
            self.sprint_field_id, "Sprint", "sprint", []
        )
        self._index_fields()

        for i, it in enumerate(seed.issue_types):
            self.issue_types[it.name] = IssueTypeDef(
                id=str(_FIRST_ID + i),
                name=it.name,
                subtask=it.subtask,
                hierarchy_level=-1 if it.subtask else it.hierarchy_level,
            )
        for i, lt in enumerate(seed.link_types):
            self.link_types[lt.name] = LinkType(str(_FIRST_ID + i), lt.name, lt.inward, lt.outward)

        workflows = [self._workflow_from_seed(w) for w in seed.workflows]
        if any(p.workflow is None and not p.workflows for p in seed.projects) or not workflows:
            workflows.append(_default_workflow())
        status_ids = 0
        for wf in workflows:
            if wf.name in self.workflows:
                raise InputError(f"seed workflow {wf.name!r} is defined twice")
            self.workflows[wf.name] = wf
        for sw in seed.workflows:
            for st in sw.statuses:
                self._add_status(st.name, st.category, status_ids)
                status_ids += 1
        if _DEFAULT_WORKFLOW in self.workflows and not any(
            w.name == _DEFAULT_WORKFLOW for w in seed.workflows
        ):
            for name, cat in (("To Do", "new"), ("In Progress", "indeterminate"), ("Done", "done")):
                self._add_status(name, cat, status_ids)
                status_ids += 1

        names = list(DEFAULT_RESOLUTIONS)
        for wf in self.workflows.values():
            names.extend(t.resolution for t in wf.transitions if t.resolution)
        for name in names:
            self.resolutions.setdefault(name, str(_FIRST_ID + len(self.resolutions)))

        for i, sp in enumerate(seed.projects):
            if sp.key in self.projects:
                raise InputError(f"seed project {sp.key} is defined twice")
            if not re.match(r"^[A-Z][A-Z0-9_]{1,9}$", sp.key):
                raise InputError(f"seed project key {sp.key!r}: 2-10 upper-case letters/digits")
            for t in sp.issue_types:
                if t not in self.issue_types:
                    raise InputError(
                        f"seed project {sp.key} names unknown issue type {t!r}",
                        hint="known: " + ", ".join(self.issue_types),
                    )
            wf_by_type: dict[str, str] = {}
            for t in sp.issue_types:
                wf_name = sp.workflows.get(t) or sp.workflow or _DEFAULT_WORKFLOW
                if wf_name not in self.workflows:
                    raise InputError(
                        f"seed project {sp.key} names unknown workflow {wf_name!r}",
                        hint="known: " + ", ".join(self.workflows),
                    )
                wf_by_type[t] = wf_name
            for perm, groups in sp.permissions.items():
                if perm not in PROJECT_PERMISSIONS:
                    raise InputError(
                        f"seed project {sp.key}: unknown permission {perm!r}",
                        hint="known: " + ", ".join(sorted(PROJECT_PERMISSIONS)),
                    )
                for g in groups:
                    if g not in self.accounts.groups:
                        raise InputError(f"seed project {sp.key}: {perm} names unknown group {g!r}")
            lead = self._seed_user(sp.lead, f"project {sp.key} lead") if sp.lead else None
            self.projects[sp.key] = Project(
                id=str(_FIRST_ID + i),
                key=sp.key,
                name=sp.name,
                type=sp.type,
                lead=lead,
                issue_types=list(sp.issue_types),
                workflows=wf_by_type,
                components={c: str(_FIRST_ID + i * 100 + j) for j, c in enumerate(sp.components)},
                permissions={k: list(v) for k, v in sp.permissions.items()},
            )

        for b in seed.boards:
            if b.project not in self.projects:
                raise InputError(f"seed board {b.id} names unknown project {b.project!r}")
            self.boards[b.id] = Board(b.id, b.name, b.type, b.project)
        for s in seed.sprints:
            if s.board not in self.boards:
                raise InputError(f"seed sprint {s.id} names unknown board {s.board}")
            self.sprints[s.id] = Sprint(
                id=s.id,
                board=s.board,
                name=s.name,
                state=s.state,
                start=_utc(s.start) if s.start else None,
                end=_utc(s.end) if s.end else None,
                complete=_utc(s.complete) if s.complete else None,
                goal=s.goal,
            )

    def _workflow_from_seed(self, sw: Any) -> Workflow:
        names = [s.name for s in sw.statuses]
        if not names:
            raise InputError(f"seed workflow {sw.name!r} has no statuses")
        transitions = []
        for i, t in enumerate(sw.transitions):
            for ref in [t.to, *t.from_]:
                if ref not in names:
                    raise InputError(f"seed workflow {sw.name!r}: unknown status {ref!r}")
            transitions.append(
                TransitionDef(str(11 + 10 * i), t.name, t.to, list(t.from_), t.resolution)
            )
        initial = sw.initial or names[0]
        if initial not in names:
            raise InputError(f"seed workflow {sw.name!r}: unknown initial status {initial!r}")
        return Workflow(sw.name, names, transitions, initial)

    def _add_status(self, name: str, category: str, index: int) -> None:
        existing = self.statuses.get(name)
        if existing is not None:
            if existing.category != category:
                raise InputError(f"seed status {name!r} has two different categories")
            return
        self.statuses[name] = StatusDef(str(_FIRST_ID + len(self.statuses)), name, category)

    def _index_fields(self) -> None:
        self._field_by_name = {}
        for f in self.fields.values():
            self._field_by_name.setdefault(f.name.lower(), f)
            self._field_by_name.setdefault(f.id.lower(), f)

    def _seed_user(self, ref: str | None, where: str) -> str | None:
        if ref is None:
            return None
        acc = self.accounts.find(ref)
        if acc is None:
            raise InputError(f"seed {where}: unknown user {ref!r}")
        return acc.account_id

    def _load_issues(self, seed: Seed) -> None:
        now = self.clock.now()
        keys_used: dict[str, set[int]] = {p: set() for p in self.projects}
        for si in seed.issues:
            if si.key:
                m = _KEY_RE.match(si.key)
                if m is None or m.group(1) != si.project:
                    raise InputError(f"seed issue key {si.key!r} does not belong to {si.project}")
                if int(m.group(2)) in keys_used.setdefault(si.project, set()):
                    raise InputError(f"seed issue key {si.key} is used twice")
                keys_used[si.project].add(int(m.group(2)))
        pending_parents: list[tuple[Issue, str, SeedIssue]] = []
        for n, si in enumerate(seed.issues):
            where = f"issue #{n + 1}" + (f" ({si.key})" if si.key else "")
            project = self.projects.get(si.project)
            if project is None:
                raise InputError(f"seed {where} names unknown project {si.project!r}")
            if si.type not in project.issue_types:
                raise InputError(f"seed {where}: issue type {si.type!r} is not in {si.project}")
            if si.key:
                key = si.key
            else:
                while project.next_number in keys_used[si.project]:
                    project.next_number += 1
                key = f"{si.project}-{project.next_number}"
                keys_used[si.project].add(project.next_number)
            wf = self.workflow_of(si.project, si.type)
            status = si.status or wf.initial
            if status not in wf.statuses:
                raise InputError(f"seed {where}: status {status!r} is not in {wf.name!r}")
            resolution = si.resolution
            if resolution is None and self.statuses[status].category == "done":
                resolution = "Done"
            if resolution is not None:
                self.resolutions.setdefault(resolution, str(_FIRST_ID + len(self.resolutions)))
            for c in si.components:
                if c not in project.components:
                    raise InputError(f"seed {where}: unknown component {c!r} in {si.project}")
            if si.sprint is not None and si.sprint not in self.sprints:
                raise InputError(f"seed {where}: unknown sprint {si.sprint}")
            created = _utc(si.created) if si.created else now
            updated = _utc(si.updated) if si.updated else created
            reporter = self._seed_user(si.reporter, where)
            issue = Issue(
                id=self.next_issue_id,
                key=key,
                project=si.project,
                type=si.type,
                summary=si.summary,
                description=si.description,
                status=status,
                resolution=resolution,
                resolution_date=updated if resolution else None,
                reporter=reporter,
                creator=self._seed_user(si.creator, where) if si.creator else reporter,
                assignee=self._seed_user(si.assignee, where),
                labels=list(si.labels),
                components=list(si.components),
                parent=None,
                sprints=[si.sprint] if si.sprint is not None else [],
                custom={},
                properties=dict(si.properties),
                created=created,
                updated=updated,
                status_changed=updated if status != wf.initial else created,
            )
            for name, value in si.fields.items():
                f = self.field_named(name)
                if f is None or not f.custom:
                    raise InputError(f"seed {where}: unknown custom field {name!r}")
                try:
                    issue.custom[f.id] = self._seed_custom_value(f, value)
                except ValueError as exc:
                    raise InputError(f"seed {where}: field {name!r}: {exc}") from None
            self.next_issue_id += 1
            self.issues[key] = issue
            self.by_id[issue.id] = issue
            if si.parent:
                pending_parents.append((issue, si.parent, si))
            for c in si.comments:
                when = _utc(c.created) if c.created else created
                author = self._seed_user(c.author, where)
                assert author is not None
                issue.comments.append(
                    Comment(self._next("comment"), author, c.body, when, when, author)
                )
            for w in si.worklogs:
                author = self._seed_user(w.author, where)
                assert author is not None
                issue.worklogs.append(
                    Worklog(
                        self._next("worklog"),
                        author,
                        _utc(w.started),
                        w.seconds,
                        w.comment,
                        _utc(w.started),
                        _utc(w.started),
                    )
                )
            for ch in si.changelog:
                items = [self._seed_change_item(it.field, it.from_, it.to) for it in ch.items]
                issue.changelog.append(
                    ChangeGroup(
                        self._next("change"),
                        self._seed_user(ch.author, where),
                        _utc(ch.created),
                        items,
                    )
                )
        for project_key, numbers in keys_used.items():
            if numbers:
                self.projects[project_key].next_number = max(numbers) + 1
        for issue, parent_key, _si in pending_parents:
            parent = self.issues.get(parent_key)
            if parent is None:
                raise InputError(f"seed issue {issue.key}: unknown parent {parent_key!r}")
            problem = self._parent_problem(issue.project, self.issue_types[issue.type], parent)
            if problem:
                raise InputError(f"seed issue {issue.key}: parent {parent_key}: {problem}")
            issue.parent = parent.id
            self.children.setdefault(parent.id, []).append(issue.id)
        for n, si in enumerate(seed.issues):
            if not si.links:
                continue
            source = self.by_id[_FIRST_ID + n]
            for sl in si.links:
                if sl.type not in self.link_types:
                    raise InputError(f"seed issue {source.key}: unknown link type {sl.type!r}")
                target = self.issues.get(sl.to)
                if target is None:
                    raise InputError(f"seed issue {source.key}: link to unknown issue {sl.to!r}")
                self._add_link(sl.type, source, target)

    def _seed_custom_value(self, f: FieldDef, value: Any) -> Any:
        if value is None:
            return None
        kind = f.kind
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError("expected a number")
            return value
        if kind in ("string", "text"):
            return str(value)
        if kind == "date":
            return (
                value.isoformat()
                if isinstance(value, date)
                else date.fromisoformat(str(value)).isoformat()
            )
        if kind == "datetime":
            return _utc(value) if isinstance(value, datetime) else parse_time(str(value))
        if kind == "select":
            if str(value) not in f.options:
                raise ValueError(f"{value!r} is not one of {f.options}")
            return str(value)
        if kind == "labels":
            return [str(v) for v in (value if isinstance(value, list) else [value])]
        if kind == "user":
            acc = self.accounts.find(str(value))
            if acc is None:
                raise ValueError(f"unknown user {value!r}")
            return acc.account_id
        raise ValueError(f"cannot seed a {kind} field")

    def _seed_change_item(self, name: str, from_: str | None, to: str | None) -> ChangeItem:
        f = self.field_named(name)
        fid = f.id if f else name
        fieldtype = "custom" if f is not None and f.custom else "jira"
        label = f.name if f is not None and f.custom else (f.id if f else name)
        from_id, to_id = from_, to
        if fid == "status":
            from_id = self.statuses[from_].id if from_ in self.statuses else None
            to_id = self.statuses[to].id if to in self.statuses else None
        elif f is not None and f.kind == "user":
            from_id = self._seed_user(from_, "changelog") if from_ else None
            to_id = self._seed_user(to, "changelog") if to else None
            from_ = self.display_name(from_id) if from_id else None
            to = self.display_name(to_id) if to_id else None
        else:
            from_id = to_id = None
        return ChangeItem(label, fieldtype, fid, from_id, from_, to_id, to)

    def _next(self, what: str) -> int:
        attr = f"next_{what}_id"
        value: int = getattr(self, attr)
        setattr(self, attr, value + 1)
        return value

    # ------------------------------------------------------------------ lookups

    def field_named(self, name_or_id: str) -> FieldDef | None:
        return self._field_by_name.get(name_or_id.lower())

    def custom_fields(self) -> Iterator[FieldDef]:
        return (f for f in self.fields.values() if f.custom)

    def workflow_of(self, project_key: str, issue_type: str) -> Workflow:
        return self.workflows[self.projects[project_key].workflows[issue_type]]

    def project_ref(self, key_or_id: str) -> Project | None:
        if key_or_id in self.projects:
            return self.projects[key_or_id]
        upper = key_or_id.upper()
        for p in self.projects.values():
            if p.id == key_or_id or p.key == upper:
                return p
        return None

    def issue_type_ref(self, ref: Mapping[str, Any] | str) -> IssueTypeDef | None:
        if isinstance(ref, str):
            ref = {"name": ref}
        for it in self.issue_types.values():
            if ("id" in ref and str(ref["id"]) == it.id) or ref.get("name") == it.name:
                return it
        return None

    def status_by_id(self, sid: str) -> StatusDef | None:
        return next((s for s in self.statuses.values() if s.id == sid), None)

    def display_name(self, account_id: str | None) -> str | None:
        if account_id is None:
            return None
        acc = self.accounts.users.get(account_id)
        return acc.display_name if acc else account_id

    def find_issue(self, ref: str) -> Issue | None:
        """An issue by id or key (keys are case-insensitive, as in Jira), ignoring permissions."""
        ref = ref.strip()
        if ref.isdigit():
            return self.by_id.get(int(ref))
        return self.issues.get(ref.upper())

    def visible_issue(self, ref: str, user: Account) -> Issue:
        """The issue if it exists and the user may browse its project; else Jira's 404."""
        issue = self.find_issue(ref)
        if issue is None or not self.can(user, issue.project, "BROWSE_PROJECTS"):
            raise HttpError(404, NOT_FOUND)
        return issue

    def subtasks_of(self, issue: Issue) -> list[Issue]:
        return [
            self.by_id[c]
            for c in self.children.get(issue.id, [])
            if c in self.by_id and self.issue_types[self.by_id[c].type].subtask
        ]

    def children_of(self, issue: Issue) -> list[Issue]:
        return [self.by_id[c] for c in self.children.get(issue.id, []) if c in self.by_id]

    # ------------------------------------------------------------------ permissions

    def can(self, user: Account, project_key: str, permission: str) -> bool:
        if user.site_admin:
            return True
        if permission in GLOBAL_PERMISSIONS:
            return not GLOBAL_PERMISSIONS[permission][3]
        groups = self.projects[project_key].permissions.get(permission)
        if groups is None:
            return True
        return any(self.accounts.in_group(user.account_id, g) for g in groups)

    def browsable_projects(self, user: Account) -> set[str]:
        return {k for k in self.projects if self.can(user, k, "BROWSE_PROJECTS")}

    def require(
        self, user: Account, project_key: str, permission: str, doing: str, status: int = 403
    ) -> None:
        """Refuse naming the permission when the user lacks it on the project.

        The status is the one Jira documents for the operation: 403 where the description
        declares it (create, edit, delete, properties, assign), 400 where a missing permission
        is "an invalid request" (transitions, comments, worklogs), 404 for issue links.
        """
        if not self.can(user, project_key, permission):
            raise HttpError(
                status,
                f"You do not have permission to {doing} in project {project_key} "
                f"(missing permission {permission}).",
            )

    def check_write_limit(self, issue: Issue) -> None:
        self.limiter.check(issue.id)

    # ------------------------------------------------------------------ writes: shared

    def _touch(self, issue: Issue, when: datetime | None = None) -> None:
        issue.updated = when or self.clock.now()
        issue.row = None
        self.version += 1

    def _record(self, issue: Issue, author: Account, items: list[ChangeItem]) -> None:
        if items:
            issue.changelog.append(
                ChangeGroup(self._next("change"), author.account_id, self.clock.now(), items)
            )

    # ------------------------------------------------------------------ create

    def create_issue(self, user: Account, body: Any, ver: str) -> Issue:
        """``POST /issue``: validate everything, then create; 400 names each bad field."""
        if not isinstance(body, dict):
            raise HttpError(400, "Request body must be a JSON object.")
        fields = body.get("fields") or {}
        update = body.get("update") or {}
        if not isinstance(fields, dict) or not isinstance(update, dict):
            raise HttpError(400, "fields and update must be JSON objects.")
        errors: dict[str, str] = {}

        project = self._project_from_input(fields.get("project"), errors)
        itype = None
        raw_type = fields.get("issuetype")
        if not isinstance(raw_type, dict):
            errors["issuetype"] = "Specify an issue type"
        else:
            itype = self.issue_type_ref(raw_type)
            if itype is None or (project is not None and itype.name not in project.issue_types):
                errors["issuetype"] = "Specify a valid issue type"
        if project is not None:
            if not self.can(user, project.key, "BROWSE_PROJECTS"):
                raise HttpError(400, errors={"project": "Specify a valid project ID or key"})
            self.require(user, project.key, "CREATE_ISSUES", "create issues")
        summary = fields.get("summary")
        if summary is None and not any(k == "summary" for k in update):
            errors.setdefault("summary", "You must specify a summary of the issue.")
        if errors:
            raise HttpError(400, errors=errors)
        assert project is not None and itype is not None

        now = self.clock.now()
        wf = self.workflow_of(project.key, itype.name)
        draft = Issue(
            id=0,
            key="",
            project=project.key,
            type=itype.name,
            summary="",
            description=None,
            status=wf.initial,
            resolution=None,
            resolution_date=None,
            reporter=user.account_id,
            creator=user.account_id,
            assignee=None,
            labels=[],
            components=[],
            parent=None,
            sprints=[],
            custom={},
            properties={},
            created=now,
            updated=now,
            status_changed=now,
        )
        rest = {k: v for k, v in fields.items() if k not in ("project", "issuetype")}
        self._apply_fields(draft, rest, update, ver, errors, user, creating=True)
        if itype.subtask and draft.parent is None and "parent" not in errors:
            errors["parent"] = "Issue type is a sub-task but parent issue key or id not specified."
        properties = body.get("properties") or []
        if not isinstance(properties, list):
            errors["properties"] = "properties must be a list of {key, value}."
        else:
            for p in properties:
                if not isinstance(p, dict) or "key" not in p:
                    errors["properties"] = "Each property needs a key and a value."
                    continue
                problem = _property_problem(str(p["key"]), p.get("value"))
                if problem:
                    errors["properties"] = problem
                else:
                    draft.properties[str(p["key"])] = p.get("value")
        if errors:
            raise HttpError(400, errors=errors)

        draft.id = self._next("issue")
        draft.key = f"{project.key}-{project.next_number}"
        project.next_number += 1
        self.issues[draft.key] = draft
        self.by_id[draft.id] = draft
        if draft.parent is not None:
            self.children.setdefault(draft.parent, []).append(draft.id)
        for op in _link_adds(update):
            self._link_from_update(user, draft, op, errors)
        self._touch(draft, now)
        return draft

    def _project_from_input(self, raw: Any, errors: dict[str, str]) -> Project | None:
        if not isinstance(raw, dict):
            errors["project"] = "Specify a valid project ID or key"
            return None
        ref = raw.get("key") or raw.get("id")
        project = self.project_ref(str(ref)) if ref is not None else None
        if project is None:
            errors["project"] = "Specify a valid project ID or key"
        return project

    # ------------------------------------------------------------------ edit

    def edit_issue(self, user: Account, issue: Issue, body: Any, ver: str) -> None:
        """``PUT /issue/{key}``: ``fields`` sets, ``update`` applies operations; all or nothing."""
        if not isinstance(body, dict):
            raise HttpError(400, "Request body must be a JSON object.")
        self.require(user, issue.project, "EDIT_ISSUES", "edit issues")
        fields = body.get("fields") or {}
        update = body.get("update") or {}
        if not isinstance(fields, dict) or not isinstance(update, dict):
            raise HttpError(400, "fields and update must be JSON objects.")
        errors: dict[str, str] = {}
        for k in ("project", "issuetype"):
            if k in fields or k in update:
                errors[k] = _CANNOT_SET.format(k)
        both = set(fields) & set(update)
        for k in both:
            errors[k] = f"Field '{k}' cannot be set in both 'fields' and 'update'."
        if errors:
            raise HttpError(400, errors=errors)
        # Work on a copy so a bad field leaves the issue untouched, as Jira does.
        before = _snapshot(issue)
        draft = _copy_issue(issue)
        comments = [op for op in update.get("comment", []) if isinstance(op, dict)]
        self._apply_fields(
            draft,
            fields,
            {k: v for k, v in update.items() if k not in ("comment", "issuelinks")},
            ver,
            errors,
            user,
            creating=False,
        )
        comment_bodies = []
        for op in comments:
            if "add" not in op or not isinstance(op["add"], dict):
                errors["comment"] = "Only 'add' is supported for comments in an edit."
                continue
            text = self._rich_input(op["add"].get("body"), ver, "comment", errors)
            if text is not None:
                comment_bodies.append(text)
        if errors:
            raise HttpError(400, errors=errors)
        self.check_write_limit(issue)
        items = self._diff(before, draft)
        self._commit(issue, draft)
        self._record(issue, user, items)
        for text in comment_bodies:
            self._add_comment_unchecked(user, issue, text)
        for op in _link_adds(update):
            self._link_from_update(user, issue, op, errors)
        if errors:
            raise HttpError(400, errors=errors)
        self._touch(issue)

    def _commit(self, issue: Issue, draft: Issue) -> None:
        if draft.parent != issue.parent:
            if issue.parent is not None and issue.parent in self.children:
                self.children[issue.parent] = [
                    c for c in self.children[issue.parent] if c != issue.id
                ]
            if draft.parent is not None:
                self.children.setdefault(draft.parent, []).append(issue.id)
        for name in (
            "summary",
            "description",
            "reporter",
            "assignee",
            "labels",
            "components",
            "parent",
            "sprints",
            "custom",
        ):
            setattr(issue, name, getattr(draft, name))

    def _apply_fields(
        self,
        draft: Issue,
        fields: dict[str, Any],
        update: dict[str, Any],
        ver: str,
        errors: dict[str, str],
        user: Account,
        *,
        creating: bool,
    ) -> None:
        """Validate and apply ``fields`` (set) and ``update`` (operations) to ``draft``."""
        for fid, value in fields.items():
            self._set_field(draft, fid, value, ver, errors, user, creating)
        for fid, ops in update.items():
            if fid == "comment" and creating:
                continue
            if fid == "issuelinks":
                continue
            if not isinstance(ops, list):
                errors[fid] = "Update operations must be a list."
                continue
            for op in ops:
                if not isinstance(op, dict) or len(op) != 1:
                    errors[fid] = "Each update operation must be one of set, add, remove, edit."
                    continue
                ((verb, value),) = op.items()
                self._update_field(draft, fid, verb, value, ver, errors, user, creating)

    def _field_for_input(self, fid: str, errors: dict[str, str]) -> FieldDef | None:
        f = self.fields.get(fid)
        if f is None or fid in _READ_ONLY:
            errors[fid] = _CANNOT_SET.format(fid)
            return None
        return f

    def _set_field(
        self,
        draft: Issue,
        fid: str,
        value: Any,
        ver: str,
        errors: dict[str, str],
        user: Account,
        creating: bool,
    ) -> None:
        f = self._field_for_input(fid, errors)
        if f is None:
            return
        if fid == "summary":
            if not isinstance(value, str) or not value.strip():
                errors[fid] = "You must specify a summary of the issue."
            elif "\n" in value or "\r" in value:
                errors[fid] = "The summary is invalid because it contains newline characters."
            elif len(value) > 255:
                errors[fid] = "Summary must be less than 255 characters."
            else:
                draft.summary = value
        elif fid == "description":
            draft.description = None if value is None else self._rich_input(value, ver, fid, errors)
        elif fid in ("reporter", "assignee"):
            acc_id = self._user_input(value, fid, errors, allow_none=fid == "assignee")
            if fid not in errors:
                setattr(draft, fid, acc_id)
        elif fid == "labels":
            labels = self._labels_input(value, fid, errors)
            if labels is not None:
                draft.labels = labels
        elif fid == "components":
            comps = self._components_input(draft.project, value, errors)
            if comps is not None:
                draft.components = comps
        elif fid == "parent":
            self._parent_input(draft, value, errors, user)
        elif fid == self.sprint_field_id:
            self._sprint_input(draft, value, errors)
        elif f.custom:
            stored = self._custom_input(f, value, ver, errors)
            if f.id not in errors:
                if stored is None:
                    draft.custom.pop(f.id, None)
                else:
                    draft.custom[f.id] = stored
        else:
            errors[fid] = _CANNOT_SET.format(fid)

    def _update_field(
        self,
        draft: Issue,
        fid: str,
        verb: str,
        value: Any,
        ver: str,
        errors: dict[str, str],
        user: Account,
        creating: bool,
    ) -> None:
        f = self._field_for_input(fid, errors)
        if f is None:
            return
        if verb == "set":
            self._set_field(draft, fid, value, ver, errors, user, creating)
            return
        multi = fid in ("labels", "components") or f.kind == "labels"
        if verb not in ("add", "remove") or not multi:
            errors[fid] = f"Operation '{verb}' is not supported for field '{fid}'."
            return
        if fid == "components":
            comps = self._components_input(draft.project, [value], errors)
            if comps is None:
                return
            current = list(draft.components)
            (name,) = comps
            if verb == "add" and name not in current:
                current.append(name)
            elif verb == "remove" and name in current:
                current.remove(name)
            draft.components = current
            return
        labels = self._labels_input([value], fid, errors)
        if labels is None:
            return
        (label,) = labels
        current = list(draft.labels if fid == "labels" else draft.custom.get(fid) or [])
        if verb == "add" and label not in current:
            current.append(label)
        elif verb == "remove" and label in current:
            current.remove(label)
        if fid == "labels":
            draft.labels = current
        elif current:
            draft.custom[fid] = current
        else:
            draft.custom.pop(fid, None)

    # ------------------------------------------------------------------ input conversion

    def _rich_input(self, value: Any, ver: str, fid: str, errors: dict[str, str]) -> Any:
        if ver == "3":
            if not adf.is_document(value):
                errors[fid] = _ADF_REQUIRED
                return None
            return adf.normalize(value)
        if not isinstance(value, str):
            errors[fid] = "Operation value must be a string"
            return None
        return value

    def _user_input(
        self, value: Any, fid: str, errors: dict[str, str], *, allow_none: bool
    ) -> str | None:
        if value is None:
            if not allow_none:
                errors[fid] = f"{fid.capitalize()} is required."
            return None
        ref = None
        if isinstance(value, dict):
            ref = value.get("accountId") or value.get("name") or value.get("id")
        elif isinstance(value, str):
            ref = value
        acc = self.accounts.users.get(str(ref)) if ref else None
        if acc is None and ref and self.site.deployment_type == "Server":
            acc = self.accounts.find(str(ref))  # Data Center addresses people by name
        if acc is None or not acc.active:
            errors[fid] = "Specified user does not exist or you do not have required permissions"
            return None
        return acc.account_id

    def _labels_input(self, value: Any, fid: str, errors: dict[str, str]) -> list[str] | None:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors[fid] = "Labels must be a list of strings."
            return None
        for label in value:
            if not label or " " in label:
                errors[fid] = f"The label '{label}' contains spaces which is invalid."
                return None
            if len(label) > 255:
                errors[fid] = "The label must not exceed 255 characters."
                return None
        out: list[str] = []
        for label in value:
            if label not in out:
                out.append(label)
        return out

    def _components_input(
        self, project_key: str, value: Any, errors: dict[str, str]
    ) -> list[str] | None:
        if value is None:
            return []
        if not isinstance(value, list):
            errors["components"] = "Components must be a list of {name} or {id}."
            return None
        comps = self.projects[project_key].components
        by_id = {v: k for k, v in comps.items()}
        out = []
        for c in value:
            name = None
            if isinstance(c, dict):
                if "name" in c:
                    name = c["name"] if c["name"] in comps else None
                    if name is None:
                        errors["components"] = f"Component name '{c['name']}' is not valid"
                        return None
                elif "id" in c:
                    name = by_id.get(str(c["id"]))
                    if name is None:
                        errors["components"] = f"Component with id '{c['id']}' does not exist."
                        return None
            if name is None:
                errors["components"] = "Components must be a list of {name} or {id}."
                return None
            if name not in out:
                out.append(name)
        return out

    def _parent_input(
        self, draft: Issue, value: Any, errors: dict[str, str], user: Account
    ) -> None:
        itype = self.issue_types[draft.type]
        if value is None or value == {}:
            if itype.subtask:
                errors["parent"] = (
                    "Issue type is a sub-task but parent issue key or id not specified."
                )
            else:
                draft.parent = None
            return
        if not isinstance(value, dict) or not (value.get("key") or value.get("id")):
            errors["parent"] = "Could not find issue by id or key."
            return
        parent = self.find_issue(str(value.get("key") or value.get("id")))
        if parent is None or not self.can(user, parent.project, "BROWSE_PROJECTS"):
            errors["parent"] = "Could not find issue by id or key."
            return
        if parent.id == draft.id:
            errors["parent"] = "An issue cannot be its own parent."
            return
        problem = self._parent_problem(draft.project, itype, parent)
        if problem:
            errors["parent"] = problem
            return
        draft.parent = parent.id

    def _parent_problem(self, project_key: str, itype: IssueTypeDef, parent: Issue) -> str | None:
        """Jira's hierarchy: a sub-task's parent is a standard issue of the same project; any
        other issue's parent is one level up (Story/Task under Epic); epics have none."""
        ptype = self.issue_types[parent.type]
        if itype.subtask:
            if ptype.subtask:
                return "A sub-task cannot be the parent of another sub-task."
            if parent.project != project_key:
                return "A sub-task and its parent must be in the same project."
            return None
        if ptype.hierarchy_level != itype.hierarchy_level + 1:
            return "Given parent issue does not belong to appropriate hierarchy."
        return None

    def _sprint_input(self, draft: Issue, value: Any, errors: dict[str, str]) -> None:
        fid = self.sprint_field_id
        if value is None:
            draft.sprints = []
            return
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, bool) or not isinstance(value, int | str):
            errors[fid] = "Number value expected as the Sprint id."
            return
        try:
            sprint = self.sprints.get(int(value))
        except ValueError:
            sprint = None
        if sprint is None:
            errors[fid] = f"Sprint with id {value} does not exist."
            return
        if sprint.state == "closed":
            errors[fid] = "Issue can be assigned only active or future sprints."
            return
        # Jira keeps closed sprints in the field and replaces the open one.
        kept = [s for s in draft.sprints if self.sprints[s].state == "closed"]
        draft.sprints = [*kept, sprint.id]

    def _custom_input(self, f: FieldDef, value: Any, ver: str, errors: dict[str, str]) -> Any:
        if value is None:
            return None
        kind = f.kind
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                errors[f.id] = "Operation value must be a number"
                return None
            return value
        if kind == "string":
            if not isinstance(value, str):
                errors[f.id] = "Operation value must be a string"
                return None
            if len(value) > 255:
                errors[f.id] = "Text fields cannot be longer than 255 characters."
                return None
            return value
        if kind == "text":
            return self._rich_input(value, ver, f.id, errors)
        if kind == "date":
            try:
                return date.fromisoformat(str(value)).isoformat()
            except ValueError:
                errors[f.id] = f"Error parsing date string: {value}"
                return None
        if kind == "datetime":
            try:
                return parse_time(str(value))
            except ValueError:
                errors[f.id] = f"Error parsing date string: {value}"
                return None
        if kind == "select":
            option = None
            if isinstance(value, dict):
                if "value" in value:
                    option = value["value"] if value["value"] in f.options else None
                elif "id" in value:
                    option = next(
                        (k for k, v in f.option_ids.items() if v == str(value["id"])), None
                    )
            if option is None:
                shown = value.get("value", value.get("id")) if isinstance(value, dict) else value
                errors[f.id] = f"Option value '{shown}' is not valid"
            return option
        if kind == "labels":
            return self._labels_input(value, f.id, errors) or None
        if kind == "user":
            return self._user_input(value, f.id, errors, allow_none=True)
        errors[f.id] = _CANNOT_SET.format(f.id)
        return None

    # ------------------------------------------------------------------ changelog diffs

    def _diff(self, before: dict[str, Any], after: Issue) -> list[ChangeItem]:
        items: list[ChangeItem] = []
        if before["summary"] != after.summary:
            items.append(
                ChangeItem(
                    "summary", "jira", "summary", None, before["summary"], None, after.summary
                )
            )
        if before["description"] != after.description:
            old, new = before["description"], after.description
            items.append(
                ChangeItem(
                    "description",
                    "jira",
                    "description",
                    None,
                    adf.to_text(old) if old is not None else None,
                    None,
                    adf.to_text(new) if new is not None else None,
                )
            )
        for fid in ("assignee", "reporter"):
            old, new = before[fid], getattr(after, fid)
            if old != new:
                items.append(
                    ChangeItem(
                        fid, "jira", fid, old, self.display_name(old), new, self.display_name(new)
                    )
                )
        if before["labels"] != after.labels:
            items.append(
                ChangeItem(
                    "labels",
                    "jira",
                    "labels",
                    None,
                    " ".join(before["labels"]),
                    None,
                    " ".join(after.labels),
                )
            )
        comps = self.projects[after.project].components
        for name in before["components"]:
            if name not in after.components:
                items.append(
                    ChangeItem("Component", "jira", "components", comps[name], name, None, None)
                )
        for name in after.components:
            if name not in before["components"]:
                items.append(
                    ChangeItem("Component", "jira", "components", None, None, comps[name], name)
                )
        if before["parent"] != after.parent:
            old_p = self.by_id.get(before["parent"]) if before["parent"] else None
            new_p = self.by_id.get(after.parent) if after.parent else None
            items.append(
                ChangeItem(
                    "IssueParentAssociation",
                    "jira",
                    "parent",
                    str(old_p.id) if old_p else None,
                    old_p.key if old_p else None,
                    str(new_p.id) if new_p else None,
                    new_p.key if new_p else None,
                )
            )
        if before["sprints"] != after.sprints:
            items.append(
                ChangeItem(
                    "Sprint",
                    "custom",
                    self.sprint_field_id,
                    ", ".join(str(s) for s in before["sprints"]) or None,
                    ", ".join(self.sprints[s].name for s in before["sprints"]) or None,
                    ", ".join(str(s) for s in after.sprints) or None,
                    ", ".join(self.sprints[s].name for s in after.sprints) or None,
                )
            )
        for fid in sorted(set(before["custom"]) | set(after.custom)):
            old, new = before["custom"].get(fid), after.custom.get(fid)
            if old == new:
                continue
            f = self.fields[fid]
            old_id, old_s = self._change_strings(f, old)
            new_id, new_s = self._change_strings(f, new)
            items.append(ChangeItem(f.name, "custom", fid, old_id, old_s, new_id, new_s))
        return items

    def _change_strings(self, f: FieldDef, value: Any) -> tuple[str | None, str | None]:
        if value is None:
            return None, None
        if f.kind == "user":
            return value, self.display_name(value)
        if f.kind == "select":
            return f.option_ids.get(value), value
        if f.kind == "labels":
            return None, " ".join(value)
        if f.kind == "text":
            return None, adf.to_text(value)
        if f.kind == "datetime":
            return None, format_time(value)
        if f.kind == "number":
            return None, _number_text(value)
        return None, str(value)

    # ------------------------------------------------------------------ delete

    def delete_issue(self, user: Account, issue: Issue, delete_subtasks: bool) -> None:
        self.require(user, issue.project, "DELETE_ISSUES", "delete issues")
        subtasks = self.subtasks_of(issue)
        if subtasks and not delete_subtasks:
            raise HttpError(
                400,
                "The issue has subtasks. Set 'deleteSubtasks' to 'true' to delete them "
                "together with the issue.",
            )
        self.check_write_limit(issue)
        for sub in subtasks:
            self._remove(sub)
        for child in self.children_of(issue):
            # Deleting an epic leaves its stories without a parent, as in Jira.
            child.parent = None
            self._touch(child)
        self._remove(issue)

    def _remove(self, issue: Issue) -> None:
        for link_id in list(issue.links):
            link = self.links.pop(link_id, None)
            if link is None:
                continue
            other = self.by_id.get(link.target if link.source == issue.id else link.source)
            if other is not None and link_id in other.links:
                other.links.remove(link_id)
                other.row = None
        if issue.parent is not None and issue.parent in self.children:
            self.children[issue.parent] = [c for c in self.children[issue.parent] if c != issue.id]
        self.children.pop(issue.id, None)
        self.issues.pop(issue.key, None)
        self.by_id.pop(issue.id, None)
        self.limiter.forget(issue.id)
        self.version += 1

    # ------------------------------------------------------------------ transitions

    def transitions_for(self, user: Account, issue: Issue) -> list[TransitionDef]:
        if not self.can(user, issue.project, "TRANSITION_ISSUES"):
            return []
        return self.workflow_of(issue.project, issue.type).available(issue.status)

    def transition(self, user: Account, issue: Issue, body: Any, ver: str) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("transition"), dict):
            raise HttpError(400, "Missing 'transition' identifier.")
        self.require(user, issue.project, "TRANSITION_ISSUES", "transition issues", 400)
        tid = str(body["transition"].get("id", ""))
        wf = self.workflow_of(issue.project, issue.type)
        chosen = next((t for t in wf.available(issue.status) if t.id == tid), None)
        if chosen is None:
            raise HttpError(400, f"Transition id '{tid}' is not valid for this issue.")
        fields = dict(body.get("fields") or {})
        update = dict(body.get("update") or {})
        errors: dict[str, str] = {}
        resolution = chosen.resolution
        raw_res = fields.pop("resolution", None)
        target = self.statuses[chosen.to]
        if raw_res is not None:
            name = raw_res.get("name") if isinstance(raw_res, dict) else None
            if isinstance(raw_res, dict) and "id" in raw_res:
                name = next(
                    (n for n, i in self.resolutions.items() if i == str(raw_res["id"])), None
                )
            if name not in self.resolutions:
                errors["resolution"] = f"Resolution '{name}' is not valid."
            else:
                resolution = name
        if target.category != "done":
            resolution = None
        comments = update.pop("comment", [])
        before = _snapshot(issue)
        draft = _copy_issue(issue)
        self._apply_fields(draft, fields, update, ver, errors, user, creating=False)
        bodies = []
        for op in comments if isinstance(comments, list) else []:
            if isinstance(op, dict) and isinstance(op.get("add"), dict):
                text = self._rich_input(op["add"].get("body"), ver, "comment", errors)
                if text is not None:
                    bodies.append(text)
        if errors:
            raise HttpError(400, errors=errors)
        self.check_write_limit(issue)
        now = self.clock.now()
        items = self._diff(before, draft)
        self._commit(issue, draft)
        old_status = self.statuses[issue.status]
        items.append(
            ChangeItem(
                "status", "jira", "status", old_status.id, old_status.name, target.id, target.name
            )
        )
        if resolution != issue.resolution:
            items.append(
                ChangeItem(
                    "resolution",
                    "jira",
                    "resolution",
                    self.resolutions.get(issue.resolution) if issue.resolution else None,
                    issue.resolution,
                    self.resolutions.get(resolution) if resolution else None,
                    resolution,
                )
            )
        if old_status.category != target.category:
            issue.status_changed = now
        issue.status = target.name
        issue.resolution = resolution
        issue.resolution_date = now if resolution else None
        self._record(issue, user, items)
        for text in bodies:
            self._add_comment_unchecked(user, issue, text)
        self._touch(issue, now)

    # ------------------------------------------------------------------ comments

    def add_comment(self, user: Account, issue: Issue, body: Any, ver: str) -> Comment:
        if not isinstance(body, dict) or "body" not in body:
            raise HttpError(400, errors={"comment": "Comment body can not be empty!"})
        self.require(user, issue.project, "ADD_COMMENTS", "add comments", 400)
        errors: dict[str, str] = {}
        text = self._rich_input(body["body"], ver, "comment", errors)
        if errors:
            raise HttpError(400, errors=errors)
        if text is None or (isinstance(text, str) and not text.strip()):
            raise HttpError(400, errors={"comment": "Comment body can not be empty!"})
        _check_content_limit(issue.comments, MAX_COMMENTS_PER_ISSUE, "comments")
        self.check_write_limit(issue)
        comment = self._add_comment_unchecked(user, issue, text)
        self._touch(issue)
        return comment

    def find_comment(self, issue: Issue, comment_id: str) -> Comment:
        for c in issue.comments:
            if str(c.id) == comment_id:
                return c
        raise HttpError(404, f"Can not find a comment for the id: {comment_id}.")

    def edit_comment(
        self, user: Account, issue: Issue, comment: Comment, body: Any, ver: str
    ) -> None:
        """Authors edit their own comments (EDIT_OWN_COMMENTS), others need EDIT_ALL_COMMENTS."""
        own = comment.author == user.account_id
        self.require(
            user,
            issue.project,
            "EDIT_OWN_COMMENTS" if own else "EDIT_ALL_COMMENTS",
            "edit this comment",
            400,
        )
        if not isinstance(body, dict) or "body" not in body:
            raise HttpError(400, errors={"comment": "Comment body can not be empty!"})
        errors: dict[str, str] = {}
        text = self._rich_input(body["body"], ver, "comment", errors)
        if errors or text is None:
            raise HttpError(400, errors=errors or {"comment": "Comment body can not be empty!"})
        self.check_write_limit(issue)
        comment.body = text
        comment.updated = self.clock.now()
        comment.update_author = user.account_id
        self._touch(issue)

    def delete_comment(self, user: Account, issue: Issue, comment: Comment) -> None:
        own = comment.author == user.account_id
        self.require(
            user,
            issue.project,
            "DELETE_OWN_COMMENTS" if own else "DELETE_ALL_COMMENTS",
            "delete this comment",
            400,
        )
        self.check_write_limit(issue)
        issue.comments.remove(comment)
        self._touch(issue)

    def assign(self, user: Account, issue: Issue, body: Any) -> None:
        """``PUT /issue/{key}/assignee``: ``{"accountId": id}``, or null to unassign."""
        self.require(user, issue.project, "ASSIGN_ISSUES", "assign issues")
        errors: dict[str, str] = {}
        value = None
        if isinstance(body, dict) and (body.get("accountId") or body.get("name")):
            value = body
        account_id = self._user_input(value, "assignee", errors, allow_none=True)
        if errors:
            raise HttpError(400, errors=errors)
        if account_id == issue.assignee:
            return
        self.check_write_limit(issue)
        old = issue.assignee
        issue.assignee = account_id
        self._record(
            issue,
            user,
            [
                ChangeItem(
                    "assignee",
                    "jira",
                    "assignee",
                    old,
                    self.display_name(old),
                    account_id,
                    self.display_name(account_id),
                )
            ],
        )
        self._touch(issue)

    def _add_comment_unchecked(self, user: Account, issue: Issue, text: Any) -> Comment:
        now = self.clock.now()
        comment = Comment(self._next("comment"), user.account_id, text, now, now, user.account_id)
        issue.comments.append(comment)
        return comment

    # ------------------------------------------------------------------ properties

    def set_property(self, user: Account, issue: Issue, key: str, raw: bytes) -> bool:
        """Store the property; True when it was created (201), False when updated (200)."""
        self.require(user, issue.project, "EDIT_ISSUES", "edit issue properties")
        if len(key) > 255:
            raise HttpError(400, "The property key cannot be longer than 255 characters.")
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            raise HttpError(400, "The property value cannot be empty.")
        if len(text) > MAX_PROPERTY_LENGTH:
            raise HttpError(
                400, f"The property value cannot be longer than {MAX_PROPERTY_LENGTH} characters."
            )
        try:
            value = json.loads(text)
        except ValueError:
            raise HttpError(400, "The property value must be valid JSON.") from None
        self.check_write_limit(issue)
        created = key not in issue.properties
        issue.properties[key] = value
        # Properties do not change `updated` in Jira, but searches that return them must see
        # the new value: drop the cached row and the search cache.
        issue.row = None
        self.version += 1
        return created

    def delete_property(self, user: Account, issue: Issue, key: str) -> None:
        self.require(user, issue.project, "EDIT_ISSUES", "edit issue properties")
        if key not in issue.properties:
            raise HttpError(404, f"Property with key '{key}' does not exist.")
        self.check_write_limit(issue)
        del issue.properties[key]
        issue.row = None
        self.version += 1

    # ------------------------------------------------------------------ links

    def create_link(self, user: Account, body: Any) -> Link:
        """``POST /issueLink``: inwardIssue <outward> outwardIssue (A blocks B for inward A)."""
        if not isinstance(body, dict):
            raise HttpError(400, "Request body must be a JSON object.")
        raw_type = body.get("type") or {}
        ltype = None
        if isinstance(raw_type, dict):
            ltype = self.link_types.get(str(raw_type.get("name"))) or next(
                (t for t in self.link_types.values() if t.id == str(raw_type.get("id"))), None
            )
        if ltype is None:
            raise HttpError(
                404,
                f"No issue link type with name '{raw_type.get('name', raw_type)}' found."
                if isinstance(raw_type, dict)
                else "No issue link type found.",
            )
        ends = []
        for side in ("inwardIssue", "outwardIssue"):
            ref = body.get(side)
            key = ref.get("key") or ref.get("id") if isinstance(ref, dict) else None
            issue = self.find_issue(str(key)) if key else None
            if issue is None or not self.can(user, issue.project, "BROWSE_PROJECTS"):
                raise HttpError(404, f"Issue Does Not Exist: {key}")
            ends.append(issue)
        source, target = ends
        self.require(user, source.project, "LINK_ISSUES", "link issues", 404)
        if source.id == target.id:
            raise HttpError(400, "You cannot link an issue to itself.")
        for end in (source, target):
            _check_content_limit(end.links, MAX_LINKS_PER_ISSUE, "issue links")
        self.check_write_limit(source)
        self.check_write_limit(target)
        link = self._add_link(ltype.name, source, target)
        comment = body.get("comment")
        if isinstance(comment, dict) and comment.get("body"):
            errors: dict[str, str] = {}
            text = self._rich_input(
                comment["body"],
                "3" if isinstance(comment["body"], dict) else "2",
                "comment",
                errors,
            )
            if text is not None:
                self._add_comment_unchecked(user, source, text)
        now = self.clock.now()
        self._record(
            source,
            user,
            [
                ChangeItem(
                    "Link",
                    "jira",
                    "issuelinks",
                    None,
                    None,
                    target.key,
                    f"This issue {ltype.outward} {target.key}",
                )
            ],
        )
        self._record(
            target,
            user,
            [
                ChangeItem(
                    "Link",
                    "jira",
                    "issuelinks",
                    None,
                    None,
                    source.key,
                    f"This issue {ltype.inward} {source.key}",
                )
            ],
        )
        self._touch(source, now)
        self._touch(target, now)
        return link

    def delete_link(self, user: Account, link: Link) -> None:
        source, target = self.by_id[link.source], self.by_id[link.target]
        self.check_write_limit(source)
        lt = self.link_types[link.type]
        del self.links[link.id]
        for issue, other, phrase in ((source, target, lt.outward), (target, source, lt.inward)):
            if link.id in issue.links:
                issue.links.remove(link.id)
            self._record(
                issue,
                user,
                [
                    ChangeItem(
                        "Link",
                        "jira",
                        "issuelinks",
                        other.key,
                        f"This issue {phrase} {other.key}",
                        None,
                        None,
                    )
                ],
            )
            self._touch(issue)

    def _add_link(self, type_name: str, source: Issue, target: Issue) -> Link:
        for lid in source.links:
            existing = self.links[lid]
            if (existing.type, existing.source, existing.target) == (
                type_name,
                source.id,
                target.id,
            ):
                return existing  # Jira keeps one link per (type, source, target)
        link = Link(self._next("link"), type_name, source.id, target.id)
        self.links[link.id] = link
        source.links.append(link.id)
        target.links.append(link.id)
        return link

    def _link_from_update(
        self, user: Account, issue: Issue, op: dict[str, Any], errors: dict[str, str]
    ) -> None:
        """``update.issuelinks: [{add: {type, outwardIssue|inwardIssue}}]`` on create/edit."""
        ltype = self.link_types.get(str((op.get("type") or {}).get("name")))
        if ltype is None:
            errors["issuelinks"] = "No issue link type with that name found."
            return
        if isinstance(op.get("outwardIssue"), dict):
            other = self.find_issue(
                str(op["outwardIssue"].get("key") or op["outwardIssue"].get("id"))
            )
            pair = (issue, other)
        else:
            ref = op.get("inwardIssue") or {}
            other = self.find_issue(str(ref.get("key") or ref.get("id")))
            pair = (other, issue)
        if other is None or not self.can(user, other.project, "BROWSE_PROJECTS"):
            errors["issuelinks"] = "Could not find issue by id or key."
            return
        source, target = pair
        assert source is not None and target is not None
        self._add_link(ltype.name, source, target)
        other.row = None

    # ------------------------------------------------------------------ worklogs

    def add_worklog(self, user: Account, issue: Issue, body: Any, ver: str) -> Worklog:
        if not isinstance(body, dict):
            raise HttpError(400, "Request body must be a JSON object.")
        self.require(user, issue.project, "WORK_ON_ISSUES", "log work", 400)
        errors: dict[str, str] = {}
        seconds = body.get("timeSpentSeconds")
        if seconds is None and body.get("timeSpent") is not None:
            seconds = _duration_seconds(str(body["timeSpent"]))
            if seconds is None:
                errors["timeLogged"] = "Invalid time duration entered."
        try:
            seconds = int(seconds) if seconds is not None else None
        except (TypeError, ValueError):
            errors["timeLogged"] = "Invalid time duration entered."
            seconds = None
        if seconds is None or seconds <= 0:
            errors.setdefault("timeLogged", "You must indicate the time spent working.")
        now = self.clock.now()
        started = now
        if body.get("started"):
            try:
                started = parse_time(str(body["started"]))
            except ValueError:
                errors["started"] = "Invalid date format. Please enter the date in the format."
        comment = None
        if body.get("comment") is not None:
            comment = self._rich_input(body["comment"], ver, "comment", errors)
        if errors:
            raise HttpError(400, errors=errors)
        assert seconds is not None
        _check_content_limit(issue.worklogs, MAX_WORKLOGS_PER_ISSUE, "worklogs")
        self.check_write_limit(issue)
        wl = Worklog(self._next("worklog"), user.account_id, started, seconds, comment, now, now)
        issue.worklogs.append(wl)
        total_before = sum(w.seconds for w in issue.worklogs[:-1])
        self._record(
            issue,
            user,
            [
                ChangeItem(
                    "timespent",
                    "jira",
                    "timespent",
                    str(total_before) if total_before else None,
                    str(total_before) if total_before else None,
                    str(total_before + seconds),
                    str(total_before + seconds),
                ),
                ChangeItem("WorklogId", "jira", "worklogId", None, None, str(wl.id), str(wl.id)),
            ],
        )
        self._touch(issue, now)
        return wl

    # ------------------------------------------------------------------ persistence

    def to_json(self) -> dict[str, Any]:
        with bulk_allocation():
            return self._to_json()

    def _to_json(self) -> dict[str, Any]:
        return {
            "site": self.site.model_dump(mode="json"),
            "fields": [
                {"id": f.id, "name": f.name, "kind": f.kind, "options": f.options}
                for f in self.custom_fields()
            ],
            "sprint_field_id": self.sprint_field_id,
            "issue_types": [_plain(t) for t in self.issue_types.values()],
            "statuses": [_plain(s) for s in self.statuses.values()],
            "workflows": [
                {**_plain(w), "transitions": [_plain(t) for t in w.transitions]}
                for w in self.workflows.values()
            ],
            "link_types": [_plain(t) for t in self.link_types.values()],
            "resolutions": self.resolutions,
            "projects": [_plain(p) for p in self.projects.values()],
            "boards": [_plain(b) for b in self.boards.values()],
            "sprints": [
                {**_plain(s), **{k: _time_out(getattr(s, k)) for k in ("start", "end", "complete")}}
                for s in self.sprints.values()
            ],
            "issues": [self._issue_json(i) for i in self.by_id.values()],
            "links": [_plain(link) for link in self.links.values()],
            "counters": {
                k: getattr(self, f"next_{k}_id")
                for k in ("issue", "comment", "worklog", "change", "link")
            },
        }

    def _issue_json(self, i: Issue) -> dict[str, Any]:
        custom = {}
        for fid, v in i.custom.items():
            custom[fid] = _time_out(v) if isinstance(v, datetime) else v
        return {
            "id": i.id,
            "key": i.key,
            "project": i.project,
            "type": i.type,
            "summary": i.summary,
            "description": i.description,
            "status": i.status,
            "resolution": i.resolution,
            "resolution_date": _time_out(i.resolution_date),
            "reporter": i.reporter,
            "creator": i.creator,
            "assignee": i.assignee,
            "labels": i.labels,
            "components": i.components,
            "parent": i.parent,
            "sprints": i.sprints,
            "custom": custom,
            "properties": i.properties,
            "created": _time_out(i.created),
            "updated": _time_out(i.updated),
            "status_changed": _time_out(i.status_changed),
            "comments": [
                {**_plain(c), "created": _time_out(c.created), "updated": _time_out(c.updated)}
                for c in i.comments
            ],
            "worklogs": [
                {
                    **_plain(w),
                    **{k: _time_out(getattr(w, k)) for k in ("started", "created", "updated")},
                }
                for w in i.worklogs
            ],
            "changelog": [
                {
                    "id": g.id,
                    "author": g.author,
                    "created": _time_out(g.created),
                    "items": [_plain(it) for it in g.items],
                }
                for g in i.changelog
            ],
            "links": i.links,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], accounts: Accounts, clock: Clock) -> JiraState:
        st = cls(accounts, clock, SeedSite.model_validate(doc["site"]))
        for f in system_fields():
            st.fields[f.id] = f
        for f in doc["fields"]:
            st.fields[f["id"]] = custom_field(f["id"], f["name"], f["kind"], f["options"])
        st.sprint_field_id = doc["sprint_field_id"]
        st._index_fields()
        st.issue_types = {t["name"]: IssueTypeDef(**t) for t in doc["issue_types"]}
        st.statuses = {s["name"]: StatusDef(**s) for s in doc["statuses"]}
        for w in doc["workflows"]:
            wf = Workflow(**{**w, "transitions": [TransitionDef(**t) for t in w["transitions"]]})
            st.workflows[wf.name] = wf
        st.link_types = {t["name"]: LinkType(**t) for t in doc["link_types"]}
        st.resolutions = dict(doc["resolutions"])
        st.projects = {p["key"]: Project(**p) for p in doc["projects"]}
        st.boards = {b["id"]: Board(**b) for b in doc["boards"]}
        for s in doc["sprints"]:
            times = {k: _time_in(s[k]) for k in ("start", "end", "complete")}
            st.sprints[s["id"]] = Sprint(**{**s, **times})
        with bulk_allocation():
            for d in doc["issues"]:
                issue = st._issue_from_json(d)
                st.issues[issue.key] = issue
                st.by_id[issue.id] = issue
                if issue.parent is not None:
                    st.children.setdefault(issue.parent, []).append(issue.id)
        st.links = {link["id"]: Link(**link) for link in doc["links"]}
        for k, v in doc["counters"].items():
            setattr(st, f"next_{k}_id", v)
        return st

    def _issue_from_json(self, d: dict[str, Any]) -> Issue:
        custom = {}
        for fid, v in d["custom"].items():
            f = self.fields.get(fid)
            custom[fid] = _time_in(v) if f is not None and f.kind == "datetime" else v
        return Issue(
            id=d["id"],
            key=d["key"],
            project=d["project"],
            type=d["type"],
            summary=d["summary"],
            description=d["description"],
            status=d["status"],
            resolution=d["resolution"],
            resolution_date=_time_in(d["resolution_date"]),
            reporter=d["reporter"],
            creator=d["creator"],
            assignee=d["assignee"],
            labels=d["labels"],
            components=d["components"],
            parent=d["parent"],
            sprints=d["sprints"],
            custom=custom,
            properties=d["properties"],
            created=_time_in(d["created"]),  # type: ignore[arg-type]
            updated=_time_in(d["updated"]),  # type: ignore[arg-type]
            status_changed=_time_in(d["status_changed"]),  # type: ignore[arg-type]
            comments=[
                Comment(
                    **{**c, "created": _time_in(c["created"]), "updated": _time_in(c["updated"])}
                )
                for c in d["comments"]
            ],
            worklogs=[
                Worklog(**{**w, **{k: _time_in(w[k]) for k in ("started", "created", "updated")}})
                for w in d["worklogs"]
            ],
            changelog=[
                ChangeGroup(
                    g["id"],
                    g["author"],
                    _time_in(g["created"]),  # type: ignore[arg-type]
                    [ChangeItem(**it) for it in g["items"]],
                )
                for g in d["changelog"]
            ],
            links=d["links"],
        )


# ---------------------------------------------------------------------- helpers


def _check_content_limit(existing: list[Any], limit: int, what: str) -> None:
    if len(existing) >= limit:
        raise HttpError(
            413, f"The issue has reached the limit of {limit:,} {what}; no more can be added."
        )


def _plain(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__ if name != "row"}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _time_out(when: datetime | None) -> int | None:
    # Whole microseconds since the epoch: exact, and five times cheaper than ISO strings for a
    # snapshot of 100,000 issues (the state file is rewritten after writes).
    return (when - _EPOCH) // _MICROSECOND if when is not None else None


def _time_in(micros: int | None) -> datetime | None:
    return _EPOCH + timedelta(microseconds=micros) if micros is not None else None


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _snapshot(issue: Issue) -> dict[str, Any]:
    return {
        "summary": issue.summary,
        "description": issue.description,
        "assignee": issue.assignee,
        "reporter": issue.reporter,
        "labels": list(issue.labels),
        "components": list(issue.components),
        "parent": issue.parent,
        "sprints": list(issue.sprints),
        "custom": dict(issue.custom),
    }


def _copy_issue(issue: Issue) -> Issue:
    # A shallow copy with fresh containers for everything an edit may change.
    return Issue(
        **{
            **_plain(issue),
            "labels": list(issue.labels),
            "components": list(issue.components),
            "sprints": list(issue.sprints),
            "custom": {k: (list(v) if isinstance(v, list) else v) for k, v in issue.custom.items()},
        }
    )


def _link_adds(update: dict[str, Any]) -> Iterable[dict[str, Any]]:
    ops = update.get("issuelinks")
    if not isinstance(ops, list):
        return []
    return [op["add"] for op in ops if isinstance(op, dict) and isinstance(op.get("add"), dict)]


def _property_problem(key: str, value: Any) -> str | None:
    if len(key) > 255:
        return "The property key cannot be longer than 255 characters."
    text = json.dumps(value)
    if value is None or not text.strip():
        return "The property value cannot be empty."
    if len(text) > MAX_PROPERTY_LENGTH:
        return f"The property value cannot be longer than {MAX_PROPERTY_LENGTH} characters."
    return None


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhm])", re.IGNORECASE)
# Jira's default time tracking: 5-day weeks of 8-hour days.
_UNIT_SECONDS = {"w": 5 * 8 * 3600, "d": 8 * 3600, "h": 3600, "m": 60}


def _duration_seconds(text: str) -> int | None:
    """Seconds in a Jira duration like ``1d 2h 30m``; None if it is not one."""
    text = text.strip()
    if text.isdigit():
        return int(text) * 60  # a bare number means minutes
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        return None
    return int(sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in parts))
