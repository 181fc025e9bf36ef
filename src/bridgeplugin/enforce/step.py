"""Governance inside ``bridge sync``: one step between tagging's plan and its apply.

Order within a run, and why:

1. **candidates** (pure): the issues the review rules may apply to, by evaluating the rules on
   what tagging loaded (a rule that cannot decide for lack of a field counts as maybe).
2. **load** (``load.py``) in bulk, then **evaluate** each request (pure).
3. **comments** only for requests that need them: a violation (waivers live in comments) or a
   notice whose ref is not recorded (a crashed run may have posted it). Evaluated again.
4. **create** missing review sub-tasks, 50 per call, as a stage of its own, applied and
   journaled at once: the comments and the record that follow name the new keys. Look before
   create: step 2 found every sub-task with the review's label under the request (and the
   recorded ones), so a run that crashed after creating and before recording finds them and
   creates nothing. Two syncs at once are one: the sync lease is held around all of this.
5. **plan** the rest per request (``plan.py``) and hand it back: sync applies it with
   tagging's actions in phase order (label, comment, then reopen and revert, which the
   comment explains, and the ``bridge`` property last: the commit record).

Loops: the plugin's own moves do not trigger it - a revert leaves the request outside the gate,
so the next run (or the webhook its transition causes) finds nothing to do; an approval made by
the plugin's own account is never reverted; after ``max_reverts`` reverts of the same request
the plugin stops, labels it and reports it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from ..apply import Outcome, apply_plan
from ..governance import (
    Policy,
    RequestFacts,
    ReviewToCreate,
    Verdict,
    evaluate,
    recorded_reviews,
)
from ..jira_gateway import JiraApi
from ..model import Comment, Issue, Transition
from ..plan import Action, Plan
from ..rules import StaticDirectory
from ..rules.result import ERROR, TRUE
from ..tagging import Tagger, TagVerdict
from .actions import CreateReview
from .load import Loaded, is_review_task, load, parents_of_reviews
from .plan import Options, plan_request
from .render import GovernanceRenderer

if TYPE_CHECKING:
    from ..state import Store

__all__ = ["Governance", "GovernanceResult"]

log = logging.getLogger(__name__)
SUB_TASK_TYPE = "Sub-task"


@dataclass
class GovernanceResult:
    """What the step saw and decided, for reports and the benchmark."""

    candidates: int = 0
    evaluated: int = 0
    violations: list[str] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)  # key -> why not reverted
    created: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> review -> sub-task
    sub_tasks: int = 0  # review sub-tasks found
    logs: int = 0  # issues whose changelogs were read
    comment_reads: int = 0  # requests whose comments were read
    verdicts: dict[str, Verdict] = field(default_factory=dict)


@dataclass
class Governance:
    policy: Policy
    renderer: GovernanceRenderer
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    label: str = "bridge-violation"
    max_reverts: int = 3
    sub_task_type: str = SUB_TASK_TYPE
    tagger: Tagger | None = None  # to classify requests only their review sub-tasks brought in
    last: GovernanceResult = field(default_factory=GovernanceResult)

    def extend(
        self,
        jira: JiraApi,
        issues: Sequence[Issue],
        verdicts: Mapping[str, TagVerdict],
        plan: Plan,
        *,
        me: str,
        dry_run: bool,
        store: Store | None,
        run: str,
        outcomes: list[Outcome],
        directory: StaticDirectory | None = None,
        done: Callable[[str], bool] | None = None,
        complete: bool = False,
    ) -> Plan:
        """``plan`` with governance's actions added; review sub-tasks are created here (not
        in a dry run), the rest is left for sync's apply.

        A chunked sync passes the ``directory`` it loaded once (tagging's and the policy's
        groups), ``done`` (requests an earlier chunk of the run handled: a review sub-task in
        this chunk does not bring its request back), and ``complete`` when ``issues`` were
        read with every field ``load_fields`` names: then they are not read again."""
        from ..sync import load_directory  # sync imports this module lazily: no cycle

        now = self.now()
        result = self.last = GovernanceResult()
        keys = self.candidates(issues, verdicts, now)
        seen = {i.key for i in issues}
        # Requests whose review sub-tasks changed without them: classified here (tagging
        # did not load them), with a directory of tagging's groups as well.
        extra = []
        if self.tagger is not None:
            extra = [
                k
                for k in parents_of_reviews(jira, issues, self.policy)
                if k not in seen and not (done is not None and done(k))
            ]
        keys = list(dict.fromkeys([*keys, *extra]))
        result.candidates = len(keys)
        if not keys:
            return plan
        if directory is None:
            groups = set(self.policy.groups())
            if extra and self.tagger is not None:
                groups |= self.tagger.groups()
            directory = load_directory(jira, sorted(groups))
        loaded = load(
            jira,
            keys,
            self.policy,
            directory=directory,
            tagging_fields=self.tagger.custom_fields() if extra and self.tagger else (),
            preloaded={i.key: i for i in issues} if complete else None,
        )
        result.sub_tasks = sum(len(v) for v in loaded.sub_tasks.values())
        result.logs = loaded.log_reads
        tagging = {k: verdicts.get(k) for k in keys}
        for request in loaded.requests:
            if request.key not in verdicts and self.tagger is not None:
                tagging[request.key] = self.tagger.classify(request, directory)
        comments: dict[str, list[Comment]] = {}
        facts = {r.key: self._facts(r, loaded, tagging.get(r.key), None) for r in loaded.requests}
        found = {k: evaluate(self.policy, f, directory, now=now) for k, f in facts.items()}

        # Waivers are read from comments: only a request being approved needs them.
        want = [k for k, v in found.items() if v.violation]
        self._read_comments(jira, want, comments, facts, loaded, tagging)
        found.update(
            {k: evaluate(self.policy, facts[k], directory, now=now) for k in want if k in facts}
        )

        transitions = self._transitions(jira, found)
        fresh = self._unreopenable(found, transitions)
        created = self._create(jira, found, facts, fresh, dry_run, store, run, outcomes)
        for key in created:
            # Re-evaluated so the comment and record name the new sub-tasks; a request whose
            # lapsed review got a fresh sub-task keeps its verdict: the lapse is still news.
            if found[key].enforcement.create and key not in fresh:
                found[key] = evaluate(self.policy, facts[key], directory, now=now)
        result.created = created
        result.evaluated = len(found)
        result.verdicts = found

        options = Options(me=me, label=self.label, max_reverts=self.max_reverts)
        actions: list[Action] = []
        retry: list[str] = []
        # A request whose sub-task Jira refused this run waits for the next run whole: its
        # revert and comment would otherwise go out now, naming no sub-task, and stay so.
        refused = {o.action.key for o in outcomes if o.action.kind == "create_review" and not o.ok}
        for key, verdict in found.items():
            if key in refused:
                continue
            request = facts[key].issue
            planned = plan_request(
                request,
                verdict,
                log=facts[key].changelog(request),
                transitions=transitions,
                comments=comments.get(key) if key in comments else None,
                created=created.get(key, {}),
                options=options,
                render=self.renderer,
            )
            if planned.needs_comments:
                retry.append(key)
                continue
            actions.extend(planned.actions)
            self._note(result, verdict, planned.blocked)
        if retry:
            # Notices not yet recorded: look for them on the issues (a crash after posting).
            self._read_comments(jira, retry, comments, facts, loaded, tagging)
            for key in retry:
                request = facts[key].issue
                planned = plan_request(
                    request,
                    found[key],
                    log=facts[key].changelog(request),
                    transitions=transitions,
                    comments=comments.get(key, []),
                    created=created.get(key, {}),
                    options=options,
                    render=self.renderer,
                )
                actions.extend(planned.actions)
                self._note(result, found[key], planned.blocked)
        if dry_run:
            actions.extend(self._creates(found, facts, fresh, now))
        return replace(plan, actions=tuple(_ordered([*plan.actions, *actions])))

    # -- steps ----------------------------------------------------------------------------------

    def candidates(
        self, issues: Sequence[Issue], verdicts: Mapping[str, TagVerdict], now: datetime
    ) -> list[str]:
        """Issues a review rule may apply to (true, or undecidable on what tagging loaded),
        and those with reviews on record. Pure: evaluating rules costs no calls."""
        empty = StaticDirectory()
        out: list[str] = []
        for issue in issues:
            if is_review_task(issue, self.policy):
                continue
            if recorded_reviews(issue):
                out.append(issue.key)
                continue
            thin = evaluate(
                self.policy, RequestFacts(issue, verdicts.get(issue.key)), empty, now=now
            )
            if any(r.outcome in (TRUE, ERROR) for r in thin.rules):
                out.append(issue.key)
        return out

    def _facts(
        self,
        request: Issue,
        loaded: Loaded,
        tagging: TagVerdict | None,
        comments: Sequence[Comment] | None,
    ) -> RequestFacts:
        subs = loaded.sub_tasks.get(request.key, [])
        ids = [request.id, *(s.id for s in subs)]
        return RequestFacts(
            issue=request,
            tagging=tagging,
            sub_tasks=subs,
            changelogs={i: loaded.logs.get(i, []) for i in ids},
            comments=comments,
        )

    def _read_comments(
        self,
        jira: JiraApi,
        keys: Sequence[str],
        comments: dict[str, list[Comment]],
        facts: dict[str, RequestFacts],
        loaded: Loaded,
        tagging: Mapping[str, TagVerdict | None],
    ) -> None:
        todo = [k for k in keys if k not in comments]
        if not todo:
            return
        read = jira.comments_bulk(todo)
        self.last.comment_reads += len(todo)
        upper = {k.upper(): v for k, v in read.items()}
        for key in todo:
            comments[key] = upper.get(key.upper(), [])
            facts[key] = self._facts(facts[key].issue, loaded, tagging.get(key), comments[key])

    def _unreopenable(
        self, found: Mapping[str, Verdict], transitions: Mapping[str, Sequence[Transition]]
    ) -> dict[str, list[ReviewToCreate]]:
        """Lapsed reviews whose sub-task has no way out of Done: a fresh sub-task instead."""
        out: dict[str, list[ReviewToCreate]] = {}
        for key, verdict in found.items():
            for lapse in verdict.enforcement.reopen:
                if transitions.get(lapse.sub_task):
                    continue
                r = verdict.review(lapse.review)
                review = self.policy.reviews[lapse.review]
                out.setdefault(key, []).append(
                    ReviewToCreate.asked(r, review, verdict.summary or key)
                )
        return out

    def _creates(
        self,
        found: Mapping[str, Verdict],
        facts: Mapping[str, RequestFacts],
        fresh: Mapping[str, Sequence[ReviewToCreate]],
        now: datetime,
    ) -> list[CreateReview]:
        out: list[CreateReview] = []
        sink: dict[tuple[str, str], object] = {}
        for key, verdict in found.items():
            request = facts[key].issue
            for item in [*verdict.enforcement.create, *fresh.get(key, ())]:
                review = self.policy.reviews[item.review]
                fields: dict[str, object] = {
                    "project": {"key": request.project},
                    "parent": {"key": key},
                    "issuetype": {"name": self.sub_task_type},
                    "summary": item.summary[:255],
                    "description": self.renderer.subtask_description(
                        key=key,
                        request_summary=request.summary or "",
                        review=item.review,
                        title=item.title,
                        description=review.description,
                        who=verdict.review(item.review).who_may(),
                        groups=item.groups,
                        approve=self.policy.resolutions.approve,
                        reject=self.policy.resolutions.reject,
                    ),
                    "labels": [item.label],
                }
                if item.assignee:
                    fields["assignee"] = item.assignee
                if item.due_days is not None:
                    fields["duedate"] = (now + timedelta(days=item.due_days)).date().isoformat()
                out.append(
                    CreateReview(
                        key,
                        request.id,
                        review=item.review,
                        summary=item.summary,
                        spec={"fields": fields},
                        created=sink,  # type: ignore[arg-type]
                    )
                )
        return out

    def _create(
        self,
        jira: JiraApi,
        found: dict[str, Verdict],
        facts: dict[str, RequestFacts],
        fresh: Mapping[str, Sequence[ReviewToCreate]],
        dry_run: bool,
        store: Store | None,
        run: str,
        outcomes: list[Outcome],
    ) -> dict[str, dict[str, str]]:
        """Create the missing review sub-tasks now; add them to the facts as open sub-tasks."""
        if dry_run:
            return {}
        creates = self._creates(found, facts, fresh, self.now())
        if not creates:
            return {}
        apply_plan(Plan(tuple(creates)), jira, store=store, run=run, outcomes=outcomes)
        sink = creates[0].created
        out: dict[str, dict[str, str]] = {}
        for action in creates:
            made = sink.get((action.key, action.review))
            if made is None or not made.key:
                continue
            out.setdefault(action.key, {})[action.review] = made.key
            review = self.policy.reviews[action.review]
            parent = facts[action.key]
            sub = Issue(
                id=str(made.id),
                key=made.key,
                project=parent.issue.project,
                issue_type=self.sub_task_type,
                status="To Do",
                status_category="new",
                summary=action.summary,
                labels=(review.label,),
                parent=action.key,
                created=self.now(),
            )
            facts[action.key] = replace(parent, sub_tasks=[*parent.sub_tasks, sub])
        return out

    def _transitions(
        self, jira: JiraApi, found: Mapping[str, Verdict]
    ) -> dict[str, list[Transition]]:
        """Transitions available now, only for issues the plan may move."""
        keys = [k for k, v in found.items() if v.violation]
        keys += [r.sub_task for v in found.values() for r in v.enforcement.reopen]
        return {k: jira.transitions(k) for k in dict.fromkeys(keys)}

    def _note(self, result: GovernanceResult, verdict: Verdict, blocked: str | None) -> None:
        if verdict.violation:
            result.violations.append(verdict.key)
        if blocked:
            result.blocked[verdict.key] = blocked
            log.warning(
                "%s violates the review gate and was not reverted: %s", verdict.key, blocked
            )


def _ordered(actions: Sequence[Action]) -> list[Action]:
    """By phase, and within a phase one issue's actions next to each other: apply cuts bulk
    batches at issue boundaries assuming that, and a ``bridge`` property split over two
    batches would be written twice, the second write dropping the first one's sections."""
    first: dict[str, int] = {}
    for i, action in enumerate(actions):
        first.setdefault(action.key, i)
    return sorted(actions, key=lambda a: (a.phase, first[a.key]))
