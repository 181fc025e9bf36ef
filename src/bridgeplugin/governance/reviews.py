"""The state of one review of one request: given, rejected, lapsed or pending, and why.

Which sub-tasks belong to a review: the request's sub-tasks carrying the review's label, and
the one recorded under the review's name in the request's ``bridge`` property.

Each closed sub-task is an event: *approve* or *reject* (its resolution, see ``resolutions:``),
made by the author of the latest changelog entry that changed its status or resolution - the
person who put it where it is. An approval **counts** when that person is in one of the
review's groups and (unless ``self_approval``) is not the request's reporter.

The state, in order:

1. **given**: at least ``approvals`` different people gave counting approvals after the latest
   rejection, and no material change of the request followed the approval;
2. **rejected**: a rejection, with no sub-task opened after it for a new look;
3. **lapsed**: enough counting approvals, but a material change followed, and no sub-task is
   open for the re-review (the planner reopens it);
4. **pending**: anything else - no sub-task yet, still open, closed by someone whose approval
   does not count, closed with a resolution that neither approves nor rejects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..model import ChangelogEntry, Issue
from ..rules.context import Context
from ..rules.vendors import VendorCatalog
from .history import Change, Person, closing_entry, material_changes, person
from .policy import Resolutions, Review
from .verdict import Approval, ReviewVerdict

__all__ = ["candidates", "review_state"]

_EARLIEST = datetime.min.replace(tzinfo=UTC)  # sorts undated events first


def candidates(review: Review, sub_tasks: Sequence[Issue], recorded: str | None) -> list[Issue]:
    """The sub-tasks of this review, oldest first."""
    label = review.label.casefold()
    found = [
        s for s in sub_tasks if s.key == recorded or any(lb.casefold() == label for lb in s.labels)
    ]
    return sorted(found, key=lambda s: (s.created is None, s.created, _key_number(s.key)))


def _key_number(key: str) -> int:
    tail = key.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


@dataclass(frozen=True)
class _Event:
    sub_task: Issue
    kind: str | None  # "approve", "reject" or None (closed with another resolution)
    by: Person | None
    at: datetime | None


def _closed(issue: Issue) -> bool:
    if issue.status_category is not None:
        return issue.status_category == "done"
    return issue.resolution is not None


def _event(sub_task: Issue, entries: Sequence[ChangelogEntry], res: Resolutions) -> _Event:
    entry = closing_entry(entries)
    return _Event(
        sub_task,
        res.verdict(sub_task.resolution),
        person(entry.author) if entry else None,
        entry.created if entry else None,
    )


def _judge(review: Review, event: _Event, ctx: Context, reporter: Person | None) -> Approval:
    """Does this approval count? The reason names the person and the group (or why not)."""
    key = event.sub_task.key
    by = event.by
    if by is None:
        return Approval(
            key,
            None,
            event.at,
            False,
            f"{key}'s history shows nobody closing it, so who approved it is unknown",
        )
    if reporter is not None and by.account_id == reporter.account_id and not review.self_approval:
        return Approval(
            key,
            by,
            event.at,
            False,
            f"{key} was approved by {by}, the request's reporter (no self-approval)",
        )
    try:
        groups = ctx.groups(by.account_id)
    except Exception as exc:  # a directory failure decides nothing: the approval does not count
        return Approval(
            key, by, event.at, False, f"the groups of {by} could not be looked up ({exc})"
        )
    group = review.in_group(groups)
    if group is None:
        return Approval(
            key,
            by,
            event.at,
            False,
            f"{key} was approved by {by}, who is not in {' or '.join(review.groups)}",
        )
    return Approval(key, by, event.at, True, f"approved by {by} ({group})", group)


def review_state(
    review: Review,
    *,
    required_by: tuple[str, ...],
    request: Issue,
    sub_tasks: Sequence[Issue],
    recorded: str | None,
    logs: dict[str, Sequence[ChangelogEntry]],
    request_log: Sequence[ChangelogEntry],
    resolutions: Resolutions,
    catalog: VendorCatalog | None,
    ctx: Context,
) -> ReviewVerdict:
    """The verdict of one review (``logs``: sub-task key -> its changelog)."""
    found = candidates(review, sub_tasks, recorded)
    base = {
        "name": review.name,
        "title": review.title,
        "groups": review.groups,
        "label": review.label,
        "required_by": required_by,
        "sub_tasks": tuple(s.key for s in found),
        "needed": review.approvals,
        "self_approval": review.self_approval,
    }
    if not found:
        reason = f"no sub-task labelled {review.label} yet"
        state = "pending" if required_by else "not_required"
        return ReviewVerdict(state=state, reason=_scope(reason, required_by), **base)  # type: ignore[arg-type]

    reporter = person(request.reporter)
    events = [_event(s, logs.get(s.key, ()), resolutions) for s in found if _closed(s)]
    open_ = [s for s in found if not _closed(s)]
    rejections = sorted((e for e in events if e.kind == "reject"), key=lambda e: e.at or _EARLIEST)
    last_reject = rejections[-1] if rejections else None
    judged = [
        (e, _judge(review, e, ctx, reporter))
        for e in events
        if e.kind == "approve" and (last_reject is None or _after(e.at, last_reject.at))
    ]
    approvals = tuple(a for _, a in judged)
    counting = [(e, a) for e, a in judged if a.counts]
    fresh: list[Approval] = []
    stale: list[tuple[Approval, list[Change]]] = []
    for e, a in counting:
        changes = material_changes(request_log, e.at, review.material, catalog) if e.at else []
        if changes:
            stale.append((a, changes))
        else:
            fresh.append(a)
    current = (open_ or [e.sub_task for e in events])[-1]
    base["approvals"] = approvals

    given = _distinct(fresh)
    if len(given) >= review.approvals:
        chosen = given[: review.approvals]
        at = max(a.at for a in chosen if a.at is not None)
        who = ", ".join(f"{a.by} ({a.group})" for a in chosen)
        state = "given" if required_by else "not_required"
        reason = f"{', '.join(a.sub_task for a in chosen)} approved by {who}"
        return ReviewVerdict(
            state=state,  # type: ignore[arg-type]
            reason=_scope(reason, required_by),
            sub_task=chosen[-1].sub_task,
            by=tuple(a.by for a in chosen if a.by is not None),
            at=at,
            **base,
        )
    if not required_by:
        return ReviewVerdict(
            state="not_required",
            reason=_scope(f"{current.key} is {_status(current)}", required_by),
            sub_task=current.key,
            **base,
        )
    reopened = last_reject is not None and any(_after(s.created, last_reject.at) for s in open_)
    if last_reject is not None and not reopened:
        by = last_reject.by
        rejecter = f" by {by}" if by else ""
        return ReviewVerdict(
            state="rejected",
            reason=f"{last_reject.sub_task.key} was rejected{rejecter} "
            f"(resolution {last_reject.sub_task.resolution})",
            sub_task=last_reject.sub_task.key,
            by=(by,) if by else (),
            at=last_reject.at,
            **base,
        )
    if stale and not open_ and len(_distinct(fresh + [a for a, _ in stale])) >= review.approvals:
        a, changes = stale[-1]
        first = changes[0]
        more = f" (and {len(changes) - 1} more changes)" if len(changes) > 1 else ""
        return ReviewVerdict(
            state="lapsed",
            reason=f"approved by {a.by} on {a.at:%Y-%m-%d}, then {first.why}"
            f"{' by ' + str(first.by) if first.by else ''} on {first.at:%Y-%m-%d}{more}",
            sub_task=a.sub_task,
            by=(a.by,) if a.by else (),
            at=a.at,
            changes=tuple(c for _, cs in stale for c in cs),
            **base,
        )
    return ReviewVerdict(
        state="pending",
        reason=_pending_reason(review, current, approvals, fresh, stale, events),
        sub_task=current.key,
        **base,
    )


def _pending_reason(
    review: Review,
    current: Issue,
    approvals: tuple[Approval, ...],
    fresh: list[Approval],
    stale: list[tuple[Approval, list[Change]]],
    events: list[_Event],
) -> str:
    parts: list[str] = []
    if not _closed(current):
        parts.append(f"{current.key} is {_status(current)}")
    elif any(e.sub_task.key == current.key and e.kind is None for e in events):
        parts.append(
            f"{current.key} was closed as {current.resolution or 'unresolved'}, "
            "which neither approves nor rejects"
        )
    parts.extend(a.why for a in approvals if not a.counts)
    if stale:
        a, changes = stale[-1]
        parts.append(f"the approval by {a.by} lapsed: {changes[0].why}")
    if review.approvals > 1:
        parts.append(f"{len(_distinct(fresh))} of {review.approvals} approvals")
    return "; ".join(parts) or f"{current.key} is {_status(current)}"


def _distinct(approvals: list[Approval]) -> list[Approval]:
    """One approval per person, in time order."""
    seen: set[str] = set()
    out: list[Approval] = []
    for a in sorted(approvals, key=lambda a: a.at or _EARLIEST):
        if a.by is not None and a.by.account_id not in seen:
            seen.add(a.by.account_id)
            out.append(a)
    return out


def _after(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return False
    return a > b


def _status(issue: Issue) -> str:
    status = issue.status or "in an unknown status"
    return f"{status} ({issue.resolution})" if issue.resolution else status


def _scope(reason: str, required_by: tuple[str, ...]) -> str:
    return reason if required_by else f"no rule requires it; {reason}"
