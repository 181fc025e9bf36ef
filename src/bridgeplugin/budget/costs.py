"""Cost facts: what Jira says was spent, priced and dated, each with the reason it counts.

Input is plain data the edges fetched — :class:`IssueFacts` (an issue with its changelog and
worklogs) and the Jira groups of the worklog authors. :func:`collect_costs` turns it, purely,
into :class:`Costs`:

``charges``        dated amounts: one-off costs and priced worklogs
``subscriptions``  monthly amounts with an active range, prorated later by day
``pending``        costs on requests not (yet) committed: what is in the pipeline
``skipped``        what could not be priced or read, and why (never silently dropped)

**When a one-off cost counts** (the ``Cost`` field; Tempo's "expense", Jira Align's "actual"):
when the request is *committed* — its current status is one of ``committed_statuses``
(default Approved, Done) and it was not closed with a ``not_spent_resolutions`` resolution
(Won't Do, Rejected, ...). It is dated at the moment the issue last entered a committed status
from one that is not (Approved -> Done keeps the approval date; Approved -> In Review ->
Approved takes the second approval). An issue in a committed status with no such change in its
changelog (created that way, e.g. imported) is dated at its creation. An uncommitted cost is
*pending*, not spent. This follows the money: a marketing request is paid once approved; an IT
purchase once done.

**Subscriptions** (the ``Monthly cost`` field, and ``subscriptions:`` in the file) run from the
local day the issue was committed (same rule), open-ended; they are prorated in ``figures.py``.

**Worklogs** always count (the work was done): ``seconds / 3600 x hourly rate`` of the author's
team, dated when the work started. The team is the first team in the file listing one of the
author's Jira groups, else ``default_team``; a worklog with neither is *skipped* with a reason.

**Initiative**: the issue's Initiative field; a sub-task or epic child without one takes its
parent's (up to three levels), so the work under a cross-team epic lands on the epic's
initiative. Issues without an initiative are not joint spend and are ignored.

**Department**: worklogs go to the team's department; one-off costs and subscriptions to the
department that lists the issue's project (``None``, "unassigned", when none does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ..model import ChangelogEntry, Issue, Worklog
from .book import BudgetBook, CostSource, Expense
from .money import to_decimal

__all__ = [
    "Charge",
    "Costs",
    "IssueFacts",
    "Pending",
    "Skipped",
    "Subscription",
    "collect_costs",
    "committed_at",
]

SECONDS_PER_HOUR = Decimal(3600)


@dataclass(frozen=True)
class IssueFacts:
    """One issue as the figures need it: the issue (custom fields by name), its changelog and
    its worklogs. The edges fetch them; nothing here does I/O."""

    issue: Issue
    changelog: tuple[ChangelogEntry, ...] = ()
    worklogs: tuple[Worklog, ...] = ()


@dataclass(frozen=True)
class Charge:
    """A dated amount: a one-off cost or a priced worklog."""

    kind: Literal["one-off", "worklog"]
    initiative: str
    amount: Decimal  # unrounded, in ``currency``
    currency: str
    at: datetime  # when it counts (committed / work started), timezone-aware
    department: str | None
    expense: Expense
    issue_key: str
    why: str  # "MKT-2: Cost 4800 USD, committed 2026-11-04 (In Review -> Approved)"
    team: str | None = None
    hours: Decimal | None = None


@dataclass(frozen=True)
class Subscription:
    """A monthly amount active from ``start`` to ``end`` (local days, inclusive)."""

    initiative: str
    monthly: Decimal
    currency: str
    start: date
    end: date | None
    department: str | None
    expense: Expense
    source: str  # issue key, or "subscriptions.<key>" for one listed in the file
    why: str


@dataclass(frozen=True)
class Pending:
    """A cost on a request that is not committed (yet): the pipeline, not spend."""

    kind: Literal["one-off", "monthly"]
    initiative: str
    amount: Decimal
    currency: str
    issue_key: str
    status: str | None
    why: str


@dataclass(frozen=True)
class Skipped:
    """Something that looked like a cost but could not be counted, and what would fix it."""

    issue_key: str
    what: str
    reason: str


@dataclass(frozen=True)
class Costs:
    charges: tuple[Charge, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    pending: tuple[Pending, ...] = ()
    skipped: tuple[Skipped, ...] = ()


def committed_at(
    issue: Issue, changelog: Sequence[ChangelogEntry], book: BudgetBook
) -> tuple[datetime | None, str]:
    """(when the issue's cost became committed, or None; the reason in words)."""
    rules = book.costs
    if rules.is_not_spent(issue.resolution):
        return None, f"resolved as {issue.resolution!r}: not spent"
    if not rules.is_committed_status(issue.status):
        shown = ", ".join(rules.committed_statuses)
        return None, f"status {issue.status!r} is not committed yet ({shown})"
    moves = sorted(
        (
            (entry.created, item.from_string, item.to_string)
            for entry in changelog
            for item in entry.items
            if item.field.casefold() == "status"
        ),
        key=lambda m: m[0],
    )
    found: tuple[datetime, str | None, str | None] | None = None
    for when, before, after in moves:
        if rules.is_committed_status(after) and not rules.is_committed_status(before):
            found = (when, before, after)
    if found is not None:
        when, before, after = found
        return when, f"committed {when.date()} ({before} -> {after})"
    if issue.created is None:
        return None, f"status {issue.status!r} but neither a status change nor a created date"
    return issue.created, f"committed {issue.created.date()} (created in status {issue.status})"


def collect_costs(
    book: BudgetBook,
    issues: Iterable[IssueFacts],
    groups: Mapping[str, Iterable[str]],
) -> Costs:
    """Price and date the costs of ``issues``; ``groups`` maps account id -> Jira groups."""
    facts = list(issues)
    by_key = {f.issue.key: f.issue for f in facts}
    charges: list[Charge] = []
    subs: list[Subscription] = []
    pending: list[Pending] = []
    skipped: list[Skipped] = []
    rules = book.costs

    for f in facts:
        issue = f.issue
        initiative = _initiative(issue, by_key, rules.initiative_field)
        if initiative is None:
            continue
        department = book.department_of_project(issue.project)
        capex = any(label in rules.capex_labels for label in issue.labels)
        when, reason = committed_at(issue, f.changelog, book)

        one_off = _amount(issue, rules.one_off, skipped)
        if one_off is not None:
            src = rules.one_off
            what = f"{src.field} {one_off} {src.currency}"
            if when is not None:
                charges.append(
                    Charge(
                        kind="one-off",
                        initiative=initiative,
                        amount=one_off,
                        currency=src.currency,
                        at=when,
                        department=department,
                        expense="capex" if capex else src.expense,
                        issue_key=issue.key,
                        why=f"{issue.key}: {what}, {reason}",
                    )
                )
            elif not rules.is_not_spent(issue.resolution):
                pending.append(
                    Pending(
                        "one-off",
                        initiative,
                        one_off,
                        src.currency,
                        issue.key,
                        issue.status,
                        f"{issue.key}: {what}, {reason}",
                    )
                )

        monthly = _amount(issue, rules.monthly, skipped)
        if monthly is not None:
            src = rules.monthly
            what = f"{src.field} {monthly} {src.currency}"
            if when is not None:
                start = when.astimezone(book.tz).date()
                subs.append(
                    Subscription(
                        initiative=initiative,
                        monthly=monthly,
                        currency=src.currency,
                        start=start,
                        end=None,
                        department=department,
                        expense="capex" if capex else src.expense,
                        source=issue.key,
                        why=f"{issue.key}: {what} from {start}, {reason}",
                    )
                )
            elif not rules.is_not_spent(issue.resolution):
                pending.append(
                    Pending(
                        "monthly",
                        initiative,
                        monthly,
                        src.currency,
                        issue.key,
                        issue.status,
                        f"{issue.key}: {what}, {reason}",
                    )
                )

        if rules.worklogs_enabled:
            for w in f.worklogs:
                charge = _worklog(book, issue.key, initiative, w, groups, capex, skipped)
                if charge is not None:
                    charges.append(charge)

    for s in book.subscriptions:
        subs.append(
            Subscription(
                initiative=s.initiative,
                monthly=s.monthly,
                currency=s.currency,
                start=s.start,
                end=s.end,
                department=s.department,
                expense=s.expense,
                source=f"subscriptions.{s.key}",
                why=f"subscriptions.{s.key}: {s.monthly} {s.currency} a month from {s.start}"
                + (f" to {s.end}" if s.end else ""),
            )
        )
    charges.sort(key=lambda c: (c.at, c.issue_key))
    return Costs(tuple(charges), tuple(subs), tuple(pending), tuple(skipped))


def _initiative(issue: Issue, by_key: Mapping[str, Issue], field: str) -> str | None:
    current: Issue | None = issue
    for _ in range(4):  # the issue, then up to three parents (sub-task -> story -> epic)
        if current is None:
            return None
        value = _text(current.custom.get(field))
        if value:
            return value
        current = by_key.get(current.parent) if current.parent else None
    return None


def _text(value: Any) -> str | None:
    # A text field arrives as a string; a select list as {"value": ...}; a labels field as a list.
    if isinstance(value, dict):
        value = value.get("value") or value.get("name")
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _amount(issue: Issue, source: CostSource, skipped: list[Skipped]) -> Decimal | None:
    if source.field is None:
        return None
    raw = issue.custom.get(source.field)
    if raw is None or raw == "":
        return None
    try:
        value = to_decimal(raw)
    except ValueError:
        skipped.append(Skipped(issue.key, f"{source.field} {raw!r}", "not a number"))
        return None
    if value < 0:
        skipped.append(
            Skipped(issue.key, f"{source.field} {value}", "negative: a cost is a positive amount")
        )
        return None
    return value if value != 0 else None


def _hours(hours: Decimal) -> str:
    # normalize() alone prints ten hours as "1E+1"; format "f" keeps it plain.
    return format(hours.normalize(), "f")


def _worklog(
    book: BudgetBook,
    key: str,
    initiative: str,
    w: Worklog,
    groups: Mapping[str, Iterable[str]],
    capex: bool,
    skipped: list[Skipped],
) -> Charge | None:
    hours = Decimal(w.time_spent_seconds) / SECONDS_PER_HOUR
    what = f"worklog {w.id} ({_hours(hours)} h on {w.started.date()})"
    if w.author is None:
        skipped.append(Skipped(key, what, "no author, so no team and no rate"))
        return None
    author_groups = list(groups.get(w.author.account_id, ()))
    team = book.team_of(author_groups)
    who = w.author.display_name or w.author.account_id
    if team is None:
        shown = ", ".join(author_groups) or "none"
        skipped.append(
            Skipped(
                key,
                f"{what} by {who}",
                f"no team for groups [{shown}]: add one of them to a team's groups, or set "
                "default_team in the budgets file",
            )
        )
        return None
    # One multiplication and one division, so whole hours stay exact.
    amount = Decimal(w.time_spent_seconds) * team.hourly_rate / SECONDS_PER_HOUR
    return Charge(
        kind="worklog",
        initiative=initiative,
        amount=amount,
        currency=team.currency,
        at=w.started,
        department=team.department,
        expense="capex" if capex else book.costs.worklog_expense,
        issue_key=key,
        why=f"{key}: {what} by {who}, team {team.key} at {team.hourly_rate} {team.currency}/h",
        team=team.key,
        hours=hours,
    )
