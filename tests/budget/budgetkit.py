"""Small builders for budget tests: issues, worklogs, sprints, budgets text."""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any

from bridgeplugin.budget import IssueFacts
from bridgeplugin.model import ChangeItem, ChangelogEntry, Issue, Sprint, User, Worklog


def t(text: str) -> datetime:
    """An instant: '2026-01-20T10:00' is UTC unless an offset is given."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else datetime.fromisoformat(text + "+00:00")


def moves(*steps: tuple[str, str, str]) -> tuple[ChangelogEntry, ...]:
    """Status changes: (when, from, to)."""
    return tuple(
        ChangelogEntry(
            id=str(n),
            created=t(when),
            items=(ChangeItem(field="status", from_string=before, to_string=after),),
        )
        for n, (when, before, after) in enumerate(steps)
    )


def wl(author: str, started: str, hours: float | int, n: int = 0) -> Worklog:
    return Worklog(
        id=f"{author}-{started}-{n}",
        author=User(account_id=author, display_name=author),
        started=t(started),
        time_spent_seconds=round(hours * 3600),
    )


def facts(
    key: str,
    *,
    initiative: str | None = None,
    status: str = "To Do",
    resolution: str | None = None,
    created: str = "2026-01-01T00:00",
    cost: Any = None,
    monthly: Any = None,
    changelog: tuple[ChangelogEntry, ...] = (),
    worklogs: tuple[Worklog, ...] = (),
    parent: str | None = None,
    labels: tuple[str, ...] = (),
    extra: dict[str, Any] | None = None,
) -> IssueFacts:
    custom: dict[str, Any] = dict(extra or {})
    if initiative is not None:
        custom["Initiative"] = initiative
    if cost is not None:
        custom["Cost"] = cost
    if monthly is not None:
        custom["Monthly cost"] = monthly
    issue = Issue(
        id=key,
        key=key,
        project=key.split("-")[0],
        status=status,
        resolution=resolution,
        created=t(created),
        custom=custom,
        parent=parent,
        labels=labels,
    )
    return IssueFacts(issue, changelog, worklogs)


def sprint(
    id: int,
    start: str,
    end: str,
    *,
    state: str = "closed",
    complete: str | None = None,
    name: str | None = None,
) -> Sprint:
    return Sprint(
        id=id,
        name=name or f"S{id}",
        state=state,
        start_date=t(start),
        end_date=t(end),
        complete_date=t(complete) if complete else (t(end) if state == "closed" else None),
    )


def yaml_text(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")
