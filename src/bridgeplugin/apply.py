"""Apply: carry out a plan with as few Jira calls as Jira allows, and journal every action.

Actions run phase by phase (``Action.phase``: labels, then comments, then the ``bridge``
property, the commit record). Where Jira has a bulk endpoint the actions of a phase share calls:
all ``add_label`` actions with the same label go into bulk edits of up to 1,000 issues, all
``set_property`` actions into bulk property writes of up to 100 issues (every section planned
for one issue merged into one value). Comments have no bulk endpoint: one call each.

Per issue the actions form a chain: once one fails (Jira refused that issue: permission, a
validation error), the issue's later actions are skipped, so its property is not written and
the next run sees the issue as unfinished and completes it. A failure that is not about one
issue (the site unreachable, 5xx or 429 after retries, credentials refused) stops the run; what
was applied until then is journaled, and every step is safe to repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import TYPE_CHECKING

from .errors import (
    AtlassianError,
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
)
from .jira_gateway import BULK_EDIT_CHUNK, PROPERTIES_BULK_CHUNK, JiraApi
from .model import Comment
from .plan import Action, AddComment, AddLabel, Plan, RemoveLabel, SetProperty, merged_property
from .render import marker_of
from .state import JournalEntry

if TYPE_CHECKING:
    from .state import Store

__all__ = ["EXECUTORS", "Outcome", "apply_plan"]

# Jira refused this one issue; the other issues go on.
ISSUE_ERRORS = (BadRequest, PermissionDenied, NotFound, Conflict, PayloadTooLarge)

OK = "ok"


@dataclass(frozen=True)
class Outcome:
    action: Action
    result: str  # "ok", "failed: <why>", "skipped: <why>" or "error: <why>" (run stopped)

    @property
    def ok(self) -> bool:
        return self.result == OK

    def to_json(self) -> dict[str, str]:
        return {**self.action.to_json(), "result": self.result}


@dataclass(frozen=True)
class Executor:
    """How one action type is carried out: ``run`` takes a batch (at most ``batch`` actions)
    and returns, per action in order, None when it was applied or the reason it was not."""

    run: Callable[[JiraApi, Sequence[Action]], list[str | None]]
    batch: int


def _labels(jira: JiraApi, actions: Sequence[Action], *, add: bool) -> list[str | None]:
    reasons: dict[str, str | None] = {}
    by_label = sorted(actions, key=lambda a: a.label)  # type: ignore[attr-defined]
    for label, group in groupby(by_label, key=lambda a: a.label):  # type: ignore[attr-defined]
        batch = list(group)
        keys = [a.key for a in batch]
        ids = {a.key: a.issue_id for a in batch}
        if add:
            result = jira.bulk_edit_labels(keys, add=[label], ids=ids)
        else:
            result = jira.bulk_edit_labels(keys, remove=[label], ids=ids)
        for key in keys:
            failed = result.failed.get(key)
            reasons[f"{key}\0{label}"] = "; ".join(failed) if failed else None
    return [reasons[f"{a.key}\0{a.label}"] for a in actions]  # type: ignore[attr-defined]


def _add_labels(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    return _labels(jira, actions, add=True)


def _remove_labels(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    return _labels(jira, actions, add=False)


def _add_comments(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    out: list[str | None] = []
    for action in actions:
        assert isinstance(action, AddComment)

        def probe(action: AddComment = action) -> Comment | None:
            # The answer was lost: if the issue's latest plugin comment already says this, it
            # is the one just sent (the plan posts only when the latest one says otherwise).
            ours = [c for c in jira.comments(action.key) if marker_of(c.body)]
            if ours and marker_of(ours[-1].body) == action.marker:
                return ours[-1]
            return None

        try:
            jira.add_comment(action.key, action.body, probe=probe)
        except ISSUE_ERRORS as exc:
            out.append(exc.message)
        else:
            out.append(None)
    return out


def _set_properties(jira: JiraApi, actions: Sequence[Action]) -> list[str | None]:
    by_issue: dict[tuple[str, str], list[SetProperty]] = {}
    for action in actions:
        assert isinstance(action, SetProperty)
        by_issue.setdefault((action.key, action.prop), []).append(action)
    values: dict[str, dict[str, object]] = {}
    for (key, prop), group in by_issue.items():
        values.setdefault(key, {})[prop] = merged_property(group)
    result = jira.set_properties_bulk(values, ids={a.key: a.issue_id for a in actions})
    return ["; ".join(result.failed[a.key]) if a.key in result.failed else None for a in actions]


#: Action type -> how to run it. Later capabilities register their own kinds here.
EXECUTORS: dict[type[Action], Executor] = {
    AddLabel: Executor(_add_labels, BULK_EDIT_CHUNK),
    RemoveLabel: Executor(_remove_labels, BULK_EDIT_CHUNK),
    AddComment: Executor(_add_comments, 1),
    # One issue's sections must share a batch (they merge into one value): batches are cut
    # at issue boundaries below.
    SetProperty: Executor(_set_properties, PROPERTIES_BULK_CHUNK),
}


def apply_plan(
    plan: Plan,
    jira: JiraApi,
    *,
    store: Store | None = None,
    run: str = "",
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int], None] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    outcomes: list[Outcome] | None = None,
) -> list[Outcome]:
    """Run every action of ``plan``; journal each outcome in ``store``.

    ``checkpoint`` runs before every call that writes (sync renews its lease there and stops
    if it was lost); ``progress(n)`` reports actions done. Outcomes are appended to
    ``outcomes`` as they happen, so a caller keeps them when an error stops the run.
    """
    outcomes = [] if outcomes is None else outcomes
    failed_keys: set[str] = set()

    def finish(batch: Sequence[Action], results: Sequence[str | None]) -> None:
        done = []
        for action, reason in zip(batch, results, strict=True):
            if reason is None:
                done.append(Outcome(action, OK))
            else:
                failed_keys.add(action.key)
                done.append(Outcome(action, f"failed: {reason}"))
        _journal(store, run, done, now)
        outcomes.extend(done)
        if progress is not None:
            progress(len(done))

    ordered = sorted(plan.actions, key=lambda a: a.phase)
    for _, phase in groupby(ordered, key=lambda a: (a.phase, type(a).__name__)):
        actions = list(phase)
        executor = EXECUTORS[type(actions[0])]
        skipped = [a for a in actions if a.key in failed_keys]
        if skipped:
            finish_skipped = [
                Outcome(a, f"skipped: an earlier write to {a.key} failed") for a in skipped
            ]
            _journal(store, run, finish_skipped, now)
            outcomes.extend(finish_skipped)
        runnable = [a for a in actions if a.key not in failed_keys]
        for batch in _batches(runnable, executor.batch):
            if checkpoint is not None:
                checkpoint()
            try:
                results = executor.run(jira, batch)
            except AtlassianError as exc:
                stopped = [Outcome(a, f"error: {exc.message}") for a in batch]
                _journal(store, run, stopped, now)
                outcomes.extend(stopped)
                raise
            finish(batch, results)
    return outcomes


def _batches(actions: Sequence[Action], size: int) -> list[list[Action]]:
    """Batches of at most ``size`` issues; one issue's actions never straddle two."""
    batches: list[list[Action]] = []
    current: list[Action] = []
    keys: set[str] = set()
    for action in actions:
        if action.key not in keys and len(keys) >= size:
            batches.append(current)
            current, keys = [], set()
        current.append(action)
        keys.add(action.key)
    if current:
        batches.append(current)
    return batches


def _journal(
    store: Store | None, run: str, outcomes: Sequence[Outcome], now: Callable[[], datetime]
) -> None:
    if store is None or not outcomes:
        return
    at = now()
    store.record(
        JournalEntry(at, run, o.action.kind, o.action.key, o.action.detail(), o.result)
        for o in outcomes
    )
