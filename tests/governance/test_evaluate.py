"""Evaluation of the shipped review policy, one row per governance case of the issue.

Each case builds the facts of one request (the request, its sub-tasks, their histories, its
comments) and states the verdict: allowed or not, each review's state, what is missing, why,
and what a planner is asked to do. Case names read as sentences (the test ids).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from bridgeplugin.governance import RequestFacts, Verdict

from .kit import (
    NOW,
    approved_request_log,
    check,
    closed,
    comment,
    day,
    entry,
    facts,
    moved,
    request,
    shipped,
    sub_task,
    tagged,
)

POLICY = shipped()


def reviewed(
    integration_by: str = "grace",
    security_by: str = "marcus",
    *,
    reporter: str = "mateo",
    approver: str = "priya",
    security_resolution: str = "Approved",
    extra_log: tuple = (),
    comments: tuple = (),
    **kw: object,
) -> RequestFacts:
    """A request approved on day 20 after its integration (day 8) and security (day 10) reviews."""
    req = request(reporter=reporter, **kw)  # type: ignore[arg-type]
    integ = sub_task("MKT-2", "integration")
    sec = sub_task("MKT-3", "security", resolution=security_resolution)
    return facts(
        req,
        subs=[integ, sec],
        logs={
            req.id: [*approved_request_log(approver), *extra_log],
            integ.id: [closed(integration_by, day(8))],
            sec.id: [closed(security_by, day(10), security_resolution)],
        },
        comments=comments,
    )


@dataclass
class Case:
    name: str
    facts: Callable[[], RequestFacts]
    allowed: bool
    states: dict[str, str]
    missing: tuple[str, ...] = ()
    reasons: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> fragments
    revert_to: str | None = None  # expected revert target when the request is reverted
    create: tuple[str, ...] = ()
    reopen: tuple[str, ...] = ()
    now: datetime = NOW

    def __str__(self) -> str:
        return self.name


def _approved_without_reviews() -> RequestFacts:
    req = request()
    return facts(req, logs={req.id: approved_request_log("priya")})


def _waiver(*signers: tuple[str, float], **kw: object) -> Callable[[], RequestFacts]:
    def build() -> RequestFacts:
        req = request()
        text = "/bridge waive emergency: campaign launch"
        notes = [comment(who, day(d), text) for who, d in signers]
        return facts(req, logs={req.id: approved_request_log()}, comments=notes)

    return build


CASES = [
    Case(
        "a request approved without any review is not allowed and goes back to In Review",
        _approved_without_reviews,
        False,
        {"integration": "pending", "security": "pending"},
        missing=("integration", "security"),
        reasons={"security": ("no sub-task labelled review-security yet",)},
        revert_to="In Review",
        create=("integration", "security"),
    ),
    Case(
        "reviews given by the right people allow the approval and ask for nothing",
        reviewed,
        True,
        {"integration": "given", "security": "given"},
        reasons={
            "integration": ("approved by Grace (it-architecture)",),
            "security": ("approved by Marcus (security-reviewers)",),
        },
    ),
    Case(
        "a security review closed by an architect does not count",
        lambda: reviewed(security_by="olumide"),
        False,
        {"integration": "given", "security": "pending"},
        missing=("security",),
        reasons={"security": ("MKT-3 was approved by Olumide, who is not in security-reviewers",)},
        revert_to="In Review",
    ),
    Case(
        "a review closed by the request's own reporter does not count",
        lambda: reviewed(integration_by="grace", reporter="grace"),
        False,
        {"integration": "pending", "security": "given"},
        missing=("integration",),
        reasons={"integration": ("approved by Grace, the request's reporter (no self-approval)",)},
        revert_to="In Review",
    ),
    Case(
        "a request approved by its own reporter is not allowed though both reviews are given",
        lambda: reviewed(approver="mateo"),
        False,
        {"integration": "given", "security": "given"},
        missing=("approval",),
        reasons={"approval": ("approved by Mateo, the request's reporter (no self-approval)",)},
        revert_to="In Review",
    ),
    Case(
        "a material change of the request after the reviews lapses them",
        lambda: reviewed(extra_log=(entry("mateo", day(21), ("Vendor", "HubSpot", "Zapier")),)),
        False,
        {"integration": "lapsed", "security": "lapsed"},
        missing=("integration", "security"),
        reasons={"security": ("approved by Marcus on 2026-11-11, then Vendor changed by Mateo",)},
        revert_to="In Review",
        reopen=("integration", "security"),
    ),
    Case(
        "a change before the review was given does not lapse it",
        lambda: reviewed(extra_log=(entry("mateo", day(9), ("Vendor", "HubSpot", "Zapier")),)),
        False,
        {"integration": "lapsed", "security": "given"},
        missing=("integration",),
        reopen=("integration",),
        revert_to="In Review",
    ),
    Case(
        "a change of a field that is not material leaves the reviews given",
        lambda: reviewed(extra_log=(entry("mateo", day(21), ("labels", "", "urgent")),)),
        True,
        {"integration": "given", "security": "given"},
    ),
    Case(
        "a cost rising above the threshold lapses the reviews",
        lambda: reviewed(extra_log=(entry("mateo", day(21), ("Cost", "4800", "5200")),)),
        False,
        {"integration": "lapsed", "security": "lapsed"},
        missing=("integration", "security"),
        reasons={"security": ("Cost rose from 4,800 to 5,200 (above 5,000)",)},
        revert_to="In Review",
        reopen=("integration", "security"),
    ),
    Case(
        "a cost that falls, or rises below the threshold, is not material",
        lambda: reviewed(
            extra_log=(
                entry("mateo", day(21), ("Cost", "4800", "4900")),
                entry("mateo", day(22), ("Monthly cost", "900", "100")),
            )
        ),
        True,
        {"integration": "given", "security": "given"},
    ),
    Case(
        "a rejected review blocks the approval and names who rejected it",
        lambda: reviewed(security_resolution="Rejected"),
        False,
        {"integration": "given", "security": "rejected"},
        missing=("security",),
        reasons={"security": ("MKT-3 was rejected by Marcus (resolution Rejected)",)},
        revert_to="In Review",
    ),
    Case(
        "a review closed as Done neither approves nor rejects",
        lambda: reviewed(security_resolution="Done"),
        False,
        {"integration": "given", "security": "pending"},
        missing=("security",),
        reasons={"security": ("MKT-3 was closed as Done, which neither approves nor rejects",)},
        revert_to="In Review",
    ),
    Case(
        "an active waiver signed by the CIO and the CMO lets the request through",
        _waiver(("samuel", 21), ("diane", 22)),
        True,
        {"integration": "pending", "security": "pending"},
        create=("integration", "security"),
    ),
    Case(
        "an expired waiver does not",
        _waiver(("samuel", 1), ("diane", 2)),
        False,
        {"integration": "pending", "security": "pending"},
        missing=("integration", "security"),
        revert_to="In Review",
        create=("integration", "security"),
    ),
    Case(
        "a waiver signed by one of the two groups is not enough",
        _waiver(("samuel", 21)),
        False,
        {"integration": "pending", "security": "pending"},
        missing=("integration", "security"),
        revert_to="In Review",
        create=("integration", "security"),
    ),
    Case(
        "an undecided tagging verdict makes the mandatory rule require both reviews",
        lambda: facts(request(status="In Review"), tag=tagged(tag=False, undecided=True)),
        False,
        {"integration": "pending", "security": "pending"},
        missing=("integration", "security"),
        create=("integration", "security"),
    ),
    Case(
        "a request that is not a marketing technology request needs no review",
        lambda: facts(request(), tag=tagged(tag=False)),
        True,
        {"integration": "not_required", "security": "not_required"},
    ),
    Case(
        "a request declined as Won't Do is not an approval and gets no new sub-tasks",
        lambda: facts(request(status="Done", resolution="Won't Do")),
        False,
        {"integration": "pending", "security": "pending"},
        missing=("integration", "security"),
    ),
]


def _assert_case(case: Case, verdict: Verdict) -> None:
    states = {r.name: r.state for r in verdict.reviews}
    assert states == case.states, [r.reason for r in verdict.reviews]
    assert verdict.allowed is case.allowed
    assert tuple(m.name for m in verdict.missing) == case.missing
    for name, fragments in case.reasons.items():
        reason = (
            next(m.reason for m in verdict.missing if m.name == name)
            if name == "approval"
            else verdict.review(name).reason
        )
        for fragment in fragments:
            assert fragment in reason, f"{fragment!r} not in {reason!r}"
    e = verdict.enforcement
    assert tuple(c.review for c in e.create) == case.create
    assert tuple(r.review for r in e.reopen) == case.reopen
    if case.revert_to is None:
        assert e.revert is None
    else:
        assert e.revert is not None and e.revert.to_status == case.revert_to
        assert e.comment is not None and e.comment.kind == "violation"
        assert e.comment.missing == verdict.missing


@pytest.mark.parametrize("case", CASES, ids=str)
def test_governance_case(case: Case) -> None:
    _assert_case(case, check(POLICY, case.facts(), now=case.now))


def test_given_reviews_say_by_whom_and_when() -> None:
    verdict = check(POLICY, reviewed())
    sec = verdict.review("security")
    assert [p.name for p in sec.by] == ["Marcus"]
    assert sec.at == day(10)
    assert sec.sub_task == "MKT-3"
    assert verdict.enforcement.empty
    assert verdict.enforcement.record == {"integration": "MKT-2", "security": "MKT-3"}


def test_the_closer_counts_not_the_assignee() -> None:
    req = request()
    sec = sub_task("MKT-3", "security", assignee="marcus")
    integ = sub_task("MKT-2", "integration")
    f = facts(
        req,
        subs=[integ, sec],
        logs={
            req.id: approved_request_log(),
            integ.id: [closed("grace", day(8))],
            sec.id: [closed("olumide", day(10))],
        },
    )
    assert check(POLICY, f).review("security").state == "pending"


def test_a_review_whose_history_shows_no_closing_is_not_given() -> None:
    req = request()
    sec = sub_task("MKT-3", "security")
    verdict = check(POLICY, facts(req, subs=[sec], logs={req.id: approved_request_log()}))
    assert verdict.review("security").state == "pending"
    assert "nobody closing it" in verdict.review("security").reason


def test_a_lapsed_review_that_was_reopened_is_pending_and_not_reopened_again() -> None:
    req = request()
    sec = sub_task("MKT-3", "security", status="To Do")
    f = facts(
        req,
        subs=[sec],
        logs={
            req.id: [*approved_request_log(), entry("mateo", day(21), ("Vendor", "A", "B"))],
            sec.id: [closed("marcus", day(10)), moved("bridge", day(22), "To Do", "Done")],
        },
    )
    verdict = check(POLICY, f)
    assert verdict.review("security").state == "pending"
    assert verdict.enforcement.reopen == ()


def test_a_new_sub_task_after_a_rejection_is_a_new_look() -> None:
    req = request(status="In Review")
    old = sub_task("MKT-3", "security", resolution="Rejected", created=day(1))
    new = sub_task("MKT-4", "security", status="To Do", created=day(12))
    f = facts(req, subs=[old, new], logs={old.id: [closed("marcus", day(10), "Rejected")]})
    review = check(POLICY, f).review("security")
    assert review.state == "pending"
    assert review.sub_task == "MKT-4"
    assert review.sub_tasks == ("MKT-3", "MKT-4")


def test_an_approval_after_a_rejection_on_a_fresh_sub_task_is_given() -> None:
    req = request(status="In Review")
    old = sub_task("MKT-3", "security", resolution="Rejected", created=day(1))
    new = sub_task("MKT-4", "security", created=day(12))
    f = facts(
        req,
        subs=[old, new],
        logs={old.id: [closed("marcus", day(10), "Rejected")], new.id: [closed("ingrid", day(15))]},
    )
    review = check(POLICY, f).review("security")
    assert review.state == "given"
    assert [p.name for p in review.by] == ["Ingrid"]


def test_a_sub_task_recorded_in_the_bridge_property_counts_without_its_label() -> None:
    req = request(properties={"bridge": {"reviews": {"security": {"key": "MKT-7"}}}})
    sec = sub_task("MKT-7", None)
    logs = {req.id: approved_request_log(), sec.id: [closed("ingrid", day(9))]}
    f = facts(req, subs=[sec], logs=logs)
    assert check(POLICY, f).review("security").state == "given"


def test_sub_tasks_of_other_reviews_and_plain_sub_tasks_are_ignored() -> None:
    req = request()
    other = sub_task("MKT-9", None)
    logs = {req.id: approved_request_log(), other.id: [closed("marcus", day(9))]}
    f = facts(req, subs=[other], logs=logs)
    assert check(POLICY, f).review("security").state == "pending"


def test_the_mandatory_rule_explains_itself_in_the_result_tree() -> None:
    verdict = check(POLICY, reviewed())
    (rule,) = verdict.rules
    assert rule.applies and rule.mandatory
    assert rule.reason.startswith("requires integration, security: tagged as a marketing")
    assert rule.result.predicate == "tagged"


def test_a_request_done_long_ago_gets_no_new_review_sub_tasks() -> None:
    verdict = check(POLICY, facts(request(status="Done", resolution="Done")))
    assert not verdict.allowed
    assert not verdict.gate.active
    assert verdict.enforcement.create == ()
