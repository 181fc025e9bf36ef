"""Governance's planner, pure: what one request's verdict turns into, and what it never does.

The verdicts come from the shipped review policy evaluated on hand-built facts (a request, its
review sub-tasks, their histories); the planner gets the transitions and comments a load
would have found.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bridgeplugin.enforce.actions import ReopenReview, RevertRequest, ReviewComment
from bridgeplugin.enforce.markers import NOTICES, marker_line
from bridgeplugin.enforce.plan import GOVERNANCE, REVIEWS, Options, plan_request, refs
from bridgeplugin.enforce.render import GovernanceRenderer
from bridgeplugin.enforce.step import _ordered
from bridgeplugin.governance import RequestFacts, Verdict, evaluate, load_policy
from bridgeplugin.model import ChangeItem, ChangelogEntry, Comment, Issue, Transition, User
from bridgeplugin.plan import AddLabel, SetProperty
from bridgeplugin.rules import StaticDirectory
from bridgeplugin.tagging import TagVerdict

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_policy(ROOT / "rules", categories=["saas", "data", "integration", "tracking", "ai"])
DIRECTORY = StaticDirectory(
    {"grace": ["it-architecture"], "marcus": ["security-reviewers"], "priya": ["marketing"]}
)
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ME = "bridge-bot"
RENDER = GovernanceRenderer("https://acme.atlassian.net")
BACK = Transition(id="31", name="Back to review", to_status="In Review")
REOPEN = Transition(id="41", name="Reopen", to_status="To Do")
_ids = iter(range(1000, 9999))


def user(name: str) -> User:
    return User(account_id=name, display_name=name.capitalize())


def entry(by: str, at: datetime, *items: tuple[str, str | None, str | None]) -> ChangelogEntry:
    return ChangelogEntry(
        id=str(next(_ids)),
        author=user(by),
        created=at,
        items=tuple(
            ChangeItem(field=f, field_id=f, from_string=a, to_string=b) for f, a, b in items
        ),
    )


def request(status: str = "Approved", **kw: Any) -> Issue:
    return Issue(
        id="10005",
        key="MKT-5",
        project="MKT",
        issue_type="Task",
        status=status,
        status_category="indeterminate",
        summary="Add the Meta pixel to the checkout",
        reporter=user("mateo"),
        created=T0,
        custom={"Vendor": "Meta", "Cost": 0, "Data categories": ["behaviour"]},
        **kw,
    )


def review(key: str, name: str, *, done: bool, resolution: str = "Approved") -> Issue:
    return Issue(
        id=str(next(_ids)),
        key=key,
        project="MKT",
        issue_type="Sub-task",
        status="Done" if done else "To Do",
        status_category="done" if done else "new",
        labels=(f"review-{name}",),
        parent="MKT-5",
        resolution=resolution if done else None,
        created=T0,
    )


def tag() -> TagVerdict:
    return TagVerdict(
        key="MKT-5",
        marketing_originated=True,
        tech_request=True,
        category="tracking",
        reasons=("pixel",),
        rules_version="t",
    )


def approved_by(who: str, at: datetime = T0 + timedelta(days=20)) -> list[ChangelogEntry]:
    return [
        entry("mateo", T0 + timedelta(days=1), ("status", "To Do", "In Review")),
        entry(who, at, ("status", "In Review", "Approved")),
    ]


def verdict(issue: Issue, subs: list[Issue], logs: dict[str, list[ChangelogEntry]]) -> Verdict:
    assert POLICY is not None
    facts = RequestFacts(issue, tag(), subs, logs, comments=[])
    return evaluate(POLICY, facts, DIRECTORY, now=NOW)


def plan(
    issue: Issue,
    v: Verdict,
    log: list[ChangelogEntry],
    *,
    transitions: dict[str, list[Transition]] | None = None,
    comments: list[Comment] | None = None,
    created: dict[str, str] | None = None,
) -> Any:
    return plan_request(
        issue,
        v,
        log=log,
        transitions={"MKT-5": [BACK]} if transitions is None else transitions,
        comments=[] if comments is None else comments,
        created=created or {},
        options=Options(me=ME),
        render=RENDER,
    )


def kinds(planned: Any) -> list[str]:
    return [a.kind for a in planned.actions]


def test_a_violation_is_reverted_commented_and_recorded() -> None:
    issue = request()
    log = approved_by("chloe")
    v = verdict(issue, [], {issue.id: log})
    created = {"integration": "MKT-40", "security": "MKT-41"}

    planned = plan(issue, v, log, created=created)

    assert kinds(planned) == [
        "revert",
        "review_comment",
        "set_property",
        "record_notice",
        "set_property",
    ]
    revert = planned.actions[0]
    assert isinstance(revert, RevertRequest) and revert.transition_id == "31"
    comment = planned.actions[1]
    assert isinstance(comment, ReviewComment)
    assert comment.body.startswith(NOTICES["violation"])
    assert "(MKT-40 https://acme.atlassian.net/browse/MKT-40)" in comment.body
    record = {a.section: a.value for a in planned.actions if isinstance(a, SetProperty)}
    assert record[REVIEWS] == {"integration": {"key": "MKT-40"}, "security": {"key": "MKT-41"}}
    assert record[GOVERNANCE] == {"notices": [comment.ref]}


def test_a_notice_on_record_is_not_posted_again_and_nothing_is_written() -> None:
    issue = request()
    log = approved_by("chloe")
    v = verdict(issue, [], {issue.id: log})
    ref = refs(v, log)["violation"]
    moved_back = request(
        properties={"bridge": {GOVERNANCE: {"notices": [ref]}}},
    )

    planned = plan(moved_back, v, log, transitions={"MKT-5": [BACK]})

    assert kinds(planned) == ["revert"]  # still approved: moved back, not commented again


def test_a_comment_posted_before_a_crash_is_found_by_its_marker() -> None:
    issue = request()
    log = approved_by("chloe")
    v = verdict(issue, [], {issue.id: log})
    ref = refs(v, log)["violation"]
    posted = Comment(id="1", author=user(ME), body=marker_line("violation", ref) + "\n\n...")

    planned = plan(issue, v, log, comments=[posted])

    assert "review_comment" not in kinds(planned)
    # the ref is recorded now, before the revert and with the commit record
    assert kinds(planned) == ["revert", "record_notice", "set_property"]


def test_unread_comments_are_asked_for_before_planning_a_notice() -> None:
    issue = request()
    log = approved_by("chloe")
    v = verdict(issue, [], {issue.id: log})

    planned = plan_request(
        issue,
        v,
        log=log,
        transitions={"MKT-5": [BACK]},
        comments=None,
        created={},
        options=Options(me=ME),
        render=RENDER,
    )

    assert planned.needs_comments and planned.actions == []


@pytest.mark.parametrize(
    ("log_by", "transitions", "reverts", "why"),
    [
        ("chloe", [], 0, "no transition leads from Approved to In Review"),
        (ME, [BACK], 0, "bridgeplugin's own account"),
        ("chloe", [BACK], 3, "reverted it 3 times already"),
    ],
)
def test_a_violation_that_cannot_or_must_not_be_reverted_is_labelled(
    log_by: str, transitions: list[Transition], reverts: int, why: str
) -> None:
    issue = request()
    log = [
        entry(ME, T0 + timedelta(days=2 + i), ("status", "Approved", "In Review"))
        for i in range(reverts)
    ] + approved_by(log_by)
    v = verdict(issue, [], {issue.id: log})

    planned = plan(issue, v, log, transitions={"MKT-5": transitions})

    assert planned.blocked is not None and why in planned.blocked
    assert kinds(planned)[:2] == ["add_label", "review_comment"]
    label = planned.actions[0]
    assert isinstance(label, AddLabel) and label.label == "bridge-violation"
    assert planned.actions[1].body.startswith(NOTICES["blocked"])  # type: ignore[attr-defined]
    # Next time: labelled, the notice recorded - nothing to do, however often it runs.
    ref = refs(v, log)["violation"]
    again = request(labels=("bridge-violation",), properties=_recorded(planned, ref))
    assert plan(again, v, log, transitions={"MKT-5": transitions}).actions == []


def _recorded(planned: Any, ref: str) -> dict[str, Any]:
    sections = {a.section: a.value for a in planned.actions if isinstance(a, SetProperty)}
    return {"bridge": {**sections, GOVERNANCE: {"notices": [ref]}}}


def test_reviews_given_by_the_right_people_plan_only_the_record() -> None:
    issue = request()
    subs = [review("MKT-7", "integration", done=True), review("MKT-8", "security", done=True)]
    logs = {
        issue.id: approved_by("priya"),
        subs[0].id: [entry("grace", T0 + timedelta(days=5), ("status", "To Do", "Done"))],
        subs[1].id: [entry("marcus", T0 + timedelta(days=6), ("status", "To Do", "Done"))],
    }
    v = verdict(issue, subs, logs)
    assert v.allowed

    planned = plan(issue, v, logs[issue.id])
    assert kinds(planned) == ["set_property"]  # the keys found by label, recorded once
    recorded = request(properties={"bridge": {REVIEWS: planned.actions[0].value}})
    assert plan(recorded, v, logs[issue.id]).actions == []


def test_a_lapsed_review_is_reopened_and_explained() -> None:
    issue = request(status="In Review")
    subs = [review("MKT-7", "integration", done=True), review("MKT-8", "security", done=True)]
    changed = entry("mateo", T0 + timedelta(days=8), ("Vendor", "Meta", "TikTok"))
    logs = {
        issue.id: [changed],
        subs[0].id: [entry("grace", T0 + timedelta(days=5), ("status", "To Do", "Done"))],
        subs[1].id: [entry("marcus", T0 + timedelta(days=6), ("status", "To Do", "Done"))],
    }
    v = verdict(issue, subs, logs)
    assert {r.review for r in v.enforcement.reopen} == {"integration", "security"}

    planned = plan(issue, v, logs[issue.id], transitions={"MKT-7": [REOPEN], "MKT-8": [REOPEN]})

    reopen = [a for a in planned.actions if isinstance(a, ReopenReview)]
    assert sorted(a.key for a in reopen) == ["MKT-7", "MKT-8"]
    (comment,) = [a for a in planned.actions if isinstance(a, ReviewComment)]
    assert comment.notice == "lapsed" and "TikTok" in comment.body and "reopened" in comment.body


def test_a_rejection_is_explained_once() -> None:
    issue = request(status="In Review")
    subs = [review("MKT-7", "integration", done=True, resolution="Rejected")]
    logs = {subs[0].id: [entry("grace", T0 + timedelta(days=5), ("status", "To Do", "Done"))]}
    v = verdict(issue, subs, logs)

    planned = plan(issue, v, [])

    (comment,) = [a for a in planned.actions if isinstance(a, ReviewComment)]
    assert comment.notice == "rejected" and "MKT-7" in comment.body
    assert refs(v) == refs(v)  # the same situation, the same ref


def test_one_issues_actions_stay_together_within_a_phase() -> None:
    def prop(key: str, section: str) -> SetProperty:
        return SetProperty(key, key, section=section)

    actions = [prop("MKT-1", "tagging"), prop("MKT-2", "tagging"), prop("MKT-1", REVIEWS)]

    ordered = _ordered(actions)

    assert [(a.key, a.section) for a in ordered] == [  # type: ignore[attr-defined]
        ("MKT-1", "tagging"),
        ("MKT-1", REVIEWS),
        ("MKT-2", "tagging"),
    ]


def test_the_explanation_is_applied_before_the_move_it_explains() -> None:
    """A run stopped between the two (quota, crash, lost token) must leave an explained
    approval, which the next run reverts; a reverted request is no violation any more, so an
    unexplained revert would stay unexplained (found by the fault matrix, tests/faults)."""
    from bridgeplugin.enforce.actions import (
        RecordNotice,
        ReopenReview,
        RevertRequest,
        ReviewComment,
    )

    assert ReviewComment.phase < RecordNotice.phase < RevertRequest.phase
    assert RecordNotice.phase < ReopenReview.phase
