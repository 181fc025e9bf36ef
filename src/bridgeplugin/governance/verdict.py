"""The governance verdict of one request: what ``evaluate`` returns, and what it feeds.

One ``Verdict`` explains itself (``lines()``: the ``bridge check`` tree, like policy-bot's
details page; ``to_json()``: ``bridge check --format json``, INTERFACES.md) and carries the
inputs a planner needs (``enforcement``): reviews to create, lapsed reviews to reopen, whether
to move the request back and where to, what the comment must say. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ..rules.result import Outcome, Result
from .history import Change, Person
from .render import verdict_lines

if TYPE_CHECKING:
    from .policy import Review

__all__ = [
    "STATES",
    "Approval",
    "CommentInputs",
    "Enforcement",
    "GateVerdict",
    "Missing",
    "Revert",
    "ReviewToCreate",
    "ReviewToReopen",
    "ReviewVerdict",
    "RuleVerdict",
    "State",
    "Verdict",
    "WaiverApproval",
    "WaiverVerdict",
]

State = Literal["given", "pending", "lapsed", "rejected", "not_required"]
STATES: tuple[State, ...] = ("given", "pending", "lapsed", "rejected", "not_required")


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M %Z").strip() if at is not None else "?"


@dataclass(frozen=True)
class RuleVerdict:
    """One review rule: did it apply, why, and which reviews it requires."""

    name: str
    outcome: Outcome
    require: tuple[str, ...]
    applies: bool
    mandatory: bool
    reason: str
    result: Result
    where: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": self.outcome.value,
            "applies": self.applies,
            "mandatory": self.mandatory,
            "require": list(self.require),
            "reason": self.reason,
            "result": self.result.to_dict(),
            "where": self.where,
        }


@dataclass(frozen=True)
class Approval:
    """A review sub-task closed as approved, and whether that approval counts."""

    sub_task: str
    by: Person | None
    at: datetime | None
    counts: bool
    why: str  # "Grace Liu is in it-architecture" / "... is the request's reporter"
    group: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "sub_task": self.sub_task,
            "by": self.by.name if self.by else None,
            "by_account_id": self.by.account_id if self.by else None,
            "at": _iso(self.at),
            "counts": self.counts,
            "group": self.group,
            "why": self.why,
        }


@dataclass(frozen=True)
class ReviewVerdict:
    name: str
    title: str
    state: State
    groups: tuple[str, ...]
    label: str
    reason: str
    required_by: tuple[str, ...] = ()  # names of the rules that require it
    sub_task: str | None = None  # the sub-task that decides the state (None: there is none)
    sub_tasks: tuple[str, ...] = ()  # every sub-task found for the review
    by: tuple[Person, ...] = ()  # who gave it (given, lapsed) or rejected it
    at: datetime | None = None
    approvals: tuple[Approval, ...] = ()
    changes: tuple[Change, ...] = ()  # material changes since it was given (lapsed)
    needed: int = 1  # approvals needed
    self_approval: bool = False
    waived_by: str | None = None  # the active waiver standing in for it
    assumed: bool = False  # set by --assume

    @property
    def required(self) -> bool:
        return self.state != "not_required"

    @property
    def satisfied(self) -> bool:
        return self.state == "given" or self.waived_by is not None

    def who_may(self) -> str:
        groups = " or ".join(self.groups)
        who = f"a member of {groups}" if self.needed == 1 else f"{self.needed} members of {groups}"
        return who + ("" if self.self_approval else " other than the reporter")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "by": ", ".join(p.name for p in self.by) or None,
            "at": _iso(self.at),
            "by_account_ids": [p.account_id for p in self.by],
            "title": self.title,
            "groups": list(self.groups),
            "label": self.label,
            "required_by": list(self.required_by),
            "sub_task": self.sub_task,
            "sub_tasks": list(self.sub_tasks),
            "approvals": [a.to_json() for a in self.approvals],
            "approvals_needed": self.needed,
            "changes": [c.to_json() for c in self.changes],
            "waived_by": self.waived_by,
            "assumed": self.assumed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Missing:
    """What stands between the request and approval: a required review that is not given
    (``kind`` review), or an approval made by someone who may not approve it (``approval``)."""

    name: str
    title: str
    state: State
    groups: tuple[str, ...]
    who: str
    sub_task: str | None
    reason: str
    kind: Literal["review", "approval"] = "review"

    def text(self) -> str:
        if self.kind == "approval":
            return f"{self.title}: {self.reason}; may be approved by {self.who}"
        where = f" ({self.sub_task})" if self.sub_task else " (no sub-task yet)"
        return f"{self.title}{where}: {self.state}, {self.reason}; may be given by {self.who}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "title": self.title,
            "state": self.state,
            "groups": list(self.groups),
            "who": self.who,
            "sub_task": self.sub_task,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class WaiverApproval:
    group: str
    by: Person
    at: datetime
    until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "by": self.by.name,
            "by_account_id": self.by.account_id,
            "at": _iso(self.at),
            "until": _iso(self.until),
        }


@dataclass(frozen=True)
class WaiverVerdict:
    name: str
    state: Literal["active", "expired", "partial", "revoked", "none", "unknown"]
    groups: tuple[str, ...]
    covers: tuple[str, ...]
    reason: str
    approvals: tuple[WaiverApproval, ...] = ()
    missing_groups: tuple[str, ...] = ()
    starts: datetime | None = None
    expires: datetime | None = None
    ignored: tuple[str, ...] = ()  # commands that did not count, and why
    assumed: bool = False

    @property
    def active(self) -> bool:
        return self.state == "active"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "active": self.active,
            "covers": list(self.covers),
            "groups": list(self.groups),
            "approvals": [a.to_json() for a in self.approvals],
            "missing_groups": list(self.missing_groups),
            "starts": _iso(self.starts),
            "expires": _iso(self.expires),
            "ignored": list(self.ignored),
            "assumed": self.assumed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class GateVerdict:
    """Is the request in a status that counts as approval, and where did it come from."""

    active: bool
    status: str | None
    project: str | None
    rule: str  # the gate in words: "entering Approved"
    reason: str
    came_from: str | None = None
    entered_at: datetime | None = None
    entered_by: Person | None = None
    revert_to: str | None = None
    revert_source: Literal["history", "fallback"] | None = None
    # Whether the person who moved it into the gated status may approve it (None: not gated).
    approval_counts: bool | None = None
    approval_reason: str | None = None
    approvers: tuple[str, ...] = ()  # groups that may approve (empty: anyone)
    self_approval: bool = False
    assumed: bool = False

    def who_may_approve(self) -> str:
        who = f"a member of {' or '.join(self.approvers)}" if self.approvers else "anyone"
        return who + ("" if self.self_approval else " other than the reporter")

    def to_json(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "approval_counts": self.approval_counts,
            "approval_reason": self.approval_reason,
            "status": self.status,
            "project": self.project,
            "rule": self.rule,
            "came_from": self.came_from,
            "entered_at": _iso(self.entered_at),
            "entered_by": self.entered_by.name if self.entered_by else None,
            "entered_by_account_id": self.entered_by.account_id if self.entered_by else None,
            "revert_to": self.revert_to,
            "revert_source": self.revert_source,
            "assumed": self.assumed,
            "reason": self.reason,
        }


# -- planner inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewToCreate:
    """A required review without any sub-task: create one (once; see the ``record`` map)."""

    review: str
    title: str
    summary: str  # "Security review: <request summary>"
    label: str
    groups: tuple[str, ...]
    assignee: str | None = None
    due_days: int | None = None

    @classmethod
    def asked(cls, verdict: ReviewVerdict, review: Review, subject: str) -> ReviewToCreate:
        """The sub-task that asks for ``verdict``'s review of the request ``subject``."""
        return cls(
            review=verdict.name,
            title=verdict.title,
            summary=f"{verdict.title}: {subject}",
            label=verdict.label,
            groups=verdict.groups,
            assignee=review.assignee,
            due_days=review.due_days,
        )


@dataclass(frozen=True)
class ReviewToReopen:
    """A lapsed review: reopen its sub-task (or create a fresh one if it cannot be reopened)."""

    review: str
    sub_task: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Revert:
    """Move the request out of the gated status. ``to_status`` None: nowhere known to go
    (label it ``bridge-violation`` and report it instead)."""

    from_status: str
    to_status: str | None
    source: Literal["history", "fallback"] | None
    entered_at: datetime | None
    entered_by: Person | None


@dataclass(frozen=True)
class CommentInputs:
    """What a comment on the request must say (the planner renders it from templates/)."""

    kind: Literal["violation", "lapsed", "rejected"]
    key: str
    status: str | None
    missing: tuple[Missing, ...] = ()
    changes: Mapping[str, tuple[Change, ...]] = field(default_factory=dict)  # review -> changes
    revert_to: str | None = None
    waivers: tuple[WaiverVerdict, ...] = ()  # expired / partial waivers worth naming


@dataclass(frozen=True)
class Enforcement:
    create: tuple[ReviewToCreate, ...] = ()
    reopen: tuple[ReviewToReopen, ...] = ()
    revert: Revert | None = None
    record: Mapping[str, str] = field(default_factory=dict)  # review -> sub-task key to record
    comment: CommentInputs | None = None

    @property
    def empty(self) -> bool:
        return not (self.create or self.reopen or self.revert or self.comment)

    def to_json(self) -> dict[str, Any]:
        return {
            "create": [
                {"review": c.review, "summary": c.summary, "label": c.label} for c in self.create
            ],
            "reopen": [{"review": r.review, "sub_task": r.sub_task} for r in self.reopen],
            "revert": None
            if self.revert is None
            else {
                "from": self.revert.from_status,
                "to": self.revert.to_status,
                "source": self.revert.source,
            },
            "record": dict(self.record),
            "comment": None if self.comment is None else self.comment.kind,
        }


# -- the verdict ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    key: str
    summary: str | None
    allowed: bool
    rules: tuple[RuleVerdict, ...]
    reviews: tuple[ReviewVerdict, ...]
    missing: tuple[Missing, ...]
    waivers: tuple[WaiverVerdict, ...]
    gate: GateVerdict
    enforcement: Enforcement
    policy_version: str
    at: datetime  # the evaluation's clock
    tagging: Mapping[str, Any] | None = None
    assumed: tuple[str, ...] = ()  # the --assume items, as given

    @property
    def violation(self) -> bool:
        """In a gated status without being allowed: what sync reverts."""
        return self.gate.active and not self.allowed

    def review(self, name: str) -> ReviewVerdict:
        for r in self.reviews:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "allowed": self.allowed,
            "rules": [r.to_json() for r in self.rules],
            "reviews": [r.to_json() for r in self.reviews],
            "missing": [m.to_json() for m in self.missing],
            "waivers": [w.to_json() for w in self.waivers],
            "gate": self.gate.to_json(),
            "violation": self.violation,
            "tagging": dict(self.tagging) if self.tagging is not None else None,
            "enforcement": self.enforcement.to_json(),
            "assumed": list(self.assumed),
            "policy_version": self.policy_version,
            "evaluated_at": _iso(self.at),
        }

    def lines(self) -> list[str]:
        """The verdict tree as text (``bridge check``)."""
        return verdict_lines(self)
