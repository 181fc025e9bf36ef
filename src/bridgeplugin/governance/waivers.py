"""Waivers: an emergency exception approved by comments on the request, for a limited time.

Why comments: Jira records who wrote a comment and when, and nobody but its author (or an
admin) can edit it, so the approvers' identities come from Jira's own records and a reporter
cannot forge them - unlike an entity property (any editor may write any value into it) or a
field. A Jira admin operates it with nothing but the comment box, and it is visible on the
request. The grammar, on the first line of a comment::

    /bridge waive NAME [until YYYY-MM-DD] [: reason]
    /bridge revoke NAME [: reason]

A ``waive`` counts for the first of the waiver's groups its author is in that has no approval
yet; each group needs one, from different people; the request's reporter never counts unless
the waiver allows self-approval. ``revoke``, by a member of any of the waiver's groups, drops
every approval before it. Approvals older than ``expires_after_days`` (or past their
``until``) when a later command is read are dropped too, so an expired waiver can be asked
for again.

The waiver is **active** from its last approval until the earliest of: the first approval plus
``expires_after_days``, and the end (UTC) of each ``until`` date given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..model import Comment, Issue
from ..rules.context import Context
from .history import Person, person
from .policy import WaiverDef
from .verdict import WaiverApproval, WaiverVerdict

__all__ = ["Command", "commands", "parse_command", "waiver_state"]

_COMMAND = re.compile(
    r"^\s*/bridge\s+(?P<verb>waive|revoke)\s+(?P<name>[a-z0-9][a-z0-9_.-]*)"
    r"(?:\s+until\s+(?P<until>\d{4}-\d{2}-\d{2}))?\s*(?::\s*(?P<reason>.*))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Command:
    verb: str  # "waive" or "revoke"
    name: str
    by: Person
    at: datetime
    until: datetime | None = None  # end of the given day, UTC
    reason: str | None = None
    comment_id: str = ""


def parse_command(comment: Comment) -> Command | None:
    """The waiver command on the comment's first non-empty line, or None."""
    author = person(comment.author)
    if author is None or comment.created is None:
        return None  # no author or time in Jira's record: nothing to trust
    first = next((line for line in comment.body.splitlines() if line.strip()), "")
    match = _COMMAND.match(first)
    if match is None:
        return None
    until = None
    if match["until"]:
        try:
            day = datetime.strptime(match["until"], "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            return None
        until = day + timedelta(days=1)
    return Command(
        match["verb"].lower(),
        match["name"].lower(),
        author,
        comment.created,
        until,
        (match["reason"] or "").strip() or None,
        comment.id,
    )


def commands(comments: Sequence[Comment]) -> list[Command]:
    found = [c for c in (parse_command(x) for x in comments) if c is not None]
    return sorted(found, key=lambda c: c.at)


def waiver_state(
    waiver: WaiverDef,
    found: Sequence[Command] | None,
    *,
    request: Issue,
    ctx: Context,
    now: datetime,
) -> WaiverVerdict:
    base = {"name": waiver.name, "groups": waiver.groups, "covers": waiver.covers}
    if found is None:
        return WaiverVerdict(
            state="unknown",
            reason="the request's comments were not read",
            **base,  # type: ignore[arg-type]
        )
    span = timedelta(days=waiver.expires_after_days)
    reporter = person(request.reporter)
    approvals: dict[str, WaiverApproval] = {}
    ignored: list[str] = []
    revoked: Command | None = None
    for cmd in found:
        if cmd.name != waiver.name:
            continue
        # Approvals that ended before this command cannot combine with it.
        approvals = {
            g: a
            for g, a in approvals.items()
            if a.at + span > cmd.at and (a.until is None or a.until > cmd.at)
        }
        groups = _groups(ctx, cmd.by)
        mine = [g for g in waiver.groups if g.lower() in groups]
        if cmd.verb == "revoke":
            if mine:
                approvals, revoked = {}, cmd
            else:
                ignored.append(f"revoke by {cmd.by}: not in {' or '.join(waiver.groups)}")
            continue
        if (
            reporter is not None
            and cmd.by.account_id == reporter.account_id
            and not (waiver.self_approval)
        ):
            ignored.append(f"waive by {cmd.by}: the request's reporter")
            continue
        if not mine:
            ignored.append(f"waive by {cmd.by}: not in {' or '.join(waiver.groups)}")
            continue
        if any(a.by.account_id == cmd.by.account_id for a in approvals.values()):
            ignored.append(f"waive by {cmd.by}: already approved this waiver")
            continue
        free = next((g for g in mine if g not in approvals), None)
        if free is None:
            ignored.append(f"waive by {cmd.by}: {', '.join(mine)} already approved")
            continue
        approvals[free] = WaiverApproval(free, cmd.by, cmd.at, cmd.until)

    got = tuple(approvals[g] for g in waiver.groups if g in approvals)
    missing = tuple(g for g in waiver.groups if g not in approvals)
    base |= {"approvals": got, "missing_groups": missing, "ignored": tuple(ignored)}
    if missing:
        live = [a for a in got if a.at + span > now and (a.until is None or a.until > now)]
        if got and not live:
            who = ", ".join(f"{a.by} ({a.group})" for a in got)
            reason = f"approved only by {who}, and that ran out before a complete approval"
            return WaiverVerdict(state="expired", reason=reason, **base)  # type: ignore[arg-type]
        if got:
            who = ", ".join(f"{a.by} ({a.group})" for a in got)
            reason = f"approved by {who}; still needs a member of {' and '.join(missing)}"
            return WaiverVerdict(state="partial", reason=reason, **base)  # type: ignore[arg-type]
        if revoked is not None:
            reason = f"revoked by {revoked.by} on {revoked.at:%Y-%m-%d}"
            return WaiverVerdict(state="revoked", reason=reason, **base)  # type: ignore[arg-type]
        reason = f"not requested (comment '/bridge waive {waiver.name}' by members of " + (
            " and ".join(waiver.groups) + ")"
        )
        return WaiverVerdict(state="none", reason=reason, **base)  # type: ignore[arg-type]
    starts = max(a.at for a in got)
    ends = [min(a.at for a in got) + span, *(a.until for a in got if a.until is not None)]
    expires = min(ends)
    who = " and ".join(f"{a.by} ({a.group})" for a in got)
    if now < starts:
        state, reason = "partial", f"approved by {who}, but after the time evaluated"
    elif now >= expires:
        state, reason = "expired", f"approved by {who}; expired {expires:%Y-%m-%d %H:%M %Z}"
    else:
        state, reason = "active", f"approved by {who}; active until {expires:%Y-%m-%d %H:%M %Z}"
    return WaiverVerdict(
        state=state,
        reason=reason,
        starts=starts,
        expires=expires,
        **base,  # type: ignore[arg-type]
    )


def _groups(ctx: Context, who: Person) -> frozenset[str]:
    try:
        return ctx.groups(who.account_id)
    except Exception:  # a failed lookup: the command does not count, like a non-member's
        return frozenset()
