"""Helpers of the governance tests: a small site (people, groups), requests, sub-tasks, histories.

The people and groups mirror the demo seed's roles so cases read like the seed's stories.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bridgeplugin.governance import Policy, RequestFacts, Verdict, evaluate, load_policy
from bridgeplugin.governance.assume import Assumptions
from bridgeplugin.model import ChangeItem, ChangelogEntry, Comment, Issue, User
from bridgeplugin.rules import StaticDirectory
from bridgeplugin.tagging import TagVerdict

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "rules"

PEOPLE = {
    "priya": "marketing",  # marketing-ops manager: approves requests
    "mateo": "marketing",
    "aisha": "marketing",
    "grace": "it-architecture",
    "olumide": "it-architecture",
    "marcus": "security-reviewers",
    "ingrid": "security-reviewers",
    "samuel": "cio-office",
    "diane": "cmo-office",
}
DIRECTORY = StaticDirectory({name: [group] for name, group in PEOPLE.items()})

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    """``n`` days after T0 (1 Nov 2026, 09:00 UTC)."""
    return T0 + timedelta(days=n)


def user(name: str) -> User:
    return User(account_id=name, display_name=name.capitalize())


def tagged(
    key: str = "MKT-1", *, tag: bool = True, category: str | None = "saas", undecided: bool = False
) -> TagVerdict:
    return TagVerdict(
        key=key,
        marketing_originated=tag or undecided,
        tech_request=tag,
        category=category if tag else None,
        reasons=("mkt: reporter is in group marketing",)
        + (("tech: could not decide: field 'Vendor' is not on the issue",) if undecided else ()),
        rules_version="test",
        undecided=undecided,
    )


_IDS = iter(range(20000, 99999))


def request(
    key: str = "MKT-1",
    *,
    status: str = "Approved",
    category: str | None = None,
    reporter: str = "mateo",
    resolution: str | None = None,
    **kw: Any,
) -> Issue:
    cat = category or ("done" if status == "Done" else "indeterminate")
    kw.setdefault("custom", {"Vendor": "HubSpot", "Cost": 4800, "Data categories": ["contact"]})
    return Issue(
        id=str(next(_IDS)),
        key=key,
        project=key.split("-")[0],
        issue_type="Task",
        status=status,
        status_category=None if status is None else cat,
        summary=kw.pop("summary", "Sync HubSpot form leads into Salesforce"),
        reporter=user(reporter),
        resolution=resolution,
        created=day(0),
        **kw,
    )


def sub_task(
    key: str,
    review: str | None,
    *,
    status: str = "Done",
    resolution: str | None = "Approved",
    created: datetime | None = None,
    assignee: str | None = None,
    parent: str = "MKT-1",
) -> Issue:
    done = status == "Done"
    return Issue(
        id=str(next(_IDS)),
        key=key,
        project=key.split("-")[0],
        issue_type="Sub-task",
        status=status,
        status_category="done" if done else ("new" if status == "To Do" else "indeterminate"),
        summary=f"{(review or 'other').capitalize()} review: x",
        labels=(f"review-{review}",) if review else (),
        parent=parent,
        resolution=resolution if done else None,
        reporter=user("priya"),
        assignee=user(assignee) if assignee else None,
        created=created or day(0.5),
    )


_ENTRY_IDS = iter(range(50000, 99999))


def entry(by: str, at: datetime, *items: tuple[str, str | None, str | None]) -> ChangelogEntry:
    """One changelog entry: (field, from, to) items."""
    return ChangelogEntry(
        id=str(next(_ENTRY_IDS)),
        author=user(by),
        created=at,
        items=tuple(
            ChangeItem(field=f, field_id=f, from_string=a, to_string=b) for f, a, b in items
        ),
    )


def closed(
    by: str, at: datetime, resolution: str = "Approved", from_status: str = "In Progress"
) -> ChangelogEntry:
    """The entry that closes a review sub-task with ``resolution``."""
    return entry(by, at, ("status", from_status, "Done"), ("resolution", None, resolution))


def moved(by: str, at: datetime, to: str, from_: str) -> ChangelogEntry:
    return entry(by, at, ("status", from_, to))


def approved_request_log(by: str = "priya", at: datetime | None = None) -> list[ChangelogEntry]:
    """To Do -> In Review (by the reporter), then In Review -> Approved by ``by``."""
    return [
        moved("mateo", day(0.1), "In Review", "To Do"),
        moved(by, at or day(20), "Approved", "In Review"),
    ]


def comment(by: str, at: datetime, body: str) -> Comment:
    return Comment(id=str(next(_IDS)), author=user(by), body=body, created=at)


def policy_text(text: str, tmp: Path, *, vendors: bool = False) -> Policy:
    """A policy from one reviews file written into ``tmp``."""
    path = tmp / "reviews.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    loaded = load_policy(
        tmp,
        vendors="auto" if vendors else None,
        categories=["saas", "data", "integration", "tracking"],
    )
    assert loaded is not None
    return loaded


def shipped() -> Policy:
    loaded = load_policy(SHIPPED, categories=["saas", "data", "integration", "tracking", "ai"])
    assert loaded is not None
    return loaded


def facts(
    issue: Issue,
    *,
    tag: TagVerdict | None = None,
    subs: Sequence[Issue] = (),
    logs: Mapping[str, Sequence[ChangelogEntry]] | None = None,
    comments: Iterable[Comment] | None = (),
) -> RequestFacts:
    return RequestFacts(
        issue=issue,
        tagging=tag if tag is not None else tagged(issue.key),
        sub_tasks=tuple(subs),
        changelogs=dict(logs or {}),
        comments=None if comments is None else tuple(comments),
    )


def check(
    policy: Policy, f: RequestFacts, *, now: datetime = NOW, assume: Assumptions | None = None
) -> Verdict:
    return evaluate(policy, f, DIRECTORY, now=now, assume=assume)
