"""JSON shapes of the fake Jira, per the official OpenAPI description (IssueBean, User, ...).

``Shaper`` turns state records into what Jira Cloud sends, for one request: it knows the base
URL (``self`` links point back at the sandbox the client called) and the API version (v3 serves
rich text as ADF, v2 and ``latest`` as plain text). Many of Jira's schemas forbid extra
properties, so a key is only added where the description has it, and a value that would be
``null`` where the schema says ``string`` is left out.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ..routing import HttpError
from . import adf
from .catalog import GLOBAL_PERMISSIONS, PROJECT_PERMISSIONS
from .model import (
    STATUS_CATEGORIES,
    Board,
    ChangeGroup,
    Comment,
    FieldDef,
    Issue,
    IssueTypeDef,
    LinkType,
    Project,
    Sprint,
    StatusDef,
    TransitionDef,
    Worklog,
    format_time,
)
from .state import JiraState

__all__ = [
    "ISSUE_EXPAND",
    "FieldSelection",
    "Shaper",
    "agile_time",
    "group_id",
    "select_fields",
]

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
# Fields that are not issue fields in responses (JQL-only, or top-level in IssueBean).
_NOT_IN_FIELDS = frozenset({"issuekey", "statusCategory"})
# Jira embeds at most this many worklogs in fields.worklog.
_EMBEDDED_WORKLOGS = 20


def agile_time(when: datetime | None) -> str | None:
    """Agile API timestamps: ISO 8601 in UTC with milliseconds and ``Z``."""
    if when is None:
        return None
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class FieldSelection:
    """Which fields an issue response carries: ``fields=`` resolved against the site."""

    def __init__(self, ids: list[str], ids_only: bool, id_alone: bool = False) -> None:
        self.ids = ids
        # Nothing but the issue id and/or key: the search may return its biggest pages.
        self.ids_only = ids_only
        # Only ``id`` (the enhanced search's default): the search answers ``{"id": ...}``.
        self.id_alone = id_alone


def select_fields(state: JiraState, raw: Iterable[str] | None, default: str) -> FieldSelection:
    """Resolve ``fields`` (``*all``, ``*navigable``, ids, system names, ``-x`` exclusions;
    unknown names are ignored, as Jira does) with ``default`` when none is given."""
    tokens = [t.strip() for t in (raw or []) for t in t.split(",") if t.strip()]
    if not tokens:
        tokens = [default]
    include: list[str] = []
    exclude: set[str] = set()
    only_ids = True
    wants_key = False
    navigable = [f.id for f in state.fields.values() if f.navigable]
    every = list(state.fields)
    for token in tokens:
        negate = token.startswith("-")
        name = token[1:] if negate else token
        if name in ("*all", "*navigable"):
            ids = every if name == "*all" else navigable
            only_ids = only_ids and negate
        elif name.lower() in ("id", "key"):
            wants_key = wants_key or (name.lower() == "key" and not negate)
            continue
        else:
            f = state.field_named(name)
            if f is None:
                continue
            ids = [f.id]
            only_ids = only_ids and (negate or f.id == "issuekey")
            wants_key = wants_key or (f.id == "issuekey" and not negate)
        if negate:
            exclude.update(ids)
        else:
            include.extend(i for i in ids if i not in include)
    chosen = [i for i in include if i not in exclude and i not in _NOT_IN_FIELDS]
    ids_only = only_ids and not chosen
    return FieldSelection(chosen, ids_only, id_alone=ids_only and not wants_key)


class Shaper:
    def __init__(self, state: JiraState, base: str, ver: str) -> None:
        self.state = state
        self.base = base
        self.ver = ver
        self.api = f"{base}/rest/api/{ver}"
        self.v3 = ver == "3"
        self.server = state.site.deployment_type == "Server"

    # ------------------------------------------------------------------ people

    def avatar_urls(self, seed: str) -> dict[str, str]:
        return {
            size: f"{self.base}/secure/useravatar?size={n}&ownerId={quote(seed)}"
            for size, n in (("48x48", 48), ("24x24", 24), ("16x16", 16), ("32x32", 32))
        }

    def user(self, account_id: str | None, *, full: bool = False) -> dict[str, Any] | None:
        """A User (``full``: with groups/applicationRoles, as ``/myself``) or UserDetails."""
        if account_id is None:
            return None
        acc = self.state.accounts.users.get(account_id)
        if acc is None:
            return {"accountId": account_id, "active": False, "displayName": account_id}
        out: dict[str, Any] = {
            "self": f"{self.api}/user?accountId={quote(acc.account_id)}",
            "accountId": acc.account_id,
            "accountType": "atlassian",
            "emailAddress": acc.email,
            "avatarUrls": self.avatar_urls(acc.account_id),
            "displayName": acc.display_name,
            "active": acc.active,
            "timeZone": "UTC",
        }
        if self.server:
            # Data Center identifies people by name/key as well.
            out["name"] = acc.name
            out["key"] = acc.name
        if full:
            groups = self.state.accounts.groups_of(acc.account_id)
            out["locale"] = "en_US"
            out["groups"] = {
                "size": len(groups),
                "items": [self.group_name(g) for g in groups],
            }
            out["applicationRoles"] = {"size": 1, "items": []}
            out["expand"] = "groups,applicationRoles"
        return out

    def group_name(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "groupId": group_id(name),
            "self": f"{self.api}/group?groupId={group_id(name)}",
        }

    # ------------------------------------------------------------------ catalogue

    def status_category(self, key: str) -> dict[str, Any]:
        cid, name, colour = STATUS_CATEGORIES[key]
        return {
            "self": f"{self.api}/statuscategory/{cid}",
            "id": cid,
            "key": key,
            "colorName": colour,
            "name": name,
        }

    def status(self, s: StatusDef) -> dict[str, Any]:
        return {
            "self": f"{self.api}/status/{s.id}",
            "description": "",
            "iconUrl": f"{self.base}/images/icons/statuses/generic.png",
            "name": s.name,
            "id": s.id,
            "statusCategory": self.status_category(s.category),
        }

    def issue_type(self, it: IssueTypeDef) -> dict[str, Any]:
        return {
            "self": f"{self.api}/issuetype/{it.id}",
            "id": it.id,
            "description": "",
            "iconUrl": f"{self.base}/images/icons/issuetypes/{quote(it.name.lower())}.svg",
            "name": it.name,
            "subtask": it.subtask,
            "avatarId": 10300 + int(it.id) % 100,
            "hierarchyLevel": it.hierarchy_level,
        }

    def resolution(self, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return None
        rid = self.state.resolutions.get(name, "0")
        return {"self": f"{self.api}/resolution/{rid}", "id": rid, "description": "", "name": name}

    def field(self, f: FieldDef) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": f.id,
            "key": f.id,
            "name": f.name,
            "custom": f.custom,
            "orderable": f.orderable,
            "navigable": f.navigable,
            "searchable": f.searchable,
            "clauseNames": list(f.clause_names),
        }
        if f.schema:
            out["schema"] = dict(f.schema)
        return out

    def link_type(self, lt: LinkType) -> dict[str, Any]:
        return {
            "id": lt.id,
            "name": lt.name,
            "inward": lt.inward,
            "outward": lt.outward,
            "self": f"{self.api}/issueLinkType/{lt.id}",
        }

    def project_ref(self, p: Project) -> dict[str, Any]:
        """ProjectDetails: the project as an issue field shows it."""
        return {
            "self": f"{self.api}/project/{p.id}",
            "id": p.id,
            "key": p.key,
            "name": p.name,
            "projectTypeKey": p.type,
            "simplified": False,
            "avatarUrls": self.avatar_urls(p.key),
        }

    def project(self, p: Project, expand: set[str] | None = None) -> dict[str, Any]:
        out = {
            **self.project_ref(p),
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "description": "",
            "isPrivate": False,
            "style": "classic",
            "assigneeType": "UNASSIGNED",
            "properties": {},
            "components": [
                {
                    "self": f"{self.api}/component/{cid}",
                    "id": cid,
                    "name": name,
                    "projectId": int(p.id),
                    "project": p.key,
                    "isAssigneeTypeValid": False,
                }
                for name, cid in p.components.items()
            ],
            "issueTypes": [self.issue_type(self.state.issue_types[t]) for t in p.issue_types],
            "versions": [],
            "roles": {},
        }
        if p.lead is not None:
            out["lead"] = self.user(p.lead)
        if expand is not None and "insight" in expand:
            issues = [i for i in self.state.by_id.values() if i.project == p.key]
            insight: dict[str, Any] = {"totalIssueCount": len(issues)}
            if issues:
                insight["lastIssueUpdateTime"] = format_time(max(i.updated for i in issues))
            out["insight"] = insight
        return out

    # ------------------------------------------------------------------ workflow

    def transition(self, t: TransitionDef) -> dict[str, Any]:
        return {
            "id": t.id,
            "name": t.name,
            "to": self.status(self.state.statuses[t.to]),
            "hasScreen": False,
            "isGlobal": not t.from_,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }

    # ------------------------------------------------------------------ issue parts

    def rich(self, value: adf.RichText | None) -> Any:
        if value is None:
            return None
        return adf.to_adf(value) if self.v3 else adf.to_text(value)

    def comment(self, issue: Issue, c: Comment) -> dict[str, Any]:
        return {
            "self": f"{self.api}/issue/{issue.id}/comment/{c.id}",
            "id": str(c.id),
            "author": self.user(c.author),
            "body": self.rich(c.body),
            "updateAuthor": self.user(c.update_author),
            "created": format_time(c.created),
            "updated": format_time(c.updated),
            "jsdPublic": True,
        }

    def comment_page(
        self, issue: Issue, start: int, limit: int, order_desc: bool = False
    ) -> dict[str, Any]:
        comments = list(reversed(issue.comments)) if order_desc else issue.comments
        page = comments[start : start + limit]
        return {
            "comments": [self.comment(issue, c) for c in page],
            "self": f"{self.api}/issue/{issue.id}/comment",
            "maxResults": limit,
            "total": len(comments),
            "startAt": start,
        }

    def worklog(self, issue: Issue, w: Worklog) -> dict[str, Any]:
        out: dict[str, Any] = {
            "self": f"{self.api}/issue/{issue.id}/worklog/{w.id}",
            "author": self.user(w.author),
            "updateAuthor": self.user(w.author),
            "created": format_time(w.created),
            "updated": format_time(w.updated),
            "started": format_time(w.started),
            "timeSpent": _duration_text(w.seconds),
            "timeSpentSeconds": w.seconds,
            "id": str(w.id),
            "issueId": str(issue.id),
        }
        if w.comment is not None:
            out["comment"] = self.rich(w.comment)
        return out

    def worklog_page(self, issue: Issue, start: int, limit: int) -> dict[str, Any]:
        page = issue.worklogs[start : start + limit]
        return {
            "startAt": start,
            "maxResults": limit,
            "total": len(issue.worklogs),
            "worklogs": [self.worklog(issue, w) for w in page],
        }

    def change_group(self, g: ChangeGroup) -> dict[str, Any]:
        out: dict[str, Any] = {"id": str(g.id), "created": format_time(g.created)}
        if g.author is not None:
            out["author"] = self.user(g.author)
        out["items"] = [
            # The description types these as non-null strings: leave unset ones out.
            {
                k: v
                for k, v in (
                    ("field", it.field),
                    ("fieldtype", it.fieldtype),
                    ("fieldId", it.field_id),
                    ("from", it.from_),
                    ("fromString", it.from_string),
                    ("to", it.to),
                    ("toString", it.to_string),
                )
                if v is not None
            }
            for it in g.items
        ]
        return out

    def issue_ref(self, issue: Issue) -> dict[str, Any]:
        """The short form of a related issue (parent, sub-task, linked issue)."""
        return {
            "id": str(issue.id),
            "key": issue.key,
            "self": f"{self.api}/issue/{issue.id}",
            "fields": {
                "summary": issue.summary,
                "status": self.status(self.state.statuses[issue.status]),
                "issuetype": self.issue_type(self.state.issue_types[issue.type]),
            },
        }

    def issue_links(self, issue: Issue) -> list[dict[str, Any]]:
        out = []
        for lid in issue.links:
            link = self.state.links.get(lid)
            if link is None:
                continue
            lt = self.state.link_types[link.type]
            entry: dict[str, Any] = {
                "id": str(link.id),
                "self": f"{self.api}/issueLink/{link.id}",
                "type": self.link_type(lt),
            }
            if link.source == issue.id:
                other = self.state.by_id.get(link.target)
                side = "outwardIssue"
            else:
                other = self.state.by_id.get(link.source)
                side = "inwardIssue"
            if other is None:
                continue
            entry[side] = self.issue_ref(other)
            out.append(entry)
        return out

    def sprint_value(self, s: Sprint) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": s.id,
            "name": s.name,
            "state": s.state,
            "boardId": s.board,
            "goal": s.goal or "",
        }
        for key, when in (("startDate", s.start), ("endDate", s.end), ("completeDate", s.complete)):
            if when is not None:
                out[key] = agile_time(when)
        return out

    def custom_value(self, f: FieldDef, value: Any) -> Any:
        if value is None:
            return None
        if f.kind == "text":
            return self.rich(value)
        if f.kind == "datetime":
            return format_time(value)
        if f.kind == "select":
            oid = f.option_ids.get(value, "")
            return {"self": f"{self.api}/customFieldOption/{oid}", "value": value, "id": oid}
        if f.kind == "user":
            return self.user(value)
        if f.kind == "labels":
            return list(value)
        return value

    # ------------------------------------------------------------------ the issue

    def field_value(self, issue: Issue, fid: str) -> Any:
        st = self.state
        if fid == "summary":
            return issue.summary
        if fid == "description":
            return self.rich(issue.description)
        if fid == "issuetype":
            return self.issue_type(st.issue_types[issue.type])
        if fid == "project":
            return self.project_ref(st.projects[issue.project])
        if fid == "status":
            return self.status(st.statuses[issue.status])
        if fid == "resolution":
            return self.resolution(issue.resolution)
        if fid == "resolutiondate":
            return format_time(issue.resolution_date) if issue.resolution_date else None
        if fid in ("reporter", "creator", "assignee"):
            return self.user(getattr(issue, fid))
        if fid == "labels":
            return list(issue.labels)
        if fid == "components":
            comps = st.projects[issue.project].components
            return [
                {"self": f"{self.api}/component/{comps[c]}", "id": comps[c], "name": c}
                for c in issue.components
            ]
        if fid == "parent":
            parent = st.by_id.get(issue.parent) if issue.parent is not None else None
            return self.issue_ref(parent) if parent is not None else None
        if fid == "created":
            return format_time(issue.created)
        if fid == "updated":
            return format_time(issue.updated)
        if fid == "statuscategorychangedate":
            return format_time(issue.status_changed)
        if fid == "comment":
            return self.comment_page(issue, 0, len(issue.comments))
        if fid == "worklog":
            page = self.worklog_page(issue, 0, _EMBEDDED_WORKLOGS)
            page["maxResults"] = _EMBEDDED_WORKLOGS
            return page
        if fid == "issuelinks":
            return self.issue_links(issue)
        if fid == "subtasks":
            return [self.issue_ref(s) for s in st.subtasks_of(issue)]
        if fid == st.sprint_field_id:
            return [self.sprint_value(st.sprints[s]) for s in issue.sprints] or None
        f = st.fields.get(fid)
        if f is not None and f.custom:
            return self.custom_value(f, issue.custom.get(fid))
        return None

    def issue(
        self,
        issue: Issue,
        selection: FieldSelection,
        expand: set[str] | None = None,
        properties: Iterable[str] | None = None,
        *,
        user: Any = None,
        compact: bool = False,
    ) -> dict[str, Any]:
        """An IssueBean with the selected fields, expansions and entity properties. ``compact``:
        the enhanced search's answer to ``fields=id`` (its default), the issue id alone."""
        expand = expand or set()
        props = list(properties or [])
        if compact and selection.id_alone and not expand and not props:
            return {"id": str(issue.id)}
        out: dict[str, Any] = {
            "expand": ISSUE_EXPAND,
            "id": str(issue.id),
            "self": f"{self.api}/issue/{issue.id}",
            "key": issue.key,
        }
        if props:
            wanted = (
                issue.properties
                if "*all" in props
                else {k: issue.properties[k] for k in props if k in issue.properties}
            )
            out["properties"] = dict(wanted)
        out["fields"] = {fid: self.field_value(issue, fid) for fid in selection.ids}
        if "renderedFields" in expand:
            rendered: dict[str, Any] = {}
            for fid in selection.ids:
                if fid == "description":
                    rendered[fid] = (
                        adf.render_html(issue.description) if issue.description else None
                    )
                elif fid == "comment":
                    page = self.comment_page(issue, 0, len(issue.comments))
                    for shaped, c in zip(page["comments"], issue.comments, strict=True):
                        shaped["body"] = adf.render_html(c.body)
                    rendered[fid] = page
                elif fid in ("created", "updated", "resolutiondate"):
                    rendered[fid] = out["fields"][fid]
            out["renderedFields"] = rendered
        if "names" in expand:
            out["names"] = {fid: self.state.fields[fid].name for fid in selection.ids}
        if "schema" in expand:
            out["schema"] = {
                fid: self.state.fields[fid].schema
                for fid in selection.ids
                if self.state.fields[fid].schema
            }
        if "changelog" in expand:
            histories = [self.change_group(g) for g in reversed(issue.changelog)]
            out["changelog"] = {
                "startAt": 0,
                "maxResults": len(histories),
                "total": len(histories),
                "histories": histories,
            }
        if "transitions" in expand and user is not None:
            out["transitions"] = [
                self.transition(t) for t in self.state.transitions_for(user, issue)
            ]
        return out

    # ------------------------------------------------------------------ permissions

    def permissions(self, keys: list[str], have: dict[str, bool]) -> dict[str, Any]:
        out = {}
        for key in keys:
            if key in PROJECT_PERMISSIONS:
                pid, name, desc = PROJECT_PERMISSIONS[key]
                kind = "PROJECT"
            elif key in GLOBAL_PERMISSIONS:
                pid, name, desc, _ = GLOBAL_PERMISSIONS[key]
                kind = "GLOBAL"
            else:
                # 400, not 404: "permissions ... contains an invalid key" (the description).
                raise HttpError(400, f"No project permission with key '{key}' could be found.")
            out[key] = {
                "id": pid,
                "key": key,
                "name": name,
                "type": kind,
                "description": desc,
                "havePermission": have[key],
                "deprecatedKey": False,
            }
        return {"permissions": out}

    # ------------------------------------------------------------------ agile

    def board(self, b: Board) -> dict[str, Any]:
        p = self.state.projects[b.project]
        return {
            "id": b.id,
            "self": f"{self.base}/rest/agile/1.0/board/{b.id}",
            "name": b.name,
            "type": b.type,
            "location": {
                "projectId": int(p.id),
                "displayName": f"{p.name} ({p.key})",
                "projectName": p.name,
                "projectKey": p.key,
                "projectTypeKey": p.type,
                "avatarURI": f"{self.base}/secure/projectavatar?size=small&pid={p.id}",
                "name": f"{p.name} ({p.key})",
            },
            "isPrivate": False,
        }

    def sprint(self, s: Sprint) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": s.id,
            "self": f"{self.base}/rest/agile/1.0/sprint/{s.id}",
            "state": s.state,
            "name": s.name,
            "originBoardId": s.board,
        }
        for key, when in (("startDate", s.start), ("endDate", s.end), ("completeDate", s.complete)):
            if when is not None:
                out[key] = agile_time(when)
        if s.goal:
            out["goal"] = s.goal
        return out


def group_id(name: str) -> str:
    # A stable uuid-shaped id per group name (Cloud identifies groups by id).
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-group:{name}"))


def _duration_text(seconds: int) -> str:
    parts = []
    for unit, size in (("w", 5 * 8 * 3600), ("d", 8 * 3600), ("h", 3600), ("m", 60)):
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n}{unit}")
    return " ".join(parts) or "0m"
