"""Evaluate the review policy for one request: pure, no I/O, never raises for a bad request.

Steps (each explained in its module):

1. **rules** (``policy.rules``): each ``if`` runs on a :class:`ReviewContext` (the request, the
   group directory, the vendor catalog, the tagging verdict). True requires the rule's reviews;
   ``error`` requires them too when the rule is mandatory, and is shown as skipped otherwise.
2. **reviews** (``reviews.py``): each review's state from its sub-tasks and their histories;
   ``not_required`` when no rule requires it.
3. **waivers** (``waivers.py``): each waiver's state from the request's comments.
4. **allowed**: every required review is given, or covered by an active waiver.
5. **gate** (``gate.py``): is the request in a status that counts as approval.
6. **enforcement**: what a planner does about it (``verdict.Enforcement``).

``assume`` (``assume.py``) overrides review states, waivers or the status, for ``bridge check
--assume``; the verdict records what was assumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from ..rules.context import Directory, FieldNames
from ..rules.predicates.base import run
from ..rules.result import ERROR, TRUE
from .assume import Assumptions
from .context import ReviewContext
from .facts import RequestFacts, recorded_reviews
from .gate import gate_state
from .policy import Policy, ReviewRule
from .reviews import review_state
from .verdict import (
    CommentInputs,
    Enforcement,
    GateVerdict,
    Missing,
    Revert,
    ReviewToCreate,
    ReviewToReopen,
    ReviewVerdict,
    RuleVerdict,
    Verdict,
    WaiverVerdict,
)
from .waivers import commands, waiver_state

__all__ = ["evaluate"]


def evaluate(
    policy: Policy,
    facts: RequestFacts,
    directory: Directory,
    *,
    now: datetime,
    assume: Assumptions | None = None,
    fields: FieldNames | None = None,
) -> Verdict:
    """The governance verdict of ``facts.issue`` at time ``now`` (timezone-aware)."""
    assume = assume or Assumptions()
    request = facts.issue
    ctx = ReviewContext(
        request, directory, policy.vendors, fields or FieldNames(), tagging=facts.tagging
    )
    rules = tuple(_rule(rule, ctx) for rule in policy.rules)
    required: dict[str, list[str]] = {}
    for verdict in rules:
        if verdict.applies:
            for name in verdict.require:
                required.setdefault(name, []).append(verdict.name)

    recorded = recorded_reviews(request)
    logs = {s.key: facts.changelog(s) for s in facts.sub_tasks}
    request_log = facts.changelog(request)
    reviews = [
        review_state(
            review,
            required_by=tuple(required.get(name, ())),
            request=request,
            sub_tasks=facts.sub_tasks,
            recorded=recorded.get(name),
            logs=logs,
            request_log=request_log,
            resolutions=policy.resolutions,
            catalog=policy.vendors,
            ctx=ctx,
        )
        for name, review in policy.reviews.items()
    ]
    reviews = [_assumed(r, assume) for r in reviews]

    found = commands(facts.comments) if facts.comments is not None else None
    waivers = [
        waiver_state(w, found, request=request, ctx=ctx, now=now) for w in policy.waivers.values()
    ]
    waivers = [_assumed_waiver(w, assume) for w in waivers]
    active = [w for w in waivers if w.active]
    reviews = [
        replace(r, waived_by=next((w.name for w in active if r.name in w.covers), None))
        if r.required and r.state != "given"
        else r
        for r in reviews
    ]

    gate = gate_state(
        policy.gate, request, request_log, ctx=ctx, now=now, assumed_status=assume.status
    )
    missing = tuple(
        Missing(r.name, r.title, r.state, r.groups, r.who_may(), r.sub_task, r.reason)
        for r in reviews
        if r.required and not r.satisfied
    )
    # Who approved matters only for requests that need reviews: ordinary work approved by
    # whoever is none of governance's business.
    if gate.active and gate.approval_counts is False and any(r.required for r in reviews):
        missing += (
            Missing(
                name="approval",
                title="Approval",
                state="pending",
                groups=gate.approvers,
                who=gate.who_may_approve(),
                sub_task=None,
                reason=gate.approval_reason or "the approval does not count",
                kind="approval",
            ),
        )
    allowed = not missing
    enforcement = _enforcement(
        policy,
        request.key,
        request.summary,
        request.status_category,
        reviews,
        waivers,
        missing,
        gate,
        allowed,
        recorded,
    )
    return Verdict(
        key=request.key,
        summary=request.summary,
        allowed=allowed,
        rules=rules,
        reviews=tuple(reviews),
        missing=missing,
        waivers=tuple(waivers),
        gate=gate,
        enforcement=enforcement,
        policy_version=policy.version,
        at=now,
        tagging=facts.tagging.to_json() if facts.tagging is not None else None,
        assumed=assume.items,
    )


def _rule(rule: ReviewRule, ctx: ReviewContext) -> RuleVerdict:
    result = run(rule.condition, ctx)
    outcome = result.outcome
    why = "; ".join(leaf.reason for leaf in result.decisive())
    needs = ", ".join(rule.require)
    if outcome is TRUE:
        applies, reason = True, f"requires {needs}: {why}"
    elif outcome is ERROR and rule.mandatory:
        applies = True
        reason = f"could not decide ({why}); the rule is mandatory, so it requires {needs}"
    elif outcome is ERROR:
        applies, reason = False, f"could not decide ({why}); not mandatory, so skipped"
    else:
        applies, reason = False, f"does not apply: {why}"
    return RuleVerdict(
        name=rule.name,
        outcome=outcome,
        require=rule.require,
        applies=applies,
        mandatory=rule.mandatory,
        reason=reason,
        result=result,
        where=str(rule.where),
    )


def _assumed(review: ReviewVerdict, assume: Assumptions) -> ReviewVerdict:
    state = assume.reviews.get(review.name)
    if state is None:
        return review
    if not review.required:
        # Assuming a state of a review no rule requires changes nothing: say so.
        return replace(
            review, reason=f"{review.reason} (assumed {state}, but not required)", assumed=True
        )
    return replace(
        review,
        state=state,  # type: ignore[arg-type]
        reason=f"assumed {state} (--assume); in Jira: {review.state}, {review.reason}",
        by=() if state != review.state else review.by,
        at=None if state != review.state else review.at,
        assumed=True,
    )


def _assumed_waiver(waiver: WaiverVerdict, assume: Assumptions) -> WaiverVerdict:
    active = assume.waivers.get(waiver.name)
    if active is None:
        return waiver
    state = "active" if active else "expired"
    return replace(
        waiver,
        state=state,  # type: ignore[arg-type]
        reason=f"assumed {state} (--assume); in Jira: {waiver.state}, {waiver.reason}",
        assumed=True,
    )


def _enforcement(
    policy: Policy,
    key: str,
    summary: str | None,
    category: str | None,
    reviews: Sequence[ReviewVerdict],
    waivers: Sequence[WaiverVerdict],
    missing: tuple[Missing, ...],
    gate: GateVerdict,
    allowed: bool,
    recorded: dict[str, str],
) -> Enforcement:
    create: list[ReviewToCreate] = []
    reopen: list[ReviewToReopen] = []
    record: dict[str, str] = {}
    # Reviews are asked for while the request is open (or being approved); a request done
    # long ago gets no new sub-tasks.
    open_request = category != "done" or gate.active
    for r in reviews:
        if r.sub_task is not None:
            record[r.name] = r.sub_task  # found by label: recording it makes creation idempotent
        if not r.required or r.assumed:
            continue
        review = policy.reviews[r.name]
        if not r.sub_tasks and open_request:
            create.append(ReviewToCreate.asked(r, review, summary or key))
        elif r.state == "lapsed" and r.sub_task is not None:
            reopen.append(ReviewToReopen(r.name, r.sub_task, r.changes))

    revert = None
    comment = None
    if gate.active and not allowed:
        revert = Revert(
            from_status=gate.status or "",
            to_status=gate.revert_to,
            source=gate.revert_source,
            entered_at=gate.entered_at,
            entered_by=gate.entered_by,
        )
        comment = CommentInputs(
            kind="violation",
            key=key,
            status=gate.status,
            missing=missing,
            changes={r.name: r.changes for r in reviews if r.changes},
            revert_to=gate.revert_to,
            waivers=tuple(w for w in waivers if w.state in ("expired", "partial", "revoked")),
        )
    elif reopen:
        comment = CommentInputs(
            kind="lapsed",
            key=key,
            status=gate.status,
            missing=missing,
            changes={r.review: r.changes for r in reopen},
        )
    elif any(m.state == "rejected" for m in missing):
        comment = CommentInputs(kind="rejected", key=key, status=gate.status, missing=missing)
    return Enforcement(
        create=tuple(create),
        reopen=tuple(reopen),
        revert=revert,
        record=record,
        comment=comment,
    )
