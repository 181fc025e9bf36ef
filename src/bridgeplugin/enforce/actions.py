"""The writes governance adds to a sync plan, and how ``apply`` carries them out.

Each kind is registered in ``apply.EXECUTORS`` when this module is imported, so the one
``apply_plan`` of a sync runs tagging's and governance's actions together, phase by phase, with
one journal and one per-issue failure chain. Phases (tagging's are 10, 20, 50 and 90):

* ``create_review`` (30): review sub-tasks, 50 per bulk create. Run in a stage of its own
  before the rest is planned (the comment and the record need the new keys), see ``step.py``.
* ``add_label`` (10, tagging's kind): ``bridge-violation`` where no way back exists.
* ``review_comment`` (55): the violation / lapsed / rejected explanation on the request.
* ``record_notice`` (56): the ``governance`` section with the comment's ref, written before
  a move as well as with the commit record.
* ``reopen_review`` (57): move a lapsed review's sub-task out of Done.
* ``revert`` (58): move a request back out of the gated status.

The explanation and its record go out before the move they explain: a run stopped in between
(a crash, a quota, a lost token) leaves a request still approved and explained, which the next
run reverts without a second comment (the ref is recorded, or found on the issue). The other
way round, a reverted request is no longer a violation, and the next run would never explain
it nor record that it did.
* ``set_property`` (90, tagging's kind): the ``reviews`` and ``governance`` sections of the
  ``bridge`` property, merged with tagging's into one write per issue: the commit record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..apply import EXECUTORS, ISSUE_ERRORS, Executor
from ..jira_gateway import BULK_CREATE_CHUNK, JiraApi
from ..model import Comment, CreateResult, Transition
from ..plan import Action, SetProperty
from .markers import marker_line

__all__ = ["CreateReview", "RecordNotice", "ReopenReview", "RevertRequest", "ReviewComment"]


@dataclass(frozen=True)
class CreateReview(Action):
    """One review sub-task to create under request ``key``. ``spec`` is the create body in
    field names; the created key lands in ``created`` (shared by the stage's actions) because
    the plan that follows needs it and an executor only returns success or a reason."""

    kind: ClassVar[str] = "create_review"
    phase: ClassVar[int] = 30

    review: str = ""
    summary: str = ""
    spec: Mapping[str, Any] = field(default_factory=dict)
    created: dict[tuple[str, str], CreateResult] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def detail(self) -> str:
        made = self.created.get((self.key, self.review))
        return f"{self.summary}" + (f" -> {made.key}" if made and made.key else "")


@dataclass(frozen=True)
class _Move(Action):
    """A workflow transition, by id (chosen at plan time from the issue's transitions now)."""

    transition_id: str = ""
    transition: str = ""
    to_status: str = ""
    looped: bool = False


@dataclass(frozen=True)
class ReopenReview(_Move):
    kind: ClassVar[str] = "reopen_review"
    phase: ClassVar[int] = 57

    review: str = ""

    def detail(self) -> str:
        return f"{self.review} review lapsed: {self.transition} -> {self.to_status}"


@dataclass(frozen=True)
class RevertRequest(_Move):
    kind: ClassVar[str] = "revert"
    phase: ClassVar[int] = 58

    from_status: str = ""

    def detail(self) -> str:
        return f"{self.from_status} -> {self.to_status} ({self.transition}): reviews missing"


@dataclass(frozen=True)
class ReviewComment(Action):
    """A governance comment. ``ref`` identifies the situation it explains (an approval
    attempt, a rejection, a lapse); it is in the marker line, so a comment whose answer was
    lost is recognised instead of posted twice."""

    kind: ClassVar[str] = "review_comment"
    phase: ClassVar[int] = 55

    notice: str = ""  # violation, blocked, lapsed, rejected
    ref: str = ""
    body: str = ""

    def detail(self) -> str:
        return self.body.split("\n", 1)[0]


@dataclass(frozen=True)
class RecordNotice(SetProperty):
    """The ``governance`` section (the refs of the notices posted), written right after the
    comment and before the move it explains; the commit record writes it again with the rest."""

    kind: ClassVar[str] = "record_notice"
    phase: ClassVar[int] = 56


def _create(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    batch = [a for a in actions if isinstance(a, CreateReview)]
    # A lost answer raises (create_issues never re-sends a chunk that may have been created):
    # the run stops, and the next one finds the sub-tasks by parent and label before creating.
    results = jira.create_issues([a.spec for a in batch])
    out: list[str | None] = []
    for action, result in zip(batch, results, strict=True):
        if result.key:
            action.created[(action.key, action.review)] = result
            out.append(None)
        else:
            errors = [*result.error_messages, *(f"{k}: {v}" for k, v in result.errors.items())]
            out.append("; ".join(errors) or f"not created (status {result.status})")
    return out


def _move(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    out: list[str | None] = []
    for action in actions:
        assert isinstance(action, _Move)
        try:
            # Chosen from the transitions read at plan time, moments ago: not read again.
            known = Transition(
                id=action.transition_id,
                name=action.transition,
                to_status=action.to_status,
                looped=action.looped,
            )
            jira.transition(action.key, action.transition_id, known=known)
        except ISSUE_ERRORS as exc:
            out.append(exc.message)
        else:
            out.append(None)
    return out


def _comment(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    out: list[str | None] = []
    for action in actions:
        assert isinstance(action, ReviewComment)
        first = marker_line(action.notice, action.ref)

        def probe(action: ReviewComment = action, first: str = first) -> Comment | None:
            # The answer was lost: the comment is there iff one starts with this marker line.
            found = [c for c in jira.comments(action.key) if c.body.startswith(first)]
            return found[-1] if found else None

        try:
            jira.add_comment(action.key, action.body, probe=probe)
        except ISSUE_ERRORS as exc:
            out.append(exc.message)
        else:
            out.append(None)
    return out


EXECUTORS.update(
    {
        CreateReview: Executor(_create, BULK_CREATE_CHUNK),
        ReopenReview: Executor(_move, 1),
        RevertRequest: Executor(_move, 1),
        ReviewComment: Executor(_comment, 1),
        # Written as any property section is: bulk, one issue's sections merged.
        RecordNotice: EXECUTORS[SetProperty],
    }
)
