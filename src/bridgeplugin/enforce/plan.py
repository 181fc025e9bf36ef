"""Plan governance writes for one request from its verdict: pure, compare before write.

Inputs beyond the verdict are facts the load looked up: the request's history (how often the
plugin already reverted it), the transitions available now (only for requests to move), and the
comments (only where a notice is not yet recorded). Decisions:

* **revert** a violation through the transition into the status it came from. It is *blocked*
  instead (label ``bridge-violation``, one comment, reported, never retried for the same
  approval) when there is nowhere to go, no transition leads there, the approval was made by
  the plugin's own account (a shared automation account: reverting it would fight ourselves),
  or the plugin already reverted this request ``max_reverts`` times (some other automation
  keeps approving it: a loop, which we leave to people).
* **reopen** lapsed reviews through a transition out of Done ("Reopen" when there is one).
* **comment** once per situation: the marker's ref (``markers.py``) is recorded in the
  ``governance`` section; a ref found on a comment (a crash before the record) counts too.
* **record** the review sub-tasks (``reviews`` section: review -> {"key": ...}) and the refs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..governance import Verdict
from ..governance.history import last_move_into, ordered
from ..model import ChangelogEntry, Comment, Issue, Transition
from ..plan import PROPERTY, Action, AddLabel, SetProperty
from .actions import RecordNotice, ReopenReview, RevertRequest, ReviewComment
from .markers import find_ref, ref_of
from .render import GovernanceRenderer

__all__ = ["GOVERNANCE", "REVIEWS", "Options", "RequestPlan", "notices", "plan_request"]

REVIEWS = "reviews"  # the bridge property's section: review -> {"key": sub-task key}
GOVERNANCE = "governance"  # {"notices": [refs of comments posted]}
MAX_NOTICES = 50


@dataclass(frozen=True)
class Options:
    me: str  # the plugin's account id
    label: str = "bridge-violation"
    max_reverts: int = 3


@dataclass
class RequestPlan:
    actions: list[Action] = field(default_factory=list)
    blocked: str | None = None  # why a violation was labelled instead of reverted
    needs_comments: bool = False  # a notice whose ref is not recorded: read comments first


def _section(issue: Issue, name: str) -> dict[str, Any]:
    prop = issue.properties.get(PROPERTY)
    value = prop.get(name) if isinstance(prop, Mapping) else None
    return dict(value) if isinstance(value, Mapping) else {}


def notices(issue: Issue) -> list[str]:
    found = _section(issue, GOVERNANCE).get("notices")
    return [str(n) for n in found] if isinstance(found, list) else []


def reverts_by(entries: Sequence[ChangelogEntry], me: str, from_status: str) -> int:
    """How often ``me`` moved the request out of ``from_status`` (the plugin's own reverts)."""
    folded = from_status.casefold()
    return sum(
        1
        for e in ordered(entries)
        if e.author is not None and e.author.account_id == me
        for i in e.items
        if (i.field_id or i.field) == "status" and (i.from_string or "").casefold() == folded
    )


def _to(transitions: Sequence[Transition], status: str) -> Transition | None:
    return next((t for t in transitions if t.to_status.casefold() == status.casefold()), None)


def _reopen(transitions: Sequence[Transition], status: str | None) -> Transition | None:
    named = next((t for t in transitions if t.name.casefold() == "reopen"), None)
    current = (status or "").casefold()
    return named or next((t for t in transitions if t.to_status.casefold() != current), None)


def entry_into(entries: Sequence[ChangelogEntry], status: str) -> str:
    """The id of the latest history entry that moved the request into ``status``: one
    approval attempt (timestamps alone can repeat within a second)."""
    folded = status.casefold()
    for entry in reversed(ordered(entries)):
        for item in entry.items:
            if (item.field_id or item.field) == "status" and (
                item.to_string or ""
            ).casefold() == folded:
                return entry.id
    return "?"


@dataclass(frozen=True)
class OwedRevert:
    """The plugin's revert that is still the request's latest status change, and the ref its
    comment was planned under."""

    ref: str
    from_status: str
    to_status: str
    entered_by: str | None


def owed_revert(key: str, entries: Sequence[ChangelogEntry], me: str) -> OwedRevert | None:
    """A run that stopped between reverting a request and posting why (kill -9, a lost
    connection) leaves a request that no longer violates, so the plan of the next run says
    nothing about it. While the revert is the request's latest status change, its ref is worked
    out again from the history the revert was decided on (the move into the gated status
    before it), so the comment is posted once: not at all when it is recorded or on the issue."""
    history = ordered(entries)
    for n in range(len(history) - 1, -1, -1):
        entry = history[n]
        move = next((i for i in entry.items if (i.field_id or i.field) == "status"), None)
        if move is None:
            continue
        if entry.author is None or entry.author.account_id != me or not move.from_string:
            return None  # a person (or a workflow) moved it last: nothing is owed
        before = history[:n]
        into = last_move_into(before, move.from_string)
        if into is None:
            return None
        ref = ref_of(
            "violation",
            key,
            move.from_string,
            into.at.isoformat(),
            entry_into(before, move.from_string),
        )
        by = into.by.name if into.by is not None else None
        return OwedRevert(ref, move.from_string, move.to_string or "", by)
    return None


def refs(verdict: Verdict, log: Sequence[ChangelogEntry] = ()) -> dict[str, str]:
    """The ref of each notice the verdict calls for (violation, lapsed, rejected)."""
    key = verdict.key
    out: dict[str, str] = {}
    revert = verdict.enforcement.revert
    if verdict.violation and revert is not None:
        at = revert.entered_at.isoformat() if revert.entered_at else "?"
        entry = entry_into(log, revert.from_status)
        out["violation"] = ref_of("violation", key, revert.from_status, at, entry)
    lapsed = [
        f"{r.sub_task}@{max(c.at for c in r.changes).isoformat()}"
        for r in verdict.enforcement.reopen
        if r.changes
    ]
    if lapsed:
        out["lapsed"] = ref_of("lapsed", key, *sorted(lapsed))
    rejected = sorted(f"{m.name}:{m.sub_task}" for m in verdict.missing if m.state == "rejected")
    if rejected:
        out["rejected"] = ref_of("rejected", key, *rejected)
    return out


def plan_request(
    request: Issue,
    verdict: Verdict,
    *,
    log: Sequence[ChangelogEntry],
    transitions: Mapping[str, Sequence[Transition]],
    comments: Sequence[Comment] | None,
    created: Mapping[str, str],
    options: Options,
    render: GovernanceRenderer,
) -> RequestPlan:
    """The writes for one request. ``created``: review -> key of sub-tasks made this run;
    ``transitions``: by issue key, for the request (when it violates) and lapsed sub-tasks;
    ``comments``: None when not read (then a notice not yet recorded asks for them)."""
    out = RequestPlan()
    enf = verdict.enforcement
    key, issue_id = request.key, request.id
    posted = notices(request)
    wanted = refs(verdict, log)
    new_refs: list[str] = []

    def unposted(ref: str) -> bool:
        if ref in posted:
            return False
        if comments is None:
            out.needs_comments = True
            return False
        return not find_ref(comments, ref)

    keys = {**dict(enf.record), **created}
    comment: ReviewComment | None = None

    # -- lapsed reviews: reopen their sub-tasks --------------------------------------------------
    reopened: dict[str, bool] = {}
    for lapse in enf.reopen:
        sub = next((s for s in (lapse.sub_task,) if s), None)
        move = _reopen(transitions.get(lapse.sub_task, ()), None) if sub else None
        reopened[lapse.review] = move is not None
        if move is not None:
            out.actions.append(
                ReopenReview(
                    lapse.sub_task,
                    "",
                    transition_id=move.id,
                    transition=move.name,
                    to_status=move.to_status,
                    looped=move.looped,
                    review=lapse.review,
                )
            )

    # -- the gate ---------------------------------------------------------------------------------
    revert = enf.revert
    if verdict.violation and revert is not None:
        ref = wanted["violation"]
        entered_by = revert.entered_by
        move = _to(transitions.get(key, ()), revert.to_status) if revert.to_status else None
        count = reverts_by(log, options.me, revert.from_status)
        if entered_by is not None and entered_by.account_id == options.me:
            out.blocked = "it was moved there by bridgeplugin's own account"
        elif count >= options.max_reverts:
            out.blocked = f"bridgeplugin reverted it {count} times already; it keeps coming back"
        elif revert.to_status is None:
            out.blocked = "its history does not say where it came from and no revert_to is set"
        elif move is None:
            out.blocked = f"no transition leads from {revert.from_status} to {revert.to_status}"
        if out.blocked is None and move is not None:
            out.actions.append(
                RevertRequest(
                    key,
                    issue_id,
                    transition_id=move.id,
                    transition=move.name,
                    to_status=move.to_status,
                    looped=move.looped,
                    from_status=revert.from_status,
                )
            )
        elif options.label not in request.labels:
            out.actions.append(AddLabel(key, issue_id, label=options.label))
        if unposted(ref):
            waivers = [
                f"{w.name}: {w.state}, {w.reason}" for w in verdict.waivers if w.state != "none"
            ]
            body = render.revert_comment(
                key=key,
                ref=ref,
                status=revert.from_status,
                revert_to=revert.to_status,
                reason_not_reverted=out.blocked,
                label=options.label,
                missing=verdict.missing,
                keys=keys,
                entered_by=entered_by.name if entered_by else None,
                waivers=waivers,
            )
            notice = "violation" if out.blocked is None else "blocked"
            comment = ReviewComment(key, issue_id, notice=notice, ref=ref, body=body)
        # One comment explains the whole situation: its lapses and rejections are not
        # announced again on their own.
        new_refs.extend(wanted.values())
    elif "lapsed" in wanted:
        ref = wanted["lapsed"]
        if unposted(ref):
            by_name = {r.name: r for r in verdict.reviews}
            lapsed = [
                (by_name[r.review], reopened[r.review], created.get(r.review)) for r in enf.reopen
            ]
            body = render.lapsed_comment(key=key, ref=ref, lapsed=lapsed)
            comment = ReviewComment(key, issue_id, notice="lapsed", ref=ref, body=body)
        new_refs.extend(wanted.values())
    elif "rejected" in wanted:
        ref = wanted["rejected"]
        if unposted(ref):
            rejected = [m for m in verdict.missing if m.state == "rejected"]
            body = render.rejected_comment(key=key, ref=ref, rejected=rejected)
            comment = ReviewComment(key, issue_id, notice="rejected", ref=ref, body=body)
        new_refs.append(ref)
    if comment is None and not verdict.violation:
        owed = owed_revert(key, log, options.me)
        if owed is not None:
            if unposted(owed.ref):
                body = render.revert_comment(
                    key=key,
                    ref=owed.ref,
                    status=owed.from_status,
                    revert_to=owed.to_status,
                    reason_not_reverted=None,
                    label=options.label,
                    missing=verdict.missing,
                    keys=keys,
                    entered_by=owed.entered_by,
                    # Comments are not read for a request that no longer violates: a waiver
                    # is "unknown" here, which says nothing about the approval reverted then.
                    waivers=[
                        f"{w.name}: {w.state}, {w.reason}"
                        for w in verdict.waivers
                        if w.state not in ("none", "unknown")
                    ],
                )
                comment = ReviewComment(key, issue_id, notice="violation", ref=owed.ref, body=body)
            new_refs.append(owed.ref)
    if comment is not None:
        out.actions.append(comment)
    if out.needs_comments:
        return RequestPlan(needs_comments=True)  # planned again once the comments are read

    # -- the record -------------------------------------------------------------------------------
    base = request.properties.get(PROPERTY)
    base = dict(base) if isinstance(base, Mapping) else {}
    current = _section(request, REVIEWS)
    desired = {**current, **{name: {"key": k} for name, k in sorted(keys.items())}}
    if desired != current:
        out.actions.append(
            SetProperty(key, issue_id, prop=PROPERTY, section=REVIEWS, value=desired, base=base)
        )
    merged = list(dict.fromkeys([*posted, *new_refs]))[-MAX_NOTICES:]
    if merged != posted:
        value = {**_section(request, GOVERNANCE), "notices": merged}
        record = {"prop": PROPERTY, "section": GOVERNANCE, "value": value, "base": base}
        if any(isinstance(a, RevertRequest | ReopenReview) for a in out.actions):
            out.actions.append(RecordNotice(key, issue_id, **record))  # before the move
        out.actions.append(SetProperty(key, issue_id, **record))
    return out
