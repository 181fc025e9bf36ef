"""JQL search over the fake Jira: the engine's ``Env``, issue rows, and search cursors.

Rows (``jql.py`` documents their shape) are built once per issue and cached on it until the
next write, so a search over 100,000 issues costs one predicate call per issue. A search's
ordered result is kept as a cursor: ``nextPageToken`` names the cursor and the offset, so
paging through a large result does not re-run the query, and a page shows the issues' current
state in the order the first page fixed (like a database cursor). Tokens expire after 7 days of
the site clock, as Jira's do; a token from before a restart re-runs the query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..accounts import Account
from ..jql import FieldSpec, JqlError, Query, compile_jql, system_field
from ..routing import HttpError
from . import adf
from .model import Issue
from .state import JiraState, bulk_allocation

__all__ = ["Cursor", "SearchEnv", "Searcher", "row_of"]

_KIND_OF_CUSTOM = {
    "number": "number",
    "string": "string",
    "text": "text",
    "date": "date",
    "datetime": "date",
    "select": "option",
    "labels": "multi",
    "user": "user",
    "sprint": "sprint",
}
_CF_RE = re.compile(r"^cf\[(\d+)\]$", re.IGNORECASE)
_UNBOUNDED = re.compile(r"^\s*(order\s+by\b.*)?$", re.IGNORECASE | re.DOTALL)
TOKEN_LIFETIME = timedelta(days=7)
_CURSORS_KEPT = 64


class SearchEnv:
    """What the JQL engine asks about the site, answered for one caller."""

    def __init__(self, state: JiraState, user: Account) -> None:
        self.state = state
        self.user = user

    def field(self, name: str) -> FieldSpec | None:
        st = self.state
        m = _CF_RE.match(name.strip())
        if m is not None:
            f = st.fields.get(f"customfield_{m.group(1)}")
        else:
            spec = system_field(name)
            if spec is not None:
                if spec.id == "text":
                    extra = tuple(f.id for f in st.custom_fields() if f.kind in ("text", "string"))
                    return FieldSpec("text", "text", (*spec.sources, *extra))
                return spec
            f = st.field_named(name.strip().strip('"'))
        if f is None or not f.custom:
            return None
        if f.id == st.sprint_field_id:
            return FieldSpec("sprint", "sprint")
        return FieldSpec(f.id, _KIND_OF_CUSTOM[f.kind])  # type: ignore[arg-type]

    def now(self) -> datetime:
        return self.state.clock.now()

    def current_user(self) -> str | None:
        return self.user.account_id

    def resolve_users(self, text: str) -> set[str]:
        accounts = self.state.accounts
        acc = accounts.find(text)
        if acc is not None:
            return {acc.account_id}
        lowered = text.lower()
        return {a.account_id for a in accounts.users.values() if a.display_name.lower() == lowered}

    def members_of(self, group: str) -> set[str]:
        groups = self.state.accounts.groups
        name = next((g for g in groups if g.lower() == group.lower()), None)
        if name is None:
            raise JqlError(
                f"Function 'membersOf' can not generate a list of usernames for group '{group}'; "
                "the group does not exist."
            )
        return set(groups[name])

    def sprints(self, state: str) -> set[int]:
        return {s.id for s in self.state.sprints.values() if s.state == state}

    def resolve_sprint(self, text: str) -> set[int]:
        sprints = self.state.sprints
        if text.strip().isdigit() and int(text) in sprints:
            return {int(text)}
        return {s.id for s in sprints.values() if s.name.lower() == text.strip().lower()}

    def resolve_project(self, text: str) -> str | None:
        st = self.state
        p = st.project_ref(text)
        if p is not None:
            return p.key
        lowered = text.lower()
        return next((p.key for p in st.projects.values() if p.name.lower() == lowered), None)


def row_of(state: JiraState, issue: Issue) -> dict[str, Any]:
    """The issue as the JQL engine sees it; cached on the issue until its next write."""
    row = issue.row
    if row is not None:
        return row
    parent = state.by_id.get(issue.parent) if issue.parent is not None else None
    row = {
        "key": issue.key,
        "id": str(issue.id),
        "parent": parent.key if parent is not None else None,
        "project": issue.project,
        "issuetype": issue.type,
        "status": issue.status,
        "statusCategory": state.statuses[issue.status].category,
        "resolution": issue.resolution,
        "reporter": issue.reporter,
        "assignee": issue.assignee,
        "creator": issue.creator,
        "labels": issue.labels,
        "components": issue.components,
        "sprint": issue.sprints,
        "created": issue.created,
        "updated": issue.updated,
        "resolutiondate": issue.resolution_date,
        "summary": issue.summary,
        "description": adf.to_text(issue.description) if issue.description is not None else None,
        "comment": [adf.to_text(c.body) for c in issue.comments],
    }
    for fid, value in issue.custom.items():
        f = state.fields.get(fid)
        if f is None or value is None:
            continue
        if f.kind == "date":
            row[fid] = date.fromisoformat(value)
        elif f.kind == "text":
            row[fid] = adf.to_text(value)
        else:
            row[fid] = value
    issue.row = row
    return row


@dataclass
class Cursor:
    id: int
    ids: list[int]  # issue ids in result order
    jql_hash: str
    issued: datetime


def _hash(jql: str, account_id: str) -> str:
    return hashlib.sha256(f"{account_id}\0{jql}".encode()).hexdigest()[:16]


class Searcher:
    """Runs searches for the routes; keeps cursors for ``nextPageToken`` paging."""

    def __init__(self) -> None:
        self._cursors: OrderedDict[int, Cursor] = OrderedDict()
        self._ids = itertools.count(1)
        # Search lag (a fault): the row each issue shows to JQL, and the newer rows waiting
        # for their turn (row, search number from which it shows). None while lag is off.
        self._indexed: dict[int, dict[str, Any]] | None = None
        self._pending: dict[int, tuple[dict[str, Any], int]] = {}
        self._searches = 0

    def compile(self, state: JiraState, user: Account, jql: str, *, bounded: bool) -> Query:
        if bounded and _UNBOUNDED.match(jql or ""):
            raise HttpError(
                400,
                "Unbounded JQL queries are not allowed here. Please add a search restriction "
                "to your query.",
            )
        try:
            return compile_jql(jql or "", SearchEnv(state, user))
        except JqlError as exc:
            raise HttpError(400, str(exc)) from None

    def run(
        self,
        state: JiraState,
        user: Account,
        query: Query,
        *,
        lag: int = 0,
        reconcile: frozenset[int] = frozenset(),
    ) -> list[int]:
        """Ids of the issues the user may see that match, in the query's order.

        With ``lag`` > 0 the match is decided on what the index holds: a creation or update
        shows only ``lag`` searches after the first search that could have seen it, except
        for the ``reconcile`` ids (Jira's read-after-write consistency for named issues).
        """
        visible = state.browsable_projects(user)
        pred = query.predicate
        rows = []
        indexed = self._index_for(state, lag)
        with bulk_allocation():  # the first search builds a row per issue
            for issue in self._candidates(state, query):
                if issue.project in visible:
                    row = issue.row if issue.row is not None else row_of(state, issue)
                    if indexed is not None and issue.id not in reconcile:
                        row = self._lagged(indexed, issue.id, row, lag)
                        if row is None:
                            continue
                    if pred(row):
                        rows.append(row)
            return [int(r["id"]) for r in query.sort(rows)]

    @staticmethod
    def _candidates(state: JiraState, query: Query) -> Iterable[Issue]:
        """Every issue, or only those the query pins down by key, id or parent: the plugin
        reads many ``key in (...)`` pages, and a scan of 100,000 issues for each of them would
        make the sandbox, not the plugin, the slow part of a scale test."""
        if query.narrow is None:
            return state.by_id.values()
        found: dict[int, Issue] = {}
        for kind, ref in query.narrow:
            if kind == "parent":
                parent = state.find_issue(str(ref))
                for child in state.children_of(parent) if parent is not None else ():
                    found[child.id] = child
                continue
            issue = state.find_issue(str(ref))
            if issue is not None:
                found[issue.id] = issue
        return found.values()

    def _index_for(self, state: JiraState, lag: int) -> dict[int, dict[str, Any]] | None:
        if lag <= 0:
            self._indexed, self._pending = None, {}
            return None
        self._searches += 1
        if self._indexed is None:
            # Lag switched on: what exists now is indexed; only later writes lag.
            with bulk_allocation():
                self._indexed = {
                    i.id: i.row if i.row is not None else row_of(state, i)
                    for i in state.by_id.values()
                }
        return self._indexed

    def _lagged(
        self, indexed: dict[int, dict[str, Any]], ident: int, row: dict[str, Any], lag: int
    ) -> dict[str, Any] | None:
        """The row search sees for one issue now (None: created, not indexed yet)."""
        shown = indexed.get(ident)
        if shown is row:
            return row
        waiting = self._pending.get(ident)
        if waiting is None or waiting[0] is not row:
            # A write the index has not seen yet: it shows ``lag`` searches from now.
            self._pending[ident] = (row, self._searches + lag)
            return shown
        if self._searches >= waiting[1]:
            indexed[ident] = row
            del self._pending[ident]
            return row
        return shown

    def count(self, state: JiraState, user: Account, query: Query) -> int:
        visible = state.browsable_projects(user)
        pred = query.predicate
        with bulk_allocation():
            return sum(
                1
                for issue in self._candidates(state, query)
                if issue.project in visible
                and pred(issue.row if issue.row is not None else row_of(state, issue))
            )

    def page(
        self,
        state: JiraState,
        user: Account,
        jql: str,
        token: str | None,
        limit: int,
        *,
        lag: int = 0,
        reconcile: frozenset[int] = frozenset(),
    ) -> tuple[list[Issue], str | None]:
        """One page of the enhanced search: the issues and the token of the next page."""
        jql_hash = _hash(jql, user.account_id)
        now = state.clock.now()
        if token:
            cursor_id, offset, token_hash, issued = _decode_token(token)
            if token_hash != jql_hash:
                raise HttpError(400, "The provided next page token is invalid or expired.")
            if now - issued > TOKEN_LIFETIME:
                raise HttpError(400, "The provided next page token is invalid or expired.")
            cursor = self._cursors.get(cursor_id)
            if cursor is None:
                # Lost (restart, evicted): rebuild it; pages after this one follow the new order.
                query = self.compile(state, user, jql, bounded=True)
                ids = self.run(state, user, query, lag=lag, reconcile=reconcile)
                cursor = self._store(ids, jql_hash, issued)
            else:
                self._cursors.move_to_end(cursor_id)
        else:
            offset = 0
            query = self.compile(state, user, jql, bounded=True)
            ids = self.run(state, user, query, lag=lag, reconcile=reconcile)
            cursor = self._store(ids, jql_hash, now)
        issues: list[Issue] = []
        position = offset
        ids = cursor.ids
        while position < len(ids) and len(issues) < limit:
            issue = state.by_id.get(ids[position])
            position += 1
            # Deleted since the first page, or no longer visible: skip, as a re-run would.
            if issue is not None and state.can(user, issue.project, "BROWSE_PROJECTS"):
                issues.append(issue)
        next_token = None
        if position < len(ids):
            next_token = _encode_token(cursor.id, position, jql_hash, cursor.issued)
        return issues, next_token

    def _store(self, ids: list[int], jql_hash: str, issued: datetime) -> Cursor:
        cursor = Cursor(next(self._ids), ids, jql_hash, issued)
        self._cursors[cursor.id] = cursor
        while len(self._cursors) > _CURSORS_KEPT:
            self._cursors.popitem(last=False)
        return cursor


def _encode_token(cursor_id: int, offset: int, jql_hash: str, issued: datetime) -> str:
    doc = {"c": cursor_id, "o": offset, "h": jql_hash, "t": int(issued.timestamp())}
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


def _decode_token(token: str) -> tuple[int, int, str, datetime]:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
        return (
            int(doc["c"]),
            int(doc["o"]),
            str(doc["h"]),
            datetime.fromtimestamp(int(doc["t"]), UTC),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise HttpError(400, "The provided next page token is invalid or expired.") from None
